"""The importers' package (issue 16): modules of at most 400 lines, no private name imported
from another module (no Qt: tests/test_qt_free.py), and the old ``kinewrite.storage`` paths
still give the same objects."""

import ast
import importlib
from pathlib import Path

import pytest

import kinewrite.formats

PACKAGE = Path(kinewrite.formats.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_are_small_and_import_no_private_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    private = [f"{node.module}.{alias.name}" for node in ast.walk(ast.parse(text))
               if isinstance(node, ast.ImportFrom)
               for alias in node.names
               if alias.name.startswith("_") and not alias.name.endswith("__")]
    assert private == []


@pytest.mark.parametrize(("old", "new", "names"), [
    ("kinewrite.storage.importers", "kinewrite.formats",
     ["FORMATS", "ImportOptions", "ImportedTrial", "ImportResult", "Skipped", "parse_inkml",
      "parse_svc", "read_recording_file", "decode_recording", "detect_format",
      "import_recordings", "write_import_session", "imported_sources", "session_calibration",
      "IMPORT_LOCK_NAME", "SVC_UNITS_PER_MM", "SVC_PRESSURE_LEVELS", "SVC_PRESSURE_MAX"]),
    ("kinewrite.storage.importers_hwr", "kinewrite.formats.hwr",
     ["HWR_COLUMNS", "parse_hwr", "read_hwr_file"]),
    ("kinewrite.storage.csv_recording", "kinewrite.formats.csv",
     ["parse_csv_recording", "read_csv_recording", "write_csv_recording"]),
    ("kinewrite.storage.bids_import", "kinewrite.formats.bids_reader",
     ["BidsSession", "import_bids", "read_bids_subject", "read_motion_file"]),
])
def test_old_paths_give_the_same_objects(old: str, new: str, names: list[str]) -> None:
    shim, module = importlib.import_module(old), importlib.import_module(new)
    for name in names:
        assert getattr(shim, name) is getattr(module, name), name


def test_public_csv_api_is_the_formats_one() -> None:
    import kinewrite
    import kinewrite.storage
    from kinewrite.formats import csv

    assert kinewrite.read_csv_recording is csv.read_csv_recording
    assert kinewrite.storage.write_csv_recording is csv.write_csv_recording
