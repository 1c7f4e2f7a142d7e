"""spiral.py on Archimedes spirals whose centre, tightness and indices are known
(docs/science.md §7; Pullman 1998; Wang et al. 2008)."""

import numpy as np
import pytest

from kinewrite.analysis.spiral import (
    MIN_TURNS,
    curve_deviation,
    fit_spiral,
    spiral_indices,
    template_deviation,
)

CX, CY, A_MM, B_MM_PER_RAD = 70.0, 55.0, 2.0, 1.5


def _spiral(turns: float = 5.0, n: int = 4000, clockwise: bool = False,
            wobble_mm: float = 0.0, wobble_per_turn: float = 0.0):
    theta = np.linspace(0.0, 2 * np.pi * turns, n)
    r = A_MM + B_MM_PER_RAD * theta + wobble_mm * np.sin(wobble_per_turn * theta)
    angle = -theta if clockwise else theta
    return CX + r * np.cos(angle), CY + r * np.sin(angle)


@pytest.mark.parametrize("clockwise", [False, True])
def test_perfect_spiral_fit_recovers_centre_and_tightness(clockwise):
    """The centre is fitted, not assumed: an off-origin spiral r = 2 + 1.5 theta gives back
    its centre, a, b and turns; its indices are those of a perfect spiral (smoothness 0,
    loop spacing 2 pi b everywhere: CV 0)."""
    x, y = _spiral(turns=4.75, clockwise=clockwise)
    fit = fit_spiral(x, y)
    assert fit is not None
    assert (fit.cx_mm, fit.cy_mm) == pytest.approx((CX, CY), abs=1e-6)
    assert fit.b_mm_per_rad == pytest.approx(B_MM_PER_RAD, rel=1e-6)
    assert fit.a_mm + fit.b_mm_per_rad * fit.theta_rad[0] == pytest.approx(A_MM, abs=1e-5)
    assert fit.turns == pytest.approx(4.75, rel=1e-9)
    assert fit.direction == (-1.0 if clockwise else 1.0)
    idx = spiral_indices(fit)
    assert idx["spiral_tightness_mm_per_rad"] == pytest.approx(B_MM_PER_RAD, rel=1e-6)
    assert idx["spiral_smoothness_1"] < 1e-4  # dr/dtheta = b, constant
    assert idx["spiral_loop_spacing_cv"] < 1e-6
    dev = template_deviation(fit, np.column_stack((x, y)))
    assert dev["spiral_fit_deviation_rms_mm"] < 1e-3
    assert np.isnan(dev["spiral_guide_deviation_rms_mm"])  # no guide shown


def test_a_radial_wobble_is_read_by_the_indices():
    """r = a + b theta + w sin(k theta): dr/dtheta = b + w k cos(k theta), whose SD is
    w k / sqrt(2) (first-order smoothness); the residual w sin(k theta) changes sign k / pi
    times per radian, 2 k times per turn; its RMS is w / sqrt(2), its largest value w."""
    w, k = 0.2, 12.0
    x, y = _spiral(wobble_mm=w, wobble_per_turn=k, n=20000)
    fit = fit_spiral(x, y)
    idx = spiral_indices(fit)
    assert idx["spiral_smoothness_1"] == pytest.approx(w * k / np.sqrt(2), rel=0.02)
    assert idx["spiral_zero_crossing_rate"] == pytest.approx(2 * k, rel=0.02)
    # the fitted line runs through the wobble: its RMS distance is w / sqrt(2)
    dev = template_deviation(fit, np.column_stack((x, y)))
    assert dev["spiral_fit_deviation_rms_mm"] == pytest.approx(w / np.sqrt(2), rel=0.03)
    assert dev["spiral_fit_hausdorff_mm"] == pytest.approx(w, rel=0.03)


def test_fewer_than_1_5_turns_has_no_indices():
    x, y = _spiral(turns=MIN_TURNS * 0.8)
    fit = fit_spiral(x, y)
    assert fit is None or all(np.isnan(v) for v in spiral_indices(fit).values())


def test_curve_deviation_of_points_off_a_straight_guide():
    """Points 0.5 mm above a straight guide, over its whole length: RMS and Hausdorff
    distance both 0.5 mm."""
    guide = np.array([[0.0, 0.0], [10.0, 0.0]])
    pts = np.column_stack((np.linspace(0, 10, 101), np.full(101, 0.5)))
    rms, hausdorff = curve_deviation(pts, guide)
    assert rms == pytest.approx(0.5, rel=1e-9)
    assert hausdorff == pytest.approx(0.5, rel=1e-9)
