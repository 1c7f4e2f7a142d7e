"""ADDS, WCRS and treatment-event dialogs, offscreen: filled like a user would, accepted, written
to a real session file and read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from layout_check import assert_laid_out
from PyQt6.QtCore import QDate, QPoint, Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QWidget,
)

from kinewrite.clinical.events import BOTULINUM_PRODUCTS
from kinewrite.clinical.scales import ADDS_ITEMS, WCRS_ITEMS
from kinewrite.gui.clinical import AddsDialog, TreatmentEventDialog, WcrsDialog, save_clinical
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter

SHOTS = Path("/tmp/kinewrite-gui-shots")


def shoot(widget: QWidget, name: str) -> None:
    assert_laid_out(widget)
    SHOTS.mkdir(exist_ok=True)
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def click_ok(qtbot, dialog: QDialog) -> None:
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def choose(combo: QComboBox, score: int) -> None:
    combo.setCurrentIndex(combo.findData(score))


@pytest.fixture
def writer(tmp_path):
    with SessionWriter.create(tmp_path, "WC-017") as w:
        yield w


def test_adds_activities_live_score_saved(qtbot, writer) -> None:
    dlg = AddsDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.assessed() and not dlg.activities.isEnabled()  # no score given yet
    assert dlg.score_label.text() == "ADDS: not assessed"
    qtbot.mouseClick(dlg.level_buttons[None], Qt.MouseButton.LeftButton)
    assert dlg.level_pct() is None and dlg.activities.isEnabled()
    assert "7 of 7 activities not scored" in dlg.score_label.text()  # not 90 %
    choose(dlg.item_combos["writing"], 3)
    choose(dlg.item_combos["buttoning"], 1)
    for item in ADDS_ITEMS:
        if item.key not in ("writing", "buttoning"):
            choose(dlg.item_combos[item.key], 0)
    assert "72.9 %" in dlg.score_label.text() and "total 4 of 21" in dlg.score_label.text()
    dlg.date_edit.setDate(QDate(2024, 3, 1))
    qtbot.keyClicks(dlg.rater_edit, "R1")
    shoot(dlg, "adds_dialog")
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    score = save_clinical(writer, dlg)
    assert score == pytest.approx(90 - 90 * 4 / 21)

    entry = load_session(writer.path).clinical[0]
    assert entry.scale == "ADDS" and entry.date == "2024-03-01" and entry.rater == "R1"
    assert entry.score == pytest.approx(72.857142857)
    expected = {i.key: 0 for i in ADDS_ITEMS} | {"writing": 3, "buttoning": 1}
    assert entry.items == expected


@pytest.mark.parametrize("level", [100, 95, 90])
def test_adds_levels_saved(qtbot, writer, level: int) -> None:
    dlg = AddsDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    choose(dlg.item_combos["writing"], 2)  # ignored: a level is chosen
    button = dlg.level_buttons[level]  # clicked on its mark: a radio's label ends early
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    qtbot.keyClicks(dlg.rater_edit, "R1")
    assert f"ADDS score: {level} %" in dlg.score_label.text()
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.clinical_entry()["level_pct"] == level
    save_clinical(writer, dlg)
    entry = load_session(writer.path).clinical[-1]
    assert (entry.scale, entry.score, entry.items) == ("ADDS", float(level), {})


def test_wcrs_items_total_saved(qtbot, writer) -> None:
    dlg = WcrsDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    assert len(dlg.item_combos) == len(WCRS_ITEMS)
    assert dlg.score_label.text() == "WCRS: not assessed"  # not 0 of 30
    for item in WCRS_ITEMS:
        choose(dlg.item_combos[item.key], 0)
    for key, score in {"wrist_flexion": 2, "finger_flexion": 1, "forearm_pronation": 1,
                       "latency": 2, "tremor": 1, "writing_speed": 2}.items():
        choose(dlg.item_combos[key], score)
    text = dlg.score_label.text()
    assert "WCRS total: 9 of 30" in text and "movement 7 of 28" in text and "speed 2 of 2" in text
    qtbot.keyClicks(dlg.rater_edit, "R2")
    shoot(dlg, "wcrs_dialog")
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert save_clinical(writer, dlg) == 9.0
    entry = load_session(writer.path).clinical[0]
    assert entry.scale == "WCRS" and entry.score == 9.0 and entry.rater == "R2"
    assert sum(entry.items.values()) == 9 and entry.items["wrist_flexion"] == 2
    assert set(entry.items) == {i.key for i in WCRS_ITEMS}


def test_toxin_event_with_muscles_doses_product_saved(qtbot, writer) -> None:
    dlg = TreatmentEventDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.kind() == "botulinum_toxin" and dlg.toxin_box.isVisible()
    add = next(b for b in dlg.findChildren(QPushButton) if b.text() == "Add muscle")
    dlg.muscle_combo.setCurrentIndex(dlg.muscle_combo.findText("flexor carpi radialis"))
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dlg.muscle_combo.lineEdit(), "flexor digitorum superficialis")
    qtbot.keyClick(dlg.muscle_combo.lineEdit(), Qt.Key.Key_Return)
    qtbot.keyClicks(dlg.muscle_combo.lineEdit(), "lumbrical II")  # free text
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)  # empty: nothing added
    assert dlg.muscles() == ["flexor carpi radialis", "flexor digitorum superficialis",
                             "lumbrical II"]
    dlg._spin(0).setValue(40)
    dlg._spin(1).setValue(60)
    dlg._spin(2).setValue(7.5)
    assert dlg.total_spin.value() == 107.5 and not dlg.total_spin.isEnabled()
    dlg.date_edit.setDate(QDate(2024, 2, 20))
    qtbot.keyClicks(dlg.notes_edit, "EMG guided")

    click_ok(qtbot, dlg)  # no product yet: refused, the dialog says why and stays open
    assert dlg.isVisible() and dlg.error_label.isVisible()
    assert "product is required" in dlg.error_label.text()
    shoot(dlg, "event_dialog_refused")
    dlg.product_combo.setCurrentIndex(dlg.product_combo.findText(
        "abobotulinumtoxinA (Dysport)"))
    assert not dlg.error_label.isVisible()  # acting on the message clears it
    shoot(dlg, "event_dialog")
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and not dlg.error_label.isVisible()
    assert save_clinical(writer, dlg) is None

    ev = load_session(writer.path).events[0]
    assert ev.kind == "botulinum_toxin" and ev.date == "2024-02-20"
    assert ev.muscles == ["flexor carpi radialis", "flexor digitorum superficialis",
                          "lumbrical II"]
    assert ev.dose_units == 107.5
    assert (ev.product, ev.notes) == ("abobotulinumtoxinA (Dysport)", "EMG guided")
    assert ev.doses_units == {"flexor carpi radialis": 40.0,
                              "flexor digitorum superficialis": 60.0, "lumbrical II": 7.5}


def test_toxin_total_only_and_mismatch(qtbot, writer) -> None:
    dlg = TreatmentEventDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.product_combo.setCurrentIndex(0)
    dlg.add_muscle("flexor carpi ulnaris", 20)
    dlg.add_muscle("pronator teres")  # dose not given
    dlg.add_muscle("pronator teres")  # listed once
    assert dlg.muscles() == ["flexor carpi ulnaris", "pronator teres"]
    click_ok(qtbot, dlg)
    assert dlg.isVisible() and "a dose for every muscle or the total" in dlg.error_label.text()
    dlg.total_auto.setChecked(False)
    dlg.total_spin.setValue(50)
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    save_clinical(writer, dlg)
    ev = load_session(writer.path).events[0]
    assert ev.dose_units == 50.0 and ev.muscles == ["flexor carpi ulnaris", "pronator teres"]
    assert ev.doses_units == {"flexor carpi ulnaris": 20.0, "pronator teres": None}
    assert ev.product == BOTULINUM_PRODUCTS[0] == dlg.product_combo.itemText(0)

    dlg2 = TreatmentEventDialog()
    qtbot.addWidget(dlg2)
    dlg2.show()
    dlg2.product_combo.setCurrentIndex(0)
    dlg2.add_muscle("flexor carpi ulnaris", 20)
    dlg2.total_auto.setChecked(False)
    dlg2.total_spin.setValue(30)
    click_ok(qtbot, dlg2)
    assert dlg2.isVisible() and "differs from the sum" in dlg2.error_label.text()
    dlg2.table.selectRow(0)
    next(b for b in dlg2.findChildren(QPushButton) if b.text() == "Remove selected").click()
    assert dlg2.muscles() == []


def test_pen_grip_training_saved(qtbot, writer) -> None:
    dlg = TreatmentEventDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.set_kind("pen_grip_training")
    assert not dlg.toxin_box.isVisible()
    dlg.date_edit.setDate(QDate(2024, 4, 2))
    qtbot.keyClicks(dlg.notes_edit, "modified grip, week 1")
    shoot(dlg, "event_dialog_pen_grip")
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    save_clinical(writer, dlg)
    ev = load_session(writer.path).events[0]
    assert (ev.kind, ev.date, ev.muscles, ev.dose_units, ev.notes) == (
        "pen_grip_training", "2024-04-02", [], None, "modified grip, week 1")


def test_save_clinical_refuses_other_dialogs(qtbot, writer) -> None:
    with pytest.raises(TypeError, match="not a clinical dialog"):
        save_clinical(writer, QDialog())


@pytest.mark.parametrize("make", [AddsDialog, WcrsDialog])
def test_ok_without_a_score_or_a_rater_stores_nothing(qtbot, writer, make) -> None:
    """A dialog opened and OK'd at once stores no normal score: it says what is missing and
    stays open; the rater is required too."""
    dlg = make()
    qtbot.addWidget(dlg)
    dlg.show()
    click_ok(qtbot, dlg)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted
    qtbot.keyClicks(dlg.rater_edit, "R3")
    click_ok(qtbot, dlg)
    assert dlg.isVisible() and "not" in dlg.error_label.text()  # not assessed / scored
    if make is AddsDialog:
        dlg.set_level(95)
    else:
        dlg.set_items({i.key: 1 for i in WCRS_ITEMS})
    dlg.rater_edit.clear()
    click_ok(qtbot, dlg)
    assert dlg.isVisible() and "rater is required" in dlg.error_label.text()
    qtbot.keyClicks(dlg.rater_edit, "R3")
    click_ok(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert load_session(writer.path).clinical == []  # the dialog alone stores nothing


def test_entries_are_edited_and_deleted_on_the_done_page(qtbot, tmp_path, monkeypatch) -> None:
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from kinewrite.acquisition.calibration import ScreenMapping
    from kinewrite.gui.workflow import RecordWorkflow

    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "study").mkdir()
    wf = RecordWorkflow(tmp_path / "study", ScreenMapping.from_dpi(96.0))
    qtbot.addWidget(wf)
    wf.writer = SessionWriter.create(tmp_path / "study", "ED-01")
    wf.finish()

    def fill(level: int | None, rater: str) -> None:
        def go() -> None:
            d = QApplication.activeModalWidget()
            if level is None:
                d.set_items({i.key: 1 for i in ADDS_ITEMS})
            else:
                d.set_level(level)
            d.rater_edit.setText(rater)
            d.accept()
        QTimer.singleShot(0, go)

    fill(95, "R1")
    assert wf.add_clinical(AddsDialog(wf)) == 95.0
    fill(None, "R2")
    assert wf.add_clinical(AddsDialog(wf)) == pytest.approx(90 - 90 * 7 / 21)
    assert wf.entries.count() == 2 and "rated" in wf.entries.item(0).text()
    wf.entries.setCurrentRow(0)
    assert wf.edit_entry_button.isEnabled()

    def check_and_change() -> None:  # the dialog opens showing the stored entry
        d = QApplication.activeModalWidget()
        assert d.level_pct() == 95 and d.rater_edit.text() == "R1"
        d.set_level(90)
        d.accept()
    QTimer.singleShot(0, check_and_change)
    assert wf.edit_entry() == 90.0
    wf.entries.setCurrentRow(1)
    assert wf.delete_entry()
    fill(100, "R3")
    wf.add_clinical(AddsDialog(wf))
    entries = load_session(wf.writer.path).clinical
    assert [(c.name, c.score, c.rater) for c in entries] == [("001", 90.0, "R1"),
                                                              ("002", 100.0, "R3")]
    wf.close_session()
