"""A patient's progress report, printable on 2-3 A4 pages: what it says (this module, no Qt).

``kinewrite report --study DIR --patient CODE -o report.html`` writes one self-contained
HTML file (:mod:`kinewrite.report_html`: vector charts, inline style, nothing fetched from
the network, so it can be mailed, archived or printed as it is); ``-o report.pdf`` writes a
PDF laid out directly with Qt (:mod:`kinewrite.gui.report_pdf`). Both are written from the
pieces here (the summary rows, the treatments and scales, the chart captions, the texts),
the handwriting of :mod:`kinewrite.report_ink` and the charts of
:mod:`kinewrite.gui.report_charts`, so they say the same.

Contents: a plain-language summary (first and latest visit of each key measure, whether the
change is beyond the patient's own measurement noise, beside the healthy-writer range where a
source gives one for that task; a note instead of a change when there is one visit), the
treatments and clinical scales, the progress of each task (key measures of the Progress view,
rendered offscreen with Qt to SVG, text at 9 pt or more on paper), and the handwriting of each
task at the first and the latest visit. Visits recorded with a mouse are named in the
summary and drawn hollow in the charts. Data that no person wrote (trial input
``simulated``) carries a "SIMULATED" banner on every page.

The numbers are those of :func:`kinewrite.progress.load_progress` (the features cached in the
session files, i.e. the numbers ``kinewrite export`` gives). Qt is imported only to draw the
charts and the PDF, by :func:`kinewrite.gui.report_writer.build_report`.
"""

from __future__ import annotations

import math

from ._version import __version__
from .analysis.features import FEATURES, feature_names
from .analysis.plain_names import plain_caption, plain_label
from .analysis.reference_bands import ideal_for, reference_for
from .progress.labels import task_label
from .progress.model import Progress

__all__ = ["KEY_MEASURES", "charted_measures", "key_measures", "summary_lines"]

_FEATURE = {f.name: f for f in FEATURES}

#: Key measures of the summary and the last-session table, per task.
KEY_MEASURES: dict[str, tuple[str, ...]] = {
    "sentence": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
                 "pressure_mean", "speed_mean_mm_s"),
    "loops": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
              "pressure_mean", "speed_mean_mm_s"),
    "free": ("stroke_frequency_hz", "automation_pct", "tremor_amplitude_pp_mm",
             "pressure_mean", "speed_mean_mm_s"),
    "spiral": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
               "spiral_smoothness_1"),
    "circles": ("tremor_amplitude_pp_mm", "pressure_mean", "speed_mean_mm_s",
                "peak_vertical_velocity_cv"),
    "lines": ("pressure_mean", "speed_mean_mm_s", "normalized_jerk_median"),
}
#: Which direction is an improvement, where the literature says so but gives no healthy
#: range (docs/features.md): pen pressure is raised in writer's cramp; spiral smoothness
#: indices grow with irregularity (Pullman 1998); peak-velocity CV is raised in WC circles.
_BETTER = {"pressure_mean": "lower", "pressure_p90": "lower", "pressure_mean_N": "lower",
           "pressure_p90_N": "lower", "spiral_smoothness_1": "lower",
           "peak_vertical_velocity_cv": "lower"}
#: Summary rows: (task, feature) pairs that answer "am I getting better?"; one row per
#: protocol task of that task (a guided and a free spiral are two rows).
SUMMARY = (("sentence", "stroke_frequency_hz"), ("sentence", "automation_pct"),
           ("spiral", "tremor_amplitude_pp_mm"), ("sentence", "pressure_mean"),
           ("spiral", "speed_mean_mm_s"))
UNCALIBRATED = "uncalibrated"


def key_measures(p: Progress, key: str) -> list[str]:
    """The key measures of protocol task `key`: :data:`KEY_MEASURES` of its task, pen
    pressure in N where the patient's sessions have a stylus profile (else as a fraction of
    the tablet range, labelled uncalibrated)."""
    names = []
    for name in KEY_MEASURES.get(p.task_of(key), ()):
        if name in ("pressure_mean", "pressure_p90") and _calibrated(p, key):
            name = f"{name}_N"
        names.append(name)
    return names


def _calibrated(p: Progress, key: str) -> bool:
    values = p.series(key, "pressure_mean_N")[1]
    return bool(values.size and (values == values).any())


def _unit(name: str) -> str:
    f = _FEATURE.get(name)
    if f is None or f.unit == "1":
        if name in ("pressure_mean", "pressure_p90"):
            return "of tablet range"
        return ""
    return f.unit


