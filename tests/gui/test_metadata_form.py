"""The session metadata form and the patient-code field, offscreen, down to a session file."""

from __future__ import annotations

from pathlib import Path

import pytest
from layout_check import assert_laid_out
from PyQt6.QtCore import QDate
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import (
    QComboBox,
    QToolButton,
)

from kinewrite.gui.metadata import PatientCodeEdit, PatientCodeValidator, SessionMetadataForm
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import SESSION_FIELDS
from kinewrite.storage.writer import SessionWriter

SHOTS = Path("/tmp/kinewrite-gui-shots")


def select(combo: QComboBox, value: str) -> None:
    i = combo.findData(value)
    assert i >= 0, value
    combo.setCurrentIndex(i)


def test_form_fills_writes_and_reloads(qtbot, tmp_path) -> None:
    form = SessionMetadataForm()
    qtbot.addWidget(form)
    form.show()
    assert form.values() == {}  # nothing recorded yet
    select(form.combos["hand"], "left")
    select(form.combos["handedness"], "right")
    select(form.combos["wc_subtype"], "dystonic")
    select(form.combos["pen_grip"], "modified")
    select(form.combos["tremor_present"], "yes")
    select(form.combos["eyes"], "closed")
    form.last_botox_date.setDate(QDate(2024, 1, 15))
    # the "Add…" menu appends muscles from the pick list, once each
    tool = next(b for b in form.findChildren(QToolButton) if b.text() == "Add…")
    actions = {a.text(): a for a in tool.menu().actions()}
    actions["flexor carpi radialis"].trigger()
    actions["pronator teres"].trigger()
    actions["flexor carpi radialis"].trigger()
    qtbot.keyClicks(form.lines["device"], "Wacom Intuos Pro M")
    qtbot.keyClicks(form.lines["stylus"], "Pro Pen 2")
    qtbot.keyClicks(form.lines["paper_overlay"], "yes, 80 g/m2")
    qtbot.keyClicks(form.lines["operator"], "AB")
    qtbot.keyClicks(form.lines["site"], "Kiel")
    qtbot.keyClicks(form.lines["protocol"], "WC-standard-v1")
    with qtbot.waitSignal(form.changed):
        qtbot.keyClicks(form.notes, "first visit")
    expected = {
        "hand": "left", "handedness": "right", "wc_subtype": "dystonic",
        "pen_grip": "modified", "tremor_present": "yes", "last_botox_date": "2024-01-15",
        "last_botox_muscles": "flexor carpi radialis, pronator teres", "eyes": "closed",
        "device": "Wacom Intuos Pro M", "stylus": "Pro Pen 2", "paper_overlay": "yes, 80 g/m2",
        "operator": "AB", "site": "Kiel", "protocol": "WC-standard-v1", "notes": "first visit",
    }
    assert form.values() == expected
    assert list(form.values()) == list(SESSION_FIELDS)  # every field, in the file's order

    with SessionWriter.create(tmp_path, "WC-017", metadata=form.values()) as w:
        path = w.path
    stored = load_session(path).metadata
    assert stored == expected
    again = SessionMetadataForm()
    qtbot.addWidget(again)
    again.set_values(stored)
    assert again.values() == expected

    SHOTS.mkdir(exist_ok=True)
    assert_laid_out(form)
    assert form.grab().save(str(SHOTS / "metadata_form.png"))


def test_form_clears_keeps_foreign_values_and_refuses_unknown_keys(qtbot) -> None:
    form = SessionMetadataForm()
    qtbot.addWidget(form)
    form.set_values({"hand": "right", "last_botox_date": "2023-05-02", "site": "Kiel"})
    assert form.values() == {"hand": "right", "last_botox_date": "2023-05-02", "site": "Kiel"}
    form.set_values({"hand": "Right"})  # e.g. written by another tool: shown, not dropped
    assert form.values() == {"hand": "Right"}
    assert form.combos["hand"].currentText() == "Right"
    form.set_values({})
    assert form.values() == {}
    assert form.last_botox_date.text() == "not recorded"
    with pytest.raises(ValueError, match="unknown session field"):
        form.set_values({"patient_name": "x"})
    with pytest.raises(ValueError, match="not a valid date"):
        form.set_values({"last_botox_date": "15.01.2024"})


def test_patient_code_field(qtbot) -> None:
    edit = PatientCodeEdit()
    qtbot.addWidget(edit)
    edit.show()
    assert not edit.is_valid() and edit.code() is None and not edit.message.isVisible()
    qtbot.keyClicks(edit.line_edit, "John Smith")
    assert not edit.is_valid() and edit.code() is None
    assert edit.message.isVisible() and edit.message.text().startswith("Not a code: use 1-64")
    SHOTS.mkdir(exist_ok=True)
    assert_laid_out(edit)
    assert edit.grab().save(str(SHOTS / "patient_code_refused.png"))

    edit.line_edit.clear()
    with qtbot.waitSignal(edit.validityChanged) as sig:
        qtbot.keyClicks(edit.line_edit, "WC-017")
    assert sig.args == [True]
    assert edit.code() == "WC-017" and edit.warning() is None
    assert not edit.message.isVisible()

    edit.line_edit.clear()
    qtbot.keyClicks(edit.line_edit, "Mueller")
    assert edit.code() == "Mueller"  # only a warning: the validator is what refuses
    assert edit.message.isVisible() and "looks like a name" in edit.message.text()
    assert_laid_out(edit)
    assert edit.grab().save(str(SHOTS / "patient_code_warning.png"))

    v = PatientCodeValidator()
    assert v.validate("../x", 0)[0] == QValidator.State.Intermediate
    assert v.validate("P-001", 0)[0] == QValidator.State.Acceptable
