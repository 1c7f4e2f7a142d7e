"""The canvas's ink, drawn off-screen (Qt side): the guide image, the ink image the pending
points are painted onto in runs of one width, and the blit that shows them.

:class:`InkLayer` holds no widget: :class:`~kinewrite.acquisition.qt.canvas.TabletCanvas`
collects the points its event handlers receive and hands them over from its draw timer, and
its ``paintEvent`` asks the layer to blit. The redraw cost does not grow with the number of
points already drawn (``benchmarks/bench_acquisition.py``).
"""

from __future__ import annotations

import numpy as np
from PyQt6 import sip
from PyQt6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

__all__ = ["InkLayer", "Point"]

#: A point as the canvas queues it: x, y (logical px), pressure (0..1, NaN for a mouse), state.
Point = tuple[float, float, float, int]

_TOUCH, _HOVER = 2, 1


class InkLayer:
    """The guide and ink images of a canvas, and how they are painted and shown.

    Parameters
    ----------
    ink_width_px : tuple of float
        Ink width in logical px at pressure 0 and 1 (mouse ink, without pressure, is drawn at
        the middle width). Widths are quantized to 0.5 px.
    ink_color, guide_color, background : QColor
    """

    def __init__(self, ink_width_px: tuple[float, float], ink_color: QColor,
                 guide_color: QColor, background: QColor) -> None:
        self._ink_width = (float(ink_width_px[0]), float(ink_width_px[1]))
        self._ink_color = QColor(ink_color)
        self._guide_color = QColor(guide_color)
        self._background = QColor(background)
        self._carry: Point | None = None  # last drawn point
        self._hover_at: QPointF | None = None
        self._ink = QImage()
        self._guide_img = QImage()
        self._guides: list[np.ndarray] = []
        self._guide_visible = False

    def clear(self) -> None:
        """Erase the ink; the guide stays."""
        self._carry = None
        if not self._ink.isNull():
            self._ink.fill(Qt.GlobalColor.transparent)

    def set_guide(self, polylines_px: list[np.ndarray] | None, visible: bool,
                  size: QSize, dpr: float) -> None:
        """Keep the guide's polylines (widget logical px) and render them at `size`.

        Raises
        ------
        ValueError
            If a polyline is not an (n, 2) array of finite numbers.
        """
        lines = []
        for i, line in enumerate(polylines_px or []):
            a = np.asarray(line, dtype=np.float64)
            if a.ndim != 2 or a.shape[1] != 2 or not np.all(np.isfinite(a)):
                raise ValueError(f"guide polyline {i}: expected an (n, 2) array of finite px "
                                 f"coordinates, got shape {a.shape}")
            lines.append(a)
        self._guides = lines
        self._guide_visible = bool(visible)
        self.render_guide(size, dpr)

    def draw(self, pending: list[Point], size: QSize, dpr: float) -> tuple[QRect | None, bool]:
        """Paint the touching segments of `pending` (joined to the last point drawn) onto the
        ink image of a widget of `size`.

        Returns
        -------
        dirty : QRect or None
            The rectangle to repaint.
        hover_moved : bool
            The hover marker appeared, moved or left: repaint the whole (cheap) blit.
        """
        last = pending[-1]
        hover_was = self._hover_at
        self._hover_at = QPointF(last[0], last[1]) if last[3] == _HOVER else None
        if self._carry is not None:
            pending.insert(0, self._carry)
        self._carry = last
        dirty = self._paint_segments(np.array(pending, dtype=np.float64), size, dpr)
        return dirty, self._hover_at is not None or hover_was is not None

    def paint(self, p: QPainter, rect: QRect) -> None:
        """Blit background, guide and ink into `rect` (nothing is drawn point by point)."""
        p.fillRect(rect, self._background)
        if self._guide_visible and not self._guide_img.isNull():
            p.drawImage(QRectF(rect), self._guide_img, _image_rect(rect, self._guide_img))
        if not self._ink.isNull():
            p.drawImage(QRectF(rect), self._ink, _image_rect(rect, self._ink))
        if self._hover_at is not None:
            pen = QPen(self._guide_color.darker(130))
            pen.setWidthF(1.0)
            p.setPen(pen)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.drawEllipse(self._hover_at, 3.0, 3.0)

    def ensure_ink(self, size: QSize, dpr: float) -> None:
        """Grow the ink image to `size` (logical px), keeping the ink."""
        w, h = int(np.ceil(size.width() * dpr)), int(np.ceil(size.height() * dpr))
        old = self._ink
        if not old.isNull() and old.width() >= w and old.height() >= h:
            return
        img = QImage(max(w, old.width()), max(h, old.height()),
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        if not old.isNull():
            p = QPainter(img)
            p.drawImage(0, 0, old)
            p.end()
        self._ink = img

    def render_guide(self, size: QSize, dpr: float) -> None:
        """Render the guide's polylines into an image of `size` (logical px)."""
        if not self._guides or size.width() <= 0 or size.height() <= 0:
            self._guide_img = QImage()
            return
        img = QImage(int(np.ceil(size.width() * dpr)), int(np.ceil(size.height() * dpr)),
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self._guide_color)
        pen.setWidthF(2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        for line in self._guides:
            if line.shape[0] >= 2:
                p.drawPolyline(_polygon(line))
        p.end()
        self._guide_img = img

    def _paint_segments(self, pts: np.ndarray, size: QSize, dpr: float) -> QRect | None:
        """Draw the touching segments of `pts` (x, y, pressure, state rows); dirty rect."""
        if pts.shape[0] < 2:
            return None
        touch = pts[:, 3] == _TOUCH
        seg = touch[1:] & touch[:-1]  # segment i joins points i and i+1
        if not seg.any():
            return None
        if self._ink.isNull():
            self.ensure_ink(size, dpr)
        lo, hi = self._ink_width
        p = pts[:, 2]
        p = np.where(np.isnan(p), 0.5, np.clip(p, 0.0, 1.0))
        width = np.round(2.0 * (lo + (hi - lo) * 0.5 * (p[1:] + p[:-1]))) / 2.0
        # runs of consecutive drawable segments of one width: one polyline each
        key = np.where(seg, width, -1.0)
        change = np.flatnonzero(np.diff(key) != 0) + 1
        starts = np.concatenate(([0], change))
        stops = np.concatenate((change, [key.size]))
        painter = QPainter(self._ink)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self._ink_color)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        for a, b in zip(starts, stops, strict=True):  # one iteration per run, not per sample
            w = key[a]
            if w < 0:
                continue
            pen.setWidthF(float(w))
            painter.setPen(pen)
            painter.drawPolyline(_polygon(pts[a : b + 1, :2]))
        painter.end()
        used = np.concatenate((seg, [False])) | np.concatenate(([False], seg))
        xy = pts[used, :2]
        margin = hi + 2.0
        x0, y0 = np.floor(xy.min(axis=0) - margin)
        x1, y1 = np.ceil(xy.max(axis=0) + margin)
        return QRect(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def _image_rect(rect: QRect, img: QImage) -> QRectF:
    dpr = img.devicePixelRatio()
    return QRectF(rect.x() * dpr, rect.y() * dpr, rect.width() * dpr, rect.height() * dpr)


def _polygon(xy: np.ndarray) -> QPolygonF:
    """A QPolygonF filled from an (n, 2) float array in one copy (no QPointF per point)."""
    n = int(xy.shape[0])
    poly = QPolygonF()
    poly.resize(n)
    if n:
        view = np.frombuffer(sip.voidptr(poly.data(), n * 16, True), dtype=np.float64)
        view.reshape(n, 2)[:] = xy
    return poly
