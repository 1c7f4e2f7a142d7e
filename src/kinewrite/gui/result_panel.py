"""The result screen of a trial: its verdict, key numbers and ink, the consistency checks, and
Redo / Next (what they say and which is the default is decided in
:mod:`kinewrite.acquisition.trial_outcome`).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.trial_outcome import (
    TrialOutcome,
    finding_lines,
    next_choice,
    outcome_verdict,
    result_rows,
)
from .text import PlainLabel

__all__ = ["ResultPanel", "ink_crop"]

_SEVERITY_COLOR = {"error": QColor(170, 20, 20), "warning": QColor(160, 100, 0)}


class ResultPanel(QWidget):
    """A finished trial's key numbers, consistency findings, and Redo / Next."""

    redoRequested = pyqtSignal()
    nextRequested = pyqtSignal()
    undoRequested = pyqtSignal()
    reviewRequested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = PlainLabel()  # the task's title from the protocol file
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Measure", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.findings = QListWidget()  # each check on its own line, wrapped, never cut
        self.findings.setMaximumHeight(140)
        self.findings.setWordWrap(True)
        self.findings.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.findings.setResizeMode(QListView.ResizeMode.Adjust)
        self.findings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.findings.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.redo_button = QPushButton("Redo this task")
        self.next_button = QPushButton("Next task")
        self.next_button.setDefault(True)
        self.undo_button = QPushButton("Keep the earlier trial instead")
        self.undo_button.setToolTip("Undo the redo: the earlier trial is this task's result "
                                    "again, this one is kept in the file, marked superseded")
        self.undo_button.hide()
        self.note = PlainLabel()  # which trial is this task's result after a redo
        self.note.setWordWrap(True)
        self.note.hide()
        self.review_button = QPushButton("Review trial…")
        self.redo_button.clicked.connect(self.redoRequested)
        self.next_button.clicked.connect(self.nextRequested)
        self.undo_button.clicked.connect(self.undoRequested)
        self.review_button.clicked.connect(lambda: self.reviewRequested.emit(self._trial))
        self._trial = ""
        buttons = QHBoxLayout()
        buttons.addWidget(self.review_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addWidget(self.next_button)
        self.ink_view = PlainLabel()
        self.ink_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ink_view.setMinimumWidth(360)
        self.ink_view.setStyleSheet("border: 1px solid #bbb; background: white")
        self.ink_view.setToolTip("What was written, as on the tablet")
        numbers = QHBoxLayout()
        numbers.addWidget(self.table, 3)
        numbers.addWidget(self.ink_view, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(PlainLabel("Key numbers and what was written"))
        layout.addLayout(numbers, 1)
        layout.addWidget(PlainLabel("Checks"))
        layout.addWidget(self.findings)
        layout.addLayout(buttons)

    def set_ink(self, pixmap: QPixmap) -> None:
        """Show the trial's ink (a grab of the canvas), scaled to fit."""
        self._ink = pixmap
        self._fit_ink()

    def _fit_ink(self) -> None:
        ink = getattr(self, "_ink", None)
        if ink is None or ink.isNull():
            return
        self.ink_view.setPixmap(ink.scaled(
            self.ink_view.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_ink()

    def show_outcome(self, outcome: TrialOutcome, last_task: bool, note: str = "",
                     can_undo: bool = False) -> None:
        """Show a finished trial: its verdict in the heading, key numbers, findings; `note`
        says which trial is the task's result after a redo, `can_undo` offers to keep the
        earlier trial instead. A usable trial makes *Next* the default button, any other
        *Redo*."""
        self._trial = outcome.trial
        self.heading.setText(f"Trial {outcome.trial} — {outcome.spec.title}: "
                             f"{outcome_verdict(outcome)}")
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.undo_button.setVisible(can_undo)
        rows = result_rows(outcome)
        self.table.setRowCount(len(rows))
        for i, (label, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(label))
            item = QTableWidgetItem(value)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 1, item)
        self.findings.clear()
        for severity, line in finding_lines(outcome):
            item = QListWidgetItem(line)
            if severity:
                item.setForeground(_SEVERITY_COLOR.get(severity, QColor(0, 0, 0)))
            self.findings.addItem(item)
        text, usable = next_choice(outcome, last_task)
        self.next_button.setText(text)
        self.next_button.setDefault(usable)
        self.next_button.setAutoDefault(usable)
        self.redo_button.setDefault(not usable)
        self.redo_button.setAutoDefault(not usable)
        (self.next_button if usable else self.redo_button).setFocus()


def ink_crop(pixmap: QPixmap) -> QPixmap:
    """The canvas grab cropped to what was written (plus a margin), guide included."""
    image = pixmap.toImage()
    w, h = image.width(), image.height()
    if w == 0 or h == 0:
        return pixmap
    import numpy as np

    ptr = image.convertToFormat(image.Format.Format_Grayscale8)
    bpl = ptr.bytesPerLine()
    buf = np.frombuffer(ptr.constBits().asstring(bpl * h), np.uint8).reshape(h, bpl)[:, :w]
    ys, xs = np.nonzero(buf < 200)  # ink and guide (light grey guide is ~200)
    if xs.size == 0:
        return pixmap
    m = 20
    x0, x1 = max(int(xs.min()) - m, 0), min(int(xs.max()) + m, w)
    y0, y1 = max(int(ys.min()) - m, 0), min(int(ys.max()) + m, h)
    return pixmap.copy(x0, y0, x1 - x0, y1 - y0)
