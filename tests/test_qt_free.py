"""The core (analysis, storage, the sample buffer, the CLI's analysis commands) never imports Qt."""

import subprocess
import sys
from pathlib import Path


def test_core_imports_no_qt() -> None:
    code = (
        "import sys\n"
        "import kinewrite, kinewrite.analysis.features, kinewrite.storage.session\n"
        "import kinewrite.storage.study, kinewrite.export, kinewrite.storage.importers\n"
        "import kinewrite.formats\n"
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


def test_cli_package_and_its_qt_free_commands_load_no_qt(tmp_path) -> None:
    """Every module of kinewrite.cli imports without Qt (the Qt commands import it inside
    their functions), and analyze, features, export and import run without loading it."""
    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    study = tmp_path / "study"
    study.mkdir()
    code = (
        "import importlib, pkgutil, sys\n"
        "import kinewrite.cli\n"
        "assert not any(m.startswith('PyQt6') for m in sys.modules), 'import kinewrite.cli'\n"
        "for m in pkgutil.iter_modules(kinewrite.cli.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module(f'kinewrite.cli.{m.name}')\n"
        "from kinewrite.cli import main\n"
        "runs = [['analyze', sys.argv[1]], ['features'],\n"
        "        ['export', sys.argv[2], '-o', sys.argv[3], '--workers', '1'],\n"
        "        ['import', sys.argv[1], '--study', sys.argv[4], '--patient', 'P-001']]\n"
        "for argv in runs:\n"
        "    assert main(argv) == 0, argv\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PyQt', 'pyqtgraph')))\n"
        "print(','.join(qt), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(samples / "loops_2.5hz.csv"), str(samples / "study"),
         str(tmp_path / "features.csv"), str(study)],
        capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "", f"the CLI loaded Qt: {out.stderr.strip()}"
    assert (tmp_path / "features.csv").stat().st_size > 0
    assert len(list(study.glob("P-001/session-*.h5"))) == 1
