"""The Review view: replay one trial and see what its features were computed from.

:class:`ReviewView` shows one trial of a session: the pen path replayed in time
(:mod:`kinewrite.gui.replay`), linked time series (speed, vertical velocity with the writing-
stroke boundaries, pressure) with a cursor following the replay, the tremor spectrum with its
detection threshold and peak, the unravelled spiral r(θ) for spiral trials, and the trial's
stored features against reference ranges (:mod:`kinewrite.gui.feature_table`).
:func:`render_review_png` renders it offscreen to a PNG.

:func:`review_data` (no Qt involved) turns a stored
:class:`~kinewrite.storage.reader.Trial` into the arrays the view draws: every array,
threshold and exclusion comes from :func:`kinewrite.analysis.review_signals.review_signals`,
the analysis run exactly as :func:`kinewrite.analysis.features.extract_features` runs it
when the trial's features were cached (``SessionWriter.end_trial``, import, export), so the
plots show what the numbers were computed from; this module only draws them. The numbers
themselves (the feature table) are the trial's cached features, never recomputed here.

Times are in s from the trial's first sample; positions in mm; speed in mm/s; pressure as a
fraction 0..1 of the device range, or in N where the stylus is calibrated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .._atomic import atomic_write_bytes, output_problem
from ..analysis.features import ANALYSIS_VERSION
from ..analysis.force import is_calibrated
from ..analysis.review_signals import ReviewSignals, nan_breaks, review_signals
from ..analysis.tremor import BAND_HZ, DETECTION_FACTOR
from ..errors import InputError
from ..model import RecordingError
from ..progress import task_label
from ..storage.reader import Session, Trial, load_session
from ..storage.schema import STATE_HOVER, STATE_OUT, STATE_TOUCH
from .feature_table import FeatureTable, format_value
from .plots import ensure_app, png_bytes
from .replay import FOREGROUND, ReplayWidget, style_plot
from .text import PlainLabel, escape, rich_label

__all__ = ["ReviewData", "ReviewView", "default_trial", "nan_breaks", "render_review_png",
           "review_data"]


@dataclass(frozen=True)
class ReviewData(ReviewSignals):
    """Plot data of one trial: :class:`~kinewrite.analysis.review_signals.ReviewSignals`
    (see there for the arrays and units) and the stored pen state of each raw-clock sample
    (0 out of range, 1 hover, 2 touch)."""

    state: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))


def _replay_state(trial: Trial, signals: ReviewSignals) -> np.ndarray:
    """The stored pen state of the samples the analysis kept.

    The Recording only knows touch or not; hover and out of range come from the raw ``state``
    channel. Falls back to touch/hover from pen_down when the trial has no state channel.
    """
    pen = signals.pen_down
    stored = trial.channels.get("state")
    kept = None if stored is None else signals.follow(stored)
    if kept is None:
        return np.where(pen, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    # touch is what the analysis says it is; a stored code outside 0..2 counts as hover
    return np.where(pen, STATE_TOUCH,
                    np.where(kept == STATE_OUT, STATE_OUT, STATE_HOVER)).astype(np.uint8)


def review_data(trial: Trial) -> ReviewData:
    """Everything the Review view plots for one trial
    (:func:`~kinewrite.analysis.review_signals.review_signals`, plus the stored pen state).

    Parameters
    ----------
    trial : Trial
        A trial of a loaded session (:func:`kinewrite.storage.reader.load_session`).

    Returns
    -------
    ReviewData

    Raises
    ------
    RecordingError
        If the trial holds no sample, or its samples cannot be analyzed (pen never down,
        non-finite values); the message is one line saying why.
    """
    rec = trial.recording
    if rec is None:
        raise RecordingError("the trial holds no samples")
    signals = review_signals(rec, trial.task)
    values = {f.name: getattr(signals, f.name) for f in fields(ReviewSignals)}
    return ReviewData(**values, state=_replay_state(trial, signals))


CURSOR_PEN = pg.mkPen((214, 39, 40), width=1.5)
CURVE_PEN = pg.mkPen((31, 119, 180), width=1.5)
BOUNDARY_PEN = pg.mkPen((150, 150, 150), width=1)
FIT_PEN = pg.mkPen((214, 39, 40), width=2, style=Qt.PenStyle.DashLine)
TITLE_STYLE = {"color": "#1e1e1e", "size": "9.5pt"}


def _trial_caption(trial: Trial) -> str:
    status = trial.status
    if status == "superseded" and trial.superseded_by:
        status = f"superseded by {trial.superseded_by}"
    return f"{trial.name} · {task_label(trial.protocol_task, trial.task)} · {status}"


def pressure_calibration(trial: Trial) -> str:
    """What the trial's pressure numbers are: ``"in N (stylus profile)"`` or
    ``"uncalibrated (share of the tablet range, no newtons)"``."""
    if is_calibrated(trial.calibration.pressure_newton_coeffs):
        return "in N (stylus profile)"
    return "uncalibrated (share of the tablet range, no newtons)"


def default_trial(session: Session) -> Trial | None:
    """The last complete trial of a session, else its last trial (None when it has none)."""
    complete = [t for t in session.trials if t.status == "complete"]
    if complete:
        return complete[-1]
    return session.trials[-1] if session.trials else None


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


class ReviewView(QWidget):
    """Review one trial: replay, linked time series, tremor spectrum, spiral, feature table.

    Use :meth:`load` with a session file, or :meth:`load_trial` with a loaded session.
    :meth:`plotted` returns the data the plots hold, for checks and scripts.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: Session | None = None
        self._trial: Trial | None = None
        self._data: ReviewData | None = None
        self._excluded_regions: list[pg.LinearRegionItem] = []

        # -- top bar: any session of the patient, then any trial of it
        self._sessions: list[Path] = []
        self.session_box = QComboBox()
        self.session_box.setMinimumContentsLength(16)
        self.session_box.setToolTip("Any session of this patient, oldest first")
        self.session_box.currentIndexChanged.connect(self._on_session_chosen)
        self.trial_box = QComboBox()
        self.trial_box.setMinimumContentsLength(28)
        self.trial_box.currentIndexChanged.connect(self._on_trial_chosen)
        self.info = PlainLabel()  # patient code, task, input ...: as the file holds them
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setWordWrap(True)  # a long line must not widen the window (1,317 px at 1,200)
        top = QHBoxLayout()
        top.addWidget(PlainLabel("Session:"))
        top.addWidget(self.session_box)
        top.addSpacing(12)
        top.addWidget(PlainLabel("Trial:"))
        top.addWidget(self.trial_box)
        top.addSpacing(12)
        top.addWidget(self.info, 1)

        # -- left: replay over the tremor spectrum
        self.replay = ReplayWidget()
        self.replay.timeChanged.connect(self._on_time)
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
        self._cursors = []
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
            self._cursors.append(cursor)
        self.series_widget.scene().sigMouseClicked.connect(self._on_series_click)
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

        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(left)
        plots.addWidget(middle)
        plots.setStretchFactor(0, 1)
        plots.setStretchFactor(1, 1)
        self.message = PlainLabel()  # may quote a stored analysis error or a file name
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 13pt; color: #8a1c1c; padding: 24px;")
        self.plots_stack = QStackedWidget()
        self.plots_stack.addWidget(plots)
        self.plots_stack.addWidget(self.message)

        # -- right: the stored features
        self.table_note = rich_label()  # bold on purpose: what comes from the file is escaped
        self.table_note.setWordWrap(True)
        self.table = FeatureTable()
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.table_note)
        rl.addWidget(self.table, 1)

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.plots_stack)
        body.addWidget(right)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([960, 440])
        self._body = body
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(body, 1)
        self._show_message("No session loaded.")

    # ------------------------------------------------------------------------------ loading
    def load(self, session_path: str | os.PathLike[str], trial: str | None = None) -> None:
        """Load a session file and show `trial` (a name like ``"003"``; default the last
        complete trial).

        Raises
        ------
        InputError
            If the file cannot be read as a session (one line naming the file).
        KeyError
            If the session has no trial of that name.
        """
        self.load_trial(load_session(session_path), trial)

    def load_trial(self, session: Session, trial: str | Trial | None = None) -> None:
        """Show `trial` of an already loaded `session` (name, Trial, or None for the default)."""
        if isinstance(trial, Trial):
            trial = trial.name
        chosen = default_trial(session) if trial is None else session.trial(trial)
        self._session = session
        self._fill_sessions(session)
        self.trial_box.blockSignals(True)
        self.trial_box.clear()
        for tr in session.trials:
            self.trial_box.addItem(_trial_caption(tr), tr.name)
        if chosen is not None:
            self.trial_box.setCurrentIndex(self.trial_box.findData(chosen.name))
        self.trial_box.blockSignals(False)
        if chosen is None:
            self._trial, self._data = None, None
            self.info.setText(f"{session.patient_code} · {session.created[:10]}")
            self.table.set_features(None)
            self.table_note.setText("")
            self._show_message(f"{session.path.name}: this session has no trials yet.")
            return
        self._show(chosen)

    def _fill_sessions(self, session: Session) -> None:
        """List the sessions of the patient (the files beside this one), this one chosen."""
        from ..storage.study import study_summaries

        folder = session.path.parent
        try:
            summaries, _ = study_summaries(folder.parent, folder.name, brief=True)
        except (InputError, OSError):
            summaries = []
        paths = [s.path for s in summaries]
        captions = [f"{s.created[:10]} · {len(s.trials)} trials" for s in summaries]
        here = Path(session.path).resolve()
        if here not in [p.resolve() for p in paths]:  # a file outside a study, or unlisted
            paths.append(session.path)
            captions.append(f"{session.created[:10]} · {len(session.trials)} trials")
        self._sessions = paths
        self.session_box.blockSignals(True)
        self.session_box.clear()
        for number, caption in enumerate(captions, start=1):
            self.session_box.addItem(f"{number}: {caption}")
        index = [p.resolve() for p in paths].index(here)
        self.session_box.setCurrentIndex(index)
        self.session_box.blockSignals(False)

    def sessions(self) -> list[Path]:
        """The session files the session picker lists, oldest first."""
        return list(self._sessions)

    def _on_session_chosen(self, index: int) -> None:
        if index < 0 or index >= len(self._sessions):
            return
        path = self._sessions[index]
        if self._session is not None and Path(self._session.path).resolve() == path.resolve():
            return
        try:
            self.load(path)
        except InputError as exc:
            self._show_message(str(exc).splitlines()[0])

    def _on_trial_chosen(self, index: int) -> None:
        if self._session is None or index < 0:
            return
        self._show(self._session.trial(self.trial_box.itemData(index)))

    def _show(self, trial: Trial) -> None:
        session = self._session
        self.replay.pause()
        self._trial = trial
        self.info.setText(
            f"patient {session.patient_code} · {session.created[:10]} · trial {trial.name} · "
            f"{task_label(trial.protocol_task, trial.task)} · {trial.status} · "
            f"{trial.n_samples} samples · input {trial.input} · {pressure_calibration(trial)}")
        self._show_features(trial)
        try:
            data = review_data(trial)
        except RecordingError as exc:
            self._data = None
            reason = str(exc)
            stored = trial.attrs.get("analysis_error")
            if stored and str(stored) != reason:
                reason += f" (when saved: {stored})"
            title = task_label(trial.protocol_task, trial.task)
            self._show_message(f"Trial {trial.name} ({title}) cannot be replayed: {reason}.")
            return
        self._data = data
        self.plots_stack.setCurrentIndex(0)
        self._fill(data, trial)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.plots_stack.setCurrentIndex(1)

    def _show_features(self, trial: Trial) -> None:
        self.table.set_features(trial.features, trial.task)
        if trial.features is None:
            why = trial.attrs.get("analysis_error") or "not computed when the trial was saved"
            self.table_note.setText(f"<b>No stored features</b>: {escape(why)}")
        elif trial.features_version != ANALYSIS_VERSION:
            self.table_note.setText(
                f"<b>Stored features</b> (analysis version {escape(trial.features_version)}; "
                f"this kinewrite is version {ANALYSIS_VERSION}: the plots may differ from them)")
        else:
            self.table_note.setText(
                f"<b>Stored features</b> of trial {escape(trial.name)} (analysis version "
                f"{escape(trial.features_version)}); hover a row for its definition. "
                f"Pen pressure: {escape(pressure_calibration(trial))}")

    # ------------------------------------------------------------------------------ filling
    def _fill(self, d: ReviewData, trial: Trial) -> None:
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

    def _fill_spectrum(self, d: ReviewData, trial: Trial) -> None:
        for region in self._excluded_regions:
            self.spectrum.removeItem(region)
        self._excluded_regions = []
        tr = d.tremor
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
    def _on_time(self, t: float) -> None:
        for cursor in self._cursors:
            cursor.setValue(t)

    def _on_series_click(self, event) -> None:
        if self._data is None:
            return
        for plot in (self.speed_plot, self.vy_plot, self.pressure_plot):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                t = plot.vb.mapSceneToView(event.scenePos()).x()
                self.replay.set_time(t)
                return

    # ------------------------------------------------------------------------------ access
    @property
    def trial(self) -> Trial | None:
        """The trial shown."""
        return self._trial

    @property
    def data(self) -> ReviewData | None:
        """The plot data of the trial shown (None when it cannot be analyzed)."""
        return self._data

    def message_text(self) -> str | None:
        """The message shown instead of the plots, or None when the plots are shown."""
        return self.message.text() if self.plots_stack.currentIndex() == 1 else None

    def plotted(self) -> dict[str, np.ndarray]:
        """The data the plot items hold now (NaN separates curve pieces).

        Keys: ``speed_t_s``, ``speed_mm_s``, ``vy_t_s``, ``vy_mm_s``, ``stroke_boundaries_s``,
        ``pressure_t_s``, ``pressure``, ``spectrum_hz``, ``spectrum_mm2_per_hz``,
        ``tremor_threshold_mm2_per_hz``, ``tremor_peak_hz`` (empty if none), ``replay_time_s``,
        the replay's ink/hover/lift points (``ink_x_mm`` ...) and, for spiral trials only,
        ``spiral_theta_rad``, ``spiral_r_mm``, ``spiral_fit_r_mm``.
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
        if self.spiral_widget.isVisibleTo(self):
            out["spiral_theta_rad"], out["spiral_r_mm"] = xy(self._spiral_curve)
            out["spiral_fit_theta_rad"], out["spiral_fit_r_mm"] = xy(self._spiral_fit)
        return out


def render_review_png(session_path: str | os.PathLike[str], trial: str | None,
                      out_png: str | os.PathLike[str],
                      size: tuple[int, int] = (1400, 900)) -> Path:
    """Render the Review view of one trial to a PNG, offscreen.

    Parameters
    ----------
    session_path : path
        A session file.
    trial : str or None
        Trial name (``"003"``); None for the last complete trial.
    out_png : path
        Where to write the image.
    size : (int, int), default (1400, 900)
        Width and height in logical pixels.

    Returns
    -------
    Path
        `out_png`.

    Raises
    ------
    InputError
        If the session cannot be read, has no trial of that name, or the image cannot be
        written (one line naming the file).
    """
    app = ensure_app()
    view = ReviewView()
    try:
        try:
            view.load(session_path, trial)
        except KeyError:
            raise InputError(f"{session_path}: no trial {trial!r} in this session") from None
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.resize(*size)
        view.show()
        for _ in range(3):
            app.processEvents()
        out = Path(out_png)
        try:
            atomic_write_bytes(out, png_bytes(view, out))  # never half an image
        except OSError as exc:
            raise InputError(output_problem(out, exc)) from None
    finally:
        view.close()
        view.deleteLater()
    return out
