"""The plots of the Review view (PyQt6 + pyqtgraph): what one trial's features were computed
from.

:class:`ReviewPlots` holds the pen path replayed in time (:mod:`kinewrite.gui.replay`) over
the tremor spectrum with its detection threshold, excluded stroke rhythm and peak, and the
linked time series (speed, vertical velocity with the writing-stroke boundaries, pressure)
with a cursor following the replay, over the unravelled spiral r(θ) for spiral trials. It
draws a :class:`~kinewrite.gui.review_data.ReviewData` and computes nothing.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtWidgets import QSplitter, QWidget

from ..analysis.tremor import BAND_HZ, DETECTION_FACTOR
from ..storage.reader import Trial
from .feature_table import format_value
from .replay import FOREGROUND, ReplayWidget, style_plot
from .review_data import ReviewData
from .text import escape

__all__ = ["ReviewPlots"]


CURSOR_PEN = pg.mkPen((214, 39, 40), width=1.5)
CURVE_PEN = pg.mkPen((31, 119, 180), width=1.5)
BOUNDARY_PEN = pg.mkPen((150, 150, 150), width=1)
FIT_PEN = pg.mkPen((214, 39, 40), width=2, style=Qt.PenStyle.DashLine)
TITLE_STYLE = {"color": "#1e1e1e", "size": "9.5pt"}


def _title(plot: pg.PlotItem, text: str) -> None:
    plot.setTitle(escape(text), **TITLE_STYLE)  # a pyqtgraph title is HTML


def _relax_title_width(label: pg.LabelItem) -> None:
    """Keep a title's text width from forcing its plot wider than the view (pyqtgraph sets a
    label's minimum width to its text; a long title then pushes the axes out of sight)."""
    def update_min() -> None:
        label.setMinimumWidth(10)
        label.setMinimumHeight(label.itemRect().height())

    label.updateMin = update_min


def _new_plot(layout: pg.GraphicsLayout, row: int, left: str, bottom: str | None,
              grid: bool = True) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=0)
    style_plot(plot)
    plot.setMenuEnabled(False)
    _relax_title_width(plot.titleLabel)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("left", escape(left))
    plot.getAxis("left").setWidth(62)
    if bottom is None:
        plot.hideAxis("bottom")  # the time axis is shared: labelled once, at the bottom
    else:
        plot.setLabel("bottom", escape(bottom))
    return plot


