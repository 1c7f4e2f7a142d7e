"""Which task and which measures the Progress view plots: the task list, the measure list
(grouped, with plain or technical names) and the definition box of the selected measure.

:class:`MeasureChoice` is a part of :class:`~kinewrite.gui.progress.ProgressView`: it holds
the view's choices and fills its controls (``task_combo``, ``feature_list``, ``details``,
``technical``), and asks the view to redraw (``_draw``) when a choice changes.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QListWidgetItem

from ..analysis.features import feature_names
from ..analysis.reference import PLAIN_GROUPS, plain_caption, plain_label
from ..progress.labels import task_label
from .progress_names import DEFAULT_FEATURES, TASK_PREFERENCE, measure_label, technical_text
from .text import escape, plain_tooltip

__all__ = ["MeasureChoice"]

_ROLE = Qt.ItemDataRole.UserRole


class MeasureChoice:
    """The task and measure choices of the Progress view (a base class of it)."""

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
            keep = next(k for t in (*TASK_PREFERENCE, *tasks) for k in tasks
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
        return measure_label(name, self.technical.isChecked())

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
                    f"{plain_caption(name)}\n\n{technical_text(name, task)}"))
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
                             + escape(technical_text(name, self.analysis_task()))
                             .replace("\n", "<br>"))

    def _relabel(self) -> None:
        self._fill_features()
        self._draw()
