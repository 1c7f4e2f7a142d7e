"""The record workflow: patient code and session metadata, then each task of the protocol.

Three pages: **setup** (:class:`~kinewrite.gui.setup_page.SetupPage`: the patient's code,
never a name, the protocol, the input, the tablet's rate, the pressure feedback and the
session metadata of docs/science.md §8); **tasks** (the protocol's tasks on the left; on the
right the recording screen, :class:`~kinewrite.gui.record.RecordPanel`, and as soon as a
trial ends its key numbers, checks and *Redo* / *Next task*,
:class:`~kinewrite.gui.result_panel.ResultPanel`; a redo marks the earlier trial
superseded, nothing is deleted); **done** (:class:`~kinewrite.gui.done_page.DonePage`: the
session's trials, clinical scales and treatment events).

The visit's state and decisions (the session file, the current task, which trial is each
task's result, what a redo replaces, what the end page lists) are those of
:class:`~kinewrite.acquisition.visit.VisitController`, which never imports Qt; this module
shows them and passes the therapist's clicks on. The session file is created when the first
trial starts (no empty sessions), and every trial is on disk when its results show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QPixmap
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.calibration.mapping import ScreenMapping
from ..acquisition.trial_outcome import TrialOutcome, outcome_verdict
from ..acquisition.visit import (
    CARRIED_FIELDS,
    REQUIRED_FIELDS,
    VisitController,
    interrupted_visit,
    open_interrupted,
    stylus_profile,
)
from ..errors import InputError
from .clinical_scales import AddsDialog, WcrsDialog
from .done_page import DonePage
from .record import RecordPanel
from .result_panel import ResultPanel, ink_crop
from .setup_page import SetupPage
from .text import PlainLabel, show_message

# RecordWorkflow, and where they always were, the names now in their own modules
__all__ = ["CARRIED_FIELDS", "REQUIRED_FIELDS", "RecordWorkflow", "ResultPanel", "SetupPage",
           "interrupted_visit", "outcome_verdict", "stylus_profile"]


def _visit_state(name: str, settable: bool = True) -> Any:
    """A property of :class:`RecordWorkflow` reading (and setting) its controller's `name`."""
    def get(self: RecordWorkflow) -> Any:
        return getattr(self.visit, name)

    def put(self: RecordWorkflow, value: Any) -> None:
        setattr(self.visit, name, value)

    return property(get, put if settable else None,
                    doc=f"The visit's ``{name}`` (:class:`VisitController`).")


