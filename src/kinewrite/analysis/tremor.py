"""Tremor: spectral peak, amplitude and axis of the oscillation on top of the writing movement
(docs/science.md §5).

The voluntary movement is removed by a zero-phase high-pass (default 2 Hz) of x and y inside
each pen-down segment; the power spectral density of what remains is estimated by Welch's
method over frames of all segments at once, x and y summed, so a tremor along any axis counts
in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .preprocess.filters import butter_sos, filtfilt_segments, settle_samples
from .preprocess.segments import Segments

__all__ = ["TremorResult", "detect_tremor", "exclusion_half_width_hz", "highpass",
           "welch_segments"]

BAND_HZ = (3.0, 12.0)
#: Peak must stand this many times above the band's median power (our choice, docs/science.md §5).
DETECTION_FACTOR = 4.0
HIGHPASS_HZ = 2.0
FRAME_S = 2.0
MIN_FRAME_S = 1.0
AMPLITUDE_HALF_WIDTH_HZ = 1.0
#: Each excluded frequency (the stroke rhythm) leaves out +- this much, at least one bin.
EXCLUDE_HALF_WIDTH_HZ = 0.5


@dataclass(frozen=True)
class TremorResult:
    """Outcome of :func:`detect_tremor`; spectra are kept for plotting."""

    detected: float  # 1.0, 0.0, or NaN when the trial is too short for a spectrum
    frequency_hz: float
    amplitude_rms_mm: float
    axis_deg: float
    freqs_hz: np.ndarray
    power_mm2_per_hz: np.ndarray  # x and y summed
    #: The detection threshold: `factor` x the band's median power (NaN without a band).
    threshold_mm2_per_hz: float = float("nan")

    @property
    def amplitude_pp_mm(self) -> float:
        """Peak-to-peak amplitude, 2√2 · RMS (exact for a sinusoid)."""
        return 2.0 * np.sqrt(2.0) * self.amplitude_rms_mm


def exclusion_half_width_hz(freqs_hz: np.ndarray) -> float:
    """How far either side of an excluded frequency the peak search is blind: 0.5 Hz, or
    one frequency bin when the bins are coarser (frames shorter than 2 s).

    Examples
    --------
    >>> exclusion_half_width_hz(np.arange(0, 25.5, 0.5)), exclusion_half_width_hz(np.arange(26.0))
    (0.5, 1.0)
    """
    df = float(freqs_hz[1] - freqs_hz[0]) if np.size(freqs_hz) > 1 else 0.0
    return max(EXCLUDE_HALF_WIDTH_HZ, df)


def highpass(
    x: np.ndarray, segments: Segments, rate_hz: float, cutoff_hz: float = HIGHPASS_HZ
) -> np.ndarray:
    """Zero-phase 4th-order Butterworth high-pass of every segment of `x` (1-D or (k, n)).

    Examples
    --------
    A 2 Hz high-pass removes a slow 0.2 Hz movement and keeps a 6 Hz tremor:

    >>> import numpy as np
    >>> t = np.arange(0, 10, 1 / 50)
    >>> slow, fast = 10 * np.sin(2 * np.pi * 0.2 * t), 0.3 * np.sin(2 * np.pi * 6 * t)
    >>> out = highpass(slow + fast, Segments(np.array([0]), np.array([t.size])), 50.0)
    >>> bool(np.max(np.abs(out[100:-100] - fast[100:-100])) < 0.01)
    True
    """
    sos = butter_sos(cutoff_hz, rate_hz, 4, "highpass")
    return filtfilt_segments(x, segments, sos,
                             settle_samples(cutoff_hz, rate_hz, 4, 8.0, "highpass"))


def welch_segments(
    signals: np.ndarray, segments: Segments, rate_hz: float, nperseg: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Welch cross-spectral matrix over frames taken from every segment at once.

    Hann window, 50 % overlap, mean removed per frame, one-sided density scaling (as
    :func:`scipy.signal.welch`), averaged over all frames of all segments long enough for one.

    Parameters
    ----------
    signals : ndarray, shape (k, n)
        Concatenated segments of k channels.
    segments : Segments
    rate_hz : float
    nperseg : int
        Frame length in samples.

    Returns
    -------
    freqs_hz : ndarray
    csd : ndarray, shape (k, k, n_freqs), complex
        Cross-spectral densities (units² / Hz); the diagonal holds the power spectra.
    n_frames : int

    Examples
    --------
    The density of a 0.4 mm sine sums to its mean square 0.4² / 2 over its peak (Parseval):

    >>> import numpy as np
    >>> t = np.arange(0, 20, 1 / 50)
    >>> x = 0.4 * np.sin(2 * np.pi * 7 * t)[None, :]
    >>> f, csd, frames = welch_segments(x, Segments(np.array([0]), np.array([t.size])), 50.0, 100)
    >>> near = np.abs(f - 7) <= 1
    >>> round(float(csd[0, 0, near].real.sum() * (f[1] - f[0])), 4), frames
    (0.08, 19)
    """
    step = max(nperseg // 2, 1)
    eligible = segments.lengths >= nperseg
    starts, lengths = segments.starts[eligible], segments.lengths[eligible]
    per_seg = (lengths - nperseg) // step + 1
    seg = np.repeat(np.arange(starts.size), per_seg)
    first = np.concatenate(([0], np.cumsum(per_seg)[:-1]))
    k = np.arange(per_seg.sum()) - np.repeat(first, per_seg)
    frame_start = starts[seg] + k * step
    window = signal.get_window("hann", nperseg)
    scale = 1.0 / (rate_hz * np.sum(window**2))
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate_hz)
    n_ch = signals.shape[0]
    if frame_start.size == 0:
        return freqs, np.zeros((n_ch, n_ch, freqs.size), complex), 0
    idx = frame_start[:, None] + np.arange(nperseg)[None, :]
    spectra = []
    for ch in range(n_ch):  # loop over channels (x, y), not frames
        frames = signals[ch][idx]
        frames = frames - frames.mean(axis=1, keepdims=True)
        spectra.append(np.fft.rfft(frames * window, axis=1))
    csd = np.empty((n_ch, n_ch, freqs.size), complex)
    for a in range(n_ch):
        for b in range(n_ch):
            csd[a, b] = np.mean(spectra[a] * np.conj(spectra[b]), axis=0) * scale
    csd[:, :, 1:] *= 2.0
    if nperseg % 2 == 0:
        csd[:, :, -1] /= 2.0
    return freqs, csd, int(frame_start.size)


