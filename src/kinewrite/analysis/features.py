"""The feature registry and :func:`extract_features`.

Every feature is declared once in :data:`FEATURES` with its name (unit-suffixed), unit, the
tasks it applies to, a one-line definition and its reference. The docs table
(``docs/features.md``), the export headers and the order of :func:`extract_features`'s result
all come from this one list. A feature that does not apply to a trial is NaN, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import TASKS, Recording
from ._numeric import norm2, quantiles
from .force import is_calibrated, pressure_to_newtons
from .kinematics import ldlj, normalized_jerk, segment_gradient
from .pipeline import WRITING_TASKS, Prepared, prepare, spiral_interior
from .pressure import saturated_mask, thirds_ratio, trend_slope
from .spiral import fit_spiral, spiral_indices, template_deviation
from .strokes import Strokes, pen_runs, segment_strokes
from .tremor import TremorResult, detect_tremor

__all__ = ["ANALYSIS_VERSION", "FEATURES", "REFERENCES", "Feature", "extract_features",
           "feature_names", "features_markdown"]

#: Bumped whenever a definition or a default changes the numbers; cached features computed by
#: another version are recomputed.
ANALYSIS_VERSION = "2"

ALL = TASKS

REFERENCES: dict[str, str] = {
    "SCIENCE": "kinewrite docs/science.md (definition of this project)",
    "Zeuner2007": "Zeuner KE et al. (2007) Mov Disord 22:1086-1092",
    "MaiMarquardt": "Mai N, Marquardt C, CSWin; Marquardt & Mai (1994) Hum Mov Sci 13:373-393",
    "Teulings1997": "Teulings H-L et al. (1997) Exp Neurol 146:159-170",
    "Balasubramanian2015": "Balasubramanian S et al. (2015) J NeuroEng Rehabil 12:112",
    "Welch1967": "Welch PD (1967) IEEE Trans Audio Electroacoust 15:70-73",
    "Elble2017": "Elble RJ, Ellenbogen A (2017) Tremor Other Hyperkinet Mov 7:481",
    "Bain1995": "Bain PG et al. (1995) Brain 118:1461-1472",
    "Schneider2010": "Schneider AS et al. (2010) Clin Neurophysiol 121:1898-1907",
    "Pullman1998": "Pullman SL (1998) Mov Disord 13 Suppl 3:85-89",
    "Wang2008": "Wang H et al. (2008) J Neurosci Methods 171:264-270",
}


@dataclass(frozen=True)
class Feature:
    """One entry of the registry."""

    name: str
    unit: str
    tasks: tuple[str, ...]
    definition: str
    reference: str
    family: str


def _f(name: str, unit: str, family: str, definition: str, ref: str = "SCIENCE",
       tasks: tuple[str, ...] = ALL) -> Feature:
    return Feature(name, unit, tasks, definition, ref, family)


FEATURES: tuple[Feature, ...] = (
    # -- timing and data quality
    _f("duration_s", "s", "timing", "Time from the first to the last sample."),
    _f("sample_rate_hz", "Hz", "timing",
       "Effective rate: sample intervals per second of covered time, gaps excluded."),
    _f("timestamp_jitter_ms", "ms", "timing",
       "RMS distance of the recorded timestamps from the rebuilt fixed-rate clock."),
    _f("gap_count", "1", "timing",
       "Intervals between samples longer than 3 sample periods (lost samples)."),
    # -- pen lifts
    _f("pen_down_time_s", "s", "pen", "Summed duration of the pen-down runs.", "MaiMarquardt"),
    _f("in_air_time_s", "s", "pen",
       "Summed intervals from the end of one pen-down run to the start of the next.",
       "MaiMarquardt"),
    _f("in_air_path_mm", "mm", "pen",
       "Pen travel between pen-down runs (hover path, or the straight jump).", "MaiMarquardt"),
    _f("in_air_ratio", "1", "pen", "In-air time over pen-down time.", "Zeuner2007"),
    _f("on_surface_strokes", "1", "pen", "Number of maximal pen-down runs.", "MaiMarquardt"),
    _f("pen_lifts", "1", "pen", "Pen lifts between pen-down runs (runs - 1).", "MaiMarquardt"),
    # -- kinematics
    _f("path_length_mm", "mm", "kinematics", "Pen-down path length of the low-passed trace."),
    _f("speed_mean_mm_s", "mm/s", "kinematics",
       "Pen-down path length over pen-down (covered) time."),
    _f("speed_median_mm_s", "mm/s", "kinematics", "Median pen-down tangential speed."),
    _f("speed_p95_mm_s", "mm/s", "kinematics", "95th percentile of pen-down tangential speed."),
    _f("speed_cv", "1", "kinematics", "SD over mean of pen-down tangential speed."),
    _f("acceleration_mean_mm_s2", "mm/s²", "kinematics",
       "Mean magnitude of the pen-down acceleration vector."),
    _f("jerk_mean_mm_s3", "mm/s³", "kinematics", "Mean magnitude of the pen-down jerk vector."),
    _f("speed_drift_ratio", "1", "kinematics",
       "Mean speed in the last third of the trial over the first third."),
    # -- strokes and fluency
    _f("stroke_count", "1", "strokes",
       "Writing strokes: pen-down pieces between zero crossings of vertical velocity, "
       "crossings closer than 30 ms or 0.3 mm merged.", "MaiMarquardt"),
    _f("stroke_duration_median_s", "s", "strokes", "Median writing-stroke duration.",
       "MaiMarquardt"),
    _f("stroke_frequency_hz", "Hz", "strokes",
       "Writing cycles per second, 1 / (2 x median stroke duration).", "MaiMarquardt"),
    _f("stroke_size_median_mm", "mm", "strokes", "Median vertical size of writing strokes.",
       "MaiMarquardt"),
    _f("niv_mean", "1", "strokes",
       "Mean number of local maxima of tangential speed per stroke (ideal 1).", "MaiMarquardt"),
    _f("automation_pct", "%", "strokes", "Share of strokes with NIV = 1.", "MaiMarquardt"),
    _f("nca_mean", "1", "strokes",
       "Mean number of local extrema of tangential acceleration per stroke (ideal 2).",
       "MaiMarquardt"),
    _f("peak_vertical_velocity_cv", "1", "strokes",
       "SD over mean of per-stroke peak |vertical velocity|.", "Zeuner2007"),
    _f("normalized_jerk_median", "1", "strokes",
       "Median per-stroke sqrt(0.5 * integral(jx^2 + jy^2) dt * T^5 / L^2); min-jerk 18.97.",
       "Teulings1997"),
    _f("ldlj_median", "1", "strokes",
       "Median per-stroke -ln(T^3 / v_peak^2 * integral |j|^2 dt); min-jerk -5.32.",
       "Balasubramanian2015"),
    _f("size_drift_ratio", "1", "strokes",
       "Mean stroke vertical size in the last third of the trial over the first third.",
       "SCIENCE"),
    # -- tremor
    _f("tremor_detected", "1", "tremor",
       "1 if the 3-12 Hz Welch peak of 2 Hz high-passed x+y is interior and > 4x the band "
       "median, else 0; NaN if no pen-down segment lasts 1 s.", "Welch1967"),
    _f("tremor_frequency_hz", "Hz", "tremor",
       "Frequency of the detected peak, parabolic interpolation of log-power.", "Bain1995"),
    _f("tremor_amplitude_rms_mm", "mm", "tremor",
       "sqrt(sum of P * df over the peak +- 1 Hz).", "Elble2017"),
    _f("tremor_amplitude_pp_mm", "mm", "tremor",
       "Peak-to-peak tremor amplitude, 2 sqrt(2) x RMS.", "Elble2017"),
    _f("tremor_axis_deg", "deg", "tremor",
       "Principal direction of the tremor (cross-spectrum at the peak), 0-180 from x.",
       "SCIENCE"),
    _f("pressure_tremor_detected", "1", "pressure_tremor",
       "1 if the 3-12 Hz Welch peak of the 2 Hz high-passed pen-down pressure is interior "
       "and > 4x the band median, else 0; NaN without pressure or a 1 s pen-down segment.",
       "Welch1967"),
    _f("pressure_tremor_frequency_hz", "Hz", "pressure_tremor",
       "Frequency of the detected pressure peak, parabolic interpolation of log-power.",
       "SCIENCE"),
    _f("pressure_tremor_amplitude_rms", "1", "pressure_tremor",
       "sqrt(sum of P * df over the pressure peak +- 1 Hz), fraction of the device range.",
       "SCIENCE"),
    # -- pressure
    _f("pressure_mean", "1", "pressure",
       "Mean pen-down pressure, fraction of the device range.", "Zeuner2007"),
    _f("pressure_sd", "1", "pressure", "SD of pen-down pressure.", "Zeuner2007"),
    _f("pressure_cv", "1", "pressure", "SD over mean of pen-down pressure.", "Schneider2010"),
    _f("pressure_p10", "1", "pressure", "10th percentile of pen-down pressure."),
    _f("pressure_p90", "1", "pressure", "90th percentile of pen-down pressure."),
    _f("pressure_saturation_pct", "%", "pressure",
       "Share of pen-down samples on the plateau at the sensor's ceiling."),
    _f("pressure_slope_per_s", "1/s", "pressure",
       "Least-squares slope of pen-down pressure over time, saturated samples left out."),
    _f("pressure_drift_ratio", "1", "pressure",
       "Mean pen-down pressure in the last third of the trial over the first third."),
    # -- pressure in newtons (stylus profile of the session; NaN when uncalibrated)
    _f("pressure_mean_N", "N", "force",
       "Mean pen-down axial force through the session's stylus profile; NaN uncalibrated.",
       "Zeuner2007"),
    _f("pressure_sd_N", "N", "force", "SD of the pen-down axial force (stylus profile).",
       "Zeuner2007"),
    _f("pressure_p90_N", "N", "force",
       "90th percentile of the pen-down axial force (stylus profile)."),
    _f("pressure_saturation_N", "N", "force",
       "Force at the sensor's saturation level: the most the stylus can report; a trial "
       "with saturated samples pressed harder than this."),
    # -- spiral
    _f("spiral_tightness_mm_per_rad", "mm/rad", "spiral",
       "b of r = a + b*theta, centre fitted.", "Wang2008", ("spiral",)),
    _f("spiral_smoothness_1", "mm/rad", "spiral",
       "First-order smoothness: SD of dr/dtheta on a 1 degree grid.", "Pullman1998",
       ("spiral",)),
    _f("spiral_smoothness_2", "mm/rad²", "spiral",
       "Second-order smoothness: SD of d2r/dtheta2 on a 1 degree grid.", "Pullman1998",
       ("spiral",)),
    _f("spiral_zero_crossing_rate", "1/turn", "spiral",
       "Sign changes of the residual of r = a + b*theta per turn.", "Pullman1998",
       ("spiral",)),
    _f("spiral_loop_spacing_cv", "1", "spiral",
       "SD over mean of the radial spacing r(theta + 2 pi) - r(theta).", "Pullman1998",
       ("spiral",)),
    _f("spiral_fit_deviation_rms_mm", "mm", "spiral",
       "RMS distance of the drawn samples to the fitted spiral r = a + b*theta over the "
       "drawn turns.", "Pullman1998", ("spiral",)),
    _f("spiral_fit_hausdorff_mm", "mm", "spiral",
       "Hausdorff distance between the drawing and the fitted spiral over the drawn turns.",
       "Pullman1998", ("spiral",)),
    _f("spiral_guide_deviation_rms_mm", "mm", "spiral",
       "RMS distance of the drawn samples to the guide shown; NaN if none was shown.",
       "Pullman1998", ("spiral",)),
    _f("spiral_guide_hausdorff_mm", "mm", "spiral",
       "Hausdorff distance between the drawing and the guide shown; NaN if none was shown.",
       "Pullman1998", ("spiral",)),
)

_BY_NAME = {f.name: f for f in FEATURES}


def feature_names(task: str | None = None) -> list[str]:
    """Names of the registered features, in registry order (those applying to `task`)."""
    return [f.name for f in FEATURES if task is None or task in f.tasks]


def extract_features(
    recording: Recording,
    task: str = "free",
    *,
    rate_hz: float = 200.0,
    lowpass_hz: float = 12.0,
    nominal_rate_hz: float | None = None,
    guide_xy_mm: np.ndarray | None = None,
) -> dict[str, float]:
    """Every registered feature of one trial.

    Parameters
    ----------
    recording : Recording
    task : {"spiral", "loops", "sentence", "circles", "lines", "free"}
        The writing task; features depend on it (baseline rotation for writing tasks,
        stroke-rhythm exclusion in the tremor search, spiral indices).
    rate_hz : float, default 200
        Resampling rate of the kinematic branch.
    lowpass_hz : float, default 12
        Low-pass cut-off before differentiating.
    nominal_rate_hz : float, optional
        The device's nominal rate (for the gap threshold only).
    guide_xy_mm : ndarray, shape (m, 2), optional
        The guide shown while drawing a spiral, polyline vertices in the recording's mm
        frame (:func:`kinewrite.storage.session.trial_guide_mm`); without it the
        ``spiral_guide_*`` features are NaN.

    Returns
    -------
    dict of str to float
        One value per registered feature applying to `task`, in registry order; NaN where a
        feature does not apply to this trial (no pen lift, no pressure, too short...).

    Raises
    ------
    RecordingError
        If the pen never touches the surface.
    ValueError
        If `task` is unknown.

    Examples
    --------
    >>> from kinewrite.simulate import simulate_trial
    >>> trial = simulate_trial("loops", seconds=10, loop_hz=2.5, seed=1)
    >>> f = extract_features(trial.recording, task="loops")
    >>> round(f["stroke_frequency_hz"], 1)
    2.5
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    with np.errstate(all="ignore"):
        p = prepare(recording, task, rate_hz, lowpass_hz, nominal_rate_hz)
        out: dict[str, float] = {}
        out.update(_timing(p))
        out.update(_pen(p))
        out.update(_kinematics(p))
        strokes = _segment(p)
        out.update(_stroke_features(strokes))
        stroke_hz = out["stroke_frequency_hz"]
        exclude = None
        if task in WRITING_TASKS and np.isfinite(stroke_hz) and stroke_hz > 0:
            exclude = stroke_hz * np.arange(1, int(12.5 / stroke_hz) + 2)
        out.update(_tremor(detect_tremor(p.tr_xy, p.tr_segments, p.tremor_rate_hz,
                                         exclude_hz=exclude)))
        out.update(_pressure_tremor(p, exclude))
        out.update(_pressure(p))
        out.update(_force(p))
        if task == "spiral":
            out.update(_spiral(p, guide_xy_mm))
    # a ratio or moment that overflows (degenerate input) has no meaning: NaN, never inf
    return {name: _finite_or_nan(out[name]) for name in feature_names(task)}


