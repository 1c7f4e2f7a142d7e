"""The calibration dialog, offscreen: fields filled by key clicks, buttons clicked, the check
drawing measured on the rendered image, a pressure curve recovered from a simulated pen, the
profile saved to disk, and the resulting Calibration's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QRect, Qt
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QDoubleSpinBox,
    QLabel,
    QWidget,
)

from kinewrite.acquisition.calibration import (
    ScreenMapping,
    fit_pressure_profile,
    grams_to_newtons,
    load_profile,
)
from kinewrite.gui.calibration import DEFAULT_WEIGHTS_G, CalibrationDialog

SHOTS = Path("/tmp/kinewrite-gui-shots")
#: The simulated pen: force (N) = 2 p² + 4 p - 0.2 for pressure fraction p.
TRUE_CURVE = (2.0, 4.0, -0.2)


def _fraction_for(newtons: float) -> float:
    grid = np.linspace(0.0, 1.0, 200001)
    return float(np.interp(newtons, np.polyval(TRUE_CURVE, grid), grid))


class SimulatedPen:
    """A pen in a stand: reports the fraction for the weight resting on it (no weight: its
    rest reading), or NaN when lifted."""

    def __init__(self) -> None:
        self.grams: float | None = 0.0

    def __call__(self) -> float:
        if self.grams is None:
            return float("nan")
        return _fraction_for(float(grams_to_newtons(self.grams)))


def type_into(qtbot, box: QDoubleSpinBox, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Tab)


def click(qtbot, button: QAbstractButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def assert_nothing_clipped(top: QWidget) -> None:
    """Every visible label, button and spin box lies whole inside its parents."""
    QApplication.processEvents()
    for w in top.findChildren(QWidget):
        if not w.isVisibleTo(top) or not isinstance(w, QLabel | QAbstractButton |
                                                     QAbstractSpinBox):
            continue
        parent = w.parentWidget()
        while parent is not None and parent is not top:
            inner = QRect(w.mapTo(parent, QPoint(0, 0)), w.size())
            assert parent.rect().contains(inner), f"{type(w).__name__} {w.objectName()} cut"
            parent = parent.parentWidget()
        if isinstance(w, QLabel) and w.text() and w.wordWrap():
            assert w.height() >= w.heightForWidth(w.width()), f"label {w.text()!r} squeezed"
        if isinstance(w, QLabel) and w.text() and not w.wordWrap():
            assert w.fontMetrics().horizontalAdvance(w.text().split("\n")[0]) <= w.width() + 1, (
                f"label {w.text()!r} cut")


@pytest.fixture
def dialog(qtbot) -> CalibrationDialog:
    dlg = CalibrationDialog(read_pressure=SimulatedPen())
    qtbot.addWidget(dlg)
    dlg.resize(1100, 760)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_starts_from_the_screen_qt_reports(dialog: CalibrationDialog) -> None:
    screen = dialog.screen()
    size, geo = screen.physicalSize(), screen.geometry()
    assert dialog.screen_w_mm.value() == pytest.approx(size.width(), abs=0.05)
    assert dialog.screen_w_px.value() == geo.width()
    m = dialog.mapping()
    assert m.x_mm_per_px == pytest.approx(round(size.width(), 1) / geo.width())


def test_screen_size_typed_gives_the_calibration(qtbot, dialog: CalibrationDialog) -> None:
    """A 24-inch monitor (531.4 x 298.9 mm, 2560 x 1440 px) typed in by the therapist."""
    for box, text in ((dialog.screen_w_mm, "531.4"), (dialog.screen_h_mm, "298.9"),
                      (dialog.screen_w_px, "2560"), (dialog.screen_h_px, "1440")):
        type_into(qtbot, box, text)
    cal = dialog.calibration(origin_px=(0.0, 1440.0))
    assert cal.x_mm_per_unit == pytest.approx(531.4 / 2560)
    assert cal.y_mm_per_unit == pytest.approx(-298.9 / 1440)
    assert 1440 * cal.y_mm_per_unit + cal.y_offset_mm == pytest.approx(0.0)
    assert 0 * cal.y_mm_per_unit + cal.y_offset_mm == pytest.approx(298.9)
    assert "screen 531.4 x 298.9 mm over 2560 x 1440 px" in cal.source
    assert "no stylus profile" in cal.source and cal.pressure_newton_coeffs == ()


def _black_extent(image: QImage, row: int | None = None, col: int | None = None) -> float:
    """Length in px of the dark pixels along one row or column of the rendered drawing."""
    ptr = image.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, stride = ptr.width(), ptr.height(), ptr.bytesPerLine()
    data = np.frombuffer(ptr.constBits().asstring(h * stride), dtype=np.uint8)
    pixels = data.reshape(h, stride)[:, :w].astype(float)
    line = pixels[row, :] if row is not None else pixels[:, col]
    darkness = (255.0 - line) / 255.0  # antialiased ends count by their coverage
    return float(darkness.sum())


def test_check_drawing_measured_and_corrected(qtbot, dialog: CalibrationDialog) -> None:
    """The 100 mm lines are drawn 100 mm long at the current mapping (measured on the rendered
    pixels); a ruler reading of 97 mm corrects the horizontal scale, 102 mm the vertical."""
    for box, text in ((dialog.screen_w_mm, "500"), (dialog.screen_h_mm, "300"),
                      (dialog.screen_w_px, "2000"), (dialog.screen_h_px, "1200")):
        type_into(qtbot, box, text)  # 0.25 mm per px
    drawing = dialog.drawing
    shapes = drawing.geometry_px()
    assert shapes["horizontal"].width() == pytest.approx(400.0)
    image = drawing.grab().toImage()
    assert _black_extent(image, row=int(shapes["horizontal"].top())) == pytest.approx(
        400.0, abs=1.5)
    col = int(shapes["vertical"].left())
    v_top, v_bottom = round(shapes["vertical"].top()), round(shapes["vertical"].bottom())
    assert _black_extent(image.copy(col, v_top - 2, 1, v_bottom - v_top + 4), col=0) == \
        pytest.approx(400.0, abs=1.5)
    assert shapes["square"].width() == pytest.approx(200.0)

    type_into(qtbot, dialog.measured_h, "97")
    type_into(qtbot, dialog.measured_v, "102")
    click(qtbot, dialog.apply_button)
    m = dialog.mapping()
    assert m.x_mm_per_px == pytest.approx(0.25 * 0.97)
    assert m.y_mm_per_px == pytest.approx(0.25 * 1.02)
    assert dialog.measured_h.value() == 0.0  # cleared: measure again to confirm
    # the line is redrawn 100 mm long at the corrected scale: 412.4 px of 0.2425 mm
    shapes = drawing.geometry_px()
    assert shapes["horizontal"].width() * m.x_mm_per_px == pytest.approx(100.0)
    assert _black_extent(drawing.grab().toImage(), row=int(shapes["horizontal"].top())) == \
        pytest.approx(100.0 / (0.25 * 0.97), abs=1.5)
    cal = dialog.calibration()
    assert cal.x_mm_per_unit == pytest.approx(0.2425)
    assert cal.y_mm_per_unit == pytest.approx(-0.255)
    assert "x: 100 mm measured 97 mm" in cal.source

    # a typing mistake (9.7 for 97) is refused, the mapping unchanged
    type_into(qtbot, dialog.measured_h, "9.7")
    click(qtbot, dialog.apply_button)
    assert "check the measurement" in dialog.status.text()
    assert dialog.mapping() == m
    click(qtbot, dialog.reset_button)
    assert dialog.mapping().x_mm_per_px == pytest.approx(0.25)


def test_tablet_mapping(qtbot, dialog: CalibrationDialog) -> None:
    click(qtbot, dialog.mode_tablet)
    assert dialog.tablet_box.isEnabled()
    for box, text in ((dialog.tablet_w_mm, "216"), (dialog.tablet_h_mm, "135"),
                      (dialog.mapped_w_px, "1920"), (dialog.mapped_h_px, "1080")):
        type_into(qtbot, box, text)
    m = dialog.mapping()
    assert (m.x_mm_per_px, m.y_mm_per_px) == pytest.approx((0.1125, 0.125))
    assert "tablet active area 216 x 135 mm mapped to 1920 x 1080 px" in m.source
    state = dialog.state()
    other = CalibrationDialog()
    qtbot.addWidget(other)
    other.set_state(state)
    assert other.mapping() == m and other.state() == state


def test_pressure_curve_from_a_simulated_pen(qtbot, dialog: CalibrationDialog,
                                             tmp_path: Path) -> None:
    pen: SimulatedPen = dialog._read_pressure  # the callable the caller passed
    dialog.tabs.setCurrentIndex(1)
    qtbot.keyClicks(dialog.stylus_name, "Pro Pen 2 #1")
    click(qtbot, dialog.tare_read)  # nothing on the pen
    assert dialog.tare.value() == pytest.approx(_fraction_for(0.0), abs=1e-4)
    for row, grams in enumerate(DEFAULT_WEIGHTS_G):
        pen.grams = grams
        dialog.table.selectRow(row)
        click(qtbot, dialog.read_button)
        assert float(dialog.table.item(row, 2).text()) == pytest.approx(
            _fraction_for(float(grams_to_newtons(grams))), abs=1e-4)
        assert float(dialog.table.item(row, 1).text()) == pytest.approx(grams * 9.81e-3,
                                                                       abs=1e-4)
    click(qtbot, dialog.fit_button)
    prof = dialog.profile()
    assert prof is not None and prof.stylus == "Pro Pen 2 #1"
    assert np.allclose(prof.coeffs, TRUE_CURVE, atol=2e-3)
    assert prof.residual_N < 1e-3 and abs(prof.tare_N) < 1e-3
    assert "Residual" in dialog.fit_label.text() and "+2.00" in dialog.fit_label.text()

    dialog._profile_dir = tmp_path
    click(qtbot, dialog.save_button)
    assert dialog.saved_path == tmp_path / "Pro_Pen_2_1.json"
    assert load_profile(dialog.saved_path) == dialog.profile()
    cal = dialog.calibration()
    assert cal.pressure_newton_coeffs == prof.coeffs and cal.tare_N == prof.tare_N
    # 300 g on the pen reads back as 2.943 N through the stored formula
    f300 = _fraction_for(float(grams_to_newtons(300.0)))
    force = np.polyval(cal.pressure_newton_coeffs, f300) - cal.tare_N
    assert force == pytest.approx(2.943, abs=5e-3)


def test_pressure_errors_are_shown(qtbot, dialog: CalibrationDialog) -> None:
    pen: SimulatedPen = dialog._read_pressure
    pen.grams = None  # the pen was lifted
    dialog.table.selectRow(0)
    click(qtbot, dialog.read_button)
    assert "No pressure was read" in dialog.status.text()
    assert dialog.table.item(0, 2).text() == ""
    dialog.set_reading(0, 0.1)
    dialog.set_reading(1, 0.2)
    click(qtbot, dialog.fit_button)
    assert dialog.fit_label.text().startswith("Cannot fit: 2 calibration points are too few")
    assert dialog.profile() is None
    dialog.table.item(1, 0).setText("fifty")
    assert dialog.table.item(1, 1).text() == "?"
    click(qtbot, dialog.fit_button)
    assert "row 2: 'fifty' g" in dialog.fit_label.text()
    click(qtbot, dialog.save_button)  # no stylus name
    assert "Give the stylus a name" in dialog.status.text()


def test_typed_readings_without_a_tablet(qtbot) -> None:
    dlg = CalibrationDialog()
    qtbot.addWidget(dlg)
    assert not dlg.read_button.isEnabled() and not dlg.tare_read.isEnabled()
    f = [0.1, 0.2, 0.4, 0.6, 0.8]
    for row, v in enumerate(f):
        dlg.set_reading(row, v)
    grams = np.array(DEFAULT_WEIGHTS_G[: len(f)])
    prof = dlg.fit()
    assert prof is not None
    expected = fit_pressure_profile(f, grams_to_newtons(grams), 2)
    assert np.allclose(prof.coeffs, expected.coeffs)
    dlg2 = CalibrationDialog(profile=prof)  # a saved profile fills the table again
    qtbot.addWidget(dlg2)
    (f1, n1), (f2, n2) = dlg.calibration_points(), dlg2.calibration_points()
    assert f2 == pytest.approx(f1) and n2 == pytest.approx(n1)


def test_ok_refuses_an_unusable_geometry(qtbot, dialog: CalibrationDialog) -> None:
    type_into(qtbot, dialog.screen_w_mm, "0")
    assert "Cannot use these sizes" in dialog.mapping_label.text()
    dialog._accept()
    assert dialog.isVisible() and "not usable" in dialog.status.text()
    type_into(qtbot, dialog.screen_w_mm, "300")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        dialog._accept()


def test_renders_without_clipping(qtbot, dialog: CalibrationDialog) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert_nothing_clipped(dialog)
    dialog.grab().save(str(SHOTS / "calibration-geometry.png"))
    dialog.tabs.setCurrentIndex(1)
    click(qtbot, dialog.fit_button)  # an error message in the label
    assert_nothing_clipped(dialog)
    dialog.grab().save(str(SHOTS / "calibration-pressure.png"))
    small = CalibrationDialog(read_pressure=SimulatedPen())
    qtbot.addWidget(small)
    small.show()
    qtbot.waitExposed(small)
    assert_nothing_clipped(small)  # at its own default size
    small.grab().save(str(SHOTS / "calibration-default-size.png"))
    small.resize(small.minimumSizeHint())
    QApplication.processEvents()
    assert_nothing_clipped(small)  # and at its minimum
    small.grab().save(str(SHOTS / "calibration-minimum-size.png"))
    assert ScreenMapping(0.25, 0.25).px_per_mm() == (4.0, 4.0)


def test_the_pad_on_the_dialog_is_read_while_it_is_open(qtbot, tmp_path) -> None:
    """With its pad the dialog reads synthesized tablet events sent while it is open (shown
    modal), and it fits the screen's free area."""
    from PyQt6.QtCore import QTimer

    from kinewrite.gui.synthetic_pen import SyntheticPen
    from kinewrite.model import Recording

    dialog = CalibrationDialog(with_pad=True, profile_dir=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.pad is not None and dialog.isAncestorOf(dialog.pad.canvas)
    free = dialog.screen().availableGeometry()
    assert free.contains(dialog.frameGeometry()) or free.contains(dialog.geometry())
    seen: dict[str, float] = {}

    def rest_the_pen() -> None:
        assert QApplication.activeModalWidget() is dialog
        dialog.tabs.setCurrentIndex(1)
        t = np.arange(0, 2.0, 0.005)
        rec = Recording(t=t, x=np.full(t.size, 5.0), y=np.full(t.size, 5.0),
                        pressure=np.full(t.size, 0.42), pen_down=np.ones(t.size, bool))
        SyntheticPen(dialog.pad.canvas, ScreenMapping.from_dpi(96.0)).write(rec)
        dialog.pad.samples._rows.pop()  # the final release: the pen still rests
        dialog.table.selectRow(0)
        seen["ok"] = dialog.read_row(0)
        seen["value"] = float(dialog.table.item(0, 2).text())
        dialog.reject()

    QTimer.singleShot(100, rest_the_pen)
    dialog.exec()
    assert seen["ok"] and seen["value"] == pytest.approx(0.42, abs=1e-3)
