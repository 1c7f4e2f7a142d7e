"""Dialogs for clinical scales (ADDS, WCRS) and treatment events (PyQt6).

Each dialog shows the items of :mod:`kinewrite.clinical`, computes the score live,
validates on OK (the dialog stays open and says what is wrong) and hands back the keyword
arguments of :class:`~kinewrite.storage.writer.SessionWriter`'s method::

    dlg = AddsDialog(parent)
    if dlg.exec():
        writer.add_clinical(**dlg.clinical_entry())   # or save_clinical(writer, dlg)

The methods are not called ``result()``: that name is :meth:`QDialog.result`, the dialog's
accepted/rejected code, and shadowing it would break code that asks for it.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ..clinical.events import (
    BOTULINUM_PRODUCTS,
    EVENT_KINDS,
    EVENT_LABELS,
    TOXIN_MUSCLES,
    treatment_event,
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
from ..storage.writer import SessionWriter
from .metadata import WrappedLabel, date_text, make_date_edit
from .text import PlainLabel

__all__ = ["AddsDialog", "TreatmentEventDialog", "WcrsDialog", "save_clinical"]

_ERROR_STYLE = "color: #b00020;"
_NOTE_STYLE = "color: #8a5a00;"


#: What an item or a scale shows before it is scored: never a score.
NOT_SCORED = "not scored"


def _item_combo(item: ScaleItem) -> QComboBox:
    """An item's score box, starting at "not scored" (no score, not 0)."""
    combo = QComboBox()
    combo.addItem(NOT_SCORED, None)
    for score, anchor in enumerate(item.anchors, start=item.minimum):
        combo.addItem(anchor, score)
    combo.setAccessibleName(item.label)
    return combo


def _error_line_and_buttons(dialog: QDialog) -> tuple[WrappedLabel, QDialogButtonBox]:
    """A hidden red line for a refused entry, and OK/Cancel wired to the dialog."""
    error_label = WrappedLabel()
    error_label.setStyleSheet(_ERROR_STYLE)
    error_label.hide()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return error_label, buttons


def _valid(build: Any, error_label: QLabel) -> bool:
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


class _ScaleDialog(QDialog):
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
        self.error_label, self.buttons = _error_line_and_buttons(self)
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
        if _valid(self.clinical_entry, self.error_label):
            super().accept()


class AddsDialog(_ScaleDialog):
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
            combo = _item_combo(item)
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


class WcrsDialog(_ScaleDialog):
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
        note.setStyleSheet(_NOTE_STYLE)
        self.body.addWidget(posture)
        self.body.addWidget(movement)
        self.body.addWidget(note)
        self._update()

    def _combo(self, item: ScaleItem) -> QComboBox:
        combo = _item_combo(item)
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


