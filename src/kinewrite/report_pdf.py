"""The progress report as a PDF, written directly with Qt (``kinewrite report -o x.pdf``).

Qt's :class:`QTextDocument` lays out the report's HTML (tables, headings, its inline style)
and :class:`QPdfWriter` prints it on A4 with the report's margins; the SVG charts and the
handwriting are rasterized at 300 dpi for it (QTextDocument has no SVG images), which prints
sharp. This needs no browser and no QtWebEngine (a 200 MB dependency for one feature); the
HTML file printed from a browser keeps the charts as vector graphics.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from ._atomic import temp_beside

__all__ = ["write_pdf"]

#: Resolution of the PDF's images, dots per inch.
PDF_DPI = 300
#: A4 text width of the report, mm (210 mm less 12 mm margins).
TEXT_WIDTH_MM = 186.0


def _svg_image(svg: bytes, width_mm: float):
    """An SVG document rendered to a QImage `width_mm` wide at :data:`PDF_DPI`."""
    from PyQt6.QtCore import QByteArray
    from PyQt6.QtGui import QImage, QPainter
    from PyQt6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    size = renderer.defaultSize()
    w = max(1, round(width_mm / 25.4 * PDF_DPI))
    h = max(1, round(w * size.height() / max(size.width(), 1)))
    image = QImage(w, h, QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def write_pdf(report_html: str, out: str | Path) -> Path:
    """Print `report_html` (from :func:`kinewrite.report.report_html`) to the PDF `out`,
    atomically (a temporary file beside it, then renamed).

    Raises
    ------
    OSError
        If the PDF cannot be written.
    """
    from PyQt6.QtCore import QMarginsF, QUrl
    from PyQt6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

    from .gui.plots import ensure_app

    ensure_app()
    out = Path(out)
    doc = QTextDocument()
    resources: list[tuple[str, object]] = []

    def chart(m: re.Match) -> str:
        name = f"chart{len(resources)}.png"
        resources.append((name, _svg_image(base64.b64decode(m.group(1)), TEXT_WIDTH_MM)))
        return f"src='{name}' width='{round(TEXT_WIDTH_MM / 25.4 * 96 * 0.98)}'"

    def ink(m: re.Match) -> str:
        svg = m.group(0)
        name = f"ink{len(resources)}.png"
        width = float(re.search(r"width='([\d.]+)mm'", svg).group(1))
        resources.append((name, _svg_image(svg.encode(), width)))
        return f"<img src='{name}' width='{round(width / 25.4 * 96)}'>"

    text = re.sub(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", chart, report_html)
    text = re.sub(r"<svg class='ink'.*?</svg>", ink, text, flags=re.S)
    for name, image in resources:
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(text)
    tmp = temp_beside(out)
    try:
        writer = QPdfWriter(str(tmp))
        writer.setResolution(PDF_DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                         QPageLayout.Orientation.Portrait,
                                         QMarginsF(12, 14, 12, 16), QPageLayout.Unit.Millimeter))
        writer.setTitle("kinewrite progress report")
        doc.print(writer)
        del writer  # the file is complete once the writer is gone
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(f"{out}: the PDF could not be written")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
