"""The plot of one measure in the Progress view: one point per visit, the healthy band, the
treatments, and the marks that say what a point means (a ring for a change beyond measurement
noise, a hollow point for a visit recorded with a mouse, a grey cross for a visit without a
detected tremor), named in a legend in the band above the data; a measure without any value
is a short text, without axes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PyQt6.QtGui import QFont

from ..analysis.reference import plain_caption, reference_for
from ..progress.model import Progress
from .event_labels import EventLabels
from .plots import SERIES_COLOUR, add_reference, epoch_seconds, new_plot
from .progress_names import FEATURE_BY_NAME, measure_label, technical_unit, unit_words
from .progress_treatments import add_treatments
from .text import plain_tooltip

__all__ = ["MOUSE_TEXT", "NOT_MEASURED_TEXT", "NO_TREMOR_TEXT", "REAL_CHANGE_TEXT",
           "MeasurePlot", "Timeline", "draw_measure", "read_back"]

#: How a visit without a detected tremor is marked (never as a 0 mm point).
NO_TREMOR_TEXT = "no tremor detected (no amplitude)"
NO_TREMOR_COLOUR = (110, 110, 110)
#: How a visit that changed beyond measurement noise from the one before is marked.
REAL_CHANGE_TEXT = "change beyond measurement noise"
REAL_CHANGE_COLOUR = (20, 20, 20)
#: What the plot of a measure without a value in any visit shows (instead of axes).
NOT_MEASURED_TEXT = "not measured in these visits"
#: How a visit recorded with a mouse is marked (a hollow point).
MOUSE_TEXT = "recorded with a mouse: timing and pressure not comparable"


@dataclass(frozen=True)
class Timeline:
    """What every plot of the view shares: the treatments (dated rows of
    :attr:`~kinewrite.progress.Progress.events`), their times (epoch seconds) and the
    dates shown (epoch seconds)."""

    events: pd.DataFrame
    ev_x: np.ndarray
    x_range: tuple[float, float]


@dataclass
class MeasurePlot:
    """One measure's plot as drawn, and what it shows.

    ``series`` holds the dates (``datetime64[ms]``) and values drawn; ``note`` the verdict
    on the first-to-last change ("" when the noise is not known); ``measured`` is False for
    a measure without any value (then no mark is drawn and the marks' dates are None)."""

    plot: pg.PlotItem
    series: tuple[np.ndarray, np.ndarray]
    note: str = ""
    measured: bool = True
    real_changes: np.ndarray | None = None
    mouse_visits: np.ndarray | None = None
    no_tremor: np.ndarray | None = None
    labels: EventLabels | None = None
    markers: list[tuple[float, str]] = field(default_factory=list)


def draw_measure(grid: pg.GraphicsLayoutWidget, row: int, rows: int, name: str, p: Progress,
                 task: str, timeline: Timeline, *, columns: int, font_pt: float,
                 short_titles: bool, technical: bool, calibrated: bool, label_events: bool,
                 min_height_px: int | None = None) -> MeasurePlot:
    """Draw feature `name` of protocol task `task` as plot `row` of the `rows` in `grid`.

    With `label_events` the treatments are labelled in the band above the data (the first
    plot); `min_height_px` is the plot's least height on screen (None: no least).
    """
    f = FEATURE_BY_NAME[name]
    ref = reference_for(name, p.task_of(task))
    title = measure_label(name, technical)
    if ref is not None and not short_titles:
        title += f"  ·  healthy writers {ref.range_text()}"
    note = change_note(p, task, name)
    if note and not short_titles:
        title += f"  ·  {note}"
    plot = new_plot(grid, row // columns, row % columns, title=title, font_pt=font_pt,
                    # the title names the measure; the axis says "value" and its unit (a
                    # long name would run past the plot's height)
                    left=((f"value ({technical_unit(name)})", None) if technical
                          else ("value", unit_words(name, calibrated))),
                    # the plots share their dates: the axis is named once, under the last
                    # row (the others keep that height for their data)
                    bottom=(("session date", "UTC") if row // columns == (rows - 1) // columns
                            else None),
                    date_axis=True)
    if min_height_px is not None:
        plot.setMinimumHeight(min_height_px)
    x, y = p.series(task, name)
    xs = epoch_seconds(x)
    if is_not_measured(p, task, name, y):
        show_not_measured(plot, font_pt)
        return MeasurePlot(plot, (x.astype("datetime64[ms]"), y.copy()), note, measured=False)
    curve = plot.plot(xs, y, pen=pg.mkPen(SERIES_COLOUR, width=2), symbol="o",
                      symbolSize=9, symbolBrush=pg.mkBrush(SERIES_COLOUR),
                      symbolPen=pg.mkPen("w"), connect="finite")
    curve.setToolTip(plain_tooltip(plain_caption(name)))
    real = mark_real_changes(plot, p, task, name, x, xs, y)
    mouse = mark_mouse(plot, p, task, x, xs, y)
    y0, y1 = set_y_range(plot, y, ref)
    no_tremor = None
    if f.family == "tremor" and name != "tremor_detected":
        no_tremor = mark_no_tremor(plot, p, task, x, xs, y, y0, y1)
    if ref is not None:
        margin = 10 * (y1 - y0)
        add_reference(plot, ref.low, ref.high, f"healthy writers {ref.range_text()}",
                      open_to=(y0 - margin, y1 + margin))
    labels, markers = add_treatments(plot, timeline.events, timeline.ev_x, label_events,
                                     font_pt)
    plot.setXRange(*timeline.x_range, padding=0)
    return MeasurePlot(plot, read_back(curve), note, True, real, mouse, no_tremor, labels,
                       markers)


def legend(plot: pg.PlotItem) -> pg.LegendItem:
    """The plot's legend (top right, light background): pyqtgraph keeps one per plot and
    returns it again, so the marks of one plot share it."""
    item = plot.addLegend(offset=(-10, 10), labelTextColor=(30, 30, 30),
                          brush=pg.mkBrush(255, 255, 255, 220), verSpacing=-4)
    item.layout.setContentsMargins(4, 1, 4, 1)  # pyqtgraph's 9 px doubles its height
    return item


def change_note(p: Progress, task: str, name: str) -> str:
    """``"first to last: beyond measurement noise"`` (or within noise); "" when the noise
    is not known or there is one visit."""
    verdict = p.change(task, name)
    if verdict == "noise not known":
        return ""
    return f"first to last visit: {verdict}"


def is_not_measured(p: Progress, task: str, name: str, y: np.ndarray) -> bool:
    """No finite value in any visit, and none a "no tremor detected" visit (those are
    drawn: they say something)."""
    if np.isfinite(y).any():
        return False
    if FEATURE_BY_NAME[name].family == "tremor" and name != "tremor_detected":
        detected = p.series(task, "tremor_detected")[1]
        return not (detected == 0).any()
    return True


def show_not_measured(plot: pg.PlotItem, font_pt: float) -> None:
    """The plot of a measure without any value: its title and :data:`NOT_MEASURED_TEXT`,
    no axes (they would have no meaning)."""
    for side in ("left", "bottom"):
        plot.hideAxis(side)
    plot.showGrid(x=False, y=False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    text = pg.TextItem(NOT_MEASURED_TEXT, color=(90, 90, 90), anchor=(0.5, 0.5))
    font = QFont()
    font.setPointSizeF(font_pt)
    text.setFont(font)
    plot.addItem(text, ignoreBounds=True)
    text.setPos(0.5, 0.5)


def mark_real_changes(plot: pg.PlotItem, p: Progress, task: str, name: str,
                      dates: np.ndarray, xs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A ring around each visit whose change from the previous visit is beyond the
    patient's measurement noise (MDC95), named in the legend; returns their dates."""
    real = p.beyond_noise(task, name)
    if real.any():
        ring = pg.ScatterPlotItem(xs[real], y[real], symbol="o", size=17,
                                  pen=pg.mkPen(REAL_CHANGE_COLOUR, width=2),
                                  brush=pg.mkBrush(None))
        ring.setToolTip("changed from the previous visit by more than the measurement "
                        "noise (MDC95)")
        plot.addItem(ring)
        legend(plot).addItem(ring, REAL_CHANGE_TEXT)
    return dates[real].copy()


def mark_mouse(plot: pg.PlotItem, p: Progress, task: str, dates: np.ndarray,
               xs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A hollow symbol over each visit recorded with a mouse, named in the legend
    (:data:`MOUSE_TEXT`); returns their dates."""
    mouse = p.recorded_with_mouse(task) & np.isfinite(y)
    if mouse.any():
        item = pg.ScatterPlotItem(xs[mouse], y[mouse], symbol="o", size=11,
                                  pen=pg.mkPen(SERIES_COLOUR, width=2),
                                  brush=pg.mkBrush("w"))
        item.setToolTip(MOUSE_TEXT)
        plot.addItem(item)
        legend(plot).addItem(item, MOUSE_TEXT)
    return dates[mouse].copy()


def mark_no_tremor(plot: pg.PlotItem, p: Progress, task: str, dates: np.ndarray,
                   xs: np.ndarray, y: np.ndarray, y0: float, y1: float) -> np.ndarray:
    """Visits where no tremor was detected: a grey cross in a strip of its own *below*
    the plot's zero line (no tick labels there), under the visit's date, with the words
    "no tremor detected (no amplitude)" in the legend: not a point on the curve, the
    amplitude is not 0 mm, there is none (the feature is NaN there, and stays NaN in
    :meth:`~kinewrite.gui.progress.ProgressView.plotted_series`). One item for all
    visits. Returns the dates so marked."""
    detected = p.series(task, "tremor_detected")[1]
    none = (detected == 0) & ~np.isfinite(y)
    if not none.any():
        return dates[none].copy()
    # a strip of its own under the zero line, without tick labels (no amplitude there)
    span = y1 - y0
    bottom = y0 - 0.22 * span
    plot.setYRange(bottom, y1, padding=0)
    axis = plot.getAxis("left")
    # two labelled ticks from 0 up (0 and a round value near the top): they fit the
    # small plot that a strip, a label band and a legend leave (pyqtgraph's own spacing
    # crowded six into 60 px)
    raw = max(y1 - max(y0, 0.0), 1e-12) / 1.5
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m for m in (1.0, 2.0, 5.0, 10.0) if raw <= m * magnitude) * magnitude
    values = np.arange(0.0, y1 + 1e-9 * step, step)
    axis.setTicks([[(float(v), f"{v:.6g}") for v in values]])
    foot = bottom + 0.12 * span
    item = pg.ScatterPlotItem(xs[none], np.full(int(none.sum()), foot), symbol="x",
                              size=11, pen=pg.mkPen(NO_TREMOR_COLOUR, width=2),
                              brush=pg.mkBrush(NO_TREMOR_COLOUR))
    item.setToolTip("no tremor detected in this visit (not an amplitude of 0 mm)")
    plot.addItem(item)
    legend(plot).addItem(item, NO_TREMOR_TEXT)
    return dates[none].copy()


def set_y_range(plot: pg.PlotItem, y: np.ndarray, ref) -> tuple[float, float]:
    """Show the values, 0 and the healthy band's limits (`ref`) with a margin; returns the
    range shown."""
    values = [*y[np.isfinite(y)].tolist(), 0.0] if np.isfinite(y).any() else [0.0]
    if ref is not None:
        values += [v for v in (ref.low, ref.high) if v is not None]
    lo, hi = min(values), max(values)
    if lo >= 0 and lo < 0.5 * hi:
        lo = 0.0  # a zero baseline where the values are positive and spread
    span = hi - lo or abs(hi) or 1.0
    y0, y1 = lo - 0.08 * span, hi + 0.12 * span
    plot.setYRange(y0, y1, padding=0)
    return y0, y1


def read_back(curve: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The dates (``datetime64[ms]``) and values of a drawn curve, read back from it."""
    x, y = curve.getData()
    if x is None:
        return np.zeros(0, dtype="datetime64[ms]"), np.zeros(0)
    dates = np.round(np.asarray(x, dtype=np.float64) * 1000).astype("int64")
    return dates.astype("datetime64[ms]"), np.asarray(y, dtype=np.float64)
