"""The therapist app's main window: Record, Review and Progress over one study folder.

A study is a folder of session files (``kinewrite.storage.study``); the window lists its
patients by code. *Record* runs the protocol workflow (:mod:`kinewrite.gui.workflow`),
*Review* replays one trial (:mod:`kinewrite.gui.review`), *Progress* follows a patient's
measures across sessions beside treatments (:mod:`kinewrite.gui.progress`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QMainWindow,
    QTabWidget,
    QToolBar,
    QWidget,
)

from ..acquisition.calibration.mapping import ScreenMapping
from ..errors import InputError
from ..storage.study import study_summaries
from ..storage.writer import SessionWriter
from .clinical import AddsDialog, TreatmentEventDialog, WcrsDialog
from .progress import ProgressView
from .review import ReviewView
from .settings import load_screen_mapping, load_settings, save_screen_mapping, save_settings
from .text import PlainLabel, show_message
from .workflow import RecordWorkflow

__all__ = ["MainWindow", "default_mapping"]

VIEWS = ("record", "review", "progress")


def default_mapping() -> ScreenMapping:
    """The saved calibration, else the primary screen's reported physical size."""
    saved = load_screen_mapping()
    if saved is not None:
        return saved
    screen = QApplication.primaryScreen()
    phys, geo = screen.physicalSize(), screen.geometry()
    if phys.width() > 0 and phys.height() > 0:
        return ScreenMapping.from_screen((phys.width(), phys.height()),
                                         (geo.width(), geo.height()))
    return ScreenMapping.from_dpi(96.0)


