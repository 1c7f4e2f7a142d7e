"""Realistic synthetic handwriting with known ground truth.

Every trial is built in two layers, as a tablet would see it:

1. A movement, a smooth function of true time: loops at a chosen frequency, an Archimedes
   spiral, superimposed circles, straight lines or a sentence of minimum-jerk strokes, with
   pen lifts and hover in between, plus optional tremor of chosen frequency, amplitude and axis,
   sensor noise, and a pen-pressure profile with drift, quantization and saturation.
2. A tablet clock: a fixed hardware rate, host jitter, timestamps rounded to whole ms,
   coalesced events sharing one timestamp, and gaps of lost samples.

:func:`simulate_trial` returns the :class:`~kinewrite.model.Recording` together with the truth
it was built from, which the tests compare features against.

References
----------
Flash T, Hogan N (1985). The coordination of arm movements: an experimentally confirmed
mathematical model. J Neurosci 5:1688-1703 (minimum-jerk strokes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import TASKS, Recording

__all__ = ["SimulatedTrial", "minimum_jerk", "simulate_trial", "tablet_clock"]


@dataclass(frozen=True)
class SimulatedTrial:
    """A synthetic recording and the truth it was built from."""

    task: str
    recording: Recording
    truth: dict[str, float] = field(default_factory=dict)


def minimum_jerk(tau: np.ndarray) -> np.ndarray:
    """Normalized minimum-jerk position profile ``6τ⁵ - 15τ⁴ + 10τ³`` for τ in [0, 1]."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau**3 * (10 - 15 * tau + 6 * tau**2)


