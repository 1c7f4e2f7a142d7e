"""pressure.py and force.py on pressure traces whose statistics are known
(docs/science.md §6)."""

import numpy as np
import pytest

from kinewrite.analysis.force import (
    is_calibrated,
    pressure_in_newtons_if_calibrated,
    pressure_to_newtons,
)
from kinewrite.analysis.pressure import saturated_mask, thirds_ratio, trend_slope


def test_trend_slope_of_a_linear_ramp_is_its_slope():
    t = np.linspace(0.0, 8.0, 801)
    assert trend_slope(t, 0.2 + 0.05 * t) == pytest.approx(0.05, rel=1e-12)
    assert np.isnan(trend_slope(t[:1], t[:1]))
    assert np.isnan(trend_slope(np.zeros(5), np.arange(5.0)))  # no time spread


def test_thirds_ratio_of_a_ramp_from_zero():
    """values = t on [0, T]: the last third averages 5T/6, the first T/6: ratio 5."""
    t = np.linspace(0.0, 9.0, 9001)
    assert thirds_ratio(t, t) == pytest.approx(5.0, rel=1e-3)
    assert thirds_ratio(t, np.full(t.size, 0.4)) == pytest.approx(1.0, rel=1e-12)
    assert np.isnan(thirds_ratio(t, np.zeros(t.size)))  # first third 0: no ratio


def test_plateau_at_the_device_ceiling_and_below_it():
    rising = np.linspace(0.1, 0.99, 300)
    at_ceiling = np.concatenate((rising, np.ones(100)))
    sat = saturated_mask(at_ceiling)
    assert sat.sum() == 100 and sat[-100:].all()
    # a sensor saturating at 0.8 of the range (flat top), with no sample at 1.0
    flat = np.concatenate((np.linspace(0.1, 0.79, 300), np.full(100, 0.8)))
    assert saturated_mask(flat).sum() == 100
    # a calibration stating the ceiling: 0.8 is the ceiling
    assert saturated_mask(flat, ceiling=0.8).sum() == 100
    # a smooth peak is no plateau
    smooth = 0.5 + 0.4 * np.sin(np.linspace(0, np.pi, 400))
    assert not saturated_mask(smooth).any()


def test_newtons_through_a_quadratic_profile_with_tare():
    """force = polyval(c, p) - tare: c = (2, 3, 0.1), tare 0.1 N: p = 0.5 gives
    2 * 0.25 + 1.5 = 2.0 N."""
    coeffs = (2.0, 3.0, 0.1)
    assert float(pressure_to_newtons(0.5, coeffs, 0.1)) == pytest.approx(2.0, rel=1e-12)
    values, unit = pressure_in_newtons_if_calibrated(np.array([0.0, 0.5, np.nan]), coeffs, 0.1)
    assert unit == "N"
    np.testing.assert_allclose(values[:2], [0.0, 2.0], rtol=1e-12, atol=1e-15)
    assert np.isnan(values[2])  # the pen is up: NaN stays NaN
    values, unit = pressure_in_newtons_if_calibrated(np.array([0.5]), (), 0.0)
    assert unit == "1" and values.tolist() == [0.5]
    assert not is_calibrated((float("inf"), 1.0))
    with pytest.raises(ValueError, match="no stylus profile"):
        pressure_to_newtons(0.5, ())
