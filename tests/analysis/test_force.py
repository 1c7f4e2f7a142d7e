"""Pen force in newtons through the session's stylus profile (kinewrite.analysis.force and
the ``_N`` features): one conversion, numbers from the curve, NaN when uncalibrated."""

import math

import numpy as np
import pytest

from kinewrite import Recording, extract_features
from kinewrite.acquisition.calibration import fit_pressure_profile
from kinewrite.analysis.force import is_calibrated, pressure_to_newtons
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

FORCE = ("pressure_mean_N", "pressure_sd_N", "pressure_p90_N", "pressure_saturation_N")


def _loops(pressure_fn, seconds=10.0, rate=200.0, **kw) -> Recording:
    t = np.arange(int(seconds * rate)) / rate
    x = 5.0 * t + 2.0 * np.sin(2 * np.pi * 2.5 * t)
    y = 5.0 * (1 - np.cos(2 * np.pi * 2.5 * t))
    return Recording(t=t, x=x, y=y, pressure=pressure_fn(t), **kw)


def test_conversion_is_the_polynomial_minus_the_tare():
    assert float(pressure_to_newtons(0.25, (4.0, 0.0))) == pytest.approx(1.0)
    # F = 2 p^2 + 3 p + 0.1 - 0.1
    got = pressure_to_newtons(np.array([0.0, 0.5, 1.0]), (2.0, 3.0, 0.1), tare_N=0.1)
    np.testing.assert_allclose(got, [0.0, 2.0, 5.0])
    assert not is_calibrated(()) and not is_calibrated([math.inf]) and is_calibrated([1.0])
    with pytest.raises(ValueError, match="no stylus profile"):
        pressure_to_newtons(0.5, ())


def test_profile_fit_and_conversion_agree():
    fractions = np.array([0.05, 0.2, 0.4, 0.6, 0.8])
    newtons = 0.5 * fractions + 4.0 * fractions**2
    profile = fit_pressure_profile(fractions, newtons, degree=2)
    np.testing.assert_allclose(profile.force_N(fractions), newtons, atol=1e-9)
    np.testing.assert_allclose(pressure_to_newtons(fractions, profile.coeffs, profile.tare_N),
                               newtons, atol=1e-9)


def test_force_features_follow_the_curve_sample_by_sample():
    # p = 0.5 + 0.2 sin(2 pi t) over 10 whole periods: mean p = 0.5, mean p^2 = 0.27;
    # F = 2 p^2 + 3 p  ->  mean F = 2 * 0.27 + 3 * 0.5 = 2.04 N (not F(mean p) = 2.0 N)
    rec = _loops(lambda t: 0.5 + 0.2 * np.sin(2 * np.pi * t),
                 pressure_newton_coeffs=(2.0, 3.0, 0.1), tare_N=0.1)
    f = extract_features(rec, "loops")
    assert f["pressure_mean_N"] == pytest.approx(2.04, abs=1e-6)
    force = 2 * rec.pressure**2 + 3 * rec.pressure
    assert f["pressure_sd_N"] == pytest.approx(force.std(ddof=1), rel=1e-9)
    assert f["pressure_p90_N"] == pytest.approx(np.percentile(force, 90), rel=1e-9)
    assert f["pressure_saturation_N"] == pytest.approx(5.0)  # F(1) - tare
    assert f["pressure_mean"] == pytest.approx(0.5, abs=1e-9)  # the fraction is unchanged


def test_uncalibrated_or_without_pressure_is_nan_not_zero():
    f = extract_features(_loops(lambda t: 0.5 + 0.2 * np.sin(2 * np.pi * t)), "loops")
    assert all(math.isnan(f[n]) for n in FORCE)
    rec = _loops(lambda t: 0.5 + 0 * t, pressure_newton_coeffs=(4.0, 0.0))
    f = extract_features(Recording(t=rec.t, x=rec.x, y=rec.y,
                                   pressure_newton_coeffs=(4.0, 0.0)), "loops")
    assert all(math.isnan(f[n]) for n in FORCE)


def test_session_stylus_profile_gives_newtons_in_the_cached_features(tmp_path):
    cal = Calibration(pressure_max=1024.0, pressure_newton_coeffs=(4.0, 0.0),
                      source="test: linear 4 N stylus profile")
    rec = _loops(lambda t: 0.25 + 0.1 * np.sin(2 * np.pi * t))
    with SessionWriter.create(tmp_path, "WC-020", calibration=cal) as w:
        name = w.begin_trial("loops", 200.0, "tablet",
                             channels=("t", "x", "y", "pressure", "state"))
        w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure * 1024.0,
                 state=np.full(rec.t.size, STATE_TOUCH))
        cached = finish_trial(w, "complete")
    assert cached["pressure_mean_N"] == pytest.approx(1.0, abs=1e-6)  # 4 N x 0.25
    assert cached["pressure_saturation_N"] == pytest.approx(4.0)
    trial = load_session(w.path).trial(name)
    assert trial.features["pressure_mean_N"] == cached["pressure_mean_N"]
    assert trial.recording.pressure_newton_coeffs == (4.0, 0.0)
