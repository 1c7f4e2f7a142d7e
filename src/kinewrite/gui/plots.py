"""Shared pyqtgraph helpers: axis labels with units, a date axis, reference bands, event
markers, offscreen rendering and PNG export.

Every plot of the app labels every axis with its unit (``"writing rhythm (Hz)"``); the tick
values are the unit's own, so pyqtgraph's automatic SI prefixes are turned off (they would
turn "mm/s" into "kmm/s"). Colours are chosen for a white background and for print.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import QApplication, QWidget

from .._atomic import atomic_write_bytes
from .text import escape, format_free, plain_tooltip

__all__ = [
    "BAND_BRUSH",
    "EVENT_COLOURS",
    "FOREGROUND",
    "DateAxis",
    "add_event_marker",
    "add_reference",
    "ensure_app",
    "epoch_seconds",
    "fit_title",
    "label_axis",
    "new_plot",
    "png_bytes",
    "save_png",
    "style_plot",
    "unit_text",
]

FOREGROUND = (30, 30, 30)
#: Healthy-writer reference band: a light green, visible on screen and on paper.
BAND_BRUSH = (120, 190, 120, 70)
BAND_LINE = (60, 140, 60)
#: Treatment event markers per kind.
EVENT_COLOURS = {"botulinum_toxin": (148, 52, 160), "pen_grip_training": (214, 110, 0),
                 "other": (90, 90, 90)}
SERIES_COLOUR = (31, 119, 180)


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    app = QApplication.instance()
    if app is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
        from ..acquisition.qt.qt_app import quiet_offscreen_noise

        quiet_offscreen_noise(app)
        _KEEP.append(app)  # a QApplication without a Python reference is destroyed
    return app  # type: ignore[return-value]


_KEEP: list[QApplication] = []


def unit_text(unit: str) -> str:
    """A unit as shown in an axis label: none for ``"1"`` (a count or a ratio has no unit;
    calling a count a "ratio" would be wrong)."""
    return {"1": "", "1/turn": "per turn", "1/s": "per s"}.get(unit, unit)


def style_plot(plot: pg.PlotItem, font_pt: float = 10.0) -> None:
    """Dark axes and text on white, unit-true ticks (no SI prefix), legible tick font."""
    font = QFont()
    font.setPointSizeF(font_pt)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.enableAutoSIPrefix(False)
        axis.setTickFont(font)


def label_axis(plot: pg.PlotItem, side: str, text: str, unit: str | None = None,
               font_pt: float = 10.0) -> None:
    """Label one axis as ``"text (unit)"``; the unit is required unless `text` holds it."""
    shown = unit_text(unit) if unit is not None else ""
    label = f"{text} ({shown})" if shown else text
    plot.setLabel(side, escape(label), **{"color": "#1e1e1e", "font-size": f"{font_pt}pt"})
    plot.getAxis(side).enableAutoSIPrefix(False)


class DateAxis(pg.DateAxisItem):
    """A bottom axis of calendar dates (x in seconds since 1970, UTC), ticks as dates."""

    def __init__(self, **kwargs) -> None:
        super().__init__(orientation="bottom", utcOffset=0, **kwargs)


def epoch_seconds(times: np.ndarray | Sequence) -> np.ndarray:
    """Datetimes (numpy datetime64 or pandas, naive UTC) as float seconds since 1970."""
    arr = np.asarray(times, dtype="datetime64[ms]")
    out = arr.astype("int64").astype(np.float64) / 1000.0
    out[np.isnat(arr)] = np.nan
    return out


def new_plot(layout: pg.GraphicsLayout, row: int, col: int, *, title: str | None = None,
             left: tuple[str, str | None] | None = None,
             bottom: tuple[str, str | None] | None = None, date_axis: bool = False,
             font_pt: float = 10.0, rowspan: int = 1, colspan: int = 1) -> pg.PlotItem:
    """A styled plot in `layout` with labelled axes (``(text, unit)`` pairs)."""
    axes = {"bottom": DateAxis()} if date_axis else None
    plot = layout.addPlot(row=row, col=col, rowspan=rowspan, colspan=colspan, axisItems=axes)
    style_plot(plot, font_pt)
    plot.showGrid(x=True, y=True, alpha=0.25)
    if title:
        fit_title(plot, title, font_pt + 1)
    if left:
        label_axis(plot, "left", *left, font_pt=font_pt)
    if bottom:
        label_axis(plot, "bottom", *bottom, font_pt=font_pt)
    plot.getAxis("left").setWidth(int(font_pt * 6.5))  # room for ticks and the label
    return plot


def fit_title(plot: pg.PlotItem, title: str, size_pt: float) -> None:
    """Title `plot` with `title` (plain text), spanning the plot's whole width (over its
    left axis too) and shortened with an ellipsis at its end to that width whenever the plot
    is resized: its start, which names the measure, is always seen, and never cut at both
    ends as a centred title wider than its plot is. The full title is the tooltip.

    Called again on the same plot, it only changes the title (and size): the plot keeps one
    resize handler, so a later title is never overwritten by an earlier one."""
    label = plot.titleLabel
    state = getattr(plot, "kinewrite_fitted_title", None)
    if state is None:
        state = {}
        plot.kinewrite_fitted_title = state
        label.updateMin = _relaxed_min(label)
        layout = plot.layout
        layout.removeItem(label)
        layout.addItem(label, 0, 0, 1, 3)

        def refit(*_args) -> None:
            width = plot.width() - 12.0
            if width <= 1:
                return
            font = QFont()
            font.setPointSizeF(state["size_pt"])
            text = QFontMetricsF(font).elidedText(state["title"],
                                                  Qt.TextElideMode.ElideRight, width)
            if state.get("shown") == text:
                return
            state["shown"] = text
            plot.setTitle(escape(text), color="#1e1e1e", size=f"{state['size_pt']}pt")

        state["refit"] = refit
        plot.vb.sigResized.connect(refit)
    state.update(title=title, size_pt=size_pt, shown=None)
    label.setToolTip(plain_tooltip(title))
    plot.setTitle(escape(title), color="#1e1e1e", size=f"{size_pt}pt")
    state["refit"]()


def _relaxed_min(label: pg.LabelItem):
    """A replacement of ``LabelItem.updateMin``: pyqtgraph sets a title's minimum width to its
    text, so a long title pushes the plot wider than its view and clips the axes."""
    def update_min() -> None:
        label.setMinimumWidth(10)
        label.setMinimumHeight(label.itemRect().height())

    return update_min


def add_reference(plot: pg.PlotItem, low: float | None, high: float | None,
                  label: str | None = None,
                  open_to: tuple[float, float] = (-1e6, 1e6)) -> list[pg.GraphicsObject]:
    """Draw a reference range as a horizontal band (a line for a single typical value).

    An open side (None) extends to `open_to` (pass values beyond the view's y range; huge
    values such as 1e12 overflow Qt's painter and draw the band on the wrong side).
    Returns the items added (ignored by auto-range: the data decide the axis range).
    """
    items: list[pg.GraphicsObject] = []
    if low is not None and high is not None and low == high:
        line = pg.InfiniteLine(pos=low, angle=0, movable=False,
                               pen=pg.mkPen(BAND_LINE, width=2, style=Qt.PenStyle.DashLine))
        items.append(line)
    else:
        lo = open_to[0] if low is None else low
        hi = open_to[1] if high is None else high
        region = pg.LinearRegionItem((lo, hi), orientation="horizontal", movable=False,
                                     brush=pg.mkBrush(*BAND_BRUSH), pen=pg.mkPen(None))
        region.setZValue(-10)
        items.append(region)
    for item in items:
        if label:
            item.setToolTip(plain_tooltip(label))
        plot.addItem(item, ignoreBounds=True)
    return items


def add_event_marker(plot: pg.PlotItem, x: float, kind: str, label: str | None = None,
                     label_position: float = 0.92, font_pt: float = 9.0,
                     label_side: str = "right") -> pg.InfiniteLine:
    """A vertical dashed line at `x` (a treatment event), optionally labelled.

    The label sits to the `label_side` ("right" or "left") of the line, at `label_position`
    (0 bottom .. 1 top of the view); put it left of events near the right edge so that it
    is not clipped.
    """
    colour = EVENT_COLOURS.get(kind, EVENT_COLOURS["other"])
    line = pg.InfiniteLine(pos=x, angle=90, movable=False,
                           pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine))
    if label:
        anchor = (0, 0.5) if label_side == "right" else (1, 0.5)
        # plain text (TextItem.setText), but pyqtgraph runs str.format on it first
        line.label = pg.InfLineLabel(line, text=format_free(label), position=label_position,
                                     anchors=[anchor, anchor], color=colour,
                                     fill=pg.mkBrush(255, 255, 255, 220))
        font = QFont()
        font.setPointSizeF(font_pt)
        line.label.setFont(font)
    line.setToolTip(plain_tooltip(label or kind))  # an event's product, kind: from the file
    plot.addItem(line, ignoreBounds=True)
    return line


def save_png(widget: QWidget, path: str | os.PathLike[str],
             size: tuple[int, int] | None = None) -> Path:
    """Render `widget` offscreen (never shown on screen) at `size` and save it as PNG.

    Raises
    ------
    OSError
        If the image cannot be written (a missing or read-only folder, a full disk: the
        temporary file is removed and an earlier file at `path` is kept).
    """
    app = ensure_app()
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    if size is not None:
        widget.resize(*size)
    widget.show()
    for _ in range(3):  # layouts settle over a few event-loop passes
        app.processEvents()
    path = Path(path)
    atomic_write_bytes(path, png_bytes(widget, path))  # unique temporary name, then rename
    return path


def png_bytes(widget: QWidget, path: str | os.PathLike[str] = "image") -> bytes:
    """`widget` as it is drawn now, encoded as PNG (OSError naming `path` if it cannot be
    encoded)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = widget.grab().save(buffer, "PNG")
    buffer.close()
    if not ok:
        raise OSError(f"{path}: cannot encode the PNG image")
    return bytes(data)
