"""A killed ``kinewrite export`` leaves no process behind (issue 11 item 9).

The export's pool workers are children of multiprocessing's fork-server, not of the export;
before, a SIGKILL or SIGTERM of the export left the two workers, the fork-server and the
resource tracker running forever. Real subprocesses, real session files; Linux (/proc).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kinewrite.simulate import simulate_trial
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

CLI = [sys.executable, "-m", "kinewrite.cli"]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        out[int(entry)] = (int(fields[1]), fields[0])
    return out


def _descendants(pid: int) -> set[int]:
    procs = _processes()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _) in procs.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie waiting for its reaper has ended)."""
    procs = _processes()
    return {p for p in pids if p in procs and procs[p][1] != "Z"}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """Ten sessions of three 20 s trials, features not cached: the export computes them."""
    folder = tmp_path_factory.mktemp("export-study")
    for s in range(10):
        w = SessionWriter.create(folder, "EXP-1")
        for k, task in enumerate(("sentence", "loops", "circles")):
            rec = simulate_trial(task, 20.0, seed=10 * s + k).recording
            w.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                          channels=("t", "x", "y", "pressure", "state"))
            w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                     state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
            w.end_trial("complete")
        w.close()
    return folder


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_export_leaves_no_worker_running(tmp_path, study, sig):
    out = tmp_path / "features.csv"
    export = subprocess.Popen([*CLI, "export", str(study), "-o", str(out), "--workers", "2",
                               "--recompute"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    family: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and export.poll() is None:
        family = _descendants(export.pid)  # fork-server, resource tracker, 2 workers
        if len(family) >= 4:
            break
        time.sleep(0.02)
    assert len(family) >= 4, f"the pool did not start: {family}, {export.poll()}"
    os.kill(export.pid, sig)
    export.wait(timeout=30)
    assert export.returncode == -sig, export.stderr.read()  # killed while it worked
    deadline = time.monotonic() + 15
    while _running(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {p: _processes().get(p) for p in _running(family)}
    for pid in left:  # a failed check leaves nothing behind either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"still running (pid: parent, state): {left}"
    assert not out.exists()  # no half-written export
