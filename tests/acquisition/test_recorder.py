"""TrialRecorder: samples pushed from a "GUI" thread reach the session file through the
writer thread, while the pushing thread is busy; errors of the writer thread surface."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from kinewrite.acquisition.recorder import RecorderError, TrialRecorder
from kinewrite.errors import DiskSpaceError
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter

READ_LIVE = """
import sys, h5py
with h5py.File(sys.argv[1], "r", swmr=True) as f:
    print(f["trials/001/t"].shape[0])
"""


@pytest.fixture
def writer(tmp_path):
    w = SessionWriter.create(tmp_path, "REC-01")
    yield w
    w.close()


def push_trial(buffer, trial, host0=1.7e9):
    rec = trial.recording
    state = np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER)
    for i in range(rec.n_samples):
        buffer.push(rec.t[i], rec.x[i], rec.y[i], rec.pressure[i], int(state[i]),
                    host_time=host0 + rec.t[i], pointer=4)
    return rec, state


def test_every_sample_written_in_order_with_features_and_quality(writer):
    trial = simulate_trial("loops", 6.0, seed=2)
    recorder = TrialRecorder(writer, "loops", nominal_rate_hz=133.0,
                             attrs={"feedback_mode": "tone"})
    name = recorder.start()
    assert recorder.running and name == "001"
    rec, state = push_trial(recorder.buffer, trial)
    result = recorder.stop()
    assert not recorder.running
    assert result.n_samples == rec.n_samples and result.status == "complete"
    tr = load_session(writer.path).trial(name)
    np.testing.assert_array_equal(tr.channels["t"], rec.t)
    np.testing.assert_array_equal(tr.channels["x"], rec.x)
    np.testing.assert_array_equal(tr.channels["state"], state)
    assert set(tr.channels["pointer"].tolist()) == {4}
    assert tr.attrs["feedback_mode"] == "tone" and tr.input == "tablet"
    # the cached features are those of the recording, the quality those of its clock
    assert result.features == pytest.approx(tr.features, nan_ok=True)
    assert result.features["duration_s"] == pytest.approx(rec.t[-1] - rec.t[0], abs=0.02)
    q = result.quality
    assert q.n_samples == rec.n_samples
    assert q.effective_rate_hz == pytest.approx(133.0, rel=0.01)
    assert tr.attrs["quality_effective_rate_hz"] == pytest.approx(q.effective_rate_hz)
    assert tr.attrs["quality_gaps"] == q.gaps


def test_writes_continue_while_the_pushing_thread_is_busy(writer):
    """The GUI thread pushes, then computes for 0.6 s without yielding to anything: the
    writer thread has appended and flushed every sample meanwhile (a reader in another
    process sees them)."""
    recorder = TrialRecorder(writer, "free", nominal_rate_hz=200.0)
    recorder.start()
    n = 1000
    for i in range(n):
        recorder.buffer.push(i / 200.0, float(i), float(-i), 0.5, 2)
    end = time.perf_counter() + 0.6
    x = 0
    while time.perf_counter() < end:  # a busy GUI thread (pure Python, holds the GIL often)
        x += 1
    assert recorder.n_written == n
    out = subprocess.run([sys.executable, "-c", READ_LIVE, str(writer.path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == n  # flushed to the file, not only appended
    assert recorder.quality.n_samples == n  # live quality, thread-safe snapshot
    recorder.stop()


def test_concurrent_pushes_from_another_thread_lose_nothing(writer):
    recorder = TrialRecorder(writer, "free", nominal_rate_hz=None, input_kind="mouse",
                             drain_interval_s=0.005)
    recorder.start()
    n = 20_000

    def produce():
        for i in range(n):
            recorder.buffer.push(i * 1e-3, float(i), 0.0, float("nan"), 2, pointer=1)

    th = threading.Thread(target=produce)
    th.start()
    th.join()
    result = recorder.stop()
    tr = load_session(writer.path).trial(result.trial)
    np.testing.assert_array_equal(tr.channels["x"], np.arange(n, dtype=float))
    assert tr.input == "mouse" and result.quality.dropped_estimate is None


def test_input_kind_corrected_at_stop_and_abort_keeps_samples(writer):
    recorder = TrialRecorder(writer, "spiral", 133.0)
    recorder.start()
    for i in range(50):
        recorder.buffer.push(i / 133, i, i, float("nan"), 2, pointer=1)
    result = recorder.stop(input_kind="mouse")
    assert load_session(writer.path).trial(result.trial).input == "mouse"

    recorder = TrialRecorder(writer, "spiral", 133.0)
    recorder.start()
    for i in range(30):
        recorder.buffer.push(i / 133, i, i, 0.3, 2)
    result = recorder.abort("patient asked to stop")
    tr = load_session(writer.path).trial(result.trial)
    assert tr.status == "aborted" and tr.attrs["abort_reason"] == "patient asked to stop"
    assert tr.n_samples == 30 and result.features is None


def test_disk_full_in_the_writer_thread_is_surfaced(writer):
    errors = []
    recorder = TrialRecorder(writer, "loops", 133.0, on_error=errors.append)
    recorder.start()
    for i in range(100):
        recorder.buffer.push(i / 133, i, i, 0.3, 2)
    deadline = time.monotonic() + 5
    while recorder.n_written < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    # the disk "fills": the writer's own free-space check now finds too little room
    writer.min_free_bytes = writer.free_bytes() + (1 << 50)
    for i in range(100, 200):
        recorder.buffer.push(i / 133, i, i, 0.3, 2)
    deadline = time.monotonic() + 5
    while not recorder.failed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.failed and isinstance(errors[0], DiskSpaceError)
    with pytest.raises(DiskSpaceError, match="recording stopped"):
        recorder.stop()
    writer.min_free_bytes = 0
    tr = load_session(writer.path).trials[0]
    assert tr.status == "aborted" and "disk almost full" in tr.attrs["abort_reason"]
    # every sample pushed is in the file (all appended before the failure) or still in the
    # buffer (pushed after it), none vanished
    assert tr.n_samples >= 100
    assert tr.n_samples + len(recorder.buffer) == 200
    np.testing.assert_array_equal(tr.channels["x"], np.arange(tr.n_samples, dtype=float))


def test_misuse_is_refused(writer):
    recorder = TrialRecorder(writer, "loops", 133.0)
    with pytest.raises(RecorderError, match="never started"):
        recorder.stop()
    recorder.start()
    with pytest.raises(RecorderError, match="already started"):
        recorder.start()
    with pytest.raises(ValueError, match="status must be"):
        recorder.stop("superseded")
    recorder.stop()
    with pytest.raises(RecorderError, match="already stopped"):
        recorder.stop()
    with pytest.raises(ValueError, match="input_kind must be one of"):
        TrialRecorder(writer, "loops", input_kind="pen")
    with pytest.raises(ValueError, match="unknown task"):
        TrialRecorder(writer, "essay").start()


def test_recorder_quality_and_feedback_import_no_qt():
    code = ("import sys\n"
            "import kinewrite.acquisition.recorder, kinewrite.acquisition.quality\n"
            "import kinewrite.acquisition.feedback\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('PyQt'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"Qt imported by the Qt-free acquisition: {out.stdout}"
