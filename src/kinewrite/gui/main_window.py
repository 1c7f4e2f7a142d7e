"""The therapist app's main window: Record, Review and Progress over one study folder.

A study is a folder of session files (``kinewrite.storage.study``); the window lists its
patients by code. *Record* runs the protocol workflow (:mod:`kinewrite.gui.workflow`),
*Review* replays one trial (:mod:`kinewrite.gui.review`), *Progress* follows a patient's
measures across sessions beside treatments (:mod:`kinewrite.gui.progress`). The menus and
the commands behind them are in :mod:`kinewrite.gui.main_actions`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QMainWindow,
    QTabWidget,
    QToolBar,
    QWidget,
)

from ..acquisition.calibration.mapping import ScreenMapping
from ..storage.study import study_summaries
from .main_actions import MainWindowActions
from .progress import ProgressView
from .review import ReviewView
from .settings import load_screen_mapping, load_settings, save_settings
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


class MainWindow(MainWindowActions, QMainWindow):
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

    def latest_session(self) -> Path | None:
        """The selected patient's latest session file (None without one)."""
        if self.study_dir is None or not self.patient:
            return None
        sessions, _ = study_summaries(self.study_dir, self.patient, brief=True)
        return sessions[-1].path if sessions else None

    def _review_latest(self, trial: str | None = None) -> None:
        path = self.latest_session()
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

    def closeEvent(self, event) -> None:
        self.record.close_session()
        super().closeEvent(event)

