"""The tablet canvas, end to end: synthesized QTabletEvents (and mouse events) into a real
TabletCanvas in a window, through the TrialRecorder into a real session file, read back with
load_session: every sample, in order, with the values sent."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QColor, QInputDevice, QMouseEvent, QPointingDevice, QTabletEvent
from PyQt6.QtWidgets import QApplication, QVBoxLayout, QWidget

from kinewrite.acquisition.qt.canvas import TabletCanvas
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.acquisition.recorder import TrialRecorder
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter

ET = QEvent.Type
NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
CAPS = (QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
        | QInputDevice.Capability.XTilt | QInputDevice.Capability.YTilt
        | QInputDevice.Capability.Rotation)


def pen_device(pointer=QPointingDevice.PointerType.Pen, system_id=7001) -> QPointingDevice:
    """A stylus as a tablet driver would register it."""
    return QPointingDevice("kinewrite test pen", system_id, QInputDevice.DeviceType.Stylus,
                           pointer, CAPS, 1, 3)


DEVICES: dict[str, QPointingDevice] = {}  # alive for the whole module: events point to them


def device(name: str = "pen") -> QPointingDevice:
    if name not in DEVICES:
        kind = {"pen": QPointingDevice.PointerType.Pen,
                "eraser": QPointingDevice.PointerType.Eraser}[name]
        DEVICES[name] = pen_device(kind, 7001 + len(DEVICES))
    return DEVICES[name]


def tablet_event(kind, x, y, pressure, tilt_x, tilt_y, rotation, buttons, dev=None,
                 button=NONE) -> QTabletEvent:
    pos = QPointF(x, y)
    return QTabletEvent(kind, dev or device(), pos, pos, pressure, tilt_x, tilt_y, 0.0,
                        rotation, 0.0, NO_MOD, button, buttons)


@pytest.fixture
def app():
    return make_application()


@pytest.fixture
def canvas(app, qtbot):
    window = QWidget()
    layout = QVBoxLayout(window)
    c = TabletCanvas()
    layout.addWidget(c)
    window.resize(900, 700)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield c
    c.set_sink(None)


@pytest.fixture
def writer(tmp_path):
    w = SessionWriter.create(tmp_path, "CANVAS-01")
    yield w
    w.close()


def stroke(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A pen-down path with varying pressure, tilt and rotation (float32-exact angles, as Qt
    keeps tilt in float and the file stores angles in f4)."""
    k = np.arange(n)
    return {
        "x": 450 + 300 * np.cos(k / 150) + rng.uniform(-0.5, 0.5, n),  # sub-pixel
        "y": 330 + 250 * np.sin(k / 150) + rng.uniform(-0.5, 0.5, n),
        "pressure": np.round(0.05 + 0.9 * (0.5 + 0.5 * np.sin(k / 37)), 6),
        "tilt_x": np.float32(np.round(40 * np.sin(k / 91), 1)).astype(np.float64),
        "tilt_y": np.float32(np.round(-30 * np.cos(k / 53), 1)).astype(np.float64),
        "rotation": np.float32(np.round((k * 0.7) % 360 - 180, 1)).astype(np.float64),
    }


