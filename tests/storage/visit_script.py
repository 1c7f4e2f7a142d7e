"""A scripted visit through the session writer, killed at every file operation in turn.

``python tests/storage/visit_script.py ROOT --count`` runs the visit once and prints how many
file operations it makes; ``python tests/storage/visit_script.py ROOT K1 K2 ...`` forks one
child per K (after importing everything once), each running the visit in ``ROOT/<K>/`` and
SIGKILLing itself just before its K-th file operation (an HDF5 open, flush or close, a file
copy, a rename, clearing HDF5's flags). Each child logs its progress to ``ROOT/<K>/log``, one
line per step, written before the next step begins, so the checker knows what had ended:
``PATH p``, ``APPENDED trial n``, ``ENDED trial n``, ``SUPERSEDED trial``, ``CLINICAL``,
``EVENT``, ``DONE``.

The visit: create the session; record a loops trial and a circles trial (appending blocks,
every append flushed); redo the loops (the first marked superseded); add an ADDS entry and a
treatment event; record a long spiral and end it (features computed over all its samples).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import h5py
import numpy as np

from kinewrite.analysis.features import extract_features  # noqa: F401 (imported once, here)
from kinewrite.storage import hdf5_status
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

RATE_HZ = 200.0
#: (task, seconds, seconds per appended block) of the visit's trials, in order.
TRIALS = (("loops", 1.5, 0.5), ("circles", 1.0, 0.5), ("loops", 1.5, 0.75),
          ("spiral", 300.0, 150.0))
PATIENT = "FAULT-1"


class _Killer:
    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.count = 0

    def wrap(self, fn):
        def counted(*args, **kwargs):
            self.count += 1
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return counted

    def install(self) -> None:
        h5py.File.__init__ = self.wrap(h5py.File.__init__)
        h5py.File.flush = self.wrap(h5py.File.flush)
        h5py.File.close = self.wrap(h5py.File.close)
        shutil.copyfile = self.wrap(shutil.copyfile)
        os.replace = self.wrap(os.replace)
        status = hdf5_status
        status.clear_flags = self.wrap(status.clear_flags)


def _samples(seconds: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    phase = 2 * np.pi * 2.5 * t
    down = (t % 2.0) < 1.8
    return {"t": t, "x": 20 * t + 3 * np.cos(phase) + rng.normal(0, 0.01, n),
            "y": 5 * np.sin(phase) + rng.normal(0, 0.01, n),
            "pressure": np.where(down, 0.4, 0.0),
            "state": np.where(down, STATE_TOUCH, STATE_HOVER)}


def visit(study: Path, log) -> None:
    def say(line: str) -> None:
        os.write(log, (line + "\n").encode())

    writer = SessionWriter.create(study, PATIENT, flush_interval_s=0.0)
    say(f"PATH {writer.path}")
    names = []
    for i, (task, seconds, block_s) in enumerate(TRIALS):
        if i == 3:
            writer.supersede(names[0], by=names[2])
            say(f"SUPERSEDED {names[0]}")
            writer.add_clinical("ADDS", {"writing": 2, "musical_instrument": 0, "buttoning": 0,
                                         "utensils_feeding": 0, "hygiene": 0,
                                         "grasping_objects": 0, "housework_job": 0},
                                "2026-12-02", rater="T1")
            say("CLINICAL")
            writer.add_event("botulinum_toxin", "2026-11-20", ["FDS"], 40.0, product="X")
            say("EVENT")
        samples = _samples(seconds, seed=i)
        name = writer.begin_trial(task, nominal_rate_hz=RATE_HZ, input_kind="simulated",
                                  channels=tuple(samples))
        names.append(name)
        n, step = samples["t"].size, int(block_s * RATE_HZ)
        for j in range(0, n, step):
            writer.append(**{c: v[j:j + step] for c, v in samples.items()})
            say(f"APPENDED {name} {min(j + step, n)}")
        finish_trial(writer, "complete")
        say(f"ENDED {name} {n}")
    writer.close()
    say("DONE")


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    if argv[1:] == ["--count"]:
        killer = _Killer(0)
        killer.install()
        folder = root / "count"
        folder.mkdir(parents=True)
        log = os.open(folder / "log", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        visit(folder, log)
        print(killer.count)
        return 0
    for k in (int(a) for a in argv[1:]):
        folder = root / str(k)
        folder.mkdir(parents=True)
        pid = os.fork()
        if pid == 0:  # the child: the visit, killed before its k-th file operation
            log = os.open(folder / "log", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
            _Killer(k).install()
            try:
                visit(folder, log)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