class ReviewPlots(QSplitter):
    """Replay over spectrum, beside the linked time series over the unravelled spiral.

    :meth:`fill` draws one trial's :class:`~kinewrite.gui.review_data.ReviewData`;
    :meth:`time_at` says which time a click on the time series points at; :meth:`plotted`
    returns the data the plot items hold.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._excluded_regions: list[pg.LinearRegionItem] = []

        # -- left: replay over the tremor spectrum
        self.replay = ReplayWidget()
        self.replay.timeChanged.connect(self.set_cursor)
        self.spectrum_widget = pg.GraphicsLayoutWidget()
        self.spectrum_widget.setBackground("w")
        self.spectrum_widget.ci.setContentsMargins(4, 4, 16, 4)
        self.spectrum = _new_plot(self.spectrum_widget.ci, 0, "power (mm²/Hz)", "frequency (Hz)")
        self.spectrum.setLogMode(x=False, y=True)
        self.spectrum.setMouseEnabled(x=False, y=False)
        self._band = pg.LinearRegionItem(BAND_HZ, movable=False,
                                         brush=pg.mkBrush(255, 200, 120, 60),
                                         pen=pg.mkPen(None))
        self._band.setZValue(-10)
        self.spectrum.addItem(self._band)
        self._spectrum_curve = self.spectrum.plot(pen=CURVE_PEN)
        self._threshold = self.spectrum.plot(
            pen=pg.mkPen((100, 100, 100), width=1.2, style=Qt.PenStyle.DashLine))
        self._peak = self.spectrum.plot(pen=None, symbol="o", symbolSize=10,
                                        symbolPen=pg.mkPen((214, 39, 40), width=2),
                                        symbolBrush=pg.mkBrush(None))
        self._peak_label = pg.TextItem(color=(214, 39, 40), anchor=(0, 1))
        self.spectrum.addItem(self._peak_label)
        legend = self.spectrum.addLegend(offset=(-4, 4), labelTextColor=FOREGROUND,
                                         brush=pg.mkBrush(255, 255, 255, 210),
                                         labelTextSize="8pt", verSpacing=-6)
        legend.addItem(pg.PlotDataItem(pen=pg.mkPen(255, 200, 120, 160, width=8)),
                       escape("3–12 Hz band"))
        legend.addItem(self._threshold, escape(f"threshold ({DETECTION_FACTOR:g}× median)"))
        self._excluded_sample = pg.PlotDataItem(pen=pg.mkPen(160, 160, 160, 160, width=8))
        self._legend = legend
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.replay)
        left.addWidget(self.spectrum_widget)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)

        # -- middle: linked time series over the unravelled spiral
        self.series_widget = pg.GraphicsLayoutWidget()
        self.series_widget.setBackground("w")
        self.series_widget.ci.setContentsMargins(4, 4, 16, 4)
        lay = self.series_widget.ci
        # no grids here: a grid repaints with every cursor step (measured: 11 ms a frame)
        self.speed_plot = _new_plot(lay, 0, "speed (mm/s)", None, grid=False)
        self.vy_plot = _new_plot(lay, 1, "v_y (mm/s)", None, grid=False)
        self.pressure_plot = _new_plot(lay, 2, "pressure", "time (s)", grid=False)
        self.vy_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, movable=False,
                                             pen=pg.mkPen(120, 120, 120, 150)))
        self._speed_curve = self.speed_plot.plot(pen=CURVE_PEN, connect="finite")
        self._boundaries = self.vy_plot.plot(pen=BOUNDARY_PEN, connect="pairs")
        self._vy_curve = self.vy_plot.plot(pen=CURVE_PEN, connect="finite")
        self._pressure_curve = self.pressure_plot.plot(pen=CURVE_PEN, connect="finite")
        self.cursors: list[pg.InfiniteLine] = []
        for plot in (self.speed_plot, self.vy_plot, self.pressure_plot):
            if plot is not self.speed_plot:
                plot.setXLink(self.speed_plot)
            plot.setMouseEnabled(x=True, y=False)
            # at most ~2 points per pixel column are drawn: the cursor repaints stay cheap
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=CURSOR_PEN)
            cursor.setZValue(20)
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
        self.spiral_widget = pg.GraphicsLayoutWidget()
        self.spiral_widget.setBackground("w")
        self.spiral_widget.ci.setContentsMargins(4, 4, 16, 4)
        self.spiral_plot = _new_plot(self.spiral_widget.ci, 0, "r (mm)", None)
        self._spiral_curve = self.spiral_plot.plot(pen=CURVE_PEN)
        self._spiral_fit = self.spiral_plot.plot(pen=FIT_PEN)
        self.residual_plot = _new_plot(self.spiral_widget.ci, 1, "r − fit (mm)", "θ (rad)")
        self.residual_plot.setXLink(self.spiral_plot)
        self._residual_curve = self.residual_plot.plot(pen=CURVE_PEN)
        self.spiral_widget.ci.layout.setRowStretchFactor(0, 3)
        self.spiral_widget.ci.layout.setRowStretchFactor(1, 2)
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.series_widget)
        middle.addWidget(self.spiral_widget)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 2)

        self.addWidget(left)
        self.addWidget(middle)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 1)

    # ------------------------------------------------------------------------------ filling
    def fill(self, d: ReviewData, trial: Trial) -> None:
        """Draw one trial's plot data (`trial` says its task) and put the replay at its end."""
        colors = {"speed": (d.color_speed_mm_s, "speed (mm/s)")}
        p_label = "pressure (N)" if d.pressure_unit == "N" else "pressure (fraction of max)"
        if d.pressure is not None:
            colors["pressure"] = (d.pressure, p_label)
        self.replay.set_path(d.t_s, d.x_mm, d.y_mm, d.state, d.gap_after, colors)

        self._speed_curve.setData(d.curve_t_s, d.speed_curve_mm_s, connect="finite")
        self._vy_curve.setData(d.curve_t_s, d.vy_curve_mm_s, connect="finite")
        if d.vy_mm_s.size and d.stroke_boundaries_s.size:  # one vertical mark per boundary
            xb = np.repeat(d.stroke_boundaries_s, 2)
            yb = np.tile(d.vy_range_mm_s, d.stroke_boundaries_s.size)
            self._boundaries.setData(xb, yb, connect="pairs")
        else:
            self._boundaries.setData([], [])
        _title(self.vy_plot, f"vertical velocity; {d.stroke_count} strokes (grey: boundaries)")
        self.pressure_plot.setLabel("left", escape(p_label.replace(" of max", "")))
        if d.pressure is not None:
            self._pressure_curve.setData(d.t_s, d.pressure, connect="finite")
            _title(self.pressure_plot, "pen pressure (pen down)")
        else:
            self._pressure_curve.setData([], [])
            _title(self.pressure_plot, "no pressure channel (mouse input)")
        _title(self.speed_plot, "speed (pen down, 12 Hz low-pass)")
        self.speed_plot.setXRange(0.0, max(d.duration_s, 1e-3), padding=0.02)
        for plot in (self.speed_plot, self.vy_plot, self.pressure_plot):
            plot.enableAutoRange(axis="y")

        self._fill_spectrum(d, trial)
        self._fill_spiral(d, trial)
        self.replay.set_time(self.replay.duration)

    def _show_spectrum_frame(self, shown: bool) -> None:
        """Axes, grid, band and legend only where there is a spectrum: empty log axes with
        crowded ticks under "no spectrum" read as a measurement of nothing."""
        for axis in ("left", "bottom"):
            self.spectrum.showAxis(axis, shown)
        self.spectrum.showGrid(x=shown, y=shown, alpha=0.15)
        self._band.setVisible(shown)
        self._legend.setVisible(shown)

    def _fill_spectrum(self, d: ReviewData, trial: Trial) -> None:
        for region in self._excluded_regions:
            self.spectrum.removeItem(region)
        self._excluded_regions = []
        tr = d.tremor
        self._show_spectrum_frame(tr.freqs_hz.size > 0)
        if tr.freqs_hz.size == 0:
            self._spectrum_curve.setData([], [])
            self._threshold.setData([], [])
            self._peak.setData([], [])
            self._peak_label.setText("")
            self._legend.removeItem(self._excluded_sample)
            _title(self.spectrum, "no spectrum: no pen-down segment lasts 1 s")
            return
        power = d.spectrum_mm2_per_hz
        self._spectrum_curve.setData(tr.freqs_hz, power)
        thr = d.tremor_threshold_mm2_per_hz
        if np.isfinite(thr):
            self._threshold.setData(np.array(BAND_HZ), np.array([thr, thr]))
        else:
            self._threshold.setData([], [])
        for lo, hi in d.tremor_excluded_bands_hz:
            region = pg.LinearRegionItem((lo, hi), movable=False,
                                         brush=pg.mkBrush(160, 160, 160, 70), pen=pg.mkPen(None))
            region.setZValue(-9)
            self.spectrum.addItem(region)
            self._excluded_regions.append(region)
        f = d.tremor_peak_hz
        if np.isfinite(f):
            p_peak = d.tremor_peak_mm2_per_hz
            self._peak.setData([f], [p_peak])
            self._peak_label.setText(f"{f:.2f} Hz")
            self._peak_label.setPos(f + 0.3, np.log10(p_peak))
            title = (f"spectrum: tremor peak {f:.2f} Hz, "
                     f"{format_value(tr.amplitude_rms_mm)} mm RMS")
        else:
            self._peak.setData([], [])
            self._peak_label.setText("")
            title = "spectrum: no tremor detected"
        self._legend.removeItem(self._excluded_sample)
        if d.tremor_excluded_hz.size:
            self._legend.addItem(self._excluded_sample, escape("stroke rhythm (excluded)"))
        _title(self.spectrum, title)
        self.spectrum.setXRange(0, min(20.0, float(tr.freqs_hz[-1])), padding=0.02)
        self.spectrum.enableAutoRange(axis="y")

    def _fill_spiral(self, d: ReviewData, trial: Trial) -> None:
        fit = d.spiral
        self.spiral_widget.setVisible(trial.task == "spiral")
        if fit is None:
            self._spiral_curve.setData([], [])
            self._spiral_fit.setData([], [])
            self._residual_curve.setData([], [])
            _title(self.spiral_plot,
                   "unravelled spiral: too few samples" if trial.task == "spiral" else "")
            return
        self._spiral_curve.setData(fit.theta_rad, fit.r_mm)
        self._spiral_fit.setData(d.spiral_fit_theta_rad, d.spiral_fit_r_mm)
        self._residual_curve.setData(fit.theta_rad, d.spiral_residual_mm)
        _title(self.residual_plot, "deviation from the fit r = a + bθ")
        _title(self.spiral_plot, f"unravelled spiral, {fit.turns:.1f} turns; dashed: fit, "
                                 f"b = {fit.b_mm_per_rad:.3f} mm/rad")

    # ------------------------------------------------------------------------------ time
    def set_cursor(self, t: float) -> None:
        """Put the time series' cursors at `t` (s)."""
        for cursor in self.cursors:
            cursor.setValue(t)

    def time_at(self, scene_pos: QPointF) -> float | None:
        """The time (s) a point of the time series' scene is at; None outside the plots."""
        for plot in (self.speed_plot, self.vy_plot, self.pressure_plot):
            if plot.sceneBoundingRect().contains(scene_pos):
                return float(plot.vb.mapSceneToView(scene_pos).x())
        return None

    # ------------------------------------------------------------------------------ access
    def plotted(self, ancestor: QWidget | None = None) -> dict[str, np.ndarray]:
        """The data the plot items hold now (NaN separates curve pieces); the spiral's only
        when it is shown (visible up to `ancestor`, default this widget).

        Keys: see :meth:`kinewrite.gui.review_view.ReviewView.plotted`.
        """
        def xy(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
            x, y = item.xData, item.yData
            return (np.zeros(0) if x is None else np.asarray(x),
                    np.zeros(0) if y is None else np.asarray(y))

        out: dict[str, np.ndarray] = {}
        out["speed_t_s"], out["speed_mm_s"] = xy(self._speed_curve)
        out["vy_t_s"], out["vy_mm_s"] = xy(self._vy_curve)
        out["stroke_boundaries_s"] = xy(self._boundaries)[0][::2]
        out["pressure_t_s"], out["pressure"] = xy(self._pressure_curve)
        out["spectrum_hz"], out["spectrum_mm2_per_hz"] = xy(self._spectrum_curve)
        thr = xy(self._threshold)[1]
        out["tremor_threshold_mm2_per_hz"] = thr[:1]
        out["tremor_peak_hz"] = xy(self._peak)[0]
        out["replay_time_s"] = np.array([self.replay.time])
        out.update(self.replay.shown())
        if self.spiral_widget.isVisibleTo(ancestor or self):
            out["spiral_theta_rad"], out["spiral_r_mm"] = xy(self._spiral_curve)
            out["spiral_fit_theta_rad"], out["spiral_fit_r_mm"] = xy(self._spiral_fit)
        return out
