"""A patient's progress report: one self-contained HTML file, printable on 2-3 A4 pages.

``kinewrite report --study DIR --patient CODE -o report.html`` writes it (``-o report.pdf``
writes a PDF, see :mod:`kinewrite.report_pdf`). Everything is inside the file: the charts are
vector SVG images embedded as ``data:`` URIs, the handwriting is inline SVG, the style sheet
is inline, and nothing is fetched from the network, so it can be mailed, archived or printed
as it is.

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
plots, inside :func:`render_plots`.
"""

from __future__ import annotations

import base64
import contextlib
import html
import math
import os
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ._atomic import atomic_write_text
from ._version import __version__
from .analysis.features import FEATURES, feature_names
from .analysis.reference import ideal_for, plain_caption, plain_label, reference_for
from .progress import Progress, load_progress, task_label

__all__ = ["KEY_MEASURES", "build_report", "key_measures", "render_plots", "report_html",
           "summary_lines"]

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


def _svg_of(widget, width: int, height: int) -> bytes:
    """`widget` painted into an SVG document (vector paths and text) of width x height px."""
    from PyQt6.QtCore import QBuffer, QIODevice, QRect, QSize
    from PyQt6.QtGui import QPainter
    from PyQt6.QtSvg import QSvgGenerator

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # SVG 1.1 keeps the plots' clipping (a band or a point outside a view stays hidden)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setResolution(96)
    items = [i for i in widget.scene().items() if hasattr(i, "setExportMode")]
    for item in items:  # pyqtgraph's export mode: scatter symbols painted as paths, not
        item.setExportMode(True, {"antialias": True})  # copied from its raster atlas
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()
        for item in items:
            item.setExportMode(False)
    return _portable(bytes(buffer.data()))


def _portable(svg: bytes) -> bytes:
    """Qt's SVG drawn the same by browsers and by :class:`QSvgRenderer` (the PDF): each
    ``<rect>`` as a path (Chromium leaves out a rect at x ~ 1.7e9 s, a date in seconds since
    1970, in a scaled group) and an empty clip path as a clip to nothing (``d=""`` is
    invalid)."""
    def path(m: re.Match[bytes]) -> bytes:
        x, y, w, h = (float(v) for v in m.groups())
        if max(abs(x), abs(w)) < 1e6:  # QSvgRenderer strokes a path here that it does not
            return m.group(0)  # stroke as a rect
        return (f'<path d="M{x:.10g},{y:.10g} L{x + w:.10g},{y:.10g} L{x + w:.10g},'
                f'{y + h:.10g} L{x:.10g},{y + h:.10g} Z"/>').encode()

    svg = re.sub(rb'<rect (?:vector-effect="[a-z-]+" )?x="([^"]+)" y="([^"]+)" '
                 rb'width="([^"]+)" height="([^"]+)"/>', path, svg)
    return svg.replace(b' d=""', b' d="M0,0 Z"')


