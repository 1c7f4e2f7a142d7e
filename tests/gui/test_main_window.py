"""The main window over a study: patients by code, review and progress of the chosen one,
clinical entries into the patient's latest session."""

from __future__ import annotations

import shutil
from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

from kinewrite import load_session
from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.clinical import AddsDialog
from kinewrite.gui.main_window import MainWindow
from kinewrite.storage.study import open_study
from kinewrite.storage.writer import SessionWriter

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def _window(qtbot, tmp_path, monkeypatch) -> tuple[MainWindow, Path]:
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    make_application()
    w = MainWindow(study, patient="SIM-001", mapping=ScreenMapping.from_dpi(96.0))
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    return w, study


def test_review_and_progress_of_the_chosen_patient(qtbot, tmp_path, monkeypatch) -> None:
    w, study = _window(qtbot, tmp_path, monkeypatch)
    assert [w.patient_combo.itemText(i) for i in range(w.patient_combo.count())] == ["SIM-001"]
    w.show_view("review")
    latest = open_study(study).sessions_of("SIM-001")[-1]
    assert w.review.trial is not None
    assert w.review.trial.name == load_session(latest.path).trials[-1].name
    w.show_view("review", trial="001")
    assert w.review.trial.name == "001"
    w.show_view("progress")
    assert "SIM-001" in w.progress.title.text()
    assert w.progress.plotted_series()  # something is drawn


def test_adds_entry_goes_to_the_latest_session(qtbot, tmp_path, monkeypatch) -> None:
    w, study = _window(qtbot, tmp_path, monkeypatch)
    latest = open_study(study).sessions_of("SIM-001")[-1].path
    before = len(load_session(latest).clinical)

    def fill_and_accept() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AddsDialog)
        dialog.set_level(95)
        dialog.rater_edit.setText("T1")
        dialog.accept()

    QTimer.singleShot(0, fill_and_accept)
    w.add_clinical(AddsDialog(w))
    clinical = load_session(latest).clinical
    assert len(clinical) == before + 1
    assert clinical[-1].scale == "ADDS" and clinical[-1].score == 95.0

    # A cancelled entry writes nothing and leaves the session free for the next writer.
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())
    w.add_clinical(AddsDialog(w))
    assert len(load_session(latest).clinical) == before + 1
    SessionWriter.open(latest).close()  # not locked


def test_calibration_is_saved_and_used_by_the_next_recording(qtbot, tmp_path,
                                                             monkeypatch) -> None:
    """Tools > Calibration: the therapist types the screen's real size; the mapping is saved
    for the next runs and used at once by the record panel."""
    from kinewrite.gui.calibration import CalibrationDialog
    from kinewrite.gui.settings import load_screen_mapping

    w, _ = _window(qtbot, tmp_path, monkeypatch)

    def measure_and_accept() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CalibrationDialog)
        dialog.mode_tablet.setChecked(False)
        dialog.screen_w_mm.setValue(500.0)
        dialog.screen_h_mm.setValue(300.0)
        dialog.screen_w_px.setValue(2000)
        dialog.screen_h_px.setValue(1200)
        dialog.accept()

    QTimer.singleShot(0, measure_and_accept)
    w.calibrate()
    saved = load_screen_mapping()
    assert saved is not None
    assert (saved.x_mm_per_px, saved.y_mm_per_px) == (0.25, 0.25)
    assert w.record.panel.mapping.x_mm_per_px == 0.25


def test_a_patient_whose_last_visit_crashed_is_listed_and_repaired_at_the_next_entry(
        qtbot, tmp_path, monkeypatch) -> None:
    """Issue 11: after a crash the patient vanished from the app. A session left open for
    writing (as kinewrite before the fix left one) is listed, said, and repaired when a
    scale is added to it."""
    import hashlib
    import subprocess
    import sys

    from kinewrite.storage.hdf5_status import read_superblock

    study = tmp_path / "crash"
    script = f"""
import os, signal, h5py, numpy as np
from kinewrite.storage.writer import SessionWriter
w = SessionWriter.create({str(study)!r}, "WC-031")
w.begin_trial("loops", 200.0)
w.append(t=np.arange(300) / 200, x=np.zeros(300), y=np.zeros(300), state=np.full(300, 2))
w.end_trial("complete")
f = h5py.File(w.path, "r+", libver="latest")  # an old writer's file, held open
os.kill(os.getpid(), signal.SIGKILL)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == -9, r.stderr
    (path,) = (study / "WC-031").glob("session-*.h5")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    make_application()
    w = MainWindow(study, patient="WC-031", mapping=ScreenMapping.from_dpi(96.0))
    qtbot.addWidget(w)
    w.show()
    assert w.patient_combo.findText("WC-031") >= 0
    assert "interrupted by a crash" in w.statusBar().currentMessage()
    w.show_view("review")
    assert w.review.trial is not None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # reading changed nothing

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.rater_edit.setText("T2")
        dialog.set_level(100)
        dialog.accept()

    QTimer.singleShot(200, accept)
    w.add_clinical(AddsDialog(w))
    assert not read_superblock(path).open_for_write  # repaired at the first write
    s = load_session(path)
    assert s.recovery == "" and len(s.clinical) == 1 and s.trials[0].n_samples == 300


def test_a_new_patients_first_session_shows_in_progress_without_restart(
        qtbot, tmp_path, monkeypatch) -> None:
    from PyQt6.QtCore import Qt

    from kinewrite.gui.synthetic_pen import SyntheticPen
    from kinewrite.simulate import simulate_trial

    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    study = tmp_path / "study"
    study.mkdir()
    make_application()
    mapping = ScreenMapping.from_dpi(96.0)
    w = MainWindow(study, mapping=mapping)
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    assert w.patient_combo.count() == 0
    wf = w.record
    wf.setup.code_edit.setText("NEW-01")
    wf.setup.metadata_form.set_values({"hand": "right"})
    qtbot.mouseClick(wf.setup.start_button, Qt.MouseButton.LeftButton)
    wf.task_list.setCurrentRow([s.key for s in wf.protocol.tasks].index("loops"))
    wf.start_trial()
    rec = simulate_trial("loops", 10.0, seed=3, rate_hz=200.0, jitter_ms=0.0).recording
    SyntheticPen(wf.panel.canvas, mapping).write(rec)
    QApplication.processEvents()
    outcome = wf.panel.stop()
    assert outcome.ok
    assert w.patient == "NEW-01"  # selected at the top without a restart
    w.show_view("progress")
    assert "NEW-01" in w.progress.title.text()
    assert w.progress.plotted_series()  # the first visit is drawn
    # the selection at the top now fills the next session's form
    wf.finish()
    wf.new_session()
    assert wf.setup.code_edit.text() == "NEW-01"
    assert wf.setup.metadata_form.values() == {"hand": "right"}


def test_menus_write_the_report_and_the_export(qtbot, tmp_path, monkeypatch) -> None:
    w, _ = _window(qtbot, tmp_path, monkeypatch)
    menus = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert menus == ["File", "Clinical", "Settings", "Tools", "Help"]
    file_actions = [a.text().replace("&", "") for a in w.menuBar().actions()[0].menu().actions()
                    if a.text()]
    assert any("report" in t for t in file_actions) and any("Export" in t for t in file_actions)
    report = w.write_report(tmp_path / "r.html")
    assert report is not None and "SIM-001" in report.read_text(encoding="utf-8")
    assert w.export_study(tmp_path / "features.csv")
    lines = (tmp_path / "features.csv").read_text().splitlines()
    assert lines[0].startswith("patient_code") or "patient_code" in lines[0]
    assert len(lines) > 1