def _finite_or_nan(value: float) -> float:
    v = float(value)
    return v if np.isfinite(v) else NAN


NAN = float("nan")


def _timing(p: Prepared) -> dict[str, float]:
    return {
        "duration_s": float(p.t[-1] - p.t[0]),
        "sample_rate_hz": p.clock.rate_hz,
        "timestamp_jitter_ms": p.clock.jitter_ms if p.t.size > 1 else NAN,
        "gap_count": float(np.count_nonzero(p.clock.gap_after)),
    }


def _pen(p: Prepared) -> dict[str, float]:
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


def _kinematics(p: Prepared) -> dict[str, float]:
    speed = p.speed
    if speed.size < 2:
        return dict.fromkeys(
            ("path_length_mm", "speed_mean_mm_s", "speed_median_mm_s", "speed_p95_mm_s",
             "speed_cv", "acceleration_mean_mm_s2", "jerk_mean_mm_s3", "speed_drift_ratio"),
            NAN,
        )
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


def _segment(p: Prepared) -> Strokes:
    speed = p.speed
    tangential_acc = segment_gradient(speed, p.rate_hz, p.g_segments)
    return segment_strokes(
        p.g_t, p.g_y, p.vy, speed, tangential_acc, p.jx**2 + p.jy**2, p.rate_hz, p.g_segments
    )


