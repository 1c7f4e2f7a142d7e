"""The Progress view's widget: its controls and plot grids laid out (the plots scroll on a
small screen), the drawing of a patient's plots for the chosen task and measures, and a click
on a point opening its trial; see :mod:`kinewrite.gui.progress`."""

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
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..progress.load import load_progress
from ..progress.model import Progress, ProgressError
from .event_labels import EventLabels
from .plots import epoch_seconds
from .progress_choice import MeasureChoice
from .progress_measure import Timeline, draw_measure
from .progress_scales import CLINICAL, draw_scales
from .progress_treatments import event_key_text
from .text import PlainLabel, escape, rich_label

__all__ = ["AXIS_LABEL_PX", "LABEL_ROW_PX", "PLOT_MIN_PX", "ProgressView"]

DAY_S = 86400.0
#: The least height (px) of one plot on screen: room for its title, axes, a legend in the
#: band above the data, and the data under it; the plot with the treatment labels has
#: LABEL_ROW_PX more, the one with the date axis's name AXIS_LABEL_PX more. When the view
#: is too small for these the plots scroll.
PLOT_MIN_PX = 122
LABEL_ROW_PX = 24
AXIS_LABEL_PX = 22


class ProgressView(MeasureChoice, QWidget):
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
        self._event_labels: list[EventLabels] = []  # the label layouts of the drawn plots
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
        plots_area, self._plots_box = scrolled(self.plots)
        clinical_area, self._clinical_box = scrolled(self.clinical)
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

    # ------------------------------------------------------------------ drawing
    #: The treatments' key under the plots
    #: (:func:`~kinewrite.gui.progress_treatments.event_key_text`).
    event_key_text = staticmethod(event_key_text)

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
        chosen = self._chosen.get(task, [])
        screen = self.columns == 1  # the report's grid of small charts has its own size
        if screen:  # the plots' least heights, and the layout's spacing and margins
            self._plots_box.setMinimumHeight(layout_overhead(self.plots, len(chosen)))
            self._clinical_box.setMinimumHeight(
                PLOT_MIN_PX * len(CLINICAL) + AXIS_LABEL_PX
                + layout_overhead(self.clinical, len(CLINICAL)))
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
        timeline = Timeline(events, ev_x, (float(all_x.min()) - pad, float(all_x.max()) + pad))
        first: pg.PlotItem | None = None
        for row, name in enumerate(chosen):
            least = None
            if screen:
                least = (PLOT_MIN_PX + (LABEL_ROW_PX if row == 0 and len(events) else 0)
                         + (AXIS_LABEL_PX if row == len(chosen) - 1 else 0))
            drawn = draw_measure(self.plots, row, len(chosen), name, p, task, timeline,
                                 columns=self.columns, font_pt=self.font_pt,
                                 short_titles=self.short_titles,
                                 technical=self.technical.isChecked(),
                                 calibrated=self._calibrated(task),
                                 label_events=first is None, min_height_px=least)
            if least is not None:
                self._plots_box.setMinimumHeight(self._plots_box.minimumHeight() + least)
            if drawn.note:
                self.change_notes[name] = drawn.note
            self.feature_plots[name] = drawn.plot
            self._series[name] = drawn.series
            if not drawn.measured:
                self.not_measured.append(name)
                continue
            self.real_changes[name] = drawn.real_changes
            self.mouse_visits[name] = drawn.mouse_visits
            if drawn.no_tremor is not None:
                self.no_tremor[name] = drawn.no_tremor
            self._markers.extend(drawn.markers)
            self._event_labels.append(drawn.labels)
            if first is None:
                first = drawn.plot
            else:
                drawn.plot.setXLink(first)
        plots, series = draw_scales(self.clinical, clin, timeline, columns=self.columns,
                                    font_pt=self.font_pt)
        self.clinical_plots.update(plots)
        self._series.update(series)

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


def layout_overhead(plots: pg.GraphicsLayoutWidget, rows: int) -> int:
    """Height (px) a plot grid of `rows` rows takes besides its plots: the spacing between
    rows and the margins around them."""
    layout = plots.ci.layout
    _left, top, _right, bottom = layout.getContentsMargins()
    return math.ceil(top + bottom + max(rows - 1, 0) * max(layout.verticalSpacing(), 0.0))


def scrolled(plots: QWidget) -> tuple[QScrollArea, QWidget]:
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
