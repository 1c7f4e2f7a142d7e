"""A4 pages drawn with a :class:`QPainter` on a :class:`QPdfWriter`: text that wraps, tables,
SVG pictures, each block kept on one page (the layout of :mod:`kinewrite.gui.report_pdf`).

Positions are in mm from the paper's top left corner; type in points. With no painter the
same calls only measure, which counts the pages before they are drawn ("page 1 of 3").
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import QByteArray, QPointF, QRectF, Qt
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPdfWriter,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PyQt6.QtSvg import QSvgRenderer

__all__ = ["DPI", "MARGINS_MM", "PAGE_MM", "TEXT_WIDTH_MM", "Cell", "Line", "Pages", "Span",
           "Svg", "plain"]

#: A4 in mm and the report's margins (left, top, right, bottom), as the HTML's ``@page``.
PAGE_MM = (210.0, 297.0)
MARGINS_MM = (12.0, 14.0, 12.0, 16.0)
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM[0] - MARGINS_MM[2]
#: Device resolution, dots per inch: the charts' resolution (700 px over the 185 mm text
#: width), so that their lines of 1 or 2 px (cosmetic pens) print as wide as the HTML's;
#: positions and type are not rounded to it (a PDF holds real numbers).
DPI = 96
#: Type sizes in points: body, tables and notes, headings; nothing under 9 pt.
BODY_PT, SMALL_PT, TABLE_PT, FOOT_PT, H1_PT, H2_PT, H3_PT = 10.5, 9.5, 9.0, 9.0, 17, 13, 11
FONT = "DejaVu Sans"
INK, GREY, RULE, BORDER = "#1e1e1e", "#555555", "#bbbbbb", "#cccccc"
HEAD_BG, NOTE_BG, BANNER_BG = "#f0f0f0", "#fff7d6", "#b00020"
#: A table cell's padding left and right, mm.
PAD_X_MM = 1.2


def _font(pt: float) -> QFont:
    """The report's font at `pt` points, without ligatures (a search for "first" finds it)."""
    font = QFont(FONT)
    font.setPointSizeF(pt)
    font.setFeature(QFont.Tag("liga"), 0)
    return font


@dataclass(frozen=True)
class Span:
    """A run of text of one style."""

    text: str
    bold: bool = False
    colour: str = INK


@dataclass(frozen=True)
class Svg:
    """An SVG document in a table cell, at most `max_h_mm` tall."""

    data: bytes
    max_h_mm: float = 12.0


Line = list[Span]  # a paragraph (it wraps)
Cell = list[Line | Svg]  # a table cell: paragraphs and pictures, one under the other


def plain(text: str, colour: str = INK, bold: bool = False) -> Line:
    return [Span(text, bold, colour)]