def _cv(values: np.ndarray) -> float:
    if values.size < 2:
        return NAN
    m = float(values.mean())
    return float(values.std(ddof=1) / m) if m > 0 else NAN


def _stroke_features(s: Strokes) -> dict[str, float]:
    if s.count == 0:
        names = [f.name for f in FEATURES if f.family == "strokes"]
        out = dict.fromkeys(names, NAN)
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


def _tremor(r: TremorResult) -> dict[str, float]:
    return {
        "tremor_detected": r.detected,
        "tremor_frequency_hz": r.frequency_hz,
        "tremor_amplitude_rms_mm": r.amplitude_rms_mm,
        "tremor_amplitude_pp_mm": r.amplitude_pp_mm,
        "tremor_axis_deg": r.axis_deg,
    }


def _pressure_measured(pr: np.ndarray) -> bool:
    """False for Windows Ink's constant 0.5 of pens without a pressure sensor (docs/architecture.md,
    platform quirks): no measurement. Other constant levels are kept (a sensor stuck at its
    ceiling is 100 % saturated; imported test files may be flat)."""
    return not (pr.size >= 10 and pr.min() == pr.max() and abs(pr[0] - 0.5) < 1e-3)


def _pressure_tremor(p: Prepared, exclude: np.ndarray | None) -> dict[str, float]:
    """The tremor peak of the pen-down pressure signal (docs/analysis.md, tremor): the same Welch
    search as for positions, on the 2 Hz high-passed pressure."""
    names = ("pressure_tremor_detected", "pressure_tremor_frequency_hz",
             "pressure_tremor_amplitude_rms")
    if (p.tr_pressure is None or not np.isfinite(p.tr_pressure).all()
            or not _pressure_measured(p.pressure[p.pen_down])):
        return dict.fromkeys(names, NAN)
    r = detect_tremor(p.tr_pressure[None, :], p.tr_segments, p.tremor_rate_hz,
                      exclude_hz=exclude)
    return dict(zip(names, (r.detected, r.frequency_hz, r.amplitude_rms_mm), strict=True))


