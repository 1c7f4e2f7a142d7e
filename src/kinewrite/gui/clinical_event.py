"""The treatment-event dialog (PyQt6): botulinum toxin (product, muscles with doses in U,
total in U), pen-grip training or other, with its date and notes; the entry is built and
checked by :func:`kinewrite.clinical.events.treatment_event`.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
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
from .clinical_base import error_line_and_buttons, valid_entry
from .metadata import date_text, make_date_edit
from .text import PlainLabel

__all__ = ["TreatmentEventDialog"]


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
        self.error_label, self.buttons = error_line_and_buttons(self)
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
        if valid_entry(self.event_kwargs, self.error_label):
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
