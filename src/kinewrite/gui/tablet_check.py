"""Tools > Test tablet: a few seconds of pen use, then what the tablet delivers (Qt side).

The dialog shows a canvas the therapist (or patient) writes and hovers on for
``seconds`` (10 by default), collects the samples the canvas records (the same
:class:`~kinewrite.acquisition.qt.canvas.TabletCanvas` a recording uses) and the device's name
and capabilities from the tablet events, then shows the report of
:func:`kinewrite.acquisition.tablet_check.check_tablet` with its verdict. Nothing is saved.
``kinewrite tablet-check`` opens the same dialog and prints the report.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtGui import QInputDevice, QTabletEvent
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from ..acquisition.buffer import SampleBuffer
from ..acquisition.qt.canvas import TabletCanvas
from ..acquisition.tablet_check import TabletReport, check_tablet
from .text import PlainLabel

__all__ = ["TabletCheckDialog"]

_TILT = QInputDevice.Capability.XTilt


class _DeviceCanvas(TabletCanvas):
    """The recording canvas, also noting the name and tilt capability of the tablet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device_name = ""
        self.tilt_capable: bool | None = None

    def tabletEvent(self, event: QTabletEvent) -> None:
        device = event.pointingDevice()
        if device is not None and not self.device_name:
            self.device_name = device.name()
            self.tilt_capable = bool(device.capabilities() & _TILT)
        super().tabletEvent(event)


class TabletCheckDialog(QDialog):
    """Write and hover on the area for `seconds`; then the report and verdict.

    Parameters
    ----------
    parent : QWidget, optional
    seconds : float, default 10
        Length of the test, counted from the first pen event.
    nominal_rate_hz : float, optional
        The tablet's nominal rate (for the lost-event count).

    Signals
    -------
    reported(object)
        The :class:`TabletReport`, when the test ends.
    """

    reported = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None, seconds: float = 10.0,
                 nominal_rate_hz: float | None = None) -> None:
        super().__init__(parent)
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"seconds must be positive, got {seconds}")
        self.setWindowTitle("kinewrite tablet check")
        self.seconds = float(seconds)
        self.nominal_rate_hz = nominal_rate_hz
        self.report: TabletReport | None = None
        self.prompt = PlainLabel(f"Write and move the pen over the area below (touching and "
                                 f"in the air) for {self.seconds:g} s. The test starts with "
                                 "the first pen movement.")
        self.prompt.setWordWrap(True)
        self.canvas = _DeviceCanvas(self)
        self.canvas.setMinimumSize(480, 320)
        self.result = PlainLabel("")
        self.result.setWordWrap(True)
        self.result.setObjectName("tabletReport")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self._buffer = SampleBuffer()
        self.canvas.set_sink(self._buffer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.finish)
        self.canvas.sampleCount.connect(self._first_sample)

    def _first_sample(self, count: int) -> None:
        if count > 0 and not self._timer.isActive() and self.report is None:
            self._timer.start(round(self.seconds * 1000))
            self.prompt.setText(f"Testing for {self.seconds:g} s: keep writing and hovering…")

    def finish(self) -> TabletReport:
        """End the test now and show the report (also called when the time is up)."""
        if self.report is not None:
            return self.report
        self._timer.stop()
        self.canvas.set_sink(None)
        block = self._buffer.drain()
        c = self.canvas
        self.report = check_tablet(
            block["t"], block["state"], block["pressure"], block["pointer"],
            block["tilt_x"], block["tilt_y"], block["host_time"], device_name=c.device_name,
            time_base=c.time_base, tilt_capable=c.tilt_capable,
            nominal_rate_hz=self.nominal_rate_hz)
        self.prompt.setText("Test finished.")
        self.result.setText("\n".join(self.report.lines()))
        self.reported.emit(self.report)
        return self.report

    def done(self, code: int) -> None:
        self.canvas.set_sink(None)  # the application event filter goes with it
        super().done(code)