def _pressure(p: Prepared) -> dict[str, float]:
    names = [f.name for f in FEATURES if f.family == "pressure"]
    if p.pressure is None:
        return dict.fromkeys(names, NAN)
    down = p.pen_down
    pr, t = p.pressure[down], p.t[down]
    if not _pressure_measured(pr):
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


def _force(p: Prepared) -> dict[str, float]:
    """Pen-down force in N through the stylus profile (NaN without one or without pressure).

    The curve is applied to every sample before averaging (it is not linear, so the force of
    the mean pressure is not the mean force).
    """
    names = [f.name for f in FEATURES if f.family == "force"]
    if p.pressure is None or not is_calibrated(p.pressure_newton_coeffs):
        return dict.fromkeys(names, NAN)
    pr = p.pressure[p.pen_down]
    if pr.size == 0 or (pr.size >= 10 and pr.min() == pr.max() and abs(pr[0] - 0.5) < 1e-3):
        return dict.fromkeys(names, NAN)  # no pen-down sample, or Windows Ink's fake 0.5
    force = pressure_to_newtons(pr, p.pressure_newton_coeffs, p.tare_N)
    (q90,) = quantiles(force, (0.90,))
    return {
        "pressure_mean_N": float(force.mean()),
        "pressure_sd_N": float(force.std(ddof=1)) if force.size > 1 else NAN,
        "pressure_p90_N": float(q90),
        "pressure_saturation_N": float(pressure_to_newtons(
            p.pressure_ceiling, p.pressure_newton_coeffs, p.tare_N)),
    }


