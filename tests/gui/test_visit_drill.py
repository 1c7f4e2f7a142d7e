"""The whole therapist's path killed at a random moment of each of its phases (CI-sized
``benchmarks/soak_sigkill.py --visit``), and stopped by SIGTERM as a logout would."""

from __future__ import annotations

import random
import signal

import h5py
import pytest

from kinewrite.gui.visit_drill import DrillLog, check_killed_visit, phase_slots, run_drill
from kinewrite.storage.reader import load_session
from kinewrite.storage.study import open_study

LONG_MINUTES = 5.0  # 60,000 samples: end_trial on a file of ~3.5 MB
PACE = 0.6  # dwell and drawing times of the drill: CI-sized


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    study = tmp_path_factory.mktemp("dry")
    run = run_drill(study, long_minutes=LONG_MINUTES, pace=PACE)
    assert run.returncode == 0, run.stderr
    return study, run


def test_the_drill_records_a_whole_visit(dry_run):
    study, run = dry_run
    log = DrillLog.parse(run.lines)
    assert log.done and log.clinical and log.event
    (session,) = [load_session(s.path) for s in open_study(study).sessions]
    assert [t.status for t in session.trials] == ["superseded", "complete", "complete",
                                                 "complete"]
    assert [t.n_samples for t in session.trials] == [n for n, _ in log.ended.values()]
    assert session.trials[-1].n_samples > LONG_MINUTES * 60 * 200 * 0.99
    assert session.trials[1].features["stroke_frequency_hz"] == pytest.approx(2.5, abs=0.1)
    assert [c.scale for c in session.clinical] == ["ADDS"]
    assert [e.kind for e in session.events] == ["pen_grip_training"]


@pytest.mark.slow
def test_a_kill_in_every_phase_of_the_visit_keeps_what_ended(dry_run, tmp_path):
    _, dry = dry_run
    rng = random.Random(11)
    by_name: dict[str, list] = {}
    for slot in phase_slots(dry):
        by_name.setdefault(slot[1], []).append(slot)
    assert {"start", "setup", "drawing", "end_trial", "result", "redo", "long_trial",
            "long_end_trial", "done", "scale_dialog", "event_dialog", "closing"} <= set(by_name)
    losses = []
    for name, slots in by_name.items():
        phase, _, length = rng.choice(slots)
        study = tmp_path / name
        run = run_drill(study, phase, rng.uniform(0, max(length, 0.01)),
                        long_minutes=LONG_MINUTES, pace=PACE)
        assert run.killed_at is not None and run.returncode == -signal.SIGKILL, name
        result = check_killed_visit(study, DrillLog.parse(run.lines), run.killed_at)
        assert result["ok"], (name, result.get("problem"))
        if result["lost_ms"] is not None:
            losses.append(result["lost_ms"])
    assert losses and max(losses) <= 250


def _sigterm_in(phase_name: str, dry, tmp_path):
    index = next(i for i, name, _ in phase_slots(dry) if name == phase_name)
    run = run_drill(tmp_path, index, 0.5, sig=signal.SIGTERM, long_minutes=LONG_MINUTES,
                    pace=PACE)
    assert run.returncode == 128 + signal.SIGTERM, run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        "kinewrite: stopped by SIGTERM (logout, shutdown or kill): the session was saved and "
        "closed")
    (info,) = open_study(tmp_path).sessions
    with h5py.File(info.path, "r") as f:  # closed cleanly: a plain reader opens it
        assert f.attrs["patient_code"] == "DRILL-1"
    return load_session(info.path), DrillLog.parse(run.lines)


def test_sigterm_while_drawing_keeps_the_trial_as_aborted(dry_run, tmp_path):
    session, _ = _sigterm_in("drawing", dry_run[1], tmp_path)
    assert session.recovery == ""
    (trial,) = session.trials
    assert trial.status == "aborted" and trial.n_samples > 60  # 0.5 s of writing kept
    assert trial.attrs["abort_reason"] == "stopped by SIGTERM (logout, shutdown or kill)"


def test_sigterm_in_the_scale_dialog_keeps_the_visit(dry_run, tmp_path):
    session, log = _sigterm_in("scale_dialog", dry_run[1], tmp_path)
    assert session.recovery == "" and not log.clinical
    assert [t.n_samples for t in session.trials] == [n for n, _ in log.ended.values()]
    assert session.clinical == []  # the dialog was never accepted
