"""The record workflow's end page: the session's trials, its clinical scales and treatment
events, and *New session*. What it lists comes from
:class:`~kinewrite.acquisition.visit.VisitController`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.visit import VisitController
from .clinical_event import TreatmentEventDialog
from .clinical_scales import AddsDialog, WcrsDialog
from .text import PlainLabel

__all__ = ["DonePage"]


class DonePage(QWidget):
    """The session summary, its scale and event entries, and their buttons.

    Signals
    -------
    saved()
        A scale or event entry was stored, corrected or deleted in the session file.
    """

    saved = pyqtSignal()

    def __init__(self, visit: VisitController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.visit = visit
        self.done_label = PlainLabel()  # the session file's path
        self.done_label.setWordWrap(True)
        self.adds_button = QPushButton("ADDS…")
        self.wcrs_button = QPushButton("WCRS…")
        self.event_button = QPushButton("Treatment event…")
        self.new_button = QPushButton("New session")
        self.summary = QTableWidget(0, 7)
        self.summary.setHorizontalHeaderLabels(
            ["Trial", "Task", "Status", "Duration", "Rhythm or speed", "Tremor (peak to peak)",
             "Mean pen pressure"])
        self.summary.verticalHeader().setVisible(False)
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.summary.horizontalHeader().setStretchLastSection(True)
        self.entries = QListWidget()
        self.entries.setMaximumHeight(150)
        self.edit_entry_button = QPushButton("Edit entry…")
        self.delete_entry_button = QPushButton("Delete entry")
        self.entries.currentRowChanged.connect(lambda _r: self.entry_buttons())
        self.adds_button.clicked.connect(lambda: self.add_clinical(AddsDialog(self)))
        self.wcrs_button.clicked.connect(lambda: self.add_clinical(WcrsDialog(self)))
        self.event_button.clicked.connect(self.add_event)
        self.edit_entry_button.clicked.connect(lambda: self.edit_entry())
        self.delete_entry_button.clicked.connect(lambda: self.delete_entry())
        self.entry_buttons()
        dl = QVBoxLayout(self)
        dl.addWidget(self.done_label)
        dl.addWidget(PlainLabel("Trials of this session (superseded trials are kept, marked)"))
        dl.addWidget(self.summary, 1)
        dl.addWidget(PlainLabel("Clinical scales and treatment events entered in this session"))
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entries, 1)
        entry_col = QVBoxLayout()
        entry_col.addWidget(self.edit_entry_button)
        entry_col.addWidget(self.delete_entry_button)
        entry_col.addStretch(1)
        entry_row.addLayout(entry_col)
        dl.addLayout(entry_row)
        buttons = QHBoxLayout()
        for b in (self.adds_button, self.wcrs_button, self.event_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        dl.addLayout(buttons)

    def show_summary(self, text: str, rows: Sequence[Sequence[str]], has_file: bool) -> None:
        """The heading `text`, one table row per trial, the entry buttons if there is a file."""
        self.done_label.setText(text)
        for b in (self.adds_button, self.wcrs_button, self.event_button):
            b.setEnabled(has_file)
        self.summary.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for col, text_ in enumerate(cells):
                self.summary.setItem(row, col, QTableWidgetItem(str(text_)))

    def show_entries(self, entries: Sequence[tuple[str, tuple[str, Any]]]) -> None:
        """List the session's scales and events (``(text, (kind, key))`` each)."""
        self.entries.clear()
        for text, data in entries:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            self.entries.addItem(item)
        self.entry_buttons()

    def selected(self) -> tuple[str, Any] | None:
        """The selected entry's ``(kind, key)``, None if none is selected."""
        item = self.entries.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def entry_buttons(self) -> None:
        """Edit only a scale entry; delete any entry."""
        selected = self.selected()
        kind = selected[0] if selected is not None else None
        self.edit_entry_button.setEnabled(kind == "clinical")
        self.delete_entry_button.setEnabled(kind is not None)

    # ------------------------------------------------------------------ entries
    def add_clinical(self, dialog: AddsDialog | WcrsDialog) -> float | None:
        """Run a scale dialog and store its entry in this session; returns the score."""
        if self.visit.writer is None:
            return None
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        score = self.visit.add_clinical(dialog.clinical_entry())
        self._stored()
        return score

    def edit_entry(self, dialog: AddsDialog | WcrsDialog | None = None) -> float | None:
        """Correct the selected scale entry in its dialog (`dialog` for tests); returns the
        new score, None if cancelled or nothing selected."""
        selected = self.selected()
        if selected is None or self.visit.writer is None:
            return None
        kind, name = selected
        if kind != "clinical":
            return None
        entry = self.visit.clinical_entry(name)
        dialog = dialog or (AddsDialog(self) if entry.scale == "ADDS" else WcrsDialog(self))
        dialog.set_entry(entry)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        score = self.visit.replace_clinical(name, dialog.clinical_entry())
        self._stored()
        return score

    def delete_entry(self) -> bool:
        """Delete the selected scale or event entry (entered by mistake)."""
        selected = self.selected()
        if selected is None or self.visit.writer is None:
            return False
        self.visit.remove_entry(*selected)
        self._stored()
        return True

    def add_event(self) -> bool:
        """Run the treatment event dialog and store the event in this session."""
        if self.visit.writer is None:
            return False
        dialog = TreatmentEventDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.visit.add_event(dialog.event_kwargs())
        self._stored()
        return True

    def _stored(self) -> None:
        self.show_entries(self.visit.entries())
        self.saved.emit()
