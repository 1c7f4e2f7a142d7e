"""The record workflow end to end, offscreen: setup, a trial written with synthesized tablet
events, its key numbers at once, a redo that supersedes it, and the session file on disk."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PyQt6.QtWidgets import QApplication

from kinewrite import load_session
from kinewrite.acquisition import canvas as canvas_module
from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt_app import make_application
from kinewrite.gui.workflow import RecordWorkflow
from kinewrite.simulate import simulate_trial

MM_PER_PX = 0.254  # a 100 dpi screen
ET = QEvent.Type
CAPS = (QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
        | QInputDevice.Capability.XTilt | QInputDevice.Capability.YTilt)
PEN = QPointingDevice("workflow test pen", 7101, QInputDevice.DeviceType.Stylus,
                      QPointingDevice.PointerType.Pen, CAPS, 1, 3)


class PenClock:
    """The canvas's host clock, set by the test: synthesized events carry no timestamp, so
    the canvas stamps them on receipt (``time.perf_counter_ns``); the test moves this clock
    at the tablet's rate, feeding times through the path a recording uses."""

    def __init__(self) -> None:
        self.ns = 1_000_000_000

    def perf_counter_ns(self) -> int:
        return self.ns

    @staticmethod
    def time() -> float:
        return time.time()


CLOCK = PenClock()


def _event(kind: QEvent.Type, x: float, y: float, pressure: float, t_ms: int,
           down: bool) -> QTabletEvent:
    pos = QPointF(x, y)
    button = Qt.MouseButton.LeftButton if kind != ET.TabletMove else Qt.MouseButton.NoButton
    buttons = Qt.MouseButton.LeftButton if down else Qt.MouseButton.NoButton
    ev = QTabletEvent(kind, PEN, pos, pos, pressure, 10.0, -5.0, 0.0, 0.0, 0.0,
                      Qt.KeyboardModifier.NoModifier, button, buttons)
    CLOCK.ns = int(t_ms) * 1_000_000
    return ev


def write_trial(canvas, task: str, seconds: float, seed: int, t0_ms: int) -> int:
    """Write a simulated trial on the canvas as a tablet would deliver it (200 Hz, ms
    stamps); returns the number of events sent."""
    sim = simulate_trial(task, seconds, seed=seed, rate_hz=200.0, jitter_ms=0.0,
                         duplicate_fraction=0.0)
    rec = sim.recording
    x = 60 + (rec.x - rec.x.min()) / MM_PER_PX
    y = 60 + (rec.y.max() - rec.y) / MM_PER_PX
    t_ms = t0_ms + np.round((rec.t - rec.t[0]) * 1000).astype(int)
    p = rec.pressure
    send = QApplication.sendEvent
    send(canvas, _event(ET.TabletPress, x[0], y[0], p[0], int(t_ms[0]), True))
    for i in range(1, len(x) - 1):
        send(canvas, _event(ET.TabletMove, x[i], y[i], p[i], int(t_ms[i]), True))
    send(canvas, _event(ET.TabletRelease, x[-1], y[-1], 0.0, int(t_ms[-1]), False))
    QApplication.processEvents()
    return len(x)


@pytest.fixture
def workflow(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(canvas_module, "time", CLOCK)
    make_application()
    w = RecordWorkflow(tmp_path / "study", ScreenMapping.from_dpi(100.0))
    (tmp_path / "study").mkdir()
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_trial_key_numbers_redo_and_session(workflow, qtbot) -> None:
    w = workflow
    assert not w.setup.start_button.isEnabled()  # no code, no session
    w.setup.code_edit.setText("WF-01")
    assert w.setup.start_button.isEnabled()
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentIndex() == 1
    loops = [s.key for s in w.protocol.tasks].index("loops")
    w.task_list.setCurrentRow(loops)
    assert w.panel.spec.task == "loops"
    assert w.writer is None  # the file is created with the first trial, not before

    first = w.start_trial()
    assert w.panel.recording and not w.start_button.isEnabled()
    n = write_trial(w.panel.canvas, "loops", 10.0, seed=3, t0_ms=1_000)
    qtbot.waitUntil(lambda: "samples" in w.panel.quality_label.text(), timeout=2000)
    outcome = w.panel.stop()
    assert outcome.n_samples == n and outcome.input_kind == "tablet"
    assert w.right.currentIndex() == 1  # the results show at once
    shown = {w.result.table.item(i, 0).text(): w.result.table.item(i, 1).text()
             for i in range(w.result.table.rowCount())}
    freq = outcome.features["stroke_frequency_hz"]
    assert abs(freq - 2.5) < 0.1  # SCIENCE.md ground truth: 2.5 Hz loops
    rhythm = next(v for k, v in shown.items() if "frequency" in k.lower())
    assert rhythm.startswith(f"{freq:.3g}") and rhythm.endswith("Hz")
    assert "Samples stored" in shown and shown["Samples stored"].startswith(str(n))

    # Redo: a second trial of the same task supersedes the first; nothing is deleted.
    qtbot.mouseClick(w.result.redo_button, Qt.MouseButton.LeftButton)
    assert w.panel.recording
    write_trial(w.panel.canvas, "loops", 10.0, seed=4, t0_ms=40_000)
    second = w.panel.stop()
    assert w.task_list.item(loops).text().endswith("(×2)")
    session = load_session(w.writer.path)
    by_name = {t.name: t for t in session.trials}
    assert by_name[first].status == "superseded"
    assert by_name[first].superseded_by == second.trial
    assert by_name[second.trial].status == "complete"
    assert by_name[second.trial].attrs["redo_of"] == first
    assert session.patient_code == "WF-01"
    assert session.metadata["protocol"] == w.protocol.label
    # Every sample of the first trial, in order, in mm through the stored calibration.
    assert by_name[first].n_samples == n
    assert np.all(np.diff(by_name[first].channels["t"]) > 0)


def test_pen_never_down_is_kept_as_aborted_with_a_finding(workflow, qtbot) -> None:
    w = workflow
    w.setup.code_edit.setText("WF-02")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.start_trial()
    # Hover only: the pen never touches.
    for i in range(50):
        QApplication.sendEvent(w.panel.canvas, _event(ET.TabletMove, 100 + i, 100, 0.0,
                                                      5000 + 5 * i, False))
    outcome = w.panel.stop()
    assert outcome.status == "aborted" and not outcome.ok
    messages = [f.message.lower() for f in outcome.findings]
    assert any("pen" in m and ("never" in m or "no " in m) for m in messages), messages
    trial = load_session(w.writer.path).trials[-1]
    assert trial.status == "aborted" and trial.n_samples == 50
    assert "never touched" in trial.attrs["abort_reason"]