def detect_tremor(
    xy: np.ndarray,
    segments: Segments,
    rate_hz: float,
    exclude_hz: np.ndarray | None = None,
    band_hz: tuple[float, float] = BAND_HZ,
    factor: float = DETECTION_FACTOR,
    highpass_hz: float = HIGHPASS_HZ,
    frame_s: float = FRAME_S,
    min_frame_s: float = MIN_FRAME_S,
) -> TremorResult:
    """Find a tremor in pen-down positions.

    Parameters
    ----------
    xy : ndarray, shape (2, n) or (k, n)
        Uniformly resampled pen-down positions x, y in mm (not low-passed), concatenated
        segments. Any k channels are accepted, their power summed: ``(1, n)`` pressure
        gives the pressure signal's tremor peak (``docs/analysis.md``), its amplitude in the
        pressure's own unit and no axis (NaN).
    segments : Segments
    rate_hz : float
    exclude_hz : ndarray, optional
        Frequencies to leave out of the peak search, ±0.5 Hz each (the stroke frequency and
        its harmonics in writing tasks, where normal handwriting oscillates in the tremor
        band).
    band_hz : (float, float), default (3, 12)
    factor : float, default 4
        Detection threshold: peak power over the band's median power.
    highpass_hz : float, default 2
    frame_s, min_frame_s : float
        Welch frames last `frame_s`, or the longest segment if shorter, but at least
        `min_frame_s` (else there is no spectrum and every result is NaN).

    Returns
    -------
    TremorResult
        The peak is the largest local maximum of the summed x+y power inside the band,
        refined by parabolic interpolation of log-power; it is a tremor when it is not on a
        band edge and stands `factor` times above the band's median power (that level is
        ``threshold_mm2_per_hz``). Amplitude is
        ``sqrt(Σ P·Δf)`` over the peak ± 1 Hz; the axis is the principal direction of the
        cross-spectral matrix over the same bins, in degrees from the x axis, in [0, 180).

    References
    ----------
    Welch PD (1967). IEEE Trans Audio Electroacoust 15:70-73. Elble RJ, Ellenbogen A (2017).
    Digitizing tablet and Fahn-Tolosa-Marín ratings of Archimedes spirals have comparable
    minimum detectable change in essential tremor. Tremor Other Hyperkinet Mov 7:481.

    Examples
    --------
    A 0.3 mm sine at 6 Hz along x for 10 s at 50 Hz: 6 Hz, RMS 0.3 / √2, axis 0°.

    >>> import numpy as np
    >>> t = np.arange(0, 10, 1 / 50)
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack((0.3 * np.sin(2 * np.pi * 6 * t), np.zeros(t.size)))
    >>> xy = xy + rng.normal(0, 0.005, xy.shape)   # sensor noise
    >>> r = detect_tremor(xy, Segments(np.array([0]), np.array([t.size])), 50.0)
    >>> r.detected, round(r.frequency_hz, 2), round(r.amplitude_rms_mm, 3), round(r.axis_deg)
    (1.0, 6.0, 0.212, 0)
    """
    nan = float("nan")
    empty = TremorResult(nan, nan, nan, nan, np.zeros(0), np.zeros(0))
    longest = int(segments.lengths.max()) if segments.count else 0
    nperseg = min(round(frame_s * rate_hz), longest)
    if nperseg < round(min_frame_s * rate_hz):
        return empty
    eligible = segments.lengths >= nperseg
    long_segments = Segments(segments.starts[eligible], segments.lengths[eligible])
    xy_high = highpass(xy, long_segments, rate_hz, highpass_hz)
    freqs, csd, _ = welch_segments(xy_high, long_segments, rate_hz, nperseg)
    power = np.einsum("iif->f", csd).real  # every channel summed (x + y)
    df = freqs[1] - freqs[0]
    in_band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    band_idx = np.flatnonzero(in_band)
    if band_idx.size < 3:
        return TremorResult(nan, nan, nan, nan, freqs, power)
    searchable = in_band.copy()
    if exclude_hz is not None and np.size(exclude_hz):
        ex = np.asarray(exclude_hz, dtype=float)
        near = (np.abs(freqs[:, None] - ex[None, :]).min(axis=1)
                <= exclusion_half_width_hz(freqs))
        searchable &= ~near
    is_max = np.zeros(freqs.size, dtype=bool)
    is_max[1:-1] = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    # a maximum on the band's edge is leakage from the movement, not a peak
    interior = searchable.copy()
    interior[band_idx[0]] = interior[band_idx[-1]] = False
    candidates = np.flatnonzero(is_max & interior)
    median_power = float(np.median(power[in_band]))
    threshold = factor * median_power
    if candidates.size == 0 or median_power <= 0:
        return TremorResult(0.0, nan, nan, nan, freqs, power, threshold)
    c = int(candidates[np.argmax(power[candidates])])
    if power[c] < threshold:
        return TremorResult(0.0, nan, nan, nan, freqs, power, threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log(power[c - 1 : c + 2])
        denom = lp[0] - 2 * lp[1] + lp[2]
        delta = 0.5 * (lp[0] - lp[2]) / denom if denom < 0 else 0.0
    f_peak = float(freqs[c] + np.clip(delta, -0.5, 0.5) * df)
    near_peak = np.abs(freqs - f_peak) <= AMPLITUDE_HALF_WIDTH_HZ
    rms = float(np.sqrt(np.sum(power[near_peak]) * df))
    axis = nan
    if csd.shape[0] == 2:  # x and y: the principal direction of the oscillation
        sxx = float(np.sum(csd[0, 0, near_peak].real))
        syy = float(np.sum(csd[1, 1, near_peak].real))
        sxy = float(np.sum(csd[0, 1, near_peak].real))
        axis = float(np.degrees(0.5 * np.arctan2(2 * sxy, sxx - syy)) % 180.0)
    return TremorResult(1.0, f_peak, rms, axis, freqs, power, threshold)