class Pages:
    """The flow of the report down A4 pages: a cursor ``y`` (mm from the paper's top), new
    pages when a block does not fit, and the page's banner and footer. With ``painter``
    None nothing is drawn and the pages are only counted."""

    def __init__(self, writer: QPdfWriter, painter: QPainter | None, pages: int,
                 footer: str, banner: str = "") -> None:
        self.writer, self.painter, self.pages = writer, painter, pages
        self.footer, self.banner = footer, banner
        self.dots = writer.resolution() / 25.4  # device units per mm
        self.page, self.y = 1, MARGINS_MM[1]
        self.bottom = PAGE_MM[1] - MARGINS_MM[3]
        self._start_page()

    # -------------------------------------------------------------- pages
    def need(self, height_mm: float) -> None:
        """A new page unless `height_mm` fits under the cursor (or the page is empty)."""
        if self.y + height_mm > self.bottom and self.y > self.top + 1e-6:
            self.new_page()

    def new_page(self) -> None:
        self._end_page()
        if self.painter is not None:
            self.writer.newPage()
        self.page += 1
        self.y = MARGINS_MM[1]
        self._start_page()

    def _start_page(self) -> None:
        """The banner (white on red) at the top of every page, if there is one."""
        if self.banner:
            line = plain(self.banner, "#ffffff", True)
            h = self.height(line, FOOT_PT, TEXT_WIDTH_MM - 4) + 1.6
            self.box(MARGINS_MM[0], self.y, TEXT_WIDTH_MM, h, BANNER_BG)
            self.text(line, FOOT_PT, MARGINS_MM[0] + 2, TEXT_WIDTH_MM - 4, self.y + 0.8)
            self.y += h + 2
        self.top = self.y

    def _end_page(self) -> None:
        text = f"{self.footer} \u00b7 page {self.page} of {max(self.pages, self.page)}"
        self.text(plain(text, GREY), FOOT_PT, MARGINS_MM[0], TEXT_WIDTH_MM,
                  self.bottom + 5, Qt.AlignmentFlag.AlignRight)

    def finish(self) -> int:
        """End the last page; the number of pages."""
        self._end_page()
        return self.page

    # -------------------------------------------------------------- text
    def _layout(self, line: Line, pt: float, width_mm: float,
                align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> tuple[QTextLayout,
                                                                                float]:
        """`line` laid out `width_mm` wide; (layout, height in mm)."""
        font = _font(pt)
        layout = QTextLayout("".join(s.text for s in line), font, self.writer)
        ranges, start = [], 0
        for span in line:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(span.colour))
            if span.bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            r = QTextLayout.FormatRange()
            r.start, r.length, r.format = start, len(span.text), fmt
            ranges.append(r)
            start += len(span.text)
        layout.setFormats(ranges)
        option = QTextOption(align)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        y, width = 0.0, width_mm * self.dots
        layout.beginLayout()
        while (row := layout.createLine()).isValid():
            row.setLineWidth(width)
            row.setPosition(QPointF(0, y))
            y += row.height() * 1.12  # the HTML's line-height, about
        layout.endLayout()
        return layout, y / self.dots

    def width(self, text: str, pt: float) -> float:
        """The width of `text` on one line, mm."""
        font = _font(pt)
        return QFontMetricsF(font, self.writer).horizontalAdvance(text) / self.dots

    def height(self, line: Line, pt: float, width_mm: float) -> float:
        return self._layout(line, pt, width_mm)[1]

    def text(self, line: Line, pt: float, x_mm: float, width_mm: float, y_mm: float,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> float:
        """Draw `line` at (x, y); its height in mm."""
        layout, h = self._layout(line, pt, width_mm, align)
        if self.painter is not None:
            layout.draw(self.painter, QPointF(x_mm * self.dots, y_mm * self.dots))
        return h

    def paragraph(self, line: Line, pt: float = BODY_PT, after: float = 2.0,
                  background: str | None = None) -> None:
        pad = 1.5 if background else 0.0
        h = self.height(line, pt, TEXT_WIDTH_MM - 2 * pad) + (1.6 if background else 0.0)
        self.need(h)
        if background:
            self.box(MARGINS_MM[0], self.y, TEXT_WIDTH_MM, h, background)
        self.text(line, pt, MARGINS_MM[0] + pad, TEXT_WIDTH_MM - 2 * pad,
                  self.y + (0.8 if background else 0.0))
        self.y += h + after

    def heading(self, text: str, level: int = 2, keep_mm: float = 30.0) -> None:
        """A heading kept on the page of the `keep_mm` that follow it; h2 underlined."""
        pt = H2_PT if level == 2 else H3_PT
        before = 4.0 if level == 2 else 2.0
        h = self.height(plain(text, INK, True), pt, TEXT_WIDTH_MM)
        after = 0.4 + (1.5 if level == 2 else 0.0)
        self.need(before + h + after + keep_mm)
        if self.y > self.top + 1e-6:
            self.y += before
        self.text(plain(text, INK, True), pt, MARGINS_MM[0], TEXT_WIDTH_MM, self.y)
        self.y += h + 0.4
        if level == 2:
            self.rule(MARGINS_MM[0], self.y, MARGINS_MM[0] + TEXT_WIDTH_MM, self.y, RULE)
            self.y += 1.5

    # -------------------------------------------------------------- shapes and pictures
    def box(self, x: float, y: float, w: float, h: float, fill: str | QColor,
            border: str | None = None) -> None:
        if self.painter is None:
            return
        d = self.dots
        self.painter.setPen(QPen(QColor(border), 0.2 * d) if border else Qt.PenStyle.NoPen)
        self.painter.setBrush(QColor(fill))
        self.painter.drawRect(QRectF(x * d, y * d, w * d, h * d))

    def rule(self, x0: float, y0: float, x1: float, y1: float, colour: str | QColor,
             width_mm: float = 0.25, dashed: bool = False) -> None:
        if self.painter is None:
            return
        pen = QPen(QColor(colour), width_mm * self.dots)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.painter.setPen(pen)
        self.painter.drawLine(QPointF(x0 * self.dots, y0 * self.dots),
                              QPointF(x1 * self.dots, y1 * self.dots))

    def svg_size(self, data: bytes, width_mm: float, max_h_mm: float | None = None
                 ) -> tuple[float, float]:
        """(width, height) in mm of `data` drawn at most `width_mm` wide (and `max_h_mm`
        tall), its aspect kept; the handwriting never wider than its own size in mm."""
        box = QSvgRenderer(QByteArray(data)).viewBoxF()
        w = width_mm if max_h_mm is None else min(width_mm, box.width())
        h = w * box.height() / max(box.width(), 1e-9)
        if max_h_mm is not None and h > max_h_mm:
            w, h = w * max_h_mm / h, max_h_mm
        return w, h

    def svg(self, data: bytes, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> None:
        if self.painter is None:
            return
        d = self.dots
        self.painter.save()
        QSvgRenderer(QByteArray(data)).render(self.painter,
                                              QRectF(x_mm * d, y_mm * d, w_mm * d, h_mm * d))
        self.painter.restore()

    # -------------------------------------------------------------- tables
    def _cell_height(self, cell: Cell, pt: float, width_mm: float) -> float:
        h = 0.0
        for item in cell:
            h += (self.svg_size(item.data, width_mm, item.max_h_mm)[1] + 0.6
                  if isinstance(item, Svg) else self.height(item, pt, width_mm))
        return h

    def _row(self, cells: list[Cell], x_mm: float, widths: list[float], pt: float,
             fill: str | None, right: frozenset[int], draw: bool = True) -> float:
        pad_x, pad_y = PAD_X_MM, 0.7
        h = max(self._cell_height(c, pt, w - 2 * pad_x) for c, w in zip(cells, widths,
                                                                        strict=True))
        h += 2 * pad_y
        if not draw:
            return h
        x = x_mm
        for col, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            self.box(x, self.y, w, h, fill or "#ffffff", BORDER)
            y = self.y + pad_y
            align = Qt.AlignmentFlag.AlignRight if col in right else Qt.AlignmentFlag.AlignLeft
            for item in cell:
                if isinstance(item, Svg):
                    sw, sh = self.svg_size(item.data, w - 2 * pad_x, item.max_h_mm)
                    self.svg(item.data, x + pad_x, y + 0.3, sw, sh)
                    y += sh + 0.6
                else:
                    y += self.text(item, pt, x + pad_x, w - 2 * pad_x, y, align)
            x += w
        self.y += h
        return h

    def _fit(self, widths: list[float], rows: list[list[Cell]], pt: float) -> list[float]:
        """`widths` with each column at least as wide as its longest word (plus padding),
        the width taken from the widest column: a word is not broken inside."""
        need = [max((self.width(word, pt) + 2 * PAD_X_MM + 0.5 for row in rows
                     for item in row[col] if not isinstance(item, Svg)
                     for word in "".join(span.text for span in item).split()), default=0.0)
                for col in range(len(widths))]
        out = [max(w, n) for w, n in zip(widths, need, strict=True)]
        widest = max(range(len(out)), key=out.__getitem__)
        out[widest] -= sum(out) - sum(widths)
        return out if out[widest] >= need[widest] else widths

    def table(self, head: tuple[str, ...] | list[str], rows: list[list[Cell]],
              fractions: list[float], x_mm: float = MARGINS_MM[0],
              width_mm: float = TEXT_WIDTH_MM, pt: float = TABLE_PT,
              right: frozenset[int] = frozenset(), after: float = 2.0,
              draw: bool = True) -> float:
        """A table with a grey header row, repeated on each page it runs onto; a row is
        never split between pages. Returns its height on one page (without `draw`, the
        height only)."""
        widths = self._fit([f * width_mm / sum(fractions) for f in fractions], rows, pt)
        header = [[plain(h, INK, True)] for h in head]
        head_h = self._row(header, x_mm, widths, pt, None, right, draw=False)
        heights = [self._row(r, x_mm, widths, pt, None, right, draw=False) for r in rows]
        if not draw:
            return head_h + sum(heights)
        self.need(head_h + (heights[0] if heights else 0.0))
        self._row(header, x_mm, widths, pt, HEAD_BG, frozenset())
        for cells in rows:
            if self.y + self._row(cells, x_mm, widths, pt, None, right, draw=False) > \
                    self.bottom:
                self.new_page()
                self._row(header, x_mm, widths, pt, HEAD_BG, frozenset())
            self._row(cells, x_mm, widths, pt, None, right)
        self.y += after
        return head_h + sum(heights)
