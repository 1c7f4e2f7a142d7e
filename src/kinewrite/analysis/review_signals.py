"""What the Review view plots, computed by the analysis itself.

:func:`review_signals` returns, for one trial, every array and level the review plots show:
the pen path on the rebuilt clock, the speed and vertical-velocity curves of the kinematic
grid, the writing-stroke boundaries, the pen pressure (in N where the stylus is
calibrated), the tremor spectrum with its detection threshold, its peak and the stroke
rhythm left out of the search, and for spirals the unravelled spiral with its fitted line.
It runs :func:`~kinewrite.analysis.pipeline.prepare` and the shared signals of the feature
families (:class:`~kinewrite.analysis.families.FamilyInputs`) exactly as
:func:`~kinewrite.analysis.features.extract_features` does with its defaults, so a plot can
not drift from the number it explains (docs/architecture.md §5).

Times are in s from the trial's first sample; positions in mm; speed in mm/s; pressure as a
fraction 0..1 of the device range, or in N where the stylus is calibrated. No Qt, no files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Recording, RecordingError
from .families import FamilyInputs
from .force import pressure_in_newtons_if_calibrated
from .pipeline import Prepared, prepare
from .preprocess.segments import Segments
from .spiral import SpiralFit, unravel_about
from .strokes import Strokes
from .tremor import TremorResult, exclusion_half_width_hz

__all__ = ["ReviewSignals", "nan_breaks", "review_signals"]


def nan_breaks(values: np.ndarray, segments: Segments) -> np.ndarray:
    """`values` (concatenated segments) with a NaN inserted between consecutive segments.

    One curve item drawn with ``connect="finite"`` then shows every segment without joining
    them across pen lifts and gaps.

    Examples
    --------
    >>> nan_breaks(np.arange(5.0), Segments(np.array([0, 2]), np.array([2, 3]))).tolist()
    [0.0, 1.0, nan, 2.0, 3.0, 4.0]
    """
    values = np.asarray(values, dtype=np.float64)
    if segments.count < 2:
        return values.copy()
    return np.insert(values, segments.starts[1:], np.nan)


@dataclass(frozen=True)
class ReviewSignals:
    """The plot data of one trial (units in the module docstring).

    Raw-clock arrays (``t_s``, ``x_mm``, ``y_mm``, ``pen_down``, ``gap_after``,
    ``pressure``, ``color_speed_mm_s``) hold the de-duplicated samples in acquisition order
    on prepare's rebuilt clock, in the tablet's frame (not rotated); ``source_index`` is the
    recording row of each (:meth:`follow` maps another channel of the recording onto them).
    Grid arrays (``g_t_s``, ``speed_mm_s``, ``vy_mm_s``) are prepare's pen-down grid
    (rotated to a horizontal baseline for writing tasks); the ``curve_*`` arrays are the
    same with a NaN between pen-down segments (:func:`nan_breaks`), ready to draw.
    """

    prepared: Prepared
    n_recording: int  # rows of the recording (before de-duplication)
    t0_s: float
    t_s: np.ndarray
    x_mm: np.ndarray
    y_mm: np.ndarray
    pen_down: np.ndarray
    gap_after: np.ndarray
    source_index: np.ndarray
    pressure: np.ndarray | None  # in pressure_unit, NaN while the pen is up
    pressure_unit: str  # "N" or "1" (fraction of the device range)
    color_speed_mm_s: np.ndarray  # grid speed interpolated onto the raw samples
    g_t_s: np.ndarray
    segments: Segments
    speed_mm_s: np.ndarray
    vy_mm_s: np.ndarray
    curve_t_s: np.ndarray
    speed_curve_mm_s: np.ndarray
    vy_curve_mm_s: np.ndarray
    vy_range_mm_s: tuple[float, float]  # span of the stroke-boundary marks (NaN if none)
    strokes: Strokes
    stroke_boundaries_s: np.ndarray
    tremor: TremorResult
    tremor_threshold_mm2_per_hz: float
    tremor_excluded_hz: np.ndarray  # the stroke rhythm left out (empty if none)
    tremor_excluded_bands_hz: np.ndarray  # shape (k, 2): the bands left out, within the spectrum
    spectrum_mm2_per_hz: np.ndarray  # the power, zeros raised to the smallest positive value
    tremor_peak_mm2_per_hz: float  # the spectrum at the detected peak (NaN if none)
    spiral: SpiralFit | None  # the fit, r(θ) of the whole drawing
    spiral_fit_theta_rad: np.ndarray  # ends of the fitted line r = a + bθ (empty if none)
    spiral_fit_r_mm: np.ndarray
    spiral_residual_mm: np.ndarray  # r - (a + bθ) over the drawing (empty if none)

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample, s."""
        return float(self.t_s[-1]) if self.t_s.size else 0.0

    @property
    def stroke_count(self) -> int:
        """Writing strokes (the feature ``stroke_count``)."""
        return self.strokes.count

    @property
    def tremor_peak_hz(self) -> float:
        """The detected tremor frequency (``tremor_frequency_hz``), NaN if none."""
        tr = self.tremor
        return tr.frequency_hz if tr.detected == 1.0 else float("nan")

    def follow(self, channel: np.ndarray) -> np.ndarray | None:
        """Another channel of the recording's rows (a stored pen state), put through the
        same reordering and de-duplication; None if its length is not the recording's."""
        channel = np.asarray(channel)
        if channel.shape != (self.n_recording,):
            return None
        return channel[self.source_index]


