"""A kill at any moment of a visit loses at most the streaming trial's last flush, never an
ended trial, a scale or an event; the file stays readable and writable.

Issue 11's finding: after a trial ended, the session file stayed open for writing for the
rest of the visit, and a kill there lost the whole visit. Here a scripted visit
(``visit_script.py``) is SIGKILLed just before each of its file operations in turn, every one
of them, and what it left is checked as a reader and then as the next writer would.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinewrite.errors import InputError
from kinewrite.storage.hdf5_status import read_superblock
from kinewrite.storage.reader import load_session
from kinewrite.storage.study import open_study
from kinewrite.storage.writer import SessionWriter

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "visit_script.py"
CLI = [sys.executable, "-m", "kinewrite.cli"]
BLOCKS = {"001": 100, "002": 100, "003": 150, "004": 30_000}  # samples per appended block


def _run_script(root: Path, *args: str) -> str:
    r = subprocess.run([sys.executable, str(SCRIPT), str(root), *args], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _log(folder: Path) -> dict:
    seen = {"appended": {}, "ended": {}, "superseded": set(), "clinical": False,
            "event": False, "path": None}
    for line in (folder / "log").read_text().splitlines():
        word, *rest = line.split()
        if word == "PATH":
            seen["path"] = Path(rest[0])
        elif word == "APPENDED":
            seen["appended"][rest[0]] = int(rest[1])
        elif word == "ENDED":
            seen["ended"][rest[0]] = int(rest[1])
        elif word == "SUPERSEDED":
            seen["superseded"].add(rest[0])
        elif word == "CLINICAL":
            seen["clinical"] = True
        elif word == "EVENT":
            seen["event"] = True
    return seen


def _check(folder: Path) -> str:
    """Everything the visit had finished is in the file; returns how the file was left."""
    seen = _log(folder)
    study = open_study(folder)
    assert study.problems == [], study.problems
    sessions = list(folder.glob("FAULT-1/session-*.h5"))
    if seen["path"] is None:  # killed while creating the session: none, or an empty one
        assert len(sessions) <= 1
        if sessions:
            assert load_session(sessions[0]).trials == []
        return "before the session existed"
    assert sessions == [seen["path"]]
    s = load_session(seen["path"])  # readable, whatever moment the kill came at
    trials = {t.name: t for t in s.trials}
    for name, n in seen["ended"].items():  # every ended trial, whole
        t = trials[name]
        assert t.n_samples == n, (name, t.n_samples, n)
        assert t.status in ("complete", "superseded"), (name, t.status)
    for name, n in seen["appended"].items():
        if name in seen["ended"]:
            continue
        t = trials[name]  # the trial streaming at the kill: every flushed block kept
        assert n <= t.n_samples <= n + BLOCKS[name], (name, t.n_samples, n)
        assert t.status in ("aborted", "complete"), t.status
        if t.status == "aborted":
            assert t.attrs["abort_reason"].startswith("interrupted")
    for name in seen["superseded"]:
        assert trials[name].status == "superseded"
    assert len(s.clinical) >= seen["clinical"] and len(s.events) >= seen["event"]
    state = "normal" if not s.recovery else "recovered"
    # the next writer repairs what needs it and goes on with the visit
    before = hashlib.sha256(seen["path"].read_bytes()).hexdigest()
    with SessionWriter.open(seen["path"]) as w:
        assert bool(w.repaired) == bool(s.recovery), (w.repaired, s.recovery)
        if not s.recovery:
            assert hashlib.sha256(seen["path"].read_bytes()).hexdigest() == before
        w.begin_trial("lines", 200.0, channels=("t", "x", "y"))
        w.append(t=np.arange(400) / 200, x=np.linspace(0, 80, 400), y=np.zeros(400))
        w.end_trial("complete")
    after = load_session(seen["path"])
    assert after.recovery == "" and after.trials[-1].status == "complete"
    assert [t.n_samples for t in after.trials[:-1]] == [t.n_samples for t in s.trials]
    assert list(folder.glob("FAULT-1/.*.tmp")) == []  # the killed writer's copies removed
    with h5py.File(seen["path"], "r") as f:  # a plain HDF5 reader opens it, flags clear
        assert f.attrs["patient_code"] == "FAULT-1"
    return state


@pytest.mark.slow
def test_a_kill_before_any_file_operation_of_a_visit_loses_nothing_that_ended(tmp_path):
    count = int(_run_script(tmp_path / "count", "--count").strip())
    assert count > 100  # the visit makes every kind of change
    kills = [str(k) for k in range(1, count + 1)]
    _run_script(tmp_path / "kills", *kills)
    states: dict[str, int] = {}
    for k in kills:
        state = _check(tmp_path / "kills" / k)
        states[state] = states.get(state, 0) + 1
    print(f"{count} kills, one before each file operation of the visit: {states}")
    assert states.get("recovered", 0) > 0 and states.get("normal", 0) > 0


def _writer_process(study: Path, end: str) -> subprocess.Popen:
    code = f"""
import sys, time, numpy as np
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial
w = SessionWriter.create(sys.argv[1], "WC-017")
w.begin_trial("spiral", nominal_rate_hz=200)
t = np.arange(1000) / 200.0
w.append(t=t, x=np.cos(t) * 40, y=np.sin(t) * 40, pressure=np.full(t.size, 0.5),
         state=np.full(t.size, 2))