def _value(name: str, v: float, detected: float | None = None) -> str:
    if v is None or not math.isfinite(v):
        if name.startswith("tremor_amplitude") and detected == 0:
            return "no tremor detected"
        return "n/a"
    unit = _unit(name)
    if unit == "of tablet range":
        return f"{100 * v:.0f} % of tablet range ({UNCALIBRATED})"
    text = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


def _direction(name: str) -> str | None:
    ref = reference_for(name)
    if ref is not None and ref.better != "inside":
        return ref.better
    return _BETTER.get(name)


def _detected(p: Progress, task: str, i: int) -> float:
    return float(p.series(task, "tremor_detected")[1][i])


def _healthy_text(name: str, task: str) -> str:
    """The healthy range of `name` on `task`, or what the number means where there is none."""
    ref = reference_for(name, task)
    if ref is not None:
        return ref.range_text()
    ideal = ideal_for(name)
    if ideal is not None:
        return f"no healthy range ({ideal.value:g} = the theoretical floor)"
    return ""


def _change(p: Progress, key: str, name: str) -> tuple[str, str]:
    """(direction, noise verdict) of the first-to-last change of `name` in `key`.

    A tremor that was not detected is "no tremor", not 0 mm: from a tremor to none is
    better, from none to a tremor worse, none to none the same; there is no amplitude to
    compare with the noise.
    """
    values = p.series(key, name)[1]
    if values.size < 2:
        return "", ""
    first, last = float(values[0]), float(values[-1])
    better = _direction(name)
    if name.startswith("tremor_amplitude"):
        d0, d1 = _detected(p, key, 0) == 0, _detected(p, key, -1) == 0
        if d0 and d1:
            return "no tremor either time", ""
        if d1 and math.isfinite(first):
            return "better", "tremor no longer detected"
        if d0 and math.isfinite(last):
            return "worse", "tremor now detected"
    if not (math.isfinite(first) and math.isfinite(last) and better):
        return "", ""
    noise = p.noise(key, name)
    verdict = p.change(key, name)
    if noise.known:
        verdict += f" (MDC95 {_value(name, noise.mdc95)})"
        if abs(last - first) <= noise.mdc95:
            return "no clear change", verdict
    elif abs(last - first) / max(abs(first), abs(last), 1e-9) < 0.05:
        return "about the same", verdict
    return ("better" if (last > first) == (better == "higher") else "worse"), verdict


def summary_lines(p: Progress) -> list[dict[str, str]]:
    """Plain-language comparison of the first and last session for the key measures.

    Returns
    -------
    list of dict
        Keys ``measure``, ``technical``, ``task`` (the protocol task), ``task_label``,
        ``first``, ``last``, ``change`` ("better", "worse", "no clear change" (within the noise),
        "about the same" (noise not known, under 5 %), or ""),
        ``noise`` ("beyond measurement noise (MDC95 ...)", "within noise (...)", "noise not
        known", a tremor's appearance or disappearance, or ""), ``healthy`` (range text, the
        theoretical floor, or ""), ``caption``.
    """
    out = []
    for task, measure in SUMMARY:
        for key in (k for k in p.tasks if p.task_of(k) == task):
            name = measure
            if name == "pressure_mean" and _calibrated(p, key):
                name = "pressure_mean_N"
            dates, values = p.series(key, name)
            if values.size < 1:
                continue
            change, noise = _change(p, key, name)
            out.append({
                "measure": plain_label(name), "technical": name, "task": key,
                "task_label": task_label(key, task),
                "first": _value(name, values[0], _detected(p, key, 0)),
                "first_date": str(dates[0])[:10],
                "last": _value(name, values[-1], _detected(p, key, -1)),
                "last_date": str(dates[-1])[:10],
                "change": change, "noise": noise,
                "healthy": _healthy_text(name, task), "caption": plain_caption(name),
            })
    return out


#: Chart size in px (96 px per inch): 700 px print as 185 mm, the A4 text width, so a
#: chart's type prints at its own size (ticks 10 pt at ``font_pt`` 12).
CHART_WIDTH_PX, CHART_HEIGHT_PX = 700, 128
#: Key measures charted per task (the first ones of :data:`KEY_MEASURES`).
CHARTED = 2

def charted_measures(p: Progress, task: str) -> list[str]:
    """The key measures charted for protocol task `task` (pen pressure in N when calibrated)."""
    return [n for n in key_measures(p, task) if n in feature_names(p.task_of(task))][:CHARTED]

#: The texts of the report, in the HTML file and in the PDF (:mod:`kinewrite.gui.report_pdf`).
BANNER_TEXT = ("SIMULATED DATA: no person wrote these trials. For demonstration only; not a "
               "clinical record.")
