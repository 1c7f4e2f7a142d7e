"""Archimedes spiral analysis (docs/science.md §7; Pullman 1998; Wang et al. 2008).

The centre is fitted, not assumed: it minimises the residual of ``r = a + bθ`` (a wrong centre
leaks low-frequency error into every index). The spiral is then unravelled to r(θ) on a
uniform grid of θ, from which the indices are taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, spatial

from ._numeric import dot

__all__ = ["SpiralFit", "curve_deviation", "fit_spiral", "spiral_indices",
           "template_deviation", "template_points", "unravel_about"]

#: Below this many turns a drawing is not analysed as a spiral.
MIN_TURNS = 1.5
#: Samples per turn of the unravelled grid.
GRID_PER_TURN = 360
#: Samples used to fit the centre.
FIT_POINTS = 4000
#: Chord length of the polyline standing for the fitted spiral (mm): its distance from the
#: curve is at most chord² / (8 r), under 1 µm for r >= 0.3 mm.
TEMPLATE_STEP_MM = 0.05


@dataclass(frozen=True)
class SpiralFit:
    """A fitted Archimedes spiral ``r = a + b·θ`` (θ unwrapped, increasing)."""

    cx_mm: float
    cy_mm: float
    a_mm: float
    b_mm_per_rad: float
    theta_rad: np.ndarray
    r_mm: np.ndarray
    direction: float = 1.0  # +1: drawn counter-clockwise (θ as atan2); -1: θ = -atan2

    @property
    def turns(self) -> float:
        return float((self.theta_rad[-1] - self.theta_rad[0]) / (2 * np.pi))


def _unravel(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    theta = np.unwrap(np.arctan2(y - cy, x - cx))
    if theta[-1] < theta[0]:  # clockwise: make θ increase
        theta = -theta
    return theta, np.hypot(x - cx, y - cy)


def _direction(theta: np.ndarray, x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> float:
    """+1 if θ is atan2's angle (counter-clockwise drawing), -1 if its negative."""
    return 1.0 if np.cos(np.arctan2(y[-1] - cy, x[-1] - cx) - theta[-1]) > 0 else -1.0


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

    Examples
    --------
    An off-origin spiral r = 2 + 1.5θ centred at (5, -3) mm, 5 turns:

    >>> th = np.linspace(0, 10 * np.pi, 3000)
    >>> r = 2 + 1.5 * th
    >>> fit = fit_spiral(5 + r * np.cos(th), -3 + r * np.sin(th))
    >>> round(fit.cx_mm, 6), round(fit.cy_mm, 6), round(fit.b_mm_per_rad, 6), round(fit.turns, 2)
    (5.0, -3.0, 1.5, 5.0)
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
    # two starting points, not a loop over samples; the first of equal costs wins
    sols = [optimize.least_squares(residual, c0, method="lm", max_nfev=200) for c0 in starts]
    best = min(sols, key=lambda sol: sol.cost)
    cx, cy = (float(v) for v in best.x)
    theta, r = _unravel(x, y, cx, cy)
    a, b, _ = _linear_fit(theta, r)
    return SpiralFit(cx, cy, a, b, theta, r, _direction(theta, x, y, cx, cy))


