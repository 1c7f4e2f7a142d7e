"""Pre-processing of the kinematic branch (docs/science.md §2).

Each step is a pure function on arrays, vectorized over samples and over segments:

1. Samples stay in acquisition (file) order: a timestamp that steps back is a clock fault,
   not a reordering (``docs/analysis.md``). :func:`restore_order` closes each backward
   step (:func:`close_backward_steps`), or sorts a file whose rows were never in order, and
   :func:`drop_exact_duplicates` drops repeated samples.
2. :func:`rebuild_clock` turns ms-quantized, jittered, sometimes duplicated tablet timestamps
   into a sample clock, and finds the gaps (lost samples).
3. :func:`runs` and :func:`split_segments` cut the recording into continuous pen-down
   segments: never interpolate across a gap or a pen lift.
4. :func:`resample_segments` puts every segment on a uniform grid (default 200 Hz); a grid
   of more than :data:`MAX_GRID_SAMPLES` samples (4 h of pen-down writing at 200 Hz) is
   refused before anything is allocated.
5. :func:`filtfilt_segments` applies a zero-phase Butterworth filter to every segment at once
   (low-pass before differentiating, high-pass to isolate tremor).
6. :func:`baseline_angle` and :func:`rotate` bring the baseline of writing to horizontal.

Segments are described by two integer arrays, ``starts`` and ``lengths``, indexing one
concatenated signal; this is how every function here stays free of Python loops per segment.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..model import RecordingError
from ._numeric import dot

__all__ = [
    "MAX_GRID_SAMPLES",
    "Clock",
    "Segments",
    "baseline_angle",
    "butter_sos",
    "close_backward_steps",
    "drop_exact_duplicates",
    "effective_rate_hz",
    "filtfilt_segments",
    "interior_mask",
    "rebuild_clock",
    "resample_segments",
    "restore_order",
    "rotate",
    "runs",
    "sort_samples",
    "split_segments",
]

#: A pause longer than this many nominal sample periods is a gap (docs/science.md §1).
GAP_PERIODS = 3.0

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


@dataclass(frozen=True)
class Clock:
    """A rebuilt sample clock.

    Attributes
    ----------
    t : ndarray
        Rebuilt sample times in s, strictly increasing.
    period_s : float
        Effective sample period: covered time (gaps excluded) per sample interval.
    gap_after : ndarray of bool
        For each of the ``n - 1`` intervals, whether it is a gap (longer than
        ``GAP_PERIODS`` periods).
    jitter_ms : float
        RMS distance of the recorded timestamps from the rebuilt clock, in ms.
    regular : bool
        Whether a fixed-rate clock explained the timestamps (else they were only
        de-duplicated).
    """

    t: np.ndarray
    period_s: float
    gap_after: np.ndarray
    jitter_ms: float
    regular: bool

    @property
    def rate_hz(self) -> float:
        """Effective sample rate: samples per second of covered time (gaps excluded)."""
        return 1.0 / self.period_s if self.period_s > 0 else float("nan")


def effective_rate_hz(t: np.ndarray, gap_periods: float = GAP_PERIODS) -> float:
    """Samples per second of covered time: sample intervals over the time they cover, gaps
    (intervals longer than `gap_periods` typical steps) and backward steps left out.

    The rate ``docs/analysis.md`` reports: a 133 Hz tablet whose ms stamps alternate 7 and 8 ms
    reads 133.3 Hz here, where the median interval would read 125 Hz (or 142.9 Hz).
    Repeated timestamps (coalesced events) count as intervals: they are samples.

    Parameters
    ----------
    t : ndarray
        Timestamps in s, in acquisition order.
    gap_periods : float, default 3

    Returns
    -------
    float
        Rate in Hz; NaN when no interval covers time.

    Examples
    --------
    A 133 Hz tablet's stamps alternating 7 and 8 ms:

    >>> t = np.r_[0, np.cumsum(np.tile([0.007, 0.008], 50))]
    >>> round(effective_rate_hz(t), 2)
    133.33
    """
    dt = np.diff(np.asarray(t, dtype=np.float64))
    dt = dt[dt >= 0]
    positive = dt[dt > 0]
    if positive.size == 0:
        return float("nan")
    typical = float(np.median(positive[:: max(positive.size // 20000, 1)]))
    covered = dt[dt <= gap_periods * typical]
    total = float(covered.sum())
    return covered.size / total if total > 0 else float("nan")


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


def rebuild_clock(
    t: np.ndarray, nominal_rate_hz: float | None = None, gap_periods: float = GAP_PERIODS
) -> Clock:
    """Rebuild a sample clock from tablet timestamps.

    Tablets sample at a fixed hardware rate, but the timestamps that reach an application are
    rounded to whole ms (a 133 Hz tablet's steps alternate 7 and 8 ms) and coalesced events
    share one timestamp. Derivatives of such stamps are wrecked, so the clock is rebuilt:

    1. The effective period is the covered time (gaps excluded) per sample interval,
       duplicates counted as samples.
    2. Samples sharing a timestamp are spread back in time, evenly up to one period each
       (coalesced events were delayed, so they belong before the stamp they carry).
    3. Within each continuous run (between gaps) sample indices are counted, allowing for
       single dropped samples, and one common period with one offset per run is fitted by
       least squares: the fitted times are the rebuilt clock.
    4. When the fit leaves residuals above a quarter period, the device is not a fixed-rate
       one; the de-duplicated timestamps of step 2 are kept instead.

    Parameters
    ----------
    t : ndarray
        Non-decreasing timestamps in s, in acquisition order (duplicates allowed; see
        :func:`close_backward_steps`).
    nominal_rate_hz : float, optional
        The device's nominal rate. Only used to set the gap threshold; the period itself is
        always measured.
    gap_periods : float, default 3
        An interval longer than this many periods is a gap.

    Returns
    -------
    Clock

    Notes
    -----
    The steps above are our choice, designed against the timing faults listed in
    docs/science.md §1 and docs/architecture.md (§4, Acquisition). A 133 Hz clock quantized
    to 1 ms with 0.3 ms jitter and 2 % coalesced samples is rebuilt to within 0.1 ms RMS (see
    the tests).

    Examples
    --------
    A 133 Hz tablet's whole-ms stamps (steps of 7 and 8 ms) become an even 7.5 ms clock:

    >>> stamps = np.array([0, 0.007, 0.015, 0.022, 0.030, 0.037, 0.045, 0.052])
    >>> c = rebuild_clock(stamps)
    >>> c.regular, np.unique(np.round(np.diff(c.t) * 1e3, 3)).tolist()
    (True, [7.476])
    """
    t = np.asarray(t, dtype=np.float64)
    n = t.size
    if n < 2:
        return Clock(t.copy(), float("nan"), np.zeros(0, dtype=bool), 0.0, False)
    dt = np.diff(t)
    positive = dt[dt > 0]
    if positive.size == 0:
        return Clock(t.copy(), float("nan"), np.zeros(n - 1, dtype=bool), 0.0, False)
    # the typical step sets the gap threshold only: a median of at most ~20k steps suffices
    typical = float(np.median(positive[:: max(positive.size // 20000, 1)]))
    if nominal_rate_hz:
        typical = max(typical, 1.0 / nominal_rate_hz)
    gap = dt > gap_periods * typical
    covered = dt[~gap]
    period = float(covered.sum() / covered.size) if covered.sum() > 0 else typical

    t_spread = _spread_duplicates(t, period)
    dts = np.diff(t_spread)
    gap = dts > gap_periods * period
    # Sample index steps: 1 per sample, more where single samples were dropped (computed in
    # place: at 1M samples every temporary is a pass over memory).
    steps = np.divide(dts, period)
    np.rint(steps, out=steps)
    np.maximum(steps, 1.0, out=steps)
    any_gap = bool(gap.any())
    k = np.empty(n)
    k[0] = 0.0
    if any_gap:
        steps[gap] = 0.0  # index restarts in a new run; runs get their own offsets
        run_id = np.empty(n, dtype=np.int64)
        run_id[0] = 0
        np.cumsum(gap, out=run_id[1:])
    else:
        run_id = None
    np.cumsum(steps, out=k[1:])
    fitted, slope = _fit_common_slope(k, t_spread, run_id)
    regular = False
    if np.isfinite(slope) and slope > 0:
        resid = t_spread - fitted
        rms = float(np.sqrt(np.mean(np.square(resid, out=resid))))
        # one run: the fitted line rises with k, which rises by >= 1 per sample
        regular = rms <= 0.25 * slope and (not any_gap or bool(np.all(np.diff(fitted) > 0)))
    t_out = fitted if regular else t_spread
    dt_out = np.diff(t_out)
    gap_after = dt_out > gap_periods * period
    dev = t - t_out
    jitter_ms = float(np.sqrt(np.mean(np.square(dev, out=dev))) * 1e3)
    return Clock(t_out, period, gap_after, jitter_ms, regular)


def _spread_duplicates(t: np.ndarray, period: float) -> np.ndarray:
    """Spread samples that share a timestamp back in time, evenly, at most `period` apart."""
    same = np.flatnonzero(t[1:] == t[:-1])  # sample same+1 repeats its predecessor's stamp
    if same.size == 0:
        return t.copy()
    # members of duplicate groups only: the few samples this concerns
    members = np.union1d(same, same + 1)
    head = np.ones(members.size, dtype=bool)
    head[1:] = t[members[1:]] != t[members[:-1]]
    gid = np.cumsum(head) - 1
    group_start = members[head]
    sizes = np.bincount(gid)
    rank = members - group_start[gid]
    prev = np.where(group_start > 0, t[np.maximum(group_start - 1, 0)], -np.inf)
    room = (t[group_start] - prev) / sizes  # spacing that fits before the stamp
    spacing = np.minimum(room, period)[gid]
    out = t.copy()
    out[members] = t[members] - (sizes[gid] - 1 - rank) * spacing
    return out


def _fit_common_slope(
    k: np.ndarray, t: np.ndarray, run_id: np.ndarray | None
) -> tuple[np.ndarray, float]:
    """Least-squares ``t = offset[run] + slope * k`` with one slope shared by all runs
    (`run_id` None: one run)."""
    if run_id is None or run_id[-1] == 0:  # one run: the plain line fit
        kc = k - k.mean()
        tm = t.mean()
        denom = dot(kc, kc)
        if denom == 0:
            return t.copy(), float("nan")
        slope = dot(kc, t - tm) / denom
        kc *= slope
        kc += tm
        return kc, slope
    counts = np.bincount(run_id).astype(np.float64)
    k_mean = np.bincount(run_id, k) / counts
    t_mean = np.bincount(run_id, t) / counts
    kc = k - k_mean[run_id]
    tc = t - t_mean[run_id]
    denom = dot(kc, kc)
    if denom == 0:
        return t.copy(), float("nan")
    slope = dot(kc, tc) / denom
    return t_mean[run_id] + slope * kc, slope


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


def butter_sos(
    cutoff_hz: float, rate_hz: float, order: int = 4, btype: str = "lowpass"
) -> np.ndarray:
    """Second-order sections of a Butterworth filter (designs are cached).

    Parameters
    ----------
    cutoff_hz : float
        Cut-off frequency in Hz; must be below the Nyquist frequency ``rate_hz / 2``.
    rate_hz : float
        Sample rate in Hz.
    order : int, default 4
    btype : {"lowpass", "highpass"}

    Examples
    --------
    >>> butter_sos(12.0, 200.0).shape   # 4th order: two second-order sections
    (2, 6)
    """
    nyquist = rate_hz / 2.0
    if not 0 < cutoff_hz < nyquist:
        raise ValueError(
            f"cutoff {cutoff_hz} Hz must lie between 0 and the Nyquist frequency {nyquist} Hz"
        )
    return _butter_sos(float(cutoff_hz), float(rate_hz), int(order), btype).copy()


@functools.lru_cache(maxsize=64)
def _butter_sos(cutoff_hz: float, rate_hz: float, order: int, btype: str) -> np.ndarray:
    sos = signal.butter(order, cutoff_hz, btype=btype, fs=rate_hz, output="sos")
    sos.setflags(write=False)
    return sos


@functools.lru_cache(maxsize=64)
def _sos_zi(sos_bytes: bytes, n_sections: int) -> np.ndarray:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(n_sections, 6)
    zi = signal.sosfilt_zi(sos)
    zi.setflags(write=False)
    return zi


def settle_samples(cutoff_hz: float, rate_hz: float, order: int = 4, decays: float = 10.0,
                   btype: str = "lowpass") -> int:
    """Samples for a digital Butterworth filter's slowest pole to decay by ``exp(-decays)``.

    Computed from the poles of the filter as designed (``ceil(decays / -ln max|p|)``), not
    from the analog prototype's decay rate ``2π f sin(π / 2n)``: the two agree at low
    cut-offs (70 vs 71 samples at 12 Hz / 200 Hz), but near the Nyquist frequency the
    bilinear transform slows the poles down (a 9 Hz low-pass at 20 Hz settles in 85
    samples, where the analog formula says 10).
    """
    return _settle_samples(float(cutoff_hz), float(rate_hz), int(order), float(decays), btype)


@functools.lru_cache(maxsize=64)
def _settle_samples(cutoff_hz: float, rate_hz: float, order: int, decays: float,
                    btype: str) -> int:
    _, poles, _ = signal.butter(order, cutoff_hz, btype=btype, fs=rate_hz, output="zpk")
    radius = float(np.max(np.abs(poles)))
    if not 0 < radius < 1:  # pragma: no cover - a Butterworth design is always stable
        raise ValueError(f"unstable filter design ({cutoff_hz} Hz at {rate_hz} Hz)")
    return int(np.ceil(decays / -np.log(radius)))


def filtfilt_segments(
    x: np.ndarray, segments: Segments, sos: np.ndarray, pad: int
) -> np.ndarray:
    """Zero-phase filtering of each segment independently, in one call.

    Each segment is extended at both ends by `pad` samples of odd reflection (as
    :func:`scipy.signal.sosfiltfilt` does), the extended segments are concatenated and
    filtered forward and backward once, and the extensions are cut away. The transient at a
    junction between two segments decays inside the padding when `pad` covers enough time
    constants of the filter (:func:`settle_samples`); the result then matches filtering each
    segment alone to within ``exp(-decays)`` of the jump between segments.

    Parameters
    ----------
    x : ndarray, shape (n,) or (k, n)
        Concatenated signal(s); 2-D input filters k channels at once.
    segments : Segments
        Disjoint segments of `x`, in order.
    sos : ndarray
        Second-order sections (:func:`butter_sos`).
    pad : int
        Samples of odd reflection on each side of every segment.

    Returns
    -------
    ndarray
        Filtered copy of `x` (samples outside the segments are returned unchanged).

    Examples
    --------
    A constant passes a low-pass unchanged, in every segment:

    >>> x = np.full(300, 2.5)
    >>> y = filtfilt_segments(x, Segments(np.array([0, 150]), np.array([150, 150])),
    ...                       butter_sos(12.0, 200.0), settle_samples(12.0, 200.0))
    >>> bool(np.allclose(y, 2.5))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    if segments.count == 0:
        return x.copy()
    sig = np.atleast_2d(x)
    starts, lengths = segments.starts, segments.lengths
    body = _segment_indices(segments)
    tiled = body.size == sig.shape[1]
    # extended layout: [left pad | segment | right pad] per segment; a pad holds the odd
    # reflection 2 * edge value - x[mirrored index]. Built and read back by gathers (take)
    # with index ramps: a scatter or a boolean mask costs ~10x more per sample.
    block = lengths + 2 * pad
    block_start = np.concatenate(([0], np.cumsum(block)[:-1]))
    total = int(block.sum())
    j = np.arange(1, pad + 1)
    reach = np.minimum(j[None, :], (lengths - 1)[:, None])  # short segments reflect less
    left_dest = (block_start[:, None] + np.arange(pad)[None, :]).ravel()
    right_dest = ((block_start + pad + lengths)[:, None] + np.arange(pad)[None, :]).ravel()
    # index of the sample each extended position starts from (ramps, pads fixed below)
    src_cols = sig if tiled else np.take(sig, body, axis=1)  # segments made contiguous
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # segment starts in src_cols
    shift = block_start + pad - offsets
    src = np.arange(total) - np.repeat(shift, block)
    src[left_dest] = (offsets[:, None] + reach[:, ::-1]).ravel()  # mirrored indices
    src[right_dest] = ((offsets + lengths - 1)[:, None] - reach).ravel()
    ext = np.take(src_cols, src, axis=1)
    first = sig[:, starts].repeat(pad, axis=1)
    last = sig[:, starts + lengths - 1].repeat(pad, axis=1)
    ext[:, left_dest] = 2 * first - ext[:, left_dest]
    ext[:, right_dest] = 2 * last - ext[:, right_dest]
    # forward-backward pass, each started in steady state at its first value (the padding
    # absorbs what remains of the start-up, as in scipy.signal.sosfiltfilt); the backward
    # pass filters the reversed forward output
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    zi = _sos_zi(sos.tobytes(), sos.shape[0])
    fwd = _sosfilt_steady(sos, ext, zi)
    rev = _sosfilt_steady(sos, fwd[:, ::-1], zi)
    # segment sample k of the contiguous layout sits at extended position k + shift[seg],
    # which rev holds at total - 1 - that
    body_dest = np.arange(offsets[-1] + lengths[-1]) + np.repeat(shift, lengths)
    filtered = np.take(rev, (total - 1) - body_dest, axis=1)
    if tiled:
        return filtered.reshape(x.shape)
    res = sig.copy()
    res[:, body] = filtered
    return res.reshape(x.shape)


def _sosfilt_steady(sos: np.ndarray, rows: np.ndarray, zi_unit: np.ndarray) -> np.ndarray:
    """Each row of `rows` filtered with `sos` (:func:`scipy.signal.sosfilt`), every row
    started in steady state at its first value (``zi_unit * rows[:, 0]``)."""
    zi = zi_unit[:, None, :] * rows[None, :, :1]  # (sections, k, 2)
    out, _ = signal.sosfilt(sos, rows, axis=-1, zi=zi)
    return np.asarray(out)


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


def _segment_indices(segments: Segments) -> np.ndarray:
    """Indices of every sample inside the segments, in order."""
    total = int(segments.lengths.sum())
    offsets = np.concatenate(([0], np.cumsum(segments.lengths)[:-1]))
    if np.array_equal(offsets, segments.starts):
        return np.arange(total)
    seg_of = np.repeat(np.arange(segments.count), segments.lengths)
    return np.arange(total) + (segments.starts - offsets)[seg_of]


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
