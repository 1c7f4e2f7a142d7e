"""Reference values of healthy writers and plain-language names of the features.

Two things the progress view, the review view and the report need beside a number:

- a **plain label** a patient understands ("writing rhythm", "tremor size", "pen pressure")
  with a one-sentence caption, the technical name (unit-suffixed registry name) staying one
  click away: :func:`plain_label`, :func:`plain_caption`, :data:`PLAIN_GROUPS`;
- a **reference range** drawn as a band, *only where a published source gives a number for
  that task* (:func:`reference_for`). A feature without one has no band: we never invent
  one. Every band names its source, and ``docs/features.md`` ("Reference bands") lists them
  all with the tasks they apply to (generated from :data:`REFERENCES`).

Not every published number is a healthy range. The normalized jerk of a minimum-jerk stroke
(18.97) and the 2 acceleration changes of an ideal stroke are *theoretical floors* a real
stroke never reaches: they are :data:`IDEALS`, said in words ("the smoothest possible stroke
scores 18.97"), never drawn as a band a patient should be inside.

A reference with ``low == high`` is a single typical value (drawn as a line, not a band); an
open side (``None``) means the band extends to the edge of the plot.

References
----------
Marquardt C, Mai N (1994) Hum Mov Sci 13:373-393 and CSWin (stroke frequency of fluent adult
handwriting 4.5-5 Hz, NIV, automation). Elble RJ, Ellenbogen A (2017) Tremor Other Hyperkinet
Mov 7:481 (Archimedes spirals on a tablet: log10(peak-to-peak in cm) ~ 0.6 * rating - 1.27).
Teulings H-L et al. (1997) Exp Neurol 146:159-170 (normalized jerk, minimum-jerk 18.97).
Zeuner KE et al. (2007) Mov Disord 22:1086-1092 and Schneider AS et al. (2010) Clin
Neurophysiol 121:1898-1907 (pen force in writer's cramp). The spiral speed of healthy writers
and of writer's cramp comes from one MovAlyzeR spiral study (docs/features.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..model import TASKS
from .features import FEATURES, Feature

__all__ = [
    "IDEALS",
    "PLAIN_GROUPS",
    "REFERENCES",
    "Ideal",
    "Reference",
    "assess",
    "bands_markdown",
    "ideal_for",
    "plain_caption",
    "plain_label",
    "reference_for",
]

Better = Literal["lower", "higher", "inside"]

#: Elble & Ellenbogen (2017): log10(peak-to-peak in cm) = 0.6 * rating - 1.27, so a clinical
#: tremor rating of 0 corresponds to 10**-1.27 cm = 0.537 mm peak-to-peak.
_ELBLE_RATING0_PP_MM = 10.0 ** (-1.27) * 10.0
#: Peak-to-peak = 2 sqrt(2) x RMS (docs/science.md §5).
_ELBLE_RATING0_RMS_MM = _ELBLE_RATING0_PP_MM / (2.0 * math.sqrt(2.0))


@dataclass(frozen=True)
class Reference:
    """A published typical value or range of healthy writers for one feature.

    Attributes
    ----------
    feature : str
        Registry name of the feature (unit-suffixed), e.g. ``"stroke_frequency_hz"``.
    plain_label : str
        What a patient calls it ("writing rhythm").
    plain_caption : str
        One sentence saying what the band means, in plain words, with its source.
    low, high : float or None
        The range of healthy writers in `unit`; ``None`` for an open side; ``low == high``
        for a single typical value.
    unit : str
        Unit of `low` and `high` (the registry unit of `feature`).
    better : {"lower", "higher", "inside"}
        Which direction is an improvement for a patient.
    source : str
        Where the number comes from (the study; docs/features.md lists every band).
    tasks : tuple of str
        Tasks the number was measured on (the band is drawn only for these). There is no
        default: a band names the tasks its source measured.
    """

    feature: str
    plain_label: str
    plain_caption: str
    low: float | None
    high: float | None
    unit: str
    better: Better
    source: str
    tasks: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ValueError(f"reference of {self.feature}: needs low or high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"reference of {self.feature}: low {self.low} > high {self.high}")
        if self.better not in ("lower", "higher", "inside"):
            raise ValueError(f"reference of {self.feature}: better={self.better!r}")
        if not self.source.strip() or not self.tasks or not set(self.tasks) <= set(TASKS):
            raise ValueError(f"reference of {self.feature}: needs a source and known tasks")

    @property
    def is_point(self) -> bool:
        """True for a single typical value (drawn as a line)."""
        return self.low is not None and self.low == self.high

    def range_text(self) -> str:
        """The range as text with its unit, e.g. ``"4.5-5 Hz"``, ``"< 0.54 mm"``."""
        u = "" if self.unit == "1" else (self.unit if self.unit == "%" else f" {self.unit}")
        if self.is_point:
            return f"≈ {_fmt(self.low)}{u}"
        if self.low is None:
            return f"< {_fmt(self.high)}{u}"
        if self.high is None:
            return f"> {_fmt(self.low)}{u}"
        return f"{_fmt(self.low)}–{_fmt(self.high)}{u}"


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.3g}"


#: Handwriting proper: the CSWin numbers of fluent adults were measured on writing, not on
#: loops a patient is asked to draw at a given pace (a 2.5 Hz loop train is not "slow").
_HANDWRITING = ("sentence", "free")
_CSWIN = "Marquardt & Mai 1994; CSWin (fluent adult handwriting)"

#: The published numbers (healthy writers), one entry per feature that has one.
REFERENCES: tuple[Reference, ...] = (
    Reference(
        "stroke_frequency_hz", "writing rhythm",
        "Fluent adults write 4.5 to 5 up-and-down strokes per second (mean 4.6); "
        "a slower rhythm means less automatic writing.",
        4.5, 5.0, "Hz", "higher", _CSWIN, _HANDWRITING,
    ),
    Reference(
        "automation_pct", "smooth strokes",
        "Fluent writers make more than 80 % of their strokes in one smooth push "
        "(a single speed peak).",
        80.0, 100.0, "%", "higher", _CSWIN, _HANDWRITING,
    ),
    Reference(
        "niv_mean", "speed changes per stroke",
        "An automatic stroke has 1 speed peak; more than 2 means the movement is "
        "controlled step by step.",
        1.0, 2.0, "1", "lower", _CSWIN, _HANDWRITING,
    ),
    Reference(
        "tremor_amplitude_pp_mm", "tremor size",
        "Below about 0.54 mm corresponds to a clinical tremor rating of 0 "
        "(no visible tremor) in spirals drawn on a tablet.",
        None, round(_ELBLE_RATING0_PP_MM, 3), "mm", "lower",
        "Elble & Ellenbogen 2017 (Archimedes spirals; rating 0 = 10^-1.27 cm)", ("spiral",),
    ),
    Reference(
        "tremor_amplitude_rms_mm", "tremor size (RMS)",
        "Below about 0.19 mm RMS corresponds to a clinical tremor rating of 0 "
        "(no visible tremor) in spirals drawn on a tablet.",
        None, round(_ELBLE_RATING0_RMS_MM, 3), "mm", "lower",
        "Elble & Ellenbogen 2017 (Archimedes spirals; rating 0, peak-to-peak = 2√2 RMS)",
        ("spiral",),
    ),
    Reference(
        "speed_mean_mm_s", "drawing speed",
        "Healthy writers drew spirals at about 41 mm/s, writers with cramp at about 26 mm/s "
        "(one study).",
        41.0, 41.0, "mm/s", "higher", "MovAlyzeR spiral study (one study)", ("spiral",),
    ),
    Reference(
        "pressure_mean_N", "pen pressure",
        "Healthy writers press the pen with less than about 1 N while writing; 1.5 N or "
        "more is raised (writer's cramp raises it in writing, not in circle drawing).",
        None, 1.0, "N", "lower",
        "Zeuner et al. 2007; Schneider et al. 2010 (pen force in writing)", _HANDWRITING,
    ),
)


@dataclass(frozen=True)
class Ideal:
    """A theoretical value a feature approaches but a real stroke never reaches (no band).

    Attributes
    ----------
    feature : str
    value : float
        The theoretical value in the registry unit.
    text : str
        One plain sentence saying what it is.
    source : str
    """

    feature: str
    value: float
    text: str
    source: str


#: Theoretical floors: said in words, never drawn as a healthy range.
IDEALS: tuple[Ideal, ...] = (
    Ideal("normalized_jerk_median", 18.97,
          "The smoothest possible stroke (minimum jerk) scores 18.97; real strokes score "
          "higher, healthy ones too: this is a mathematical floor, not a healthy range.",
          "Teulings et al. 1997 (sqrt(360) for a minimum-jerk stroke)"),
    Ideal("ldlj_median", -5.32,
          "The smoothest possible stroke scores -5.32; real strokes score lower. A floor, "
          "not a healthy range.", "Balasubramanian et al. 2015 (minimum-jerk stroke)"),
    Ideal("nca_mean", 2.0,
          "An ideal stroke speeds up once and slows down once (2 changes); no healthy "
          "range is published.", "Marquardt & Mai 1994 (definition of NCA)"),
)
_IDEAL_BY_NAME: dict[str, Ideal] = {i.feature: i for i in IDEALS}


def ideal_for(name: str) -> Ideal | None:
    """The theoretical value of feature `name` (never drawn as a band), or None."""
    return _IDEAL_BY_NAME.get(name)


def bands_markdown() -> str:
    """The "Reference bands" section of ``docs/features.md``: every band with its tasks and
    source, and the theoretical values that are deliberately not bands."""
    lines = ["## Reference bands", "",
             "The progress view, the review view and the report draw a healthy-writer band "
             "only for these features and only on these tasks; every other measure has no "
             "band (`kinewrite.analysis.reference.REFERENCES`).", "",
             "| feature | tasks | healthy writers | better | source |", "|---|---|---|---|---|"]
    for r in REFERENCES:
        lines.append(f"| `{r.feature}` | {', '.join(r.tasks)} | {r.range_text()} | "
                     f"{r.better} | {r.source} |")
    lines += ["", "Theoretical values, not healthy ranges (said in words, never drawn):", "",
              "| feature | value | source |", "|---|---|---|"]
    for i in IDEALS:
        lines.append(f"| `{i.feature}` | {i.value:g} | {i.source} |")
    lines += ["", "The 4.5-5 Hz rhythm, automation and NIV numbers were measured on fluent "
              "handwriting: they are not applied to loops drawn at a given pace. The tremor "
              "rating mapping was measured on Archimedes spirals. No band exists for pen "
              "pressure as a fraction of the tablet range (it depends on the stylus): it is "
              "shown in N, with its band, only when the session's stylus was calibrated."]
    return "\n".join(lines) + "\n"


_REF_BY_NAME: dict[str, Reference] = {r.feature: r for r in REFERENCES}

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


def reference_for(name: str, task: str | None = None) -> Reference | None:
    """The healthy-writer reference of feature `name`, or None where no number is published.

    Parameters
    ----------
    name : str
        Registry name of the feature, e.g. ``"stroke_frequency_hz"``.
    task : str, optional
        The trial's task; a reference measured on other tasks is not returned (the spiral
        speed of healthy writers says nothing about a sentence). ``None``: any task.

    Returns
    -------
    Reference or None

    Examples
    --------
    >>> reference_for("stroke_frequency_hz").range_text()
    '4.5–5 Hz'
    >>> reference_for("stroke_frequency_hz", task="spiral") is None
    True
    >>> reference_for("pressure_mean") is None   # a fraction of the tablet range: no band
    True
    >>> reference_for("pressure_mean_N", task="sentence").range_text()
    '< 1 N'
    >>> reference_for("stroke_frequency_hz", task="loops") is None   # paced loops: no band
    True
    >>> reference_for("normalized_jerk_median") is None   # 18.97 is a floor (IDEALS)
    True
    """
    ref = _REF_BY_NAME.get(name)
    if ref is None or (task is not None and task not in ref.tasks):
        return None
    return ref


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


def assess(name: str, value: float, task: str | None = None) -> str | None:
    """Where `value` lies against the reference of `name`.

    Returns
    -------
    {"inside", "better", "worse"} or None
        ``"inside"`` within the healthy range (for a single typical value: within 10 % of
        it), ``"better"``/``"worse"`` outside it in the improving/worsening direction,
        ``None`` without a reference or for a non-finite value.

    Examples
    --------
    >>> assess("stroke_frequency_hz", 1.1, "sentence")
    'worse'
    >>> assess("tremor_amplitude_pp_mm", 0.2, "spiral")
    'inside'
    """
    ref = reference_for(name, task)
    if ref is None or not math.isfinite(value):
        return None
    low, high = ref.low, ref.high
    if ref.is_point:
        assert low is not None
        tol = 0.1 * abs(low)
        low, high = low - tol, low + tol
    if (low is None or value >= low) and (high is None or value <= high):
        return "inside"
    above = high is not None and value > high
    if ref.better == "inside":
        return "worse"
    if ref.better == "higher":
        return "better" if above else "worse"
    return "worse" if above else "better"
