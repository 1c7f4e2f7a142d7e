"""A patient's progress report: one self-contained HTML file, printable on A4.

``kinewrite report --study DIR --patient CODE -o report.html`` writes it. Everything is inside
the file: the plots are PNG images embedded as ``data:`` URIs, the style sheet is inline, and
nothing is fetched from the network, so it can be mailed, archived or printed as it is.

Contents: a plain-language summary (first and last session of each key measure, whether the
change is beyond the patient's own measurement noise, beside the healthy-writer range where a
source gives one for that task), the treatments and clinical scales, the
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
from .analysis.reference import assess, ideal_for, plain_caption, plain_label, reference_for
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
                names = [n for n in key_measures(p, task)
                         if n in feature_names(p.task_of(task))][:4]
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
        "<p>Each measure compares the first session with the last. A change is "
        "&ldquo;beyond measurement noise&rdquo; when it is larger than the smallest change "
        "this patient&rsquo;s own repeated trials (and visits before treatment) can detect "
        "(MDC95); otherwise it is &ldquo;within noise&rdquo;. &ldquo;Healthy "
        "writers&rdquo; is the range a published source gives for people without "
        "writer&rsquo;s cramp on that task, where one exists. Pen pressure is in newtons "
        "when the stylus was calibrated, otherwise a share of the tablet&rsquo;s range "
        "(uncalibrated).</p>",
        '<table class="fixed"><colgroup><col style="width:22%"><col style="width:12%">'
        '<col style="width:16%"><col style="width:16%"><col style="width:20%">'
        '<col style="width:14%"></colgroup>'
        '<tr><th>Measure</th><th>Task</th><th>First session</th><th>Last session</th>'
        "<th>Change</th><th>Healthy writers</th></tr>",
    ]
    for row in summary_lines(p):
        cls = {"better": "better", "worse": "worse"}.get(row["change"], "")
        noise = f"<br><span class='meta'>{e(row['noise'])}</span>" if row["noise"] else ""
        parts.append(
            f"<tr><td>{e(row['measure'])}<br><span class='tech'>{e(row['technical'])}</span>"
            f"</td><td>{e(row['task_label'])}</td><td>{e(row['first'])}<br>"
            f"<span class='meta'>{e(row['first_date'])}</span></td><td>{e(row['last'])}<br>"
            f"<span class='meta'>{e(row['last_date'])}</span></td><td><span class='{cls}'>"
            f"{e(row['change'])}</span>{noise}</td><td>{e(row['healthy'])}</td></tr>")
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
              "#d66e00'></span> pen-grip training</span><span>&times; under a date, below "
              "the zero line: no tremor detected in that visit (no amplitude, not 0 mm)"
              "</span><span>&#9711; around a point: changed from the visit before by more "
              "than the measurement noise (MDC95)</span></p>")
    for task in p.tasks:
        rows = p.rows(task)
        parts.append(f"<section class='task'>{banner}<h2>Progress: "
                     f"{e(task_label(task, p.task_of(task)))}</h2>")
        if task in images:
            names = [n for n in key_measures(p, task)
                     if n in feature_names(p.task_of(task))][:4]
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
                 "a code only. Healthy-writer ranges and their sources: kinewrite "
                 "docs/features.md (Reference bands); measurement noise: "
                 "docs/measurement-error.md.</footer></body></html>")
    return "\n".join(x for x in parts if x)


def _last_session(p: Progress, banner: str) -> str:
    e = html.escape
    s = p.sessions[-1]
    rows = p.table[p.table["session_id"] == s.session_id]
    out = [f"<section class='task'>{banner}<h2>Last session: {e(s.date)}</h2>",
           "<p>The key numbers of each task of the last visit, beside the range of healthy "
           "writers where a source gives one for that task.</p>",
           "<table><tr><th>Task</th><th>Trial</th><th>Measure</th><th>Value</th>"
           "<th>Healthy writers</th><th></th></tr>"]
    for _, r in rows.iterrows():
        names = key_measures(p, r["protocol_task"])
        for k, name in enumerate(names):
            v = float(r[name])
            verdict = assess(name, v, r["task"]) or ""
            word = {"inside": "in range", "better": "better than range",
                    "worse": "outside range"}.get(verdict, "")
            cls = {"inside": "better", "worse": "worse"}.get(verdict, "")
            head = (f"<td rowspan='{len(names)}'>{e(task_label(r['protocol_task'], r['task']))}"
                    f"</td><td rowspan='{len(names)}' class='num'>{int(r['trial'])}</td>"
                    if k == 0 else "")
            out.append(f"<tr>{head}<td>{e(plain_label(name))} <span class='tech'>"
                       f"{e(name)}</span></td><td class='num'>"
                       f"{e(_value(name, v, r['tremor_detected']))}</td>"
                       f"<td>{e(_healthy_text(name, r['task']))}</td>"
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

