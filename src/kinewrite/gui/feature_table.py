"""The feature table of the Review view: stored value, unit, reference range and a flag.

The values are a trial's *cached* features (computed when the trial was saved, stored in the
session file), never recomputed here. Labels, reference ranges and the flag come from
:mod:`kinewrite.analysis.reference`: a range only where a healthy-writer number is published
for the trial's task, a flag only when the value lies outside it (for a single typical value:
more than 10 % off, as :func:`~kinewrite.analysis.reference.assess` decides).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ..analysis.features import FEATURES, REFERENCES
from ..analysis.reference import assess, plain_caption, plain_label, reference_for
from .text import plain_tooltip

__all__ = ["FeatureRow", "FeatureTable", "build_rows", "format_value"]

COLUMNS = ("feature", "value", "unit", "healthy range", "flag")
#: Backgrounds of a row outside its reference range: worse, better than healthy writers.
WORSE_BRUSH = QColor(255, 222, 190)
BETTER_BRUSH = QColor(214, 240, 214)
_UNITS = {f.name: f.unit for f in FEATURES}
_DEFS = {f.name: f for f in FEATURES}


#: Features that count things: shown as whole numbers ("11", never "11.0").
COUNTS = frozenset({"gap_count", "on_surface_strokes", "pen_lifts", "stroke_count"})
#: Unit suffixes of registry names, dropped when a name without a plain label is shown.
_SUFFIXES = ("_mm_s3", "_mm_s2", "_mm_s", "_mm_per_rad", "_per_s", "_mm", "_hz", "_ms",
             "_s", "_pct", "_deg")
#: Units shown in words for the units the registry writes as symbols.
_UNIT_SHOWN = {"1": "", "%": "%", "1/turn": "per turn", "1/s": "per s"}


def shown_label(name: str) -> str:
    """A feature's plain label, or its registry name in words ("stroke duration median")
    where it has none: never snake_case on screen."""
    label = plain_label(name)
    if label != name:
        return label
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ")


def shown_unit(name: str) -> str:
    """A feature's unit as shown: pressure fractions "fraction of range", counts and
    ratios no unit."""
    unit = _UNITS.get(name, "")
    if unit == "1" and name.startswith("pressure_") and not name.endswith(("_cv", "_ratio")):
        return "fraction of range"
    return _UNIT_SHOWN.get(unit, unit)


def format_value(value: float, name: str | None = None) -> str:
    """A feature value for display: about 3 significant digits, no exponent between 10⁻³ and
    10⁶; a count (:data:`COUNTS`) as a whole number; NaN (feature does not apply) as
    "n/a"."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if name in COUNTS:
        return f"{value:.0f}"
    a = abs(value)
    if a >= 1e6 or (0 < a < 1e-3):
        return f"{value:.3g}"
    if a >= 100:
        return f"{value:,.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}" if a >= 1 else f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class FeatureRow:
    """One row as shown: the stored value and how it compares with its reference."""

    name: str
    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    range_text: str
    flag: str  # "" inside or without reference, else "above" or "below"
    assessment: str | None  # "inside", "better", "worse" or None


def build_rows(features: Mapping[str, float], task: str | None = None) -> list[FeatureRow]:
    """Rows for a trial's stored features, in the stored (registry) order."""
    rows = []
    for name, value in features.items():
        v = float(value)
        ref = reference_for(name, task)
        low = high = None
        range_text, flag = "", ""
        verdict = assess(name, v, task) if ref is not None else None
        if ref is not None:
            low, high, range_text = ref.low, ref.high, ref.range_text()
            if verdict in ("better", "worse"):
                above = (high is not None and v > high) or (ref.is_point and v > ref.low)
                flag = "above" if above else "below"
        rows.append(FeatureRow(name, shown_label(name), v, _UNITS.get(name, ""), low, high,
                               range_text, flag, verdict))
    return rows


def _value_text(row: FeatureRow, tremor_detected: float) -> str:
    """The value cell: a number, or what its absence means ("no tremor detected" rather than
    n/a, never 0 mm; "uncalibrated" for a force without a stylus profile)."""
    if math.isfinite(row.value):
        return format_value(row.value, row.name)
    if row.name.startswith("tremor_") and row.name != "tremor_detected" \
            and tremor_detected == 0:
        return "no tremor detected"
    if row.name.endswith("_N"):
        return "uncalibrated"
    return format_value(row.value)


class FeatureTable(QTableWidget):
    """Read-only table of a trial's stored features (name, value, unit, range, flag)."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self._rows: list[FeatureRow] = []

    def set_features(self, features: Mapping[str, float] | None, task: str | None = None) -> None:
        """Show `features` (a trial's cached feature row) of a `task` trial; None clears."""
        self._rows = build_rows(features or {}, task)
        detected = (features or {}).get("tremor_detected", math.nan)
        self.setRowCount(len(self._rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, row in enumerate(self._rows):
            f = _DEFS.get(row.name)
            tip = f"{row.name}: {plain_caption(row.name)}"
            if f is not None:
                tip += f"\n{f.definition}\n{REFERENCES.get(f.reference, f.reference)}"
            ref = reference_for(row.name, task)
            if ref is not None:
                tip += f"\nhealthy range: {ref.plain_caption} ({ref.source})"
                if row.flag:
                    tip += (f"\nthis value: {row.flag} the healthy range "
                            f"({row.assessment} than healthy writers)")
            cells = (
                row.label, _value_text(row, detected), shown_unit(row.name),
                row.range_text, {"above": "▲", "below": "▼"}.get(row.flag, ""),
            )
            tip = plain_tooltip(tip)  # a feature name from the file is shown, not rendered
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col == 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if col == 1:
                    item.setData(Qt.ItemDataRole.UserRole, row.value)
                    item.setTextAlignment(right)
                if row.flag:
                    brush = WORSE_BRUSH if row.assessment == "worse" else BETTER_BRUSH
                    item.setBackground(QBrush(brush))
                self.setItem(i, col, item)

    def rows(self) -> list[FeatureRow]:
        """The rows currently shown."""
        return list(self._rows)

    def shown_values(self) -> dict[str, float]:
        """Feature name -> the value held by the table's value cells (for checks)."""
        out = {}
        for i, row in enumerate(self._rows):
            out[row.name] = float(self.item(i, 1).data(Qt.ItemDataRole.UserRole))
        return out
