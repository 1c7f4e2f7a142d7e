"""The core (analysis, storage, the sample buffer, the CLI's analysis commands) never imports Qt."""

import subprocess
import sys


def test_core_imports_no_qt() -> None:
    code = (
        "import sys\n"
        "import kinewrite, kinewrite.analysis.features, kinewrite.storage.session\n"
        "import kinewrite.storage.study, kinewrite.export, kinewrite.storage.importers\n"
        "import kinewrite.acquisition, kinewrite.acquisition.buffer, kinewrite.simulate\n"
        "import kinewrite.acquisition.tasks, kinewrite.acquisition.calibration\n"
        "import kinewrite.acquisition.checks, kinewrite.acquisition.recorder\n"
        "import kinewrite.acquisition.quality, kinewrite.acquisition.feedback\n"
        "import kinewrite.acquisition.tablet_check\n"
        "import kinewrite.clinical_scales, kinewrite.analysis.reference, kinewrite.gui.settings\n"
        "import kinewrite.progress, kinewrite.storage.study_index\n"
        "import kinewrite.cli\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PyQt', 'pyqtgraph')))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"the core imported Qt: {out.stdout.strip()}"
