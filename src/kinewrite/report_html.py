"""The progress report as one self-contained HTML file (:func:`report_html`).

The style sheet is inline and prints on A4 (``@page``); the charts are the SVG documents of
:func:`kinewrite.gui.report_charts.render_plots` embedded as ``data:`` URIs and the handwriting is
inline SVG, so nothing is fetched from the network. Its texts and rows are those of
:mod:`kinewrite.report`, which the PDF (:mod:`kinewrite.gui.report_pdf`) shares.
"""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime

from .progress.labels import task_label
from .progress.model import Progress
from .report import (
    BANNER_TEXT,
    FOOTER_TEXT,
    INTRO_TEXT,
    LEGEND,
    MOUSE_LEGEND,
    ONE_VISIT_TEXT,
    SCALES_HEAD,
    SCALES_TEXT,
    SUMMARY_HEAD,
    TREATMENTS_HEAD,
    change_text,
    chart_captions,
    meta_text,
    mouse_text,
    scale_rows,
    summary_lines,
    treatment_rows,
)
from .report_ink import ink_rows

__all__ = ["report_html"]


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


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
            numbers = "".join(f"<td class='num'>{v}</td>" if v else "<td></td>"
                              for v in (adds, wcrs))
            parts.append(f"<tr><td class='num'>{e(date)}</td>{numbers}<td>{e(raters)}</td></tr>")
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
