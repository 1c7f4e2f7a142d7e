"""Plain-language names of the features, for the patient and the therapist.

A **plain label** a patient understands ("writing rhythm", "tremor size", "pen pressure")
with a one-sentence caption, the technical name (unit-suffixed registry name) staying one
click away: :func:`plain_label`, :func:`plain_caption`, :data:`PLAIN_GROUPS`.
"""

from __future__ import annotations

from .features import FEATURES, Feature

__all__ = [
    "PLAIN_GROUPS",
    "plain_caption",
    "plain_label",
]

#: Plain label and caption of every feature a patient or therapist is shown.
_PLAIN: dict[str, tuple[str, str]] = {
    "stroke_frequency_hz": ("writing rhythm",
                            "Up-and-down strokes per second: how fluently the hand writes."),
    "stroke_duration_median_s": ("stroke duration", "Typical time of one up or down stroke."),
    "stroke_size_median_mm": ("letter size", "Typical height of one up or down stroke."),
    "size_drift_ratio": ("letter size change",
                         "Letter size at the end of the task over the start (1 = unchanged)."),
    "automation_pct": ("smooth strokes",
                       "Share of strokes made in one smooth push, without hesitation."),
    "niv_mean": ("speed changes per stroke",
                 "How often the pen speeds up again within one stroke (ideal 1)."),
    "nca_mean": ("acceleration changes per stroke",
                 "How often the pen changes between speeding up and slowing down (ideal 2)."),
    "normalized_jerk_median": ("jerkiness",
                               "How jerky the strokes are (lower is smoother; 18.97 is the "
                               "mathematical floor of a perfectly smooth stroke, not a "
                               "healthy range)."),
    "ldlj_median": ("smoothness (LDLJ)",
                    "Log dimensionless jerk: higher (closer to 0) is smoother."),
    "peak_vertical_velocity_cv": ("stroke regularity",
                                  "How much stroke speed varies from stroke to stroke."),
    "speed_mean_mm_s": ("writing speed", "Distance the pen travels on the paper per second."),
    "speed_drift_ratio": ("speed change",
                          "Speed at the end of the task over the start (1 = unchanged)."),
    "speed_cv": ("speed evenness", "How much the pen speed varies (lower is steadier)."),
    "tremor_amplitude_pp_mm": ("tremor", "Size of the shaking of the pen, peak to peak."),
    "tremor_amplitude_rms_mm": ("tremor (RMS)", "Size of the shaking of the pen (RMS)."),
    "tremor_frequency_hz": ("tremor frequency", "How many times per second the pen shakes."),
    "tremor_detected": ("tremor present", "1 if a clear shaking rhythm was found, else 0."),
    "pressure_mean": ("pen pressure (share of range)",
                      "How hard the pen presses on the tablet, as a share of its range, "
                      "not newtons (uncalibrated unless the stylus has a profile; then see "
                      "the N measures); a stand-in for how hard the hand grips."),
    "pressure_mean_N": ("pen pressure",
                        "How hard the pen presses on the tablet, in newtons (calibrated "
                        "stylus); a stand-in for how hard the hand grips."),
    "pressure_p90_N": ("pen pressure peaks", "The force exceeded only 10 % of the time, N."),
    "pressure_sd_N": ("pressure variation", "How much the pen force varies, N."),
    "pressure_saturation_N": ("tablet's pressure limit",
                              "The most force the calibrated stylus can report, N."),
    "pressure_p90": ("pen pressure peaks (share of range)",
                     "The pressure exceeded only 10 % of the time, as a share of the range."),
    "pressure_saturation_pct": ("pressing at the limit",
                                "Share of time the pen pressed at the tablet's maximum."),
    "pressure_drift_ratio": ("pressure build-up",
                             "Pressure at the end of the task over the start (1 = unchanged)."),
    "pressure_cv": ("pressure evenness", "How much the pen pressure varies."),
    "in_air_ratio": ("pauses in the air",
                     "Time with the pen lifted over time on the paper."),
    "pen_lifts": ("pen lifts", "Number of times the pen left the paper."),
    "duration_s": ("task time", "Time taken for the task."),
    "spiral_smoothness_1": ("spiral smoothness",
                            "How evenly the spiral widens (lower is smoother)."),
    "spiral_smoothness_2": ("spiral smoothness (2nd order)",
                            "How abruptly the spiral's widening changes (lower is smoother)."),
    "spiral_loop_spacing_cv": ("spiral evenness",
                               "How evenly spaced the spiral's loops are."),
    "spiral_tightness_mm_per_rad": ("spiral tightness", "How fast the spiral widens per turn."),
    "spiral_zero_crossing_rate": ("spiral wobble",
                                  "How often the line wobbles across its ideal path per turn."),
}

#: Plain groups shown to patients, each mapping to its features (first = the headline one).
PLAIN_GROUPS: dict[str, tuple[str, ...]] = {
    "writing rhythm": ("stroke_frequency_hz", "stroke_duration_median_s"),
    "smoothness": ("automation_pct", "niv_mean", "nca_mean", "normalized_jerk_median",
                   "ldlj_median"),
    "pen pressure": ("pressure_mean_N", "pressure_p90_N", "pressure_sd_N", "pressure_mean",
                     "pressure_p90", "pressure_saturation_pct", "pressure_saturation_N",
                     "pressure_drift_ratio", "pressure_cv"),
    "tremor": ("tremor_amplitude_pp_mm", "tremor_amplitude_rms_mm", "tremor_frequency_hz",
               "tremor_detected"),
    "writing speed": ("speed_mean_mm_s", "speed_drift_ratio", "speed_cv"),
    "letter size": ("stroke_size_median_mm", "size_drift_ratio"),
    "regularity": ("peak_vertical_velocity_cv",),
    "pauses": ("in_air_ratio", "pen_lifts"),
    "spiral shape": ("spiral_smoothness_1", "spiral_smoothness_2", "spiral_loop_spacing_cv",
                     "spiral_zero_crossing_rate", "spiral_tightness_mm_per_rad"),
}

_FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


def plain_label(name: str) -> str:
    """Plain-language label of feature `name` (the registry name if it has none)."""
    entry = _PLAIN.get(name)
    return entry[0] if entry else name


def plain_caption(name: str) -> str:
    """One plain sentence about feature `name` (its registry definition if none is written)."""
    entry = _PLAIN.get(name)
    if entry:
        return entry[1]
    f = _FEATURE_BY_NAME.get(name)
    return f.definition if f else ""
