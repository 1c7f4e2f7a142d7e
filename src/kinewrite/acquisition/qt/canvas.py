"""The tablet canvas: records every pen sample Qt delivers and shows the ink live (Qt side).

Ingestion and drawing are decoupled. The event handlers only read the event, push one sample
into a sink (a :class:`~kinewrite.acquisition.buffer.SampleBuffer`: a list append under a
lock) and append the point to a pending-draw list: no disk, no painting. A ~60 Hz timer hands
the pending points to the canvas's :class:`~kinewrite.acquisition.qt.ink.InkLayer`, which
paints them incrementally onto an off-screen image, and asks for a repaint of the dirty
rectangle; ``paintEvent`` only blits the guide and the ink images. A slow repaint therefore
delays, but never loses, samples (``tests/gui/test_busy_gui.py``), and the redraw cost does
not grow with the number of points already drawn (``benchmarks/bench_acquisition.py``).

What a sample holds (channels of :data:`kinewrite.storage.schema.CHANNELS`)
-------------------------------------------------------------------------------
``x``, ``y``
    Widget-local logical pixels, sub-pixel floats, y pointing down (``event.position()``).
``pressure``
    0..1 as Qt normalizes it; NaN for mouse input (a mouse has no pressure).
``tilt_x``, ``tilt_y``, ``rotation``
    Degrees (``xTilt``, ``yTilt``, ``rotation``); NaN for mouse input.
``state``
    2 touching (press, or a move with the tip button down or pressure > 0), 1 hovering (moves
    in proximity, and the release sample), 0 out of range (the pen left proximity: a sample at
    the last position, tilt and rotation, pressure 0).
``pointer``
    ``event.pointerType().value``: Qt's ``QPointingDevice.PointerType`` (1 generic/mouse,
    4 pen, 8 eraser, 16 cursor/puck).
``host_time``
    Host receive time, Unix seconds, read as ``time.perf_counter_ns()`` at receipt and
    anchored to ``time.time()`` when the sink was set: monotonic within a recording (no NTP
    steps), comparable across files (docs/architecture.md asks for ``perf_counter_ns`` at receipt;
    ``docs/file-format.md`` documents the channel as Unix time: the anchor gives both).
``t``
    The event's own timestamp (whole ms, platform clock) in s, the best time Qt gives of when
    the device sampled. Synthesized events, and events of platforms without timestamps, carry
    timestamp 0: then ``t`` is the host receive time. The choice is made once per recording,
    at its first sample (:attr:`TabletCanvas.time_base` ``"event"`` or ``"host"``), so the
    two clocks are never mixed: in an ``"event"`` recording a sample without timestamp gets
    its host time shifted onto the event clock; in a ``"host"`` recording every sample gets
    its host time. The analysis rebuilds the sample clock from ``t``
    (:func:`kinewrite.analysis.preprocess.rebuild_clock`).

Tablet, mouse and the events between them
-----------------------------------------
Tablet events are accepted, so Qt does not synthesize mouse events from them. Mouse events
are recorded only as a fallback: when they come from a mouse device (never those Qt
synthesizes from a tablet or touch screen, whose device is not a mouse) and no tablet event
has been seen since the sink was set. :attr:`TabletCanvas.input_kind` says which input the
current recording received (``"tablet"``, ``"mouse"``, or ``""`` for none yet). Hover moves
need ``setTabletTracking(True)`` (and mouse tracking for the mouse), both set here. Proximity
events go to the application object, not to widgets: while a sink is set, an application
event filter catches them (installed only then, since it sees every event of the
application). Entering proximity records nothing (Qt gives it no position; the next hover
move is the sample); leaving records the ``state`` 0 sample above. Qt reports proximity on
Windows, macOS and for Wacom drivers on X11; with other X11 drivers (libinput, evdev: XInput2
has no proximity events) the pen leaving shows only as its samples stopping
(``tests/gui/test_xorg_pen.py``).
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np
from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QInputDevice,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTabletEvent,
)
from PyQt6.QtWidgets import QApplication, QWidget

from .ink import InkLayer, Point

__all__ = ["SampleSink", "TabletCanvas"]

_NAN = float("nan")
_TOUCH, _HOVER, _OUT = 2, 1, 0
_MOUSE_POINTER = 1  # QPointingDevice.PointerType.Generic: a mouse or touchpad
_LEFT = Qt.MouseButton.LeftButton
_ET = QEvent.Type
_MOUSE_DEVICE = QInputDevice.DeviceType.Mouse


class SampleSink(Protocol):
    """Where the canvas pushes samples (a :class:`~kinewrite.acquisition.buffer.SampleBuffer`)."""

    def push(self, t: float, x: float, y: float, pressure: float, state: int, tilt_x: float,
             tilt_y: float, rotation: float, host_time: float | None, pointer: int) -> None:
        """Take one sample."""


class TabletCanvas(QWidget):
    """A widget that records pen (or, as a fallback, mouse) samples and shows the ink live.

    Parameters
    ----------
    parent : QWidget, optional
    draw_interval_ms : int, default 16
        Period of the timer that paints pending points onto the ink image (~60 Hz).
    ink_width_px : tuple of float, default (1.0, 4.0)
        Ink width in logical px at pressure 0 and 1 (mouse ink, without pressure, is drawn at
        the middle width). Widths are quantized to 0.5 px.
    ink_color, guide_color, background : QColor, optional
        Dark blue ink on white, guide light grey.

    Signals
    -------
    penDown()
        The pen (or mouse button) went down.
    penUp()
        The pen (or mouse button) was lifted.
    sampleCount(int)
        Samples pushed to the sink since it was set; emitted by the draw timer when it changed
        (at most ~60 times a second, never per event).
    escapePressed()
        Esc was pressed while the canvas had focus.
    """

    #: The draw timer paints at most this many points per tick (~10 ms of drawing).
    MAX_POINTS_PER_TICK = 5000

    penDown = pyqtSignal()
    penUp = pyqtSignal()
    sampleCount = pyqtSignal(int)
    escapePressed = pyqtSignal()

    def __init__(
        self,
        parent: QWidget | None = None,
        draw_interval_ms: int = 16,
        ink_width_px: tuple[float, float] = (1.0, 4.0),
        ink_color: QColor | None = None,
        guide_color: QColor | None = None,
        background: QColor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setTabletTracking(True)  # hover moves (pen in the air) arrive only with it
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self._layer = InkLayer(ink_width_px, ink_color or QColor(16, 32, 96),
                               guide_color or QColor(200, 200, 200),
                               background or QColor(255, 255, 255))
        self._sink: SampleSink | None = None
        self._pending: list[Point] = []  # received, not yet drawn
        self._count = 0
        self._emitted = -1
        self._tablet_seen = False
        self._mouse_seen = False
        self._down = False
        self._last: Point = (_NAN, _NAN, _NAN, _OUT)
        self._last_angles = (_NAN, _NAN, _NAN)
        self._filter_installed = False
        self._reset_clock()
        self._timer = QTimer(self)
        self._timer.setInterval(int(draw_interval_ms))
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    # ------------------------------------------------------------------ public API
    def set_sink(self, sink: SampleSink | None) -> None:
        """Start pushing samples into `sink` (None: stop recording; the ink stays visible).

        Setting a sink starts a new recording: the sample count, :attr:`input_kind` and
        :attr:`time_base` are reset, and the proximity event filter is installed. Setting
        None removes the filter and keeps them (read them to close the trial).
        """
        self._sink = sink
        if sink is not None:
            self._count = 0
            self._emitted = -1
            self._tablet_seen = False
            self._mouse_seen = False
            self._reset_clock()
        app = QApplication.instance()
        if sink is not None and not self._filter_installed and app is not None:
            app.installEventFilter(self)
            self._filter_installed = True
        elif sink is None and self._filter_installed and app is not None:
            app.removeEventFilter(self)
            self._filter_installed = False

    @property
    def sink(self) -> SampleSink | None:
        """The sink samples are pushed into (None when not recording)."""
        return self._sink

    @property
    def recording(self) -> bool:
        """Whether a sink is set."""
        return self._sink is not None

    @property
    def input_kind(self) -> str:
        """``"tablet"``, ``"mouse"`` or ``""``: the input the current recording received."""
        if self._tablet_seen:
            return "tablet"
        return "mouse" if self._mouse_seen else ""

    @property
    def time_base(self) -> str:
        """``"event"`` (Qt timestamps), ``"host"`` (receive time) or ``""`` before a sample."""
        return self._time_base

    @property
    def sample_count(self) -> int:
        """Samples pushed to the sink since it was set."""
        return self._count

    @property
    def current_pressure(self) -> float:
        """Pressure of the latest sample if the pen touches, else 0 (NaN for a mouse).

        What :class:`~kinewrite.acquisition.qt.audio.ToneOutput` polls for feedback.
        """
        _, _, pressure, state = self._last
        return pressure if state == _TOUCH else 0.0

    @property
    def pen_is_down(self) -> bool:
        """Whether the pen (or mouse button) is down now."""
        return self._down

    def clear_ink(self) -> None:
        """Erase the ink (and points not yet drawn); the guide stays."""
        self._pending.clear()
        self._layer.clear()
        self.update()

    def set_guide(self, polylines_px: list[np.ndarray] | None, visible: bool = True) -> None:
        """Show guide geometry under the ink in light grey.

        Parameters
        ----------
        polylines_px : list of ndarray, shape (n, 2)
            Polylines in widget logical px (x right, y down); the caller maps mm to px.
            None or an empty list removes the guide.
        visible : bool, default True
            Whether the guide is drawn (the geometry is kept either way).

        Raises
        ------
        ValueError
            If a polyline is not an (n, 2) array of finite numbers.
        """
        self._layer.set_guide(polylines_px, visible, self.size(), self.devicePixelRatioF())
        self.update()

    def draw_pending(self, max_points: int | None = None) -> int:
        """Paint the points received since the last call onto the ink image.

        Called by the draw timer with ``max_points=MAX_POINTS_PER_TICK``, so a backlog
        (points that piled up while the GUI thread was blocked) is drawn over a few ticks
        instead of freezing the window; callable directly (tests, benchmarks). Emits
        ``sampleCount`` when the count changed. Returns the number of points consumed.
        """
        if max_points is not None and len(self._pending) > max_points:
            pending = self._pending[:max_points]
            del self._pending[:max_points]
        else:
            pending, self._pending = self._pending, []
        if self._count != self._emitted and self._sink is not None:
            self._emitted = self._count
            self.sampleCount.emit(self._count)
        if not pending:
            return 0
        n = len(pending)
        dirty, hover_moved = self._layer.draw(pending, self.size(), self.devicePixelRatioF())
        if hover_moved:
            self.update()  # the hover marker moved: a full (cheap) blit
        elif dirty is not None:
            self.update(dirty)
        return n

    # ------------------------------------------------------------------ events
    def tabletEvent(self, event: QTabletEvent) -> None:
        """Record a press, move (touching or hovering) or release of the pen."""
        kind = event.type()
        pressure = event.pressure()
        if kind == _ET.TabletPress:
            state = _TOUCH
        elif kind == _ET.TabletMove:
            state = _TOUCH if (event.buttons() & _LEFT or pressure > 0.0) else _HOVER
        elif kind == _ET.TabletRelease:
            state = _HOVER
        else:
            event.ignore()
            return
        event.accept()  # else Qt synthesizes a mouse event from it
        pos = event.position()
        self._tablet_seen = True
        self._ingest(pos.x(), pos.y(), pressure, state, event.xTilt(), event.yTilt(),
                     event.rotation(), event.pointerType().value, event.timestamp())
        if kind == _ET.TabletPress:
            self._set_down(True)
        elif kind == _ET.TabletRelease:
            self._set_down(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While recording: catch proximity events, which Qt sends to the application."""
        kind = event.type()
        if kind == _ET.TabletLeaveProximity and not np.isnan(self._last[0]):
            self._tablet_seen = True
            self._ingest(self._last[0], self._last[1], 0.0, _OUT, *self._last_angles,
                         event.pointerType().value, event.timestamp())
            self._set_down(False)
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Mouse fallback: the left button touches."""
        if event.button() == _LEFT and self._mouse(event, _TOUCH):
            self._set_down(True)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Mouse fallback: a move with the left button down touches, else hovers."""
        self._mouse(event, _TOUCH if event.buttons() & _LEFT else _HOVER)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Mouse fallback: releasing the left button lifts the pen."""
        if event.button() == _LEFT and self._mouse(event, _HOVER):
            self._set_down(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc emits ``escapePressed``."""
        if event.key() == Qt.Key.Key_Escape:
            self.escapePressed.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Grow the ink image (keeping the ink) and re-render the guide."""
        dpr = self.devicePixelRatioF()
        self._layer.ensure_ink(event.size(), dpr)
        self._layer.render_guide(self.size(), dpr)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Blit background, guide and ink (nothing is drawn point by point here)."""
        p = QPainter(self)
        self._layer.paint(p, event.rect())
        p.end()

    # ------------------------------------------------------------------ private
    def _tick(self) -> None:
        self.draw_pending(self.MAX_POINTS_PER_TICK)

    def _reset_clock(self) -> None:
        self._wall0 = time.time()
        self._pc0 = time.perf_counter_ns()
        self._time_base = ""
        self._t_offset = 0.0

    def _ingest(self, x: float, y: float, pressure: float, state: int, tilt_x: float,
                tilt_y: float, rotation: float, pointer: int, stamp_ms: int) -> None:
        """The whole per-sample work: a clock read, one push, one list append."""
        host = self._wall0 + (time.perf_counter_ns() - self._pc0) * 1e-9
        if not self._time_base:  # first sample of the recording chooses the clock
            self._time_base = "event" if stamp_ms else "host"
            self._t_offset = stamp_ms * 1e-3 - host if stamp_ms else 0.0
        t = stamp_ms * 1e-3 if (stamp_ms and self._time_base == "event") else host + self._t_offset
        sink = self._sink
        if sink is not None:
            sink.push(t, x, y, pressure, state, tilt_x, tilt_y, rotation, host, pointer)
            self._count += 1
        self._last = (x, y, pressure, state)
        self._last_angles = (tilt_x, tilt_y, rotation)
        self._pending.append(self._last)

    def _mouse(self, event: QMouseEvent, state: int) -> bool:
        """Record a mouse sample if it is a real mouse's and no tablet has been seen."""
        if self._tablet_seen or event.deviceType() != _MOUSE_DEVICE:
            return False  # synthesized from a tablet/touch event, or the tablet is in use
        self._mouse_seen = True
        pos = event.position()
        self._ingest(pos.x(), pos.y(), _NAN, state, _NAN, _NAN, _NAN, _MOUSE_POINTER,
                     event.timestamp())
        event.accept()
        return True

    def _set_down(self, down: bool) -> None:
        if down != self._down:
            self._down = down
            (self.penDown if down else self.penUp).emit()
