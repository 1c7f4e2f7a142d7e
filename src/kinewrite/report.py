"""A patient's progress report: one self-contained HTML file, printable on A4.

``kinewrite report --study DIR --patient CODE -o report.html`` writes it. Everything is inside
the file: the plots are PNG images embedded as ``data:`` URIs, the style sheet is inline, and
nothing is fetched from the network, so it can be mailed, archived or printed as it is.

Contents: a plain-language summary (first and last session of each key measure, beside the
healthy-writer range where one is published), the treatments and clinical scales, the
progress of each task (the Progress view's plots, rendered offscreen with Qt), and the last
session's trials with their key numbers. Data that no person wrote (trial input
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
import tempfile
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ._atomic import atomic_write_text
from ._version import __version__
from .analysis.features import FEATURES, feature_names
from .analysis.reference import assess, plain_caption, plain_label, reference_for
from .progress import Progress, load_progress

__all__ = ["KEY_MEASURES", "build_report", "render_plots", "report_html", "summary_lines"]

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
#: Which direction is an improvement, where SCIENCE.md says so but gives no healthy range:
#: pen pressure is raised in writer's cramp (§6); spiral smoothness indices grow with
#: irregularity (§7, Pullman 1998); peak-velocity CV is raised in WC circles (§4).
_BETTER = {"pressure_mean": "lower", "pressure_p90": "lower", "spiral_smoothness_1": "lower",
           "peak_vertical_velocity_cv": "lower"}
#: Summary rows: (task, feature) pairs that answer "am I getting better?".
SUMMARY = (("sentence", "stroke_frequency_hz"), ("sentence", "automation_pct"),
           ("spiral", "tremor_amplitude_pp_mm"), ("sentence", "pressure_mean"),
           ("spiral", "speed_mean_mm_s"))


def _unit(name: str) -> str:
    f = _FEATURE.get(name)
    if f is None or f.unit == "1":
        if name.startswith("pressure_") and name in ("pressure_mean", "pressure_p90"):
            return "of tablet range"
        return ""
    return f.unit


def _value(name: str, v: float, detected: float | None = None) -> str:
    if v is None or not math.isfinite(v):
        if name.startswith("tremor_amplitude") and detected == 0:
            return "none detected"
        return "n/a"
    unit = _unit(name)
    if name.startswith("pressure_") and unit == "of tablet range":
        return f"{100 * v:.0f} % of tablet range"
    text = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


def _direction(name: str) -> str | None:
    ref = reference_for(name)
    if ref is not None and ref.better != "inside":
        return ref.better
    return _BETTER.get(name)


def _detected(p: Progress, task: str, i: int) -> float:
    return float(p.series(task, "tremor_detected")[1][i])


def _tremor_value(p: Progress, task: str, name: str, i: int) -> float:
    """A tremor amplitude where none was detected counts as 0 mm for the comparison."""
    v = float(p.series(task, name)[1][i])
    if not math.isfinite(v) and name.startswith("tremor_amplitude"):
        detected = p.series(task, "tremor_detected")[1][i]
        return 0.0 if detected == 0 else v
    return v


def summary_lines(p: Progress) -> list[dict[str, str]]:
    """Plain-language comparison of the first and last session for the key measures.

    Returns
    -------
    list of dict
        Keys ``measure``, ``task``, ``first``, ``last``, ``change`` ("better", "worse",
        "about the same" or ""), ``healthy`` (range text or ""), ``caption``.
    """
    out = []
    for task, name in SUMMARY:
        if task not in p.tasks:
            continue
        dates, values = p.series(task, name)
        if values.size < 1:
            continue
        first = _tremor_value(p, task, name, 0)
        last = _tremor_value(p, task, name, -1)
        change = ""
        better = _direction(name)
        if values.size > 1 and math.isfinite(first) and math.isfinite(last) and better:
            scale = max(abs(first), abs(last), 1e-9)
            if abs(last - first) / scale < 0.05:
                change = "about the same"
            elif (last > first) == (better == "higher"):
                change = "better"
            else:
                change = "worse"
        ref = reference_for(name, task)
        d0 = str(dates[0])[:10]
        d1 = str(dates[-1])[:10]
        out.append({
            "measure": plain_label(name), "technical": name, "task": task,
            "first": _value(name, values[0], _detected(p, task, 0)), "first_date": d0,
            "last": _value(name, values[-1], _detected(p, task, -1)), "last_date": d1,
            "change": change,
            "healthy": ref.range_text() if ref else "", "caption": plain_caption(name),
        })
    return out


def render_plots(p: Progress, out_dir: Path, width_px: int = 900,
                 font_pt: float = 11.0) -> dict[str, Path]:
    """PNG plots of the report: one per task (its key measures, 2 x 2) and one of the scales.

    Renders the Progress view's plots offscreen with Qt (imported here only). At the default
    900 px over the 186 mm of an A4 text width, 11 pt type prints at about 8.5 pt.
    """
    from PyQt6.QtCore import Qt

    from .gui.plots import ensure_app
    from .gui.progress import ProgressView

    app = ensure_app()
    out: dict[str, Path] = {}
    view = ProgressView()
    view.columns, view.font_pt = 2, font_pt
    view.study_dir, view.patient = p.study_dir, p.patient_code
    view.progress = p
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.show()

    def grab(widget, name: str, height: int) -> None:
        widget.setFixedSize(width_px, height)
        for _ in range(3):
            app.processEvents()
        path = out_dir / f"{name}.png"
        if not widget.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: cannot write the PNG image")
        out[name] = path

    try:
        with _quiet_all_nan_bounds():
            view._fill_tasks(p.tasks)
            for task in p.tasks:
                view.set_task(task)
                names = [n for n in KEY_MEASURES.get(task, ()) if n in feature_names(task)][:4]
                view.set_features(names)
                grab(view.plots, task, 330 * ((len(names) + 1) // 2))
            grab(view.clinical, "clinical", 330)
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


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


_CSS = """
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10.5pt;
       color: #1e1e1e; margin: 0 auto; max-width: 186mm; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; }
