"""Fuzzing ``load_session`` with byte-level mutations of a real session file (hypothesis),
each read in an isolated child process with a time limit: the only outcomes allowed are a
session or the documented one-line ``InputError``, never a hang or a crash of the caller."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_import_fuzz import mutated

from kinewrite.errors import InputError
from kinewrite.simulate import simulate_trial
from kinewrite.storage.isolated import load_isolated
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

EXAMPLES = int(os.environ.get("KINEWRITE_FUZZ_EXAMPLES_SESSION", "60"))


def _seed_file() -> bytes:
    """A real session (one trial with features, one event), as bytes."""
    with tempfile.TemporaryDirectory(prefix="kinewrite-fuzz-seed-") as folder:
        return _write_seed(Path(folder))


def _write_seed(folder: Path) -> bytes:
    w = SessionWriter.create(folder, "FZ-1", metadata={"hand": "right"})
    rec = simulate_trial("loops", 1.0, seed=1, rate_hz=133.0).recording
    w.begin_trial("loops", 133.0, input_kind="simulated",
                  channels=("t", "x", "y", "pressure", "state"))
    w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
             state=np.where(rec.pen_down, 2, 1))
    finish_trial(w)
    w.add_event("pen_grip_training", "2026-01-02", notes="fuzz seed")
    path = w.path
    w.close()
    return path.read_bytes()


SEED = _seed_file()


def _read_every_sample(path: Path) -> int:
    """load_session, then each trial as a Recording (module level: runs in the child)."""
    session = load_session(path)
    n = 0
    for trial in session.trials:
        try:
            rec = trial.recording
        except ValueError:  # damaged samples: RecordingError, the documented refusal
            continue
        n += 0 if rec is None else rec.t.size
    return n


def _sleep_forever(path: Path) -> None:
    time.sleep(3600)


def _die(path: Path) -> None:
    os._exit(3)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=mutated(SEED))
def test_mutated_session_files(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fz") / "session.h5"
    path.write_bytes(data)
    try:
        load_isolated(path, timeout_s=20.0, reader=_read_every_sample)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)


def test_isolated_read_equals_direct_read(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    path.write_bytes(SEED)
    direct, isolated = load_session(path), load_isolated(path)
    assert [t.name for t in isolated.trials] == [t.name for t in direct.trials]
    a, b = isolated.trials[0].features, direct.trials[0].features
    assert list(a) == list(b)
    assert np.array_equal(list(a.values()), list(b.values()), equal_nan=True)
    assert np.array_equal(isolated.trials[0].channels["x"], direct.trials[0].channels["x"])


def test_a_hang_becomes_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    path.write_bytes(SEED)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="did not finish in 1 s"):
        load_isolated(path, timeout_s=1.0, reader=_sleep_forever)
    assert time.monotonic() - t0 < 10


def test_a_crash_becomes_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    path.write_bytes(SEED)
    with pytest.raises(InputError, match="crashed the reader"):
        load_isolated(path, timeout_s=20.0, reader=_die)
