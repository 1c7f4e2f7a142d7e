"""Replay of one trial's pen path in time (the left panel of the Review view).

The path is drawn as the pen moved: ink (pen down) coloured by speed (mm/s) or pressure, hover
(pen in the air, in range) faint and dashed, pen lifts marked, the pen's current position
ringed. A time slider, play/pause and a 1x/2x/4x speed drive it; at time T only samples with
t <= T are drawn.

Drawing stays cheap at any length: ink is split by colour into :data:`N_COLORS` curve items,
each holding its line pieces as point pairs in time order, so showing the path up to T is one
``searchsorted`` and one slice per item (no item per stroke, no loop per sample).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QGraphicsItem,
    QHBoxLayout,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from .text import PlainLabel, escape, rich_label

__all__ = ["N_COLORS", "ReplayWidget"]

#: Number of colour levels the ink is drawn with.
N_COLORS = 32
#: Replay refresh interval, ms (~30 frames per second).
FRAME_MS = 33
SPEEDS = (1.0, 2.0, 4.0)
HOVER_COLOR = (120, 120, 120)
LIFT_COLOR = (214, 39, 40)
FOREGROUND = (30, 30, 30)


def colormap() -> pg.ColorMap:
    """Viridis without its palest yellow, which vanishes on white paper."""
    return pg.colormap.get("viridis").getSubset(0.0, 0.88)


def style_plot(plot: pg.PlotItem) -> None:
    """Dark axes and text for a white background."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.enableAutoSIPrefix(False)  # the unit in the label is the unit of the ticks


class _PairCurve:
    """Line pieces i -> i+1 of chosen samples, revealed in time order."""

    def __init__(self, item: pg.PlotDataItem) -> None:
        self.item = item
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.t_end = np.zeros(0)
        self.shown = -1

    def set_pieces(self, x: np.ndarray, y: np.ndarray, t: np.ndarray, idx: np.ndarray) -> None:
        """Pieces from sample idx[k] to idx[k] + 1 (idx ascending)."""
        self.x = np.column_stack((x[idx], x[idx + 1])).ravel()
        self.y = np.column_stack((y[idx], y[idx + 1])).ravel()
        self.t_end = t[idx + 1]
        self.shown = -1

    def show_until(self, t: float) -> None:
        m = int(np.searchsorted(self.t_end, t, side="right"))
        if m == self.shown:
            return
        self.shown = m
        self.item.setData(self.x[: 2 * m], self.y[: 2 * m], connect="pairs")

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        m = max(self.shown, 0)
        return self.x[: 2 * m], self.y[: 2 * m]