h2 { font-size: 13pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #bbb; }
h3 { font-size: 11pt; margin: 4mm 0 1mm 0; }
.meta { color: #555; font-size: 9.5pt; }
.banner { background: #b00020; color: #fff; font-weight: bold; padding: 2mm 3mm;
          margin: 2mm 0; border-radius: 1mm; -webkit-print-color-adjust: exact;
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
figure { margin: 2mm 0; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 9.5pt; color: #333; margin-top: 1mm; }
section.task { page-break-before: always; }
.legend span { display: inline-block; margin-right: 5mm; }
.swatch { display: inline-block; width: 8mm; height: 3mm; vertical-align: middle;
          -webkit-print-color-adjust: exact; print-color-adjust: exact; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #666; }
"""

_TASK_NAMES = {"spiral": "Spiral", "loops": "Loops (llll)", "sentence": "Test sentence",
               "circles": "Circles", "lines": "Straight lines", "free": "Free writing"}


def report_html(p: Progress, images: dict[str, Path], generated: str | None = None) -> str:
    """The report as one HTML string (images embedded)."""
    e = html.escape
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = p.table
    first, last = table["session_date"].iloc[0], table["session_date"].iloc[-1]
    banner = ('<div class="banner">SIMULATED DATA: no person wrote these trials. '
              'For demonstration only; not a clinical record.</div>') if p.simulated else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Progress report {e(p.patient_code)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Handwriting progress report: patient {e(p.patient_code)}</h1>",
        f'<p class="meta">{len(p.sessions)} sessions from {e(first)} to {e(last)} · '
        f"tasks: {e(', '.join(p.tasks))} · generated {e(generated)} by kinewrite "
        f"{e(__version__)}</p>", banner,
        "<h2>Am I getting better?</h2>",
        "<p>Each measure compares the first session with the last. &ldquo;Healthy "
        "writers&rdquo; is the range published for people without writer&rsquo;s cramp, "
        "where one exists.</p>",
        '<table class="fixed"><colgroup><col style="width:27%"><col style="width:11%">'
        '<col style="width:19%"><col style="width:19%"><col style="width:10%">'
        '<col style="width:14%"></colgroup>'
        '<tr><th>Measure</th><th>Task</th><th>First session</th><th>Last session</th>'
        "<th>Change</th><th>Healthy writers</th></tr>",
    ]
    for row in summary_lines(p):
        cls = {"better": "better", "worse": "worse"}.get(row["change"], "")
        parts.append(
            f"<tr><td>{e(row['measure'])}<br><span class='tech'>{e(row['technical'])}</span>"
            f"</td><td>{e(row['task'])}</td><td>{e(row['first'])}<br><span class='meta'>"
            f"{e(row['first_date'])}</span></td><td>{e(row['last'])}<br><span class='meta'>"
            f"{e(row['last_date'])}</span></td><td class='{cls}'>{e(row['change'])}</td>"
            f"<td>{e(row['healthy'])}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Treatments</h2>")
    if p.events.empty:
        parts.append("<p>No treatment recorded.</p>")
    else:
        parts.append("<table><tr><th>Date</th><th>Treatment</th><th>Product</th>"
                     "<th>Muscles (dose)</th><th>Notes</th></tr>")
        for _, ev in p.events.iterrows():
            parts.append(f"<tr><td>{e(ev['date_text'])}</td><td>{e(ev['label'])}</td>"
                         f"<td>{e(ev['product'])}</td><td>{e(ev['muscles'])}</td>"
                         f"<td>{e(ev['notes'])}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Clinical scales</h2>")
    if p.clinical.empty:
        parts.append("<p>No clinical scale recorded.</p>")
    else:
        parts.append("<table><tr><th>Date</th><th>ADDS (%, higher is better)</th>"
                     "<th>WCRS (points, lower is better)</th><th>Rater</th></tr>")
        for date, group in p.clinical.groupby("date_text", sort=True):
            score = {sc: g["score"].iloc[-1] for sc, g in group.groupby("scale")}
            cells = "".join(f"<td class='num'>{score[sc]:.1f}</td>" if sc in score
                            else "<td></td>" for sc in ("ADDS", "WCRS"))
            raters = ", ".join(sorted({r for r in group["rater"] if r}))
            parts.append(f"<tr><td>{e(date)}</td>{cells}<td>{e(raters)}</td></tr>")
        parts.append("</table>")
        if "clinical" in images:
            parts.append(
                f"<figure><img alt='ADDS and WCRS over time' src='{_data_uri(images['clinical'])}'>"
                "<figcaption>ADDS (Arm Dystonia Disability Scale, Fahn): 100 % is no "
                "disability, higher is better. WCRS (Writer&rsquo;s Cramp Rating Scale, "
                "Wissel 1996): 0 is no cramp, lower is better. Dashed lines mark treatments."
                "</figcaption></figure>")
    legend = ("<p class='legend'><span><span class='swatch' style='background:"
              "rgba(120,190,120,0.45)'></span> healthy writers</span>"
              "<span><span class='swatch' style='border-top:2px dashed #9434a0'></span> "
              "botulinum toxin</span><span><span class='swatch' style='border-top:2px dashed "
              "#d66e00'></span> pen-grip training</span><span>&#9711; no tremor detected"
              "</span></p>")
    for task in p.tasks:
        rows = p.rows(task)
        parts.append(f"<section class='task'>{banner}<h2>Progress: "
                     f"{e(_TASK_NAMES.get(task, task))}</h2>")
        if task in images:
            names = [n for n in KEY_MEASURES.get(task, ()) if n in feature_names(task)][:4]
            captions = " ".join(f"<b>{e(plain_label(n))}</b>: {e(plain_caption(n))}"
                                for n in names)
            parts.append(f"<figure><img alt='{e(task)} progress' "
                         f"src='{_data_uri(images[task])}'><figcaption>Each point is one "
                         f"visit ({len(rows)} visits). {captions}</figcaption></figure>")
            parts.append(legend)
        parts.append("</section>")
    parts.append(_last_session(p, banner))
    parts.append("<footer>Made by kinewrite from the features stored in the session files "
                 "(the numbers of <code>kinewrite export</code>). Patients are identified by "
                 "a code only. Healthy-writer ranges, their sources and every measure's "
                 "definition: kinewrite's docs/science.md.</footer></body></html>")
    return "\n".join(x for x in parts if x)


def _last_session(p: Progress, banner: str) -> str:
    e = html.escape
    s = p.sessions[-1]
    rows = p.table[p.table["session_id"] == s.session_id]
    out = [f"<section class='task'>{banner}<h2>Last session: {e(s.date)}</h2>",
           "<p>The key numbers of each task of the last visit, beside the range of healthy "
           "writers where one is published.</p>",
           "<table><tr><th>Task</th><th>Trial</th><th>Measure</th><th>Value</th>"
           "<th>Healthy writers</th><th></th></tr>"]
    for _, r in rows.iterrows():
        names = KEY_MEASURES.get(r["task"], ())
        for k, name in enumerate(names):
            v = float(r[name])
            ref = reference_for(name, r["task"])
            verdict = assess(name, v, r["task"]) or ""
            word = {"inside": "in range", "better": "better than range",
                    "worse": "outside range"}.get(verdict, "")
            cls = {"inside": "better", "worse": "worse"}.get(verdict, "")
            head = (f"<td rowspan='{len(names)}'>{e(r['task'])}</td><td rowspan='{len(names)}'"
                    f" class='num'>{int(r['trial'])}</td>") if k == 0 else ""
            out.append(f"<tr>{head}<td>{e(plain_label(name))} <span class='tech'>"
                       f"{e(name)}</span></td><td class='num'>"
                       f"{e(_value(name, v, r['tremor_detected']))}</td>"
                       f"<td>{e(ref.range_text()) if ref else ''}</td>"
                       f"<td class='{cls}'>{e(word)}</td></tr>")
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
    with tempfile.TemporaryDirectory(prefix="kinewrite-report-") as tmp:
        images = render_plots(p, Path(tmp))
        text = report_html(p, images)
    atomic_write_text(out, text)  # a unique temporary name, removed if the write fails
    return out

