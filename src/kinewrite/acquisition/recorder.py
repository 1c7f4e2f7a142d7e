"""Record one trial: sample buffer -> session file on a background thread (no Qt).

The GUI thread only pushes samples into the recorder's :class:`SampleBuffer` (the tablet
canvas does it in its event handler). A writer thread drains the buffer every
``drain_interval_s`` (50 ms), appends the block to the session file (which flushes at least
every ``flush_interval_s`` of the :class:`SessionWriter`, 0.1 s by default) and updates the
:class:`QualityMonitor`. Disk writes and flushes therefore never run on the GUI thread and go
on while it is busy; a crash loses at most about drain + flush interval (~0.15 s).

Errors of the writer thread (a full disk above all: :class:`DiskSpaceError`, after which the
writer has already closed the trial as ``aborted`` with every sample it got) are never
swallowed: the thread stops writing, keeps the exception in :attr:`TrialRecorder.error`,
calls ``on_error`` (from the writer thread), and :meth:`TrialRecorder.stop` raises it.

Input kind: the trial is begun with the kind the caller expects (``"tablet"``), and
:meth:`TrialRecorder.stop` may correct it (``input_kind=canvas.input_kind``), since only
after the trial does one know that a canvas saw nothing but mouse events; it is stored as the
trial attribute ``input``, which :func:`~kinewrite.storage.reader.load_session` reads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..storage.schema import CHANNELS
from ..storage.writer import SessionWriter
from ..trial_features import finish_trial
from .buffer import SampleBuffer
from .quality import QualityMonitor, QualityReport

__all__ = ["RecorderError", "TrialRecorder", "TrialResult"]

INPUT_KINDS = ("tablet", "mouse", "import", "simulated")


class RecorderError(RuntimeError):
    """The recorder was used out of order (stop before start, start twice)."""


@dataclass(frozen=True)
class TrialResult:
    """What :meth:`TrialRecorder.stop` returns.

    Attributes
    ----------
    trial : str
        The trial's name in the session (``"001"`` ...).
    status : str
        ``complete`` or ``aborted``.
    features : dict or None
        The trial's features (None when aborted, empty, or not analyzable).
    quality : QualityReport
    n_samples : int
        Samples written to the file.
    input_kind : str
        The ``input`` attribute stored with the trial.
    """

    trial: str
    status: str
    features: dict[str, float] | None
    quality: QualityReport
    n_samples: int
    input_kind: str


class TrialRecorder:
    """Records one trial of a session from a sample buffer, writing on a background thread.

    Parameters
    ----------
    writer : SessionWriter
        An open session writer with no trial recording.
    task : str
        One of :data:`kinewrite.model.TASKS`.
    nominal_rate_hz : float or None
        The device's nominal rate in Hz (None: unknown, e.g. a mouse).
    input_kind : str, default "tablet"
        ``tablet``, ``mouse``, ``import`` or ``simulated``; may be corrected at :meth:`stop`.
    attrs : mapping, optional
        Trial attributes stored at the start (feedback settings, guide, calibration notes...).
    buffer : SampleBuffer, optional
        The buffer to drain (a new one by default; give :attr:`buffer` to the canvas).
    drain_interval_s : float, default 0.05
        Period of the writer thread in s.
    compute_features : bool, default True
        Compute and cache the trial's features when it completes.
    on_error : callable, optional
        Called with the exception if the writer thread fails; runs on the writer thread
        (a Qt caller should emit a signal from it, not touch widgets).

    Examples
    --------
    ::

        rec = TrialRecorder(writer, "spiral", 133.0)
        canvas.set_sink(rec.buffer)
        rec.start()
        ...                                   # the patient writes; rec.quality is live
        canvas.set_sink(None)
        result = rec.stop(input_kind=canvas.input_kind)
    """

    def __init__(
        self,
        writer: SessionWriter,
        task: str,
        nominal_rate_hz: float | None = None,
        input_kind: str = "tablet",
        attrs: Mapping[str, Any] | None = None,
        buffer: SampleBuffer | None = None,
        drain_interval_s: float = 0.05,
        compute_features: bool = True,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        _check_kind(input_kind)
        if not drain_interval_s > 0:
            raise ValueError(f"drain_interval_s must be > 0 s, got {drain_interval_s}")
        self.writer = writer
        self.task = task
        self.nominal_rate_hz = nominal_rate_hz
        self.input_kind = input_kind
        self.attrs = dict(attrs or {})
        self.buffer = buffer if buffer is not None else SampleBuffer()
        self.drain_interval_s = float(drain_interval_s)
        self.compute_features = compute_features
        self.on_error = on_error
        self._monitor = QualityMonitor(nominal_rate_hz)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._trial: str | None = None
        self._written = 0
        self._error: BaseException | None = None
        self._finished = False

    # ------------------------------------------------------------------ state
    @property
    def trial(self) -> str | None:
        """The trial's name once started."""
        return self._trial

    @property
    def running(self) -> bool:
        """Started and not yet stopped."""
        return self._trial is not None and not self._finished

    @property
    def n_written(self) -> int:
        """Samples written to the file so far."""
        return self._written

    @property
    def error(self) -> BaseException | None:
        """The writer thread's exception, if it failed (the trial is then no longer written)."""
        return self._error

    @property
    def failed(self) -> bool:
        """Whether the writer thread failed."""
        return self._error is not None

    @property
    def quality(self) -> QualityReport:
        """Stream quality of the samples written so far (thread-safe snapshot)."""
        return self._monitor.snapshot()

    # ------------------------------------------------------------------ life cycle
    def start(self) -> str:
        """Begin the trial in the session file and start the writer thread.

        Returns
        -------
        str
            The trial's name.

        Raises
        ------
        RecorderError
            If already started.
        DiskSpaceError, ValueError, RuntimeError
            From :meth:`SessionWriter.begin_trial` (too little disk, unknown task, a trial
            already recording); nothing is started then.
        """
        if self._trial is not None:
            raise RecorderError("this recorder has already started its trial")
        rate = float("nan") if self.nominal_rate_hz is None else float(self.nominal_rate_hz)
        self._trial = self.writer.begin_trial(self.task, nominal_rate_hz=rate,
                                              input_kind=self.input_kind,
                                              channels=tuple(CHANNELS), attrs=self.attrs)
        self._thread = threading.Thread(target=self._run, name=f"kinewrite-trial-{self._trial}",
                                        daemon=True)
        self._thread.start()
        return self._trial

    def stop(self, status: str = "complete", attrs: Mapping[str, Any] | None = None,
             input_kind: str | None = None) -> TrialResult:
        """Write the last samples and close the trial.

        Parameters
        ----------
        status : str, default "complete"
            ``complete`` or ``aborted`` (features are computed only for a complete trial).
        attrs : mapping, optional
            Trial attributes to add (e.g. the canvas ``time_base``).
        input_kind : str, optional
            Correct the stored ``input`` attribute (e.g. ``"mouse"``); None or ``""`` (a
            canvas that received nothing) keeps the kind given at construction.

        Returns
        -------
        TrialResult

        Raises
        ------
        RecorderError
            If the trial was never started or is already stopped.
        BaseException
            The writer thread's error, if it failed (after the trial was closed as
            ``aborted`` with every sample written before the failure).
        """
        if self._trial is None:
            raise RecorderError("the trial was never started")
        if self._finished:
            raise RecorderError(f"trial {self._trial} is already stopped")
        if status not in ("complete", "aborted"):
            raise ValueError(f"status must be 'complete' or 'aborted', got {status!r}")
        if input_kind:
            _check_kind(input_kind)
            self.input_kind = input_kind
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._finished = True
        if self._error is None:
            try:
                self._drain_once()
            except BaseException as exc:
                self._error = exc
        if self._error is not None:
            self._close_after_error()
            raise self._error
        report = self._monitor.snapshot()
        extra: dict[str, Any] = {"input": self.input_kind}
        extra.update(_quality_attrs(report))
        extra.update(attrs or {})
        features = finish_trial(
            self.writer, status,
            compute_features=self.compute_features and status == "complete", attrs=extra)
        return TrialResult(self._trial, status, features, report, self._written,
                           self.input_kind)

    def abort(self, reason: str) -> TrialResult:
        """Stop and mark the trial ``aborted`` with ``abort_reason`` (samples are kept)."""
        return self.stop("aborted", attrs={"abort_reason": str(reason)})

    # ------------------------------------------------------------------ private
    def _run(self) -> None:
        try:
            while not self._stop.wait(self.drain_interval_s):
                self._drain_once()
        except BaseException as exc:  # surfaced by stop() and on_error, never swallowed
            self._error = exc
            if self.on_error is not None:
                with contextlib.suppress(Exception):  # its own failure must not hide exc
                    self.on_error(exc)

    def _drain_once(self) -> None:
        block = self.buffer.drain()
        if block["t"].size:
            self.writer.append(**block)
            self._written += int(block["t"].size)
            self._monitor.update_block(block)
        else:
            self.writer.flush_if_due()

    def _close_after_error(self) -> None:
        """Close the trial as aborted if the failing writer left it open."""
        if self.writer.recording:
            with contextlib.suppress(Exception):  # the original error is the one to report
                self.writer.end_trial("aborted", attrs={
                    "abort_reason": f"recording failed: {self._error}",
                    "input": self.input_kind})


def _check_kind(kind: str) -> None:
    if kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")


def _quality_attrs(report: QualityReport) -> dict[str, float | int]:
    """The report as trial attributes ``quality_<field>`` (None values left out)."""
    return {f"quality_{k}": v for k, v in report.to_dict().items()
            if v is not None and k != "nominal_rate_hz"}