def send_tablet_trial(app, canvas, n_moves=2000, n_hover=300, seed=0):
    """Press, n_moves touching moves, release, n_hover hover moves, leave proximity.

    Returns the expected samples as channel arrays (what the file must hold)."""
    rng = np.random.default_rng(seed)
    s = stroke(n_moves + 2, rng)  # press, moves, release
    hover = stroke(n_hover, rng)
    expected = {k: [] for k in ("x", "y", "pressure", "tilt_x", "tilt_y", "rotation",
                                "state", "pointer")}

    def add(i, src, state, pressure=None):
        for k in ("x", "y", "tilt_x", "tilt_y", "rotation"):
            expected[k].append(src[k][i])
        expected["pressure"].append(src["pressure"][i] if pressure is None else pressure)
        expected["state"].append(state)
        expected["pointer"].append(QPointingDevice.PointerType.Pen.value)

    last = n_moves + 1
    for i in range(last + 1):
        if i == 0:
            ev = tablet_event(ET.TabletPress, s["x"][i], s["y"][i], s["pressure"][i],
                              s["tilt_x"][i], s["tilt_y"][i], s["rotation"][i], LEFT,
                              button=LEFT)
            state = 2
        elif i < last:
            ev = tablet_event(ET.TabletMove, s["x"][i], s["y"][i], s["pressure"][i],
                              s["tilt_x"][i], s["tilt_y"][i], s["rotation"][i], LEFT)
            state = 2
        else:
            ev = tablet_event(ET.TabletRelease, s["x"][i], s["y"][i], 0.0,
                              s["tilt_x"][i], s["tilt_y"][i], s["rotation"][i], NONE,
                              button=LEFT)
            state = 1
        QApplication.sendEvent(canvas, ev)
        assert ev.isAccepted()  # so Qt would not synthesize a mouse event from it
        add(i, s, state, 0.0 if i == last else None)
    for i in range(n_hover):
        ev = tablet_event(ET.TabletMove, hover["x"][i], hover["y"][i], 0.0, hover["tilt_x"][i],
                          hover["tilt_y"][i], hover["rotation"][i], NONE)
        QApplication.sendEvent(canvas, ev)
        add(i, hover, 1, 0.0)
    # leaving proximity is delivered to the application object
    leave = QTabletEvent(ET.TabletLeaveProximity, device(), QPointF(), QPointF(), 0.0, 0.0,
                         0.0, 0.0, 0.0, 0.0, NO_MOD, NONE, NONE)
    QApplication.sendEvent(app, leave)
    expected["x"].append(hover["x"][-1])
    expected["y"].append(hover["y"][-1])
    for k in ("tilt_x", "tilt_y", "rotation"):  # the pen's last angles (no NaN in a channel)
        expected[k].append(hover[k][-1])
    expected["pressure"].append(0.0)
    expected["state"].append(0)
    expected["pointer"].append(QPointingDevice.PointerType.Pen.value)
    return {k: np.asarray(v, dtype=np.float64) for k, v in expected.items()}


def test_make_application_turns_event_compression_off(app):
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, True)
    again = make_application()
    assert again is app
    assert not app.testAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents)
    assert not app.testAttribute(Qt.ApplicationAttribute.AA_CompressTabletEvents)
    assert app.applicationName() == "kinewrite" and app.organizationName() == "kinewrite"


def test_tablet_trial_round_trip_every_sample(app, canvas, writer, qtbot):
    rec = TrialRecorder(writer, "spiral", nominal_rate_hz=133.0)
    downs, ups, counts = [], [], []
    canvas.penDown.connect(lambda: downs.append(1))
    canvas.penUp.connect(lambda: ups.append(1))
    canvas.sampleCount.connect(counts.append)
    canvas.set_sink(rec.buffer)
    rec.start()
    before = time.time()
    expected = send_tablet_trial(app, canvas, n_moves=2000, n_hover=300)
    after = time.time()
    n = expected["x"].size
    assert n == 2000 + 2 + 300 + 1
    assert canvas.sample_count == n and canvas.input_kind == "tablet"
    assert canvas.time_base == "host"  # synthesized events carry timestamp 0
    qtbot.waitUntil(lambda: bool(counts) and counts[-1] == n, timeout=2000)  # throttled signal
    assert len(counts) < 100  # never one per event
    canvas.set_sink(None)
    result = rec.stop(input_kind=canvas.input_kind, attrs={"time_base": canvas.time_base})
    assert (len(downs), len(ups)) == (1, 1)
    assert result.n_samples == n and result.input_kind == "tablet"
    assert result.features is not None and result.features["duration_s"] > 0

    s = load_session(writer.path)
    tr = s.trial(result.trial)
    assert tr.n_samples == n and tr.status == "complete" and tr.input == "tablet"
    assert tr.attrs["time_base"] == "host"
    ch = tr.channels
    for k in ("x", "y", "pressure"):
        np.testing.assert_array_equal(ch[k], expected[k], err_msg=k)  # exact, in order
    for k in ("tilt_x", "tilt_y", "rotation"):
        np.testing.assert_array_equal(ch[k], expected[k].astype(np.float32), err_msg=k)
    np.testing.assert_array_equal(ch["state"], expected["state"])
    np.testing.assert_array_equal(ch["pointer"], expected["pointer"])
    # t is the host receive time (Unix s, monotonic within the recording)
    np.testing.assert_array_equal(ch["t"], ch["host_time"])
    assert np.all(np.diff(ch["t"]) >= 0)
    assert before - 0.01 <= ch["t"][0] and ch["t"][-1] <= after + 0.01
    # the quality monitor saw the same stream
    assert result.quality.n_samples == n
    assert tr.attrs["quality_n_samples"] == n


