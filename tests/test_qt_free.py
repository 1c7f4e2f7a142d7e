"""The core never imports Qt: every module outside the Qt rooms, and the CLI's Qt-free commands."""

import subprocess
import sys
from pathlib import Path


def test_core_imports_no_qt() -> None:
    """Every module outside kinewrite.gui, kinewrite.acquisition.qt and kinewrite.cli (found
    by walking the package, not listed by hand) imports without loading Qt: the run-time
    twin of the import-linter contract in pyproject.toml, which reads the source."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import kinewrite\n"
        "qt_rooms = ('kinewrite.gui', 'kinewrite.acquisition.qt', 'kinewrite.cli')\n"
        "names = [m.name for m in pkgutil.walk_packages(kinewrite.__path__, 'kinewrite.')\n"
        "         if not m.name.startswith(qt_rooms) and m.name != 'kinewrite.__main__']\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PyQt', 'pyqtgraph')))\n"
        "print(len(names), ','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    count, _, qt = out.stdout.strip().partition(" ")
    assert int(count) >= 80, out.stdout  # the whole core was walked
    assert qt == "", f"the core imported Qt: {qt}"


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
