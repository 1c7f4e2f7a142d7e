"""The ground-truth cases of docs/science.md, from input sampled like a real tablet.

Every trial here comes from :func:`kinewrite.simulate.simulate_trial` with tablet timing:
133 Hz, timestamps rounded to whole ms, 0.3 ms delivery jitter, 1 % coalesced samples sharing
a timestamp, and 0.01 mm sensor noise, unless a test says otherwise. Each asserts the number
docs/science.md states, with its stated tolerance, over several seeds.
"""

import numpy as np
import pytest

from kinewrite import Recording, extract_features
from kinewrite.simulate import minimum_jerk, simulate_trial, tablet_clock

SEEDS = [1, 2, 3, 4]
MIN_JERK_NJ = np.sqrt(360.0)  # 18.97


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("duration_s", [0.3, 0.6, 1.0])
def test_minimum_jerk_stroke_normalized_jerk(seed, duration_s):
    """SCIENCE: a minimum-jerk stroke gives NJ = 18.97 (±10 %), LDLJ = -ln(204.8)."""
    rng = np.random.default_rng(seed)
    t_true, stamp = tablet_clock(duration_s, rng, rate_hz=133.0)
    pos = 25.0 * minimum_jerk(t_true / duration_s)
    angle = rng.uniform(0, np.pi)
    rec = Recording(t=stamp, x=pos * np.cos(angle), y=10 + pos * np.sin(angle))
    f = extract_features(rec, task="lines")
    assert f["stroke_count"] == 1
    assert f["normalized_jerk_median"] == pytest.approx(MIN_JERK_NJ, rel=0.10)
    assert f["ldlj_median"] == pytest.approx(-np.log(204.8), abs=0.2)
    assert f["niv_mean"] == 1.0
    assert f["nca_mean"] == 2.0


