"""The demo's printout: tables a clinician reads in an 80-100 column terminal (no Qt).

:func:`trials_table` prints one line per sample trial with short plain column heads and a
legend giving each column's meaning and unit; :func:`progress_table_text` prints a task's key
measures as rows (plain label and unit) under one dated column per visit. Pen pressure, stored
as a fraction of the device range, is shown in % of the range. "–" is a measure that does not
apply or was not measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..analysis.features import FEATURES
from ..analysis.plain_names import plain_label

__all__ = ["TRIAL_COLUMNS", "display_unit", "format_value", "progress_table_text",
           "trials_table"]

_UNIT = {f.name: f.unit for f in FEATURES}

#: (feature, column head, legend text) of the sample-trial table.
TRIAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("duration_s", "time s", "time taken for the trial, s"),
    ("stroke_frequency_hz", "rhythm Hz", "writing rhythm, up-and-down strokes per s (Hz)"),
    ("niv_mean", "peaks", "speed peaks per stroke (1 = smooth, > 2 step by step)"),
    ("automation_pct", "smooth %", "strokes made in one smooth push, %"),
    ("tremor_frequency_hz", "trem Hz", "tremor frequency, Hz (–: no tremor found)"),
    ("tremor_amplitude_pp_mm", "trem mm", "tremor size, peak to peak, mm"),
    ("pressure_mean", "press %", "mean pen pressure, % of the tablet's range"),
    ("pressure_saturation_pct", "max %", "time pressing at the tablet's maximum, %"),
)


def display_unit(name: str) -> tuple[str, float]:
    """The unit a feature is shown in and the factor from its stored unit: pressure
    fractions become % of the range, unitless counts and ratios have no unit."""
    unit = _UNIT.get(name, "")
    if name.startswith("pressure_") and unit == "1" and not name.endswith(("_cv", "_ratio")):
        return "% of range", 100.0
    return ("" if unit == "1" else unit), 1.0


def format_value(name: str, value: float) -> str:
    """A value as shown: 3 significant digits, yes/no for detections, "–" for NaN."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    if name == "tremor_detected":
        return "yes" if value >= 0.5 else "no"
    v = float(value) * display_unit(name)[1]
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def trials_table(rows: Sequence[Mapping[str, object]]) -> str:
    """The sample trials, one line each (file, task, key numbers), then the legend."""
    heads = ["file", "task", *(head for _, head, _ in TRIAL_COLUMNS)]
    cells = [[_short(str(r["file"]).removesuffix(".csv")), str(r["task"]),
              *(format_value(name, r.get(name, math.nan)) for name, _, _ in TRIAL_COLUMNS)]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(heads, widths, strict=True)))]
    for c in cells:
        lines.append("  ".join(x.ljust(w) if i < 2 else x.rjust(w)
                               for i, (x, w) in enumerate(zip(c, widths, strict=True))))
    legend = ("Columns: " + "; ".join(f"{head}: {text}" for _, head, text in TRIAL_COLUMNS)
              + ". –: does not apply to the task, or not measured.")
    return "\n".join([*lines, "", _wrap(legend)])


def _short(name: str, width: int = 20) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def progress_table_text(task_title: str, dates: Sequence[str],
                        series: Mapping[str, Sequence[float]], max_visits: int = 6) -> str:
    """One task's key measures over the visits: a row per measure (plain label, unit), a
    column per visit headed by its date; the last `max_visits` visits (to fit 100 columns)."""
    shown = list(range(len(dates)))[-max_visits:]
    labels = {name: _label_with_unit(name) for name in series}
    w0 = max([len(task_title), *map(len, labels.values())])
    head = task_title.ljust(w0) + "".join(f"  {dates[i]:>10}" for i in shown)
    lines = [head]
    for name, values in series.items():
        lines.append(labels[name].ljust(w0)
                     + "".join(f"  {format_value(name, values[i]):>10}" for i in shown))
    if len(shown) < len(dates):
        lines.append(f"(the last {len(shown)} of {len(dates)} visits)")
    return "\n".join(lines)


def _label_with_unit(name: str) -> str:
    unit = display_unit(name)[0]
    return f"{plain_label(name)} ({unit})" if unit else plain_label(name)


def _wrap(line: str, width: int = 96) -> str:
    """Wrap a long legend line at `width` (table lines are short enough already)."""
    if len(line) <= width:
        return line
    import textwrap

    return "\n".join(textwrap.wrap(line, width, subsequent_indent="  "))
