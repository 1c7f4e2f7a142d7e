"""The dialogs of the clinical scales (PyQt6): :class:`AddsDialog` (Arm Dystonia Disability
Scale) and :class:`WcrsDialog` (Writer's Cramp Rating Scale), each showing the items of
:mod:`kinewrite.clinical.scales` around :class:`~kinewrite.gui.clinical_base.ScaleDialog`,
with the score computed live.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..clinical.scales import (
    ADDS_ITEMS,
    ADDS_LEVELS,
    WCRS_ITEMS,
    ScaleItem,
    adds_result,
    wcrs_result,
    wcrs_subscores,
)
from ..errors import ClinicalInputError
from .clinical_base import NOTE_STYLE, ScaleDialog, item_combo
from .metadata import WrappedLabel
from .text import PlainLabel

__all__ = ["AddsDialog", "WcrsDialog"]


class AddsDialog(ScaleDialog):
    """Arm Dystonia Disability Scale (Fahn): a 100/95/90 % level, or the 7 activities 0-3
    with ``score = 90 - 90 * total / 21`` % shown live."""

    scale = "ADDS"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Arm Dystonia Disability Scale (ADDS)", parent)
        levels = QGroupBox("Level")
        lv = QVBoxLayout(levels)
        self.level_group = QButtonGroup(self)
        self.level_buttons: dict[int | None, QRadioButton] = {}
        self.not_assessed = QRadioButton("Not assessed yet: choose a level, or score the "
                                         "activities")
        self.level_group.addButton(self.not_assessed, 99)
        lv.addWidget(self.not_assessed)
        for pct, text in ADDS_LEVELS.items():
            b = QRadioButton(f"{pct} %: {text}")
            self.level_buttons[pct] = b
        self.level_buttons[None] = QRadioButton("Activities are limited: score each one below")
        for i, b in enumerate(self.level_buttons.values()):
            self.level_group.addButton(b, i)
            lv.addWidget(b)
        self.not_assessed.setChecked(True)  # never a score the rater did not give
        self.activities = QGroupBox("Activities (0 none or not applicable … 3 marked)")
        af = QFormLayout(self.activities)
        for item in ADDS_ITEMS:
            combo = item_combo(item)
            combo.currentIndexChanged.connect(self._update)
            self.item_combos[item.key] = combo
            af.addRow(item.label, combo)
        self.body.addWidget(levels)
        self.body.addWidget(self.activities)
        self.level_group.buttonToggled.connect(self._update)
        self._update()

    def level_pct(self) -> int | None:
        """The chosen level in %, or None when the activities are scored (or nothing is
        chosen yet: see :meth:`assessed`)."""
        for pct, b in self.level_buttons.items():
            if b.isChecked():
                return pct
        return None

    def assessed(self) -> bool:
        """Whether a level or the activities were chosen (not "not assessed")."""
        return not self.not_assessed.isChecked()

    def set_entry(self, entry: Any) -> None:
        """Show a stored ADDS entry: its level (no items) or its activities."""
        super().set_entry(entry)
        if not entry.items:
            level = round(entry.score)
            self.set_level(level if level in self.level_buttons else None)

    def set_level(self, level_pct: int | None) -> None:
        """Choose a level (100, 95, 90) or None to score the activities."""
        self.level_buttons[level_pct].setChecked(True)

    def set_items(self, items: dict[str, int]) -> None:
        """Score activities (also switches to scoring them)."""
        self.set_level(None)
        super().set_items(items)

    def clinical_entry(self) -> dict[str, Any]:
        if not self.assessed():
            raise ClinicalInputError("ADDS: not assessed: choose a level or score the 7 "
                                     "activities (Cancel leaves the scale out)")
        date, rater = self._entry_head()
        level = self.level_pct()
        if level is None and self.unscored():
            raise ClinicalInputError(f"ADDS: score every activity ({len(self.unscored())} "
                                     f"not scored: {', '.join(self.unscored())})")
        items, level, _ = adds_result(None if level is not None else self.items(), level)
        return {"scale": "ADDS", "items": items, "date": date, "rater": rater,
                "level_pct": level}

    def score(self) -> float:
        """The ADDS score in % the entry would store; NaN while not assessed or an activity
        is not scored."""
        level = self.level_pct()
        if not self.assessed() or (level is None and self.unscored()):
            return float("nan")
        return adds_result(None if level is not None else self.items(), level)[2]

    def _update(self, *_: object) -> None:
        level = self.level_pct()
        self.activities.setEnabled(self.assessed() and level is None)
        self.error_label.hide()
        score = self.score()
        if not self.assessed():
            self.score_label.setText("ADDS: not assessed")
        elif level is None and self.unscored():
            self.score_label.setText(f"ADDS score: –   ({len(self.unscored())} of 7 "
                                     "activities not scored yet)")
        elif level is None:
            total = sum(self.items().values())
            self.score_label.setText(f"ADDS score: {score:.1f} %   (activities total {total} "
                                     f"of 21; 100 % = no disability)")
        else:
            self.score_label.setText(f"ADDS score: {score:.0f} %   (100 % = no disability)")


class WcrsDialog(ScaleDialog):
    """Writer's Cramp Rating Scale (Wissel et al. 1996): writing-movement items, writing
    speed, the subscores and the total (0-30) shown live.

    The item list is a reconstruction (see :mod:`kinewrite.clinical`); the dialog says
    so in a visible note.
    """

    scale = "WCRS"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Writer's Cramp Rating Scale (WCRS)", parent)
        groups: dict[str, list[ScaleItem]] = {}
        for item in WCRS_ITEMS:
            groups.setdefault(item.group, []).append(item)
        posture = QGroupBox("Writing movement: dystonic posture (0 absent, 1 mild, 2 marked)")
        grid = QGridLayout(posture)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(4, 1)
        row = 0
        other: list[ScaleItem] = []
        for group, items in groups.items():
            if not group.startswith("posture"):
                other.extend(items)
                continue
            part = PlainLabel(group.split(":", 1)[1].strip().capitalize())
            part.setStyleSheet("font-weight: bold;")
            grid.addWidget(part, row, 0)
            for i, item in enumerate(items):  # two items a row
                r, col = row + i // 2, i % 2
                grid.addWidget(PlainLabel(item.label), r, 1 + 2 * col,
                               Qt.AlignmentFlag.AlignRight)
                grid.addWidget(self._combo(item), r, 2 + 2 * col)
            row += (len(items) + 1) // 2
        movement = QGroupBox("Writing movement and speed")
        mf = QFormLayout(movement)
        for item in other:
            mf.addRow(item.label, self._combo(item))
        note = WrappedLabel("Note: this item list is reconstructed from published descriptions of "
                      "the WCRS (Wissel et al. 1996; total 0-30) and has not been checked "
                      "against the original appendix.")
        note.setStyleSheet(NOTE_STYLE)
        self.body.addWidget(posture)
        self.body.addWidget(movement)
        self.body.addWidget(note)
        self._update()

    def _combo(self, item: ScaleItem) -> QComboBox:
        combo = item_combo(item)
        combo.currentIndexChanged.connect(self._update)
        self.item_combos[item.key] = combo
        return combo

    def clinical_entry(self) -> dict[str, Any]:
        date, rater = self._entry_head()
        missing = self.unscored()
        if missing:
            raise ClinicalInputError(f"WCRS: score every item ({len(missing)} not scored"
                                     + (f": {', '.join(missing)}" if len(missing) < 5 else "")
                                     + "; Cancel leaves the scale out)")
        items, _ = wcrs_result(self.items())
        return {"scale": "WCRS", "items": items, "date": date, "rater": rater,
                "level_pct": None}

    def _update(self, *_: object) -> None:
        self.error_label.hide()
        missing = self.unscored()
        if len(missing) == len(self.item_combos):
            self.score_label.setText("WCRS: not assessed")
            return
        if missing:
            self.score_label.setText(f"WCRS total: –   ({len(missing)} of "
                                     f"{len(self.item_combos)} items not scored yet)")
            return
        s = wcrs_subscores(self.items())
        self.score_label.setText(f"WCRS total: {s['total']} of 30   (writing movement "
                                 f"{s['writing_movement']} of 28, speed {s['writing_speed']} "
                                 "of 2)")