@pytest.mark.parametrize("seed", SEEDS)
def test_loop_train_2_5_hz(seed):
    """SCIENCE: a 2.5 Hz loop train for 10 s gives 48-50 strokes of 200 ms, f = 2.50 Hz,
    NIV = 1.00."""
    f = extract_features(simulate_trial("loops", 10.0, loop_hz=2.5, seed=seed).recording,
                         task="loops")
    assert 48 <= f["stroke_count"] <= 50
    assert f["stroke_duration_median_s"] == pytest.approx(0.200, abs=0.005)
    assert f["stroke_frequency_hz"] == pytest.approx(2.50, abs=0.03)
    assert f["niv_mean"] == 1.0
    assert f["automation_pct"] == 100.0
    assert f["tremor_detected"] == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_loop_train_with_tremor_keeps_niv_one(seed):
    """SCIENCE: with 0.2 mm of 6 Hz tremor added, NIV is still 1.00 at a 12 Hz low-pass,
    and the tremor itself is found (6 Hz lies between the 2nd and 3rd rhythm harmonics)."""
    trial = simulate_trial("loops", 10.0, loop_hz=2.5, tremor_hz=6.0, tremor_mm=0.2, seed=seed)
    f = extract_features(trial.recording, task="loops")
    assert f["niv_mean"] == 1.0
    assert 48 <= f["stroke_count"] <= 50
    assert f["tremor_detected"] == 1.0
    assert f["tremor_frequency_hz"] == pytest.approx(6.0, abs=0.1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("axis_deg", [0.0, 45.0, 120.0])
def test_spiral_tremor_6_3_hz(seed, axis_deg):
    """SCIENCE: a 5-turn spiral with 0.3 mm 6.3 Hz tremor reads 6.3 ± 0.1 Hz, RMS 0.21 mm
    ± 10 %; the axis is the one the tremor was given."""
    trial = simulate_trial("spiral", 15.0, spiral_turns=5, tremor_hz=6.3, tremor_mm=0.3,
                           tremor_axis_deg=axis_deg, seed=seed)
    f = extract_features(trial.recording, task="spiral")
    assert f["tremor_detected"] == 1.0
    assert f["tremor_frequency_hz"] == pytest.approx(6.3, abs=0.1)
    assert f["tremor_amplitude_rms_mm"] == pytest.approx(0.3 / np.sqrt(2), rel=0.10)
    assert f["tremor_amplitude_pp_mm"] == pytest.approx(0.6, rel=0.10)
    axis_err = (f["tremor_axis_deg"] - axis_deg + 90) % 180 - 90
    assert abs(axis_err) < 5.0


@pytest.mark.parametrize("seed", range(10))
def test_smooth_spiral_with_sensor_noise_has_no_tremor(seed):
    """SCIENCE: a smooth spiral with 0.01 mm sensor noise: no tremor detected."""
    trial = simulate_trial("spiral", 15.0, noise_mm=0.01, seed=seed)
    f = extract_features(trial.recording, task="spiral")
    assert f["tremor_detected"] == 0.0
    assert np.isnan(f["tremor_frequency_hz"])


@pytest.mark.parametrize("seed", SEEDS)
def test_spiral_indices(seed):
    trial = simulate_trial("spiral", 15.0, spiral_turns=5, seed=seed)
    f = extract_features(trial.recording, task="spiral")
    assert f["spiral_tightness_mm_per_rad"] == pytest.approx(
        trial.truth["spiral_tightness_mm_per_rad"], rel=0.02)
    assert f["spiral_loop_spacing_cv"] < 0.02  # equal spacing of a perfect spiral
    shaky = simulate_trial("spiral", 15.0, spiral_turns=5, tremor_hz=6.3, tremor_mm=0.3,
                           seed=seed)
    g = extract_features(shaky.recording, task="spiral")
    assert g["spiral_smoothness_1"] > 5 * f["spiral_smoothness_1"]
    assert g["spiral_smoothness_2"] > 5 * f["spiral_smoothness_2"]


@pytest.mark.parametrize("seed", SEEDS)
def test_lines_pen_lifts_and_in_air_time(seed):
    trial = simulate_trial("lines", 8.0, seed=seed)
    f = extract_features(trial.recording, task="lines")
    assert f["pen_lifts"] == trial.truth["pen_lifts"]
    assert f["on_surface_strokes"] == trial.truth["pen_lifts"] + 1
    assert f["stroke_count"] == trial.truth["stroke_count"]
    # each lift lasts 0.3 s of movement; the pen-down/up switch falls between samples
    per_lift = f["in_air_time_s"] / f["pen_lifts"]
    assert per_lift == pytest.approx(0.3, abs=1.5 / 133)
    assert f["normalized_jerk_median"] == pytest.approx(MIN_JERK_NJ, rel=0.10)


@pytest.mark.parametrize("seed", SEEDS)
def test_sentence_stroke_frequency_and_lifts(seed):
    """Fluent adults write at 4.5-5 Hz: the simulated sentence at 4.5 Hz reads 4.5 Hz."""
    trial = simulate_trial("sentence", 20.0, stroke_hz=4.5, seed=seed)
    f = extract_features(trial.recording, task="sentence")
    assert f["stroke_frequency_hz"] == pytest.approx(4.5, rel=0.03)
    assert f["pen_lifts"] == trial.truth["pen_lifts"]
    assert f["automation_pct"] > 95


@pytest.mark.parametrize("rotation_deg", [-20.0, 10.0, 30.0])
def test_slanted_sheet_is_unrotated_before_segmentation(rotation_deg):
    trial = simulate_trial("loops", 10.0, loop_hz=2.5, rotation_deg=rotation_deg, seed=5)
    f = extract_features(trial.recording, task="loops")
    assert f["stroke_frequency_hz"] == pytest.approx(2.5, abs=0.03)
    assert f["niv_mean"] == 1.0


def test_circles_speed_and_rate():
    trial = simulate_trial("circles", 30.0, circle_hz=1.5, seed=3)
    f = extract_features(trial.recording, task="circles")
    assert f["speed_mean_mm_s"] == pytest.approx(2 * np.pi * 10.0 * 1.5, rel=0.01)
    assert f["sample_rate_hz"] == pytest.approx(133.0, abs=0.5)
    assert f["duration_s"] == pytest.approx(30.0, abs=0.02)


def test_gaps_are_counted_and_not_bridged():
    trial = simulate_trial("circles", 30.0, gaps=4, seed=8)
    f = extract_features(trial.recording, task="circles")
    assert f["gap_count"] == 4
    assert f["sample_rate_hz"] == pytest.approx(133.0, abs=0.5)
    assert f["pen_lifts"] == 0  # a gap is lost data, not a pen lift


def test_pressure_saturation_and_drift():
    """Pressure rising through the device ceiling: the plateau share is the simulated one,
    the slope is the drift (saturated samples left out), the drift ratio is above 1."""
    trial = simulate_trial("sentence", 20.0, pressure_mean=0.6, pressure_drift_per_s=0.03,
                           seed=2)
    f = extract_features(trial.recording, task="sentence")
    truth = trial.truth["pressure_saturation_pct"]
    assert truth > 10
    assert f["pressure_saturation_pct"] == pytest.approx(truth, abs=0.5)
    assert f["pressure_slope_per_s"] == pytest.approx(0.03, rel=0.25)
    assert f["pressure_drift_ratio"] > 1.2
    calm = simulate_trial("sentence", 20.0, pressure_mean=0.35, seed=2)
    g = extract_features(calm.recording, task="sentence")
    assert g["pressure_saturation_pct"] == 0.0
    assert g["pressure_drift_ratio"] == pytest.approx(1.0, abs=0.05)


def test_flat_top_below_device_maximum_counts_as_saturation():
    """A sensor that clips below its nominal range (a plateau at the recording's own max)."""
    trial = simulate_trial("sentence", 20.0, pressure_mean=0.5, pressure_drift_per_s=0.02,
                           seed=4)
    rec = trial.recording
    clipped = np.minimum(rec.pressure, 0.7)
    expected = 100 * np.mean(clipped[rec.pen_down] >= 0.7)
    rec2 = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=clipped, pen_down=rec.pen_down)
    f = extract_features(rec2, task="sentence")
    assert expected > 10
    assert f["pressure_saturation_pct"] == pytest.approx(expected, abs=0.5)


