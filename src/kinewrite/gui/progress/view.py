"""The Progress view: a patient's measures across sessions, beside treatments and scales.

Answers the patient's "am I getting better?" and the therapist's "did the toxin or the
training work?". For one task, each chosen feature is plotted over the session dates (one
point per session: the last complete trial of the task, see :mod:`kinewrite.progress`), with
the healthy-writer range of :mod:`kinewrite.analysis.reference` as a green band only where a
source gives one for that task, and treatment events (botulinum toxin, pen-grip training)
as dashed vertical lines, labelled with their number and name in a band above the data
(never over a point, inside the view, shortened with an ellipsis when there is no room, down
to the number) and named in full, with their dates, in a key under the plots. Each plot's
legend sits in that band too, never over a point. On a small screen every plot keeps a
readable height (:data:`PLOT_MIN_PX`) and the plots scroll. The clinical scales (ADDS %,
WCRS points) are plotted beside, on the same dates.

Features carry plain labels ("writing rhythm", "tremor", "pen pressure"); the technical
name, unit, definition and reference are one click away: the details panel under the feature
list shows them for the selected feature (in the palette's text and base colours, readable
in a dark palette), the tooltip too, and "Technical names" switches every label to the
registry's name and unit (:func:`technical_unit`). The numbers are the features cached in
the session files (no recomputation): :meth:`ProgressView.plotted_series` returns exactly
what is drawn, for tests.

The task list holds *protocol tasks* (a spiral traced on a guide and one drawn free are two
entries). Pen pressure is plotted in N where the sessions have a stylus profile, else as a
fraction of the tablet range marked "uncalibrated". A visit without a detected tremor is
marked by a grey cross below the zero line, named in the legend, never drawn as an amplitude
of 0 mm. A visit recorded with a mouse is a hollow point, named in the legend (its timing and
pressure are not comparable with the tablet's). Each plot's title
says whether the change from the first to the last visit is beyond the patient's own
measurement noise (:meth:`kinewrite.progress.Progress.change`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont, QPalette
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...analysis.features import FEATURES, REFERENCES, feature_names
from ...analysis.reference import (
    PLAIN_GROUPS,
    ideal_for,
    plain_caption,
    plain_label,
    reference_for,
)
from ...progress.labels import task_label
from ...progress.load import load_progress
from ...progress.model import Progress, ProgressError
from ..event_labels import EventLabels
from ..plots import (
    EVENT_COLOURS,
    SERIES_COLOUR,
    add_event_marker,
    add_reference,
    ensure_app,
    epoch_seconds,
    new_plot,
    save_png,
    unit_text,
)
from ..text import PlainLabel, escape, plain_tooltip, rich_label

__all__ = ["DEFAULT_FEATURES", "ProgressView", "render_progress_png", "technical_unit"]

_FEATURE = {f.name: f for f in FEATURES}

#: Features shown first for each task (those a patient and therapist ask about).
DEFAULT_FEATURES: dict[str, tuple[str, ...]] = {
    "sentence": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
                 "pressure_mean"),
    "loops": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
              "pressure_mean"),
    "free": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
             "pressure_mean"),
    "spiral": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
               "spiral_smoothness_1"),
    "circles": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
                "peak_vertical_velocity_cv"),
    "lines": ("pressure_mean", "speed_mean_mm_s", "normalized_jerk_median", "duration_s"),
}
#: Preferred first task: the sentence is what patients complain about.
_TASK_PREFERENCE = ("sentence", "spiral", "loops", "circles", "lines", "free")
#: The clinical scales plotted: (scale, what it rates, unit, which way is better); the
#: title says what it rates and its direction, the axis the scale and unit (short enough
#: for the height of a plot on a small screen).
CLINICAL = (("ADDS", "arm disability", "%", "higher is better"),
            ("WCRS", "cramp rating", "points", "lower is better"))
_ROLE = Qt.ItemDataRole.UserRole
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
DAY_S = 86400.0
#: The least height (px) of one plot on screen: room for its title, axes, a legend in the
#: band above the data, and the data under it; the plot with the treatment labels has
#: LABEL_ROW_PX more, the one with the date axis's name AXIS_LABEL_PX more. When the view
#: is too small for these the plots scroll.
PLOT_MIN_PX = 122
LABEL_ROW_PX = 24
AXIS_LABEL_PX = 22


def _technical_text(name: str, task: str | None) -> str:
    """Technical name, unit, definition, reference and healthy range of a feature."""
    f = _FEATURE.get(name)
    if f is None:
        return name
    lines = [f"{name}  [{technical_unit(name)}]", f.definition,
             f"Source: {REFERENCES.get(f.reference, f.reference)}"]
    ref = reference_for(name, task)
    ideal = ideal_for(name)
    if ref is not None:
        lines.append(f"Healthy writers: {ref.range_text()} ({ref.source}).")
    elif ideal is not None:
        lines.append(f"{ideal.text} ({ideal.source}). No band is drawn.")
    else:
        lines.append("No published healthy-writer range for this task: no band is drawn.")
    if f.family == "pressure" and f.unit == "1":
        lines.append("Uncalibrated: a fraction of the tablet's range, not newtons.")
    return "\n".join(lines)


def technical_unit(name: str) -> str:
    """A feature's unit exactly as the registry gives it (``"Hz"``, ``"mm/s"``; ``"1"`` for
    a count or a ratio, the SI unit of a dimensionless quantity): what "Technical names"
    shows, never a plain-language word such as "ratio" or "count"."""
    return _FEATURE[name].unit


def _unit_words(name: str, calibrated: bool = False) -> str:
    """The unit of a feature for an axis label; pressure levels are a fraction of the
    tablet's range ("uncalibrated" when the sessions have no newtons), other unit-1
    features are ratios or counts."""
    f = _FEATURE[name]
    if f.unit == "1" and name in ("pressure_mean", "pressure_sd", "pressure_p10",
                                  "pressure_p90"):
        return "fraction of range" if calibrated else "fraction, uncalibrated"
    if f.unit == "1" and name in ("stroke_count", "pen_lifts", "on_surface_strokes",
                                  "gap_count", "tremor_detected"):
        return "count" if name != "tremor_detected" else "1 = yes"
    return unit_text(f.unit)


class ProgressView(QWidget):
    """A patient's chosen features over sessions, with reference bands, treatment markers
    and clinical scales.

    Parameters
    ----------
    study_dir : path-like, optional
        The study folder.
    patient : str, optional
        The patient code to show.
    parent : QWidget, optional
    """

    #: A point was clicked: (session file, trial name such as ``"003"``) of its trial.
    trialRequested = pyqtSignal(str, str)
    #: How near (px) a click must land to a point to open its trial.
    CLICK_RADIUS_PX = 12.0

    def __init__(self, study_dir: str | os.PathLike[str] | None = None,
                 patient: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.study_dir: Path | None = None
        self.patient: str | None = None
        self.progress: Progress | None = None
        self.task: str | None = None
        self._chosen: dict[str, list[str]] = {}
        self._series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._markers: list[tuple[float, str]] = []
        self._event_labels: list = []  # keeps the label layouts of the drawn plots
        #: Per plotted feature: the visits drawn as "no tremor" (dates), and the noise
        #: verdict of the first-to-last change shown in its title.
        self.no_tremor: dict[str, np.ndarray] = {}
        #: Per plotted feature: the visits whose change from the previous visit is beyond
        #: measurement noise (dates), ringed on the plot.
        self.real_changes: dict[str, np.ndarray] = {}
        self.change_notes: dict[str, str] = {}
        #: Chosen features without a value in any visit: a short text, no axes.
        self.not_measured: list[str] = []
        #: Per plotted feature: the visits recorded with a mouse (dates), drawn hollow.
        self.mouse_visits: dict[str, np.ndarray] = {}
        self.feature_plots: dict[str, pg.PlotItem] = {}
        self.clinical_plots: dict[str, pg.PlotItem] = {}
        #: Plot grid and font (the report draws 2 columns in larger type for A4).
        self.columns = 1
        self.font_pt = 10.0
        #: titles with the measure only (the report's small charts: the healthy range and the
        #: change stand in its summary table, and a long title overlaps its neighbour's)
        self.short_titles = False

        self.title = PlainLabel("No patient selected")  # the patient code from the files
        font = QFont()
        font.setPointSizeF(13)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)  # a long title wraps rather than widening the view
        self.banner = PlainLabel("SIMULATED DATA: no person wrote these trials")
        self.banner.setStyleSheet("background:#b00020; color:white; font-weight:bold; "
                                  "padding:3px 8px; border-radius:3px")
        self.banner.setVisible(False)
        # two short lines rather than one long: the title beside it keeps the width to stay
        # on one or two lines at 900 px (four before)
        self.banner.setWordWrap(True)
        self.banner.setMinimumWidth(200)
        self.banner.setMaximumWidth(230)
        self.task_combo = QComboBox()
        self.task_combo.setToolTip("The writing task whose sessions are plotted")
        # protocol task names ("Spiral without a guide") must not widen the whole view
        self.task_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task_combo.setMinimumContentsLength(14)
        self.task_combo.currentIndexChanged.connect(self._index_changed)
        self.technical = QCheckBox("Technical names")
        self.technical.setToolTip("Show the registry names (with units) instead of plain labels")
        self.technical.toggled.connect(self._relabel)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)  # the title takes the free width: 2 lines, not 4
        top.addWidget(self.banner, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(PlainLabel("Task:"))
        top.addWidget(self.task_combo)
        top.addWidget(self.technical)

        self.feature_list = QListWidget()
        self.feature_list.setToolTip("Tick the measures to plot; select one for its details")
        self.feature_list.itemChanged.connect(self._item_changed)
        self.feature_list.currentItemChanged.connect(self._show_details)
        self.details = rich_label(escape("Select a measure to see its technical name, unit "
                                         "and definition."))
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the palette's own pair of roles (Base behind Text), not fixed colours: readable in
        # a light and a dark palette alike
        self.details.setAutoFillBackground(True)
        self.details.setBackgroundRole(QPalette.ColorRole.Base)
        self.details.setForegroundRole(QPalette.ColorRole.Text)
        self.details.setFrameShape(QFrame.Shape.StyledPanel)
        self.details.setMargin(6)
        self.details.setMinimumHeight(150)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(PlainLabel("Measures"))
        side_layout.addWidget(self.feature_list, 1)
        side_layout.addWidget(self.details)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.plots.setToolTip("Click a point to review its trial")
        self.plots.scene().sigMouseClicked.connect(self._on_plot_click)
        self.clinical = pg.GraphicsLayoutWidget()
        self.clinical.setBackground("w")
        for grid in (self.plots, self.clinical):  # pyqtgraph's margins, narrower
            grid.ci.layout.setContentsMargins(4, 4, 4, 4)
            grid.ci.layout.setVerticalSpacing(4)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        # each plot keeps a readable height (PLOT_MIN_PX): on a small screen the plots
        # scroll rather than shrink until their treatment labels and legends have no room
        plots_area, self._plots_box = _scrolled(self.plots)
        clinical_area, self._clinical_box = _scrolled(self.clinical)
        splitter.addWidget(plots_area)
        splitter.addWidget(clinical_area)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([240, 800, 340])
        self.caption = PlainLabel(
            "Each point is one visit (the last complete trial of the task). The green band is "
            "the range of healthy writers, only where a source gives one for this task. A grey "
            "cross under a date: no tremor detected in that visit (no amplitude, not 0 mm). "
            "A ring: changed from the visit before by more than the measurement noise. "
            "A hollow point: recorded with a mouse (timing and pressure not comparable). "
            "Dashed vertical lines mark treatments.")
        self.caption.setWordWrap(True)
        #: The treatments' key: each one's number (as on its line), name and date in full.
        self.event_key = PlainLabel("")
        self.event_key.setWordWrap(True)
        self.event_key.setVisible(False)
        self.message = PlainLabel("")  # file names and why they could not be read
        self.message.setStyleSheet("color:#b00020")
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.event_key)
        layout.addWidget(self.caption)
        if study_dir is not None:
            self.set_study(study_dir)
        if patient:
            self.set_patient(patient)

    # ------------------------------------------------------------------ public API
    def set_study(self, path: str | os.PathLike[str] | None) -> None:
        """Show the study folder `path` (keeps the patient if the study has them)."""
        self.study_dir = Path(path) if path else None
        self.reload()

    def set_patient(self, code: str | None) -> None:
        """Show patient `code` (None or "" clears the view)."""
        self.patient = code or None
        self.reload()

    def set_task(self, task: str) -> None:
        """Plot the sessions of protocol task `task` (e.g. ``"sentence"``,
        ``"spiral_free"``; a key of :attr:`kinewrite.progress.Progress.tasks`)."""
        index = self.task_combo.findData(task)
        if index < 0:
            raise ValueError(f"no session of task {task!r} for this patient")
        self.task_combo.setCurrentIndex(index)

    def analysis_task(self) -> str | None:
        """The analysis task of the current protocol task (``"spiral"`` for both spirals)."""
        if self.task is None or self.progress is None:
            return None
        return self.progress.task_of(self.task)

    def set_features(self, names: list[str]) -> None:
        """Plot exactly these features (registry names) for the current task."""
        if self.task is None:
            return
        unknown = [n for n in names if n not in feature_names(self.analysis_task())]
        if unknown:
            raise ValueError(f"not features of task {self.task!r}: {', '.join(unknown)}")
        self._chosen[self.task] = list(names)
        self._fill_features()
        self._draw()

    def chosen_features(self) -> list[str]:
        return list(self._chosen.get(self.task or "", []))

    def plotted_series(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What is drawn: feature name (or ``"ADDS"``/``"WCRS"``) -> (dates, values).

        Dates are numpy ``datetime64[ms]`` (UTC), values floats in the feature's unit, both
        read back from the plotted curves.
        """
        return {k: (v[0].copy(), v[1].copy()) for k, v in self._series.items()}

    def event_markers(self) -> list[tuple[np.datetime64, str]]:
        """Treatment markers drawn: (date, label)."""
        return [(np.datetime64(round(x * 1000), "ms"), label) for x, label in self._markers]

    def reload(self) -> None:
        """Re-read the study (features only, no samples) and redraw."""
        self.progress = None
        self.message.clear()
        if self.study_dir is None or self.patient is None:
            self.title.setText("No patient selected" if self.study_dir else "No study folder")
            self.banner.setVisible(False)
            self._fill_tasks([])
            self._draw()
            return
        try:
            self.progress = load_progress(self.study_dir, self.patient)
        except ProgressError as exc:
            self.title.setText(f"Progress of {self.patient}")
            self.message.setText(str(exc))
            self.banner.setVisible(False)
            self._fill_tasks([])
            self._draw()
            return
        p = self.progress
        dates = p.table["session_date"]
        self.title.setText(f"Progress of {p.patient_code}: {len(p.sessions)} sessions, "
                           f"{dates.iloc[0]} to {dates.iloc[-1]}")
        self.banner.setVisible(p.simulated)
        if p.problems:
            self.message.setText(f"{len(p.problems)} file(s) could not be read: "
                                 f"{p.problems[0]}")
        self._fill_tasks(p.tasks)

    # ------------------------------------------------------------------ controls
    def _fill_tasks(self, tasks: list[str]) -> None:
        keep = self.task
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        p = self.progress
        for key in tasks:
            self.task_combo.addItem(task_label(key, p.task_of(key)) if p else key, key)
        self.task_combo.blockSignals(False)
        if not tasks:
            self.task = None
            self.feature_list.clear()
            return
        if keep not in tasks:
            analysis = {k: p.task_of(k) for k in tasks} if p else {k: k for k in tasks}
            keep = next(k for t in (*_TASK_PREFERENCE, *tasks) for k in tasks
                        if analysis[k] == t or k == t)
        self.task_combo.blockSignals(True)  # one draw, below, not a second one from the signal
        self.task_combo.setCurrentIndex(self.task_combo.findData(keep))
        self.task_combo.blockSignals(False)
        self._task_changed(keep)

    def _index_changed(self, index: int) -> None:
        key = self.task_combo.itemData(index) if index >= 0 else None
        if key:
            self._task_changed(key)

    def _task_changed(self, task: str) -> None:
        if not task:
            return
        self.task = task
        if task not in self._chosen:
            analysis = self.analysis_task() or task
            applicable = set(feature_names(analysis))
            names = []
            for n in DEFAULT_FEATURES.get(analysis, ()):
                if n == "pressure_mean" and self._calibrated(task):
                    n = "pressure_mean_N"
                if n in applicable:
                    names.append(n)
            self._chosen[task] = names
        self._fill_features()
        self._draw()

    def _calibrated(self, task: str) -> bool:
        """Whether the task's sessions have pen force in N (a stylus profile)."""
        if self.progress is None:
            return False
        values = self.progress.series(task, "pressure_mean_N")[1]
        return bool(np.isfinite(values).any())

    def _label(self, name: str) -> str:
        if self.technical.isChecked():
            f = _FEATURE.get(name)
            return f"{name} ({technical_unit(name)})" if f else name
        return plain_label(name)

    def _fill_features(self) -> None:
        task = self.analysis_task()
        self.feature_list.blockSignals(True)
        self.feature_list.clear()
        applicable = set(feature_names(task)) if task else set()
        chosen = set(self._chosen.get(self.task or "", []))
        bold = QFont()
        bold.setBold(True)
        for group, names in PLAIN_GROUPS.items():
            names = [n for n in names if n in applicable]
            if not names:
                continue
            header = QListWidgetItem(group.capitalize())
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)  # dark text, not selectable
            header.setFont(bold)
            self.feature_list.addItem(header)
            for name in names:
                item = QListWidgetItem(self._label(name))
                item.setData(_ROLE, name)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in chosen
                                   else Qt.CheckState.Unchecked)
                item.setToolTip(plain_tooltip(
                    f"{plain_caption(name)}\n\n{_technical_text(name, task)}"))
                self.feature_list.addItem(item)
        self.feature_list.blockSignals(False)

    def _item_changed(self, item: QListWidgetItem) -> None:
        name = item.data(_ROLE)
        if not name or self.task is None:
            return
        chosen = self._chosen.setdefault(self.task, [])
        if item.checkState() == Qt.CheckState.Checked and name not in chosen:
            chosen.append(name)
        elif item.checkState() != Qt.CheckState.Checked and name in chosen:
            chosen.remove(name)
        self._draw()

    def _show_details(self, item: QListWidgetItem | None, _prev=None) -> None:
        name = item.data(_ROLE) if item is not None else None
        if not name:
            return
        self.details.setText(f"<b>{escape(plain_label(name))}</b>: "
                             f"{escape(plain_caption(name))}<br><br>"
                             + escape(_technical_text(name, self.analysis_task()))
                             .replace("\n", "<br>"))

    def _relabel(self) -> None:
        self._fill_features()
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        self.plots.clear()
        self.clinical.clear()
        self.feature_plots.clear()
        self.clinical_plots.clear()
        self._series = {}
        self._markers = []
        self._event_labels = []
        self.no_tremor = {}
        self.real_changes = {}
        self.mouse_visits = {}
        self.not_measured = []
        self.change_notes = {}
        self.event_key.setText("")
        self.event_key.setVisible(False)
        self._plots_box.setMinimumHeight(0)
        self._clinical_box.setMinimumHeight(0)
        p, task = self.progress, self.task
        if p is None or task is None:
            return
        analysis = p.task_of(task)
        chosen = self._chosen.get(task, [])
        screen = self.columns == 1  # the report's grid of small charts has its own size
        if screen:  # the plots' least heights, and the layout's spacing and margins
            self._plots_box.setMinimumHeight(_layout_overhead(self.plots, len(chosen)))
            self._clinical_box.setMinimumHeight(
                PLOT_MIN_PX * len(CLINICAL) + AXIS_LABEL_PX
                + _layout_overhead(self.clinical, len(CLINICAL)))
        events = p.events.dropna(subset=["date"])
        ev_x = epoch_seconds(events["date"].to_numpy())
        key = self.event_key_text(events, ev_x)
        self.event_key.setText(key)
        self.event_key.setVisible(bool(key))
        session_x = epoch_seconds(p.table["session_time"].to_numpy())
        clin = p.clinical.dropna(subset=["date"])
        all_x = np.concatenate([session_x, ev_x, epoch_seconds(clin["date"].to_numpy())])
        all_x = all_x[np.isfinite(all_x)]
        pad = max(0.06 * float(np.ptp(all_x)), 10 * DAY_S)
        x_range = (float(all_x.min()) - pad, float(all_x.max()) + pad)
        first: pg.PlotItem | None = None
        for row, name in enumerate(chosen):
            f = _FEATURE[name]
            ref = reference_for(name, analysis)
            title = self._label(name)
            if ref is not None and not self.short_titles:
                title += f"  ·  healthy writers {ref.range_text()}"
            note = self._change_note(p, task, name)
            if note:
                self.change_notes[name] = note
                if not self.short_titles:
                    title += f"  ·  {note}"
            plot = new_plot(self.plots, row // self.columns, row % self.columns, title=title,
                            font_pt=self.font_pt,
                            # the title names the measure; the axis says "value" and
                            # its unit (a long name would run past the plot's height)
                            left=((f"value ({technical_unit(name)})", None)
                                  if self.technical.isChecked()
                                  else ("value", _unit_words(name, self._calibrated(task)))),
                            # the plots share their dates: the axis is named once, under
                            # the last row (the others keep that height for their data)
                            bottom=(("session date", "UTC") if row // self.columns
                                    == (len(chosen) - 1) // self.columns else None),
                            date_axis=True)
            if screen:
                least = (PLOT_MIN_PX + (LABEL_ROW_PX if row == 0 and len(events) else 0)
                         + (AXIS_LABEL_PX if row == len(chosen) - 1 else 0))
                plot.setMinimumHeight(least)
                self._plots_box.setMinimumHeight(self._plots_box.minimumHeight() + least)
            x, y = p.series(task, name)
            xs = epoch_seconds(x)
            if self._not_measured(p, task, name, y):
                self._show_not_measured(plot)
                self.not_measured.append(name)
                self.feature_plots[name] = plot
                self._series[name] = (x.astype("datetime64[ms]"), y.copy())
                continue
            curve = plot.plot(xs, y, pen=pg.mkPen(SERIES_COLOUR, width=2), symbol="o",
                              symbolSize=9, symbolBrush=pg.mkBrush(SERIES_COLOUR),
                              symbolPen=pg.mkPen("w"), connect="finite")
            curve.setToolTip(plain_tooltip(plain_caption(name)))
            self.real_changes[name] = self._mark_real_changes(plot, p, task, name, x, xs, y)
            self.mouse_visits[name] = self._mark_mouse(plot, p, task, x, xs, y)
            y0, y1 = self._set_y_range(plot, y, ref)
            if f.family == "tremor" and name != "tremor_detected":
                self.no_tremor[name] = self._mark_no_tremor(plot, p, task, x, xs, y, y0, y1)
            if ref is not None:
                margin = 10 * (y1 - y0)
                add_reference(plot, ref.low, ref.high, f"healthy writers {ref.range_text()}",
                              open_to=(y0 - margin, y1 + margin))
            self._add_events(plot, events, ev_x, label=first is None, x_range=x_range)
            plot.setXRange(*x_range, padding=0)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.feature_plots[name] = plot
            self._series[name] = self._read_back(curve)
        first_scale: pg.PlotItem | None = None
        for row, (scale, rates, unit, hint) in enumerate(CLINICAL):
            entries = clin[clin["scale"] == scale]
            plot = new_plot(self.clinical, row // self.columns, row % self.columns,
                            title=f"{rates}, {hint}", font_pt=self.font_pt,
                            left=(scale, unit), date_axis=True,
                            bottom=(("date", "UTC") if row // self.columns
                                    == (len(CLINICAL) - 1) // self.columns else None))
            cx = epoch_seconds(entries["date"].to_numpy())
            cy = entries["score"].to_numpy(dtype=np.float64)
            curve = plot.plot(cx, cy, pen=pg.mkPen((90, 90, 90), width=2), symbol="s",
                              symbolSize=8, symbolBrush=pg.mkBrush(90, 90, 90),
                              connect="finite")
            if scale == "ADDS":
                plot.setYRange(0, 100, padding=0.05)
            else:
                top = float(np.nanmax(cy)) if cy.size and np.isfinite(cy).any() else 1.0
                plot.setYRange(0, max(top, 1.0), padding=0.1)
            self._add_clinical_events(plot, events, ev_x)
            plot.setXRange(*x_range, padding=0)
            # linked only to the scales' own first plot: pyqtgraph lines linked views up by
            # their screen position where they overlap, and the scales' grid is a widget of
            # its own (the report draws it where the measures' plots were: the dates shifted)
            if first_scale is None:
                first_scale = plot
            else:
                plot.setXLink(first_scale)
            if cy.size == 0:
                text = pg.TextItem(f"no {scale} entry", color=(120, 120, 120),
                                   anchor=(0.5, 0.5))
                plot.addItem(text)
                text.setPos(sum(x_range) / 2, 50 if scale == "ADDS" else 0.5)
            self.clinical_plots[scale] = plot
            self._series[scale] = self._read_back(curve)

    def point_trials(self) -> list[tuple[str, str]]:
        """(session file, trial name) of each plotted point of the current task, in the
        order of :meth:`plotted_series` (one per session that recorded the task)."""
        if self.progress is None or self.task is None or self.study_dir is None:
            return []
        rows = self.progress.rows(self.task)
        return [(str(self.study_dir / f), f"{int(t):03d}")
                for f, t in zip(rows["session_file"], rows["trial"], strict=True)]

    def trial_at(self, plot: pg.PlotItem, scene_pos) -> tuple[str, str] | None:
        """The trial of the point of `plot` nearest `scene_pos`, if within
        :attr:`CLICK_RADIUS_PX` of it."""
        name = next((n for n, p in self.feature_plots.items() if p is plot), None)
        if name is None or self.progress is None or self.task is None:
            return None
        xs, ys = self.progress.series(self.task, name)  # what was plotted, NaNs kept
        x = epoch_seconds(xs)
        finite = np.isfinite(x) & np.isfinite(ys)
        if not finite.any():
            return None
        vb = plot.vb
        best, best_d = None, self.CLICK_RADIUS_PX
        for i in np.flatnonzero(finite):  # one per session: a few dozen at most
            point = vb.mapViewToScene(pg.Point(float(x[i]), float(ys[i])))
            d = math.hypot(point.x() - scene_pos.x(), point.y() - scene_pos.y())
            if d <= best_d:
                best, best_d = int(i), d
        trials = self.point_trials()
        return trials[best] if best is not None and best < len(trials) else None

    def _on_plot_click(self, event) -> None:
        for plot in self.feature_plots.values():
            if plot.sceneBoundingRect().contains(event.scenePos()):
                hit = self.trial_at(plot, event.scenePos())
                if hit is not None:
                    self.trialRequested.emit(*hit)
                return

    def _add_events(self, plot: pg.PlotItem, events, ev_x: np.ndarray, label: bool,
                    x_range: tuple[float, float]) -> None:
        """Treatment lines; with `label`, their labels in a band above the data
        (:class:`~kinewrite.gui.event_labels.EventLabels`: inside the view, off the
        points, the full text in the tooltip)."""
        # the band above the data holds the labels (first plot) and the legend (any plot)
        labels = EventLabels(plot, self.font_pt - 1)
        number = 0
        for x, kind, text in zip(ev_x, events["kind"], events["label"], strict=True):
            if not math.isfinite(x):
                continue
            number += 1
            line = add_event_marker(plot, x, kind, None)
            line.setToolTip(plain_tooltip(f"{number}: {text}"))
            if label:
                labels.add(float(x), text, EVENT_COLOURS.get(kind, EVENT_COLOURS["other"]),
                           number=number)
                self._markers.append((float(x), text))
        labels.place()
        self._event_labels.append(labels)

    @staticmethod
    def _add_clinical_events(plot: pg.PlotItem, events, ev_x: np.ndarray) -> None:
        """The treatment lines of a scale's plot (numbered in their tooltips, as in the
        key)."""
        number = 0
        for x, kind, text in zip(ev_x, events["kind"], events["label"], strict=True):
            if math.isfinite(x):
                number += 1
                line = add_event_marker(plot, x, kind, None)
                line.setToolTip(plain_tooltip(f"{number}: {text}"))

    @staticmethod
    def event_key_text(events, ev_x: np.ndarray) -> str:
        """The key under the plots: each treatment's number (as on its line's label), name
        and date, in full."""
        parts = []
        for x, date, text in zip(ev_x, events["date"], events["label"], strict=True):
            if math.isfinite(x):
                parts.append(f"{len(parts) + 1} = {text} ({str(date)[:10]})")
        if not parts:
            return ""
        return "Treatments (dashed lines): " + ";  ".join(parts)

    @staticmethod
    def _mark_real_changes(plot: pg.PlotItem, p: Progress, task: str, name: str,
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
            _legend(plot).addItem(ring, REAL_CHANGE_TEXT)
        return dates[real].copy()

    @staticmethod
    def _not_measured(p: Progress, task: str, name: str, y: np.ndarray) -> bool:
        """No finite value in any visit, and none a "no tremor detected" visit (those are
        drawn: they say something)."""
        if np.isfinite(y).any():
            return False
        if _FEATURE[name].family == "tremor" and name != "tremor_detected":
            detected = p.series(task, "tremor_detected")[1]
            return not (detected == 0).any()
        return True

    def _show_not_measured(self, plot: pg.PlotItem) -> None:
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
        font.setPointSizeF(self.font_pt)
        text.setFont(font)
        plot.addItem(text, ignoreBounds=True)
        text.setPos(0.5, 0.5)

    @staticmethod
    def _mark_mouse(plot: pg.PlotItem, p: Progress, task: str, dates: np.ndarray,
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
            _legend(plot).addItem(item, MOUSE_TEXT)
        return dates[mouse].copy()

    @staticmethod
    def _change_note(p: Progress, task: str, name: str) -> str:
        """``"first to last: beyond measurement noise"`` (or within noise); "" when the noise
        is not known or there is one visit."""
        verdict = p.change(task, name)
        if verdict == "noise not known":
            return ""
        return f"first to last visit: {verdict}"

    @staticmethod
    def _mark_no_tremor(plot: pg.PlotItem, p: Progress, task: str, dates: np.ndarray,
                        xs: np.ndarray, y: np.ndarray, y0: float, y1: float) -> np.ndarray:
        """Visits where no tremor was detected: a grey cross in a strip of its own *below*
        the plot's zero line (no tick labels there), under the visit's date, with the words
        "no tremor detected (no amplitude)" in the legend: not a point on the curve, the
        amplitude is not 0 mm, there is none (the feature is NaN there, and stays NaN in
        :meth:`plotted_series`). One item for all
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
        _legend(plot).addItem(item, NO_TREMOR_TEXT)
        return dates[none].copy()

    @staticmethod
    def _set_y_range(plot: pg.PlotItem, y: np.ndarray, ref) -> tuple[float, float]:
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

    @staticmethod
    def _read_back(curve: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
        x, y = curve.getData()
        if x is None:
            return np.zeros(0, dtype="datetime64[ms]"), np.zeros(0)
        dates = np.round(np.asarray(x, dtype=np.float64) * 1000).astype("int64")
        return dates.astype("datetime64[ms]"), np.asarray(y, dtype=np.float64)


def render_progress_png(study_dir: str | os.PathLike[str], patient: str,
                        out_png: str | os.PathLike[str], size: tuple[int, int] = (1400, 900),
                        task: str | None = None,
                        features: list[str] | None = None) -> Path:
    """Render the Progress view of `patient` to a PNG, offscreen.

    Parameters
    ----------
    study_dir : path-like
    patient : str
    out_png : path-like
    size : (int, int), default (1400, 900)
        Width and height in logical pixels.
    task : str, optional
        Task to show (default: the sentence if recorded, else the first task).
    features : list of str, optional
        Features to plot (default :data:`DEFAULT_FEATURES` of the task).

    Raises
    ------
    ProgressError
        Unknown patient, empty study (one line).
    OSError
        If the image cannot be written.
    """
    ensure_app()
    view = ProgressView()
    view.study_dir = Path(study_dir)
    view.patient = patient
    view.reload()
    if view.progress is None:
        raise ProgressError(view.message.text() or f"{study_dir}: nothing to show")
    if task is not None:
        view.set_task(task)
    if features is not None:
        view.set_features(features)
    try:
        return save_png(view, out_png, size)
    finally:
        view.close()
        view.deleteLater()


def _legend(plot: pg.PlotItem) -> pg.LegendItem:
    """The plot's legend (top right, light background): pyqtgraph keeps one per plot and
    returns it again, so the marks of one plot share it."""
    legend = plot.addLegend(offset=(-10, 10), labelTextColor=(30, 30, 30),
                            brush=pg.mkBrush(255, 255, 255, 220), verSpacing=-4)
    legend.layout.setContentsMargins(4, 1, 4, 1)  # pyqtgraph's 9 px doubles its height
    return legend


def _layout_overhead(plots: pg.GraphicsLayoutWidget, rows: int) -> int:
    """Height (px) a plot grid of `rows` rows takes besides its plots: the spacing between
    rows and the margins around them."""
    layout = plots.ci.layout
    _left, top, _right, bottom = layout.getContentsMargins()
    return math.ceil(top + bottom + max(rows - 1, 0) * max(layout.verticalSpacing(), 0.0))


def _scrolled(plots: QWidget) -> tuple[QScrollArea, QWidget]:
    """`plots` in a box (its minimum height is set per drawing) in a vertical scroll area:
    the plots take the area's height when it is enough and scroll when not. Returns the
    area and the box."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plots)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(box)
    return area, box