def test_eraser_pointer_and_leave_without_sink(app, canvas):
    """Without a sink nothing is recorded (but ink is still drawn); the pointer type of each
    event is what is stored, so an eraser end is told from the tip."""
    from kinewrite.acquisition.buffer import SampleBuffer

    ev = tablet_event(ET.TabletPress, 100.25, 120.5, 0.5, 10.0, 5.0, 0.0, LEFT,
                      dev=device("eraser"), button=LEFT)
    QApplication.sendEvent(canvas, ev)
    assert canvas.sample_count == 0 and canvas.pen_is_down
    buf = SampleBuffer()
    canvas.set_sink(buf)
    QApplication.sendEvent(canvas, tablet_event(ET.TabletMove, 101.5, 121.0, 0.25, 0.0, 0.0,
                                                0.0, LEFT, dev=device("eraser")))
    block = buf.drain()
    assert block["pointer"].tolist() == [QPointingDevice.PointerType.Eraser.value] == [8]
    assert block["pressure"].tolist() == [0.25] and block["state"].tolist() == [2]
    assert canvas.current_pressure == 0.25


def test_mouse_fallback_round_trip(app, canvas, writer):
    rec = TrialRecorder(writer, "loops", nominal_rate_hz=133.0, input_kind="tablet")
    canvas.set_sink(rec.buffer)
    rec.start()
    rng = np.random.default_rng(3)
    n = 1500
    xs = 100 + np.cumsum(rng.uniform(0, 0.4, n))
    ys = 300 + 80 * np.sin(np.arange(n) / 40) + rng.uniform(-0.25, 0.25, n)
    states = []
    for i in range(n):
        pos = QPointF(xs[i], ys[i])
        if i == 0:
            ev = QMouseEvent(ET.MouseButtonPress, pos, pos, LEFT, LEFT, NO_MOD)
            states.append(2)
        elif i < n - 200:
            ev = QMouseEvent(ET.MouseMove, pos, pos, NONE, LEFT, NO_MOD)
            states.append(2)
        elif i == n - 200:
            ev = QMouseEvent(ET.MouseButtonRelease, pos, pos, LEFT, NONE, NO_MOD)
            states.append(1)
        else:  # hover moves (mouse tracking)
            ev = QMouseEvent(ET.MouseMove, pos, pos, NONE, NONE, NO_MOD)
            states.append(1)
        QApplication.sendEvent(canvas, ev)
    # a mouse event Qt synthesized from a stylus (its device is the pen) is not recorded
    pos = QPointF(5.0, 5.0)
    synthesized = QMouseEvent(ET.MouseMove, pos, pos, pos, NONE, NONE, NO_MOD, device())
    QApplication.sendEvent(canvas, synthesized)
    assert canvas.input_kind == "mouse"
    canvas.set_sink(None)
    result = rec.stop(input_kind=canvas.input_kind)
    tr = load_session(writer.path).trial(result.trial)
    assert tr.input == "mouse" and tr.n_samples == n
    np.testing.assert_array_equal(tr.channels["x"], xs)
    np.testing.assert_array_equal(tr.channels["y"], ys)
    assert np.all(np.isnan(tr.channels["pressure"]))
    assert np.all(np.isnan(tr.channels["tilt_x"]))
    np.testing.assert_array_equal(tr.channels["state"], states)
    assert set(tr.channels["pointer"].tolist()) == {1}
    assert tr.recording.pressure is None  # the analysis sees "no pressure channel"


