"""The pressure page of the calibration dialog (PyQt6): a stylus's pressure curve in newtons.

The stylus's name, known weights resting on the pen tip (g, shown in N at 9.81 m/s²) and the
pressure fraction read under each (a *Read* button asks a callable the caller passes for the
mean pressure of the last second, so the dialog works without a tablet in tests), the reading
with no weight (tare), a least-squares fit showing its coefficients and residual, and saving
the profile; :mod:`kinewrite.acquisition.calibration` does every computation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.calibration import (
    GRAVITY_M_S2,
    CalibrationError,
    PressureProfile,
    fit_pressure_profile,
    grams_to_newtons,
    save_profile,
)
from .text import PlainLabel

if TYPE_CHECKING:
    from .pressure_pad import PressurePad

__all__ = ["DEFAULT_WEIGHTS_G", "PressurePageMixin"]

#: Weights of a usual calibration set (g), the table's first rows.
DEFAULT_WEIGHTS_G = (20.0, 50.0, 100.0, 200.0, 300.0, 500.0)
_COL_GRAMS, _COL_NEWTONS, _COL_READING = 0, 1, 2


class PressurePageMixin:
    """The pressure page of :class:`~kinewrite.gui.calibration.CalibrationDialog`: the
    weights table, the readings, the fit and the saved profile.

    The dialog provides ``pad`` (the pressure pad shown beside the table, or None),
    ``_read_pressure`` (the callable the *Read* buttons ask, or None), ``_profile_dir``,
    ``_profile``, ``saved_path`` and ``_say`` (its status line).
    """

    pad: PressurePad | None
    _read_pressure: Callable[[], float] | None
    _profile_dir: str | os.PathLike[str] | None
    _profile: PressureProfile | None
    saved_path: Path | None

    # ------------------------------------------------------------------ pressure page
    def _build_pressure_page(self) -> QWidget:
        page = QWidget()
        self.stylus_name = QLineEdit()
        self.stylus_name.setPlaceholderText("e.g. Wacom Pro Pen 2, pen 1")
        self.tare = QDoubleSpinBox()
        self.tare.setDecimals(4)
        self.tare.setRange(0.0, 1.0)
        self.tare.setSingleStep(0.01)
        self.tare_read = QPushButton("Read")
        self.tare_read.clicked.connect(self.read_tare)
        self.degree = QSpinBox()
        self.degree.setRange(1, 3)
        self.degree.setValue(2)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Weight (g)", "Force (N)", "Pressure (0–1)"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemChanged.connect(self._item_changed)
        for grams in DEFAULT_WEIGHTS_G:
            self.add_weight(grams)

        add = QPushButton("Add weight")
        add.clicked.connect(lambda: self.add_weight(0.0))
        remove = QPushButton("Remove weight")
        remove.clicked.connect(self._remove_selected)
        self.read_button = QPushButton("Read pressure for the selected weight")
        self.read_button.clicked.connect(lambda: self.read_row(self.table.currentRow()))
        for b in (self.read_button, self.tare_read):
            b.setEnabled(self._read_pressure is not None)
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(self.fit)
        self.save_button = QPushButton("Save profile")
        self.save_button.clicked.connect(self.save)
        self.fit_label = PlainLabel("Not fitted yet.")
        self.fit_label.setWordWrap(True)
        self.fit_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        how = PlainLabel(
            "Hold the pen upright in a stand with its tip on the tablet. Place each weight on "
            "the pen, wait until the reading settles, and press Read (or type the pressure "
            f"the tablet shows). Force = mass × {GRAVITY_M_S2} m/s². The no-weight reading "
            "is the tare: the pen at rest then reads 0 N.")
        how.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Stylus", self.stylus_name)
        tare_row = QHBoxLayout()
        tare_row.addWidget(self.tare, 1)
        tare_row.addWidget(self.tare_read)
        form.addRow("Reading with no weight", tare_row)
        form.addRow("Curve degree", self.degree)
        buttons = QHBoxLayout()
        for b in (add, remove, self.read_button):
            buttons.addWidget(b)
        fit_row = QHBoxLayout()
        fit_row.addWidget(self.fit_button)
        fit_row.addWidget(self.save_button)
        fit_row.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(how)
        left.addLayout(form)
        left.addWidget(self.table, 1)
        left.addLayout(buttons)
        left.addLayout(fit_row)
        left.addWidget(self.fit_label)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 3)
        if self.pad is not None:
            layout.addWidget(self.pad, 2)
        return page

    def add_weight(self, grams: float, reading: float | None = None) -> int:
        """Append a row for a weight of `grams` (and its pressure reading); returns its row."""
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        self.table.setItem(row, _COL_GRAMS, QTableWidgetItem(f"{grams:g}" if grams else ""))
        force = QTableWidgetItem()
        force.setFlags(force.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, _COL_NEWTONS, force)
        self.table.setItem(row, _COL_READING, QTableWidgetItem(
            "" if reading is None else f"{reading:.4f}"))
        self.table.blockSignals(False)
        self._update_force(row)
        return row

    def set_reading(self, row: int, fraction: float) -> None:
        """Put a pressure reading into a row of the table."""
        self.table.item(row, _COL_READING).setText(f"{fraction:.4f}")

    def read_row(self, row: int) -> bool:
        """Fill `row`'s reading from the pressure callable; False (and a message) if no row is
        selected, there is no callable, or the pen was not touching."""
        if row < 0 or row >= self.table.rowCount():
            self._say("Select the row of the weight on the pen first.", error=True)
            return False
        value = self._read()
        if value is None:
            return False
        self.set_reading(row, value)
        return True

    def read_tare(self) -> bool:
        value = self._read(allow_zero=True)
        if value is None:
            return False
        self.tare.setValue(value)
        return True

    def calibration_points(self) -> tuple[list[float], list[float]]:
        """(fractions, newtons) of the rows that have both a weight and a reading.

        Raises
        ------
        CalibrationError
            If a filled cell is not a number.
        """
        fractions, newtons = [], []
        for row in range(self.table.rowCount()):
            g_text = self.table.item(row, _COL_GRAMS).text().strip()
            r_text = self.table.item(row, _COL_READING).text().strip()
            if not g_text or not r_text:
                continue
            try:
                grams, reading = float(g_text.replace(",", ".")), float(r_text.replace(",", "."))
            except ValueError:
                raise CalibrationError(f"row {row + 1}: {g_text!r} g / {r_text!r} is not a "
                                       "number") from None
            fractions.append(reading)
            newtons.append(float(grams_to_newtons(grams)))
        return fractions, newtons

    def fit(self) -> PressureProfile | None:
        """Fit the curve to the table; shows the coefficients and residual, or what is wrong."""
        try:
            fractions, newtons = self.calibration_points()
            tare = self.tare.value()
            profile = fit_pressure_profile(fractions, newtons, self.degree.value(),
                                           tare_fraction=tare if tare > 0 else None,
                                           stylus=self.stylus_name.text().strip())
        except CalibrationError as exc:
            self.fit_label.setText(f"Cannot fit: {exc}")
            self.fit_label.setStyleSheet("color: #b00020")
            return None
        self._profile = profile
        self._show_fit(profile)
        return profile

    def save(self) -> Path | None:
        """Fit if needed and write the profile (atomic JSON); returns its path."""
        if not self.stylus_name.text().strip():
            self._say("Give the stylus a name before saving its profile.", error=True)
            return None
        profile = self.fit()
        if profile is None:
            return None
        try:
            self.saved_path = save_profile(profile, self._profile_dir)
        except OSError as exc:
            self._say(f"Could not save the profile: {exc}", error=True)
            return None
        self._say(f"Profile saved: {self.saved_path}")
        return self.saved_path

    def profile(self) -> PressureProfile | None:
        """The last fitted (or given) profile; None if there is none."""
        return self._profile

    def _read(self, allow_zero: bool = False) -> float | None:
        if self._read_pressure is None:
            self._say("No tablet connected: type the readings.", error=True)
            return None
        value = float(self._read_pressure())
        if not math.isfinite(value) or value < 0 or value > 1 or (value == 0 and not allow_zero):
            self._say("No pressure was read: is the pen touching the tablet under the weight?",
                      error=True)
            return None
        self._say(f"Read {value:.4f}.")
        return value

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == _COL_GRAMS:
            self._update_force(item.row())

    def _update_force(self, row: int) -> None:
        text = self.table.item(row, _COL_GRAMS).text().strip().replace(",", ".")
        try:
            newtons = f"{grams_to_newtons(float(text)):.4f}" if text else ""
        except ValueError:
            newtons = "?"
        self.table.blockSignals(True)
        self.table.item(row, _COL_NEWTONS).setText(newtons)
        self.table.blockSignals(False)

    def _remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def _show_profile(self, profile: PressureProfile) -> None:
        self.stylus_name.setText(profile.stylus)
        self.degree.setValue(profile.degree)
        self.tare.setValue(profile.tare_fraction or 0.0)
        self.table.setRowCount(0)
        for f, n in zip(profile.fractions, profile.newtons, strict=True):
            if profile.tare_fraction is not None and f == profile.tare_fraction and n == 0:
                continue  # the tare point has its own field
            self.add_weight(round(n / (1e-3 * GRAVITY_M_S2), 3), f)
        self._show_fit(profile)

    def _show_fit(self, profile: PressureProfile) -> None:
        terms = []
        for power, c in zip(range(profile.degree, -1, -1), profile.coeffs, strict=True):
            terms.append(f"{c:+.4f}" + ("" if power == 0 else " p" if power == 1
                                        else f" p{'²³'[power - 2]}"))
        tare = f"; tare {profile.tare_N:.4f} N" if profile.tare_fraction is not None else ""
        self.fit_label.setStyleSheet("")
        self.fit_label.setText(
            f"Force (N) = {' '.join(terms)}{tare}, p the pressure fraction.\n"
            f"Residual {profile.residual_N:.4f} N over {len(profile.fractions)} points.")
