"""The patient-code field warns with exactly the CLI's rule
(:func:`kinewrite.storage.codes.name_like_reason`), in plain text, and refuses what
:func:`~kinewrite.storage.codes.validate_patient_code` refuses (Windows device names too)."""

from __future__ import annotations

import pytest
from layout_check import assert_laid_out
from PyQt6.QtCore import Qt

from kinewrite.gui.metadata import PatientCodeEdit
from kinewrite.storage.codes import name_like_reason


@pytest.mark.parametrize("code", ["John-Smith", "JohnSmith", "MUELLER", "12.04.1961",
                                  "WC-19610412"])
def test_name_like_code_shows_the_cli_reason(qtbot, code: str) -> None:
    edit = PatientCodeEdit()
    qtbot.addWidget(edit)
    edit.show()
    qtbot.keyClicks(edit.line_edit, code)
    assert edit.is_valid() and edit.code() == code  # a warning, never a refusal
    assert edit.warning() == name_like_reason(code)
    assert edit.message.isVisible() and edit.message.text() == f"Check: {edit.warning()}"
    assert edit.message.textFormat() == Qt.TextFormat.PlainText
    assert_laid_out(edit)


@pytest.mark.parametrize("code", ["WC-017", "SIM-001", "P03", "S0001", "A0001"])
def test_ordinary_code_shows_nothing(qtbot, code: str) -> None:
    edit = PatientCodeEdit()
    qtbot.addWidget(edit)
    edit.show()
    qtbot.keyClicks(edit.line_edit, code)
    assert edit.is_valid() and edit.warning() is None and not edit.message.isVisible()


@pytest.mark.parametrize("code", ["CON", "aux.txt", "WC-017."])
def test_windows_names_are_refused_in_the_field(qtbot, code: str) -> None:
    edit = PatientCodeEdit()
    qtbot.addWidget(edit)
    edit.show()
    qtbot.keyClicks(edit.line_edit, code)
    assert not edit.is_valid() and edit.code() is None
    assert edit.message.isVisible() and "Windows" in edit.message.text()
