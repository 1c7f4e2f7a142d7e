"""Faults around a recording: a second writer, a disk running full."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kinewrite.errors import DiskSpaceError, SessionBusyError
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter

CLI = [sys.executable, "-m", "kinewrite.cli"]


def test_a_live_recording_cannot_be_opened_by_a_second_writer(tmp_path):
    proc = subprocess.Popen([*CLI, "simulate", "--realtime", "--study", str(tmp_path),
                             "--patient", "LOCK", "--seconds", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = Path(proc.stdout.readline().strip())
    try:
        time.sleep(0.8)
        with pytest.raises(SessionBusyError, match="being written by another process"):
            SessionWriter.open(path)  # would otherwise "recover" the live file under it
        assert load_session(path).trials[0].n_samples > 0  # readers are welcome
    finally:
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    w = SessionWriter.open(path)  # the writer has gone: the lock went with it
    w.close()
    s = load_session(path)
    assert s.trials[0].status == "complete"
    assert s.trials[0].n_samples == pytest.approx(3 * 133, abs=3)


@pytest.fixture
def small_disk(tmpfs):
    """An 8 MiB tmpfs (needs the right to mount, as root in CI; skipped otherwise)."""
    return tmpfs("8m", name="small")


def test_disk_running_full_stops_the_recording_and_keeps_every_sample(small_disk):
    w = SessionWriter.create(small_disk, "FULL", min_free_bytes=6 << 20)
    w.begin_trial("loops", channels=("t", "x", "y", "pressure", "state"))
    written = 0
    rng = np.random.default_rng(0)
    with pytest.raises(DiskSpaceError, match="recording stopped") as info:
        for _ in range(10_000):
            k = 500
            w.append(t=(written + np.arange(k)) / 133, x=rng.random(k), y=rng.random(k),
                     pressure=rng.random(k), state=np.full(k, 2))
            written += k
    if "were not written" not in str(info.value):
        written += 500  # the block whose append found the disk low was written first
    w.close()
    s = load_session(w.path)  # a valid file, not HDF5 broken by ENOSPC
    tr = s.trials[0]
    assert tr.status == "aborted" and "disk almost full" in tr.attrs["abort_reason"]
    assert tr.n_samples == written
    np.testing.assert_allclose(tr.channels["t"][-1], (written - 1) / 133)


def test_a_block_too_large_for_the_room_left_is_not_written(small_disk):
    """A recorder may hand over a large block at once (a busy machine, a long buffer): it is
    refused before HDF5 meets the full disk, which would break the file."""
    w = SessionWriter.create(small_disk, "BLOCK", min_free_bytes=4 << 20)
    w.begin_trial("loops", channels=("t", "x", "y", "pressure", "state"))
    w.append(t=np.arange(1000) / 200, x=np.zeros(1000), y=np.zeros(1000),
             pressure=np.zeros(1000), state=np.full(1000, 2))
    big = 200_000  # 8 MB in memory: more than the 8 MiB disk holds
    with pytest.raises(DiskSpaceError, match=f"the last {big} were not written"):
        w.append(t=(1000 + np.arange(big)) / 200, x=np.zeros(big), y=np.zeros(big),
                 pressure=np.zeros(big), state=np.full(big, 2))
    w.close()
    tr = load_session(w.path).trials[0]
    assert tr.status == "aborted" and tr.n_samples == 1000
    assert f"{big} more samples would not fit" in tr.attrs["abort_reason"]


def test_no_recording_starts_without_room(small_disk):
    r = subprocess.run([*CLI, "simulate", "--realtime", "--study", str(small_disk), "--patient",
                        "ROOM", "--seconds", "1", "--min-free-mb", "100"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2  # said before the session is made: no empty session is left
    assert len(r.stderr.strip().splitlines()) == 1 and "MiB free" in r.stderr
    assert str(small_disk) in r.stderr and r.stdout == ""
    assert list(small_disk.rglob("*.h5")) == []
