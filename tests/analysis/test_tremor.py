"""tremor.py on signals whose spectrum is known: a pure sine tremor on top of a slow
movement (docs/science.md §5; Welch 1967; Elble & Ellenbogen 2017)."""

import numpy as np
import pytest

from kinewrite.analysis.preprocess import Segments
from kinewrite.analysis.tremor import (
    DETECTION_FACTOR,
    detect_tremor,
    exclusion_half_width_hz,
    highpass,
    welch_segments,
)

RATE_HZ = 50.0


def _movement(seconds: float, tremor_hz: float, amplitude_mm: float, axis_deg: float,
              seed: int = 0) -> tuple[np.ndarray, Segments]:
    """A slow 0.3 Hz drawing movement of 20 mm, a sine tremor of `amplitude_mm` along
    `axis_deg`, and 0.005 mm of sensor noise, sampled at 50 Hz in one pen-down segment."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    slow = 20.0 * np.vstack((np.cos(2 * np.pi * 0.3 * t), np.sin(2 * np.pi * 0.3 * t)))
    direction = np.array([[np.cos(np.radians(axis_deg))], [np.sin(np.radians(axis_deg))]])
    tremor = amplitude_mm * np.sin(2 * np.pi * tremor_hz * t) * direction
    xy = slow + tremor + rng.normal(0.0, 0.005, size=(2, t.size))
    return xy, Segments(np.array([0]), np.array([t.size]))


@pytest.mark.parametrize(("tremor_hz", "axis_deg"), [(6.0, 30.0), (4.3, 100.0), (9.1, 160.0)])
def test_pure_sine_tremor_frequency_amplitude_axis(tremor_hz, axis_deg):
    """A 0.3 mm sine at f Hz along an axis: peak at f (parabolic interpolation, within
    0.05 Hz), RMS = 0.3 / sqrt(2) = 0.212 mm, peak-to-peak 2 sqrt(2) RMS = 0.6 mm, axis as
    given."""
    xy, seg = _movement(12.0, tremor_hz, 0.3, axis_deg)
    r = detect_tremor(xy, seg, RATE_HZ)
    assert r.detected == 1.0
    assert r.frequency_hz == pytest.approx(tremor_hz, abs=0.05)
    assert r.amplitude_rms_mm == pytest.approx(0.3 / np.sqrt(2), rel=0.05)
    assert r.amplitude_pp_mm == pytest.approx(0.6, rel=0.05)
    assert abs((r.axis_deg - axis_deg + 90) % 180 - 90) < 1.0
    band = (r.freqs_hz >= 3) & (r.freqs_hz <= 12)
    assert r.threshold_mm2_per_hz == DETECTION_FACTOR * np.median(r.power_mm2_per_hz[band])


def test_no_tremor_in_a_smooth_movement():
    xy, seg = _movement(12.0, 6.0, 0.0, 0.0)
    r = detect_tremor(xy, seg, RATE_HZ)
    assert r.detected == 0.0
    assert np.isnan(r.frequency_hz) and np.isnan(r.amplitude_rms_mm)


def test_an_excluded_rhythm_is_not_a_tremor():
    """The stroke rhythm of writing sits in the tremor band: left out (+- 0.5 Hz), a 5 Hz
    oscillation is not reported, while the same search without the exclusion finds it."""
    xy, seg = _movement(12.0, 5.0, 0.3, 0.0)
    assert detect_tremor(xy, seg, RATE_HZ).frequency_hz == pytest.approx(5.0, abs=0.05)
    assert detect_tremor(xy, seg, RATE_HZ, exclude_hz=np.array([5.0])).detected == 0.0


def test_shorter_than_one_second_is_not_measured():
    """Without a 1 s pen-down segment tremor is not measured (NaN), not absent (0)."""
    xy, _ = _movement(0.9, 6.0, 0.3, 0.0)
    r = detect_tremor(xy, Segments(np.array([0]), np.array([xy.shape[1]])), RATE_HZ)
    assert np.isnan(r.detected) and r.freqs_hz.size == 0


def test_welch_density_of_a_sine_integrates_to_its_power():
    """One-sided Welch density (Hann window): the sum of P df over the peak is the sine's
    mean square A^2 / 2 (Parseval)."""
    t = np.arange(int(20 * RATE_HZ)) / RATE_HZ
    x = 0.4 * np.sin(2 * np.pi * 7.0 * t)
    freqs, csd, frames = welch_segments(x[None, :], Segments(np.array([0]), np.array([t.size])),
                                        RATE_HZ, 100)
    power = csd[0, 0].real
    df = freqs[1] - freqs[0]
    near = np.abs(freqs - 7.0) <= 1.0
    assert np.sum(power[near]) * df == pytest.approx(0.4**2 / 2, rel=1e-3)
    assert frames == 2 * (t.size // 100) - 1  # 50 % overlap


def test_highpass_removes_the_slow_movement_and_keeps_the_tremor():
    t = np.arange(int(10 * RATE_HZ)) / RATE_HZ
    slow, fast = 10.0 * np.sin(2 * np.pi * 0.2 * t), 0.3 * np.sin(2 * np.pi * 6.0 * t)
    seg = Segments(np.array([0]), np.array([t.size]))
    out = highpass(slow + fast, seg, RATE_HZ)
    inner = slice(100, -100)
    assert np.max(np.abs(out[inner] - fast[inner])) < 0.01  # a 4th-order 2 Hz high-pass


def test_exclusion_half_width_is_half_a_hertz_or_one_bin():
    assert exclusion_half_width_hz(np.fft.rfftfreq(100, 1 / RATE_HZ)) == 0.5
    assert exclusion_half_width_hz(np.fft.rfftfreq(50, 1 / RATE_HZ)) == 1.0
