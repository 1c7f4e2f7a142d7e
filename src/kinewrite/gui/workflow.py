"""The record workflow: patient code and session metadata, then each task of the protocol.

Three pages:

1. **Session setup** - the patient's code (never a name), the protocol, the input (tablet,
   or the mouse as a marked fallback), the tablet's nominal rate, the auditory pressure
   feedback (mode and threshold, saved with each trial) and the session metadata of
   docs/science.md §8.
2. **Tasks** - the protocol's tasks in order on the left; on the right the recording screen
   (:class:`~kinewrite.gui.record.RecordPanel`) and, as soon as a trial ends, its key numbers
   (stroke frequency, NIV, tremor, mean pressure, sample rate) with the consistency findings
   and *Redo* / *Next task*. A redo marks the earlier trial superseded; nothing is deleted.
3. **Done** - the session summary, clinical scales (ADDS, WCRS) and treatment events.

The session file is created when the first trial starts (no empty sessions), and every
trial is on disk when its results show.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.calibration import (
    PressureProfile,
    ScreenMapping,
    calibration,
    list_profiles,
)
from ..acquisition.checks import key_numbers
from ..acquisition.feedback import FEEDBACK_MODES, PressureFeedback
from ..acquisition.tasks import Protocol, TaskSpec, available_protocols, default_protocol
from ..storage.csv_recording import InputError
from ..storage.session import SessionWriter, load_session
from .clinical import AddsDialog, TreatmentEventDialog, WcrsDialog
from .metadata import PatientCodeEdit, SessionMetadataForm
from .record import RecordPanel, TrialOutcome
from .text import PlainLabel, show_message

__all__ = ["RecordWorkflow"]

_SEVERITY_COLOR = {"error": QColor(170, 20, 20), "warning": QColor(160, 100, 0)}

#: Session fields that must be filled before a session starts (the analysis of a hand
#: cannot be read without knowing which hand wrote).
REQUIRED_FIELDS = ("hand",)
#: The session's ``device`` when the therapist did not name one, by input.
_AUTO_DEVICE = {"mouse": "mouse (fallback)", "tablet": "tablet (Qt tablet events)"}
#: Session fields carried over from the patient's previous visit (what does not change
#: between visits, or changes rarely and is checked, not retyped); the notes and protocol
#: are the visit's own.
CARRIED_FIELDS = ("hand", "handedness", "wc_subtype", "pen_grip", "tremor_present", "eyes",
                  "last_botox_date", "last_botox_muscles", "device", "stylus",
                  "paper_overlay", "operator", "site")


class SetupPage(QWidget):
    """Patient code, protocol, input, feedback and session metadata."""

    startRequested = pyqtSignal()
    resumeRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code_edit = PatientCodeEdit()
        self.protocol_combo = QComboBox()
        for protocol in _protocols():
            self.protocol_combo.addItem(protocol.label, protocol)
        self.tablet_radio = QRadioButton("Tablet (pen pressure, tilt)")
        self.mouse_radio = QRadioButton("Mouse (fallback: no pressure, marked in the file)")
        self.tablet_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.tablet_radio)
        group.addButton(self.mouse_radio)
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(0, 2000)
        self.rate_spin.setDecimals(0)
        self.rate_spin.setSuffix(" Hz")
        self.rate_spin.setSpecialValueText("unknown")
        self.rate_spin.setValue(200)
        self.rate_spin.setToolTip("The tablet's nominal sample rate (its data sheet); the "
                                  "rate check after each trial compares against it")
        self.feedback_combo = QComboBox()
        labels = {"off": "Off", "tone": "Tone (pitch rises with pressure)",
                  "clicks": "Clicks (rate rises with pressure)"}
        for mode in FEEDBACK_MODES:
            self.feedback_combo.addItem(labels.get(mode, mode), mode)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 0.99)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.30)
        self.threshold_spin.setToolTip("Pen pressure (fraction of the tablet's range) above "
                                       "which the patient hears the feedback")
        self.metadata_form = SessionMetadataForm()
        self.start_button = QPushButton("Start session")
        self.start_button.setDefault(True)
        self.start_button.setEnabled(False)
        self.required_label = PlainLabel()  # what is missing before a session can start
        self.required_label.setWordWrap(True)
        self.required_label.setStyleSheet("color: #b00020;")
        self.prefill_label = PlainLabel()  # where the metadata shown came from
        self.prefill_label.setWordWrap(True)
        self.prefill_label.hide()
        self.code_edit.validityChanged.connect(lambda _v: self._update_start())
        self.metadata_form.changed.connect(self._update_start)
        self.start_button.clicked.connect(self.startRequested)
        self.resume_label = PlainLabel()
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Continue the interrupted visit")
        self.resume_button.setToolTip("Record the remaining tasks into today's session that "
                                      "was interrupted (its trials are kept as they are)")
        self.resume_button.clicked.connect(self.resumeRequested)
        self.show_interrupted(None)

        test = QFormLayout()
        test.addRow("Patient code", self.code_edit)
        test.addRow("Protocol", self.protocol_combo)
        inputs = QVBoxLayout()
        inputs.addWidget(self.tablet_radio)
        inputs.addWidget(self.mouse_radio)
        test.addRow("Input", inputs)
        test.addRow("Tablet rate", self.rate_spin)
        test.addRow("Pressure feedback", self.feedback_combo)
        test.addRow("Feedback threshold", self.threshold_spin)
        left = QGroupBox("Writing test")
        left.setLayout(test)
        meta_box = QGroupBox("About this visit")
        scroll = QScrollArea()
        scroll.setWidget(self.metadata_form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        box = QVBoxLayout(meta_box)
        box.addWidget(self.prefill_label)
        box.addWidget(scroll)
        row = QHBoxLayout()
        col = QVBoxLayout()
        col.addWidget(left)
        col.addStretch(1)
        col.addWidget(self.resume_label)
        col.addWidget(self.resume_button)
        col.addWidget(self.required_label)
        col.addWidget(self.start_button)
        row.addLayout(col, 2)
        row.addWidget(meta_box, 3)
        self.setLayout(row)

    def missing(self) -> list[str]:
        """What must still be filled before the session can start (plain labels)."""
        from ..clinical_scales import METADATA_LABELS

        out = [] if self.code_edit.is_valid() else ["the patient code"]
        values = self.metadata_form.values()
        out += [METADATA_LABELS[k].lower() for k in REQUIRED_FIELDS if not values.get(k)]
        return out

    def _update_start(self) -> None:
        missing = self.missing()
        self.start_button.setEnabled(not missing)
        self.required_label.setText("Required: " + ", ".join(missing) if missing else "")
        self.required_label.setVisible(bool(missing))

    def prefill(self, metadata: dict[str, str], source: str) -> None:
        """Fill the carried-over fields from a previous visit's `metadata` (the visit's own
        notes and protocol are left empty); `source` says which visit, shown above."""
        carried = {k: v for k, v in metadata.items() if k in CARRIED_FIELDS}
        if carried.get("device") in _AUTO_DEVICE.values():  # set by the input chosen
            del carried["device"]
        self.metadata_form.set_values(carried)
        self.prefill_label.setText(f"Filled in from {source}: check what changed.")
        self.prefill_label.setVisible(True)
        self._update_start()

    def show_interrupted(self, text: str | None) -> None:
        """Offer to continue an interrupted visit (`text` says which), or hide the offer."""
        self.resume_label.setText(text or "")
        self.resume_label.setVisible(bool(text))
        self.resume_button.setVisible(bool(text))

    @property
    def protocol(self) -> Protocol:
        return self.protocol_combo.currentData()

    @property
    def input_kind(self) -> str:
        return "mouse" if self.mouse_radio.isChecked() else "tablet"

    @property
    def nominal_rate_hz(self) -> float:
        v = self.rate_spin.value()
        return v if v > 0 and self.input_kind == "tablet" else float("nan")

    def feedback(self, cal: Any = None) -> PressureFeedback | None:
        mode = self.feedback_combo.currentData()
        if mode == "off":
            return None
        return PressureFeedback(mode, threshold=self.threshold_spin.value(), calibration=cal)


def _protocols() -> list[Protocol]:
    """Shipped and user protocols; a broken user file is reported, never fatal."""
    errors: list[str] = []
    found = list(available_protocols(errors=errors))
    for message in errors:
        print(f"kinewrite: {message}", file=sys.stderr)
    return found or [default_protocol()]


class ResultPanel(QWidget):
    """A finished trial's key numbers, consistency findings, and Redo / Next."""

    redoRequested = pyqtSignal()
    nextRequested = pyqtSignal()
    undoRequested = pyqtSignal()
    reviewRequested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = PlainLabel()  # the task's title from the protocol file
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Measure", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.findings = QListWidget()
        self.findings.setMaximumHeight(140)
        self.redo_button = QPushButton("Redo this task")
        self.next_button = QPushButton("Next task")
        self.next_button.setDefault(True)
        self.undo_button = QPushButton("Keep the earlier trial instead")
        self.undo_button.setToolTip("Undo the redo: the earlier trial is this task's result "
                                    "again, this one is kept in the file, marked superseded")
        self.undo_button.hide()
        self.note = PlainLabel()  # which trial is this task's result after a redo
        self.note.setWordWrap(True)
        self.note.hide()
        self.review_button = QPushButton("Review trial…")
        self.redo_button.clicked.connect(self.redoRequested)
        self.next_button.clicked.connect(self.nextRequested)
        self.undo_button.clicked.connect(self.undoRequested)
        self.review_button.clicked.connect(lambda: self.reviewRequested.emit(self._trial))
        self._trial = ""
        buttons = QHBoxLayout()
        buttons.addWidget(self.review_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addWidget(self.next_button)
        self.ink_view = PlainLabel()
        self.ink_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ink_view.setMinimumWidth(360)
        self.ink_view.setStyleSheet("border: 1px solid #bbb; background: white")
        self.ink_view.setToolTip("What was written, as on the tablet")
        numbers = QHBoxLayout()
        numbers.addWidget(self.table, 3)
        numbers.addWidget(self.ink_view, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(PlainLabel("Key numbers and what was written"))
        layout.addLayout(numbers, 1)
        layout.addWidget(PlainLabel("Checks"))
        layout.addWidget(self.findings)
        layout.addLayout(buttons)

    def set_ink(self, pixmap: QPixmap) -> None:
        """Show the trial's ink (a grab of the canvas), scaled to fit."""
        self._ink = pixmap
        self._fit_ink()

    def _fit_ink(self) -> None:
        ink = getattr(self, "_ink", None)
        if ink is None or ink.isNull():
            return
        self.ink_view.setPixmap(ink.scaled(
            self.ink_view.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_ink()

    def show_outcome(self, outcome: TrialOutcome, last_task: bool, note: str = "",
                     can_undo: bool = False) -> None:
        """Show a finished trial: its verdict in the heading, key numbers, findings; `note`
        says which trial is the task's result after a redo, `can_undo` offers to keep the
        earlier trial instead. A usable trial makes *Next* the default button, any other
        *Redo*."""
        self._trial = outcome.trial
        self.heading.setText(f"Trial {outcome.trial} — {outcome.spec.title}: "
                             f"{outcome_verdict(outcome)}")
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.undo_button.setVisible(can_undo)
        rows = [(k.label, k.text) for k in key_numbers(outcome.features or {},
                                                           outcome.spec.task)]
        q = outcome.quality
        rows.append(("Samples stored", f"{outcome.n_samples} ({outcome.input_kind})"))
        if q is not None and math.isfinite(getattr(q, "effective_rate_hz", float("nan"))):
            rows.append(("Effective rate (live monitor)", f"{q.effective_rate_hz:.1f} Hz"))
        self.table.setRowCount(len(rows))
        for i, (label, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(label))
            item = QTableWidgetItem(value)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 1, item)
        self.findings.clear()
        if outcome.error:
            item = QListWidgetItem(f"error: {outcome.error}")
            item.setForeground(_SEVERITY_COLOR["error"])
            self.findings.addItem(item)
        for f in outcome.findings:
            item = QListWidgetItem(f"{f.severity}: {f.message}")
            item.setForeground(_SEVERITY_COLOR.get(f.severity, QColor(0, 0, 0)))
            self.findings.addItem(item)
        if self.findings.count() == 0:
            self.findings.addItem("No problem found: the trial looks usable.")
        usable = outcome.ok
        if usable:
            self.next_button.setText("Finish" if last_task else "Next task")
        else:
            self.next_button.setText("Finish without it" if last_task else "Skip this task")
        self.next_button.setDefault(usable)
        self.next_button.setAutoDefault(usable)
        self.redo_button.setDefault(not usable)
        self.redo_button.setAutoDefault(not usable)
        (self.next_button if usable else self.redo_button).setFocus()


def outcome_verdict(outcome: TrialOutcome) -> str:
    """A trial's verdict in plain words: saved, not usable (failed a check), stopped (why),
    or superseded."""
    if outcome.ok:
        return "saved"
    if outcome.status == "superseded":
        return "replaced by a redo (kept in the file)"
    if not outcome.error and any(f.severity == "error" for f in outcome.findings):
        return "not usable, redo it (kept in the file)"
    if outcome.status == "complete":
        return "saved"
    return "stopped early (kept in the file)"


def interrupted_visit(study_dir: Path | None, code: str) -> tuple[Path, Any] | None:
    """Today's (UTC) latest session of patient `code` if a crash left it interrupted (its
    file left open, or a trial never closed): ``(path, summary)``, else None."""
    if study_dir is None or not Path(study_dir, code).is_dir():
        return None
    from datetime import UTC, datetime

    from ..storage.study import study_summaries

    try:
        summaries, _ = study_summaries(study_dir, code, brief=True)
    except (OSError, InputError):
        return None
    today = datetime.now(UTC).date().isoformat()
    latest = summaries[-1] if summaries else None
    if latest is None or not latest.recovery or latest.date != today:
        return None
    return latest.path, latest


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def stylus_profile(stylus: str | None) -> PressureProfile | None:
    """The saved pressure profile of this stylus (by name), if one was calibrated."""
    if not stylus:
        return None
    for profile in list_profiles():
        if profile.stylus.strip().lower() == stylus.strip().lower():
            return profile
    return None


def _ink_crop(pixmap: QPixmap) -> QPixmap:
    """The canvas grab cropped to what was written (plus a margin), guide included."""
    image = pixmap.toImage()
    w, h = image.width(), image.height()
    if w == 0 or h == 0:
        return pixmap
    import numpy as np

    ptr = image.convertToFormat(image.Format.Format_Grayscale8)
    bpl = ptr.bytesPerLine()
    buf = np.frombuffer(ptr.constBits().asstring(bpl * h), np.uint8).reshape(h, bpl)[:, :w]
    ys, xs = np.nonzero(buf < 200)  # ink and guide (light grey guide is ~200)
    if xs.size == 0:
        return pixmap
    m = 20
    x0, x1 = max(int(xs.min()) - m, 0), min(int(xs.max()) + m, w)
    y0, y1 = max(int(ys.min()) - m, 0), min(int(ys.max()) + m, h)
    return pixmap.copy(x0, y0, x1 - x0, y1 - y0)


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
        self.study_dir = study_dir
        self.mapping = mapping
        self.writer: SessionWriter | None = None
        self.calibration = calibration(mapping)
        self.protocol: Protocol | None = None
        self.index = 0
        self.trials: dict[str, list[TrialOutcome]] = {}
        self._redo_of: str | None = None
        self._cancel_redo = False
        self._undo: tuple[str, str] | None = None  # (earlier trial, its redo)
        self._ink: dict[str, QPixmap] = {}

        self.setup = SetupPage()
        self.setup.startRequested.connect(self.start_session)
        self.setup.resumeRequested.connect(self.resume_session)
        self.setup.code_edit.line_edit.textChanged.connect(lambda _t: self._offer_resume())
        self.setup.code_edit.line_edit.textChanged.connect(lambda _t: self._prefill())
        self._prefilled_for: str | None = None
        self._interrupted: Path | None = None
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

        self.done = QWidget()
        self.done_label = PlainLabel()  # the session file's path
        self.done_label.setWordWrap(True)
        self.adds_button = QPushButton("ADDS…")
        self.wcrs_button = QPushButton("WCRS…")
        self.event_button = QPushButton("Treatment event…")
        self.new_button = QPushButton("New session")
        self.adds_button.clicked.connect(lambda: self.add_clinical(AddsDialog(self)))
        self.wcrs_button.clicked.connect(lambda: self.add_clinical(WcrsDialog(self)))
        self.event_button.clicked.connect(self.add_event)
        self.new_button.clicked.connect(self.new_session)
        self.summary = QTableWidget(0, 7)
        self.summary.setHorizontalHeaderLabels(
            ["Trial", "Task", "Status", "Duration", "Rhythm or speed", "Tremor (peak to peak)",
             "Mean pen pressure"])
        self.summary.verticalHeader().setVisible(False)
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.summary.horizontalHeader().setStretchLastSection(True)
        self.entries = QListWidget()
        self.entries.setMaximumHeight(150)
        self.edit_entry_button = QPushButton("Edit entry…")
        self.delete_entry_button = QPushButton("Delete entry")
        self.edit_entry_button.clicked.connect(lambda: self.edit_entry())
        self.delete_entry_button.clicked.connect(lambda: self.delete_entry())
        self.entries.currentRowChanged.connect(lambda _r: self._entry_buttons())
        self._entry_buttons()
        dl = QVBoxLayout(self.done)
        dl.addWidget(self.done_label)
        dl.addWidget(PlainLabel("Trials of this session (superseded trials are kept, marked)"))
        dl.addWidget(self.summary, 1)
        dl.addWidget(PlainLabel("Clinical scales and treatment events entered in this session"))
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entries, 1)
        entry_col = QVBoxLayout()
        entry_col.addWidget(self.edit_entry_button)
        entry_col.addWidget(self.delete_entry_button)
        entry_col.addStretch(1)
        entry_row.addLayout(entry_col)
        dl.addLayout(entry_row)
        buttons = QHBoxLayout()
        for b in (self.adds_button, self.wcrs_button, self.event_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        dl.addLayout(buttons)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.setup)
        self.pages.addWidget(tasks_page)
        self.pages.addWidget(self.done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

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
        self.protocol = self.setup.protocol
        self.index = 0
        self.trials = {}
        self.entries.clear()
        self.task_list.clear()
        for spec in self.protocol.tasks:
            self.task_list.addItem(QListWidgetItem(f"○  {spec.title}"))
        self.session_label.setText(f"Patient {code}\n{self.protocol.label}")
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
        code = self.setup.code_edit.code()
        if code is None or code == self._prefilled_for:
            return
        last = self._previous_visit(code)
        if last is None:
            if self._prefilled_for is not None:  # the form holds another patient's visit
                self.setup.metadata_form.set_values({})
                self.setup.prefill_label.hide()
                self._prefilled_for = None
            return
        self._prefilled_for = code
        self.setup.prefill(dict(last.metadata), f"the visit of {last.date}")

    def _previous_visit(self, code: str) -> Any:
        """The latest session summary of `code` holding metadata, else None."""
        if self.study_dir is None or not Path(self.study_dir, code).is_dir():
            return None
        from ..storage.study import read_session_summary, study_summaries

        try:
            summaries, _ = study_summaries(self.study_dir, code, brief=True)
            for summary in reversed(summaries):  # brief summaries hold no metadata
                full = read_session_summary(summary.path)
                if full.metadata:
                    return full
        except (OSError, InputError):
            return None
        return None

    def _offer_resume(self) -> None:
        """Offer to continue today's session of the code typed if a crash interrupted it."""
        self._interrupted = None
        code = self.setup.code_edit.code()
        found = interrupted_visit(self.study_dir, code) if code else None
        if found is None:
            self.setup.show_interrupted(None)
            return
        self._interrupted, summary = found
        done = sum(t.status in ("complete", "superseded") for t in summary.trials)
        self.setup.show_interrupted(
            f"Today's visit of {code} was interrupted (the app or the computer stopped) after "
            f"{done} saved trial(s); every saved trial is kept. Continue it, or start a new "
            "session.")

    def resume_session(self) -> None:
        """Continue the interrupted visit offered on the setup page: its file is repaired
        (the interrupted trial kept as aborted) and the protocol goes on where it stopped."""
        path = self._interrupted
        if path is None or self.study_dir is None:
            return
        try:
            writer = SessionWriter.open(path)
            session = load_session(path)
        except (OSError, InputError) as exc:  # busy, not repairable, disk ...
            show_message(self, "warning", "Cannot continue the visit", _first_line(exc))
            return
        self.start_session()
        if self.protocol is None or self.pages.currentIndex() != 1:
            writer.close()
            return
        self.writer = writer
        self.calibration = session.calibration
        specs = {spec.key: spec for spec in self.protocol.tasks}
        for trial in session.trials:
            spec = specs.get(str(trial.attrs.get("protocol_task", "")))
            if spec is None or trial.status == "superseded":
                continue
            outcome = TrialOutcome(trial=trial.name, spec=spec, status=trial.status,
                                   features=trial.features, quality=None,
                                   input_kind=trial.input, n_samples=trial.n_samples,
                                   error=str(trial.attrs.get("abort_reason", "")))
            self.trials.setdefault(spec.key, []).append(outcome)
        for i, spec in enumerate(self.protocol.tasks):
            outcomes = self.trials.get(spec.key)
            if outcomes:
                mark = "●" if outcomes[-1].status == "complete" else "⚠"
                self.task_list.item(i).setText(f"{mark}  {spec.title}")
        pending = [i for i, spec in enumerate(self.protocol.tasks)
                   if not any(o.status == "complete" for o in self.trials.get(spec.key, ()))]
        self._show_task(pending[0] if pending else len(self.protocol.tasks) - 1)
        note = f"\n{writer.repaired.split(': ', 1)[-1]}" if writer.repaired else ""
        self.session_label.setText(f"{self.session_label.text()}\ncontinued: {path.name}{note}")
        self.setup.show_interrupted(None)
        self._interrupted = None

    def _ensure_writer(self) -> SessionWriter:
        if self.writer is None:
            meta = self.setup.metadata_form.values()
            meta["protocol"] = self.protocol.label if self.protocol else ""
            meta.setdefault("device", _AUTO_DEVICE[self.setup.input_kind])
            code = self.setup.code_edit.code()
            self.calibration = calibration(self.mapping, stylus_profile(meta.get("stylus")))
            self.writer = SessionWriter.create(self.study_dir, code, metadata=meta,
                                               calibration=self.calibration)
        return self.writer

    @property
    def current_spec(self) -> TaskSpec | None:
        if self.protocol is None or not 0 <= self.index < len(self.protocol.tasks):
            return None
        return self.protocol.tasks[self.index]

    def _show_task(self, index: int) -> None:
        self.index = index
        spec = self.current_spec
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
            self._redo_of = None
            self.cancel_redo_button.hide()
            self._show_task(row)

    def _set_buttons(self, recording: bool) -> None:
        self.start_button.setEnabled(not recording)
        self.task_list.setEnabled(not recording)
        self.finish_button.setEnabled(not recording)

    def start_trial(self) -> str:
        """Record the current task (the Start trial button); "" if it could not start."""
        try:
            writer = self._ensure_writer()
            attrs = {"redo_of": self._redo_of} if self._redo_of else None
            return self.panel.start(writer, self.setup.input_kind, self.setup.nominal_rate_hz,
                                    feedback=self.setup.feedback(self.calibration),
                                    attrs=attrs)
        except (OSError, ValueError) as exc:  # disk full, session busy, bad threshold ...
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            show_message(self, "critical", "Cannot record", message)
            return ""

    def _outcome(self, trial: str) -> TrialOutcome | None:
        return next((o for v in self.trials.values() for o in v if o.trial == trial), None)

    def task_result(self, key: str) -> TrialOutcome | None:
        """The trial that is task `key`'s result: its last complete one, else None."""
        done = [o for o in self.trials.get(key, []) if o.status == "complete"]
        return done[-1] if done else None

    def _mark_task(self, key: str) -> None:
        if self.protocol is None:
            return
        i = [spec.key for spec in self.protocol.tasks].index(key)
        n = len(self.trials.get(key, []))
        mark = "●" if self.task_result(key) is not None else "⚠"
        redo = f" (×{n})" if n > 1 else ""
        self.task_list.item(i).setText(f"{mark}  {self.protocol.tasks[i].title}{redo}")

    def _trial_finished(self, outcome: TrialOutcome) -> None:
        earlier = self._outcome(self._redo_of) if self._redo_of else None
        cancelled, self._cancel_redo = self._cancel_redo, False
        self._redo_of = None
        self._undo = None
        self.cancel_redo_button.hide()
        self.trials.setdefault(outcome.spec.key, []).append(outcome)
        self._ink[outcome.trial] = _ink_crop(self.panel.canvas.grab())
        note, can_undo = "", False
        if earlier is not None and cancelled:
            note = (f"Redo cancelled: trial {outcome.trial} is kept in the file, marked "
                    f"aborted; trial {earlier.trial} is unchanged.")
            outcome = earlier
        elif earlier is not None and outcome.ok and self.writer is not None:
            self.writer.supersede(earlier.trial, by=outcome.trial)
            earlier.status = "superseded"
            self._undo = (earlier.trial, outcome.trial)
            note = (f"This trial replaces trial {earlier.trial}, which is kept in the file, "
                    "marked superseded.")
            can_undo = True
        elif earlier is not None and earlier.status == "complete":
            note = (f"Trial {earlier.trial} stays this task's result: this redo is not "
                    "usable, so it replaces nothing.")
        self._mark_task(outcome.spec.key)
        self._show_result(outcome, note, can_undo)
        self._set_buttons(recording=False)
        if self.writer is not None:
            self.sessionSaved.emit(str(self.writer.path))

    def _show_result(self, outcome: TrialOutcome, note: str = "",
                     can_undo: bool = False) -> None:
        last = self.protocol is not None and self.index == len(self.protocol.tasks) - 1
        self.result.show_outcome(outcome, last, note=note, can_undo=can_undo)
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
        outcomes = self.trials.get(spec.key, [])
        earlier = self.task_result(spec.key) or (outcomes[-1] if outcomes else None)
        self._redo_of = earlier.trial if earlier is not None else None
        self.panel.set_task(spec)
        self.right.setCurrentIndex(0)
        self.cancel_redo_button.setVisible(self._redo_of is not None)
        if not self.start_trial():
            self.cancel_redo_button.hide()
            self._redo_of = None

    def cancel_redo(self) -> None:
        """Stop a redo being recorded (kept, marked aborted) and show the earlier trial."""
        if self._redo_of is None:
            return
        if self.panel.recording:
            self._cancel_redo = True
            self.panel.stop(abort_reason="the redo was cancelled")
        else:
            earlier = self._outcome(self._redo_of)
            self._redo_of = None
            self.cancel_redo_button.hide()
            if earlier is not None:
                self._show_result(earlier)

    def undo_redo(self) -> None:
        """Keep the earlier trial instead of its redo (both stay in the file)."""
        if self._undo is None or self.writer is None:
            return
        earlier_name, redo_name = self._undo
        try:
            self.writer.reinstate(earlier_name, instead_of=redo_name)
        except (OSError, ValueError) as exc:
            show_message(self, "warning", "Cannot undo the redo", _first_line(exc))
            return
        self._undo = None
        earlier, redo = self._outcome(earlier_name), self._outcome(redo_name)
        if redo is not None:
            redo.status = "superseded"
        if earlier is not None:
            earlier.status = "complete"
            self._mark_task(earlier.spec.key)
            self._show_result(earlier, f"Trial {earlier_name} is this task's result again; "
                              f"trial {redo_name} is kept in the file, marked superseded.")
        self.sessionSaved.emit(str(self.writer.path))

    def next_task(self) -> None:
        if self.protocol is not None and self.index + 1 < len(self.protocol.tasks):
            self._show_task(self.index + 1)
        else:
            self.finish()

    def finish(self) -> None:
        """Show the summary page (clinical scales and events go into this session)."""
        if self.panel.recording:
            self.panel.stop()
        n = sum(len(v) for v in self.trials.values())
        path = self.writer.path if self.writer else "no file (no trial recorded)"
        self.done_label.setText(
            f"Session finished: {n} trial(s) recorded.\n{path}\n\nAdd the clinical scales and "
            "any treatment event of this visit, or start a new session.")
        for b in (self.adds_button, self.wcrs_button, self.event_button):
            b.setEnabled(self.writer is not None)
        self._fill_summary()
        self.pages.setCurrentIndex(2)

    def _fill_summary(self) -> None:
        """One row per trial recorded, in the order recorded, with its key numbers."""
        outcomes = sorted((o for v in self.trials.values() for o in v), key=lambda o: o.trial)
        self.summary.setRowCount(len(outcomes))
        for row, o in enumerate(outcomes):
            numbers = {k.feature_name: k.text for k in key_numbers(o.features, o.spec.task)}
            rhythm = numbers.get("stroke_frequency_hz", numbers.get("speed_mean_mm_s", "–"))
            tremor = numbers.get("tremor_amplitude_pp_mm", "–")
            if numbers.get("tremor_detected") == "no":
                tremor = "none detected"
            status = {"complete": "saved", "superseded": "replaced by a redo"}.get(
                o.status, "stopped early" if o.error else "not usable (failed a check)")
            cells = [o.trial, o.spec.title, status, numbers.get("duration_s", "–"), rhythm,
                     tremor, numbers.get("pressure_mean", "–")]
            for col, text in enumerate(cells):
                self.summary.setItem(row, col, QTableWidgetItem(str(text)))

    def new_session(self) -> None:
        """Back to the setup page for the next visit: the form is that of the patient's
        visit just recorded, less the visit's own notes."""
        if self.writer is not None:
            self.writer.close()
        self.writer = None
        self.pages.setCurrentIndex(0)
        self._prefilled_for = None
        self.setup.metadata_form.set_values({})
        self.setup.prefill_label.hide()
        self._prefill()
        self.setup._update_start()

    # ------------------------------------------------------------------ clinical
    def add_clinical(self, dialog: AddsDialog | WcrsDialog) -> float | None:
        """Run a scale dialog and store its entry in this session; returns the score."""
        if self.writer is None:
            return None
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        entry = dialog.clinical_entry()
        score = self.writer.add_clinical(**entry)
        self._fill_entries()
        self.sessionSaved.emit(str(self.writer.path))
        return score

    def _fill_entries(self) -> None:
        """List this session's scales and events as stored (each editable or deletable)."""
        self.entries.clear()
        if self.writer is None:
            return
        session = load_session(self.writer.path)
        for c in session.clinical:
            unit = " %" if c.scale == "ADDS" else " of 30 points"
            item = QListWidgetItem(f"{c.scale} {c.score:.1f}{unit}, rated {c.date} by "
                                   f"{c.rater or '(no rater)'}")
            item.setData(Qt.ItemDataRole.UserRole, ("clinical", c.name))
            self.entries.addItem(item)
        for i, e in enumerate(session.events):
            item = QListWidgetItem(f"{e.kind.replace('_', ' ')} on {e.date}"
                                   + (f", {e.dose_units:g} U" if e.dose_units else ""))
            item.setData(Qt.ItemDataRole.UserRole, ("event", i))
            self.entries.addItem(item)
        self._entry_buttons()

    def _entry_buttons(self) -> None:
        item = self.entries.currentItem()
        kind = item.data(Qt.ItemDataRole.UserRole)[0] if item is not None else None
        self.edit_entry_button.setEnabled(kind == "clinical")
        self.delete_entry_button.setEnabled(kind is not None)

    def edit_entry(self, dialog: AddsDialog | WcrsDialog | None = None) -> float | None:
        """Correct the selected scale entry in its dialog (`dialog` for tests); returns the
        new score, None if cancelled or nothing selected."""
        item = self.entries.currentItem()
        if item is None or self.writer is None:
            return None
        kind, name = item.data(Qt.ItemDataRole.UserRole)
        if kind != "clinical":
            return None
        entry = next(c for c in load_session(self.writer.path).clinical if c.name == name)
        dialog = dialog or (AddsDialog(self) if entry.scale == "ADDS" else WcrsDialog(self))
        dialog.set_entry(entry)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        score = self.writer.replace_clinical(name, **dialog.clinical_entry())
        self._fill_entries()
        self.sessionSaved.emit(str(self.writer.path))
        return score

    def delete_entry(self) -> bool:
        """Delete the selected scale or event entry (entered by mistake)."""
        item = self.entries.currentItem()
        if item is None or self.writer is None:
            return False
        kind, key = item.data(Qt.ItemDataRole.UserRole)
        if kind == "clinical":
            self.writer.remove_clinical(key)
        else:
            self.writer.remove_event(key)
        self._fill_entries()
        self.sessionSaved.emit(str(self.writer.path))
        return True

    def add_event(self) -> bool:
        if self.writer is None:
            return False
        dialog = TreatmentEventDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        kwargs = dialog.event_kwargs()
        self.writer.add_event(**kwargs)
        self._fill_entries()
        self.sessionSaved.emit(str(self.writer.path))
        return True

    def close_session(self, abort_reason: str = "the app was closed during the trial") -> None:
        """End the session: a trial still recording is kept as ``aborted`` (for
        `abort_reason`, every sample written), and the session's writer lock released."""
        if self.panel.recording:
            self.panel.stop(abort_reason=abort_reason)
        if self.writer is not None:
            self.writer.close()
            self.writer = None

