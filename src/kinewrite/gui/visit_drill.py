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
lines: ``benchmarks/soak_sigkill.py --visit`` kills it 100 times at random moments of each
phase, and ``tests/gui/test_visit_drill.py`` does so for every phase in CI. Every trial
shown is SIMULATED.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["DrillLog", "DrillRun", "check_killed_visit", "main", "phase_slots", "run_drill"]

PATIENT = "DRILL-1"
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


# --------------------------------------------------------------------------- the runner


@dataclass
class DrillRun:
    """A drill run: its stdout lines with arrival times (Unix s), when it started, when the
    signal was sent (None if never), its exit code and its stderr."""

    lines: list[tuple[float, str]]
    started: float
    killed_at: float | None
    returncode: int
    stderr: str


def run_drill(study: Path, kill_phase: int | None = None, offset_s: float = 0.0,
              sig: int = signal.SIGKILL, long_minutes: float = 20.0, timeout_s: float = 300.0,
              env: dict[str, str] | None = None, pace: float = 1.0) -> DrillRun:
    """Run a drill in a child process; with `kill_phase`, send it `sig` `offset_s` seconds
    after its `kill_phase`-th PHASE line (0: the first; -1: after start, before any line).

    Every line was written before the child died, so each states a fact, even one that
    arrived after the signal was sent.
    """
    import tempfile

    errors = tempfile.TemporaryFile(mode="w+")
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kinewrite.gui.visit_drill", "--study", str(study),
         "--long-minutes", str(long_minutes), "--pace", str(pace)],
        stdout=subprocess.PIPE, stderr=errors, text=True,
        env=dict(os.environ if env is None else env, QT_QPA_PLATFORM="offscreen"))
    lines: list[tuple[float, str]] = []
    killed: list[float] = []
    phases = [0]

    def kill_later(delay: float) -> None:
        timer = threading.Timer(delay, lambda: (killed.append(time.time()),
                                                proc.send_signal(sig)))
        timer.daemon = True
        timer.start()

    if kill_phase == -1:
        kill_later(offset_s)
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append((time.time(), line.strip()))
        if line.startswith("PHASE"):
            if kill_phase is not None and phases[0] == kill_phase:
                kill_later(offset_s)
            phases[0] += 1
    try:
        code = proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    errors.seek(0)
    text = errors.read()
    errors.close()
    return DrillRun(lines, started, killed[0] if killed else None, code, text)


def phase_slots(run: DrillRun) -> list[tuple[int, str, float]]:
    """The phases of an unkilled run as ``(kill_phase, name, seconds)`` for
    :func:`run_drill`: ``(-1, "start", ...)`` for the app's start, then each PHASE line."""
    times = [at for at, line in run.lines if line.startswith("PHASE")]
    names = [line.split()[1] for _, line in run.lines if line.startswith("PHASE")]
    ends = [*times[1:], run.lines[-1][0]]
    return [(-1, "start", times[0] - run.started),
            *((i, name, end - at) for i, (at, end, name) in
              enumerate(zip(times, ends, names, strict=True)))]


# --------------------------------------------------------------------------- the checker


@dataclass
class DrillLog:
    """What a drill said before it was killed (its stdout lines, with arrival times)."""

    phases: list[tuple[float, str]] = field(default_factory=list)
    ended: dict[str, tuple[int, str]] = field(default_factory=dict)
    drawn: dict[str, float] = field(default_factory=dict)
    long_written: dict[str, int] = field(default_factory=dict)
    long_trials: set[str] = field(default_factory=set)
    clinical: bool = False
    event: bool = False
    done: bool = False

    @classmethod
    def parse(cls, lines: Sequence[tuple[float, str]]) -> DrillLog:
        log = cls()
        for at, line in lines:
            word, *rest = line.split()
            if word == "PHASE":
                log.phases.append((at, rest[0]))
            elif word == "ENDED":
                log.ended[rest[0]] = (int(rest[1]), rest[2])
            elif word == "DRAWN":
                log.drawn[rest[0]] = float(rest[1])
            elif word == "LONG_STARTED":
                log.long_trials.add(rest[0])
            elif word == "LONG_WRITTEN":
                log.long_written[rest[0]] = int(rest[1])
            elif word == "CLINICAL":
                log.clinical = True
            elif word == "EVENT":
                log.event = True
            elif word == "DONE":
                log.done = True
        return log

    def phase_at(self, when: float) -> str:
        """The phase the drill was in at time `when` (``start`` before the first)."""
        current = "start"
        for at, name in self.phases:
            if at <= when:
                current = name
        return current