finish_trial(w)
print(w.path, flush=True)
{end}
"""
    return subprocess.Popen([sys.executable, "-c", code, str(study)], stdout=subprocess.PIPE,
                            text=True)


def _killed_writer(study: Path, end: str, ready: str) -> Path:
    """Run ``_writer_process`` until it prints ``ready``, SIGKILL it, return its file."""
    proc = _writer_process(study, end)
    path = Path(proc.stdout.readline().strip())
    assert proc.stdout.readline().strip() == ready
    proc.kill()
    proc.wait(10)
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_issue_reproduction_keeps_the_visit(tmp_path, sig):
    """create -> begin_trial -> append 5 s -> end_trial -> sleep; kill; analyze the file."""
    proc = _writer_process(tmp_path, "time.sleep(60)")
    path = Path(proc.stdout.readline().strip())
    proc.send_signal(sig)
    proc.wait(10)
    r = subprocess.run([*CLI, "analyze", str(path), "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    s = load_session(path)
    assert [(t.status, t.n_samples) for t in s.trials] == [("complete", 1000)]
    assert s.recovery == ""  # between trials the file was closed: nothing to recover


def test_export_and_analyze_read_a_study_while_its_writer_sits_between_trials(tmp_path):
    proc = _writer_process(tmp_path, "time.sleep(60)")
    try:
        path = Path(proc.stdout.readline().strip())
        r = subprocess.run([*CLI, "export", str(tmp_path), "-o", str(tmp_path / "f.csv")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "complete" in (tmp_path / "f.csv").read_text()
        r = subprocess.run([*CLI, "analyze", str(path)], capture_output=True, text=True)
        assert r.returncode == 0 and "trial 001 (complete)" in r.stdout, r.stderr
    finally:
        proc.kill()
        proc.wait(10)


def _old_style_left_open(tmp_path: Path) -> Path:
    """What kinewrite before issue 11 left: a writer killed while it held the file open in
    plain (non-SWMR) write mode between trials."""
    path = _killed_writer(tmp_path, """
import h5py
f = h5py.File(w.path, "r+", libver="latest")
print("open", flush=True)
time.sleep(60)""", "open")
    with pytest.raises(OSError, match="already open for write"):
        h5py.File(path, "r")  # HDF5 refuses it
    return path


def test_a_file_left_open_by_an_old_writer_is_read_unchanged_then_repaired(tmp_path):
    path = _old_style_left_open(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    s = load_session(path)
    assert [(t.status, t.n_samples) for t in s.trials] == [("complete", 1000)]
    assert "left open by a writer that stopped" in s.recovery and "\n" not in s.recovery
    study = open_study(tmp_path)
    assert study.problems == [] and study.patients == ["WC-017"]  # the patient is there
    note = f"kinewrite: note: {s.recovery}"  # what happened, one line, in every reader
    r = subprocess.run([*CLI, "analyze", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [note]
    r = subprocess.run([*CLI, "export", str(tmp_path), "-o", str(tmp_path / "f.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [note]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # readers changed nothing
    assert read_superblock(path).open_for_write
    with SessionWriter.open(path) as w:  # the next write repairs it
        assert "open-for-write flags cleared" in w.repaired
    assert not read_superblock(path).open_for_write
    s = load_session(path)
    assert s.recovery == "" and s.trials[0].n_samples == 1000 and s.trials[0].features


def test_a_file_that_cannot_be_repaired_is_left_unchanged(tmp_path):
    path = _old_style_left_open(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2:] = bytes(len(data) - len(data) // 2)  # its second half destroyed
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        SessionWriter.open(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == bytes(data)
    assert list(tmp_path.glob("WC-017/.*.tmp")) == []


def test_a_live_writer_is_not_taken_for_a_dead_one(tmp_path):
    w = SessionWriter.create(tmp_path, "LIVE-1")
    w.begin_trial("loops", 200.0, channels=("t", "x", "y"))
    w.append(t=np.arange(100) / 200, x=np.zeros(100), y=np.zeros(100))
    w.flush()
    try:
        s = load_session(w.path)
        assert s.trials[0].status == "recording" and s.recovery == ""
        r = subprocess.run([*CLI, "analyze", str(w.path)], capture_output=True, text=True)
        assert r.returncode == 0 and "(recording)" in r.stdout, r.stderr
    finally:
        w.close()
    s = load_session(w.path)
    assert s.trials[0].status == "aborted" and s.trials[0].n_samples == 100


def test_a_change_to_a_session_holding_ten_minutes_of_samples(tmp_path):
    """The copy behind each change costs little: a scale added to a session holding 10
    minutes of samples."""
    w = SessionWriter.create(tmp_path, "FAST-1")
    w.begin_trial("spiral", 200.0)
    n = 120_000
    w.append(t=np.arange(n) / 200, x=np.zeros(n), y=np.zeros(n), state=np.full(n, 2))
    w.end_trial("complete")
    size_mb = w.path.stat().st_size / 1e6
    start = time.perf_counter()
    w.add_event("other", "2026-12-02", notes="note")
    elapsed = time.perf_counter() - start
    w.close()
    print(f"one change to a {size_mb:.1f} MB session: {elapsed * 1e3:.1f} ms")
    assert load_session(w.path).events[0].notes == "note"


def test_a_truncated_file_left_open_is_refused_without_hanging(tmp_path):
    """A crashed writer's file cut short (a copy that stopped half way): one line, quickly,
    never HDF5's SWMR reader (which can loop forever on a truncated file)."""
    path = _killed_writer(tmp_path, """
w.begin_trial("loops", 200.0)
w.append(t=np.arange(5000) / 200, x=np.zeros(5000), y=np.zeros(5000))
w.flush()
print("streaming", flush=True)
time.sleep(60)""", "streaming")
    cut = tmp_path / "cut.h5"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    code = ("import sys\nfrom kinewrite.storage.reader import load_session\n"
            "try:\n    load_session(sys.argv[1])\nexcept Exception as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code, str(cut)], capture_output=True,
                       text=True, timeout=60)
    assert str(cut) in r.stdout and len(r.stdout.strip().splitlines()) == 1, r.stdout
