"""Treatment labels of a plot, kept inside its view and off its data points.

The labels of the treatment lines (:func:`kinewrite.gui.plots.add_event_marker`) sit in a
band of their own *above* the data: the plot's y range is extended upwards by the height of
that band (in pixels, recomputed whenever the view is resized or its range changes), so no
label covers a data point's symbol. Each label is put on the side of its line where it fits
inside the view box, shortened with an ellipsis when it fits on neither side (the full text
stays in the line's tooltip), labels that would overlap each other go in a second row, and
the plot's legend is moved under the band.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont, QFontMetricsF

from .text import plain_tooltip

__all__ = ["EventLabels"]

#: Space (px) between a label and its line, the view's edge or another label.
GAP_PX = 3.0
#: Height (px) the data keep at least; label rows that would leave less are hidden.
MIN_DATA_PX = 40.0


class EventLabels:
    """The labels of treatment lines in one plot, placed in a band above the data.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The plot; its y range must be set (to the data's range) before the first label is
        added: that range is kept below the band.
    font_pt : float
        Label size in points.
    """

    def __init__(self, plot: pg.PlotItem, font_pt: float) -> None:
        self.plot = plot
        self.font = QFont()
        self.font.setPointSizeF(font_pt)
        self.items: list[pg.TextItem] = []
        self._events: list[tuple[float, str, tuple[int, int, int]]] = []
        self._data_range: tuple[float, float] | None = None
        self._busy = False
        plot.vb.sigResized.connect(self.place)
        plot.vb.sigXRangeChanged.connect(self.place)

    def add(self, x: float, text: str, colour: tuple[int, int, int]) -> pg.TextItem:
        """Label the line at `x` (seconds since the epoch) with `text`."""
        if self._data_range is None:
            self._data_range = tuple(self.plot.vb.viewRange()[1])
        item = pg.TextItem(text, color=colour, anchor=(0, 0),
                           fill=pg.mkBrush(255, 255, 255, 220))
        item.setFont(self.font)
        item.setToolTip(plain_tooltip(text))
        self.plot.addItem(item, ignoreBounds=True)
        self.items.append(item)
        self._events.append((x, text, colour))
        self.place()
        return item

    def place(self, *_args) -> None:
        """Lay the labels out for the view's current size and x range."""
        if self._busy or not self.items or self._data_range is None:
            return
        vb = self.plot.vb
        width, height = vb.width(), vb.height()
        if width <= 1 or height <= 1:
            return
        self._busy = True
        try:
            metrics = QFontMetricsF(self.font)
            line_h = math.ceil(metrics.height()) + 5.0  # the text item's margins, rounded up
            (x0, x1), _ = vb.viewRange()
            rows: list[list[tuple[float, float]]] = []
            placed = []
            pxs = [(x - x0) / (x1 - x0) * width if x1 > x0 else 0.0 for x, _t, _c in
                   self._events]
            inside = sorted(p for p in pxs if 0.0 <= p <= width)
            for item, (x, text, _colour), px in zip(self.items, self._events, pxs,
                                                   strict=True):
                if not 0.0 <= px <= width:
                    item.setVisible(False)
                    continue
                item.setVisible(True)
                # one row where possible: a label runs up to the next line, not across it
                after = next((p for p in inside if p > px + 1.0), width)
                before = max((p for p in inside if p < px - 1.0), default=0.0)
                right, left = after - px - 2 * GAP_PX, px - before - 2 * GAP_PX
                need = metrics.horizontalAdvance(text) + 6.0
                side = "right" if need <= right or right >= left else "left"
                room = max(right if side == "right" else left, 0.0)
                shown = text if need <= room else metrics.elidedText(
                    text, Qt.TextElideMode.ElideRight, max(room - 6.0, 0.0))
                item.setText(shown)
                w = min(need, room) if shown != text else need
                span = (px + GAP_PX, px + GAP_PX + w) if side == "right" else \
                    (px - GAP_PX - w, px - GAP_PX)
                row = next((r for r, taken in enumerate(rows)
                            if all(span[1] + GAP_PX < a or span[0] > b + GAP_PX
                                   for a, b in taken)), len(rows))
                if row == len(rows):
                    rows.append([])
                rows[row].append(span)
                placed.append((item, x, side, row))
            # rows that leave under MIN_DATA_PX for the data are not drawn (a view too
            # small for its labels: the lines' tooltips still name the treatments)
            fit = max(int((height - MIN_DATA_PX - GAP_PX) // line_h), 0)
            for item, _x, _side, row in placed:
                item.setVisible(row < fit)
            placed = [p for p in placed if p[3] < fit]
            band = min(len(rows), fit) * line_h + GAP_PX if placed else 0.0
            lo, hi = self._data_range
            top = hi + band / (height - band) * (hi - lo)
            vb.setYRange(lo, top, padding=0)
            legend = self.plot.legend
            if legend is not None:  # the legend's top-right corner under the band, not on it
                legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-10, band + 2))
            scale = (top - lo) / height  # data units per pixel
            for item, x, side, row in placed:
                item.setAnchor((0, 0) if side == "right" else (1, 0))
                dx = GAP_PX * (x1 - x0) / width
                item.setPos(x + (dx if side == "right" else -dx),
                            top - (row * line_h + 1.0) * scale)
        finally:
            self._busy = False
