"""Segments of one signal: cutting a recording at gaps and pen lifts (docs/science.md §2).

Segments are described by two integer arrays, ``starts`` and ``lengths``, indexing one
concatenated signal; this is how the pre-processing stays free of Python loops per segment.
:func:`runs` and :func:`split_segments` cut the recording into continuous pen-down segments
(never interpolate across a gap or a pen lift); :func:`interior_mask` keeps the samples far
enough from a segment's ends to be free of the filter's edge transient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Segments",
    "interior_mask",
    "runs",
    "split_segments",
]

@dataclass(frozen=True)
class Segments:
    """Contiguous index ranges ``[starts[i], starts[i] + lengths[i])`` of one signal."""

    starts: np.ndarray
    lengths: np.ndarray

    @property
    def count(self) -> int:
        return int(self.starts.size)

    @property
    def stops(self) -> np.ndarray:
        return self.starts + self.lengths


def runs(mask: np.ndarray) -> Segments:
    """Maximal runs of True in a boolean mask.

    Parameters
    ----------
    mask : ndarray of bool

    Returns
    -------
    Segments
        Start indices and lengths of the runs, in order.

    Examples
    --------
    >>> s = runs(np.array([0, 1, 1, 0, 1], dtype=bool))
    >>> s.starts.tolist(), s.lengths.tolist()
    ([1, 4], [2, 1])
    """
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(m[1:] != m[:-1])
    starts, stops = edges[0::2], edges[1::2]
    return Segments(starts, stops - starts)


def split_segments(pen_down: np.ndarray, gap_after: np.ndarray) -> Segments:
    """Continuous pen-down segments: pen-down runs, split again at every gap.

    Parameters
    ----------
    pen_down : ndarray of bool
        Pen state per sample.
    gap_after : ndarray of bool
        For each interval between consecutive samples, whether it is a gap.

    Returns
    -------
    Segments

    Examples
    --------
    >>> s = split_segments(np.array([1, 1, 1, 0, 1, 1], bool), np.array([0, 1, 0, 0, 0], bool))
    >>> s.starts.tolist(), s.lengths.tolist()
    ([0, 2, 4], [2, 1, 2])
    """
    pen_down = np.asarray(pen_down, dtype=bool)
    new = np.ones(pen_down.size, dtype=bool)
    new[1:] = gap_after | ~pen_down[:-1]
    start_flags = pen_down & new
    starts = np.flatnonzero(start_flags)
    # a segment ends where the next sample starts a new one or is pen up
    end_flags = np.zeros(pen_down.size, dtype=bool)
    end_flags[:-1] = pen_down[:-1] & (gap_after | ~pen_down[1:])
    end_flags[-1] = pen_down[-1]
    stops = np.flatnonzero(end_flags) + 1
    return Segments(starts, stops - starts)


def interior_mask(segments: Segments, n: int, margin: int) -> np.ndarray:
    """Samples at least `margin` samples inside both ends of their segment.

    A zero-phase filter's output within its settling time (:func:`settle_samples`) of a
    segment's end depends on how the segment was padded (odd reflection), not only on the
    data: a transient. Measures that must not see it (the spiral indices) keep only the
    interior. Segments shorter than ``2 * margin + 1`` keep nothing.

    Parameters
    ----------
    segments : Segments
        Segments tiling (or lying inside) ``0..n``.
    n : int
        Length of the concatenated signal.
    margin : int
        Samples left out at each end of every segment.

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> interior_mask(Segments(np.array([0, 5]), np.array([5, 3])), 8, 1).tolist()
    [False, True, True, True, False, False, True, False]
    """
    keep = np.zeros(n + 1, dtype=np.int64)
    lo = segments.starts + margin
    hi = segments.stops - margin
    ok = hi > lo
    np.add.at(keep, lo[ok], 1)
    np.add.at(keep, hi[ok], -1)
    return np.cumsum(keep[:-1]) > 0
