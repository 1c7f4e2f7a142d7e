"""Running the visit drill in a child process, killing it at a chosen moment, and checking
what it left (Qt-free: the drill itself is :mod:`kinewrite.gui.visit_drill`).

:func:`run_drill` starts ``python -m kinewrite.gui.visit_drill`` and sends it a signal a set
time after one of its PHASE lines; :class:`DrillLog` reads the lines it printed; and
:func:`check_killed_visit` reads the study folder against them.
``benchmarks/soak_sigkill.py --visit`` kills it 100 times at random moments of each phase,
and ``tests/gui/test_visit_drill.py`` does so for every phase in CI.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["PATIENT", "DrillLog", "DrillRun", "check_killed_visit", "phase_slots", "run_drill"]

#: The patient code the drill records under (its session file is ``<study>/DRILL-1/``).
PATIENT = "DRILL-1"

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
