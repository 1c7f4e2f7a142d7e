"""Checks after a trial: simulated trials with known defects (short, gaps, low rate,
coalesced timestamps, saturation, no pen contact) give the findings they should, with the
numbers the data hold; a good trial gives none."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from kinewrite.acquisition.checks import Finding, KeyNumber, check_trial, key_numbers
from kinewrite.acquisition.tasks import default_protocol
from kinewrite.analysis.features import FEATURES, extract_features
from kinewrite.model import Recording, RecordingError
from kinewrite.simulate import simulate_trial


@dataclass(frozen=True)
class Quality:
    """A quality report computed from the recording itself (what a live monitor reports)."""

    n_samples: int
    duration_s: float
    effective_rate_hz: float
    jitter_ms: float
    duplicate_timestamps: int
    gaps: list[tuple[float, float]]
    dropped_estimate: int
    pen_down_s: float


def _quality(rec: Recording, nominal_hz: float) -> Quality:
    dt = np.diff(rec.t)
    gap = dt > 3.0 / nominal_hz
    covered = float(np.sum(dt[~gap]))
    starts = rec.t[:-1][gap]
    return Quality(
        n_samples=rec.n_samples, duration_s=float(rec.t[-1] - rec.t[0]),
        effective_rate_hz=float(np.count_nonzero(~gap) / covered), jitter_ms=0.0,
        duplicate_timestamps=int(np.count_nonzero(dt == 0)),
        gaps=list(zip(starts, dt[gap], strict=True)),
        dropped_estimate=int(np.sum(np.round(dt[gap] * nominal_hz) - 1)),
        pen_down_s=float(np.sum(dt[rec.pen_down[:-1] & ~gap])))


SPECS = {s.key: s for s in default_protocol().tasks}


@pytest.mark.parametrize(("key", "seconds"), [("sentence", 20.5), ("loops", 10.0),
                                              ("circles", 30.0), ("spiral_guided", 15.0),
                                              ("lines", 8.0)])
def test_good_trial_has_no_findings(key: str, seconds: float) -> None:
    spec = SPECS[key]
    trial = simulate_trial(spec.task, seconds, seed=2, rate_hz=133.0)
    features = extract_features(trial.recording, spec.task, nominal_rate_hz=133.0)
    assert check_trial(features, _quality(trial.recording, 133.0), spec, 133.0) == []
    assert check_trial(features, None, spec, 133.0) == []


def test_short_trial() -> None:
    spec = SPECS["loops"]  # at least 8 s
    trial = simulate_trial("loops", 3.0, seed=1)
    features = extract_features(trial.recording, "loops", nominal_rate_hz=133.0)
    (finding,) = check_trial(features, None, spec, 133.0)  # the pen-down time is short too,
    assert finding.severity == "error" and finding.code == "too_short"  # but one says it
    assert "lasted 3.0 s, less than the 8 s" in finding.message


def test_short_pen_down_time() -> None:
    spec = SPECS["circles"]  # at least 25 s in all, 20 s of it pen down
    trial = simulate_trial("lines", 26.0, seed=1)  # 0.4 s lines, 0.3 s pen lifts
    features = extract_features(trial.recording, "lines", nominal_rate_hz=133.0)
    pen_down = features["pen_down_time_s"]
    assert pen_down < 20.0
    assert features["duration_s"] > 25.0
    (finding,) = check_trial(features, None, spec, 133.0)
    assert finding.severity == "error" and finding.code == "pen_down_short"
    assert f"only {pen_down:.1f} s, less than the 20 s" in finding.message


def test_gaps_low_rate_and_duplicates() -> None:
    """A 200 Hz tablet delivering 100 Hz, with 3 lost stretches of 80 ms and a fifth of the
    events coalesced."""
    trial = simulate_trial("loops", 10.0, seed=4, rate_hz=100.0, gaps=3,
                           duplicate_fraction=0.2)
    features = extract_features(trial.recording, "loops", nominal_rate_hz=200.0)
    quality = _quality(trial.recording, 100.0)
    findings = check_trial(features, quality, SPECS["loops"], 200.0)
    by_code = {f.code: f for f in findings}
    assert set(by_code) == {"gaps", "low_rate", "duplicates"}
    assert all(f.severity == "warning" for f in findings)
    assert features["gap_count"] == 3
    assert by_code["gaps"].message.startswith("3 gaps in the data (about 24 samples lost)")
    rate = features["sample_rate_hz"]
    assert rate == pytest.approx(100.0, abs=1.0)
    assert f"{rate:.0f} Hz, {100 * rate / 200:.0f} % of the tablet's 200 Hz" in \
        by_code["low_rate"].message
    dup_pct = 100 * quality.duplicate_timestamps / quality.n_samples
    assert 15 < dup_pct < 25
    assert by_code["duplicates"].message.startswith(f"{dup_pct:.0f} % of the samples")
    # the same without a quality report: gaps and rate still come from the features
    assert {f.code for f in check_trial(features, None, SPECS["loops"], 200.0)} == {
        "gaps", "low_rate"}
    # a rate at 85 % of nominal passes; none given, no rate check
    assert check_trial(features, None, None, 100.0 / 0.85)[-1].code == "gaps"
    assert [f.code for f in check_trial(features, None, None, None)] == ["gaps"]


def test_gaps_from_quality_when_features_lack_them() -> None:
    quality = Quality(500, 5.0, 100.0, 0.3, 0, [(1.0, 0.1)], 9, 4.0)
    (finding,) = check_trial({"duration_s": 5.0, "pen_down_time_s": 4.0}, quality, None, 100.0)
    assert finding.code == "gaps" and finding.message.startswith(
        "1 gap in the data (about 9 samples lost)")


def test_pen_never_down() -> None:
    trial = simulate_trial("loops", 10.0, seed=1)
    rec = trial.recording
    hover = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=np.zeros(rec.n_samples),
                      pen_down=np.zeros(rec.n_samples, dtype=bool))
    with pytest.raises(RecordingError):
        extract_features(hover, "loops")  # the caller then has no features
    quality = _quality(hover, 133.0)
    assert quality.pen_down_s == 0.0
    findings = check_trial(None, quality, SPECS["loops"], 133.0)
    assert findings[0] == Finding(
        "error", "no_pen_down", "The pen never touched the surface: there is nothing to "
        "analyse. Check that the pen writes on the tablet, then redo the trial.")
    assert [f.code for f in check_trial(None, None, None, None)] == ["no_pen_down"]


def test_saturation() -> None:
    trial = simulate_trial("circles", 30.0, seed=1, pressure_mean=0.8,
                           pressure_drift_per_s=0.02)
    features = extract_features(trial.recording, "circles", nominal_rate_hz=133.0)
    sat = features["pressure_saturation_pct"]
    assert sat == pytest.approx(trial.truth["pressure_saturation_pct"], abs=1.0) and sat > 5
    (finding,) = check_trial(features, None, SPECS["circles"], 133.0)
    assert finding.code == "saturation" and f"maximum for {sat:.0f} %" in finding.message


def test_key_numbers_of_a_tremor_spiral() -> None:
    trial = simulate_trial("spiral", 15.0, seed=5, tremor_hz=6.3, tremor_mm=0.3,
                           pressure_mean=0.4)
    features = extract_features(trial.recording, "spiral")
    nums = {k.feature_name: k for k in key_numbers(features, "spiral")}
    for name, k in nums.items():
        assert name in {f.name for f in FEATURES} and isinstance(k, KeyNumber)
    assert "stroke_frequency_hz" not in nums  # spirals show the drawing speed
    assert nums["speed_mean_mm_s"].value == features["speed_mean_mm_s"]
    assert nums["tremor_detected"].text == "yes"
    assert nums["tremor_frequency_hz"].value == pytest.approx(6.3, abs=0.1)
    assert nums["tremor_frequency_hz"].text.endswith(" Hz")
    assert nums["tremor_amplitude_pp_mm"].value == pytest.approx(0.6, rel=0.1)
    assert nums["pressure_mean"].value == pytest.approx(100 * features["pressure_mean"])
    assert nums["pressure_mean"].text.endswith("% of range")
    assert nums["pressure_mean"].value == pytest.approx(40.0, abs=1.0)
    assert nums["sample_rate_hz"].value == pytest.approx(133.0, abs=0.5)


def test_key_numbers_of_loops_and_of_nothing() -> None:
    trial = simulate_trial("loops", 10.0, seed=1, loop_hz=2.5)
    features = extract_features(trial.recording, "loops")
    nums = {k.feature_name: k for k in key_numbers(features, "loops")}
    assert nums["stroke_frequency_hz"].value == pytest.approx(2.5, abs=0.05)
    assert nums["stroke_frequency_hz"].label == "Writing frequency"
    assert nums["niv_mean"].text == "1.000"
    assert nums["tremor_detected"].text == "no" and nums["tremor_frequency_hz"].text == "–"
    empty = key_numbers(None, "loops")
    assert [k.feature_name for k in empty] == list(nums)
    assert all(k.text == "–" for k in empty)


def test_mouse_pauses_are_not_blamed_on_a_tablet_cable():
    from types import SimpleNamespace

    q = SimpleNamespace(n_samples=400, duration_s=10.0, effective_rate_hz=60.0, jitter_ms=3.0,
                        duplicate_timestamps=0, gaps=4, dropped_estimate=None, pen_down_s=8.0)
    (mouse,) = [f for f in check_trial({"gap_count": 9.0}, q, None, None, input_kind="mouse")
                if f.code == "gaps"]
    assert mouse.message.startswith("4 pauses in the mouse data")  # the live line's count
    assert "cable" not in mouse.message and "tablet stopped" not in mouse.message
    (tablet,) = [f for f in check_trial({"gap_count": 9.0}, q, None, None) if f.code == "gaps"]
    assert tablet.message.startswith("4 gaps") and "cable" not in tablet.message
