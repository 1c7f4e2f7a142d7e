"""The feature registry: every feature declared once, and the family that computes it.

Every feature is declared once in :data:`FEATURES` with its name (unit-suffixed), unit, the
tasks it applies to, a one-line definition, its reference and its *family*. A family is one
function, registered with :func:`register_family`, that computes all of its features from
the shared signals of one trial (:class:`~kinewrite.analysis.families.FamilyInputs`, built
on :func:`~kinewrite.analysis.pipeline.prepare`). :func:`families_for` lists the families a
task runs, in registry order; :func:`validate_registry` checks that every listed feature
has a computing family and every registered family lists features
(docs/architecture.md §5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import TASKS

__all__ = ["FEATURES", "REFERENCES", "FamilyFunction", "Feature", "RegistryError",
           "families_for", "family_feature_names", "family_names", "feature_names",
           "register_family", "registered_families", "validate_registry"]

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
    """Names of the registered features, in registry order (those applying to `task`).

    Examples
    --------
    >>> feature_names("spiral")[-1], "spiral_tightness_mm_per_rad" in feature_names("loops")
    ('spiral_guide_hausdorff_mm', False)
    """
    return [f.name for f in FEATURES if task is None or task in f.tasks]


#: A family's computation: the trial's shared signals
#: (:class:`~kinewrite.analysis.families.FamilyInputs`; typed ``Any`` here because the
#: families module imports this one, never the reverse) in, its features' values out.
FamilyFunction = Callable[[Any], Mapping[str, float]]

#: Registered family functions by family name (filled by :func:`register_family`).
_COMPUTERS: dict[str, FamilyFunction] = {}


class RegistryError(ValueError):
    """The registry and the registered families disagree (a programming error)."""


def register_family(name: str) -> Callable[[FamilyFunction], FamilyFunction]:
    """Decorator registering the function that computes every feature of family `name`.

    The function receives the trial's :class:`~kinewrite.analysis.families.FamilyInputs`
    and returns one value per feature of the family that applies to the trial's task.

    Raises
    ------
    RegistryError
        If a function is already registered for `name`.

    Examples
    --------
    >>> register_family("timing")(lambda inputs: {})
    Traceback (most recent call last):
    ...
    kinewrite.analysis.registry.RegistryError: family 'timing' is registered twice
    """
    def decorate(func: FamilyFunction) -> FamilyFunction:
        if name in _COMPUTERS and _COMPUTERS[name] is not func:
            raise RegistryError(f"family {name!r} is registered twice")
        _COMPUTERS[name] = func
        return func

    return decorate


def registered_families() -> dict[str, FamilyFunction]:
    """The registered family functions by name (a copy).

    Examples
    --------
    >>> import kinewrite.analysis.families  # registers the families
    >>> list(registered_families()) == family_names()
    True
    """
    return dict(_COMPUTERS)


def family_names(features: Sequence[Feature] = FEATURES) -> list[str]:
    """Families in registry order: the order in which they first appear in `features`.

    Examples
    --------
    >>> family_names()[:3]
    ['timing', 'pen', 'kinematics']
    """
    return list(dict.fromkeys(f.family for f in features))


def family_feature_names(family: str, task: str | None = None) -> list[str]:
    """Names of the features of `family` (those applying to `task`), in registry order.

    Examples
    --------
    >>> family_feature_names("timing")
    ['duration_s', 'sample_rate_hz', 'timestamp_jitter_ms', 'gap_count']
    """
    return [f.name for f in FEATURES
            if f.family == family and (task is None or task in f.tasks)]


def families_for(task: str) -> list[tuple[str, FamilyFunction]]:
    """The families to run for `task`: those with a feature applying to it, registry order.

    Examples
    --------
    >>> import kinewrite.analysis.families  # registers the families
    >>> [name for name, _ in families_for("loops")][-2:]
    ['pressure', 'force']
    >>> [name for name, _ in families_for("spiral")][-1]
    'spiral'
    """
    names = family_names(tuple(f for f in FEATURES if task in f.tasks))
    return [(name, _COMPUTERS[name]) for name in names]


def validate_registry(features: Sequence[Feature] = FEATURES,
                      computers: Mapping[str, Any] | None = None) -> None:
    """Check that every feature's family is registered and every registered family lists
    features.

    Parameters
    ----------
    features : sequence of Feature, default FEATURES
    computers : mapping of str, optional
        Registered family functions by name; default the registered ones.

    Raises
    ------
    RegistryError
        Naming the first feature without a computing family, or the first registered
        family no feature lists.

    Examples
    --------
    >>> import kinewrite.analysis.families  # registers the families
    >>> validate_registry()                 # the shipped registry is whole
    >>> orphan = Feature("orphan_s", "s", TASKS, "Nobody computes this.", "SCIENCE", "nowhere")
    >>> try:
    ...     validate_registry((*FEATURES, orphan))
    ... except RegistryError as exc:
    ...     print(exc)
    feature 'orphan_s': no function computes its family 'nowhere'
    """
    computers = _COMPUTERS if computers is None else computers
    for f in features:
        if f.family not in computers:
            raise RegistryError(f"feature {f.name!r}: no function computes its family "
                                f"{f.family!r}")
    listed = {f.family for f in features}
    for name in computers:
        if name not in listed:
            raise RegistryError(f"family {name!r} is registered but lists no feature")