def render_plots(p: Progress, out_dir: Path | None = None, width_px: int = CHART_WIDTH_PX,
                 font_pt: float = 12.0) -> dict[str, bytes]:
    """SVG charts of the report: one per task (its first :data:`CHARTED` key measures side by
    side) and one of the clinical scales; name -> SVG document.

    Renders the Progress view's plots offscreen with Qt (imported here only), painted as
    vector graphics (:class:`QSvgGenerator`). `out_dir` is not used (kept for callers of the
    PNG version).
    """
    from PyQt6.QtCore import Qt

    from .gui.plots import ensure_app
    from .gui.progress import ProgressView

    app = ensure_app()
    out: dict[str, bytes] = {}
    view = ProgressView()
    view.columns, view.font_pt, view.short_titles = 2, font_pt, True
    view.study_dir, view.patient = p.study_dir, p.patient_code
    view.progress = p
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.show()

    def grab(widget, name: str, height: int, width: int = width_px) -> None:
        for plot in (*view.feature_plots.values(), *view.clinical_plots.values()):
            if plot.legend is not None:  # the report's legend stands above the charts
                plot.legend.hide()
            plot.getAxis("bottom").showLabel(False)  # the ticks are the visits' months
            left = plot.getAxis("left")  # the unit only: a rotated label sets a minimum
            unit = left.labelText.rpartition(" (")[2].rstrip(")")  # height over the chart's
            left.setLabel(unit, **left.labelStyle)
            left.setWidth(round(font_pt * 4.8))  # room for 3-digit ticks and the unit
            y0, y1 = plot.vb.viewRange()[1]
            for band in (i for i in plot.items if hasattr(i, "setRegion")):
                lo, hi = band.getRegion()  # the healthy band within the view: an SVG
                band.setRegion((max(lo, y0), min(hi, y1)))  # renderer may not clip it
        # resized each time: the same size is no resize, and the redrawn layout would keep
        # its preferred height, taller than the chart (the axis cut off below)
        for h in (height + 1, height):
            widget.setFixedSize(width, h)
            for _ in range(3):
                app.processEvents()
        out[name] = _svg_of(widget, width, height)

    try:
        with _quiet_all_nan_bounds():
            view._fill_tasks(p.tasks)
            for task in p.tasks:
                view.set_task(task)
                view.set_features(_charted(p, task))
                grab(view.plots, task, CHART_HEIGHT_PX)
            for scale, plot in view.clinical_plots.items():  # the names; the note under
                plot.setTitle(scale, color="#1e1e1e", size=f"{font_pt + 1}pt")  # says more
            grab(view.clinical, "clinical", 210, width=380)  # beside the scales' table
    finally:
        view.close()
        view.deleteLater()
    return out