class TreatmentEventDialog(QDialog):
    """A treatment event: botulinum toxin (product, muscles with doses in U, total in U),
    pen-grip training or other, with its date and notes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Treatment event")
        self.setMinimumWidth(420)
        self.kind_combo = QComboBox()
        for kind in EVENT_KINDS:
            self.kind_combo.addItem(EVENT_LABELS[kind], kind)
        self.kind_combo.setAccessibleName("Kind of event")
        self.date_edit = make_date_edit()
        self.date_edit.setAccessibleName("Date of event")
        head = QFormLayout()
        head.addRow("Event", self.kind_combo)
        head.addRow("Date", self.date_edit)

        self.toxin_box = QGroupBox("Botulinum toxin")
        self.product_combo = QComboBox()
        self.product_combo.setEditable(True)
        self.product_combo.addItems(BOTULINUM_PRODUCTS)
        self.product_combo.setCurrentIndex(-1)
        self.product_combo.lineEdit().setPlaceholderText("required: units differ by product")
        self.product_combo.setAccessibleName("Product")
        self.muscle_combo = QComboBox()
        self.muscle_combo.setEditable(True)
        self.muscle_combo.addItems(TOXIN_MUSCLES)
        self.muscle_combo.setCurrentIndex(-1)
        self.muscle_combo.lineEdit().setPlaceholderText("pick or type a muscle")
        self.muscle_combo.setAccessibleName("Muscle to add")
        self.muscle_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.muscle_combo.setMinimumContentsLength(24)
        add = QPushButton("Add muscle")
        add.clicked.connect(lambda: self.add_muscle(self.muscle_combo.currentText()))
        self.muscle_combo.lineEdit().returnPressed.connect(add.click)
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self._remove_selected)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Muscle", "Dose (U)"])
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        probe = _dose_spin()  # cell widgets do not size their column or row: do it here
        self.table.setColumnWidth(1, max(probe.sizeHint().width(), probe.minimumWidth()) + 4)
        self.table.verticalHeader().setDefaultSectionSize(
            max(self.table.verticalHeader().defaultSectionSize(), probe.sizeHint().height() + 2))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(150)
        self.total_auto = QCheckBox("sum of the muscles")
        self.total_auto.setChecked(True)
        self.total_auto.toggled.connect(self._update_total)
        self.total_spin = _dose_spin()
        self.total_spin.setAccessibleName("Total dose in U")
        add_row = QHBoxLayout()
        add_row.addWidget(self.muscle_combo, 1)
        add_row.addWidget(add)
        add_row.addWidget(remove)
        total_row = QHBoxLayout()
        total_row.addWidget(self.total_spin)
        total_row.addWidget(self.total_auto)
        total_row.addStretch(1)
        tf = QFormLayout(self.toxin_box)
        tf.addRow("Product", self.product_combo)
        tf.addRow(add_row)
        tf.addRow(self.table)
        tf.addRow("Total dose", total_row)

        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setAccessibleName("Notes")
        self.notes_edit.setFixedHeight(self.notes_edit.fontMetrics().lineSpacing() * 3 + 12)
        self.error_label, self.buttons = _error_line_and_buttons(self)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.toxin_box)
        lay.addWidget(PlainLabel("Notes"))
        lay.addWidget(self.notes_edit)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.product_combo.currentTextChanged.connect(self._clear_error)
        self.total_spin.valueChanged.connect(self._clear_error)
        self._kind_changed()
        self._update_total()

    # -- public API
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def set_kind(self, kind: str) -> None:
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))

    def add_muscle(self, name: str, dose_units: float | None = None) -> None:
        """Add a muscle row (ignored if empty or already listed); dose None = not given."""
        name = " ".join(name.split())
        if not name or name in self.muscles():
            return
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setCellWidget(r, 0, PlainLabel(name))  # typed or from a file: text
        spin = _dose_spin()
        spin.setAccessibleName(f"Dose in {name} in U")
        if dose_units is not None:
            spin.setValue(float(dose_units))
        spin.valueChanged.connect(self._update_total)
        self.table.setCellWidget(r, 1, spin)
        self.muscle_combo.setCurrentIndex(-1)
        self.muscle_combo.clearEditText()
        self._update_total()

    def muscles(self) -> list[str]:
        return [self._name(r) for r in range(self.table.rowCount())]

    def doses(self) -> dict[str, float | None]:
        """Muscle -> dose in U, None where no dose was entered."""
        out: dict[str, float | None] = {}
        for r in range(self.table.rowCount()):
            v = self._spin(r).value()
            out[self._name(r)] = v if v > 0 else None
        return out

    def event_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``SessionWriter.add_event``; raises ClinicalInputError."""
        kind = self.kind()
        notes = self.notes_edit.toPlainText()
        if kind != "botulinum_toxin":
            return treatment_event(kind, date_text(self.date_edit), notes=notes)
        total = None if self.total_auto.isChecked() else (self.total_spin.value() or None)
        return treatment_event(kind, date_text(self.date_edit), doses_units=self.doses(),
                               total_units=total, product=self.product_combo.currentText(),
                               notes=notes)

    def accept(self) -> None:
        if _valid(self.event_kwargs, self.error_label):
            super().accept()

    # -- internals
    def _name(self, row: int) -> str:
        w = self.table.cellWidget(row, 0)
        assert isinstance(w, QLabel)
        return w.text()

    def _spin(self, row: int) -> QDoubleSpinBox:
        w = self.table.cellWidget(row, 1)
        assert isinstance(w, QDoubleSpinBox)
        return w

    def _remove_selected(self) -> None:
        for r in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(r)
        self._update_total()

    def _clear_error(self, *_: object) -> None:
        self.error_label.hide()  # the user is acting on it; OK checks again

    def _kind_changed(self, *_: object) -> None:
        self._clear_error()
        self.toxin_box.setVisible(self.kind() == "botulinum_toxin")
        self.adjustSize()

    def _update_total(self, *_: object) -> None:
        self._clear_error()
        auto = self.total_auto.isChecked()
        self.total_spin.setEnabled(not auto)
        if auto:
            doses = self.doses()
            self.total_spin.setValue(sum(v for v in doses.values() if v is not None))


def _dose_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 2000.0)
    spin.setDecimals(1)
    spin.setSingleStep(5.0)
    spin.setSuffix(" U")
    spin.setSpecialValueText("not given")
    spin.setMinimumWidth(110)
    return spin


def save_clinical(writer: SessionWriter, dialog: QDialog) -> float | None:
    """Store an accepted dialog's entry; returns the scale score (None for an event)."""
    if isinstance(dialog, AddsDialog | WcrsDialog):
        return writer.add_clinical(**dialog.clinical_entry())
    if isinstance(dialog, TreatmentEventDialog):
        writer.add_event(**dialog.event_kwargs())
        return None
    raise TypeError(f"not a clinical dialog: {type(dialog).__name__}")
