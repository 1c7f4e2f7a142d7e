"""The recording screen: one task at the tablet, from start to saved trial (Qt side).

:class:`RecordPanel` shows the task (title, instructions, guide drawn to scale), the
:class:`~kinewrite.acquisition.qt.canvas.TabletCanvas` the patient writes on, and a live quality
line (effective rate, dropped and duplicate samples). Starting a trial hands the canvas a
:class:`~kinewrite.acquisition.recorder.TrialRecorder`'s buffer: the recorder's own thread
moves samples to the session file, so a busy GUI thread never delays the disk. The trial ends
by the task's end condition (its duration, the pen staying up, or Esc / the Stop button),
then the panel emits :attr:`RecordPanel.finished` with a :class:`TrialOutcome`: the trial's
name, cached features, quality report and the consistency findings of
:func:`kinewrite.acquisition.checks.check_trial` (judged by
:func:`kinewrite.acquisition.trial_outcome.judge_trial`; :class:`TrialOutcome` lives there).

The panel is used by the protocol workflow (:mod:`kinewrite.gui.workflow`) and by
``kinewrite record`` (:class:`RecordWindow`).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QFont, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..acquisition import trial_outcome
from ..acquisition.calibration.mapping import ScreenMapping
from ..acquisition.feedback import PressureFeedback
from ..acquisition.qt.audio import ToneOutput
from ..acquisition.qt.canvas import TabletCanvas
from ..acquisition.recorder import TrialRecorder
from ..acquisition.tasks import TaskSpec, guide_polylines_mm
from ..acquisition.trial_outcome import TrialOutcome
from ..storage.writer import SessionWriter
from .text import PlainLabel

__all__ = ["RecordPanel", "RecordWindow", "TrialOutcome"]

#: Live quality line refresh period, ms (4 Hz: readable, and costs nothing).
QUALITY_REFRESH_MS = 250


class RecordPanel(QWidget):
    """Record one task: instructions, guide, canvas, live quality, end conditions.

    Parameters
    ----------
    mapping : ScreenMapping
        Writing-surface millimetres per logical pixel of the canvas (the calibration); the
        guide is drawn to this scale.
    parent : QWidget, optional

    Signals
    -------
    started(str)
        A trial began recording (its name).
    finished(object)
        The trial ended and is saved: a :class:`TrialOutcome`.
    """

    started = pyqtSignal(str)
    finished = pyqtSignal(object)
    #: Emitted from the recorder's writer thread when writing fails (queued to the GUI
    #: thread by Qt): the trial is stopped at once, its saved samples kept.
    writerFailed = pyqtSignal(str)

    def __init__(self, mapping: ScreenMapping, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mapping = mapping
        self._spec: TaskSpec | None = None
        self._recorder: TrialRecorder | None = None
        self._writer: SessionWriter | None = None
        self._started_at = 0.0
        self._feedback: PressureFeedback | None = None
        self._tone: ToneOutput | None = None
        self.feedback_note = ""
        self._nominal_rate_hz = float("nan")
        self._wrote = False

        # plain text: a task's title and instructions come from a protocol file, the
        # quality line may quote an error
        self.title = PlainLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.instructions = PlainLabel()
        self.instructions.setWordWrap(True)
        self.instructions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clock = PlainLabel()
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.clock.setMinimumWidth(160)
        self.canvas = TabletCanvas(self)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.quality_label = PlainLabel("Not recording")
        self.quality_label.setObjectName("qualityLine")
        self.stop_button = QPushButton("Stop (Esc)")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.clock)
        foot = QHBoxLayout()
        foot.addWidget(self.quality_label, 1)
        foot.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.instructions)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(foot)

        self.canvas.escapePressed.connect(self.stop)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop)
        self.canvas.penDown.connect(self._pen_down)
        self.canvas.penUp.connect(self._pen_up)
        self._duration_timer = QTimer(self)
        self._duration_timer.setSingleShot(True)
        self._duration_timer.timeout.connect(self.stop)
        self._pen_up_timer = QTimer(self)
        self._pen_up_timer.setSingleShot(True)
        self._pen_up_timer.timeout.connect(self.stop)
        self._refresh = QTimer(self)
        self._refresh.setInterval(QUALITY_REFRESH_MS)
        self._refresh.timeout.connect(self._show_live)
        self.writerFailed.connect(lambda _message: self.stop(),
                                  Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ task
    @property
    def spec(self) -> TaskSpec | None:
        return self._spec

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    @property
    def recorder(self) -> TrialRecorder | None:
        """The recorder of the trial being recorded (None between trials)."""
        return self._recorder

    def set_task(self, spec: TaskSpec) -> None:
        """Show a task (title, instructions, guide) and clear the ink; not yet recording."""
        if self.recording:
            raise RuntimeError("a trial is recording; stop it before changing the task")
        self._spec = spec
        self.title.setText(spec.title)
        self.instructions.setText(spec.instructions.strip())
        self.canvas.clear_ink()
        self._update_guide()
        limit = f"{spec.duration_s:g} s" if spec.duration_s else "no time limit"
        self.clock.setText(limit)

    def guide_polylines_px(self) -> list[np.ndarray]:
        """The task's guide in canvas px for the current canvas size and scale."""
        if self._spec is None:
            return []
        sx, sy = self.mapping.x_mm_per_px, self.mapping.y_mm_per_px
        area_mm = (self.canvas.width() * sx, self.canvas.height() * sy)
        return [line / (sx, sy) for line in guide_polylines_mm(self._spec, area_mm)]

    def _shown_guide_px(self) -> str:
        """The guide shown for this trial, as JSON polylines in canvas px (the unit of the
        x, y channels; the session calibration maps both to mm); "" if none is shown."""
        if self._spec is None or not self._spec.show_guide:
            return ""
        try:
            lines = self.guide_polylines_px()
        except ValueError:  # larger than the canvas: not drawn
            return ""
        return json.dumps([np.round(line, 2).tolist() for line in lines]) if lines else ""

    def _update_guide(self) -> None:
        if self._spec is None or self.canvas.width() < 2:
            return
        try:
            lines = self.guide_polylines_px()
        except ValueError as exc:  # the guide is larger than the canvas: never rescaled
            self.canvas.set_guide(None)
            self.quality_label.setText(f"Guide not shown: {exc}. Enlarge the window.")
            return
        self.canvas.set_guide(lines, visible=self._spec.show_guide)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if not self.recording:  # the guide never moves under a writing pen
            self._update_guide()

    # ------------------------------------------------------------------ recording
    def start(
        self,
        writer: SessionWriter,
        input_kind: str = "tablet",
        nominal_rate_hz: float = float("nan"),
        feedback: PressureFeedback | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> str:
        """Begin recording the current task into `writer`; returns the trial's name."""
        if self._spec is None:
            raise RuntimeError("no task set")
        if self.recording:
            raise RuntimeError("already recording")
        self._update_guide()
        self.canvas.clear_ink()
        spec = self._spec
        trial_attrs = trial_outcome.trial_attrs(
            spec, self.mapping.x_mm_per_px, self.mapping.y_mm_per_px,
            guide_px=self._shown_guide_px(), feedback=feedback, extra=attrs)
        self._writer = writer
        self._feedback = feedback
        self._nominal_rate_hz = float(nominal_rate_hz)
        rate = nominal_rate_hz if math.isfinite(nominal_rate_hz) else None
        recorder = TrialRecorder(writer, spec.task, nominal_rate_hz=rate,
                                 input_kind=input_kind, attrs=trial_attrs,
                                 on_error=lambda exc: self.writerFailed.emit(str(exc)))
        name = recorder.start()
        self._recorder = recorder
        self.canvas.set_sink(recorder.buffer)
        self.canvas.setFocus()
        self._start_feedback(feedback)
        self._started_at = time.monotonic()
        if spec.duration_s:  # a set duration ends the trial whatever else may end it
            self._duration_timer.start(round(spec.duration_s * 1000))
        self._wrote = False
        self.stop_button.setEnabled(True)
        self._refresh.start()
        self._show_live()
        self.started.emit(name)
        return name

    def _start_feedback(self, feedback: PressureFeedback | None) -> None:
        """Auditory pressure feedback from the canvas's latest pressure, if asked for."""
        self.feedback_note = ""
        if feedback is None or feedback.mode == "off":
            return
        value = (f"{feedback.threshold:g} N" if feedback.threshold_unit == "N"
                 else f"{100 * feedback.threshold:.0f} % of range")
        self._tone = ToneOutput(feedback, pressure_source=lambda: self.canvas.current_pressure,
                                parent=self)
        if self._tone.start():
            self.feedback_note = f"feedback: {feedback.mode} above {value}"
        else:
            self.feedback_note = f"feedback {feedback.mode} silent: {self._tone.reason}"

    def _stop_feedback(self) -> None:
        if self._tone is not None:
            self._tone.stop()
            self._tone.deleteLater()
            self._tone = None

    def _pen_down(self) -> None:
        self._wrote = True
        self._pen_up_timer.stop()

    def _pen_up(self) -> None:
        spec = self._spec
        if self.recording and spec is not None and spec.end == "pen_up" and self._wrote:
            self._pen_up_timer.start(round(spec.pen_up_s * 1000))

    def _show_live(self) -> None:
        if self._recorder is None:
            return
        elapsed = time.monotonic() - self._started_at
        spec = self._spec
        if spec is not None and spec.duration_s:
            self.clock.setText(f"{max(spec.duration_s - elapsed, 0.0):4.1f} s left")
        else:
            self.clock.setText(f"{elapsed:4.1f} s")
        q = self._recorder.quality
        text = live_quality_text(q, self.canvas.input_kind)
        self.quality_label.setText(f"{text} · {self.feedback_note}" if self.feedback_note
                                   else text)

    def stop(self, abort_reason: str | None = None) -> TrialOutcome | None:
        """End the trial, save it, emit :attr:`finished`; None if not recording.

        The trial is ``complete`` if the pen touched the surface, else ``aborted``; with
        `abort_reason` (e.g. the app was asked to quit) it is ``aborted`` for that reason,
        every sample kept."""
        recorder = self._recorder
        if recorder is None:
            return None
        self._duration_timer.stop()
        self._pen_up_timer.stop()
        self._refresh.stop()
        self._stop_feedback()
        self.canvas.set_sink(None)
        self._recorder = None
        self.stop_button.setEnabled(False)
        kind = self.canvas.input_kind or "none"
        spec = self._spec
        assert spec is not None
        extra: dict[str, Any] = {"time_base": self.canvas.time_base}
        status = "complete" if self._wrote and abort_reason is None else "aborted"
        if abort_reason is not None:
            extra["abort_reason"] = abort_reason
        elif not self._wrote:
            extra["abort_reason"] = "the pen never touched the surface"
        error = ""
        try:
            result = recorder.stop(status, attrs=extra,
                                   input_kind=kind if kind in ("tablet", "mouse") else None)
        except Exception as exc:  # the writer thread failed (disk full ...): trial aborted
            error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            outcome = TrialOutcome(
                trial=recorder.trial or "", spec=spec, status="aborted", features=None,
                quality=recorder.quality, input_kind=kind, n_samples=recorder.n_written,
                error=error)
            self.quality_label.setText(f"Recording stopped: {error}")
            self.finished.emit(outcome)
            return outcome
        # the checks; a failed one keeps the trial on disk, but not as a result
        outcome = trial_outcome.judge_trial(result, spec, self._nominal_rate_hz, kind,
                                            writer=self._writer, abort_reason=abort_reason)
        verb = "Saved" if outcome.ok else "Kept (not usable)"
        self.quality_label.setText(f"{verb} trial {result.trial}: "
                                   + live_quality_text(result.quality, kind))
        self.finished.emit(outcome)
        return outcome


def live_quality_text(quality: Any, input_kind: str = "") -> str:
    """The live quality line: samples, effective rate, dropped and duplicate samples."""
    if quality is None or getattr(quality, "n_samples", 0) == 0:
        return "Waiting for the pen…" if input_kind != "mouse" else "Waiting for the mouse…"
    rate = quality.effective_rate_hz
    parts = [f"{quality.n_samples} samples",
             f"rate {rate:.0f} Hz" if math.isfinite(rate) else "rate –",
             *([f"dropped ≈{quality.dropped_estimate}"]
               if quality.dropped_estimate is not None and input_kind != "mouse" else []),
             f"duplicates {quality.duplicate_timestamps}",
             f"pauses {quality.gaps}" if input_kind == "mouse" else f"gaps {quality.gaps}"]
    if input_kind == "mouse":
        parts.append("MOUSE (no pressure)")
    return " · ".join(parts)


class RecordWindow(QWidget):
    """A window recording one task, for ``kinewrite record``: ends on Esc or after the time.

    Parameters
    ----------
    writer : SessionWriter
        The session the trial goes into.
    spec : TaskSpec
        The task.
    mapping : ScreenMapping
        Calibration scale of the canvas.
    input_kind : str
        ``tablet`` or ``mouse``.
    nominal_rate_hz : float
        Nominal sample rate of the device (NaN if unknown).
    patient_code : str
        Shown in the title (a code, never a name).
    """

    finished = pyqtSignal(object)

    def __init__(self, writer: SessionWriter, spec: TaskSpec, mapping: ScreenMapping,
                 input_kind: str = "tablet", nominal_rate_hz: float = float("nan"),
                 patient_code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"kinewrite record — {spec.title} — {patient_code}")
        self.panel = RecordPanel(mapping, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.panel)
        self.panel.set_task(spec)
        self.panel.finished.connect(self.finished)
        self._writer = writer
        self._input_kind = input_kind
        self._rate = nominal_rate_hz
        self.outcome: TrialOutcome | None = None
        self.panel.finished.connect(self._keep)

    def _keep(self, outcome: TrialOutcome) -> None:
        self.outcome = outcome

    def begin(self) -> str:
        """Start recording (call once the window is shown, so the guide has its size)."""
        return self.panel.start(self._writer, self._input_kind, self._rate)

    def closeEvent(self, event: Any) -> None:
        self.panel.stop()  # closing the window ends and saves the trial
        super().closeEvent(event)