@contextlib.contextmanager
def _quiet_all_nan_bounds() -> Iterator[None]:
    """Silence the one RuntimeWarning pyqtgraph gives while the report's plots are drawn.

    A measure that is NaN in every session (not measured in the task, or no tremor detected
    in any visit) is plotted as a series of gaps; when the view computes its range,
    pyqtgraph's ``ScatterPlotItem.dataBounds`` calls ``numpy.nanmin`` on the all-NaN points
    and numpy warns "All-NaN slice encountered". The cause is inside pyqtgraph (0.14.0 does
    not guard the all-NaN case) and the data are right, so only that message, issued from
    pyqtgraph's modules, is filtered, and only here (a warning changes nothing drawn).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="All-NaN slice encountered",
                                category=RuntimeWarning, module=r"pyqtgraph\.")
        yield


def _charted(p: Progress, task: str) -> list[str]:
    """The key measures charted for protocol task `task` (pen pressure in N when calibrated)."""
    return [n for n in key_measures(p, task) if n in feature_names(p.task_of(task))][:CHARTED]


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def ink_svg(x_mm, y_mm, pen_down, width_mm: float = 84.0, height_mm: float = 12.0,
            max_points: int = 2500) -> str:
    """Pen-down ink of a trial as an inline SVG (one polyline per pen-down run), scaled to
    fit width_mm x height_mm with its aspect kept; y up as on the tablet ("" when the pen
    never touched).

    Runs are found with array operations; at most `max_points` points are kept (every k-th
    sample), enough for a printed thumbnail.
    """
    import numpy as np

    x, y, down = (np.asarray(a) for a in (x_mm, y_mm, pen_down))
    keep = down.astype(bool) & np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return ""
    step = max(1, int(np.ceil(keep.sum() / max_points)))
    idx = np.flatnonzero(keep)[::step]
    # a new run where consecutive kept samples were not consecutive pen-down samples
    breaks = np.flatnonzero(np.diff(np.cumsum(~keep)[idx]) > 0) + 1
    px, py = x[idx], y[idx]
    x0, x1, y0, y1 = px.min(), px.max(), py.min(), py.max()
    span = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    scale = min(width_mm / span[0], height_mm / span[1])
    w, h = span[0] * scale, span[1] * scale
    sx = np.round((px - x0) * scale, 2)
    sy = np.round((y1 - py) * scale, 2)
    lines = []
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, idx.size], strict=True):
        pts = " ".join(f"{u:g},{v:g}" for u, v in zip(sx[a:b], sy[a:b], strict=True))
        lines.append(f"<polyline points='{pts}'/>")
    return (f"<svg class='ink' xmlns='http://www.w3.org/2000/svg' width='{w:.1f}mm' "
            f"height='{h:.1f}mm' viewBox='0 0 {w:.2f} {h:.2f}'><g fill='none' stroke='#1e3a8a' "
            f"stroke-width='0.35' stroke-linejoin='round' stroke-linecap='round'>"
            + "".join(lines) + "</g></svg>")


def _ink_of(p: Progress, task: str, i: int) -> tuple[str, str]:
    """The handwriting of `task` at visit `i` (its row's trial): (inline SVG, "") or ("",
    why there is none)."""
    from .storage.session import load_session

    rows = p.rows(task)
    row = rows.iloc[i]
    session = next((s for s in p.sessions if s.session_id == row["session_id"]), None)
    if session is None:
        return "", "handwriting not shown: its session is not in the report"
    try:
        trial = load_session(session.path).trial(f"{int(row['trial']):03d}")
        rec = trial.recording
    except (OSError, KeyError, ValueError) as exc:
        return "", f"handwriting not shown: {str(exc)[:80]}"
    down = rec.pen_down if rec.pen_down is not None else [True] * rec.t.size
    svg = ink_svg(rec.x, rec.y, down)
    return svg, "" if svg else "no ink (the pen never touched)"


def ink_rows(p: Progress) -> tuple[str, str, list[tuple[str, list[tuple[str, str]]]]]:
    """The handwriting of each protocol task at the first and the latest visit.

    Returns
    -------
    (first date, latest date, rows)
        A row is (task's plain name, [first cell, latest cell]); a cell is (inline SVG or "",
        a note: the visit's date where it is not the column's, "one visit so far", or why
        there is no ink).
    """
    d0, d1 = str(p.table["session_date"].iloc[0]), str(p.table["session_date"].iloc[-1])
    out = []
    for task in p.tasks:
        rows = p.rows(task)
        cells = []
        for i, head in ((0, d0), (-1, d1)):
            if i == -1 and len(rows) == 1:
                cells.append(("", "one visit so far"))
                continue
            date = str(rows.iloc[i]["session_date"])
            svg, problem = _ink_of(p, task, i)
            cells.append((svg, problem or ("" if date == head else date)))
        out.append((task_label(task, p.task_of(task)), cells))
    return d0, d1, out


#: The texts of the report, in the HTML file and in the PDF (:mod:`kinewrite.report_pdf`).
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
    return (f"{len(p.sessions)} sessions from {first} to {last} \u00b7 tasks: {tasks} \u00b7 "
            f"generated {generated} by kinewrite {__version__}")


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
        fresh = [n for n in _charted(p, task) if n not in explained]
        explained.update(fresh)
        out[task] = [(plain_label(n), plain_caption(n)) for n in fresh]
    return out


_CSS = """
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10.5pt;
       color: #1e1e1e; margin: 0 auto; max-width: 186mm; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; }
h2 { font-size: 13pt; margin: 4mm 0 1.5mm 0; border-bottom: 1px solid #bbb;
     page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm 0; }
.meta { color: #555; font-size: 9.5pt; }
.banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.8mm 2mm;
          margin: 1mm 0; font-size: 9pt; border-radius: 1mm; -webkit-print-color-adjust: exact;
          print-color-adjust: exact; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 9.5pt;
        page-break-inside: avoid; }
