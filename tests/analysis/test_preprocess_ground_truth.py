"""preprocess.py on signals whose filtered, rotated or re-clocked form is known
(docs/science.md §2). The older preprocess tests are in tests/analysis/test_preprocess.py."""

import numpy as np
import pytest

from kinewrite.analysis import preprocess as pp

RATE_HZ = 200.0


def _one(n: int) -> pp.Segments:
    return pp.Segments(np.array([0]), np.array([n]))


@pytest.mark.parametrize(("f_hz", "gain"), [(0.5, 1.0), (12.0, 0.5), (24.0, None)])
def test_zero_phase_lowpass_gain_is_the_butterworth_magnitude_squared(f_hz, gain):
    """Forward and backward through a 4th-order Butterworth low-pass at 12 Hz: gain
    |H(f)|^2 = 1 / (1 + (f/fc)^8) of the analog prototype (bilinear-warped: 0.5 exactly at
    the cut-off), no phase shift."""
    t = np.arange(int(8 * RATE_HZ)) / RATE_HZ
    x = np.sin(2 * np.pi * f_hz * t)
    sos = pp.butter_sos(12.0, RATE_HZ)
    y = pp.filtfilt_segments(x, _one(t.size), sos, pp.settle_samples(12.0, RATE_HZ))
    inner = slice(200, -200)
    # least-squares amplitude and phase of the output sine
    basis = np.column_stack((np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t)))
    (s, c), *_ = np.linalg.lstsq(basis[inner], y[inner], rcond=None)
    if gain is None:  # one octave above the cut-off: 1 / (1 + 2^8) after warping
        w = np.tan(np.pi * f_hz / RATE_HZ) / np.tan(np.pi * 12.0 / RATE_HZ)
        gain = 1.0 / (1.0 + w**8)
    assert np.hypot(s, c) == pytest.approx(gain, rel=2e-3, abs=1e-6)
    assert abs(c) < 1e-3 * max(gain, 1e-3)  # zero phase: no cosine component


def test_settle_samples_from_the_poles():
    """ceil(decays / -ln max|p|) of the digital design; at 12 Hz / 200 Hz the analog
    estimate 10 / (2 pi fc/fs sin(pi/8)) = 69.3 samples agrees within 2."""
    from scipy import signal

    _, poles, _ = signal.butter(4, 12.0, fs=200.0, output="zpk")
    expected = int(np.ceil(10.0 / -np.log(np.max(np.abs(poles)))))
    assert pp.settle_samples(12.0, 200.0) == expected
    assert abs(expected - 10 / (2 * np.pi * 12.0 / 200.0 * np.sin(np.pi / 8))) < 2


@pytest.mark.parametrize("slant_deg", [-30.0, 0.0, 20.0, 44.0])
def test_baseline_of_a_slanted_line_of_loops_is_found_and_rotated_away(slant_deg):
    """A line of loops written along a baseline slanted by a known angle: the principal
    direction is that angle, and rotating by it puts the baseline horizontal."""
    s = np.linspace(0.0, 120.0, 3000)
    x0, y0 = s + 2.0 * np.cos(2 * np.pi * s / 4.0), 3.0 * np.sin(2 * np.pi * s / 4.0)
    a = np.radians(slant_deg)
    xy = np.vstack((np.cos(a) * x0 - np.sin(a) * y0, np.sin(a) * x0 + np.cos(a) * y0))
    angle = pp.baseline_angle(xy[0], xy[1])
    assert np.degrees(angle) == pytest.approx(slant_deg, abs=0.2)
    flat = pp.rotate(xy, angle)
    slope = np.polyfit(flat[0], flat[1], 1)[0]
    assert abs(slope) < np.tan(np.radians(0.2))


def test_regular_clock_with_one_dropped_sample_keeps_its_period():
    """A 100 Hz clock with one sample lost: the fitted clock is the true one (the lost
    sample is an interval of 2 periods, not a gap, which needs more than 3); the effective
    period is the covered time per sample interval, 2.99 s / 298."""
    t = np.delete(np.arange(300) * 0.010, 150)
    clock = pp.rebuild_clock(t)
    assert clock.regular
    assert clock.period_s == pytest.approx(2.99 / 298, rel=1e-9)
    np.testing.assert_allclose(clock.t, t, atol=1e-9)
    assert not clock.gap_after.any()
    assert clock.jitter_ms == pytest.approx(0.0, abs=1e-6)


def test_exact_duplicates_are_dropped_and_near_ones_kept():
    t = np.array([0.0, 0.01, 0.01, 0.02, 0.02])
    x = np.array([1.0, 2.0, 2.0, 3.0, 3.5])
    keep = pp.drop_exact_duplicates(t, x)
    assert keep.tolist() == [True, True, False, True, True]
