"""strokes.py on movements whose strokes and pen lifts are known analytically
(docs/science.md §4)."""

import numpy as np
import pytest

from kinewrite.analysis.preprocess import Segments, runs
from kinewrite.analysis.strokes import pen_runs, segment_strokes

RATE_HZ = 200.0


def _wave(f_hz: float, amplitude_mm: float, v0_mm_s: float, seconds: float, phase: float = 0.0):
    """x = v0 t, y = A sin(w t + phase) with its exact derivatives: the signals
    segment_strokes takes (time, y, v_y, |v|, d|v|/dt, |j|^2)."""
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    w = 2 * np.pi * f_hz
    y = amplitude_mm * np.sin(w * t + phase)
    vy = amplitude_mm * w * np.cos(w * t + phase)
    ay = -amplitude_mm * w**2 * np.sin(w * t + phase)
    jy = -amplitude_mm * w**3 * np.cos(w * t + phase)
    speed = np.hypot(v0_mm_s, vy)
    tangential_acc = vy * ay / speed
    return t, y, vy, speed, tangential_acc, jy**2


@pytest.mark.parametrize("f_hz", [1.0, 2.5, 5.0])
def test_vertical_sine_gives_strokes_of_half_a_period(f_hz):
    """y = A sin(2 pi f t) moving right: one stroke per half cycle between the zero crossings
    of v_y, each 1 / (2 f) long and 2 A tall, with one speed peak (NIV 1) and one speeding-up
    and one slowing-down phase (NCA 2) each (Mai & Marquardt)."""
    amplitude, seconds = 3.0, 6.0
    t, y, vy, speed, acc, jerk_sq = _wave(f_hz, amplitude, 10.0, seconds)
    seg = Segments(np.array([0]), np.array([t.size]))
    s = segment_strokes(t, y, vy, speed, acc, jerk_sq, RATE_HZ, seg)
    half = 1.0 / (2 * f_hz)
    # crossings at t = (k + 1/2) * half; the pieces before the first and after the last
    # are strokes too, a quarter period long
    crossings = int(np.floor(seconds / half - 0.5)) + 1
    assert s.count == crossings + 1
    inner = slice(1, -1)
    np.testing.assert_allclose(s.duration_s[inner], half, atol=1e-6)
    # a stroke's ends are samples, at most one sample from the true turning point, which
    # loses at most 1 - cos(2 pi f / rate) of the amplitude at each end
    sampling = 1 - np.cos(2 * np.pi * f_hz / RATE_HZ) + 1e-9
    size = s.vertical_size_mm[inner]
    assert np.all((size <= 2 * amplitude + 1e-9) & (size >= 2 * amplitude * (1 - sampling)))
    peak = s.peak_vertical_speed_mm_s[inner]
    true_peak = amplitude * 2 * np.pi * f_hz
    assert np.all((peak <= true_peak + 1e-9) & (peak >= true_peak * (1 - sampling)))
    assert np.all(s.niv[inner] == 1)
    assert np.all(s.nca[inner] == 2)
    np.testing.assert_allclose(s.t_start[inner], (np.arange(crossings - 1) + 0.5) * half,
                               atol=1e-6)


def test_a_wiggle_smaller_than_0_3_mm_is_no_stroke():
    """Noise around a turning point: crossings closer than 0.3 mm in height are merged."""
    t, y, vy, speed, acc, jerk_sq = _wave(2.0, 0.1, 10.0, 3.0)  # 0.2 mm tall strokes
    seg = Segments(np.array([0]), np.array([t.size]))
    s = segment_strokes(t, y, vy, speed, acc, jerk_sq, RATE_HZ, seg)
    assert s.count == 1  # the whole segment, no crossing kept


def test_strokes_never_span_two_segments():
    t, y, vy, speed, acc, jerk_sq = _wave(2.0, 3.0, 10.0, 4.0)
    n = t.size
    seg = Segments(np.array([0, n // 2]), np.array([n // 2, n - n // 2]))
    s = segment_strokes(t, y, vy, speed, acc, jerk_sq, RATE_HZ, seg)
    assert not np.any((s.start < n // 2) & (s.stop > n // 2))


def test_pen_runs_times_and_hover_path():
    """Three pen-down runs at 100 Hz: down 0-1 s, 1.5-2 s, 3-3.2 s; the pen hovers 4 mm
    to the right during each lift: in-air time 0.5 + 1.0 s, in-air path 2 x 4 mm."""
    t = np.arange(321) / 100.0
    pen = ((t <= 1.0) | ((t >= 1.5) & (t <= 2.0)) | (t >= 3.0 - 1e-9))
    x = np.zeros(t.size)
    lifts = np.flatnonzero(np.diff(pen.astype(int)) == -1)
    lands = np.flatnonzero(np.diff(pen.astype(int)) == 1) + 1
    for a, b in zip(lifts, lands, strict=True):
        hover = b - a - 1  # hover out to 4 mm, then a straight jump back on landing
        x[a + 1 : b] = np.linspace(4.0 / hover, 4.0, hover)
    r = pen_runs(t, x, np.zeros(t.size), runs(pen))
    assert r.count == 3
    assert r.down_time_s == pytest.approx(1.0 + 0.5 + 0.2, abs=1e-9)
    assert r.in_air_time_s == pytest.approx(0.5 + 1.0, abs=1e-9)
    assert r.in_air_path_mm == pytest.approx(2 * (4.0 + 4.0), rel=1e-12)


def test_one_run_has_no_air_and_no_run_is_nan():
    t = np.arange(10) / 100.0
    one = pen_runs(t, t, t, runs(np.ones(10, bool)))
    assert (one.count, one.in_air_time_s, one.in_air_path_mm) == (1, 0.0, 0.0)
    none = pen_runs(t, t, t, runs(np.zeros(10, bool)))
    assert none.count == 0 and np.isnan(none.in_air_time_s)