def tablet_clock(
    seconds: float,
    rng: np.random.Generator,
    rate_hz: float = 133.0,
    quantize_ms: float = 1.0,
    jitter_ms: float = 0.3,
    duplicate_fraction: float = 0.01,
    gaps: int = 0,
    gap_s: float = 0.08,
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling instants and the timestamps an application would receive.

    Parameters
    ----------
    seconds : float
        Length of the recording in s.
    rng : numpy.random.Generator
    rate_hz : float, default 133
        Hardware sample rate.
    quantize_ms : float, default 1
        Timestamps are rounded down to this resolution (0 for none).
    jitter_ms : float, default 0.3
        SD of the host's delivery delay (absolute value of a normal variable).
    duplicate_fraction : float, default 0.01
        Share of samples delivered late together with the next one, sharing its timestamp.
    gaps : int, default 0
        Number of gaps of lost samples.
    gap_s : float, default 0.08
        Duration of each gap.

    Returns
    -------
    t_true : ndarray
        The instants at which the positions were sampled (s).
    t_stamp : ndarray
        The timestamps delivered with them (s).
    """
    n = int(np.floor(seconds * rate_hz)) + 1
    t_true = np.arange(n) / rate_hz
    delay = np.abs(rng.normal(0.0, jitter_ms * 1e-3, n)) if jitter_ms > 0 else np.zeros(n)
    stamp = t_true + delay
    if quantize_ms > 0:
        q = quantize_ms * 1e-3
        stamp = np.floor(stamp / q + 1e-9) * q
    if duplicate_fraction > 0 and n > 2:
        late = np.flatnonzero(rng.random(n - 1) < duplicate_fraction)
        stamp[late] = stamp[late + 1]
    stamp = np.maximum.accumulate(stamp)  # delivery order is time order
    keep = np.ones(n, dtype=bool)
    if gaps > 0:
        width = max(round(gap_s * rate_hz), 4)
        starts = rng.choice(np.arange(n // 10, n - n // 10 - width), size=gaps, replace=False)
        for s in starts:  # a handful of gaps, not a loop over samples
            keep[s : s + width] = False
    return t_true[keep], stamp[keep]


def _loops(t: np.ndarray, loop_hz: float, height_mm: float, advance_mm: float) -> tuple:
    """Cursive 'llll': y = -H/2 cos(ωt), x = c t + R sin(ωt) (one speed peak per stroke)."""
    w = 2 * np.pi * loop_hz
    x = advance_mm * loop_hz * t + 0.3 * height_mm * np.sin(w * t)
    y = -0.5 * height_mm * np.cos(w * t)
    return x, y, np.ones(t.size, dtype=bool)


def _spiral(t: np.ndarray, seconds: float, turns: float, outer_mm: float, a_mm: float) -> tuple:
    """Archimedes spiral r = a + bθ drawn outward at constant linear speed."""
    theta_end = 2 * np.pi * turns
    b = (outer_mm - a_mm) / theta_end
    arc_end = a_mm * theta_end + 0.5 * b * theta_end**2
    s = arc_end * np.clip(t / seconds, 0, 1)
    theta = (-a_mm + np.sqrt(a_mm**2 + 2 * b * s)) / b
    r = a_mm + b * theta
    return r * np.cos(theta), r * np.sin(theta), np.ones(t.size, dtype=bool)


def _circles(t: np.ndarray, circle_hz: float, radius_mm: float) -> tuple:
    w = 2 * np.pi * circle_hz
    return (radius_mm * np.cos(w * t), radius_mm * np.sin(w * t),
            np.ones(t.size, dtype=bool))


def _via_points(
    t: np.ndarray, knots_t: np.ndarray, knots_x: np.ndarray, knots_y: np.ndarray,
    down: np.ndarray,
) -> tuple:
    """Piecewise minimum-jerk movement through via-points (rest at each), pen state per piece."""
    k = np.clip(np.searchsorted(knots_t, t, side="right") - 1, 0, knots_t.size - 2)
    tau = (t - knots_t[k]) / (knots_t[k + 1] - knots_t[k])
    s = minimum_jerk(tau)
    x = knots_x[k] + (knots_x[k + 1] - knots_x[k]) * s
    y = knots_y[k] + (knots_y[k + 1] - knots_y[k]) * s
    return x, y, down[k]


def _lines_knots(n_lines: int, length_mm: float, stroke_s: float, air_s: float) -> tuple:
    """Vertical downward lines, pen lifted and carried back up 5 mm to the right between."""
    kt, kx, ky, down = [0.0], [0.0], [length_mm], []
    for i in range(n_lines):  # builds the script of a few dozen knots
        kt.append(kt[-1] + stroke_s)
        kx.append(5.0 * i)
        ky.append(0.0)
        down.append(True)
        if i < n_lines - 1:
            kt.append(kt[-1] + air_s)
            kx.append(5.0 * (i + 1))
            ky.append(length_mm)
            down.append(False)
    return np.array(kt), np.array(kx), np.array(ky), np.array(down)


def _sentence_knots(
    rng: np.random.Generator, seconds: float, stroke_hz: float, words: int
) -> tuple:
    """Words of alternating up/down strokes of varied height, pen lifted between words."""
    stroke_s = 1.0 / (2 * stroke_hz)
    air_s = 0.25
    total_strokes = int((seconds - (words - 1) * air_s) / stroke_s)
    per_word = np.full(words, total_strokes // words)
    per_word[: total_strokes % words] += 1
    kt, kx, ky, down = [0.0], [0.0], [0.0], []
    for count in per_word:  # a script of knots, built once per trial
        for j in range(int(count)):
            kt.append(kt[-1] + stroke_s)
            kx.append(kx[-1] + 1.6)
            ky.append(float(rng.uniform(3.0, 7.0)) if j % 2 == 0 else 0.0)
            down.append(True)
        if ky[-1] != 0.0:  # end each word on the baseline
            kt.append(kt[-1] + stroke_s)
            kx.append(kx[-1] + 1.6)
            ky.append(0.0)
            down.append(True)
        kt.append(kt[-1] + air_s)
        kx.append(kx[-1] + 6.0)
        ky.append(0.0)
        down.append(False)
    return np.array(kt[:-1]), np.array(kx[:-1]), np.array(ky[:-1]), np.array(down[:-1])


#: Duration of a simulated trial per task when none is asked for, s.
DEFAULT_SECONDS = {"spiral": 15.0, "loops": 10.0, "sentence": 20.0, "circles": 30.0,
                   "lines": 8.0, "free": 20.0}


def simulate_trial(
    task: str = "loops",
    seconds: float | None = None,
    *,
    seed: int | None = None,
    rate_hz: float = 133.0,
    quantize_ms: float = 1.0,
    jitter_ms: float = 0.3,
    duplicate_fraction: float = 0.01,
    gaps: int = 0,
    noise_mm: float = 0.01,
    tremor_hz: float | None = None,
    tremor_mm: float = 0.0,
    tremor_axis_deg: float = 45.0,
    loop_hz: float = 2.5,
    stroke_hz: float = 4.5,
    circle_hz: float = 1.5,
    spiral_turns: float = 5.0,
    pressure_mean: float = 0.35,
    pressure_drift_per_s: float = 0.0,
    pressure_levels: int = 1024,
    rotation_deg: float = 0.0,
) -> SimulatedTrial:
    """A synthetic trial of one of the standard tasks, sampled like a real tablet.

    Parameters
    ----------
    task : {"spiral", "loops", "sentence", "circles", "lines", "free"}
    seconds : float, optional
        Duration; per task defaults: spiral 15, loops 10, sentence 20, circles 30, lines 8,
        free 20.
    seed : int, optional
        Seed of the random generator (jitter, duplicates, noise, stroke heights).
    rate_hz, quantize_ms, jitter_ms, duplicate_fraction, gaps
        Tablet timing (:func:`tablet_clock`).
    noise_mm : float, default 0.01
        SD of white sensor noise on x and y, mm.
    tremor_hz, tremor_mm, tremor_axis_deg
        A sinusoidal tremor of this frequency, peak amplitude (mm) and axis (degrees from x).
    loop_hz : float, default 2.5
        Loop cycles per second (task loops).
    stroke_hz : float, default 4.5
        Writing cycles per second (tasks sentence and free).
    circle_hz : float, default 1.5
        Circles per second (task circles).
    spiral_turns : float, default 5
    pressure_mean : float, default 0.35
        Mean pen-down pressure at the start, fraction of the device range.
    pressure_drift_per_s : float, default 0
        Linear drift of pressure, fraction per s; values above the device range saturate.
    pressure_levels : int, default 1024
        Quantization of pressure.
    rotation_deg : float, default 0
        Rotate the whole drawing (a slanted sheet).

    Returns
    -------
    SimulatedTrial
        ``truth`` holds what the movement was built with (``stroke_frequency_hz``,
        ``tremor_frequency_hz``, ``tremor_amplitude_rms_mm``, ``pen_lifts`` ...).
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    seconds = float(DEFAULT_SECONDS[task] if seconds is None else seconds)
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    rng = np.random.default_rng(seed)
    truth: dict[str, float] = {"sample_rate_hz": rate_hz, "gap_count": float(gaps)}
    if task == "lines":
        n_lines = max(int(seconds / 0.7), 1)
        knots = _lines_knots(n_lines, 20.0, 0.4, 0.3)
        seconds = float(knots[0][-1])
        truth.update(pen_lifts=float(n_lines - 1), stroke_count=float(n_lines),
                     in_air_time_s=0.3 * (n_lines - 1), normalized_jerk_median=np.sqrt(360.0))
    elif task in ("sentence", "free"):
        knots = _sentence_knots(rng, seconds, stroke_hz, words=max(int(seconds / 4), 1))
        seconds = float(knots[0][-1])
        truth.update(stroke_frequency_hz=stroke_hz,
                     pen_lifts=float(np.count_nonzero(~knots[3])))
    t_true, t_stamp = tablet_clock(seconds, rng, rate_hz, quantize_ms, jitter_ms,
                                   duplicate_fraction, gaps)
    if task == "loops":
        x, y, down = _loops(t_true, loop_hz, 10.0, 4.0)
        truth.update(stroke_frequency_hz=loop_hz, stroke_duration_median_s=0.5 / loop_hz,
                     niv_mean=1.0, pen_lifts=0.0)
    elif task == "spiral":
        x, y, down = _spiral(t_true, seconds, spiral_turns, 40.0, 2.0)
        truth.update(spiral_tightness_mm_per_rad=38.0 / (2 * np.pi * spiral_turns),
                     pen_lifts=0.0)
    elif task == "circles":
        x, y, down = _circles(t_true, circle_hz, 10.0)
        truth.update(pen_lifts=0.0, speed_mean_mm_s=2 * np.pi * 10.0 * circle_hz)
    else:
        x, y, down = _via_points(t_true, *knots)
    if tremor_hz and tremor_mm > 0:
        phase = rng.uniform(0, 2 * np.pi)
        osc = tremor_mm * np.sin(2 * np.pi * tremor_hz * t_true + phase)
        axis = np.radians(tremor_axis_deg)
        x = x + osc * np.cos(axis)
        y = y + osc * np.sin(axis)
        truth.update(tremor_detected=1.0, tremor_frequency_hz=float(tremor_hz),
                     tremor_amplitude_rms_mm=tremor_mm / np.sqrt(2),
                     tremor_amplitude_pp_mm=2 * tremor_mm,
                     tremor_axis_deg=float((tremor_axis_deg + rotation_deg) % 180))
    else:
        truth["tremor_detected"] = 0.0
    if rotation_deg:
        c, s = np.cos(np.radians(rotation_deg)), np.sin(np.radians(rotation_deg))
        x, y = c * x - s * y, s * x + c * y
    if noise_mm > 0:
        x = x + rng.normal(0, noise_mm, x.size)
        y = y + rng.normal(0, noise_mm, y.size)
    raw_p = pressure_mean + pressure_drift_per_s * t_true
    raw_p = raw_p * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t_true))
    pressure = np.clip(np.floor(raw_p * (pressure_levels - 1) + 0.5) / (pressure_levels - 1),
                       0.0, 1.0)
    pressure = np.where(down, pressure, 0.0)
    truth["pressure_saturation_pct"] = float(100 * np.mean(pressure[down] >= 1.0))
    rec = Recording(t=t_stamp, x=x, y=y, pressure=pressure, pen_down=down)
    return SimulatedTrial(task, rec, truth)
