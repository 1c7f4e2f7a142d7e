"""Pen lifts and writing strokes (docs/science.md §4; Mai & Marquardt, CSWin; MovAlyzeR).

Writing strokes are the pieces of a pen-down segment between zero crossings of the vertical
velocity. Every function here works on all strokes at once: boundaries come from boolean masks,
per-stroke sums and extrema from :func:`numpy.add.reduceat` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocess.segments import Segments

__all__ = ["PenRuns", "Strokes", "pen_runs", "segment_strokes"]

#: Strokes shorter than this are merged with their neighbours (docs/science.md §4, our choice).
MIN_STROKE_DURATION_S = 0.030
#: Strokes smaller than this vertically are merged with their neighbours (our choice).
MIN_STROKE_SIZE_MM = 0.3
#: Speed ripples smaller than this share of a stroke's peak speed are not velocity peaks.
MIN_PEAK_RISE = 0.02


@dataclass(frozen=True)
class PenRuns:
    """Maximal pen-down runs of a recording (on-surface strokes) and the pauses between them."""

    count: int
    down_time_s: float
    in_air_time_s: float
    in_air_path_mm: float


def pen_runs(t: np.ndarray, x: np.ndarray, y: np.ndarray, runs: Segments) -> PenRuns:
    """Summaries of on-surface strokes and in-air intervals.

    Parameters
    ----------
    t, x, y : ndarray
        Time-sorted samples (s, mm).
    runs : Segments
        Maximal pen-down runs (:func:`kinewrite.analysis.preprocess.runs`).

    Returns
    -------
    PenRuns
        In-air time is the sum of the intervals from the end of one pen-down run to the
        start of the next; pen-up before the first run and after the last does not count.
        In-air path is the straight distance across each interval plus the hover path
        recorded inside it, when hover samples exist.

    Examples
    --------
    Two pen-down runs at 10 Hz, 0.1 s each, with 0.3 s in the air between them:

    >>> import numpy as np
    >>> from kinewrite.analysis.preprocess import runs
    >>> t = np.arange(6) / 10
    >>> r = pen_runs(t, np.zeros(6), np.zeros(6), runs(np.array([1, 1, 0, 0, 1, 1], bool)))
    >>> r.count, round(r.down_time_s, 6), round(r.in_air_time_s, 6)
    (2, 0.2, 0.3)
    """
    if runs.count == 0:
        return PenRuns(0, 0.0, float("nan"), float("nan"))
    first, last = runs.starts, runs.stops - 1
    down = float(np.sum(t[last] - t[first]))
    if runs.count == 1:
        return PenRuns(1, down, 0.0, 0.0)
    air_time = float(np.sum(t[first[1:]] - t[last[:-1]]))
    step = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate(([0.0], np.cumsum(step)))
    air_path = float(np.sum(cum[first[1:]] - cum[last[:-1]]))
    return PenRuns(int(runs.count), down, air_time, air_path)


@dataclass(frozen=True)
class Strokes:
    """Per-stroke measures; every attribute is an array with one value per stroke."""

    start: np.ndarray  # first sample index
    stop: np.ndarray  # one past the last sample index
    t_start: np.ndarray  # s, interpolated crossing time
    duration_s: np.ndarray
    vertical_size_mm: np.ndarray
    peak_vertical_speed_mm_s: np.ndarray
    peak_speed_mm_s: np.ndarray
    path_length_mm: np.ndarray
    jerk_sq_integral: np.ndarray  # ∫ (j_x² + j_y²) dt, mm²/s⁵
    niv: np.ndarray
    nca: np.ndarray

    @property
    def count(self) -> int:
        return int(self.start.size)


def segment_strokes(
    t: np.ndarray,
    y: np.ndarray,
    vy: np.ndarray,
    speed: np.ndarray,
    tangential_acc: np.ndarray,
    jerk_sq: np.ndarray,
    rate_hz: float,
    segments: Segments,
    min_duration_s: float = MIN_STROKE_DURATION_S,
    min_size_mm: float = MIN_STROKE_SIZE_MM,
    min_peak_rise: float = MIN_PEAK_RISE,
) -> Strokes:
    """Split pen-down segments into writing strokes at zero crossings of vertical velocity.

    Crossing times are interpolated linearly between samples. Neighbouring crossings closer
    than `min_duration_s` in time or `min_size_mm` in height form a cluster (noise around a
    turning point): a cluster of an odd number of crossings keeps its middle one, a cluster
    of an even number (a wiggle that returns) keeps none; a cluster touching a segment end is
    absorbed by it. Strokes still shorter than `min_duration_s` (dots) are dropped.

    Parameters
    ----------
    t, y, vy, speed, tangential_acc, jerk_sq : ndarray
        Uniformly resampled, low-passed signals: time (s), vertical position (mm, baseline
        horizontal), vertical velocity (mm/s), tangential speed (mm/s), tangential
        acceleration d|v|/dt (mm/s²) and squared jerk magnitude (mm²/s⁶).
    rate_hz : float
        Sample rate of the signals.
    segments : Segments
        Continuous pen-down segments tiling the signals.
    min_duration_s, min_size_mm : float
        Merge thresholds (docs/science.md §4: 30 ms, 0.3 mm).
    min_peak_rise : float, default 0.02
        A speed maximum counts towards NIV only if speed rises to it and falls from it by at
        least this fraction of the stroke's peak speed (our choice: ripples below 2 % are
        noise, not an inversion; docs/science.md expects NIV = 1.00 for fluent loops carrying
        0.2 mm of tremor).

    Returns
    -------
    Strokes

    Notes
    -----
    NIV is the number of local maxima of tangential speed inside the stroke, at least 1
    (a stroke whose speed only falls or only rises peaks at its edge); a maximum counts when
    the speed rises to it from the previous minimum (or the stroke's start) and falls from it
    to the next minimum (or the stroke's end) by `min_peak_rise` of the stroke's peak speed.
    NCA is the number of local extrema of tangential acceleration inside the stroke. Both
    follow Mai & Marquardt (CSWin) as summarised in docs/science.md §4.

    Examples
    --------
    y = 3 sin(2π·2t) mm while moving right at 10 mm/s, 3 s at 200 Hz: a stroke every quarter
    of a second between the zero crossings of v_y (plus the two end pieces), 6 mm tall:

    >>> t = np.arange(600) / 200
    >>> w = 2 * np.pi * 2.0
    >>> y, vy = 3 * np.sin(w * t), 3 * w * np.cos(w * t)
    >>> speed = np.hypot(10.0, vy)
    >>> acc = vy * (-3 * w**2 * np.sin(w * t)) / speed
    >>> s = segment_strokes(t, y, vy, speed, acc, (3 * w**3 * np.cos(w * t)) ** 2, 200.0,
    ...                     Segments(np.array([0]), np.array([600])))
    >>> s.count, round(float(np.median(s.duration_s)), 3), round(float(s.vertical_size_mm[1]), 1)
    (13, 0.25, 6.0)
    >>> s.niv[1:-1].tolist() == [1] * 11
    True
    """
    n = t.size
    if n == 0 or segments.count == 0:
        return _empty_strokes()
    seg_of = np.repeat(np.arange(segments.count), segments.lengths)
    same_seg = seg_of[1:] == seg_of[:-1]
    up = vy >= 0
    cross = np.flatnonzero((up[1:] != up[:-1]) & same_seg)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = vy[cross] / (vy[cross] - vy[cross + 1])
    frac = np.nan_to_num(frac, nan=0.5)
    tc = t[cross] + frac / rate_hz
    yc = y[cross] + frac * (y[cross + 1] - y[cross])
    cseg = seg_of[cross]
    keep = _resolve_clusters(tc, yc, cseg, t, y, segments, min_duration_s, min_size_mm)
    cross, tc = cross[keep], tc[keep]
    cseg = cseg[keep]

    # boundaries: segment starts, kept crossings, segment ends (in time order)
    seg_first = segments.starts
    seg_last = segments.starts + segments.lengths - 1
    b_idx = np.concatenate((seg_first, cross + 1))
    b_time = np.concatenate((t[seg_first], tc))
    b_seg = np.concatenate((np.arange(segments.count), cseg))
    order = np.lexsort((b_time, b_seg))
    start, t_start, s_seg = b_idx[order], b_time[order], b_seg[order]
    is_last_of_seg = np.ones(start.size, dtype=bool)
    is_last_of_seg[:-1] = s_seg[1:] != s_seg[:-1]
    stop = np.where(is_last_of_seg, seg_last[s_seg] + 1, np.roll(start, -1))
    t_end = np.where(is_last_of_seg, t[seg_last[s_seg]], np.roll(t_start, -1))
    duration = t_end - t_start
    ok = duration >= min_duration_s
    start, stop, t_start, duration = start[ok], stop[ok], t_start[ok], duration[ok]
    if start.size == 0:
        return _empty_strokes()

    # sample-level markers, computed once over the whole signal
    inner = np.zeros(n, dtype=bool)
    inner[1:-1] = same_seg[:-1] & same_seg[1:]
    speed_max = _significant_maxima(speed, inner, start, stop, min_peak_rise)
    da = np.diff(tangential_acc)
    acc_ext = np.zeros(n, dtype=bool)
    acc_ext[1:-1] = (da[:-1] * da[1:] < 0) | ((da[:-1] != 0) & (da[1:] == 0))
    acc_ext &= inner

    dt = 1.0 / rate_hz
    idx = start  # reduceat takes the start of each range; ranges are disjoint, in order
    # samples between strokes (dropped dots) must not leak into the previous stroke's sums
    member = np.zeros(n + 1, dtype=np.int64)
    np.add.at(member, start, 1)
    np.add.at(member, stop, -1)
    inside = np.cumsum(member[:-1]) > 0
    gapless = bool(inside[start[0]:].all())  # usual case: strokes tile every sample from the first

    def total(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values if gapless else np.where(inside, values, 0), idx)

    def peak(values: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(values if gapless else np.where(inside, values, -np.inf), idx)

    y_max = peak(y)
    y_min = -peak(-y)
    niv = np.maximum(total(speed_max.astype(np.int64)), 1)
    nca = total(acc_ext.astype(np.int64))
    return Strokes(
        start=start,
        stop=stop,
        t_start=t_start,
        duration_s=duration,
        vertical_size_mm=y_max - y_min,
        peak_vertical_speed_mm_s=peak(np.abs(vy)),
        peak_speed_mm_s=peak(speed),
        path_length_mm=total(speed) * dt,
        jerk_sq_integral=total(jerk_sq) * dt,
        niv=niv,
        nca=nca,
    )


def _significant_maxima(
    speed: np.ndarray, inner: np.ndarray, start: np.ndarray, stop: np.ndarray, rise: float
) -> np.ndarray:
    """Local maxima of speed that rise and fall by `rise` x the stroke's peak speed."""
    n = speed.size
    is_max = np.zeros(n, dtype=bool)
    is_min = np.zeros(n, dtype=bool)
    is_max[1:-1] = (speed[1:-1] > speed[:-2]) & (speed[1:-1] >= speed[2:])
    is_min[1:-1] = (speed[1:-1] < speed[:-2]) & (speed[1:-1] <= speed[2:])
    is_max &= inner
    is_min &= inner
    ext = np.flatnonzero(is_max | is_min)
    stroke = np.searchsorted(start, ext, side="right") - 1
    valid = (stroke >= 0) & (ext < stop[np.maximum(stroke, 0)])
    ext, stroke = ext[valid], stroke[valid]
    if ext.size == 0:
        return np.zeros(n, dtype=bool)
    peak = np.maximum.reduceat(speed, start) if start.size else np.zeros(0)
    # the previous / next extremum of the same stroke, else the stroke's end sample
    prev_val = np.where(
        np.r_[False, stroke[1:] == stroke[:-1]], speed[np.r_[ext[:1], ext[:-1]]],
        speed[start[stroke]],
    )
    next_val = np.where(
        np.r_[stroke[:-1] == stroke[1:], False], speed[np.r_[ext[1:], ext[-1:]]],
        speed[stop[stroke] - 1],
    )
    threshold = rise * peak[stroke]
    v = speed[ext]
    keep = is_max[ext] & (v - prev_val >= threshold) & (v - next_val >= threshold)
    out = np.zeros(n, dtype=bool)
    out[ext[keep]] = True
    return out


def _resolve_clusters(
    tc: np.ndarray,
    yc: np.ndarray,
    cseg: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    segments: Segments,
    min_duration_s: float,
    min_size_mm: float,
) -> np.ndarray:
    """Mask of the crossings that survive the merge rule of :func:`segment_strokes`."""
    m = tc.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    close = np.zeros(m, dtype=bool)  # close[k]: crossing k joins crossing k-1's cluster
    close[1:] = (cseg[1:] == cseg[:-1]) & (
        ((tc[1:] - tc[:-1]) < min_duration_s) | (np.abs(yc[1:] - yc[:-1]) < min_size_mm)
    )
    first = np.flatnonzero(~close)
    size = np.diff(np.append(first, m))
    middle = first + size // 2
    keep_cluster = (size % 2) == 1
    # clusters touching a segment's start or end are absorbed by it
    seg_first = segments.starts
    seg_last = segments.starts + segments.lengths - 1
    last = first + size - 1
    s = cseg[first]
    first_in_seg = np.ones(first.size, dtype=bool)
    first_in_seg[1:] = s[1:] != s[:-1]
    last_in_seg = np.ones(first.size, dtype=bool)
    last_in_seg[:-1] = s[1:] != s[:-1]
    near_start = first_in_seg & (
        ((tc[first] - t[seg_first[s]]) < min_duration_s)
        | (np.abs(yc[first] - y[seg_first[s]]) < min_size_mm)
    )
    near_end = last_in_seg & (
        ((t[seg_last[s]] - tc[last]) < min_duration_s)
        | (np.abs(y[seg_last[s]] - yc[last]) < min_size_mm)
    )
    keep_cluster &= ~(near_start | near_end)
    keep = np.zeros(m, dtype=bool)
    keep[middle[keep_cluster]] = True
    return keep


def _empty_strokes() -> Strokes:
    e_i = np.zeros(0, dtype=np.int64)
    e_f = np.zeros(0)
    return Strokes(e_i, e_i, e_f, e_f, e_f, e_f, e_f, e_f, e_f, e_i, e_i)