def test_mouse_events_are_ignored_once_a_tablet_is_seen(app, canvas):
    from kinewrite.acquisition.buffer import SampleBuffer

    buf = SampleBuffer()
    canvas.set_sink(buf)
    QApplication.sendEvent(canvas, tablet_event(ET.TabletMove, 50.5, 60.5, 0.0, 0.0, 0.0, 0.0,
                                                NONE))
    pos = QPointF(51.0, 61.0)
    QApplication.sendEvent(canvas, QMouseEvent(ET.MouseMove, pos, pos, NONE, NONE, NO_MOD))
    QApplication.sendEvent(canvas, QMouseEvent(ET.MouseButtonPress, pos, pos, LEFT, LEFT,
                                               NO_MOD))
    block = buf.drain()
    assert block["x"].tolist() == [50.5] and canvas.input_kind == "tablet"
    assert not canvas.pen_is_down


def test_ink_is_drawn_by_the_timer_and_hover_is_not(app, canvas, qtbot):
    canvas.clear_ink()
    y_touch, y_hover = 200.0, 400.0
    QApplication.sendEvent(canvas, tablet_event(ET.TabletPress, 100, y_touch, 0.8, 0, 0, 0,
                                                LEFT, button=LEFT))
    for x in np.arange(101, 400, 1.0):
        QApplication.sendEvent(canvas, tablet_event(ET.TabletMove, x, y_touch, 0.8, 0, 0, 0,
                                                    LEFT))
    QApplication.sendEvent(canvas, tablet_event(ET.TabletRelease, 400, y_touch, 0, 0, 0, 0,
                                                NONE, button=LEFT))
    for x in np.arange(100, 400, 1.0):
        QApplication.sendEvent(canvas, tablet_event(ET.TabletMove, x, y_hover, 0, 0, 0, 0,
                                                    NONE))
    # nothing is painted in the event handlers: the pending list holds every point
    assert len(canvas._pending) == 1 + 299 + 1 + 300
    qtbot.waitUntil(lambda: not canvas._pending, timeout=2000)
    img = canvas.grab().toImage()
    ink = QColor(img.pixel(250, int(y_touch)))
    assert ink.lightness() < 100  # dark ink on the touching path
    assert QColor(img.pixel(250, int(y_hover))).lightness() > 240  # hover leaves no ink
    assert QColor(img.pixel(250, int(y_touch) + 30)).lightness() > 240
    canvas.clear_ink()
    qtbot.wait(50)
    assert QColor(canvas.grab().toImage().pixel(250, int(y_touch))).lightness() > 240


def test_guide_is_drawn_grey_under_the_ink(app, canvas):
    t = np.linspace(0, 6 * np.pi, 400)
    spiral = np.c_[400 + 10 * t * np.cos(t), 300 + 10 * t * np.sin(t)]
    canvas.set_guide([spiral, np.array([[50.0, 50.0], [350.0, 50.0]])])
    img = canvas.grab().toImage()
    grey = QColor(img.pixel(200, 50))
    assert 150 < grey.lightness() < 240 and abs(grey.red() - grey.blue()) < 10
    canvas.set_guide([spiral], visible=False)
    assert QColor(canvas.grab().toImage().pixel(200, 50)).lightness() > 240
    with pytest.raises(ValueError, match="guide polyline 0"):
        canvas.set_guide([np.zeros((4, 3))])
    with pytest.raises(ValueError, match="guide polyline 1"):
        canvas.set_guide([spiral, np.array([[0.0, np.nan], [1.0, 1.0]])])


def test_escape_signal(app, canvas, qtbot):
    canvas.setFocus()
    with qtbot.waitSignal(canvas.escapePressed, timeout=1000):
        qtbot.keyClick(canvas, Qt.Key.Key_Escape)
