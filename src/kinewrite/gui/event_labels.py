"""Treatment labels and the legend of a plot, kept inside its view and off its data points.

The labels of the treatment lines (:func:`kinewrite.gui.plots.add_event_marker`) and the
plot's legend sit in a band of their own *above* the data: the plot's y range is extended
upwards by the height of that band (in pixels, recomputed whenever the view is resized or
its range changes), so neither covers a data point's symbol. Each label starts with the
treatment's number (the key under the plots names it in full) and is put on the side of its
line where it fits inside the view box, shortened with an ellipsis when it fits on neither
side, down to the number alone (the full text stays in the line's tooltip); labels that
would overlap each other go in a second row. The legend sits at the band's right end,
beside the labels or under them.
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
#: The largest symbol drawn on a point (the ring around a change beyond noise), px.
SYMBOL_PX = 17.0


class EventLabels:
    """The labels of treatment lines and the legend of one plot, in a band above the data.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The plot; its y range must be set (to the data's range) before this is made: that
        range is kept below the band. Its legend, if it has one, is placed in the band.
    font_pt : float
        Label size in points.
    """

    def __init__(self, plot: pg.PlotItem, font_pt: float) -> None:
        self.plot = plot
        self.font = QFont()
        self.font.setPointSizeF(font_pt)
        self.items: list[pg.TextItem] = []
        self._events: list[tuple[float, str, str]] = []
        self._data_range: tuple[float, float] = tuple(plot.vb.viewRange()[1])
        self._busy = False
        plot.vb.sigResized.connect(self.place)
        plot.vb.sigXRangeChanged.connect(self.place)

    def add(self, x: float, text: str, colour: tuple[int, int, int],
            number: int | None = None) -> pg.TextItem:
        """Label the line at `x` (seconds since the epoch) with `text`, after its `number`
        in the key (if given)."""
        prefix = f"{number} " if number is not None else ""
        item = pg.TextItem(prefix + text, color=colour, anchor=(0, 0),
                           fill=pg.mkBrush(255, 255, 255, 220))
        item.setFont(self.font)
        item.setToolTip(plain_tooltip(prefix + text))  # whole, as a shortened label starts
        self.plot.addItem(item, ignoreBounds=True)
        self.items.append(item)
        self._events.append((x, prefix + text, prefix.strip()))
        self.place()
        return item

    def _legend(self) -> pg.LegendItem | None:
        legend = self.plot.legend
        if legend is None or not legend.items:
            return None
        return legend

    def place(self, *_args) -> None:
        """Lay the labels and the legend out for the view's current size and x range."""
        legend = self._legend()
        if self._busy or not (self.items or legend is not None):
            return
        vb = self.plot.vb
        width, height = vb.width(), vb.height()
        if width <= 1 or height <= 1:
            return
        self._busy = True
        try:
            metrics = QFontMetricsF(self.font)
            # a row is as tall as a label drawn (the text and the text item's margins)
            line_h = math.ceil(max((i.boundingRect().height() for i in self.items),
                                   default=metrics.height() + 8.0)) + 1.0
            (x0, x1), _ = vb.viewRange()
            rows: list[list[tuple[float, float]]] = []
            placed = []
            pxs = [(x - x0) / (x1 - x0) * width if x1 > x0 else 0.0 for x, _t, _n in
                   self._events]
            inside = sorted(p for p in pxs if 0.0 <= p <= width)
            for item, (x, text, number), px in zip(self.items, self._events, pxs,
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
                shown = text if need <= room else self._shortened(metrics, text, number,
                                                                  room)
                item.setText(shown)
                w = metrics.horizontalAdvance(shown) + 6.0
                if w > room and side == "right" and px + GAP_PX + w > width:
                    side = "left"  # the number alone, on the side it fits
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
            # small for its labels: the lines' tooltips and the key still name them)
            fit = max(int((height - MIN_DATA_PX - GAP_PX) // line_h), 0)
            for item, _x, _side, row in placed:
                item.setVisible(row < fit)
            placed = [p for p in placed if p[3] < fit]
            used_rows = max((p[3] + 1 for p in placed), default=0)
            band = used_rows * line_h + GAP_PX if placed else 0.0
            if legend is not None:
                band = self._place_legend(legend, rows[:used_rows], line_h, width, height,
                                          band)
            if band:  # a point's symbol at the top of the data stays under the band
                band += SYMBOL_PX / 2
            lo, hi = self._data_range
            top = hi + band / (height - band) * (hi - lo) if band < height else hi
            vb.setYRange(lo, top, padding=0)
            scale = (top - lo) / height  # data units per pixel
            for item, x, side, row in placed:
                item.setAnchor((0, 0) if side == "right" else (1, 0))
                dx = GAP_PX * (x1 - x0) / width
                item.setPos(x + (dx if side == "right" else -dx),
                            top - (row * line_h + 1.0) * scale)
        finally:
            self._busy = False

    @staticmethod
    def _shortened(metrics: QFontMetricsF, text: str, number: str, room: float) -> str:
        """`text` elided to `room` px; the number alone when fewer than three letters of
        the name would remain (a lone "B…" names nothing; the key names the number)."""
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(room - 6.0, 0.0))
        kept = shown.rstrip("…")[len(number):].strip()
        if number and len(kept) < 3:
            return number
        return shown

    @staticmethod
    def _place_legend(legend: pg.LegendItem, rows: list[list[tuple[float, float]]],
                      line_h: float, width: float, height: float, band: float) -> float:
        """Put the legend at the band's right end, beside the label rows it does not touch
        or under them; returns the band's height with it (the legend is hidden when the
        data would keep under :data:`MIN_DATA_PX`)."""
        rect = legend.boundingRect()
        lw, lh = rect.width(), rect.height()
        right = width - 10.0
        span = (right - lw - GAP_PX, right + GAP_PX)
        below = max((r + 1 for r, taken in enumerate(rows)
                     if any(not (b < span[0] or a > span[1]) for a, b in taken)), default=0)
        y = below * line_h + (GAP_PX if below else 2.0)
        need = max(band, y + lh + GAP_PX)
        if height - need < MIN_DATA_PX:
            legend.setVisible(False)
            return band
        legend.setVisible(True)
        legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-10, y))
        return need
