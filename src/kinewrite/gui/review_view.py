"""The Review view (PyQt6): replay one trial and see what its features were computed from.

:class:`ReviewView` picks any session of the patient and any trial of it, shows the trial's
plots (:class:`~kinewrite.gui.review_plots.ReviewPlots`, drawing
:func:`~kinewrite.gui.review_data.review_data`) or why it cannot be replayed, and the
trial's stored features against reference ranges (:mod:`kinewrite.gui.feature_table`). The
numbers of the feature table are the trial's cached features, never recomputed here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..analysis.features import ANALYSIS_VERSION
from ..errors import InputError
from ..model import RecordingError
from ..progress import task_label
from ..storage.reader import Session, Trial, load_session
from .feature_table import FeatureTable
from .review_data import ReviewData, default_trial, pressure_calibration, review_data
from .review_plots import ReviewPlots
from .text import PlainLabel, escape, rich_label

__all__ = ["ReviewView"]


def _trial_caption(trial: Trial) -> str:
    status = trial.status
    if status == "superseded" and trial.superseded_by:
        status = f"superseded by {trial.superseded_by}"
    return f"{trial.name} · {task_label(trial.protocol_task, trial.task)} · {status}"


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

        # -- the plots: replay over spectrum, linked time series over the spiral
        self.plots_panel = ReviewPlots()
        panel = self.plots_panel
        self.series_widget = panel.series_widget  # the parts, as attributes of the view
        self.series_widget.scene().sigMouseClicked.connect(self._on_series_click)
        self.replay = panel.replay
        self.spectrum_widget, self.spectrum = panel.spectrum_widget, panel.spectrum
        self.speed_plot, self.vy_plot = panel.speed_plot, panel.vy_plot
        self.pressure_plot = panel.pressure_plot
        self.spiral_widget, self.spiral_plot = panel.spiral_widget, panel.spiral_plot
        self.residual_plot = panel.residual_plot
        self._cursors = panel.cursors

        self.message = PlainLabel()  # may quote a stored analysis error or a file name
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 13pt; color: #8a1c1c; padding: 24px;")
        self.plots_stack = QStackedWidget()
        self.plots_stack.addWidget(panel)
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
        self.plots_panel.fill(data, trial)

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

    # ------------------------------------------------------------------------------ time
    def _on_series_click(self, event) -> None:
        if self._data is None:
            return
        t = self.plots_panel.time_at(event.scenePos())
        if t is not None:
            self.replay.set_time(t)

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
        return self.plots_panel.plotted(self)