class ReplayWidget(QWidget):
    """Pen path of one trial, replayed in time, with its controls and colour bar."""

    #: Emitted with the replay time (s from the trial's first sample) whenever it changes.
    timeChanged = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t = np.zeros(0)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._values: dict[str, tuple[np.ndarray, str]] = {}
        self._ink_idx = np.zeros(0, dtype=np.int64)
        self._time = 0.0
        self._duration = 0.0
        self._wall0 = 0.0
        self._time0 = 0.0
        self._cmap = colormap()

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", escape("x (mm)"))
        self.plot.setLabel("left", escape("y (mm)"))
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self._cmap, label="speed (mm/s)",
                                        interactive=False, colorMapMenu=False, width=14)
        style_plot(self.colorbar)
        self.graphics.addItem(self.colorbar, row=0, col=1)

        self._ink = []
        for k in range(N_COLORS):
            item = pg.PlotDataItem(pen=pg.mkPen(self._cmap.map((k + 0.5) / N_COLORS, "qcolor"),
                                                width=2.2), skipFiniteCheck=True)
            # a level whose pieces did not change is blitted from its cache, not redrawn
            item.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.plot.addItem(item)
            self._ink.append(_PairCurve(item))
        hover_pen = pg.mkPen(HOVER_COLOR, width=1, style=Qt.PenStyle.DashLine)
        self._hover = _PairCurve(pg.PlotDataItem(pen=hover_pen, skipFiniteCheck=True))
        self._hover.item.setZValue(-1)
        self.plot.addItem(self._hover.item)
        self._lift_t = np.zeros(0)
        self._lift_xy = np.zeros((2, 0))
        self._lifts = pg.ScatterPlotItem(symbol="t1", size=9, pen=pg.mkPen(LIFT_COLOR),
                                         brush=pg.mkBrush(*LIFT_COLOR, 160))
        self._lifts.setZValue(5)
        self.plot.addItem(self._lifts)
        self._pen_tip = pg.ScatterPlotItem(symbol="o", size=12, pen=pg.mkPen("k", width=2),
                                           brush=pg.mkBrush(None))
        self._pen_tip.setZValue(10)
        self.plot.addItem(self._pen_tip)

        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.time_label = PlainLabel("0.0 / 0.0 s")
        self.speed_box = QComboBox()
        self.speed_box.addItems([f"{s:g}x" for s in SPEEDS])
        self.speed_box.setToolTip("replay speed")
        self.speed_box.currentIndexChanged.connect(self._restart_clock)
        self.color_box = QComboBox()
        self.color_box.setToolTip("what the ink colour shows")
        self.color_box.currentIndexChanged.connect(self._recolor)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.speed_box)
        legend_row = QHBoxLayout()
        legend_row.addWidget(PlainLabel("colour:"))
        legend_row.addWidget(self.color_box)
        legend_row.addStretch(1)
        legend = rich_label(  # markup on purpose, no text from a file
            "<span style='color:#3b528b'><b>━</b></span> ink &nbsp; "
            "<span style='color:#787878'>╌╌</span> hover &nbsp; "
            "<span style='color:#d62728'>▲</span> pen lift &nbsp; ○ pen now"
        )
        legend.setToolTip("ink: pen on the surface, coloured; hover: pen in the air, in range")
        legend_row.addWidget(legend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(controls)
        layout.addLayout(legend_row)

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)

    # ----------------------------------------------------------------------------- data
    def set_path(self, t_s: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray,
                 state: np.ndarray, gap_after: np.ndarray,
                 color_values: dict[str, tuple[np.ndarray, str]]) -> None:
        """Load a path.

        Parameters
        ----------
        t_s, x_mm, y_mm : ndarray
            Time-sorted samples: s from the first sample, mm.
        state : ndarray of uint8
            Pen state per sample: 0 out of range, 1 hover, 2 touching.
        gap_after : ndarray of bool
            Per interval between samples: lost samples (never drawn across).
        color_values : dict
            Colouring choices: label -> (value per sample, axis label with unit), e.g.
            ``{"speed": (speed, "speed (mm/s)")}``.
        """
        self.pause()
        t = np.asarray(t_s, dtype=np.float64)
        self._t, self._x, self._y = t, np.asarray(x_mm, float), np.asarray(y_mm, float)
        n = t.size
        down = state == 2
        gap = np.zeros(max(n - 1, 0), dtype=bool)
        gap[: gap_after.size] = gap_after[: n - 1]
        ink = down[:-1] & down[1:] & ~gap
        air = ~ink & (state[:-1] != 0) & (state[1:] != 0) & ~gap & ~(down[:-1] & down[1:])
        self._ink_idx = np.flatnonzero(ink)
        self._hover.set_pieces(self._x, self._y, t, np.flatnonzero(air))
        lift = np.flatnonzero(down[:-1] & ~down[1:])
        self._lift_t = t[lift]
        self._lift_xy = np.vstack((self._x[lift], self._y[lift]))
        self._values = dict(color_values)
        self.color_box.blockSignals(True)
        self.color_box.clear()
        self.color_box.addItems(list(self._values))
        self.color_box.blockSignals(False)
        self._duration = float(t[-1]) if n else 0.0
        self.slider.blockSignals(True)
        self.slider.setRange(0, int(np.ceil(self._duration * 1000)))
        self.slider.blockSignals(False)
        if n:
            pad = 2.0
            self.plot.setRange(xRange=(self._x.min() - pad, self._x.max() + pad),
                               yRange=(self._y.min() - pad, self._y.max() + pad), padding=0)
        self._recolor()
        self.set_time(self._duration)

    def _recolor(self) -> None:
        key = self.color_box.currentText()
        if key not in self._values or self._t.size < 2:
            for curve in self._ink:
                curve.set_pieces(self._x, self._y, self._t, np.zeros(0, dtype=np.int64))
            self._refresh()
            return
        values, label = self._values[key]
        idx = self._ink_idx
        v = 0.5 * (values[idx] + values[idx + 1])
        finite = values[np.isfinite(values)]
        lo, hi = (np.quantile(finite, (0.01, 0.99)) if finite.size else (0.0, 1.0))
        lo, hi = float(lo), float(hi)
        if not np.isfinite(hi) or hi <= lo:
            hi = lo + 1.0
        level = np.clip(((v - lo) / (hi - lo) * N_COLORS).astype(np.int64), 0, N_COLORS - 1)
        level[~np.isfinite(v)] = 0
        order = np.argsort(level, kind="stable")  # time order kept inside each level
        bounds = np.searchsorted(level[order], np.arange(N_COLORS + 1))
        for k, curve in enumerate(self._ink):
            curve.set_pieces(self._x, self._y, self._t, idx[order[bounds[k]:bounds[k + 1]]])
        self.colorbar.setLevels((lo, hi))
        self.colorbar.getAxis("left").setLabel(escape(label))  # an axis label is HTML
        self.color_label = label
        self._refresh()

    # ----------------------------------------------------------------------------- time
    @property
    def time(self) -> float:
        """Current replay time, s from the trial's first sample."""
        return self._time

    @property
    def duration(self) -> float:
        return self._duration

    def set_time(self, t: float) -> None:
        """Show the path up to `t` (s from the first sample), clipped to the trial."""
        self._time = float(np.clip(t, 0.0, self._duration))
        self.slider.blockSignals(True)
        self.slider.setValue(round(self._time * 1000))
        self.slider.blockSignals(False)
        self._refresh()
        self.timeChanged.emit(self._time)

    def _refresh(self) -> None:
        t = self._time
        for curve in self._ink:
            curve.show_until(t)
        self._hover.show_until(t)
        k = int(np.searchsorted(self._lift_t, t, side="right"))
        self._lifts.setData(self._lift_xy[0, :k], self._lift_xy[1, :k])
        n = int(np.searchsorted(self._t, t, side="right"))
        if n:
            self._pen_tip.setData([self._x[n - 1]], [self._y[n - 1]])
        else:
            self._pen_tip.setData([], [])
        self.time_label.setText(f"{t:5.1f} / {self._duration:.1f} s")

    def shown(self) -> dict[str, np.ndarray]:
        """What the path items hold now (for checks): ink and hover points, lift markers."""
        ink = [c.data() for c in self._ink]
        lx, ly = self._lifts.getData()
        return {
            "ink_x_mm": np.concatenate([d[0] for d in ink]) if ink else np.zeros(0),
            "ink_y_mm": np.concatenate([d[1] for d in ink]) if ink else np.zeros(0),
            "hover_x_mm": self._hover.data()[0],
            "hover_y_mm": self._hover.data()[1],
            "lift_x_mm": np.asarray(lx), "lift_y_mm": np.asarray(ly),
        }

    # ----------------------------------------------------------------------------- play
    @property
    def speed(self) -> float:
        return SPEEDS[max(self.speed_box.currentIndex(), 0)]

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _on_play(self, on: bool) -> None:
        if on:
            if self._time >= self._duration:
                self.set_time(0.0)
            self._restart_clock()
            self._timer.start()
            self.play_button.setText("Pause")
        else:
            self._timer.stop()
            self.play_button.setText("Play")

    def _on_slider(self, ms: int) -> None:
        self.set_time(ms / 1000.0)
        self._restart_clock()

    def _restart_clock(self) -> None:
        self._wall0 = time.perf_counter()
        self._time0 = self._time

    def _tick(self) -> None:
        t = self._time0 + (time.perf_counter() - self._wall0) * self.speed
        self.set_time(t)
        if t >= self._duration:
            self.pause()
