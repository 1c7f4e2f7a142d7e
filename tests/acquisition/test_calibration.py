"""Calibration: pixels to mm from known geometry, check-drawing corrections, pressure curves
recovered from known polynomials, stylus profiles on disk, and the stored Calibration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kinewrite.acquisition.calibration import (
    GRAVITY_M_S2,
    CalibrationError,
    PressureProfile,
    ScreenMapping,
    calibration,
    fit_pressure_profile,
    grams_to_newtons,
    list_profiles,
    load_profile,
    profile_path,
    save_profile,
    styluses_dir,
)
from kinewrite.model import Recording
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter

# ---------------------------------------------------------------------------- geometry


def test_screen_mapping_from_physical_size() -> None:
    # a 24" 16:9 monitor: 531.4 x 298.9 mm, 2560 x 1440 px
    m = ScreenMapping.from_screen((531.4, 298.9), (2560, 1440))
    assert m.x_mm_per_px == pytest.approx(531.4 / 2560)
    assert m.y_mm_per_px == pytest.approx(298.9 / 1440)
    assert "531.4 x 298.9 mm" in m.source and "2560 x 1440 px" in m.source
    px_x, px_y = m.px_per_mm()
    assert 100 * px_x * m.x_mm_per_px == pytest.approx(100.0)
    assert px_y == pytest.approx(1440 / 298.9)


def test_screen_mapping_from_dpi() -> None:
    m = ScreenMapping.from_dpi(96.0)
    assert m.x_mm_per_px == pytest.approx(25.4 / 96) == m.y_mm_per_px
    m2 = ScreenMapping.from_dpi(100.0, 120.0)
    assert (m2.x_mm_per_px, m2.y_mm_per_px) == pytest.approx((0.254, 25.4 / 120))


def test_tablet_mapping_per_axis() -> None:
    """Intuos M (216 x 135 mm) mapped to a full 1920 x 1080 screen: proportions not kept, so
    x and y differ; a 100 mm horizontal pen movement spans 100 / (216 / 1920) px."""
    m = ScreenMapping.from_tablet((216.0, 135.0), (1920, 1080))
    assert m.x_mm_per_px == pytest.approx(0.1125) and m.y_mm_per_px == pytest.approx(0.125)
    assert 100.0 / m.x_mm_per_px == pytest.approx(888.888, rel=1e-5)


def test_check_drawing_correction() -> None:
    m = ScreenMapping.from_screen((500.0, 300.0), (2000, 1200))  # 0.25 mm/px both
    # the 100 mm horizontal line was drawn 400 px long and measured 97 mm with a ruler
    cx = m.corrected(100.0, 97.0, axis="x")
    assert cx.x_mm_per_px == pytest.approx(0.97 / 4) and cx.y_mm_per_px == 0.25
    assert 400 * cx.x_mm_per_px == pytest.approx(97.0)
    # a new 100 mm line is drawn with the corrected mapping: 412.4 px, which is 100 mm
    assert (100.0 / cx.x_mm_per_px) * 0.97 / 4 == pytest.approx(100.0)
    cy = cx.corrected(100.0, 102.0, axis="y")
    assert cy.y_mm_per_px == pytest.approx(0.255) and cy.x_mm_per_px == cx.x_mm_per_px
    assert "x: 100 mm measured 97 mm" in cy.source and "y: 100 mm measured 102 mm" in cy.source
    both = m.corrected(50.0, 49.0)
    assert (both.x_mm_per_px, both.y_mm_per_px) == pytest.approx((0.245, 0.245))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ScreenMapping.from_screen((0, 300), (1920, 1080)),
     "screen size (mm) must be positive"),
    (lambda: ScreenMapping.from_screen((float("nan"), 300), (1920, 1080)), "must be positive"),
    (lambda: ScreenMapping.from_screen((500, 300), (1920,)), "must be two numbers"),
    (lambda: ScreenMapping.from_screen((5000, 3000), (100, 100)), "not a plausible pixel size"),
    (lambda: ScreenMapping(0.25, 0.25).corrected(100, 9.7), "would rescale by 0.097"),
    (lambda: ScreenMapping(0.25, 0.25).corrected(100, -3), "must be positive"),
])
def test_bad_geometry_is_refused(call, message: str) -> None:
    with pytest.raises(CalibrationError) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


def test_calibration_maps_widget_pixels_to_mm_y_up() -> None:
    m = ScreenMapping.from_tablet((152.0, 95.0), (1520, 950))  # 0.1 mm/px
    cal = calibration(m, origin_px=(20.0, 970.0))  # bottom-left of the writing area
    assert cal.x_mm_per_unit == pytest.approx(0.1) and cal.y_mm_per_unit == pytest.approx(-0.1)
    px = np.array([[20.0, 970.0], [1540.0, 970.0], [20.0, 20.0]])
    x_mm = px[:, 0] * cal.x_mm_per_unit + cal.x_offset_mm
    y_mm = px[:, 1] * cal.y_mm_per_unit + cal.y_offset_mm
    assert np.allclose(x_mm, [0.0, 152.0, 0.0]) and np.allclose(y_mm, [0.0, 0.0, 95.0])
    assert "tablet active area 152 x 95 mm" in cal.source and "no stylus profile" in cal.source
    assert cal.pressure_newton_coeffs == ()
    ident = calibration(None)
    assert ident.x_mm_per_unit == 1.0 and ident.y_mm_per_unit == 1.0


def test_calibration_is_stored_and_converts_recordings(tmp_path: Path) -> None:
    """The Calibration goes into a real session file, and the loaded recording is in mm with
    y up: a widget-pixel square comes back as a square of the right size in mm."""
    m = ScreenMapping(0.2, 0.25, "test mapping")
    prof = fit_pressure_profile([0.1, 0.3, 0.5, 0.7], [0.2 + 5 * f for f in
                                                       (0.1, 0.3, 0.5, 0.7)], degree=1,
                                stylus="pen A")
    cal = calibration(m, prof, origin_px=(0.0, 500.0))
    writer = SessionWriter.create(tmp_path, patient_code="WC-001", calibration=cal)
    writer.begin_trial("lines", nominal_rate_hz=200.0, input_kind="tablet")
    t = np.arange(5) / 200.0
    writer.append(t=t, x=np.array([100.0, 600.0, 600.0, 100.0, 100.0]),
                  y=np.array([500.0, 500.0, 100.0, 100.0, 500.0]),
                  pressure=np.full(5, 0.5), state=np.full(5, 2, dtype="u1"))
    writer.end_trial()
    writer.close()
    session = load_session(writer.path)
    assert session.calibration == cal
    rec: Recording = session.trials[0].recording
    assert np.allclose(rec.x, [20, 120, 120, 20, 20]) and np.allclose(rec.y, [0, 0, 100, 100, 0])


# ---------------------------------------------------------------------------- pressure


def test_grams_to_newtons() -> None:
    assert grams_to_newtons(500.0) == pytest.approx(0.5 * GRAVITY_M_S2)
    assert np.allclose(grams_to_newtons(np.array([0.0, 100.0])), [0.0, 0.981])


@pytest.mark.parametrize("true", [(3.0, 0.05), (-1.5, 6.0, 0.1), (4.0, -2.0, 3.0, 0.0)])
def test_fit_recovers_known_polynomial(true: tuple[float, ...]) -> None:
    f = np.array([0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9])
    n = np.polyval(true, f)
    prof = fit_pressure_profile(f, n, degree=len(true) - 1, stylus="Pro Pen 2 #1")
    assert np.allclose(prof.coeffs, true, atol=1e-9)
    assert prof.residual_N < 1e-9 and prof.tare_N == 0.0 and prof.degree == len(true) - 1
    assert np.allclose(prof.force_N(f), n)


def test_fit_with_noise_and_tare() -> None:
    """Weights 20..500 g on a pen whose curve is N = 2 f^2 + 4 f - 0.2 (it reads 0.0488 with no
    weight: its rest reading sits where the curve crosses 0 N). Readings carry 0.002 of noise:
    the coefficients come back within 0.1 and the net force at rest is exactly 0."""
    rng = np.random.default_rng(3)
    true = (2.0, 4.0, -0.2)
    grams = np.array([20, 50, 100, 150, 200, 300, 400, 500], dtype=float)
    newtons = grams_to_newtons(grams)
    grid = np.linspace(0, 1, 100001)
    f_true = np.interp(newtons, np.polyval(true, grid), grid)  # invert the curve
    f_read = f_true + rng.normal(0, 0.002, f_true.size)
    f_rest = float(np.interp(0.0, np.polyval(true, grid), grid))
    assert f_rest == pytest.approx((-4 + np.sqrt(17.6)) / 4, abs=1e-4)  # 0.0488
    prof = fit_pressure_profile(f_read, newtons, tare_fraction=f_rest, stylus="x")
    assert np.allclose(prof.coeffs, true, atol=0.1)
    assert prof.tare_fraction == f_rest and len(prof.fractions) == grams.size + 1
    assert abs(prof.tare_N) < 0.01  # the fit passes near (rest, 0 N) anyway
    assert prof.force_N(f_rest) == pytest.approx(0.0, abs=1e-12)
    # residual: RMS of the net-force error, about slope x reading noise (≈ 6 N x 0.002)
    expected = np.sqrt(np.mean((prof.force_N(np.array(prof.fractions)) -
                                np.array(prof.newtons)) ** 2))
    assert prof.residual_N == pytest.approx(expected) and 0.001 < prof.residual_N < 0.03


def test_tare_offset_is_subtracted() -> None:
    """A pen reading 0.1 at rest whose weighed points lie on N = 5 f - 0.3 (so the curve
    gives 0.2 N at rest): with the tare included, the rest reading means 0 N."""
    f = np.array([0.2, 0.4, 0.6, 0.8])
    prof = fit_pressure_profile(f, 5 * f - 0.3, degree=1, tare_fraction=0.1)
    assert prof.tare_N == pytest.approx(float(np.polyval(prof.coeffs, 0.1)))
    assert prof.force_N(0.1) == pytest.approx(0.0)
    assert prof.residual_N > 0  # the rest point does not sit on the weighed line
    no_tare = fit_pressure_profile(f, 5 * f - 0.3, degree=1, tare_fraction=0.0)
    assert no_tare.tare_fraction is None and no_tare.tare_N == 0.0  # 0 at rest: ignored
    assert np.allclose(no_tare.coeffs, [5.0, -0.3])


@pytest.mark.parametrize(("fractions", "newtons", "kw", "message"), [
    ([0.1, 0.2, 0.3], [1, 2, 3], {"degree": 2}, "3 calibration points are too few for a "
                                                 "degree-2 curve: take at least 4"),
    ([0.1, 0.2], [1, 2], {"degree": 1}, "too few"),
    ([0.1, 0.1, 0.1, 0.5], [1, 1.1, 0.9, 3], {"degree": 2}, "only 2 different pressure"),
    ([0.1, float("nan"), 0.3, 0.4], [1, 2, 3, 4], {}, "missing (NaN)"),
    ([0.1, 0.2, 0.3, 0.4], [1, 2, float("inf"), 4], {}, "NaN) or infinite"),
    ([0.1, 0.2, 0.3, 1.4], [1, 2, 3, 4], {}, "pressure reading 1.4 is outside (0, 1]"),
    ([0.0, 0.2, 0.3, 0.4], [1, 2, 3, 4], {}, "below the pen's activation force"),
    ([0.1, 0.2, 0.3, 0.4], [1, -2, 3, 4], {}, "force -2 N is negative"),
    ([0.1, 0.2, 0.3], [1, 2], {}, "3 pressure readings for 2 weights"),
    ([0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 3, 4, 5], {"degree": 5}, "degree must be 1, 2 or 3"),
    ([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4], {"tare_fraction": 1.5}, "tare reading 1.5"),
    # a curve rising to a maximum near 0.55 then falling: not monotonic over 0..1
    ([0.1, 0.3, 0.5, 0.6, 0.8], [-10 * (f - 0.55) ** 2 + 4 for f in (0.1, 0.3, 0.5, 0.6, 0.8)],
     {"degree": 2}, "does not rise steadily over 0..1 (it falls near fraction 0.55)"),
])
def test_bad_pressure_calibration_is_refused(fractions, newtons, kw, message: str) -> None:
    with pytest.raises(CalibrationError) as info:
        fit_pressure_profile(fractions, newtons, **kw)
    assert message in str(info.value) and "\n" not in str(info.value)


# ---------------------------------------------------------------------------- profile files


#: A pen whose curve is N = 2 f^2 + 3 f - 0.1: it reads REST with nothing on it (0 N).
REST = (-3 + np.sqrt(9.8)) / 4


def _profile(name: str = "Wacom Pro Pen 2 / #1") -> PressureProfile:
    f = [0.1, 0.25, 0.4, 0.55, 0.7]
    return fit_pressure_profile(f, [2 * v * v + 3 * v - 0.1 for v in f], stylus=name,
                                tare_fraction=REST)


def test_profile_save_load_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "cfg"))
    assert styluses_dir() == tmp_path / "cfg" / "styluses"
    prof = _profile()
    path = save_profile(prof)
    assert path == tmp_path / "cfg" / "styluses" / "Wacom_Pro_Pen_2_1.json"
    assert load_profile("Wacom Pro Pen 2 / #1") == prof == load_profile(path)
    data = json.loads(path.read_text())
    assert data["format"] == "kinewrite-stylus-profile" and data["coeffs"] == list(prof.coeffs)
    assert [p.stylus for p in list_profiles()] == ["Wacom Pro Pen 2 / #1"]
    # replacing a profile leaves no temporary file behind
    save_profile(_profile())
    assert sorted(os.listdir(path.parent)) == [path.name]


def test_profile_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing leaves the earlier profile whole and no temporary file."""
    prof = _profile("pen")
    path = save_profile(prof, tmp_path)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        save_profile(_profile("pen"), tmp_path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_bad_profile_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text(json.dumps({"format": "other"}))
    bad = json.loads(_profile("c").to_json())
    bad["coeffs"] = [1.0, 2.0]  # degree 2 needs 3
    (tmp_path / "c.json").write_text(json.dumps(bad))
    save_profile(_profile("good"), tmp_path)
    errors: list[str] = []
    assert [p.stylus for p in list_profiles(tmp_path, errors)] == ["good"]
    assert len(errors) == 3
    assert any("a.json: not a JSON file" in e for e in errors)
    assert any("b.json: not a kinewrite stylus profile" in e for e in errors)
    assert any("c.json: coefficients do not match degree 2" in e for e in errors)
    with pytest.raises(CalibrationError, match="cannot read"):
        load_profile("absent", tmp_path)
    with pytest.raises(CalibrationError, match="needs a stylus name"):
        profile_path("  ")


def test_calibration_with_profile_converts_to_newtons() -> None:
    prof = _profile()
    cal = calibration(ScreenMapping(0.25, 0.25, "screen"), prof)
    assert isinstance(cal, Calibration)
    assert cal.pressure_newton_coeffs == prof.coeffs and cal.tare_N == prof.tare_N
    assert np.allclose(prof.coeffs, [2.0, 3.0, -0.1]) and abs(prof.tare_N) < 1e-12
    fraction = np.array([REST, 0.4])
    force = np.polyval(cal.pressure_newton_coeffs, fraction) - cal.tare_N  # the stored formula
    assert force == pytest.approx([0.0, 2 * 0.16 + 3 * 0.4 - 0.1])
    assert "stylus 'Wacom Pro Pen 2 / #1'" in cal.source and "degree 2" in cal.source
