"""What the Review view plots equals what the features measured, on the bundled sample study
and on trials with a known answer (docs/science.md, "Cases with a known answer")."""

from pathlib import Path

import numpy as np
import pytest

from kinewrite.analysis.features import extract_features
from kinewrite.analysis.review_signals import nan_breaks, review_signals
from kinewrite.analysis.tremor import BAND_HZ, DETECTION_FACTOR
from kinewrite.model import Recording, RecordingError
from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import trial_guide_mm
from kinewrite.storage.reader import load_session

STUDY = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def _sample_trials():
    for path in sorted(STUDY.rglob("*.h5")):
        for trial in load_session(path).trials:
            if trial.recording is not None and trial.recording.pen_down.any():
                yield pytest.param(trial, id=f"{path.stem[8:23]}-{trial.name}-{trial.task}")


SAMPLES = list(_sample_trials())


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("trial", SAMPLES)
def test_review_numbers_are_the_features_numbers_on_the_sample_study(trial):
    rec = trial.recording
    f = extract_features(rec, task=trial.task,
                         guide_xy_mm=trial_guide_mm(trial.attrs, trial.calibration))
    s = review_signals(rec, trial.task)
    assert s.stroke_count == f["stroke_count"]
    assert s.stroke_boundaries_s.size == f["stroke_count"]
    assert np.all(np.diff(s.stroke_boundaries_s) > 0)
    assert _same(s.tremor_peak_hz, f["tremor_frequency_hz"])
    assert _same(s.tremor.detected, f["tremor_detected"])
    if s.tremor.freqs_hz.size:
        hz, power = s.tremor.freqs_hz, s.tremor.power_mm2_per_hz
        band = (hz >= BAND_HZ[0]) & (hz <= BAND_HZ[1])
        assert s.tremor_threshold_mm2_per_hz == DETECTION_FACTOR * np.median(power[band])
        if f["tremor_detected"] == 1.0:
            assert s.tremor_peak_mm2_per_hz > s.tremor_threshold_mm2_per_hz
    # the excluded rhythm is the stroke frequency and its harmonics, for writing tasks only
    if trial.task in ("sentence", "loops", "free") and f["stroke_count"] > 0:
        hz = f["stroke_frequency_hz"]
        np.testing.assert_allclose(s.tremor_excluded_hz,
                                   hz * np.arange(1, s.tremor_excluded_hz.size + 1),
                                   rtol=1e-12)
        assert s.tremor_excluded_hz[-1] > 12.0  # every harmonic in the band
    else:
        assert s.tremor_excluded_hz.size == 0
    if trial.task == "spiral" and s.spiral is not None:
        th, r = s.spiral_fit_theta_rad, s.spiral_fit_r_mm
        assert (r[1] - r[0]) / (th[1] - th[0]) == pytest.approx(
            f["spiral_tightness_mm_per_rad"], rel=1e-9)
    # the speed curve is the grid speed, a NaN between pen-down segments
    assert np.count_nonzero(np.isnan(s.speed_curve_mm_s)) == s.segments.count - 1
    np.testing.assert_array_equal(s.speed_curve_mm_s[np.isfinite(s.speed_curve_mm_s)],
                                  s.speed_mm_s)
    if rec.pressure is not None and np.isfinite(f["pressure_mean"]):
        down = s.pressure[s.pen_down]
        key = "pressure_mean_N" if s.pressure_unit == "N" else "pressure_mean"
        assert np.mean(down) == pytest.approx(f[key], rel=1e-12)


def test_review_pressure_is_in_newtons_through_the_same_curve_as_the_force_features():
    trial = simulate_trial("loops", seconds=5, seed=8)
    r = trial.recording
    rec = Recording(t=r.t, x=r.x, y=r.y, pressure=r.pressure, pen_down=r.pen_down,
                    pressure_newton_coeffs=(8.0, 0.0), tare_N=0.1)
    s = review_signals(rec, "loops")
    f = extract_features(rec, task="loops")
    assert s.pressure_unit == "N"
    down = s.pressure[s.pen_down]
    np.testing.assert_allclose(down, 8.0 * s.prepared.pressure[s.pen_down] - 0.1, rtol=1e-12)
    assert np.mean(down) == pytest.approx(f["pressure_mean_N"], rel=1e-12)
    assert np.all(np.isnan(s.pressure[~s.pen_down]))
    assert review_signals(r, "loops").pressure_unit == "1"  # no stylus profile: fractions


def test_a_6_hz_tremor_on_loops_is_plotted_where_the_feature_found_it():
    trial = simulate_trial("loops", seconds=10, loop_hz=2.5, tremor_hz=6.0, tremor_mm=0.2,
                           seed=3)
    s = review_signals(trial.recording, "loops")
    f = extract_features(trial.recording, task="loops")
    assert s.tremor_peak_hz == f["tremor_frequency_hz"]
    assert abs(s.tremor_peak_hz - 6.0) < 0.1  # docs/science.md: 6 Hz between harmonics
    assert 48 <= s.stroke_count <= 50
    # the ~2.5 Hz rhythm and its harmonics up to 12.5 Hz left out, each +- 0.5 Hz (2 s frames)
    lo, hi = s.tremor_excluded_bands_hz[:, 0], s.tremor_excluded_bands_hz[:, 1]
    centres = f["stroke_frequency_hz"] * np.arange(1, 7)
    assert f["stroke_frequency_hz"] == pytest.approx(2.5, abs=0.03)
    np.testing.assert_allclose((lo + hi) / 2, centres, rtol=1e-12)
    np.testing.assert_allclose(hi - lo, 1.0)
    assert not np.any((lo <= s.tremor_peak_hz) & (s.tremor_peak_hz <= hi))


def test_stored_pen_state_follows_the_kept_samples():
    t = np.array([0.0, 0.01, 0.01, 0.02, 0.03, 0.04, 0.05])  # sample 2 duplicates 1
    x = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    rec = Recording(t=t, x=x, y=np.zeros(7), pen_down=np.array([1, 1, 1, 1, 0, 0, 1]))
    s = review_signals(rec, "lines")
    np.testing.assert_array_equal(s.source_index, [0, 1, 3, 4, 5, 6])
    state = np.array([2, 2, 2, 2, 1, 0, 2])
    np.testing.assert_array_equal(s.follow(state), [2, 2, 2, 1, 0, 2])
    assert s.follow(state[:-1]) is None


def test_nan_breaks_separates_segments():
    s = review_signals(simulate_trial("sentence", seed=6).recording, "sentence")
    broken = nan_breaks(s.speed_mm_s, s.segments)
    assert broken.size == s.speed_mm_s.size + s.segments.count - 1


def test_pen_never_down_is_a_one_line_error():
    with pytest.raises(RecordingError, match="pen never touches"):
        review_signals(Recording(t=np.arange(5) / 100, x=np.zeros(5), y=np.zeros(5),
                                 pen_down=np.zeros(5, bool)), "lines")
