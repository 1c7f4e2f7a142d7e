"""Published reference values of healthy writers, each with its source and tasks.

A **reference range** is drawn as a band *only where a published source gives a number for
that task* (:func:`reference_for`). A feature without one has no band: we never invent one.
Every band names its source, and ``docs/features.md`` ("Reference bands") lists them all
with the tasks they apply to (:func:`bands_markdown`, generated from :data:`REFERENCES`).

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

__all__ = [
    "IDEALS",
    "REFERENCES",
    "Ideal",
    "Reference",
    "bands_markdown",
    "ideal_for",
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
