"""A synthetic pen: writes a recording onto a tablet canvas as real ``QTabletEvent``s (Qt).

Used by the GUI tests, the screenshot script and the acquisition benchmark to drive the real
canvas without a tablet. Events are built with a registered ``QPointingDevice`` (a stylus)
and sent through Qt's event dispatch, so they take the exact path a tablet's events take.

Synthesized events carry timestamp 0 (PyQt6 cannot set it), so the canvas stamps them on
receipt with its host clock. To give them the recording's timing, :meth:`SyntheticPen.write`
runs the canvas on a pen clock (``clock_ns``) that it advances sample by sample: the times
go through the same path a recording uses, only the clock is the pen's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PyQt6.QtWidgets import QApplication, QWidget

from ..acquisition.calibration.mapping import ScreenMapping
from ..acquisition.qt import canvas as canvas_module
from ..model import Recording

__all__ = ["SyntheticPen"]

_CAPS = (QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
         | QInputDevice.Capability.XTilt | QInputDevice.Capability.YTilt
         | QInputDevice.Capability.Rotation)
_DEVICE: QPointingDevice | None = None


def _stylus() -> QPointingDevice:
    global _DEVICE
    if _DEVICE is None:  # one device for the process: events keep a pointer to it
        _DEVICE = QPointingDevice("kinewrite synthetic pen", 7301, QInputDevice.DeviceType.Stylus,
                                  QPointingDevice.PointerType.Pen, _CAPS, 1, 3)
    return _DEVICE


class _PenClock:
    """Stands in for the ``time`` module inside the canvas while the pen writes."""

    def __init__(self) -> None:
        self.ns = time.perf_counter_ns()

    def perf_counter_ns(self) -> int:
        return self.ns

    @staticmethod
    def time() -> float:
        return time.time()


class SyntheticPen:
    """Write recordings on a canvas with tablet events.

    Parameters
    ----------
    canvas : TabletCanvas
        The widget to write on.
    mapping : ScreenMapping
        mm per px of the canvas: the recording's mm become canvas px through it.
    origin_px : (float, float), default (60, 60)
        Canvas px where the recording's top-left (min x, max y) lands.
    """

    def __init__(self, canvas: QWidget, mapping: ScreenMapping,
                 origin_px: tuple[float, float] = (60.0, 60.0)) -> None:
        self.canvas = canvas
        self.mapping = mapping
        self.origin_px = origin_px
        self.clock = _PenClock()
        self._was_down = False

    @contextmanager
    def _on_pen_clock(self) -> Iterator[None]:
        saved = canvas_module.time
        canvas_module.time = self.clock
        try:
            yield
        finally:
            canvas_module.time = saved

    def to_px(self, rec: Recording, center_px: tuple[float, float] | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
        """Canvas px of a recording's positions (y down): its top-left at :attr:`origin_px`,
        or the centre of its bounding box at `center_px`."""
        x = (rec.x - rec.x.min()) / self.mapping.x_mm_per_px
        y = (rec.y.max() - rec.y) / self.mapping.y_mm_per_px
        if center_px is None:
            return x + self.origin_px[0], y + self.origin_px[1]
        return x + center_px[0] - x.max() / 2, y + center_px[1] - y.max() / 2

    def write(self, rec: Recording, tilt_deg: tuple[float, float] = (12.0, -8.0),
              center_px: tuple[float, float] | None = None) -> int:
        """Send the recording: press where the pen goes down, moves, release where it lifts.

        Pen-up samples become hover moves; a pen still down at the end is lifted (one more
        event, at the last position). Returns the number of events sent.
        """
        x, y = self.to_px(rec, center_px)
        down = rec.pen_down if rec.pen_down is not None else np.ones(rec.t.size, bool)
        pressure = rec.pressure if rec.pressure is not None else np.where(down, 0.5, 0.0)
        t_ns = self.clock.ns + np.round((rec.t - rec.t[0]) * 1e9).astype(np.int64)
        self._was_down = False
        sent = self.send(x, y, t_ns, down, pressure, tilt_deg, lift_at_end=True)
        self.clock.ns = int(t_ns[-1]) + 10_000_000
        return sent

    def send(self, x_px: np.ndarray, y_px: np.ndarray, t_ns: np.ndarray, down: np.ndarray,
             pressure: np.ndarray, tilt_deg: tuple[float, float] = (12.0, -8.0),
             lift_at_end: bool = False) -> int:
        """Send samples given in canvas px at pen-clock times `t_ns` (perf-counter ns), one
        event each; the pen's state carries over between calls (a stroke may span several),
        so a recording can be streamed in real time piece by piece. With `lift_at_end` a pen
        still down is lifted at the last position. Returns the number of events sent."""
        ET = QEvent.Type
        left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        was_down = self._was_down
        sent = int(t_ns.size)
        send = QApplication.sendEvent
        with self._on_pen_clock():
            for i in range(t_ns.size):  # one event per sample: this is an event source
                is_down = bool(down[i])
                if is_down and not was_down:
                    kind, button, buttons = ET.TabletPress, left, left
                elif was_down and not is_down:
                    kind, button, buttons = ET.TabletRelease, left, none
                else:
                    kind, button, buttons = ET.TabletMove, none, (left if is_down else none)
                pos = QPointF(float(x_px[i]), float(y_px[i]))
                p = float(pressure[i]) if is_down else 0.0
                event = QTabletEvent(kind, _stylus(), pos, pos, p, tilt_deg[0], tilt_deg[1],
                                     0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier, button,
                                     buttons)
                self.clock.ns = int(t_ns[i])
                send(self.canvas, event)
                was_down = is_down
            if was_down and lift_at_end and t_ns.size:
                pos = QPointF(float(x_px[-1]), float(y_px[-1]))
                send(self.canvas, QTabletEvent(ET.TabletRelease, _stylus(), pos, pos, 0.0,
                                               0.0, 0.0, 0.0, 0.0, 0.0,
                                               Qt.KeyboardModifier.NoModifier, left, none))
                sent += 1
                was_down = False
        self._was_down = was_down
        return sent
