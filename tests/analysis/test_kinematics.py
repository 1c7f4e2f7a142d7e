"""kinematics.py on signals whose derivatives and smoothness are known analytically
(docs/science.md §3, §4)."""

import numpy as np
import pytest

from kinewrite.analysis.kinematics import ldlj, normalized_jerk, segment_gradient
from kinewrite.analysis.preprocess import Segments

RATE_HZ = 200.0


def _one_segment(n: int) -> Segments:
    return Segments(np.array([0]), np.array([n]))


def test_circle_at_known_speed_gives_r_omega_powers():
    """x = R cos(wt), y = R sin(wt): |v| = R w, |a| = R w^2, |j| = R w^3 (the central
    difference reads low by (w h)^2 / 6 per derivative: 0.033 % at 1 Hz, 200 Hz)."""
    radius_mm, f_hz = 20.0, 1.0
    w = 2 * np.pi * f_hz
    t = np.arange(int(4 * RATE_HZ)) / RATE_HZ
    xy = np.vstack((radius_mm * np.cos(w * t), radius_mm * np.sin(w * t)))
    seg = _one_segment(t.size)
    v = segment_gradient(xy, RATE_HZ, seg)
    a = segment_gradient(v, RATE_HZ, seg)
    j = segment_gradient(a, RATE_HZ, seg)
    inner = slice(5, -5)  # one-sided differences at the ends
    for deriv, power in ((v, 1), (a, 2), (j, 3)):
        magnitude = np.hypot(deriv[0, inner], deriv[1, inner])
        np.testing.assert_allclose(magnitude, radius_mm * w**power, rtol=power * 4e-4)
    # the velocity is tangential: perpendicular to the radius
    dot = xy[0, inner] * v[0, inner] + xy[1, inner] * v[1, inner]
    assert np.max(np.abs(dot)) < 1e-6 * radius_mm**2 * w


def test_constant_velocity_line_is_differentiated_exactly_even_at_the_ends():
    t = np.arange(50) / RATE_HZ
    x = 3.0 + 42.0 * t  # 42 mm/s
    np.testing.assert_allclose(segment_gradient(x, RATE_HZ, _one_segment(50)), 42.0,
                               rtol=1e-12)


def test_segments_are_differentiated_apart_never_across_a_jump():
    """Two constant-speed segments with a 100 mm jump between them: the speed stays the
    segment's own on both sides of the junction, and a single-sample segment reads 0."""
    t = np.arange(20) / RATE_HZ
    x = np.concatenate((10.0 * t, 100.0 + 10.0 * t, [7.0]))
    seg = Segments(np.array([0, 20, 40]), np.array([20, 20, 1]))
    g = segment_gradient(x, RATE_HZ, seg)
    np.testing.assert_allclose(g[:40], 10.0, rtol=1e-9)
    assert g[40] == 0.0


def test_minimum_jerk_stroke_analytic_values():
    """For 6t^5 - 15t^4 + 10t^3 over T with length L: integral of j^2 dt = 720 L^2 / T^5 and
    v_peak = 1.875 L / T, so NJ = sqrt(360) = 18.97 and LDLJ = -ln(204.8) = -5.32
    (Teulings 1997; Balasubramanian 2015)."""
    length_mm = np.array([5.0, 25.0])
    duration_s = np.array([0.2, 0.8])
    integral = 720.0 * length_mm**2 / duration_s**5
    nj = normalized_jerk(integral, duration_s, length_mm)
    np.testing.assert_allclose(nj, np.sqrt(360.0), rtol=1e-12)
    dl = ldlj(integral, duration_s, 1.875 * length_mm / duration_s)
    np.testing.assert_allclose(dl, -np.log(204.8), rtol=1e-12)
    # undefined where there is no path or no speed: NaN, never 0 or inf
    assert np.isnan(normalized_jerk(np.array([1.0]), np.array([0.2]), np.array([0.0])))[0]
    assert np.isnan(ldlj(np.array([1.0]), np.array([0.2]), np.array([0.0])))[0]


def test_minimum_jerk_stroke_sampled_and_differentiated_reads_sqrt_360():
    """The same stroke sampled at 1 kHz, at rest 20 ms before and after, differentiated three
    times by segment_gradient: NJ within 1 % of sqrt(360) (docs/science.md: within 10 % at
    500 Hz or more)."""
    rate, duration, length = 1000.0, 0.5, 20.0
    tau = np.clip(np.arange(-20, int(duration * rate) + 21) / (duration * rate), 0.0, 1.0)
    x = length * (6 * tau**5 - 15 * tau**4 + 10 * tau**3)
    seg = _one_segment(x.size)
    v = segment_gradient(x, rate, seg)
    j = segment_gradient(segment_gradient(v, rate, seg), rate, seg)
    integral = np.array([np.sum(j**2) / rate])
    nj = normalized_jerk(integral, np.array([duration]), np.array([length]))[0]
    assert nj == pytest.approx(np.sqrt(360.0), rel=0.01)
    assert v.max() == pytest.approx(1.875 * length / duration, rel=1e-4)