def unravel_about(fit: SpiralFit, x: np.ndarray, y: np.ndarray, first: int) -> SpiralFit:
    """The same fitted spiral (centre, a, b) with r(θ) of more samples: the whole drawing
    when the fit was made on its interior (the review plots every turn).

    `first` is the index in `x`, `y` of the fit's first sample; θ is shifted by whole turns
    so that it equals the fit's θ there, so ``a + bθ`` is the fitted line on both.

    Examples
    --------
    >>> th = np.linspace(0, 4 * np.pi, 800)
    >>> r = 1 + 0.5 * th
    >>> x, y = r * np.cos(th), r * np.sin(th)
    >>> fit = fit_spiral(x[100:], y[100:])     # fitted on part of the drawing
    >>> whole = unravel_about(fit, x, y, 100)
    >>> whole.theta_rad.size, round(whole.turns, 2)
    (800, 2.0)
    """
    theta, r = _unravel(x, y, fit.cx_mm, fit.cy_mm)
    if fit.theta_rad.size and 0 <= first < theta.size:
        turns = np.round((fit.theta_rad[0] - theta[first]) / (2 * np.pi))
        theta = theta + 2 * np.pi * turns
    return SpiralFit(fit.cx_mm, fit.cy_mm, fit.a_mm, fit.b_mm_per_rad, theta, r,
                     fit.direction)


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

    Examples
    --------
    A perfect spiral is perfectly smooth and evenly spaced:

    >>> th = np.linspace(0, 10 * np.pi, 3000)
    >>> r = 2 + 1.5 * th
    >>> ix = spiral_indices(fit_spiral(r * np.cos(th), r * np.sin(th)))
    >>> [round(ix[k], 4) for k in ("spiral_tightness_mm_per_rad", "spiral_smoothness_1",
    ...                            "spiral_loop_spacing_cv")]
    [1.5, 0.0, 0.0]
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


def template_points(fit: SpiralFit, step_mm: float = TEMPLATE_STEP_MM) -> np.ndarray:
    """The fitted spiral ``r = a + bθ`` over the drawn θ range, as points ``step_mm`` apart.

    Returns
    -------
    ndarray, shape (m, 2)
        x, y in mm, in the drawing's frame (θ measured the way the drawing turns).

    Examples
    --------
    >>> th = np.linspace(0, 4 * np.pi, 800)
    >>> r = 1 + 0.5 * th
    >>> pts = template_points(fit_spiral(r * np.cos(th), r * np.sin(th)), step_mm=0.5)
    >>> round(float(np.hypot(*pts[-1])), 4), round(1 + 0.5 * 4 * np.pi, 4)   # r at the end
    (7.2832, 7.2832)
    """
    theta = np.maximum.accumulate(fit.theta_rad)
    t0, t1 = float(theta[0]), float(theta[-1])
    r_max = max(abs(fit.a_mm + fit.b_mm_per_rad * t0), abs(fit.a_mm + fit.b_mm_per_rad * t1))
    n = int(min(np.ceil((t1 - t0) * max(r_max, step_mm) / step_mm), 2_000_000)) + 2
    grid = np.linspace(t0, t1, n)
    r = fit.a_mm + fit.b_mm_per_rad * grid
    angle = fit.direction * grid
    return np.column_stack((fit.cx_mm + r * np.cos(angle), fit.cy_mm + r * np.sin(angle)))


def curve_deviation(xy: np.ndarray, curve: np.ndarray) -> tuple[float, float]:
    """RMS and Hausdorff distance (mm) between drawn points and a template curve.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Drawn positions in mm, uniformly spaced in time (so the RMS is a time average).
    curve : ndarray, shape (m, 2)
        The template as polyline vertices, closer together than its radius of curvature.

    Returns
    -------
    rms_mm : float
        sqrt(mean over drawn samples of the squared distance to the nearest template point).
    hausdorff_mm : float
        max(largest distance of a drawn point to the template, largest distance of a
        template point to the drawing): the symmetric Hausdorff distance of the two point
        sets, so a template turn left undrawn counts as much as a stray excursion.

    Notes
    -----
    Distances are to the polylines through the points (:func:`polyline_distance`), both
    ways, so a drawing sampled sparser than the template is not penalised for its chords.
    The RMS and Hausdorff distance to a template are the spiral "deviation from the
    template" indices of Pullman (1998), ``docs/features.md``; the exact forms are our choice.

    Examples
    --------
    Points 0.5 mm above a 10 mm straight guide:

    >>> curve_deviation(np.array([[0.0, 0.5], [5.0, 0.5], [10.0, 0.5]]),
    ...                 np.array([[0.0, 0.0], [10.0, 0.0]]))
    (0.5, 0.5)
    """
    if xy.shape[0] < 2 or curve.shape[0] < 2:
        return float("nan"), float("nan")
    d_draw = polyline_distance(xy, curve)
    d_curve = polyline_distance(curve, xy)
    rms = float(np.sqrt(np.mean(d_draw**2)))
    return rms, float(max(d_draw.max(), d_curve.max()))


