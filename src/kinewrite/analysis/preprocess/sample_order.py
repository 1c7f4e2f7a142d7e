"""The order samples are analysed in (docs/science.md §2, step 1; ``docs/analysis.md``).

Samples stay in acquisition (file) order: a timestamp that steps back is a clock fault, not
a reordering. :func:`restore_order` closes each backward step (:func:`close_backward_steps`),
or sorts a file whose rows were never in order (:func:`sort_samples`), and
:func:`drop_exact_duplicates` drops repeated samples.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "UNORDERED_SHARE",
    "close_backward_steps",
    "drop_exact_duplicates",
    "restore_order",
    "sort_samples",
]

def close_backward_steps(t: np.ndarray) -> tuple[np.ndarray, int]:
    """A clock that never runs backwards, samples kept in acquisition order.

    A timestamp below its predecessor's is a clock fault, not a reordering: real PaHaW SVC
    files step back 18-119 ms where the pen goes from hover to touch, and the first touch
    sample sits at the last hover position, so the file order is the true order (sorting by
    time would interleave hover and touch samples). Each backward step is replaced by one
    typical sample step (the median positive step), and every later timestamp moves with it,
    so the intervals on either side of the fault are kept as recorded.

    Parameters
    ----------
    t : ndarray
        Timestamps in s, in acquisition order.

    Returns
    -------
    t_fixed : ndarray
        Non-decreasing timestamps (repeated stamps stay repeated; :func:`rebuild_clock`
        spreads them).
    n_backward : int
        How many backward steps were closed.

    Notes
    -----
    The rule (``docs/analysis.md``: keep acquisition order, rebuild a monotone clock); one
    typical step for the faulty interval is our choice: the interval's true length is
    unknown, and one sample period is what a continuous recording takes.

    Examples
    --------
    One step back by 70 ms becomes one typical step (10 ms); later stamps move with it:

    >>> t, n = close_backward_steps(np.array([0, 0.01, 0.02, -0.05, -0.04]))
    >>> t.round(6).tolist(), n
    ([0.0, 0.01, 0.02, 0.03, 0.04], 1)
    """
    t = np.asarray(t, dtype=np.float64)
    dt = np.diff(t)
    back = dt < 0
    n_back = int(np.count_nonzero(back))
    if n_back == 0:
        return t, 0
    positive = dt[dt > 0]
    step = float(np.median(positive)) if positive.size else 0.0
    dt[back] = step
    out = np.empty_like(t)
    out[0] = t[0]
    np.cumsum(dt, out=out[1:])
    out[1:] += t[0]
    return out, n_back


#: Above this share of backward steps a file holds no acquisition order (rows written in
#: an arbitrary order, e.g. a shuffled CSV: about half its steps go back) and is sorted by
#: time; below it every backward step is a clock fault (a PaHaW file has a few in
#: thousands of steps). Our choice.
UNORDERED_SHARE = 0.1


def restore_order(t: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The order to analyse samples in, and their non-decreasing timestamps.

    Acquisition (file) order is kept and backward steps are closed
    (:func:`close_backward_steps`), unless more than :data:`UNORDERED_SHARE` of the steps go
    back: then the rows were never in acquisition order and are sorted by time
    (:func:`sort_samples`).

    Returns
    -------
    order : ndarray of int or None
        Indices to reorder every column by; None when the file order is kept.
    t : ndarray
        The timestamps in that order, non-decreasing.

    Examples
    --------
    Rows never in acquisition order (a quarter of the steps go back) are sorted by time:

    >>> order, t = restore_order(np.array([0, 0.01, 0.02, 0.01, 0.03]))
    >>> order.tolist(), t.tolist()
    ([0, 1, 3, 2, 4], [0.0, 0.01, 0.01, 0.02, 0.03])
    """
    t = np.asarray(t, dtype=np.float64)
    back = int(np.count_nonzero(t[1:] < t[:-1]))
    if back == 0:
        return None, t
    if back > UNORDERED_SHARE * (t.size - 1):
        order = sort_samples(t)
        return order, t[order]
    return None, close_backward_steps(t)[0]


def sort_samples(t: np.ndarray) -> np.ndarray:
    """Indices that put samples in time order, keeping the order of equal timestamps.

    The analysis sorts only files that hold no acquisition order (:func:`restore_order`).

    Parameters
    ----------
    t : ndarray
        Timestamps in s.

    Returns
    -------
    ndarray of int
        A stable argsort of `t`.

    Examples
    --------
    >>> sort_samples(np.array([0.2, 0.1, 0.1, 0.0])).tolist()   # equal stamps keep their order
    [3, 1, 2, 0]
    """
    return np.argsort(t, kind="stable")


def drop_exact_duplicates(*columns: np.ndarray) -> np.ndarray:
    """Mask of samples to keep: a sample equal to its predecessor in every column is dropped.

    Parameters
    ----------
    *columns : ndarray
        Equal-length columns of samples in acquisition order (t, x, y, pressure, pen
        state ...).

    Returns
    -------
    ndarray of bool
        True for samples to keep; the first sample is always kept.

    Examples
    --------
    >>> drop_exact_duplicates(np.array([0.0, 0.01, 0.01]), np.array([1.0, 2.0, 2.0])).tolist()
    [True, True, False]
    """
    n = columns[0].size
    keep = np.ones(n, dtype=bool)
    if n > 1:
        same = np.ones(n - 1, dtype=bool)
        for col in columns:
            same &= col[1:] == col[:-1]
        keep[1:] = ~same
    return keep
