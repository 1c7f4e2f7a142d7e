"""The feature families: one registered function per family of the registry.

Each function computes every feature of its family (:data:`~kinewrite.analysis.registry.
FEATURES`, column ``family``) from the shared signals of one trial, a :class:`FamilyInputs`
built once on :func:`~kinewrite.analysis.pipeline.prepare`. Signals more than one family
reads (the writing strokes, the stroke rhythm the tremor searches leave out) are computed
once, on first use. :func:`~kinewrite.analysis.features.extract_features` runs the
families a task needs in registry order (docs/science.md for every definition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._numeric import norm2, quantiles
from .force import is_calibrated, pressure_to_newtons
from .kinematics import ldlj, normalized_jerk
from .pipeline import Prepared, rhythm_exclusion_hz, spiral_interior, writing_strokes
from .pressure import saturated_mask, thirds_ratio, trend_slope
from .registry import family_feature_names, register_family
from .spiral import SpiralFit, fit_spiral, spiral_indices, template_deviation
from .strokes import Strokes, pen_runs
from .tremor import TremorResult, detect_tremor

__all__ = ["FamilyInputs", "pressure_measured", "trial_tremor"]

NAN = float("nan")


@dataclass
class FamilyInputs:
    """What every family computes from: one trial's prepared signals, plus the signals more
    than one family (and the review plots) share, each computed once on first use.

    Parameters
    ----------
    prepared : Prepared
        :func:`~kinewrite.analysis.pipeline.prepare` of the trial.
    guide_xy_mm : ndarray, shape (m, 2), optional
        The guide shown while drawing a spiral (the ``spiral_guide_*`` features).
    """

    prepared: Prepared
    guide_xy_mm: np.ndarray | None = field(default=None)

    @cached_property
    def strokes(self) -> Strokes:
        """The writing strokes (:func:`~kinewrite.analysis.pipeline.writing_strokes`)."""
        return writing_strokes(self.prepared)

    @cached_property
    def rhythm_exclusion_hz(self) -> np.ndarray | None:
        """The stroke rhythm the tremor searches leave out, None if none
        (:func:`~kinewrite.analysis.pipeline.rhythm_exclusion_hz`)."""
        return rhythm_exclusion_hz(self.prepared.task, self.strokes)

    @cached_property
    def tremor(self) -> TremorResult:
        """The positional tremor search (:func:`trial_tremor`)."""
        return trial_tremor(self.prepared, self.rhythm_exclusion_hz)

    @cached_property
    def spiral_interior(self) -> np.ndarray:
        """Mask of the grid samples the spiral is fitted on
        (:func:`~kinewrite.analysis.pipeline.spiral_interior`)."""
        return spiral_interior(self.prepared)

    @cached_property
    def spiral_fit(self) -> SpiralFit | None:
        """The spiral fitted on the interior of the trace; None below 1.5 turns."""
        p, keep = self.prepared, self.spiral_interior
        return fit_spiral(p.g_x[keep], p.g_y[keep])


def trial_tremor(p: Prepared, exclude_hz: np.ndarray | None) -> TremorResult:
    """The positional tremor search of a prepared trial: its tremor grid, the stroke rhythm
    `exclude_hz` left out (docs/science.md §5).

    Examples
    --------
    >>> from kinewrite.analysis.pipeline import prepare
    >>> from kinewrite.simulate import simulate_trial
    >>> trial = simulate_trial("spiral", 15.0, spiral_turns=5, tremor_hz=6.3, tremor_mm=0.3, seed=1)
    >>> round(trial_tremor(prepare(trial.recording, "spiral"), None).frequency_hz, 1)
    6.3
    """
    return detect_tremor(p.tr_xy, p.tr_segments, p.tremor_rate_hz, exclude_hz=exclude_hz)


def pressure_measured(pr: np.ndarray) -> bool:
    """False for Windows Ink's constant 0.5 of pens without a pressure sensor (docs/architecture.md,
    platform quirks): no measurement. Other constant levels are kept (a sensor stuck at its
    ceiling is 100 % saturated; imported test files may be flat).

    Examples
    --------
    >>> pressure_measured(np.full(20, 0.5)), pressure_measured(np.full(20, 0.3))
    (False, True)
    """
    return not (pr.size >= 10 and pr.min() == pr.max() and abs(pr[0] - 0.5) < 1e-3)


@register_family("timing")
def timing_features(inputs: FamilyInputs) -> dict[str, float]:
    """Duration, effective rate, clock jitter and gaps (docs/science.md §2)."""
    p = inputs.prepared
    return {
        "duration_s": float(p.t[-1] - p.t[0]),
        "sample_rate_hz": p.clock.rate_hz,
        "timestamp_jitter_ms": p.clock.jitter_ms if p.t.size > 1 else NAN,
        "gap_count": float(np.count_nonzero(p.clock.gap_after)),
    }


@register_family("pen")
def pen_features(inputs: FamilyInputs) -> dict[str, float]:
    """Pen-down runs and the in-air intervals between them (docs/science.md §4)."""
    p = inputs.prepared
    r = pen_runs(p.t, p.x, p.y, p.pen_runs)
    ratio = r.in_air_time_s / r.down_time_s if r.down_time_s > 0 else NAN
    return {
        "pen_down_time_s": r.down_time_s,
        "in_air_time_s": r.in_air_time_s,
        "in_air_path_mm": r.in_air_path_mm,
        "in_air_ratio": ratio,
        "on_surface_strokes": float(r.count),
        "pen_lifts": float(max(r.count - 1, 0)),
    }


@register_family("kinematics")
def kinematics_features(inputs: FamilyInputs) -> dict[str, float]:
    """Path, speed, acceleration and jerk of the low-passed pen-down trace (docs/science.md
    §3)."""
    p = inputs.prepared
    speed = p.speed
    if speed.size < 2:
        return dict.fromkeys(family_feature_names("kinematics"), NAN)
    dt = 1.0 / p.rate_hz
    seg = p.g_segments
    covered = float(np.sum(seg.lengths - 1)) * dt
    # path from the trace itself: sum of steps inside segments
    step = norm2(np.diff(p.g_x), np.diff(p.g_y))
    inside = np.ones(step.size, dtype=bool)
    inside[seg.starts[1:] - 1] = False
    path = float(step[inside].sum())
    mean_speed = float(speed.mean())
    q50, q95 = quantiles(speed, (0.50, 0.95))
    return {
        "path_length_mm": path,
        "speed_mean_mm_s": path / covered if covered > 0 else NAN,
        "speed_median_mm_s": float(q50),
        "speed_p95_mm_s": float(q95),
        "speed_cv": float(speed.std() / mean_speed) if mean_speed > 0 else NAN,
        "acceleration_mean_mm_s2": float(norm2(p.ax, p.ay).mean()),
        "jerk_mean_mm_s3": float(norm2(p.jx, p.jy).mean()),
        "speed_drift_ratio": thirds_ratio(p.g_t, speed),
    }


def _cv(values: np.ndarray) -> float:
    if values.size < 2:
        return NAN
    m = float(values.mean())
    return float(values.std(ddof=1) / m) if m > 0 else NAN


@register_family("strokes")
def strokes_features(inputs: FamilyInputs) -> dict[str, float]:
    """Writing strokes, their rhythm, fluency and smoothness (docs/science.md §4)."""
    s = inputs.strokes
    if s.count == 0:
        out = dict.fromkeys(family_feature_names("strokes"), NAN)
        out["stroke_count"] = 0.0
        return out
    median_duration = float(np.median(s.duration_s))
    nj = normalized_jerk(s.jerk_sq_integral, s.duration_s, s.path_length_mm)
    dl = ldlj(s.jerk_sq_integral, s.duration_s, s.peak_speed_mm_s)
    return {
        "stroke_count": float(s.count),
        "stroke_duration_median_s": median_duration,
        "stroke_frequency_hz": 1.0 / (2.0 * median_duration) if median_duration > 0 else NAN,
        "stroke_size_median_mm": float(np.median(s.vertical_size_mm)),
        "niv_mean": float(s.niv.mean()),
        "automation_pct": float(100.0 * np.mean(s.niv == 1)),
        "nca_mean": float(s.nca.mean()),
        "peak_vertical_velocity_cv": _cv(s.peak_vertical_speed_mm_s),
        "normalized_jerk_median": float(np.nanmedian(nj)) if np.isfinite(nj).any() else NAN,
        "ldlj_median": float(np.nanmedian(dl)) if np.isfinite(dl).any() else NAN,
        "size_drift_ratio": thirds_ratio(s.t_start, s.vertical_size_mm),
    }


@register_family("tremor")
def tremor_features(inputs: FamilyInputs) -> dict[str, float]:
    """The positional tremor peak, the stroke rhythm excluded (docs/science.md §5)."""
    r = inputs.tremor
    return {
        "tremor_detected": r.detected,
        "tremor_frequency_hz": r.frequency_hz,
        "tremor_amplitude_rms_mm": r.amplitude_rms_mm,
        "tremor_amplitude_pp_mm": r.amplitude_pp_mm,
        "tremor_axis_deg": r.axis_deg,
    }


@register_family("pressure_tremor")
def pressure_tremor_features(inputs: FamilyInputs) -> dict[str, float]:
    """The tremor peak of the pen-down pressure signal (docs/analysis.md, tremor): the same
    Welch search as for positions, on the 2 Hz high-passed pressure."""
    p = inputs.prepared
    names = ("pressure_tremor_detected", "pressure_tremor_frequency_hz",
             "pressure_tremor_amplitude_rms")
    if (p.tr_pressure is None or p.pressure is None or not np.isfinite(p.tr_pressure).all()
            or not pressure_measured(p.pressure[p.pen_down])):
        return dict.fromkeys(names, NAN)
    r = detect_tremor(p.tr_pressure[None, :], p.tr_segments, p.tremor_rate_hz,
                      exclude_hz=inputs.rhythm_exclusion_hz)
    return dict(zip(names, (r.detected, r.frequency_hz, r.amplitude_rms_mm), strict=True))


@register_family("pressure")
def pressure_features(inputs: FamilyInputs) -> dict[str, float]:
    """Pen-down pressure as a fraction of the device range (docs/science.md §6)."""
    p = inputs.prepared
    names = family_feature_names("pressure")
    if p.pressure is None:
        return dict.fromkeys(names, NAN)
    down = p.pen_down
    pr, t = p.pressure[down], p.t[down]
    if not pressure_measured(pr):
        return dict.fromkeys(names, NAN)
    sat = saturated_mask(pr, p.pressure_ceiling)
    mean = float(pr.mean())
    sd = float(pr.std(ddof=1)) if pr.size > 1 else NAN
    q10, q90 = quantiles(pr, (0.10, 0.90))
    return {
        "pressure_mean": mean,
        "pressure_sd": sd,
        "pressure_cv": sd / mean if mean > 0 else NAN,
        "pressure_p10": float(q10),
        "pressure_p90": float(q90),
        "pressure_saturation_pct": float(100.0 * sat.mean()),
        "pressure_slope_per_s": trend_slope(t[~sat], pr[~sat]),
        "pressure_drift_ratio": thirds_ratio(t, pr),
    }


@register_family("force")
def force_features(inputs: FamilyInputs) -> dict[str, float]:
    """Pen-down force in N through the stylus profile (NaN without one or without pressure).

    The curve is applied to every sample before averaging (it is not linear, so the force of
    the mean pressure is not the mean force).
    """
    p = inputs.prepared
    names = family_feature_names("force")
    if p.pressure is None or not is_calibrated(p.pressure_newton_coeffs):
        return dict.fromkeys(names, NAN)
    pr = p.pressure[p.pen_down]
    if pr.size == 0 or not pressure_measured(pr):
        return dict.fromkeys(names, NAN)  # no pen-down sample, or Windows Ink's fake 0.5
    newtons = pressure_to_newtons(pr, p.pressure_newton_coeffs, p.tare_N)
    (q90,) = quantiles(newtons, (0.90,))
    return {
        "pressure_mean_N": float(newtons.mean()),
        "pressure_sd_N": float(newtons.std(ddof=1)) if newtons.size > 1 else NAN,
        "pressure_p90_N": float(q90),
        "pressure_saturation_N": float(pressure_to_newtons(
            p.pressure_ceiling, p.pressure_newton_coeffs, p.tare_N)),
    }


@register_family("spiral")
def spiral_features(inputs: FamilyInputs) -> dict[str, float]:
    """Spiral indices and template deviations, on the low-passed trace less the filter's
    transient at each end of every pen-down segment (``p.filter_settle`` samples): there
    the output depends on the padding, not on the drawing, and at the centre of a spiral,
    where the pen turns fastest, it bends the innermost turn (a perfect template spiral
    scored a first-order smoothness of 0.24-0.52 mm/rad with it, ~0 without)."""
    p = inputs.prepared
    keep = inputs.spiral_interior
    gx, gy = p.g_x[keep], p.g_y[keep]
    fit = inputs.spiral_fit
    if fit is None:
        return dict.fromkeys(family_feature_names("spiral"), NAN)
    out = spiral_indices(fit)
    out.update(template_deviation(fit, np.column_stack((gx, gy)), inputs.guide_xy_mm,
                                  np.column_stack((p.g_x, p.g_y))))
    return out