th, td { border: 1px solid #ccc; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f0f0f0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.num { text-align: right; white-space: nowrap; }
table.fixed { table-layout: fixed; }
table.fixed td { overflow-wrap: anywhere; }
.better { color: #1a7f37; font-weight: bold; }
.worse { color: #b00020; font-weight: bold; }
.tech { color: #666; font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
figure { margin: 1mm 0; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ddd; display: block; }
figcaption { font-size: 9.5pt; color: #333; margin-top: 1mm; }
div.task { page-break-inside: avoid; }
table.side, table.side > tbody > tr > td { border: none; padding: 0; }
td.side-table { width: 45%; padding-right: 2mm !important; }
td.side-chart img { width: 100%; height: auto; display: block; }
div.task h3 { margin: 2mm 0 0 0; }
td .meta, td.num { white-space: nowrap; }
td .noise { white-space: normal; }  /* "beyond measurement noise (MDC95 …)" wraps */
.note { background: #fff7d6; padding: 1mm 2mm; -webkit-print-color-adjust: exact;
        print-color-adjust: exact; }
table.inks td { vertical-align: middle; padding: 0.5mm 1.5mm; }
table.inks td:first-child { width: 22%; }
table.inks { page-break-inside: auto; }
table.inks tr { page-break-inside: avoid; }
svg.ink { max-width: 84mm; max-height: 12mm; display: block; }
.legend span { display: inline-block; margin-right: 5mm; }
.swatch { display: inline-block; width: 8mm; height: 3mm; vertical-align: middle;
          -webkit-print-color-adjust: exact; print-color-adjust: exact; }
footer { margin-top: 3mm; font-size: 8.5pt; color: #666; }
"""


def report_html(p: Progress, images: dict[str, bytes], generated: str | None = None) -> str:
    """The report as one HTML string (images embedded)."""
    e = html.escape
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    banner = f'<div class="banner">{e(BANNER_TEXT)}</div>' if p.simulated else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Progress report {e(p.patient_code)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Handwriting progress report: patient {e(p.patient_code)}</h1>",
        f'<p class="meta">{e(meta_text(p, generated))}</p>', banner,
        "<h2>Am I getting better?</h2>", f"<p>{e(INTRO_TEXT)}</p>"
        + (f"<p class='note'>{e(ONE_VISIT_TEXT)}</p>" if len(p.sessions) == 1 else ""),
        '<table class="fixed"><colgroup><col style="width:15%"><col style="width:13%">'
        '<col style="width:14%"><col style="width:14%"><col style="width:30%">'
        '<col style="width:14%"></colgroup>'
        "<tr>" + "".join(f"<th>{e(h)}</th>" for h in SUMMARY_HEAD) + "</tr>",
    ]
    for row in summary_lines(p):
        cls = {"better": "better", "worse": "worse"}.get(row["change"], "")
        noise = (f"<br><span class='meta noise'>{e(row['noise'])}</span>" if row["noise"]
             else "")
        parts.append(
            f"<tr><td>{e(row['measure'])}</td><td>{e(row['task_label'])}</td><td>"
            f"{e(row['first'])}<br><span class='meta'>{e(row['first_date'])}</span></td><td>"
            f"{e(row['last'])}<br><span class='meta'>{e(row['last_date'])}</span></td>"
            f"<td><span class='{cls}'>{e(change_text(p, row))}</span>"
            f"{noise}</td><td>{e(row['healthy'])}</td></tr>")
    parts.append("</table>")
    if mouse_text(p):
        parts.append(f"<p class='note mouse'>{e(mouse_text(p))}</p>")
    parts.append("<h2>Treatments</h2>")
    if p.events.empty:
        parts.append("<p>No treatment recorded.</p>")
    else:
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in TREATMENTS_HEAD)
                     + "</tr>")
        for cells in treatment_rows(p):
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    parts.append("<h2>Clinical scales</h2>")
    if p.clinical.empty:
        parts.append("<p>No clinical scale recorded.</p>")
    else:
        parts.append("<table class='side'><tr><td class='side-table'>")
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in SCALES_HEAD)
                     + "</tr>")
        for date, adds, wcrs, raters in scale_rows(p):
            cells = "".join(f"<td class='num'>{v}</td>" if v else "<td></td>"
                            for v in (adds, wcrs))
            parts.append(f"<tr><td class='num'>{e(date)}</td>{cells}<td>{e(raters)}</td></tr>")
        parts.append("</table></td><td class='side-chart'>")
        if "clinical" in images:
            parts.append(f"<img alt='ADDS and WCRS over time' "
                         f"src='{_data_uri(images['clinical'])}'>")
        parts.append("</td></tr></table>")
        parts.append(f"<p class='meta'>{e(SCALES_TEXT)}</p>")
    swatch = {"band": "background:rgba(120,190,120,0.45)",
              "botulinum": "border-top:2px dashed #9434a0",
              "grip": "border-top:2px dashed #d66e00"}
    legend = "<p class='legend'>" + "".join(
        f"<span><span class='swatch' style='{swatch[mark]}'></span> {e(text)}</span>"
        if mark in swatch else f"<span>{e(mark)} {e(text)}</span>"
        for mark, text in (*LEGEND, *((MOUSE_LEGEND,) if mouse_text(p) else ()))) + "</p>"
    n = len(p.sessions)
    parts.append(f"<section class='progress'>{banner}<h2>Progress of each task</h2>"
                 f"<p>Each point is one visit ({n} visit{'s' if n != 1 else ''}).</p>{legend}")
    captions_of = chart_captions(p)
    for task in p.tasks:
        title = task_label(task, p.task_of(task))
        parts.append(f"<div class='task'><h3>{e(title)}</h3>")
        if task in images:
            captions = " ".join(f"<b>{e(label)}</b>: {e(text)}"
                                for label, text in captions_of[task])
            parts.append(f"<figure><img alt='{e(title)}: progress' "
                         f"src='{_data_uri(images[task])}'><figcaption>{captions}"
                         "</figcaption></figure>")
        parts.append("</div>")
    parts.append("</section>")
    parts.append(_handwriting(p, banner))
    parts.append("<footer>" + e(FOOTER_TEXT).replace(
        "kinewrite export", "<code>kinewrite export</code>") + "</footer></body></html>")
    return "\n".join(x for x in parts if x)


def _handwriting(p: Progress, banner: str) -> str:
    """The handwriting of each task at the first and the latest visit, side by side (a
    visit's date beside its ink only where it is not the visit of the column's head)."""
    e = html.escape
    d0, d1, rows = ink_rows(p)
    out = [f"<section class='ink-section'>{banner}<h2>Handwriting: first and latest visit</h2>",
           f"<table class='inks'><tr><th>Task</th><th>First visit, {e(d0)}</th>"
           f"<th>Latest visit, {e(d1)}</th></tr>"]
    for label, cells in rows:
        html_cells = [svg + (f"<span class='meta'>{e(note)}</span>" if note else "")
                      for svg, note in cells]
        out.append(f"<tr><td>{e(label)}</td><td>{html_cells[0]}</td>"
                   f"<td>{html_cells[1]}</td></tr>")
    out.append("</table></section>")
    return "\n".join(out)


def build_report(study_dir: str | os.PathLike[str], patient: str,
                 out_html: str | os.PathLike[str], problems: list[str] | None = None) -> Path:
    """Write the self-contained HTML report of `patient` to `out_html`.

    The numbers are ``kinewrite export``'s rows of each session file
    (:func:`~kinewrite.progress.load_progress` with ``verify=True``): a session file that
    cannot be read or is damaged in any way is left out of the report, as the export
    leaves it out, and its one-line problem is appended to `problems`.

    Raises
    ------
    ProgressError
        Unknown patient, empty study, or no readable session (one line; its ``problems``
        name the files left out).
    OSError
        If the file cannot be written.
    """
    p = load_progress(study_dir, patient, verify=True)
    if problems is not None:
        problems.extend(p.problems)
    out = Path(out_html)
    images = render_plots(p)
    if out.suffix.lower() == ".pdf":
        from .report_pdf import write_pdf

        return write_pdf(p, images, out)
    atomic_write_text(out, report_html(p, images))  # a unique temporary name, removed if
    return out  # the write fails
