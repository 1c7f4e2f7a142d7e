"""A fire drill for the therapist's path: a scripted multi-trial visit in the real app.

``python -m kinewrite.gui.visit_drill --study DIR [--patient CODE] [--long-minutes M]``
opens the app (the same main window and stop-signal handling as ``kinewrite gui``) and runs
one visit as a therapist would, with a synthetic pen writing through real ``QTabletEvent``\\ s
in real time: session setup, the loops drawn, the result screen, a redo, the circles, a long
trial (M minutes of samples, 20 by default, handed to the recorder at once so that its
``end_trial`` works on a large file), the end-of-session page, an ADDS dialog and a treatment
event dialog (both modal, as in use), and quitting. Every step is announced on stdout before
it starts, one line each, flushed::

    PHASE <name>              setup, drawing, end_trial, result, redo, long_trial,
                              long_end_trial, done, scale_dialog, event_dialog, closing
    DRAWN <trial> <host time of the last sample sent, Unix s>
    LONG_STARTED <trial>             the long trial (its samples' times are made up)
    LONG_WRITTEN <trial> <samples>   every sample of the long trial is in the file
    ENDED <trial> <samples> <status> the trial is saved (its result screen shows)
    CLINICAL / EVENT                 the entry is saved
    DONE

:func:`check_killed_visit` reads what a drill killed at a known moment left, against those
lines (it and the runner live in :mod:`kinewrite.gui.visit_drill_soak`, Qt-free, and are
importable from here): ``benchmarks/soak_sigkill.py --visit`` kills the drill 100 times at
random moments of each phase, and ``tests/gui/test_visit_drill.py`` does so for every phase
in CI. Every trial shown is SIMULATED.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .visit_drill_soak import (
    PATIENT,
    DrillLog,
    DrillRun,
    check_killed_visit,
    phase_slots,
    run_drill,
)

__all__ = ["DrillLog", "DrillRun", "check_killed_visit", "main", "phase_slots", "run_drill"]

#: (protocol task key, seconds drawn in real time) of the drawn trials, in order; the first
#: is redone.
DRAWN = (("loops", 2.5), ("circles", 2.0))
LONG_TASK = "lines"


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _visit(window, app, long_minutes: float, pace: float = 1.0) -> Iterator[float]:
    """The drill as a generator: each ``yield s`` lets the event loop run for s seconds.
    `pace` scales every dwell and drawing time (0.5: twice as fast)."""
    from PyQt6.QtWidgets import QApplication

    from ..simulate import simulate_trial
    from .clinical import AddsDialog
    from .synthetic_pen import SyntheticPen

    wf = window.record
    keys = None
    wf.panel.finished.connect(lambda o: _say(f"ENDED {o.trial} {o.n_samples} {o.status}"))

    _say("PHASE setup")
    wf.setup.code_edit.setText(PATIENT)
    wf.setup.metadata_form.set_values({"hand": "right", "operator": "drill"})
    yield 0.5 * pace
    wf.start_session()
    # The drill draws CI-sized trials, shorter than the protocol's minimums: without these
    # they would be kept as not usable and the redo would replace nothing.
    wf.protocol = wf.protocol.without_minimums()
    keys = [s.key for s in wf.protocol.tasks]
    pen = SyntheticPen(wf.panel.canvas, window.mapping)

    def draw(key: str, seconds: float, seed: int, redo: bool = False) -> Iterator[float]:
        if redo:
            _say("PHASE redo")
            wf.redo()  # starts the trial again at once
        else:
            wf.task_list.setCurrentRow(keys.index(key))
            yield 0.2 * pace
            _say("PHASE drawing")
            wf.start_trial()
        task = wf.current_spec.task
        rec = simulate_trial(task, seconds * pace, seed=seed, rate_hz=200.0).recording
        lines = wf.panel.guide_polylines_px()
        pts = np.vstack(lines) if lines else np.array([[400.0, 300.0]])
        center = (float(pts[:, 0].mean()), float(pts[:, 1].mean()))
        x, y = pen.to_px(rec, center)
        down = rec.pen_down
        pressure = rec.pressure if rec.pressure is not None else np.where(down, 0.5, 0.0)
        offsets_ns = np.round((rec.t - rec.t[0]) * 1e9).astype(np.int64)
        start_ns = time.perf_counter_ns()
        i, n = 0, rec.t.size
        while i < n:  # real time: each sample sent when it comes due
            due = int(np.searchsorted(offsets_ns, time.perf_counter_ns() - start_ns, "right"))
            if due > i:
                pen.send(x[i:due], y[i:due], start_ns + offsets_ns[i:due], down[i:due],
                         pressure[i:due], lift_at_end=due >= n)
                i = due
            yield 0.01
        recorder = wf.panel.recorder
        if recorder is not None:
            host = time.time() - (time.perf_counter_ns() - start_ns - int(offsets_ns[-1])) * 1e-9
            _say(f"DRAWN {recorder.trial} {host:.6f}")
        _say("PHASE end_trial")
        wf.panel.stop()
        _say("PHASE result")
        yield 0.8 * pace

    yield from draw(*DRAWN[0], seed=1)
    yield from draw(*DRAWN[0], seed=2, redo=True)
    yield from draw(*DRAWN[1], seed=3)

    wf.task_list.setCurrentRow(keys.index(LONG_TASK))
    yield 0.2 * pace
    _say("PHASE long_trial")
    wf.start_trial()
    touch = np.array([True, False])  # the pen touches the canvas once (a real event) ...
    pen.send(np.array([300.0, 300.0]), np.array([300.0, 300.0]),
             time.perf_counter_ns() + np.array([0, 5_000_000]), touch, np.array([0.3, 0.0]))
    recorder = wf.panel.recorder  # ... and the rest of the long trial goes to its buffer
    _say(f"LONG_STARTED {recorder.trial}")
    rec = simulate_trial(wf.current_spec.task, long_minutes * 60.0, seed=4,
                         rate_hz=200.0).recording
    # stamped as the canvas stamps synthetic events (host time, Unix s), after the touch
    stamps = (time.time() + 0.01 + rec.t - rec.t[0]).tolist()
    push = recorder.buffer.push
    for t, xx, yy, p, d in zip(stamps, rec.x.tolist(), rec.y.tolist(),
                               rec.pressure.tolist(), rec.pen_down.tolist(), strict=True):
        push(t, xx / window.mapping.x_mm_per_px, -yy / window.mapping.y_mm_per_px, p,
             2 if d else 1, tilt_x=12.0, tilt_y=-8.0, host_time=t, pointer=4)
    while recorder.n_written < rec.t.size:
        yield 0.05
    yield recorder.writer.flush_interval_s + 0.05  # flushed by its writer thread
    _say(f"LONG_WRITTEN {recorder.trial} {recorder.n_written}")
    _say("PHASE long_end_trial")
    wf.panel.stop()
    yield 0.3 * pace

    wf.finish()
    _say("PHASE done")
    yield 0.6 * pace

    def accept_active(delay_s: float) -> None:
        from PyQt6.QtCore import QTimer

        def accept() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None:
                QTimer.singleShot(50, accept)
                return
            if hasattr(dialog, "rater_edit"):
                dialog.rater_edit.setText("drill")
            if hasattr(dialog, "set_level"):  # ADDS opens "not assessed"
                dialog.set_level(100)
            if hasattr(dialog, "kind_combo"):  # the treatment event: pen-grip training
                dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(
                    "pen_grip_training"))
            dialog.accept()

        QTimer.singleShot(round(delay_s * 1000), accept)

    _say("PHASE scale_dialog")
    accept_active(1.0 * pace)
    if wf.add_clinical(AddsDialog(wf)) is not None:
        _say("CLINICAL")
    yield 0.3 * pace
    _say("PHASE event_dialog")
    accept_active(1.0 * pace)
    if wf.add_event():
        _say("EVENT")
    yield 0.5 * pace
    _say("PHASE closing")
    window.close()
    _say("DONE")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", required=True, type=Path, help="study folder (created)")
    parser.add_argument("--long-minutes", type=float, default=20.0,
                        help="minutes of samples in the long trial (default 20)")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="scale of every dwell and drawing time (default 1; 0.5 is "
                             "twice as fast)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QTimer

    from ..acquisition.calibration.mapping import ScreenMapping
    from ..acquisition.qt.qt_app import make_application
    from .app_loop import run_app
    from .main_window import MainWindow

    args.study.mkdir(parents=True, exist_ok=True)
    app = make_application([sys.argv[0]])
    window = MainWindow(args.study, mapping=ScreenMapping.from_dpi(96.0))
    window.resize(1280, 800)
    window.show()
    steps = _visit(window, app, args.long_minutes, args.pace)

    def step() -> None:
        try:
            delay = next(steps)
        except StopIteration:
            app.quit()
            return
        QTimer.singleShot(max(round(delay * 1000), 0), step)

    QTimer.singleShot(0, step)
    return run_app(app, window)


if __name__ == "__main__":
    sys.exit(main())
