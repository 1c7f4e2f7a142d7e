"""Measurement error (kinewrite.analysis.measurement_error): within-subject SD, SEM and
MDC95 against numbers computed by hand and a known SD of synthetic repeats."""

import math

import numpy as np
import pytest

from kinewrite.analysis.measurement_error import (
    MDC_FACTOR,
    change_verdict,
    mdc95,
    measurement_noise,
    pooled_within_sd,
)


def test_pooled_sd_by_hand():
    # groups {1, 2, 3} and {4, 6}: squared deviations 2 + 2 over dof 2 + 1
    sd, dof = pooled_within_sd(np.array([1.0, 2.0, 3.0, 4.0, 6.0]), np.array([5, 5, 5, 9, 9]))
    assert float(sd) == pytest.approx(math.sqrt(4 / 3)) and int(dof) == 3
    assert MDC_FACTOR == pytest.approx(2.7719, abs=1e-4)
    assert mdc95(1.5) == pytest.approx(1.96 * math.sqrt(2) * 1.5)


def test_nan_values_and_single_trials_count_nothing():
    x = np.array([[1.0, np.nan], [3.0, 5.0], [10.0, 7.0], [np.nan, 1.0]])
    sd, dof = pooled_within_sd(x, np.array([0, 0, 1, 2]))
    # column 0: group 0 {1, 3} -> ss 2, dof 1; column 1: group 0 {5} and 1 {7}, 2 {1} -> none
    assert sd[0] == pytest.approx(math.sqrt(2.0)) and dof[0] == 1
    assert math.isnan(sd[1]) and dof[1] == 0


def test_known_within_subject_sd_is_recovered(rng):
    # 200 visits x 3 trials, visit means spread widely, within-visit SD 0.25: the pooled
    # estimate has 400 dof, so its relative SE is 1/sqrt(800) = 3.5 %
    means = rng.uniform(1.0, 6.0, 200)
    values = means[:, None] + rng.normal(0.0, 0.25, (200, 3))
    visit = np.repeat(np.arange(200), 3)
    (noise,) = measurement_noise(values.reshape(-1, 1), visit)
    assert noise.sd_within == pytest.approx(0.25, rel=0.1) and noise.dof == 400
    assert noise.sem == noise.sd_within
    assert noise.mdc95 == pytest.approx(MDC_FACTOR * noise.sd_within)
    # an unchanged patient: 95 % of differences of two trials stay within the MDC95
    diffs = np.abs(values[:, 0] - values[:, 1])
    assert np.mean(diffs <= noise.mdc95) == pytest.approx(0.95, abs=0.04)


def test_baseline_visits_are_used_when_larger():
    trials = np.array([[1.0], [1.1], [2.0], [2.1]])
    visit = np.array([0, 0, 1, 1])
    small = measurement_noise(trials, visit)[0]
    assert small.source == "repeated trials"
    both = measurement_noise(trials, visit, np.array([[1.0], [2.0]]))[0]
    assert both.source == "baseline visits"
    assert both.sd_within == pytest.approx(1 / math.sqrt(2))


def test_verdicts():
    assert change_verdict(1.0, 2.0, 0.5) == "beyond measurement noise"
    assert change_verdict(1.0, 1.4, 0.5) == "within noise"
    assert change_verdict(1.0, math.nan, 0.5) == "noise not known"
