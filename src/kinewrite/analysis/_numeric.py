"""Small numeric kernels shared by the analysis modules.

They avoid two costs that dominate a vectorized pipeline of 1-D arrays: multi-threaded BLAS
for dot products of one vector (its threads spin and contend when trials are analyzed in
parallel processes), and the generality of :func:`numpy.percentile`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dot", "norm2", "quantiles"]


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product of two 1-D arrays without BLAS threads."""
    return float(np.einsum("i,i->", a, b))


def norm2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Euclidean norm ``sqrt(a² + b²)`` (values far from overflow)."""
    out = a * a
    out += b * b
    return np.sqrt(out, out=out)


def quantiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Quantiles with linear interpolation (as ``numpy.percentile``'s default), qs in 0..1.

    Parameters
    ----------
    values : ndarray
        1-D, non-empty, finite.
    qs : tuple of float

    Returns
    -------
    list of float
    """
    n = values.size
    pos = np.asarray(qs, dtype=np.float64) * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    part = np.partition(values, np.unique(np.concatenate((lo, hi))))
    frac = pos - lo
    return [float(v) for v in part[lo] + frac * (part[hi] - part[lo])]