def test_no_pressure_gives_nan_not_zero():
    trial = simulate_trial("loops", 5.0, seed=1)
    rec = trial.recording
    f = extract_features(Recording(t=rec.t, x=rec.x, y=rec.y), task="loops")
    assert all(np.isnan(v) for k, v in f.items() if k.startswith("pressure_"))
    assert np.isnan(f["in_air_path_mm"]) is False or f["pen_lifts"] == 0


def test_constant_pressure_is_no_measurement_but_saturation_is():
    """Windows Ink reports a constant 0.5 for pens without a pressure sensor (docs/architecture.md):
    that is no measurement (NaN), while a sensor stuck at its ceiling is 100 % saturated
    and another flat level is kept."""
    rec = simulate_trial("loops", 5.0, seed=1).recording
    ones = np.ones(rec.t.size)
    half = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=0.5 * ones, pen_down=rec.pen_down)
    f = extract_features(half, task="loops")
    assert all(np.isnan(v) for k, v in f.items() if k.startswith("pressure_"))
    full = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=ones, pen_down=rec.pen_down)
    g = extract_features(full, task="loops")
    assert g["pressure_saturation_pct"] == 100.0 and g["pressure_mean"] == 1.0
    flat = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=0.3 * ones, pen_down=rec.pen_down)
    assert extract_features(flat, task="loops")["pressure_mean"] == pytest.approx(0.3)
