"""The report's charts: the Progress view's plots drawn offscreen by Qt as SVG documents.

One chart per protocol task (its first :data:`~kinewrite.report.CHARTED` key measures side
by side) and one of the clinical scales, painted by :class:`QSvgGenerator` as vector paths
and text (the scatter symbols too: pyqtgraph's export mode paints them as paths instead of
copying them from its raster atlas), at a size whose type prints at 9 pt or more on A4. The
HTML report embeds them; the PDF renders them with :class:`QSvgRenderer`
(:mod:`kinewrite.report_pdf`).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..progress.model import Progress
from ..report import CHART_HEIGHT_PX, CHART_WIDTH_PX, charted_measures

__all__ = ["render_plots"]


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
                 font_pt: float = 12.0, height_px: int = CHART_HEIGHT_PX) -> dict[str, bytes]:
    """SVG charts of the report: one per task (its first :data:`CHARTED` key measures side by
    side) and one of the clinical scales; name -> SVG document.

    Renders the Progress view's plots offscreen with Qt (imported here only), painted as
    vector graphics (:class:`QSvgGenerator`). `out_dir` is not used (kept for callers of the
    PNG version). A task's chart is `height_px` tall (the PDF's are taller than the HTML's).
    Each plot is drawn for print: no in-chart legend (the report's stands above
    the charts), no date-axis title (the ticks are months), the y label its unit only.
    """
    from PyQt6.QtCore import Qt

    from .plots import ensure_app, fit_title
    from .progress_view import ProgressView

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
            if plot.legend is not None:  # the report's legend stands above the charts; an
                plot.legend.clear()  # empty legend is never placed (shown) in the label band
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
        with quiet_all_nan_bounds():
            view._fill_tasks(p.tasks)
            for task in p.tasks:
                view.set_task(task)
                view.set_features(charted_measures(p, task))
                grab(view.plots, task, height_px)
            for scale, plot in view.clinical_plots.items():  # the names; the note under
                fit_title(plot, scale, font_pt + 1)  # says more
            grab(view.clinical, "clinical", 210, width=380)  # beside the scales' table
    finally:
        view.close()
        view.deleteLater()
    return out


@contextlib.contextmanager
def quiet_all_nan_bounds() -> Iterator[None]:
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
