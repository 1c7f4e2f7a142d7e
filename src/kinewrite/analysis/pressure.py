"""Pen pressure, a proxy of grip force (docs/science.md §1, §6).

A tablet measures axial tip force, not grip force on the barrel; these statistics describe
"pen pressure" and are presented as a proxy of grip (Zeuner et al. 2007; Schneider et al.
2010).
"""

from __future__ import annotations

import numpy as np

from ._numeric import dot

__all__ = ["saturated_mask", "thirds_ratio", "trend_slope"]

#: A flat top at the recording's own maximum counts as saturation when it holds at least
#: this share of pen-down samples, and at least PLATEAU_RUN samples (our choice) ...
PLATEAU_MIN_SHARE = 0.01
PLATEAU_RUN = 3
#: ... and at least this many times more samples than the mean of the 3 levels below it.
PLATEAU_PILE_UP = 5.0


def saturated_mask(pressure: np.ndarray, ceiling: float = 1.0) -> np.ndarray:
    """Samples on the plateau at the sensor's ceiling.

    Parameters
    ----------
    pressure : ndarray
        Pen-down pressure samples, fraction 0..1 of the device range.
    ceiling : float, default 1.0
        The device's saturation level where the calibration states it.

    Returns
    -------
    ndarray of bool
        Samples at the device ceiling; if there are none, samples at the recording's own
        maximum when they pile up there: at least 1 % of the samples, and 5 times more than
        the mean count of each of the 3 levels below (a flat top, not a smooth peak, which
        spends about as long on its top level as on its neighbours).

    Examples
    --------
    >>> saturated_mask(np.array([0.2, 0.5, 1.0, 1.0])).tolist()
    [False, False, True, True]
    """
    p = np.asarray(pressure, dtype=np.float64)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    at_ceiling = p >= ceiling * (1 - 1e-9)
    if at_ceiling.any():
        return at_ceiling
    top = p.max()
    if top <= 0:
        return np.zeros(p.size, dtype=bool)
    at_top = p >= top * (1 - 1e-9)
    n_top = int(at_top.sum())
    rest = p[~at_top]
    if rest.size == 0 or n_top < max(PLATEAU_RUN, PLATEAU_MIN_SHARE * p.size):
        return np.zeros(p.size, dtype=bool)  # constant pressure carries no ceiling
    # the (up to) 3 highest levels below the top, found without sorting every sample
    k = int(0.9 * (rest.size - 1))
    upper = rest[rest >= np.partition(rest, k)[k]]
    levels = np.unique(upper)[-3:]
    per_level = np.count_nonzero(rest >= levels[0]) / levels.size
    # a flat top piles samples up at the maximum, far more than on the levels just below
    # (a smooth peak spends about as long on its top level as on its neighbours)
    if n_top >= PLATEAU_PILE_UP * per_level:
        return at_top
    return np.zeros(p.size, dtype=bool)


def trend_slope(t: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of `values` over time `t` (units of values per s); NaN if < 2 samples
    or no time spread.

    Examples
    --------
    >>> trend_slope(np.arange(5.0), 2 + 0.5 * np.arange(5.0))
    0.5
    """
    if values.size < 2:
        return float("nan")
    tc = t - t.mean()
    denom = dot(tc, tc)
    if denom <= 0:
        return float("nan")
    return dot(tc, values - values.mean()) / denom


def thirds_ratio(t: np.ndarray, values: np.ndarray) -> float:
    """Mean of `values` in the last third of the time span over the mean in the first third.

    The within-trial drift of docs/science.md §6: above 1 the quantity rises over the trial.
    NaN when either third is empty or the first third's mean is 0.

    Examples
    --------
    >>> thirds_ratio(np.arange(7.0), np.array([1, 1, 1, 2, 3, 3, 3.0]))
    3.0
    """
    if values.size < 3:
        return float("nan")
    t0, t1 = t.min(), t.max()
    if t1 <= t0:
        return float("nan")
    span = t1 - t0
    rel = t - t0
    eps = 1e-9 * span  # a sample on a boundary belongs to both thirds, whatever the rounding
    first = values[rel <= span / 3 + eps]
    last = values[rel >= 2 * span / 3 - eps]
    if first.size == 0 or last.size == 0:
        return float("nan")
    m0 = float(first.mean())
    if m0 == 0:
        return float("nan")
    return float(last.mean() / m0)
