"""A layout check shared by the GUI tests: nothing a user must read is cut or off-window."""

from __future__ import annotations

from PyQt6.QtCore import QPoint, QRect
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QWidget,
)


def assert_laid_out(top: QWidget) -> None:
    """Every visible label, button and combo shows its whole text inside the window."""
    QApplication.processEvents()  # let pending layout requests run, as the event loop would
    frame = top.rect()
    for w in top.findChildren(QWidget):
        kinds = QLabel | QAbstractButton | QComboBox | QAbstractSpinBox
        if not w.isVisibleTo(top) or not isinstance(w, kinds):
            continue
        if isinstance(w, QLabel) and not w.text():  # an image (scaled to fit), no text
            continue
        parent = w.parentWidget()
        while parent is not None and parent is not top:  # not cut by a box or a viewport
            inner = QRect(w.mapTo(parent, QPoint(0, 0)), w.size())
            assert parent.rect().contains(inner), f"{type(w).__name__} cut by its parent"
            parent = parent.parentWidget()
        rect = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
        assert frame.contains(rect), f"{type(w).__name__} {_text(w)!r} outside the window"
        if isinstance(w, QLabel) and w.wordWrap():
            assert w.height() >= w.heightForWidth(w.width()), f"label {w.text()!r} cut"
        else:
            assert w.width() >= w.sizeHint().width(), f"{type(w).__name__} {_text(w)!r} cut"


def _text(w: QWidget) -> str:
    if isinstance(w, QComboBox):
        return w.currentText()
    return w.text() if isinstance(w, QLabel | QAbstractButton) else ""