def _spiral(p: Prepared, guide_xy_mm: np.ndarray | None) -> dict[str, float]:
    """Spiral indices and template deviations, on the low-passed trace less the filter's
    transient at each end of every pen-down segment (``p.filter_settle`` samples): there
    the output depends on the padding, not on the drawing, and at the centre of a spiral,
    where the pen turns fastest, it bends the innermost turn (a perfect template spiral
    scored a first-order smoothness of 0.24-0.52 mm/rad with it, ~0 without)."""
    names = [f.name for f in FEATURES if f.family == "spiral"]
    keep = spiral_interior(p)
    gx, gy = p.g_x[keep], p.g_y[keep]
    fit = fit_spiral(gx, gy)
    if fit is None:
        return dict.fromkeys(names, NAN)
    out = spiral_indices(fit)
    out.update(template_deviation(fit, np.column_stack((gx, gy)), guide_xy_mm,
                                  np.column_stack((p.g_x, p.g_y))))
    return out


def features_markdown() -> str:
    """The feature table of ``docs/features.md``, generated from the registry."""
    lines = [
        "# Features",
        "",
        "Generated from the registry `kinewrite.analysis.features.FEATURES` by "
        "`kinewrite features > docs/features.md`; a test keeps it current.",
        f"Analysis version {ANALYSIS_VERSION}. A feature that does not apply to a trial is NaN.",
        "Pressure is a fraction 0..1 of the device range (unit `1`); the `_N` features are "
        "the same pen-down force in newtons through the session's stylus profile, NaN when "
        "the stylus was not calibrated.",
        "",
        "| feature | unit | tasks | definition | reference |",
        "|---|---|---|---|---|",
    ]
    for f in FEATURES:
        tasks = "all" if f.tasks == ALL else ", ".join(f.tasks)
        lines.append(f"| `{f.name}` | {f.unit} | {tasks} | {f.definition} | {f.reference} |")
    from .reference import bands_markdown  # reference.py imports this module

    lines += ["", bands_markdown().rstrip("\n"), "",
              "How much a measure varies between repeated trials of one visit, and which "
              "change between visits is beyond that noise: docs/measurement-error.md.",
              "", "## References", ""]
    for key in sorted({f.reference for f in FEATURES}):
        lines.append(f"- **{key}**: {REFERENCES[key]}")
    return "\n".join(lines) + "\n"