def polyline_distance(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance (mm) of each point to a polyline, vectorized.

    The nearest vertex comes from a k-d tree; the distance is then taken to the two chords
    meeting there, so it is exact for the polyline whenever the nearest chord touches the
    nearest vertex (always, for vertices closer than the curve's radius of curvature).
    """
    _, i = spatial.cKDTree(polyline).query(points)
    best = np.full(points.shape[0], np.inf)
    for j0 in (i - 1, i):  # the chord before and the chord after the nearest vertex
        ok = (j0 >= 0) & (j0 < polyline.shape[0] - 1)
        a = polyline[np.clip(j0, 0, polyline.shape[0] - 2)]
        b = polyline[np.clip(j0 + 1, 1, polyline.shape[0] - 1)]
        ab = b - a
        denom = np.einsum("ij,ij->i", ab, ab)
        u = np.einsum("ij,ij->i", points - a, ab) / np.where(denom > 0, denom, 1.0)
        foot = a + np.clip(u, 0.0, 1.0)[:, None] * ab
        d = np.hypot(*(points - foot).T)
        best = np.where(ok, np.minimum(best, d), best)
    return best


def template_deviation(fit: SpiralFit, xy: np.ndarray,
                       guide_xy: np.ndarray | None = None,
                       whole_xy: np.ndarray | None = None) -> dict[str, float]:
    """Deviation of a spiral drawing from its fitted Archimedes spiral, and from the guide.

    Parameters
    ----------
    fit : SpiralFit
    xy : ndarray, shape (n, 2)
        The drawn positions in mm (those the fit was made on).
    guide_xy : ndarray, shape (m, 2), optional
        The guide shown while drawing, as polyline vertices in the recording's mm frame.
    whole_xy : ndarray, shape (k, 2), optional
        The whole drawing, compared with the guide (default `xy`): the guide's every turn,
        the innermost included, is to be traced.

    Returns
    -------
    dict
        ``spiral_fit_deviation_rms_mm``, ``spiral_fit_hausdorff_mm`` (to the fitted spiral
        over the drawn turns); ``spiral_guide_deviation_rms_mm``,
        ``spiral_guide_hausdorff_mm`` (to the guide; NaN without one). NaN when the
        drawing covers fewer than :data:`MIN_TURNS` turns.

    Examples
    --------
    >>> th = np.linspace(0, 10 * np.pi, 3000)
    >>> r = 2 + 1.5 * th
    >>> x, y = r * np.cos(th), r * np.sin(th)
    >>> d = template_deviation(fit_spiral(x, y), np.column_stack((x, y)))
    >>> round(d["spiral_fit_deviation_rms_mm"], 4), d["spiral_guide_deviation_rms_mm"]
    (0.0, nan)
    """
    nan = float("nan")
    out = dict.fromkeys(("spiral_fit_deviation_rms_mm", "spiral_fit_hausdorff_mm",
                         "spiral_guide_deviation_rms_mm", "spiral_guide_hausdorff_mm"), nan)
    if fit.turns < MIN_TURNS:
        return out
    rms, hd = curve_deviation(xy, template_points(fit))
    out["spiral_fit_deviation_rms_mm"], out["spiral_fit_hausdorff_mm"] = rms, hd
    if guide_xy is not None and len(guide_xy) >= 2:
        drawn = xy if whole_xy is None else whole_xy
        g_rms, g_hd = curve_deviation(drawn, np.asarray(guide_xy, dtype=float))
        out["spiral_guide_deviation_rms_mm"], out["spiral_guide_hausdorff_mm"] = g_rms, g_hd
    return out