class RecordWorkflow(QWidget):
    """The whole record workflow of a session (see the module docstring).

    Parameters
    ----------
    study_dir : Path or None
        Where sessions are written (the app asks for one before starting if None).
    mapping : ScreenMapping
        The canvas calibration (px to mm).

    Signals
    -------
    sessionSaved(str)
        A trial was saved in this session file (path).
    reviewRequested(str, str)
        The therapist asked to review (session path, trial).
    """

    sessionSaved = pyqtSignal(str)
    reviewRequested = pyqtSignal(str, str)

    def __init__(self, study_dir: Path | None, mapping: ScreenMapping,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.visit = VisitController(study_dir, mapping)
        self._ink: dict[str, QPixmap] = {}

        self.setup = SetupPage()
        self.setup.startRequested.connect(self.start_session)
        self.setup.resumeRequested.connect(self.resume_session)
        self.setup.code_edit.line_edit.textChanged.connect(lambda _t: self._offer_resume())
        self.setup.code_edit.line_edit.textChanged.connect(lambda _t: self._prefill())
        self.task_list = QListWidget()
        self.task_list.setMaximumWidth(260)
        self.task_list.currentRowChanged.connect(self._task_clicked)
        self.panel = RecordPanel(mapping)
        self.panel.finished.connect(self._trial_finished)
        self.panel.started.connect(lambda _n: self._set_buttons(recording=True))
        self.start_button = QPushButton("Start trial")
        self.start_button.clicked.connect(self.start_trial)
        self.result = ResultPanel()
        self.result.redoRequested.connect(self.redo)
        self.result.nextRequested.connect(self.next_task)
        self.result.undoRequested.connect(self.undo_redo)
        self.cancel_redo_button = QPushButton("Cancel the redo")
        self.cancel_redo_button.setToolTip("Stop this recording (kept in the file, marked "
                                           "aborted) and keep the earlier trial")
        self.cancel_redo_button.clicked.connect(self.cancel_redo)
        self.cancel_redo_button.hide()
        self.result.reviewRequested.connect(
            lambda trial: self.reviewRequested.emit(str(self.writer.path), trial))
        self.right = QStackedWidget()
        record_page = QWidget()
        rl = QVBoxLayout(record_page)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.panel, 1)
        start_row = QHBoxLayout()
        start_row.addStretch(1)
        start_row.addWidget(self.cancel_redo_button)
        start_row.addWidget(self.start_button)
        rl.addLayout(start_row)
        self.right.addWidget(record_page)
        self.right.addWidget(self.result)
        self.session_label = PlainLabel()  # the protocol's name from its file
        self.finish_button = QPushButton("End session")
        self.finish_button.clicked.connect(self.finish)
        tasks_page = QWidget()
        left = QVBoxLayout()
        left.addWidget(self.session_label)
        left.addWidget(self.task_list, 1)
        left.addWidget(self.finish_button)
        row = QHBoxLayout(tasks_page)
        row.addLayout(left)
        row.addWidget(self.right, 1)

        self.done = DonePage(self.visit)
        self.done.saved.connect(lambda: self.sessionSaved.emit(str(self.writer.path)))
        self.done.new_button.clicked.connect(self.new_session)
        for name in ("done_label", "summary", "entries", "adds_button", "wcrs_button",
                     "event_button", "new_button", "edit_entry_button", "delete_entry_button"):
            setattr(self, name, getattr(self.done, name))  # the names they always had

        self.pages = QStackedWidget()
        self.pages.addWidget(self.setup)
        self.pages.addWidget(tasks_page)
        self.pages.addWidget(self.done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    # ---------------------------------- the visit's state: the controller's, as always named
    study_dir = _visit_state("study_dir")
    mapping = _visit_state("mapping")
    writer = _visit_state("writer")
    protocol = _visit_state("protocol")
    calibration = _visit_state("calibration", settable=False)
    index = _visit_state("index", settable=False)
    trials = _visit_state("trials", settable=False)
    current_spec = _visit_state("current_spec", settable=False)

    def task_result(self, key: str) -> TrialOutcome | None:
        """The trial that is task `key`'s result: its last complete one, else None."""
        return self.visit.task_result(key)

    # ------------------------------------------------------------------ session
    def start_session(self) -> None:
        """Go from setup to the task list (the file is created with the first trial)."""
        if self.study_dir is None:
            show_message(self, "warning", "No study folder", "Open or create a study folder "
                         "first (File ▸ Open study…).")
            return
        code = self.setup.code_edit.code()
        missing = self.setup.missing()
        if code is None or missing:
            show_message(self, "warning", "Cannot start the session",
                         "Fill in first: " + ", ".join(missing) + ".")
            return
        protocol = self.setup.protocol
        self.visit.start(code, protocol, self.setup.metadata_form.values(),
                         self.setup.input_kind)
        self.entries.clear()
        self.task_list.clear()
        for i in range(len(protocol.tasks)):
            self.task_list.addItem(QListWidgetItem(self.visit.task_label(i)))
        self.session_label.setText(f"Patient {code}\n{protocol.label}")
        self.pages.setCurrentIndex(1)
        self._show_task(0)

    def set_patient(self, code: str) -> None:
        """The patient selected at the top of the window: the setup page takes its code
        (and its previous visit's metadata) unless a session is being recorded."""
        if self.writer is not None or self.pages.currentIndex() != 0 or not code:
            return
        if self.setup.code_edit.text() != code:
            self.setup.code_edit.setText(code)  # prefills through textChanged

    def _prefill(self) -> None:
        """Prefill the metadata from the previous visit of the code typed (once per code)."""
        action = self.visit.prefill(self.setup.code_edit.code())
        if action is None:
            return
        if action.values is None:
            self.setup.metadata_form.set_values({})
            self.setup.prefill_label.hide()
        else:
            self.setup.prefill(action.values, action.source)

    def _offer_resume(self) -> None:
        """Offer to continue today's session of the code typed if a crash interrupted it."""
        self.setup.show_interrupted(self.visit.offer_resume(self.setup.code_edit.code()))

    def resume_session(self) -> None:
        """Continue the interrupted visit offered on the setup page: its file is repaired
        (the interrupted trial kept as aborted) and the protocol goes on where it stopped."""
        path = self.visit.interrupted
        if path is None or self.study_dir is None:
            return
        try:
            writer, session = open_interrupted(path)
        except (OSError, InputError) as exc:  # busy, not repairable, disk ...
            show_message(self, "warning", "Cannot continue the visit", _first_line(exc))
            return
        self.start_session()
        if self.protocol is None or self.pages.currentIndex() != 1:
            writer.close()
            return
        index = self.visit.resume(writer, session)
        for i in range(len(self.protocol.tasks)):
            label = self.visit.resumed_label(i)
            if label is not None:
                self.task_list.item(i).setText(label)
        self._show_task(index)
        note = f"\n{writer.repaired.split(': ', 1)[-1]}" if writer.repaired else ""
        self.session_label.setText(f"{self.session_label.text()}\ncontinued: {path.name}{note}")
        self.setup.show_interrupted(None)
        self.visit.interrupted = None

    def _show_task(self, index: int) -> None:
        spec = self.visit.select(index)
        if spec is None:
            return
        self.task_list.blockSignals(True)
        self.task_list.setCurrentRow(index)
        self.task_list.blockSignals(False)
        self.panel.set_task(spec)
        self.right.setCurrentIndex(0)
        self._set_buttons(recording=False)

    def _task_clicked(self, row: int) -> None:
        if row >= 0 and not self.panel.recording:
            self.visit.drop_redo()
            self.cancel_redo_button.hide()
            self._show_task(row)

    def _set_buttons(self, recording: bool) -> None:
        self.start_button.setEnabled(not recording)
        self.task_list.setEnabled(not recording)
        self.finish_button.setEnabled(not recording)

    def start_trial(self) -> str:
        """Record the current task (the Start trial button); "" if it could not start."""
        try:
            writer = self.visit.ensure_writer()
            return self.panel.start(writer, self.setup.input_kind, self.setup.nominal_rate_hz,
                                    feedback=self.setup.feedback(self.visit.calibration),
                                    attrs=self.visit.trial_attrs())
        except (OSError, ValueError) as exc:  # disk full, session busy, bad threshold ...
            show_message(self, "critical", "Cannot record", _first_line(exc))
            return ""

    def _mark_task(self, key: str) -> None:
        if self.protocol is None:
            return
        i = [spec.key for spec in self.protocol.tasks].index(key)
        self.task_list.item(i).setText(self.visit.task_label(i))

    def _trial_finished(self, outcome: TrialOutcome) -> None:
        view = self.visit.trial_finished(outcome)
        self.cancel_redo_button.hide()
        self._ink[outcome.trial] = ink_crop(self.panel.canvas.grab())
        self._mark_task(outcome.spec.key)
        self._show_result(view.outcome, view.note, view.can_undo)
        self._set_buttons(recording=False)
        if self.writer is not None:
            self.sessionSaved.emit(str(self.writer.path))

    def _show_result(self, outcome: TrialOutcome, note: str = "",
                     can_undo: bool = False) -> None:
        self.result.show_outcome(outcome, self.visit.last_task, note=note, can_undo=can_undo)
        ink = self._ink.get(outcome.trial)
        if ink is not None:
            self.result.set_ink(ink)
        self.right.setCurrentIndex(1)

    def redo(self) -> None:
        """Record the task again at once. The earlier trial is marked superseded only if the
        new one is usable (a worse trial never replaces a good one); *Cancel the redo*
        stops it, and *Keep the earlier trial instead* undoes it afterwards."""
        spec = self.current_spec
        if spec is None:
            return
        redo_of = self.visit.begin_redo()
        self.panel.set_task(spec)
        self.right.setCurrentIndex(0)
        self.cancel_redo_button.setVisible(redo_of is not None)
        if not self.start_trial():
            self.cancel_redo_button.hide()
            self.visit.drop_redo()

    def cancel_redo(self) -> None:
        """Stop a redo being recorded (kept, marked aborted) and show the earlier trial."""
        if self.visit.redo_of is None:
            return
        if self.panel.recording:
            self.visit.cancel_redo()
            self.panel.stop(abort_reason="the redo was cancelled")
        else:
            earlier = self.visit.drop_redo()
            self.cancel_redo_button.hide()
            if earlier is not None:
                self._show_result(earlier)

    def undo_redo(self) -> None:
        """Keep the earlier trial instead of its redo (both stay in the file)."""
        if not self.visit.can_undo or self.writer is None:
            return
        try:
            view = self.visit.undo_redo()
        except (OSError, ValueError) as exc:
            show_message(self, "warning", "Cannot undo the redo", _first_line(exc))
            return
        if view is not None:
            self._mark_task(view.outcome.spec.key)
            self._show_result(view.outcome, view.note)
        self.sessionSaved.emit(str(self.writer.path))

    def next_task(self) -> None:
        index = self.visit.next_index()
        if index is None:
            self.finish()
        else:
            self._show_task(index)

    def finish(self) -> None:
        """Show the summary page (clinical scales and events go into this session)."""
        if self.panel.recording:
            self.panel.stop()
        self.done.show_summary(self.visit.done_text(), self.visit.summary_rows(),
                               has_file=self.writer is not None)
        self.pages.setCurrentIndex(2)

    def new_session(self) -> None:
        """Back to the setup page for the next visit: the form is that of the patient's
        visit just recorded, less the visit's own notes."""
        self.visit.close()
        self.pages.setCurrentIndex(0)
        self.visit.prefilled_for = None
        self.setup.metadata_form.set_values({})
        self.setup.prefill_label.hide()
        self._prefill()
        self.setup._update_start()

    # ------------------------------------------------------------------ clinical
    def add_clinical(self, dialog: AddsDialog | WcrsDialog) -> float | None:
        """Run a scale dialog and store its entry in this session; returns the score."""
        return self.done.add_clinical(dialog)

    def edit_entry(self, dialog: AddsDialog | WcrsDialog | None = None) -> float | None:
        """Correct the selected scale entry in its dialog (`dialog` for tests); returns the
        new score, None if cancelled or nothing selected."""
        return self.done.edit_entry(dialog)

    def delete_entry(self) -> bool:
        """Delete the selected scale or event entry (entered by mistake)."""
        return self.done.delete_entry()

    def add_event(self) -> bool:
        """Run the treatment event dialog and store the event in this session."""
        return self.done.add_event()

    def close_session(self, abort_reason: str = "the app was closed during the trial") -> None:
        """End the session: a trial still recording is kept as ``aborted`` (for
        `abort_reason`, every sample written), and the session's writer lock released."""
        if self.panel.recording:
            self.panel.stop(abort_reason=abort_reason)
        self.visit.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
