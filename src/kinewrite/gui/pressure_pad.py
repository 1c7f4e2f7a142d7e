"""A pad the stylus rests on while its pressure is calibrated (Qt).

The calibration dialog's *Read* buttons ask for the mean pen pressure of the last second
(:meth:`PressurePad.mean_pressure_last_second`). The pad lives on the dialog's pressure page
(``CalibrationDialog(with_pad=True)``): a separate window would be blocked by the modal
dialog and receive nothing. The pad is a real
:class:`~kinewrite.acquisition.qt.canvas.TabletCanvas`: the pen, held upright in a stand with a
known weight on it, rests on the pad, and every tablet sample it receives is kept for the
last few seconds.
"""

from __future__ import annotations

import collections
import math
import threading

import numpy as np
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..acquisition.qt.canvas import TabletCanvas
from .text import PlainLabel

__all__ = ["PressurePad"]

_TOUCH = 2


class _RecentSamples:
    """A sink keeping the last `seconds` of (t, pressure, state)."""

    def __init__(self, seconds: float = 5.0) -> None:
        self.seconds = float(seconds)
        self._rows: collections.deque[tuple[float, float, int]] = collections.deque()
        self._lock = threading.Lock()

    def push(self, t: float, x: float, y: float, pressure: float = math.nan, state: int = 2,
             tilt_x: float = math.nan, tilt_y: float = math.nan, rotation: float = math.nan,
             host_time: float | None = None, pointer: int = 0) -> None:
        with self._lock:
            self._rows.append((t, pressure, state))
            while self._rows and self._rows[-1][0] - self._rows[0][0] > self.seconds:
                self._rows.popleft()

    def mean_pressure(self, window_s: float) -> float:
        """Mean pressure of the touching samples in the last `window_s`; NaN if the pen
        was lifted in that window or no sample came."""
        with self._lock:
            rows = np.array(self._rows, dtype=np.float64).reshape(-1, 3)
        if rows.shape[0] == 0:
            return math.nan
        recent = rows[rows[:, 0] >= rows[-1, 0] - window_s]
        if np.any(recent[:, 2] != _TOUCH) or np.all(np.isnan(recent[:, 1])):
            return math.nan
        return float(np.nanmean(recent[:, 1]))


class PressurePad(QWidget):
    """Rest the pen here; :meth:`mean_pressure_last_second` reads it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("kinewrite: pressure pad")
        self.canvas = TabletCanvas(self)
        self.samples = _RecentSamples()
        self.canvas.set_sink(self.samples)
        hint = PlainLabel("Rest the pen tip here, upright in its stand, with the weight on it; "
                      "keep it still, then press Read.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.canvas, 1)
        self.canvas.setMinimumSize(240, 200)
        self.setStyleSheet("PressurePad { border: 1px solid palette(mid); }")

    def mean_pressure_last_second(self) -> float:
        """Mean pen pressure (fraction 0..1) of the last second; NaN if not touching."""
        return self.samples.mean_pressure(1.0)

    def closeEvent(self, event) -> None:
        self.canvas.set_sink(None)
        super().closeEvent(event)
