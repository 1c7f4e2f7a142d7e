"""The calibration dialog (PyQt6): pixels to mm, and a stylus's pressure curve in newtons.

Two pages over :mod:`kinewrite.acquisition.calibration` (which does every computation):

- **Geometry**: the screen's physical size as Qt reports it (editable: monitors often report
  a wrong size), or a tablet's active area and the screen area it is mapped to; a check
  drawing (a 100 mm horizontal line, a 100 mm vertical line, a 50 mm square) drawn with the
  current mapping, and the lengths the therapist measured, which correct the scale.
- **Pressure**: the stylus's name, known weights resting on the pen tip (g, shown in N at
  9.81 m/s²) and the pressure fraction read under each (a *Read* button asks a callable the
  caller passes for the mean pressure of the last second, so the dialog works without a
  tablet in tests), the reading with no weight (tare), a least-squares fit showing its
  coefficients and residual, and saving the profile.

Usage::

    dlg = CalibrationDialog(parent, read_pressure=canvas.mean_pressure_last_second)
    if dlg.exec():
        cal, profile = dlg.calibration(origin_px=...), dlg.profile()
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen, QScreen
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.calibration import (
    GRAVITY_M_S2,
    CalibrationError,
    PressureProfile,
    ScreenMapping,
    calibration,
    fit_pressure_profile,
    grams_to_newtons,
    save_profile,
)
from ..storage.calibration import Calibration
from .text import PlainLabel

__all__ = ["CalibrationDialog", "CheckDrawing"]

#: Weights of a usual calibration set (g), the table's first rows.
DEFAULT_WEIGHTS_G = (20.0, 50.0, 100.0, 200.0, 300.0, 500.0)
_COL_GRAMS, _COL_NEWTONS, _COL_READING = 0, 1, 2


class CheckDrawing(QWidget):
    """A 100 mm horizontal line, a 100 mm vertical line and a 50 mm square, in mm through a
    :class:`ScreenMapping` (the widget resizes itself to hold them)."""

    MARGIN_PX = 24

    def __init__(self, mapping: ScreenMapping, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.set_mapping(mapping)

    def set_mapping(self, mapping: ScreenMapping) -> None:
        self._mapping = mapping
        m = self.MARGIN_PX
        px, py = mapping.px_per_mm()
        self.setFixedSize(round(2 * m + max(100 * px, 20 * px + 50 * px + m)),
                          round(3 * m + 100 * py + m))
        self.update()

    def geometry_px(self) -> dict[str, QRectF]:
        """Where the shapes are drawn, in widget px: ``horizontal`` and ``vertical`` (lines as
        degenerate rectangles through pixel centres) and ``square``."""
        m = self.MARGIN_PX
        px, py = self._mapping.px_per_mm()
        top = 2.5 * m
        c = m + 0.5  # a 1 px line through pixel centres: crisp, one pixel wide
        return {"horizontal": QRectF(m, c, 100 * px, 0.0),
                "vertical": QRectF(c, top, 0.0, 100 * py),
                "square": QRectF(m + 20 * px + m, top, 50 * px, 50 * py)}

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        shapes = self.geometry_px()
        pen = QPen(QColor("black"))
        pen.setWidthF(1.0)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # the line ends exactly where its mm end
        painter.setPen(pen)
        h, v, sq = shapes["horizontal"], shapes["vertical"], shapes["square"]
        painter.drawLine(QPointF(h.left(), h.top()), QPointF(h.right(), h.top()))
        painter.drawLine(QPointF(v.left(), v.top()), QPointF(v.left(), v.bottom()))
        painter.drawRect(sq)
        painter.setFont(QFont(painter.font().family(), 9))
        painter.drawText(QPointF(h.left(), h.top() - 6), "100 mm")
        painter.save()
        painter.translate(v.left() + 14, v.top() + 4)
        painter.rotate(90)
        painter.drawText(QPointF(0, 0), "100 mm")
        painter.restore()
        painter.drawText(QPointF(sq.left() + 4, sq.top() + 14), "50 mm square")
        painter.end()


class CalibrationDialog(QDialog):
    """Geometry and pressure calibration; see the module docstring.

    Parameters
    ----------
    parent : QWidget, optional
    screen : QScreen, optional
        The screen whose reported size fills the geometry page (default: the primary one).
    read_pressure : callable, optional
        Returns the mean pen pressure (fraction 0..1) of the last second, NaN if the pen was
        not touching. Without it (and without `with_pad`) the *Read* buttons are disabled and
        readings are typed.
    with_pad : bool, default False
        Put a :class:`~kinewrite.gui.pressure_pad.PressurePad` on the pressure page, which
        the *Read* buttons read (unless `read_pressure` is given). It is a child of the
        dialog, so the pen reaches it while the dialog is open (a modal dialog blocks every
        other window's input).
    profile : PressureProfile, optional
        A profile to start from (its points fill the table).
    profile_dir : path, optional
        Where *Save profile* writes (default ``$KINEWRITE_CONFIG_DIR/styluses``).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        screen: QScreen | None = None,
        read_pressure: Callable[[], float] | None = None,
        profile: PressureProfile | None = None,
        profile_dir: str | os.PathLike[str] | None = None,
        with_pad: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration")
        self.pad = None
        if with_pad:
            from .pressure_pad import PressurePad

            self.pad = PressurePad(self)
            read_pressure = read_pressure or self.pad.mean_pressure_last_second
        self._read_pressure = read_pressure
        self._profile_dir = profile_dir
        self._profile: PressureProfile | None = profile
        self._correction_notes: list[tuple[str, float, float]] = []
        self.saved_path: Path | None = None
        screen = screen or self.screen()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_geometry_page(screen), "Geometry")
        self.tabs.addTab(self._build_pressure_page(), "Pressure")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.status = PlainLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        if profile is not None:
            self._show_profile(profile)
        self._update_geometry()
        hint = self.sizeHint()
        self.resize(max(hint.width(), 1000), max(hint.height(), 720))
        self._fit_on_screen(screen)

    def _fit_on_screen(self, screen: QScreen | None) -> None:
        """Never larger than the screen's free area, and centred on the parent (or the
        screen): never behind or past the edge of the main window's screen."""
        screen = (self.parentWidget().screen() if self.parentWidget() is not None
                  else screen)
        if screen is None:
            return
        free = screen.availableGeometry()
        self.resize(min(self.width(), free.width() - 40), min(self.height(),
                                                             free.height() - 60))
        anchor = (self.parentWidget().frameGeometry() if self.parentWidget() is not None
                  else free)
        x = anchor.center().x() - self.width() // 2
        y = anchor.center().y() - self.height() // 2
        x = max(free.left(), min(x, free.right() - self.width()))
        y = max(free.top(), min(y, free.bottom() - self.height()))
        self.move(x, y)

    # ------------------------------------------------------------------ geometry page
    def _build_geometry_page(self, screen: QScreen | None) -> QWidget:
        page = QWidget()
        size_mm = screen.physicalSize() if screen is not None else None
        geo = screen.geometry() if screen is not None else None
        self.mode_screen = QRadioButton("Pen display or mouse: the patient writes on the screen")
        self.mode_tablet = QRadioButton("Tablet beside the screen, mapped to a screen area")
        group = QButtonGroup(page)
        group.addButton(self.mode_screen)
        group.addButton(self.mode_tablet)
        self.mode_screen.setChecked(True)

        def spin(value: float, maximum: float, suffix: str, decimals: int = 1) -> QDoubleSpinBox:
            box = QDoubleSpinBox()
            box.setDecimals(decimals)
            box.setRange(0.0, maximum)
            box.setSuffix(suffix)
            box.setValue(value)
            box.valueChanged.connect(self._update_geometry)
            return box

        w_mm = size_mm.width() if size_mm is not None else 0.0
        h_mm = size_mm.height() if size_mm is not None else 0.0
        w_px = geo.width() if geo is not None else 1920
        h_px = geo.height() if geo is not None else 1080
        self.screen_w_mm = spin(w_mm, 5000, " mm")
        self.screen_h_mm = spin(h_mm, 5000, " mm")
        self.screen_w_px = spin(w_px, 100000, " px", 0)
        self.screen_h_px = spin(h_px, 100000, " px", 0)
        self.tablet_w_mm = spin(152.0, 2000, " mm")
        self.tablet_h_mm = spin(95.0, 2000, " mm")
        self.mapped_w_px = spin(w_px, 100000, " px", 0)
        self.mapped_h_px = spin(h_px, 100000, " px", 0)

        screen_box = QGroupBox("Screen (as the system reports it; correct it if wrong)")
        form = QFormLayout(screen_box)
        form.addRow("Physical width", self.screen_w_mm)
        form.addRow("Physical height", self.screen_h_mm)
        form.addRow("Width", self.screen_w_px)
        form.addRow("Height", self.screen_h_px)
        self.tablet_box = QGroupBox("Tablet (see its manual for the active area)")
        form = QFormLayout(self.tablet_box)
        form.addRow("Active area width", self.tablet_w_mm)
        form.addRow("Active area height", self.tablet_h_mm)
        form.addRow("Mapped to screen width", self.mapped_w_px)
        form.addRow("Mapped to screen height", self.mapped_h_px)
        self.mode_screen.toggled.connect(self._update_geometry)

        self.measured_h = spin(0.0, 1000, " mm")
        self.measured_v = spin(0.0, 1000, " mm")
        for box in (self.measured_h, self.measured_v):
            box.setSpecialValueText("not measured")
        self.apply_button = QPushButton("Correct the scale")
        self.apply_button.clicked.connect(self.apply_measurement)
        self.reset_button = QPushButton("Undo corrections")
        self.reset_button.clicked.connect(self.reset_correction)
        self.check_hint = PlainLabel()
        self.check_hint.setWordWrap(True)
        check_box = QGroupBox("Check drawing")
        column = QVBoxLayout(check_box)
        column.addWidget(self.check_hint)  # outside the form: the form squeezes wrapped text
        form = QFormLayout()
        column.addLayout(form)
        form.addRow("Horizontal line measures", self.measured_h)
        form.addRow("Vertical line measures", self.measured_v)
        row = QHBoxLayout()
        row.addWidget(self.apply_button)
        row.addWidget(self.reset_button)
        form.addRow(row)
        self.mapping_label = PlainLabel()
        self.mapping_label.setWordWrap(True)
        column.addWidget(self.mapping_label)

        self.drawing = CheckDrawing(ScreenMapping(0.25, 0.25))
        scroll = QScrollArea()
        scroll.setWidget(self.drawing)
        scroll.setMinimumSize(320, 300)

        left = QVBoxLayout()
        left.addWidget(self.mode_screen)
        left.addWidget(self.mode_tablet)
        left.addWidget(screen_box)
        left.addWidget(self.tablet_box)
        left.addWidget(check_box)
        left.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addLayout(left)
        layout.addWidget(scroll, 1)
        return page

    def base_mapping(self) -> ScreenMapping:
        """The mapping from the size fields, before check-drawing corrections.

        Raises
        ------
        CalibrationError
            If the fields are empty or implausible.
        """
        if self.mode_tablet.isChecked():
            return ScreenMapping.from_tablet(
                (self.tablet_w_mm.value(), self.tablet_h_mm.value()),
                (self.mapped_w_px.value(), self.mapped_h_px.value()))
        return ScreenMapping.from_screen((self.screen_w_mm.value(), self.screen_h_mm.value()),
                                         (self.screen_w_px.value(), self.screen_h_px.value()))

    def mapping(self) -> ScreenMapping:
        """The current mapping: the size fields, then every applied check correction."""
        m = self.base_mapping()
        for axis, nominal, measured in self._correction_notes:
            m = m.corrected(nominal, measured, axis)
        return m

    def apply_measurement(self) -> bool:
        """Correct the scale by the lengths typed for the check drawing (each 100 mm line as
        drawn now); the fields are then cleared and the drawing redrawn, so measuring again
        confirms it. Returns False (and says why) if nothing could be applied."""
        pending = [(axis, box.value()) for axis, box in (("x", self.measured_h),
                                                         ("y", self.measured_v))
                   if box.value() > 0]
        if not pending:
            self._say("Type the length you measured for a line first.", error=True)
            return False
        try:
            trial = self.mapping()
            for axis, measured in pending:
                trial = trial.corrected(100.0, measured, axis)
        except CalibrationError as exc:
            self._say(str(exc), error=True)
            return False
        self._correction_notes += [(axis, 100.0, measured) for axis, measured in pending]
        for box in (self.measured_h, self.measured_v):
            box.blockSignals(True)
            box.setValue(0.0)
            box.blockSignals(False)
        self._say("Scale corrected. Measure the lines again: they should now be 100 mm.")
        self._update_geometry()
        return True

    def reset_correction(self) -> None:
        self._correction_notes.clear()
        self._update_geometry()

    def _update_geometry(self, *_: Any) -> None:
        tablet = self.mode_tablet.isChecked()
        self.tablet_box.setEnabled(tablet)
        if tablet:
            self.check_hint.setText(
                "Lay a ruler on the tablet. Move the pen along it from the start to the end "
                "of each line on the screen, and type how many mm the pen moved.")
        else:
            self.check_hint.setText("Hold a ruler against the screen and measure each "
                                    "line. Type the lengths you measured.")
        try:
            m = self.mapping()
        except CalibrationError as exc:
            self.mapping_label.setText(f"Cannot use these sizes: {exc}")
            return
        self.drawing.set_mapping(m)
        corrected = f" ({len(self._correction_notes)} correction(s) applied)" if (
            self._correction_notes) else ""
        self.mapping_label.setText(f"One pixel is {m.x_mm_per_px:.4f} mm wide and "
                                   f"{m.y_mm_per_px:.4f} mm high{corrected}.")

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

    # ------------------------------------------------------------------ results
    def calibration(self, *, origin_px: tuple[float, float] = (0.0, 0.0),
                    pressure_max: float = 1.0) -> Calibration:
        """The session :class:`Calibration` from the current mapping and profile (see
        :func:`kinewrite.acquisition.calibration.calibration` for `origin_px`)."""
        return calibration(self.mapping(), self._profile, origin_px=origin_px,
                           pressure_max=pressure_max)

    def state(self) -> dict[str, Any]:
        """The geometry fields and corrections, to keep in the app's settings."""
        return {
            "mode": "tablet" if self.mode_tablet.isChecked() else "screen",
            "screen_mm": [self.screen_w_mm.value(), self.screen_h_mm.value()],
            "screen_px": [self.screen_w_px.value(), self.screen_h_px.value()],
            "tablet_mm": [self.tablet_w_mm.value(), self.tablet_h_mm.value()],
            "mapped_px": [self.mapped_w_px.value(), self.mapped_h_px.value()],
            "corrections": [list(c) for c in self._correction_notes],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state` (unknown or missing keys are ignored)."""
        pairs = {"screen_mm": (self.screen_w_mm, self.screen_h_mm),
                 "screen_px": (self.screen_w_px, self.screen_h_px),
                 "tablet_mm": (self.tablet_w_mm, self.tablet_h_mm),
                 "mapped_px": (self.mapped_w_px, self.mapped_h_px)}
        for key, boxes in pairs.items():
            values = state.get(key)
            if isinstance(values, list | tuple) and len(values) == 2:
                for box, v in zip(boxes, values, strict=True):
                    box.setValue(float(v))
        (self.mode_tablet if state.get("mode") == "tablet" else self.mode_screen).setChecked(True)
        self._correction_notes = [(str(a), float(n), float(m))
                                  for a, n, m in state.get("corrections", [])]
        self._update_geometry()

    # ------------------------------------------------------------------ helpers
    def _accept(self) -> None:
        try:
            self.mapping()
        except CalibrationError as exc:
            self.tabs.setCurrentIndex(0)
            self._say(f"The geometry is not usable: {exc}", error=True)
            return
        self.accept()

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

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020" if error else "")
        self.status.setText(text)
