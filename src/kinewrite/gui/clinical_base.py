"""What every clinical dialog of :mod:`kinewrite.gui.clinical` shares (PyQt6).

:class:`ScaleDialog` is the frame of a scale dialog (date, rater, the items' score boxes, a
live score line, an error line and OK/Cancel); :func:`item_combo` an item's score box that
starts at "not scored"; :func:`error_line_and_buttons` and :func:`valid_entry` the refusal
line and the check on OK that the treatment-event dialog uses too.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..clinical.scales import ScaleItem
from ..errors import ClinicalInputError
from .metadata import WrappedLabel, date_text, make_date_edit
from .text import PlainLabel

__all__ = ["ERROR_STYLE", "NOTE_STYLE", "NOT_SCORED", "ScaleDialog", "error_line_and_buttons",
           "item_combo", "valid_entry"]

ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: #8a5a00;"

#: What an item or a scale shows before it is scored: never a score.
NOT_SCORED = "not scored"


def item_combo(item: ScaleItem) -> QComboBox:
    """An item's score box, starting at "not scored" (no score, not 0)."""
    combo = QComboBox()
    combo.addItem(NOT_SCORED, None)
    for score, anchor in enumerate(item.anchors, start=item.minimum):
        combo.addItem(anchor, score)
    combo.setAccessibleName(item.label)
    return combo


def error_line_and_buttons(dialog: QDialog) -> tuple[WrappedLabel, QDialogButtonBox]:
    """A hidden red line for a refused entry, and OK/Cancel wired to the dialog."""
    error_label = WrappedLabel()
    error_label.setStyleSheet(ERROR_STYLE)
    error_label.hide()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return error_label, buttons


def valid_entry(build: Any, error_label: QLabel) -> bool:
    """Whether `build()` accepts the entry; if not, its reason is shown in `error_label`
    (the dialog stays open)."""
    try:
        build()
    except ClinicalInputError as exc:
        error_label.setText(str(exc))
        error_label.show()
        return False
    error_label.hide()
    return True


class ScaleDialog(QDialog):
    """Date, rater, an error line and OK/Cancel around a scale's own widgets."""

    scale = ""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.item_combos: dict[str, QComboBox] = {}  # item key -> its score box
        self.setWindowTitle(title)
        self.date_edit = make_date_edit()
        self.date_edit.setAccessibleName("Date of rating")
        self.rater_edit = QLineEdit()
        self.rater_edit.setPlaceholderText("required: initials or staff code")
        self.rater_edit.textChanged.connect(lambda _t: self.error_label.hide())
        self.rater_edit.setAccessibleName("Rater")
        self.score_label = PlainLabel()
        font = self.score_label.font()
        font.setBold(True)
        self.score_label.setFont(font)
        self.error_label, self.buttons = error_line_and_buttons(self)
        head = QFormLayout()
        head.addRow("Date", self.date_edit)
        head.addRow("Rater", self.rater_edit)
        self.body = QVBoxLayout()
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addLayout(self.body)
        lay.addWidget(self.score_label)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)

    def set_items(self, items: dict[str, int]) -> None:
        """Set item scores (keys of the scale's items)."""
        for key, value in items.items():
            combo = self.item_combos[key]
            combo.setCurrentIndex(combo.findData(int(value)))

    def items(self) -> dict[str, int]:
        """The scored items (an item left "not scored" is absent)."""
        return {k: int(c.currentData()) for k, c in self.item_combos.items()
                if c.currentData() is not None}

    def unscored(self) -> list[str]:
        """Labels of the items still "not scored"."""
        return [c.accessibleName() for c in self.item_combos.values()
                if c.currentData() is None]

    def set_entry(self, entry: Any) -> None:
        """Show a stored entry (a :class:`~kinewrite.clinical.scales.ClinicalEntry`) to
        edit it."""
        if entry.date:
            from PyQt6.QtCore import QDate

            self.date_edit.setDate(QDate.fromString(entry.date, "yyyy-MM-dd"))
        self.rater_edit.setText(entry.rater)
        self.set_items({k: int(v) for k, v in entry.items.items()})

    def _entry_head(self) -> tuple[str, str]:
        """Date and rater; raises ClinicalInputError when the rater is missing."""
        rater = self.rater_edit.text().strip()
        if not rater:
            raise ClinicalInputError(f"{self.scale}: the rater is required (initials or "
                                     "staff code)")
        return date_text(self.date_edit), rater

    def clinical_entry(self) -> dict[str, Any]:
        """Keyword arguments of ``SessionWriter.add_clinical``; raises ClinicalInputError."""
        raise NotImplementedError

    def accept(self) -> None:
        if valid_entry(self.clinical_entry, self.error_label):
            super().accept()

