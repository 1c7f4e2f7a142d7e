"""The progress report as a PDF, laid out directly with Qt (``kinewrite report -o x.pdf``).

A :class:`QPainter` on a :class:`QPdfWriter` draws the report on A4 (the margins of the HTML
report) from the same pieces as the HTML file (:mod:`kinewrite.report`: the summary rows, the
treatments, the clinical scales, the chart captions, the handwriting and the texts), so both
say the same and nothing is computed twice. The charts' SVG documents and the handwriting
are rendered with :class:`QSvgRenderer` into the painter: they stay vector paths and text in
the PDF (sharp at any zoom, a few hundred kB). The text is real text (it can be searched and
copied), 9 pt or more. A block (a heading and what follows, a task's chart with its caption,
a table row) is not split between pages; a table continues on the next page under its
header. The pages are laid out twice: once to count them ("page 1 of 3"), once to draw.

No browser and no QtWebEngine (a 200 MB dependency for one feature) are needed.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from PyQt6.QtCore import QMarginsF
from PyQt6.QtGui import QColor, QPageLayout, QPageSize, QPainter, QPdfWriter

from .. import report as rp
from .._atomic import atomic_output
from ..progress.labels import task_label
from ..progress.model import Progress
from ..report_ink import ink_rows
from .pdf_pages import (
    DPI,
    FOOT_PT,
    GREY,
    H1_PT,
    INK,
    MARGINS_MM,
    NOTE_BG,
    SMALL_PT,
    TEXT_WIDTH_MM,
    Cell,
    Line,
    Pages,
    Span,
    Svg,
    plain,
)
from .plots import BAND_BRUSH, EVENT_COLOURS, ensure_app

__all__ = ["write_pdf"]

#: Height of a task's chart in px (the HTML's are 128): on the PDF's A4 pages there is room for
#: taller plots, with more y ticks and the treatments' labels.
CHART_HEIGHT_PX = 140
#: How a summary row's change is coloured (bold), as in the HTML.
CHANGE_COLOUR = {"better": "#1a7f37", "worse": "#b00020"}
#: Width of the clinical scales' table, a share of the text width; the chart beside it takes
#: the rest (its 12 pt type prints at 9.8 pt).
SCALES_TABLE = 0.55

def _summary(pages: Pages, p: Progress) -> None:
    pages.heading("Am I getting better?", keep_mm=40)
    pages.paragraph(plain(rp.INTRO_TEXT))
    if len(p.sessions) == 1:
        pages.paragraph(plain(rp.ONE_VISIT_TEXT), background=NOTE_BG)
    rows = []
    for row in rp.summary_lines(p):
        change = [plain(rp.change_text(p, row), CHANGE_COLOUR.get(row["change"], INK),
                         row["change"] in CHANGE_COLOUR)]
        verdict, _, mdc = row["noise"].partition(" (")  # "(MDC95 ...)" on a line of its own
        change += [plain(text, GREY) for text in (verdict, f"({mdc}" if mdc else "") if text]
        rows.append([[plain(row["measure"])], [plain(row["task_label"])],
                     [plain(row["first"]), plain(row["first_date"], GREY)],
                     [plain(row["last"]), plain(row["last_date"], GREY)],
                     change, [plain(row["healthy"])]])
    pages.table(rp.SUMMARY_HEAD, rows, [20, 26, 22, 22, 70, 26])
    if rp.mouse_text(p):
        pages.paragraph(plain(rp.mouse_text(p)), SMALL_PT, background=NOTE_BG)


def _treatments_and_scales(pages: Pages, p: Progress, images: dict[str, bytes]) -> None:
    pages.heading("Treatments", keep_mm=15)
    if p.events.empty:
        pages.paragraph(plain("No treatment recorded."))
    else:
        pages.table(rp.TREATMENTS_HEAD, [[[plain(c)] for c in r] for r in rp.treatment_rows(p)],
                    [13, 22, 19, 25, 21])
    table_w = SCALES_TABLE * TEXT_WIDTH_MM
    chart_x, chart_w = MARGINS_MM[0] + table_w + 2, TEXT_WIDTH_MM - table_w - 2
    chart_h = pages.svg_size(images["clinical"], chart_w)[1] if "clinical" in images else 0.0
    rows = [[[plain(c)] for c in r] for r in rp.scale_rows(p)]
    table = {"fractions": [25, 17, 20, 38], "width_mm": table_w, "right": frozenset({1, 2}),
             "after": 0.0}
    block = max(chart_h, pages.table(rp.SCALES_HEAD, rows, draw=False, **table))
    note = pages.height(plain(rp.SCALES_TEXT), SMALL_PT, TEXT_WIDTH_MM)
    pages.heading("Clinical scales", keep_mm=block + 1.5 + note if rows else 10.0)
    if p.clinical.empty:
        pages.paragraph(plain("No clinical scale recorded."))
        return
    top = pages.y
    if "clinical" in images:
        pages.svg(images["clinical"], chart_x, top, chart_w, chart_h)
    pages.table(rp.SCALES_HEAD, rows, **table)
    pages.y = max(pages.y, top + chart_h) + 1.5
    pages.paragraph(plain(rp.SCALES_TEXT, GREY), SMALL_PT)


def _legend(pages: Pages, p: Progress) -> None:
    """The charts' marks: the band and the treatment lines drawn, one line; the others as
    their character and words."""
    swatch_w, x, y = 8.0, MARGINS_MM[0], pages.y
    colours = {"band": QColor(*BAND_BRUSH[:3], 115),
               "botulinum": QColor(*EVENT_COLOURS["botulinum_toxin"]),
               "grip": QColor(*EVENT_COLOURS["pen_grip_training"])}
    line_h = pages.height(plain("Xg"), SMALL_PT, 50)
    pages.need(line_h)
    marks = [*rp.LEGEND, *((rp.MOUSE_LEGEND,) if rp.mouse_text(p) else ())]
    for mark, words in marks:
        if mark not in colours:
            continue
        mid = pages.y + line_h / 2
        if mark == "band":
            pages.box(x, mid - 1.5, swatch_w, 3.0, colours[mark])
        else:
            pages.rule(x, mid, x + swatch_w, mid, colours[mark], 0.5, dashed=True)
        width = pages.width(words, SMALL_PT) + 0.5
        pages.text(plain(words), SMALL_PT, x + swatch_w + 1.5, width, pages.y)
        x += swatch_w + 1.5 + width + 5.0
    pages.y = y + line_h + 0.8
    for mark, words in marks:
        if mark not in colours:
            pages.paragraph(plain(f"{mark} {words}"), SMALL_PT, after=0.6)
    pages.y += 1.5


def _progress(pages: Pages, p: Progress, images: dict[str, bytes]) -> None:
    n = len(p.sessions)
    pages.heading("Progress of each task", keep_mm=60)
    pages.paragraph(plain(f"Each point is one visit ({n} visit{'s' if n != 1 else ''})."),
                    after=1.0)
    _legend(pages, p)
    captions = rp.chart_captions(p)
    for task in p.tasks:
        title = task_label(task, p.task_of(task))
        caption: Line = []
        for label, text in captions[task]:
            caption += [Span(f"{label}: ", True), Span(f"{text} ")]
        chart_h = pages.svg_size(images[task], TEXT_WIDTH_MM)[1] if task in images else 0.0
        cap_h = pages.height(caption, SMALL_PT, TEXT_WIDTH_MM) if caption else 0.0
        pages.heading(title, level=3, keep_mm=chart_h + 0.8 + cap_h)
        if task in images:
            pages.svg(images[task], MARGINS_MM[0], pages.y, TEXT_WIDTH_MM, chart_h)
            pages.y += chart_h + 0.8
        if caption:
            pages.paragraph(caption, SMALL_PT, after=1.0)


def _handwriting(pages: Pages, p: Progress) -> None:
    d0, d1, rows = ink_rows(p)
    pages.heading("Handwriting: first and latest visit", keep_mm=25)
    cells = []
    for label, pair in rows:
        row: list[Cell] = [[plain(label)]]
        for svg, note in pair:
            cell: Cell = [Svg(svg.encode())] if svg else []
            row.append(cell + ([plain(note, GREY)] if note else []))
        cells.append(row)
    pages.table(("Task", f"First visit, {d0}", f"Latest visit, {d1}"), cells, [22, 39, 39])


def _draw(pages: Pages, p: Progress, images: dict[str, bytes], generated: str) -> int:
    title = f"Handwriting progress report: patient {p.patient_code}"
    pages.y += pages.text(plain(title, INK, True), H1_PT, MARGINS_MM[0], TEXT_WIDTH_MM,
                          pages.y) + 1.5
    pages.paragraph(plain(rp.meta_text(p, generated), GREY), SMALL_PT)
    _summary(pages, p)
    _treatments_and_scales(pages, p, images)
    _progress(pages, p, images)
    _handwriting(pages, p)
    pages.paragraph(plain(rp.FOOTER_TEXT, GREY), FOOT_PT)
    return pages.finish()


def write_pdf(p: Progress, images: dict[str, bytes], out: str | os.PathLike[str],
              generated: str | None = None) -> Path:
    """Write the report of `p` (charts `images` from :func:`kinewrite.report.render_plots`)
    to the PDF `out`, atomically (a temporary file beside it, then renamed).

    Returns
    -------
    Path
        `out`.

    Raises
    ------
    OSError
        If the PDF cannot be written.
    """
    ensure_app()
    out = Path(out)
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = f"Progress report, patient {p.patient_code}"
    banner = rp.BANNER_TEXT if p.simulated else ""
    with atomic_output(out) as tmp:  # removed if anything fails; `out` is then unchanged
        writer = QPdfWriter(str(tmp))
        writer.setResolution(DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                         QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                                         QPageLayout.Unit.Millimeter))
        writer.setTitle(footer)
        writer.setCreator(f"kinewrite {rp.__version__}")
        count = _draw(Pages(writer, None, 0, footer, banner), p, images, generated)
        painter = QPainter()
        if not painter.begin(writer):
            raise OSError(f"{out}: the PDF could not be written")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            _draw(Pages(writer, painter, count, footer, banner), p, images, generated)
        finally:
            painter.end()
        del writer  # the file is complete once the writer is gone
        if tmp.stat().st_size == 0:
            raise OSError(f"{out}: the PDF could not be written")
    return out