def check_killed_visit(study: Path, log: DrillLog, killed_at: float) -> dict:
    """What a drill killed at `killed_at` (Unix s) left in `study`, against its log.

    Checks that the session reads; that every trial the log says ENDED holds its samples
    with its status (or ``superseded``); that the long trial holds all its samples once
    written; that saved scale and event entries are there; and that the next writer
    repairs what needs it and records a further trial. Measures ``lost_ms``: for the trial
    streaming at the kill, the time from its newest stored sample to the moment samples
    stopped coming (the kill, or the end of the drawing).

    Returns
    -------
    dict
        ``ok`` (bool), ``problem`` (str, when not ok), ``lost_ms`` (float or None),
        ``ended`` (trials verified), ``state`` (``normal``, ``recovered`` or ``no session``).
    """
    from ..storage.reader import load_session
    from ..storage.writer import SessionWriter

    out: dict = {"ok": False, "lost_ms": None, "ended": 0, "state": "no session"}
    files = sorted((study / PATIENT).glob("session-*.h5"))
    if not files:
        out["ok"] = not log.ended
        if not out["ok"]:
            out["problem"] = "trials ended but no session file"
        return out
    if len(files) != 1:
        out["problem"] = f"{len(files)} session files"
        return out
    try:
        session = load_session(files[0])
    except Exception as exc:  # the soak reports every failure, of any kind
        out["problem"] = f"unreadable: {type(exc).__name__}: {exc}"
        return out
    trials = {t.name: t for t in session.trials}
    problems = []
    for name, (n, status) in log.ended.items():
        t = trials.get(name)
        if t is None or t.n_samples != n or t.status not in (status, "superseded"):
            problems.append(f"ended trial {name} ({n}, {status}) stored as "
                            f"{None if t is None else (t.n_samples, t.status)}")
        else:
            out["ended"] += 1
    for name, n in log.long_written.items():
        if trials[name].n_samples != n:
            problems.append(f"long trial {name}: {trials[name].n_samples} of {n} samples")
    open_trials = [t for t in session.trials if t.name not in log.ended]
    if open_trials and open_trials[-1].n_samples and open_trials[-1].name not in \
            log.long_trials:
        t = open_trials[-1]
        stopped = min(killed_at, log.drawn.get(t.name, math.inf))
        host = t.channels.get("host_time")
        if host is not None and host.size:
            out["lost_ms"] = (stopped - float(np.max(host))) * 1e3
    if log.clinical and not session.clinical:
        problems.append("saved ADDS entry missing")
    if log.event and not session.events:
        problems.append("saved treatment event missing")
    out["state"] = "recovered" if session.recovery else "normal"
    try:
        with SessionWriter.open(files[0]) as w:
            w.begin_trial("lines", 200.0, channels=("t", "x", "y"))
            w.append(t=np.arange(200) / 200, x=np.linspace(0, 40, 200), y=np.zeros(200))
            w.end_trial("complete")
        again = load_session(files[0])
        if again.recovery or len(again.trials) != len(session.trials) + 1:
            problems.append(f"not repaired: {again.recovery or len(again.trials)}")
    except Exception as exc:
        problems.append(f"next writer failed: {type(exc).__name__}: {exc}")
    out["ok"] = not problems
    if problems:
        out["problem"] = "; ".join(problems)
    return out


if __name__ == "__main__":
    sys.exit(main())
