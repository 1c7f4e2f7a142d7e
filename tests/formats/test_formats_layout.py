"""The importers' package (issue 16): modules of at most 400 lines, no private name imported
from another module (no Qt: tests/test_qt_free.py), and the old ``kinewrite.storage`` paths
still give the same objects."""

import ast
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


def test_public_csv_api_is_the_formats_one() -> None:
    import kinewrite
    from kinewrite.formats import csv

    assert kinewrite.read_csv_recording is csv.read_csv_recording
    assert kinewrite.write_csv_recording is csv.write_csv_recording
