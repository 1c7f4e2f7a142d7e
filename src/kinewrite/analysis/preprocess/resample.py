"""Resampling every pen-down segment to a uniform grid (docs/science.md §2).

A grid of more than :data:`MAX_GRID_SAMPLES` samples (4 h of pen-down writing at 200 Hz) is
refused before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...model import RecordingError
from .segments import Segments

__all__ = [
    "MAX_GRID_SAMPLES",
    "resample_segments",
]

#: Most samples one resampled grid may hold: 4 h of continuous pen-down writing at the
#: default 200 Hz (a long trial of a visit lasts 20 min). The analysis needs ~170 bytes per
#: grid sample at its peak, so this bounds one trial's analysis to ~0.5 GB (measured: a
#: 4-h trial of 1.9e6 samples at 133 Hz, 0.72 GB peak with the recording, 3.7 s; see
#: ``docs/analysis.md``). The grid covers
#: only the pen-down segments between gaps, and a gap is a pause of more than
#: :data:`GAP_PERIODS` *measured* periods: a recording whose every step is long (timestamps
#: in ms read as s, or a hostile file with t = i * 1e5 s) has no gap, and 20 samples would
#: otherwise ask for a grid of 3.8e8 samples (2.8 GiB per array, 24 GB in all).
MAX_GRID_SAMPLES = 4 * 3600 * 200


def resample_segments(
    t: np.ndarray,
    columns: np.ndarray | Sequence[np.ndarray],
    segments: Segments,
    rate_hz: float = 200.0,
    max_samples: int = MAX_GRID_SAMPLES,
) -> tuple[np.ndarray, np.ndarray, Segments]:
    """Linear resampling of every segment to a uniform grid.

    Parameters
    ----------
    t : ndarray
        Strictly increasing sample times in s (a rebuilt clock).
    columns : ndarray of shape (k, n), or a sequence of k 1-D arrays
        Signals to resample (x, y, pressure ...); a sequence is not copied into one array.
    segments : Segments
        Continuous segments of the samples; segments with fewer than 2 samples are dropped.
    rate_hz : float, default 200
        Grid rate.
    max_samples : int, default :data:`MAX_GRID_SAMPLES`
        Most samples the grid may hold.

    Returns
    -------
    t_grid : ndarray
        Grid times in s, segment after segment.
    resampled : ndarray, shape (k, m)
        The columns on the grid.
    grid_segments : Segments
        The segments on the grid, tiling ``0..m``.

    Raises
    ------
    RecordingError
        If the grid would hold more than `max_samples` samples (checked before anything of
        the grid's size is allocated).

    Examples
    --------
    >>> tg, cols, grid = resample_segments(np.array([0, 0.01, 0.03]), np.array([[0.0, 1.0, 3.0]]),
    ...                                    Segments(np.array([0]), np.array([3])), 100.0)
    >>> tg.tolist(), cols.tolist()
    ([0.0, 0.01, 0.02, 0.03], [[0.0, 1.0, 2.0, 3.0]])
    """
    if rate_hz <= 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    if isinstance(columns, np.ndarray):
        columns = np.atleast_2d(columns)
    keep = segments.lengths >= 2
    starts, stops = segments.starts[keep], segments.stops[keep] - 1
    t0, t1 = t[starts], t[stops]
    steps = np.floor((t1 - t0) * rate_hz + 1e-9)  # float: no int64 overflow on huge spans
    _refuse_large_grid(float(steps.sum()) + steps.size, rate_hz, max_samples)
    lengths = steps.astype(np.int64) + 1
    grid_starts = (np.cumsum(lengths) - lengths).astype(np.int64)
    total = int(lengths.sum())
    seg = np.repeat(np.arange(lengths.size), lengths)
    offset = np.arange(total) - grid_starts[seg]
    t_grid = t0[seg] + offset / rate_hz
    # Each grid point lies inside its own segment's time span, and the samples inside that
    # span are the segment's own (contiguous indices), so interpolating over the whole clock
    # never mixes segments.
    out = np.empty((len(columns), total))
    for i, column in enumerate(columns):  # loop over channels (2-4), not samples
        out[i] = np.interp(t_grid, t, column)
    return t_grid, out, Segments(grid_starts, lengths)


def _refuse_large_grid(total: float, rate_hz: float, max_samples: int) -> None:
    """Raise a one-line :class:`RecordingError` if a grid of `total` samples is too large."""
    if total <= max_samples:  # False for NaN too
        return
    raise RecordingError(
        f"the pen-down segments span {total / rate_hz:,.0f} s: a grid of {total:,.0f} "
        f"samples at {rate_hz:g} Hz, more than the {max_samples:,} one trial may hold "
        f"({max_samples / rate_hz / 3600:g} h at {rate_hz:g} Hz); are the timestamps in "
        "seconds?")
