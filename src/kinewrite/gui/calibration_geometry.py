"""The geometry page of the calibration dialog (PyQt6): pixels to mm.

The screen's physical size as Qt reports it (editable: monitors often report a wrong size),
or a tablet's active area and the screen area it is mapped to; a check drawing
(:class:`CheckDrawing`: a 100 mm horizontal line, a 100 mm vertical line, a 50 mm square)
drawn with the current mapping, and the lengths the therapist measured, which correct the
scale. :class:`~kinewrite.acquisition.calibration.ScreenMapping` does every computation.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen, QScreen
from PyQt6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.calibration import CalibrationError, ScreenMapping
from .text import PlainLabel

__all__ = ["CheckDrawing", "GeometryPageMixin"]


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


class GeometryPageMixin:
    """The geometry page of :class:`~kinewrite.gui.calibration.CalibrationDialog`: its
    fields, the mapping they give, the check-drawing corrections and their saved state.

    The dialog provides ``_correction_notes`` (the corrections applied, as
    ``(axis, nominal_mm, measured_mm)``) and ``_say`` (its status line).
    """

    _correction_notes: list[tuple[str, float, float]]

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
