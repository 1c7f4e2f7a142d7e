"""The segmented zero-phase Butterworth filter and its settling length (docs/science.md §2).

:func:`filtfilt_segments` filters every segment at once (low-pass before differentiating,
high-pass to isolate tremor); :func:`settle_samples` is the padding a segment needs for the
filter's transient to decay.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from .segments import Segments

__all__ = [
    "butter_sos",
    "filtfilt_segments",
    "settle_samples",
]

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

    Examples
    --------
    >>> settle_samples(12.0, 200.0), settle_samples(9.0, 20.0)
    (71, 85)
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


def _segment_indices(segments: Segments) -> np.ndarray:
    """Indices of every sample inside the segments, in order."""
    total = int(segments.lengths.sum())
    offsets = np.concatenate(([0], np.cumsum(segments.lengths)[:-1]))
    if np.array_equal(offsets, segments.starts):
        return np.arange(total)
    seg_of = np.repeat(np.arange(segments.count), segments.lengths)
    return np.arange(total) + (segments.starts - offsets)[seg_of]
