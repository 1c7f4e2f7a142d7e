"""Right after a trial: the few numbers the therapist looks at, and whether to redo it.

:func:`key_numbers` picks a handful of features of a trial (writing frequency, velocity peaks
per stroke, tremor, pen pressure, sample rate) with plain labels and units;
:func:`check_trial` says in plain words what makes a trial doubtful (too short, the pen never
down, lost samples, a low sample rate, coalesced timestamps, a saturated pressure sensor),
each message with its number. Errors mean "redo it"; warnings mean "look before you go on".
The redo itself keeps the earlier trial, marked superseded (storage).

Thresholds follow docs/science.md §1 (a gap is longer than 3 nominal sample periods; the rate that
counts is the effective one) and the task's own minimums (:class:`~.tasks.TaskSpec`).
This module never imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .tasks import TaskSpec

__all__ = [
    "DUPLICATE_WARN_FRACTION",
    "RATE_WARN_FRACTION",
    "SATURATION_WARN_PCT",
    "Finding",
    "KeyNumber",
    "QualityLike",
    "check_trial",
    "key_numbers",
]

#: An effective rate below this share of the nominal one is flagged.
RATE_WARN_FRACTION = 0.8
#: More than this share of samples sharing their predecessor's timestamp is flagged (Windows
#: coalesces events; around 1 % is usual, and the analysis rebuilds the clock from them).
DUPLICATE_WARN_FRACTION = 0.05
#: More pen-down samples than this share (%) on the pressure ceiling is flagged.
SATURATION_WARN_PCT = 5.0

#: Tasks whose rhythm is a writing frequency (strokes up and down); spirals and lines show
#: the drawing speed instead.
_RHYTHMIC = ("sentence", "loops", "circles", "free")


class QualityLike(Protocol):
    """What :func:`check_trial` reads of a live quality report (any object with these
    attributes will do; ``gaps`` may be a count or a sequence of gaps). Read-only, so a
    frozen :class:`~kinewrite.acquisition.quality.QualityReport` is one."""

    @property
    def n_samples(self) -> int: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def effective_rate_hz(self) -> float: ...

    @property
    def jitter_ms(self) -> float: ...

    @property
    def duplicate_timestamps(self) -> int: ...

    @property
    def gaps(self) -> Any: ...

    @property
    def dropped_estimate(self) -> int | None: ...

    @property
    def pen_down_s(self) -> float: ...


@dataclass(frozen=True)
class KeyNumber:
    """One number shown after a trial.

    ``value`` is in ``unit`` (which may differ from the feature's own: pressure is shown in %
    of the device range); NaN when it does not apply. ``feature_name`` is the registry name
    it comes from.
    """

    label: str
    value: float
    unit: str
    feature_name: str

    @property
    def text(self) -> str:
        """The value as shown: ``4.52 Hz``, ``yes``/``no`` for detections, ``–`` if NaN."""
        v = self.value
        if not math.isfinite(v):
            return "–"
        if self.unit == "yes/no":
            return "yes" if v >= 0.5 else "no"
        digits = 3 if abs(v) < 10 else (1 if abs(v) < 100 else 0)
        number = f"{v:.{digits}f}" if abs(v) < 1000 else f"{v:.0f}"
        return f"{number} {self.unit}".rstrip() if self.unit not in ("", "1") else number


@dataclass(frozen=True)
class Finding:
    """A problem with a trial: ``severity`` "error" (redo it) or "warning"; ``code`` a stable
    identifier (no_pen_down, too_short, pen_down_short, gaps, low_rate, duplicates,
    saturation); ``message`` one plain sentence with the number."""

    severity: str
    code: str
    message: str


def key_numbers(features: Mapping[str, float] | None, task: str) -> list[KeyNumber]:
    """The numbers the therapist sees right after a trial.

    Parameters
    ----------
    features : mapping or None
        :func:`kinewrite.analysis.features.extract_features` of the trial (None if there was
        nothing to analyse: every value is then NaN).
    task : str
        The trial's task.

    Returns
    -------
    list of KeyNumber
        Duration; writing frequency (sentence, loops, circles, free) or drawing speed (spiral,
        lines); velocity peaks per stroke (NIV, ideal 1); tremor detected, its frequency and
        peak-to-peak amplitude; mean pen pressure in % of the device range; effective sample
        rate.

    Examples
    --------
    >>> nums = key_numbers({"stroke_frequency_hz": 4.6, "tremor_detected": 0.0}, "sentence")
    >>> [(k.label, k.text) for k in nums][1:4]
    [('Writing frequency', '4.600 Hz'), ('Velocity peaks per stroke (NIV)', '–'), \
('Tremor', 'no')]
    """
    f = features or {}

    def get(name: str, scale: float = 1.0) -> float:
        v = f.get(name, math.nan)
        return float(v) * scale if v is not None else math.nan

    nums = [KeyNumber("Duration", get("duration_s"), "s", "duration_s")]
    if task in _RHYTHMIC:
        nums.append(KeyNumber("Writing frequency", get("stroke_frequency_hz"), "Hz",
                              "stroke_frequency_hz"))
    else:
        nums.append(KeyNumber("Drawing speed", get("speed_mean_mm_s"), "mm/s",
                              "speed_mean_mm_s"))
    nums += [
        KeyNumber("Velocity peaks per stroke (NIV)", get("niv_mean"), "", "niv_mean"),
        KeyNumber("Tremor", get("tremor_detected"), "yes/no", "tremor_detected"),
        KeyNumber("Tremor frequency", get("tremor_frequency_hz"), "Hz", "tremor_frequency_hz"),
        KeyNumber("Tremor amplitude (peak to peak)", get("tremor_amplitude_pp_mm"), "mm",
                  "tremor_amplitude_pp_mm"),
        KeyNumber("Mean pen pressure", get("pressure_mean", 100.0), "% of range",
                  "pressure_mean"),
        KeyNumber("Sample rate", get("sample_rate_hz"), "Hz", "sample_rate_hz"),
    ]
    return nums


def check_trial(
    features: Mapping[str, float] | None,
    quality: QualityLike | None,
    spec: TaskSpec | None,
    nominal_rate_hz: float | None,
    input_kind: str = "tablet",
) -> list[Finding]:
    """Consistency checks of a finished trial, errors first.

    Parameters
    ----------
    features : mapping or None
        The trial's features; None when the analysis had nothing to work on (the pen never
        touched the surface).
    quality : QualityLike or None
        The live quality report, for what features do not hold (duplicate timestamps, a
        sample count); used as a fallback for duration, rate, gaps and pen-down time.
    spec : TaskSpec or None
        The task, for its ``min_duration_s`` and ``min_pen_down_s``.
    nominal_rate_hz : float or None
        The device's nominal sample rate; None or NaN skips the rate check.
    input_kind : str, default "tablet"
        ``tablet`` or ``mouse``: a mouse sends nothing while it does not move, so its pauses
        are reported as such, not as a tablet losing samples.

    Returns
    -------
    list of Finding
        Empty for a good trial.
    """
    f = features or {}
    out: list[Finding] = []

    def feat(name: str, attr: str | None = None) -> float:
        v = f.get(name)
        if v is not None and math.isfinite(float(v)):
            return float(v)
        q = getattr(quality, attr, None) if (quality is not None and attr) else None
        return float(q) if q is not None and math.isfinite(float(q)) else math.nan

    pen_down = feat("pen_down_time_s", "pen_down_s")
    if (features is None and not pen_down > 0) or pen_down == 0:
        out.append(Finding("error", "no_pen_down",
                           "The pen never touched the surface: there is nothing to analyse. "
                           "Check that the pen writes on the tablet, then redo the trial."))
    duration = feat("duration_s", "duration_s")
    if spec is not None and spec.min_duration_s > 0 and duration < spec.min_duration_s:
        out.append(Finding("error", "too_short",
                           f"The trial lasted {duration:.1f} s, less than the "
                           f"{spec.min_duration_s:g} s this task needs: redo it."))
    if (spec is not None and spec.min_pen_down_s > 0 and pen_down > 0
            and pen_down < spec.min_pen_down_s and not out):  # one "redo" message is enough
        out.append(Finding("error", "pen_down_short",
                           f"The pen was on the surface for only {pen_down:.1f} s, less than "
                           f"the {spec.min_pen_down_s:g} s this task needs: redo it."))
    # The live line counts the monitor's gaps: the check counts the same ones, so the two
    # never disagree; the analysis' own count serves only without a live report.
    raw = getattr(quality, "gaps", None) if quality is not None else None
    if raw is not None:
        gaps = float(len(raw)) if hasattr(raw, "__len__") else float(raw)
    else:
        gaps = feat("gap_count")
    if gaps > 0 and input_kind == "mouse":
        n = int(gaps)
        out.append(Finding("warning", "gaps",
                           f"{n} {'pause' if n == 1 else 'pauses'} in the mouse data: a mouse "
                           "sends nothing while it does not move. The analysis skips them; a "
                           "tablet gives steadier timing and pen pressure."))
    elif gaps > 0:
        lost = getattr(quality, "dropped_estimate", None) if quality is not None else None
        extra = f" (about {int(lost)} samples lost)" if lost else ""
        n = int(gaps)
        out.append(Finding("warning", "gaps",
                           f"{n} {'gap' if n == 1 else 'gaps'} in the data{extra}: the tablet "
                           "stopped sending for longer than 3 sample periods. The analysis "
                           "skips the gaps; if there are many, close other programs (a busy "
                           "computer delays the tablet's data) and redo the trial."))
    rate = feat("sample_rate_hz", "effective_rate_hz")
    if (nominal_rate_hz is not None and math.isfinite(nominal_rate_hz) and nominal_rate_hz > 0
            and rate < RATE_WARN_FRACTION * nominal_rate_hz):
        out.append(Finding("warning", "low_rate",
                           f"The sample rate was {rate:.0f} Hz, {100 * rate / nominal_rate_hz:.0f}"
                           f" % of the tablet's {nominal_rate_hz:g} Hz: the computer may be too "
                           "busy, or the tablet is not what the settings say."))
    if quality is not None:
        dup, n_samples = getattr(quality, "duplicate_timestamps", 0), getattr(
            quality, "n_samples", 0)
        if n_samples and dup / n_samples > DUPLICATE_WARN_FRACTION:
            out.append(Finding("warning", "duplicates",
                               f"{100 * dup / n_samples:.0f} % of the samples ({dup} of "
                               f"{n_samples}) arrived with the same time as the one before: "
                               "the timing is less precise than usual."))
    saturation = feat("pressure_saturation_pct")
    if saturation > SATURATION_WARN_PCT:
        out.append(Finding("warning", "saturation",
                           f"The pen pressure was at the tablet's maximum for {saturation:.0f} % "
                           "of the writing: pressing harder than that is not measured."))
    return sorted(out, key=lambda x: x.severity != "error")