INTRO_TEXT = (
    "Each measure compares the first visit with the latest. A change is \u201cbeyond "
    "measurement noise\u201d when it is larger than the smallest change this patient\u2019s "
    "own repeated trials (and visits before treatment) can detect (MDC95); otherwise it is "
    "\u201cwithin noise\u201d. \u201cHealthy writers\u201d is the range a published source "
    "gives for people without writer\u2019s cramp on that task, where one exists. Pen "
    "pressure is in newtons when the stylus was calibrated, otherwise a share of the "
    "tablet\u2019s range (uncalibrated).")
ONE_VISIT_TEXT = "There is one visit so far: the change shows from the second visit on."
SUMMARY_HEAD = ("Measure", "Task", "First visit", "Latest visit", "Change", "Healthy writers")
SCALES_HEAD = ("Date", "ADDS %", "WCRS points", "Rater")
TREATMENTS_HEAD = ("Date", "Treatment", "Product", "Muscles (dose)", "Notes")
SCALES_TEXT = ("ADDS (Arm Dystonia Disability Scale, Fahn): 100 % is no disability, higher is "
               "better. WCRS (Writer\u2019s Cramp Rating Scale, Wissel 1996): 0 is no cramp, "
               "lower is better. Dashed lines mark treatments.")
#: The charts' legend: (mark, text); marks "band", "botulinum", "grip" are drawn, the others
#: are characters.
LEGEND = (("band", "healthy writers"), ("botulinum", "botulinum toxin"),
          ("grip", "pen-grip training"),
          ("\u00d7", "under a date, below the zero line: no tremor detected in that visit (no "
                 "amplitude, not 0 mm)"),
          ("\u25ef", "around a point: changed from the visit before by more than the "
                 "measurement noise (MDC95)"))
MOUSE_LEGEND = ("\u25cb", "hollow point: recorded with a mouse (timing and pressure not "
                "comparable)")
FOOTER_TEXT = ("Made by kinewrite from the features stored in the session files (the numbers "
               "of kinewrite export). Patients are identified by a code only. Healthy-writer "
               "ranges, their sources and every measure\u2019s definition: kinewrite\u2019s "
               "docs/science.md and docs/features.md (Reference bands); measurement noise: "
               "docs/measurement-error.md.")


def meta_text(p: Progress, generated: str) -> str:
    """The line under the title: visits, tasks, when and by which kinewrite."""
    first, last = p.table["session_date"].iloc[0], p.table["session_date"].iloc[-1]
    tasks = ", ".join(task_label(k, p.task_of(k)) for k in p.tasks)
    n = len(p.sessions)
    return (f"{n} session{'s' if n != 1 else ''} from {first} to {last} \u00b7 tasks: "
            f"{tasks} \u00b7 generated {generated} by kinewrite {__version__}")


def change_text(p: Progress, row: dict[str, str]) -> str:
    """A summary row's change, "one visit" with one visit, never blank."""
    return row["change"] or ("one visit" if len(p.sessions) == 1 else "\u2013")


def mouse_text(p: Progress) -> str:
    """The sentence naming the visits recorded with a mouse ("" when there is none)."""
    mouse = p.recorded_with_mouse()
    if not mouse.size:
        return ""
    return (f"Recorded with a mouse, not the tablet pen: {', '.join(mouse)}. Timing and "
            f"pressure of {'this visit' if mouse.size == 1 else 'these visits'} are not "
            "comparable with the tablet visits (hollow points in the charts).")


def treatment_rows(p: Progress) -> list[tuple[str, ...]]:
    """The treatments, one row each, in the order of :data:`TREATMENTS_HEAD`."""
    return [tuple(str(ev[c]) for c in ("date_text", "label", "product", "muscles", "notes"))
            for _, ev in p.events.iterrows()]


def scale_rows(p: Progress) -> list[tuple[str, str, str, str]]:
    """The clinical scales, one row a date (the day's last score of each), as
    :data:`SCALES_HEAD`."""
    rows = []
    for date, group in p.clinical.groupby("date_text", sort=True):
        score = {sc: g["score"].iloc[-1] for sc, g in group.groupby("scale")}
        adds, wcrs = (f"{score[sc]:.1f}" if sc in score else "" for sc in ("ADDS", "WCRS"))
        rows.append((str(date), adds, wcrs, ", ".join(sorted({r for r in group["rater"] if r}))))
    return rows


def chart_captions(p: Progress) -> dict[str, list[tuple[str, str]]]:
    """Per protocol task: (plain name, one sentence) of its charted measures, each measure
    explained once, under its first chart."""
    explained: set[str] = set()
    out = {}
    for task in p.tasks:
        fresh = [n for n in charted_measures(p, task) if n not in explained]
        explained.update(fresh)
        out[task] = [(plain_label(n), plain_caption(n)) for n in fresh]
    return out