class MainWindow(QMainWindow):
    """Record, Review, Progress for the study folder `study_dir`.

    Parameters
    ----------
    study_dir : Path or None
        The study folder (File ▸ Open study… otherwise; the last one is remembered).
    patient : str, optional
        Patient code to select.
    mapping : ScreenMapping, optional
        Canvas calibration (default :func:`default_mapping`).
    """

    def __init__(self, study_dir: Path | None = None, patient: str | None = None,
                 mapping: ScreenMapping | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("kinewrite")
        self.study_dir: Path | None = None
        self.mapping = mapping or default_mapping()
        self.record = RecordWorkflow(None, self.mapping)
        self._progress_stale = False
        self.review = ReviewView()
        self.progress = ProgressView()
        self.progress.trialRequested.connect(self.review_trial)  # a point opens its trial
        self.tabs = QTabWidget()
        self.tabs.addTab(self.record, "Record")
        self.tabs.addTab(self.review, "Review")
        self.tabs.addTab(self.progress, "Progress")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)

        self.study_label = PlainLabel("No study folder")
        self.patient_combo = QComboBox()
        self.patient_combo.setMinimumContentsLength(12)
        self.patient_combo.setToolTip("Patients of this study, by code")
        self.patient_combo.currentTextChanged.connect(self._patient_changed)
        bar = QToolBar("Study")
        bar.setMovable(False)
        bar.addWidget(PlainLabel(" Study: "))
        bar.addWidget(self.study_label)
        bar.addSeparator()
        bar.addWidget(PlainLabel(" Patient: "))
        bar.addWidget(self.patient_combo)
        self.addToolBar(bar)
        self._build_menus()

        self.record.sessionSaved.connect(self._session_saved)
        self.record.reviewRequested.connect(self.review_trial)
        self.statusBar().showMessage(f"Calibration: {self.mapping.source}")
        if study_dir is None:
            last = load_settings().get("last_study")
            if last and Path(last).is_dir():
                study_dir = Path(last)
        if study_dir is not None:
            self.set_study(Path(study_dir))
        if patient:
            self.select_patient(patient)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        act = QAction("&Open study…", self)
        act.setShortcut(QKeySequence.StandardKey.Open)
        act.triggered.connect(self.choose_study)
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Progress report of the patient…", self)
        act.setShortcut(QKeySequence("Ctrl+P"))
        act.triggered.connect(lambda: self.write_report())
        file_menu.addAction(act)
        act = QAction("&Export the study's features…", self)
        act.setShortcut(QKeySequence("Ctrl+E"))
        act.triggered.connect(lambda: self.export_study())
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Quit", self)
        act.setShortcut(QKeySequence.StandardKey.Quit)
        act.triggered.connect(self.close)
        file_menu.addAction(act)
        session_menu = self.menuBar().addMenu("&Clinical")
        for label, make in (("ADDS…", AddsDialog), ("WCRS…", WcrsDialog)):
            act = QAction(label, self)
            act.triggered.connect(lambda _c=False, make=make: self.add_clinical(make(self)))
            session_menu.addAction(act)
        act = QAction("Treatment event…", self)
        act.triggered.connect(self.add_event)
        session_menu.addAction(act)
        settings = self.menuBar().addMenu("&Settings")
        act = QAction("&Calibration (screen size, pen pressure)…", self)
        act.triggered.connect(self.calibrate)
        settings.addAction(act)
        tools = self.menuBar().addMenu("&Tools")
        act = QAction("&Test tablet…", self)
        act.triggered.connect(lambda _checked=False: self.test_tablet())
        tools.addAction(act)
        help_menu = self.menuBar().addMenu("&Help")
        act = QAction("&About kinewrite", self)
        act.triggered.connect(self.show_about)
        help_menu.addAction(act)

    # ------------------------------------------------------------------ study, patient
    def choose_study(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Study folder (one file per session)")
        if folder:
            self.set_study(Path(folder))

    def set_study(self, folder: Path) -> None:
        self.study_dir = folder
        self.study_label.setText(str(folder))
        self.record.study_dir = folder
        self.progress.set_study(folder)
        settings = load_settings()
        settings["last_study"] = str(folder)
        try:
            save_settings(settings)
        except OSError as exc:  # a read-only home must not stop the app
            print(f"kinewrite: settings not saved: {exc}", file=sys.stderr)
        self.refresh_patients()

    def refresh_patients(self) -> None:
        if self.study_dir is None:
            return
        current = self.patient_combo.currentText()
        summaries, problems = study_summaries(self.study_dir, brief=True)  # the study index
        patients = sorted({s.patient_code for s in summaries})
        self.patient_combo.blockSignals(True)
        self.patient_combo.clear()
        self.patient_combo.addItems(patients)
        if current:
            self.patient_combo.setCurrentText(current)
        self.patient_combo.blockSignals(False)
        recovered = [s for s in summaries if s.recovery]
        if problems:
            self.statusBar().showMessage(f"{len(problems)} file(s) of the study could "
                                         f"not be read: {problems[0]}")
        elif recovered:  # the patient is there; what the crash left is said, not hidden
            self.statusBar().showMessage(
                f"{len(recovered)} session(s) interrupted by a crash, read without changes "
                f"(repaired at their next write): {recovered[-1].recovery}")

    def _session_saved(self, _path: str) -> None:
        """A trial, scale or event was saved: the patient list and the recorded patient's
        progress follow at once (a new patient's first session included)."""
        self.refresh_patients()
        code = self.record.setup.code_edit.code()
        if code and self.patient_combo.findText(code) >= 0:
            if self.patient != code:
                self.patient_combo.setCurrentText(code)  # _patient_changed reloads
            elif self.tabs.currentWidget() is self.progress:
                self.progress.set_patient(code)
            else:  # redrawn when shown: not once per trial behind the recording screen
                self._progress_stale = True

    def select_patient(self, code: str) -> None:
        if self.patient_combo.findText(code) < 0:
            show_message(self, "warning", "Unknown patient", f"No session of {code} in this study.")
            return
        self.patient_combo.setCurrentText(code)
        self._patient_changed(code)

    @property
    def patient(self) -> str:
        return self.patient_combo.currentText()

    def _patient_changed(self, code: str) -> None:
        if not code:
            return
        self.progress.set_patient(code)
        self.record.set_patient(code)
        if self.tabs.currentWidget() is self.review:
            self._review_latest()

    def _latest_session(self) -> Path | None:
        if self.study_dir is None or not self.patient:
            return None
        sessions, _ = study_summaries(self.study_dir, self.patient, brief=True)
        return sessions[-1].path if sessions else None

    def _review_latest(self, trial: str | None = None) -> None:
        path = self._latest_session()
        if path is not None:
            self.review.load(path, trial)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.progress and self._progress_stale:
            self._progress_stale = False
            self.progress.set_patient(self.patient)
        if self.tabs.widget(index) is self.review and self.review.trial is None:
            self._review_latest()

    # ------------------------------------------------------------------ views
    def show_view(self, view: str, trial: str | None = None) -> None:
        """Switch to ``record``, ``review`` (the patient's last session) or ``progress``."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}")
        if view == "review":
            self.tabs.setCurrentWidget(self.review)
            self._review_latest(trial)
        elif view == "progress":
            self.tabs.setCurrentWidget(self.progress)
        else:
            self.tabs.setCurrentWidget(self.record)

    def review_trial(self, session_path: str, trial: str) -> None:
        self.tabs.setCurrentWidget(self.review)
        self.review.load(session_path, trial)

    # ------------------------------------------------------------------ clinical, tools
    def _writer_for_entries(self) -> SessionWriter | None:
        """The recording session if one is open, else the patient's latest session."""
        if self.record.writer is not None:
            return self.record.writer
        path = self._latest_session()
        if path is None:
            show_message(self, "information", "No session", "Record a session of the patient "
                         "first: scales and events are stored in a session.")
            return None
        try:
            writer = SessionWriter.open(path)
        except (OSError, InputError) as exc:  # busy, disk, permissions, not repairable
            show_message(self, "warning", "Session not writable", str(exc).splitlines()[0])
            return None
        if writer.repaired:
            self.statusBar().showMessage(writer.repaired)
        return writer

    def add_clinical(self, dialog: AddsDialog | WcrsDialog) -> None:
        """An ADDS or WCRS entry, into the open session or the patient's latest one."""
        self._store_entry(dialog, lambda w: w.add_clinical(**dialog.clinical_entry()))

    def add_event(self) -> None:
        """A treatment event, into the open session or the patient's latest one."""
        dialog = TreatmentEventDialog(self)
        self._store_entry(dialog, lambda w: w.add_event(**dialog.event_kwargs()))

    def _store_entry(self, dialog: QDialog, store) -> None:
        writer = self._writer_for_entries()
        if writer is None:
            return
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                store(writer)
                self.progress.set_patient(self.patient)
        finally:  # a session opened for the entry is closed (its lock released) either way
            if writer is not self.record.writer:
                writer.close()

    def write_report(self, out: Path | None = None) -> Path | None:
        """Write the selected patient's progress report (HTML, or PDF by its name); asks
        for the file when `out` is None. Returns the file written, None if not."""
        if self.study_dir is None or not self.patient:
            show_message(self, "information", "No patient", "Choose a patient first.")
            return None
        if out is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Progress report", str(Path.home() / f"report-{self.patient}.pdf"),
                "PDF (*.pdf);;HTML (*.html)")
            if not name:
                return None
            out = Path(name)
        from ..progress import ProgressError
        from .report_writer import build_report

        try:
            return build_report(self.study_dir, self.patient, out)
        except (ProgressError, OSError) as exc:
            show_message(self, "warning", "Report not written", str(exc).splitlines()[0])
            return None

    def export_study(self, out: Path | None = None) -> bool:
        """Export the study's features, one row per trial (``kinewrite export`` in a child
        process, so the app stays responsive to the end); asks for the file if None."""
        if self.study_dir is None:
            show_message(self, "information", "No study", "Open a study folder first.")
            return False
        if out is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Export the study's features", str(Path.home() / "features.csv"),
                "CSV (*.csv);;Parquet (*.parquet)")
            if not name:
                return False
            out = Path(name)
        import subprocess

        from PyQt6.QtCore import Qt
        from PyQt6.QtWidgets import QApplication

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            run = subprocess.run([sys.executable, "-m", "kinewrite", "export",
                                  str(self.study_dir), "-o", str(out)],
                                 capture_output=True, text=True, timeout=3600)
        finally:
            QApplication.restoreOverrideCursor()
        if run.returncode != 0:
            lines = run.stderr.strip().splitlines()
            show_message(self, "warning", "Export not written",
                         lines[-1] if lines else "the export failed")
            return False
        self.statusBar().showMessage(f"Features exported to {out}")
        return True

    def show_about(self) -> None:
        from .._version import __version__

        show_message(self, "information", "About kinewrite",
                     f"kinewrite {__version__}: handwriting kinematics for writer's cramp.\n"
                     "Every measure, its source and its healthy range: docs/science.md of "
                     "the kinewrite project. Open source; patients are identified by a code "
                     "only.")

    def calibrate(self) -> None:
        from .calibration import CalibrationDialog

        # the pad is on the dialog's pressure page: a window of its own would be blocked by
        # the modal dialog and never receive the pen
        dialog = CalibrationDialog(self, with_pad=True)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.mapping = dialog.mapping()
        save_screen_mapping(self.mapping)
        self.record.mapping = self.mapping
        self.record.panel.mapping = self.mapping
        self.statusBar().showMessage(f"Calibration: {self.mapping.source}")

    def test_tablet(self, seconds: float | None = None) -> None:
        """Tools > Test tablet: the tablet check dialog (a recording in progress is not
        disturbed: the dialog has its own canvas and saves nothing).

        The test lasts `seconds`, else the setting ``tablet_check_seconds``, else 10 s."""
        from .tablet_check import TabletCheckDialog

        if seconds is None:
            try:
                seconds = float(load_settings().get("tablet_check_seconds", 10.0))
            except (TypeError, ValueError):
                seconds = 10.0
            if not 0 < seconds < 3600:
                seconds = 10.0
        dialog = TabletCheckDialog(self, seconds=seconds)
        dialog.reported.connect(lambda r: self.statusBar().showMessage(f"Tablet: {r.verdict}"))
        self.tablet_check: TabletCheckDialog | None = dialog
        dialog.exec()

    def closeEvent(self, event) -> None:
        self.record.close_session()
        super().closeEvent(event)

