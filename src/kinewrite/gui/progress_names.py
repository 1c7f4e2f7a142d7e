"""What the Progress view calls a measure: its plain or technical label, its unit on an
axis, the text of the definition box, and the measures shown first for each task."""

from __future__ import annotations

from ..analysis.features import FEATURES, REFERENCES
from ..analysis.reference import ideal_for, plain_label, reference_for
from .plots import unit_text

__all__ = ["DEFAULT_FEATURES", "FEATURE_BY_NAME", "TASK_PREFERENCE", "measure_label",
           "technical_text", "technical_unit", "unit_words"]

#: The registry's features by name.
FEATURE_BY_NAME = {f.name: f for f in FEATURES}

#: Features shown first for each task (those a patient and therapist ask about).
DEFAULT_FEATURES: dict[str, tuple[str, ...]] = {
    "sentence": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
                 "pressure_mean"),
    "loops": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
              "pressure_mean"),
    "free": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
             "pressure_mean"),
    "spiral": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
               "spiral_smoothness_1"),
    "circles": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
                "peak_vertical_velocity_cv"),
    "lines": ("pressure_mean", "speed_mean_mm_s", "normalized_jerk_median", "duration_s"),
}
#: Preferred first task: the sentence is what patients complain about.
TASK_PREFERENCE = ("sentence", "spiral", "loops", "circles", "lines", "free")


def technical_text(name: str, task: str | None) -> str:
    """Technical name, unit, definition, reference and healthy range of a feature."""
    f = FEATURE_BY_NAME.get(name)
    if f is None:
        return name
    lines = [f"{name}  [{technical_unit(name)}]", f.definition,
             f"Source: {REFERENCES.get(f.reference, f.reference)}"]
    ref = reference_for(name, task)
    ideal = ideal_for(name)
    if ref is not None:
        lines.append(f"Healthy writers: {ref.range_text()} ({ref.source}).")
    elif ideal is not None:
        lines.append(f"{ideal.text} ({ideal.source}). No band is drawn.")
    else:
        lines.append("No published healthy-writer range for this task: no band is drawn.")
    if f.family == "pressure" and f.unit == "1":
        lines.append("Uncalibrated: a fraction of the tablet's range, not newtons.")
    return "\n".join(lines)


def technical_unit(name: str) -> str:
    """A feature's unit exactly as the registry gives it (``"Hz"``, ``"mm/s"``; ``"1"`` for
    a count or a ratio, the SI unit of a dimensionless quantity): what "Technical names"
    shows, never a plain-language word such as "ratio" or "count"."""
    return FEATURE_BY_NAME[name].unit


def measure_label(name: str, technical: bool) -> str:
    """The label of a measure: its plain name, or with `technical` the registry's name and
    unit (``"stroke_frequency_hz (Hz)"``)."""
    if technical:
        f = FEATURE_BY_NAME.get(name)
        return f"{name} ({technical_unit(name)})" if f else name
    return plain_label(name)


def unit_words(name: str, calibrated: bool = False) -> str:
    """The unit of a feature for an axis label; pressure levels are a fraction of the
    tablet's range ("uncalibrated" when the sessions have no newtons), other unit-1
    features are ratios or counts."""
    f = FEATURE_BY_NAME[name]
    if f.unit == "1" and name in ("pressure_mean", "pressure_sd", "pressure_p10",
                                  "pressure_p90"):
        return "fraction of range" if calibrated else "fraction, uncalibrated"
    if f.unit == "1" and name in ("stroke_count", "pen_lifts", "on_surface_strokes",
                                  "gap_count", "tremor_detected"):
        return "count" if name != "tremor_detected" else "1 = yes"
    return unit_text(f.unit)
