"""Archimedes spiral analysis (SCIENCE.md §7; Pullman 1998; Wang et al. 2008).

The centre is fitted, not assumed: it minimises the residual of ``r = a + bθ`` (a wrong centre
leaks low-frequency error into every index). The spiral is then unravelled to r(θ) on a
uniform grid of θ, from which the indices are taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._numeric import dot

__all__ = ["SpiralFit", "fit_spiral", "spiral_indices"]

#: Below this many turns a drawing is not analysed as a spiral.
MIN_TURNS = 1.5
#: Samples per turn of the unravelled grid.
GRID_PER_TURN = 360
#: Samples used to fit the centre.
FIT_POINTS = 4000


@dataclass(frozen=True)
class SpiralFit:
    """A fitted Archimedes spiral ``r = a + b·θ`` (θ unwrapped, increasing)."""

    cx_mm: float
    cy_mm: float
    a_mm: float
    b_mm_per_rad: float
    theta_rad: np.ndarray
    r_mm: np.ndarray

    @property
    def turns(self) -> float:
        return float((self.theta_rad[-1] - self.theta_rad[0]) / (2 * np.pi))


def _unravel(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    theta = np.unwrap(np.arctan2(y - cy, x - cx))
    if theta[-1] < theta[0]:  # clockwise: make θ increase
        theta = -theta
    return theta, np.hypot(x - cx, y - cy)


def _linear_fit(theta: np.ndarray, r: np.ndarray) -> tuple[float, float, np.ndarray]:
    tc = theta - theta.mean()
    denom = dot(tc, tc)
    b = dot(tc, r - r.mean()) / denom if denom > 0 else 0.0
    a = float(r.mean() - b * theta.mean())
    return a, b, r - (a + b * theta)


def fit_spiral(x: np.ndarray, y: np.ndarray) -> SpiralFit | None:
    """Fit the centre and the line ``r = a + b·θ`` of a spiral drawing.

    Parameters
    ----------
    x, y : ndarray
        Pen-down positions in mm, in drawing order (low-passed).

    Returns
    -------
    SpiralFit or None
        None when fewer than 20 samples are given.

    References
    ----------
    Wang H, Yu Q, Kurtis MM, Floyd AG, Smith WA, Pullman SL (2008). Spiral analysis: improved
    clinical utility with center detection. J Neurosci Methods 171:264-270.
    """
    if x.size < 20:
        return None

    # the centre is found on at most FIT_POINTS samples spread over the whole drawing (at
    # 1° of turn per point or finer, unwrapping stays exact); the final unravel uses all
    step = max(1, int(np.ceil(x.size / FIT_POINTS)))
    xs, ys = x[::step], y[::step]

    def residual(c: np.ndarray) -> np.ndarray:
        theta, r = _unravel(xs, ys, c[0], c[1])
        return _linear_fit(theta, r)[2]

    starts = [
        np.array([xs.mean(), ys.mean()]),
        np.array([(xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2]),
    ]
    best = None
    for c0 in starts:  # two starting points, not a loop over samples
        sol = optimize.least_squares(residual, c0, method="lm", max_nfev=200)
        if best is None or sol.cost < best.cost:
            best = sol
    cx, cy = (float(v) for v in best.x)
    theta, r = _unravel(x, y, cx, cy)
    a, b, _ = _linear_fit(theta, r)
    return SpiralFit(cx, cy, a, b, theta, r)


def spiral_indices(fit: SpiralFit) -> dict[str, float]:
    """Pullman's spiral indices from a fitted spiral.

    Returns
    -------
    dict
        ``spiral_tightness_mm_per_rad``: b of ``r = a + bθ``.
        ``spiral_smoothness_1``: SD of dr/dθ, mm/rad (0 for a perfect spiral).
        ``spiral_smoothness_2``: SD of d²r/dθ², mm/rad².
        ``spiral_zero_crossing_rate``: sign changes of the residual ``r - (a + bθ)`` per turn.
        ``spiral_loop_spacing_cv``: SD / mean of the radial spacing ``r(θ + 2π) - r(θ)`` over
        all angles. All NaN when the drawing covers fewer than 1.5 turns.

    Notes
    -----
    Derivatives are taken on r resampled to a uniform θ grid (1° steps) along the running
    maximum of θ, so a pen that briefly runs backwards cannot fold the grid. The exact forms
    of the smoothness and zero-crossing indices are our choice, following the ideas of
    Pullman (1998), who defines them on r(θ) and its first two derivatives.

    References
    ----------
    Pullman SL (1998). Spiral analysis: a new technique for measuring tremor with a digitizing
    tablet. Mov Disord 13 Suppl 3:85-89.
    """
    nan = float("nan")
    names = (
        "spiral_tightness_mm_per_rad", "spiral_smoothness_1", "spiral_smoothness_2",
        "spiral_zero_crossing_rate", "spiral_loop_spacing_cv",
    )
    if fit.turns < MIN_TURNS:
        return dict.fromkeys(names, nan)
    theta = np.maximum.accumulate(fit.theta_rad)
    step = 2 * np.pi / GRID_PER_TURN
    grid = np.arange(theta[0], theta[-1], step)
    r = np.interp(grid, theta, fit.r_mm)
    d1 = np.gradient(r, step)
    d2 = np.gradient(d1, step)
    resid = r - (fit.a_mm + fit.b_mm_per_rad * grid)
    crossings = np.count_nonzero(np.signbit(resid[1:]) != np.signbit(resid[:-1]))
    spacing = r[GRID_PER_TURN:] - r[:-GRID_PER_TURN]
    mean_spacing = float(spacing.mean())
    return {
        "spiral_tightness_mm_per_rad": fit.b_mm_per_rad,
        "spiral_smoothness_1": float(d1.std()),
        "spiral_smoothness_2": float(d2.std()),
        "spiral_zero_crossing_rate": crossings / fit.turns,
        "spiral_loop_spacing_cv": float(spacing.std() / mean_spacing) if mean_spacing else nan,
    }
