"""Derivatives and smoothness (docs/science.md §3, §4).

Derivatives are taken over whole continuous segments, never per stroke: per-stroke
differences bias smoothness measures (docs/science.md §2.3).
"""

from __future__ import annotations

import numpy as np

from .preprocess.segments import Segments

__all__ = ["ldlj", "normalized_jerk", "segment_gradient"]


def segment_gradient(x: np.ndarray, rate_hz: float, segments: Segments) -> np.ndarray:
    """Time derivative of a uniformly sampled, segmented signal.

    Second-order central differences inside each segment, first-order one-sided differences
    at its two ends (as :func:`numpy.gradient`), zero for single-sample segments. Segments
    must tile the signal.

    Parameters
    ----------
    x : ndarray, shape (n,) or (k, n)
        Concatenated segments sampled at `rate_hz`; 2-D input differentiates k channels.
    rate_hz : float
        Sample rate in Hz.
    segments : Segments

    Returns
    -------
    ndarray
        dx/dt in units of x per s, same shape as `x`.

    Examples
    --------
    x = t² sampled at 100 Hz (mm): central differences give 2t inside, one-sided at the ends.

    >>> import numpy as np
    >>> from kinewrite.analysis.preprocess import Segments
    >>> x = (np.arange(5) / 100.0) ** 2 * 1e4   # 0, 1, 4, 9, 16 mm
    >>> segment_gradient(x, 100.0, Segments(np.array([0]), np.array([5]))).tolist()
    [100.0, 200.0, 400.0, 600.0, 700.0]
    """
    n = x.shape[-1]
    if n < 2:
        return np.zeros_like(x, dtype=np.float64)
    g = np.empty_like(x, dtype=np.float64)  # every entry is written below (segments tile x)
    np.subtract(x[..., 2:], x[..., :-2], out=g[..., 1:-1])
    g[..., 1:-1] *= rate_hz / 2.0
    first = segments.starts
    last = segments.starts + segments.lengths - 1
    multi = segments.lengths >= 2
    f, l_ = first[multi], last[multi]
    g[..., f] = (x[..., f + 1] - x[..., f]) * rate_hz
    g[..., l_] = (x[..., l_] - x[..., l_ - 1]) * rate_hz
    g[..., first[~multi]] = 0.0
    return g


def normalized_jerk(
    jerk_sq_integral: np.ndarray, duration_s: np.ndarray, path_length_mm: np.ndarray
) -> np.ndarray:
    """Normalized jerk of strokes (Teulings et al. 1997).

    ``NJ = sqrt(0.5 * ∫(j_x² + j_y²) dt * T⁵ / L²)``, dimensionless; a minimum-jerk straight
    stroke gives ``sqrt(360) = 18.97``.

    Parameters
    ----------
    jerk_sq_integral : ndarray
        ``∫(j_x² + j_y²) dt`` per stroke, mm²/s⁵.
    duration_s : ndarray
        Stroke durations T in s.
    path_length_mm : ndarray
        Stroke path lengths L in mm.

    Returns
    -------
    ndarray
        NJ per stroke; NaN where L is 0.

    References
    ----------
    Teulings H-L, Contreras-Vidal JL, Stelmach GE, Adler CH (1997). Parkinsonism reduces
    coordination of fingers, wrist, and arm in fine motor control. Exp Neurol 146:159-170.

    Examples
    --------
    A minimum-jerk stroke of L = 20 mm in T = 0.5 s has ∫|j|² dt = 720 L²/T⁵:

    >>> import numpy as np
    >>> L, T = np.array([20.0]), np.array([0.5])
    >>> normalized_jerk(720 * L**2 / T**5, T, L).round(2).tolist()
    [18.97]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        nj = np.sqrt(0.5 * jerk_sq_integral * duration_s**5 / path_length_mm**2)
    return np.where(path_length_mm > 0, nj, np.nan)


def ldlj(
    jerk_sq_integral: np.ndarray, duration_s: np.ndarray, peak_speed_mm_s: np.ndarray
) -> np.ndarray:
    """Log dimensionless jerk of strokes (Balasubramanian et al. 2015).

    ``LDLJ = -ln(T³ / v_peak² * ∫|j|² dt)``; closer to 0 is smoother. A minimum-jerk stroke
    (``∫|j|² dt = 720 L²/T⁵``, ``v_peak = 1.875 L/T``) gives ``-ln(204.8) = -5.32``.

    Parameters
    ----------
    jerk_sq_integral : ndarray
        ``∫|j|² dt`` per stroke, mm²/s⁵.
    duration_s : ndarray
        Stroke durations in s.
    peak_speed_mm_s : ndarray
        Peak tangential speed per stroke, mm/s.

    Returns
    -------
    ndarray
        LDLJ per stroke (dimensionless); NaN where the peak speed or the integral is 0.

    References
    ----------
    Balasubramanian S, Melendez-Calderon A, Roby-Brami A, Burdet E (2015). On the analysis of
    movement smoothness. J NeuroEng Rehabil 12:112.

    Examples
    --------
    >>> import numpy as np
    >>> L, T = np.array([20.0]), np.array([0.5])
    >>> ldlj(720 * L**2 / T**5, T, 1.875 * L / T).round(2).tolist()
    [-5.32]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        dlj = duration_s**3 / peak_speed_mm_s**2 * jerk_sq_integral
        out = -np.log(dlj)
    return np.where((peak_speed_mm_s > 0) & (jerk_sq_integral > 0), out, np.nan)
