"""Orientation of the writing: its baseline brought to horizontal (docs/science.md §2)."""

from __future__ import annotations

import numpy as np

from .._numeric import dot

__all__ = [
    "baseline_angle",
    "rotate",
]

def baseline_angle(x: np.ndarray, y: np.ndarray) -> float:
    """Angle of the writing baseline, in rad, from the principal axis of the positions.

    The principal direction of pen-down positions of a line of writing runs along the
    baseline. The angle is folded into [-45°, 45°] so that a tall, narrow sample is never
    turned on its side.

    Parameters
    ----------
    x, y : ndarray
        Pen-down positions in mm.

    Returns
    -------
    float
        Angle in rad; 0.0 when fewer than 3 samples are given.

    Examples
    --------
    A trace rising 1 mm in 2 is slanted by atan(0.5) = 26.57°:

    >>> s = np.arange(10.0)
    >>> round(float(np.degrees(baseline_angle(s, 0.5 * s))), 2)
    26.57
    """
    if x.size < 3:
        return 0.0
    xc, yc = x - x.mean(), y - y.mean()
    sxx, syy, sxy = dot(xc, xc), dot(yc, yc), dot(xc, yc)
    angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    return float((angle + np.pi / 4) % (np.pi / 2) - np.pi / 4)


def rotate(xy: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rotate positions ``xy`` (shape (2, n)) by ``-angle_rad`` about the origin (baseline to
    horizontal).

    Examples
    --------
    >>> rotate(np.array([[1.0], [1.0]]), np.pi / 4).round(6).tolist()
    [[1.414214], [0.0]]
    """
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    out = np.empty_like(xy)
    out[0] = c * xy[0] + s * xy[1]  # elementwise: no BLAS threads for a 2 x n product
    out[1] = c * xy[1] - s * xy[0]
    return out