def _spectrum(tremor: TremorResult) -> tuple[np.ndarray, float]:
    """The power drawable on a log axis (no zeros) and its value at the detected peak."""
    power = tremor.power_mm2_per_hz
    if tremor.freqs_hz.size == 0:
        return power, float("nan")
    floor = float(power[power > 0].min()) if np.any(power > 0) else 1e-12
    power = np.maximum(power, floor)  # log axis: no zeros
    peak = float("nan")
    if tremor.detected == 1.0 and np.isfinite(tremor.frequency_hz):
        peak = float(np.exp(np.interp(tremor.frequency_hz, tremor.freqs_hz, np.log(power))))
    return power, peak


def review_signals(recording: Recording, task: str = "free") -> ReviewSignals:
    """Everything the Review view plots for one trial, from the analysis the features use.

    Parameters
    ----------
    recording : Recording
    task : str
        The trial's task (:data:`kinewrite.model.TASKS`).

    Returns
    -------
    ReviewSignals

    Raises
    ------
    RecordingError
        If the pen never touches the surface (the message is one line saying why).

    Examples
    --------
    >>> from kinewrite.simulate import simulate_trial
    >>> trial = simulate_trial("loops", seconds=10, loop_hz=2.5, tremor_hz=6.0,
    ...                        tremor_mm=0.2, seed=1)
    >>> s = review_signals(trial.recording, "loops")
    >>> 48 <= s.stroke_count <= 50, round(s.tremor_peak_hz, 1)
    (True, 6.0)
    >>> s.tremor_peak_mm2_per_hz > s.tremor_threshold_mm2_per_hz
    True
    """
    with np.errstate(all="ignore"):
        # the same call, with the same defaults, as extract_features
        p = prepare(recording, task)
        inputs = FamilyInputs(p)
        t0 = float(p.t[0])
        strokes, tremor = inputs.strokes, inputs.tremor
        excluded = inputs.rhythm_exclusion_hz
        excluded = np.zeros(0) if excluded is None else excluded
        power, peak = _spectrum(tremor)
        bands = np.zeros((0, 2))
        if tremor.freqs_hz.size and excluded.size:
            half = exclusion_half_width_hz(tremor.freqs_hz)
            shown = excluded[excluded - half <= tremor.freqs_hz[-1]]
            bands = np.column_stack((shown - half, shown + half))
        pressure, unit = None, "1"
        if p.pressure is not None:
            pressure, unit = pressure_in_newtons_if_calibrated(
                np.where(p.pen_down, p.pressure, np.nan), p.pressure_newton_coeffs, p.tare_N)
        color_speed = np.interp(p.t, p.g_t, p.speed) if p.speed.size else np.zeros(p.t.size)
        vy_range = ((float(p.vy.min()), float(p.vy.max())) if p.vy.size
                    else (float("nan"), float("nan")))
        spiral, fit_th, fit_r, residual = None, np.zeros(0), np.zeros(0), np.zeros(0)
        if task == "spiral" and inputs.spiral_fit is not None:
            first = int(np.argmax(inputs.spiral_interior))
            spiral = unravel_about(inputs.spiral_fit, p.g_x, p.g_y, first)
            fit_th = np.array([spiral.theta_rad.min(), spiral.theta_rad.max()])
            fit_r = spiral.a_mm + spiral.b_mm_per_rad * fit_th
            residual = spiral.r_mm - (spiral.a_mm + spiral.b_mm_per_rad * spiral.theta_rad)
    if p.source_index is None:  # pragma: no cover - prepare always sets it
        raise RecordingError("prepared signals without their source rows")
    g_t_s = p.g_t - t0
    return ReviewSignals(
        prepared=p, n_recording=recording.n_samples, t0_s=t0, t_s=p.t - t0, x_mm=p.x,
        y_mm=p.y, pen_down=p.pen_down, gap_after=p.clock.gap_after,
        source_index=p.source_index, pressure=pressure, pressure_unit=unit,
        color_speed_mm_s=color_speed, g_t_s=g_t_s, segments=p.g_segments, speed_mm_s=p.speed,
        vy_mm_s=p.vy, curve_t_s=nan_breaks(g_t_s, p.g_segments),
        speed_curve_mm_s=nan_breaks(p.speed, p.g_segments),
        vy_curve_mm_s=nan_breaks(p.vy, p.g_segments), vy_range_mm_s=vy_range,
        strokes=strokes, stroke_boundaries_s=strokes.t_start - t0, tremor=tremor,
        tremor_threshold_mm2_per_hz=tremor.threshold_mm2_per_hz,
        tremor_excluded_hz=excluded, tremor_excluded_bands_hz=bands,
        spectrum_mm2_per_hz=power, tremor_peak_mm2_per_hz=peak, spiral=spiral,
        spiral_fit_theta_rad=fit_th, spiral_fit_r_mm=fit_r, spiral_residual_mm=residual,
    )
