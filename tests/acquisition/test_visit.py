"""The visit without Qt: VisitController records a whole visit into a real session file with
real trials (TrialRecorder fed a simulated tablet), and decides what each screen shows: a
good trial is saved, a too-short one is kept but not a result, a usable redo supersedes and
can be undone, a worse redo replaces nothing, a cancelled redo changes nothing; the scales,
the event and the end page go into the same file, and an interrupted visit goes on."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.recorder import TrialRecorder
from kinewrite.acquisition.tasks import default_protocol
from kinewrite.acquisition.trial_outcome import (
    finding_lines,
    judge_trial,
    next_choice,
    outcome_verdict,
    result_rows,
    trial_attrs,
)
from kinewrite.acquisition.visit import VisitController, open_interrupted
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH

MAPPING = ScreenMapping.from_dpi(100.0)  # 0.254 mm per px
RATE_HZ = 200.0


def record(visit: VisitController, seconds: float, seed: int, cancel: bool = False):
    """Record `seconds` of the current task as a tablet at 200 Hz would, through the real
    recorder into the visit's session file; returns what the result screen shows."""
    spec = visit.current_spec
    writer = visit.ensure_writer()
    recorder = TrialRecorder(writer, spec.task, nominal_rate_hz=RATE_HZ,
                             attrs=trial_attrs(spec, MAPPING.x_mm_per_px, MAPPING.y_mm_per_px,
                                               extra=visit.trial_attrs()))
    recorder.start()
    rec = simulate_trial(spec.task, seconds, seed=seed, rate_hz=RATE_HZ, jitter_ms=0.0,
                         duplicate_fraction=0.0).recording
    state = np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER)
    x_px, y_px = rec.x / MAPPING.x_mm_per_px, rec.y / MAPPING.y_mm_per_px
    for i in range(rec.n_samples):
        recorder.buffer.push(rec.t[i], x_px[i], y_px[i], rec.pressure[i], int(state[i]),
                             host_time=1.7e9 + rec.t[i], pointer=4)
    if cancel:
        visit.cancel_redo()
    status, extra = ("aborted", {"abort_reason": "the redo was cancelled"}) if cancel else (
        "complete", None)
    result = recorder.stop(status, attrs=extra, input_kind="tablet")
    outcome = judge_trial(result, spec, RATE_HZ, "tablet", writer=writer,
                          abort_reason=extra["abort_reason"] if cancel else None)
    return visit.trial_finished(outcome)


@pytest.fixture
def visit(tmp_path, monkeypatch):
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "study").mkdir()
    v = VisitController(tmp_path / "study", MAPPING)
    yield v
    v.close()


def test_the_controller_never_imports_qt() -> None:
    code = ("import sys, kinewrite.acquisition.visit, kinewrite.acquisition.trial_outcome\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('PyQt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == ""


def test_a_whole_visit(visit, tmp_path) -> None:
    protocol = default_protocol()
    keys = [s.key for s in protocol.tasks]
    visit.start("VC-01", protocol, {"hand": "right", "notes": "n"}, "tablet")
    assert visit.writer is None  # no empty session: the file comes with the first trial
    assert [visit.task_label(i)[0] for i in range(len(keys))] == ["○"] * len(keys)
    loops = keys.index("loops")
    assert visit.select(loops).key == "loops" and visit.current_spec.min_duration_s == 8

    # 1. a good trial: saved, Next is the default
    view = record(visit, 10.0, seed=3)
    good = view.outcome
    assert good.ok and good.status == "complete" and view.note == "" and not view.can_undo
    assert outcome_verdict(good) == "saved"
    assert next_choice(good, last_task=False) == ("Next task", True)
    assert abs(good.features["stroke_frequency_hz"] - 2.5) < 0.1  # docs/science.md: 2.5 Hz
    rows = dict(result_rows(good))
    assert rows["Samples stored"] == f"{good.n_samples} (tablet)" and good.n_samples == 10 * 200 + 1
    assert finding_lines(good) == [("", "No problem found: the trial looks usable.")]
    title = protocol.tasks[loops].title
    assert visit.task_label(loops) == f"●  {title}"
    session = load_session(visit.writer.path)
    assert session.patient_code == "VC-01" and session.metadata["hand"] == "right"
    assert session.metadata["protocol"] == protocol.label
    assert session.metadata["device"] == "tablet (Qt tablet events)"

    # 2. a redo of 2 s (< the task's 8 s): kept, not usable, replaces nothing
    assert visit.begin_redo() == good.trial
    assert visit.trial_attrs() == {"redo_of": good.trial}
    view = record(visit, 2.0, seed=4)
    short = view.outcome
    assert short.status == "aborted" and not short.ok
    assert outcome_verdict(short) == "not usable, redo it (kept in the file)"
    assert next_choice(short, last_task=False) == ("Skip this task", False)
    assert next_choice(short, last_task=True) == ("Finish without it", False)
    assert view.note.startswith(f"Trial {good.trial} stays this task's result")
    assert not view.can_undo and visit.task_result("loops") is good
    assert visit.task_label(loops) == f"●  {title} (×2)"
    (severity, line), *_ = finding_lines(short)
    assert severity == "error" and "lasted" in line
    stored = {t.name: t for t in load_session(visit.writer.path).trials}
    assert stored[good.trial].status == "complete"
    assert stored[short.trial].status == "aborted"
    assert stored[short.trial].attrs["abort_reason"].startswith("failed check: The trial lasted")
    assert stored[short.trial].attrs["redo_of"] == good.trial

    # 3. a good redo supersedes trial 001 ... and is undone
    visit.begin_redo()
    view = record(visit, 10.0, seed=5)
    better = view.outcome
    assert better.ok and view.can_undo and visit.can_undo
    assert f"replaces trial {good.trial}" in view.note
    assert good.status == "superseded" and visit.task_result("loops") is better
    assert load_session(visit.writer.path).trial(good.trial).status == "superseded"
    view = visit.undo_redo()
    assert view.outcome is good and good.status == "complete"
    assert better.status == "superseded" and not visit.can_undo
    assert view.note == (f"Trial {good.trial} is this task's result again; trial "
                         f"{better.trial} is kept in the file, marked superseded.")
    stored = {t.name: t for t in load_session(visit.writer.path).trials}
    assert stored[good.trial].status == "complete"
    assert stored[better.trial].status == "superseded"
    assert stored[better.trial].superseded_by == good.trial
    assert visit.undo_redo() is None  # nothing left to undo

    # 4. a redo cancelled while recording: kept aborted, trial 001 unchanged and shown
    visit.begin_redo()
    view = record(visit, 3.0, seed=6, cancel=True)
    assert view.outcome is good and view.note.startswith("Redo cancelled: trial 004")
    assert load_session(visit.writer.path).trial("004").status == "aborted"
    assert visit.redo_of is None and not visit.cancel_requested
    # a redo that never started (or is cancelled before recording) shows the earlier trial
    visit.begin_redo()
    assert visit.drop_redo() is good and visit.trial_attrs() is None

    # 5. Next to the end of the protocol
    assert visit.next_index() == loops + 1
    visit.select(len(keys) - 1)
    assert visit.last_task and visit.next_index() is None

    # 6. scales and a treatment event go into the same file; one is corrected, one deleted
    entry = {"scale": "ADDS", "items": {}, "date": "2026-01-05", "rater": "T1",
             "level_pct": 95}
    assert visit.add_clinical(entry) == 95.0
    name = visit.entries()[0][1][1]
    assert visit.replace_clinical(name, {**entry, "level_pct": 90}) == 90.0
    assert visit.clinical_entry(name).score == 90.0
    visit.add_event({"kind": "botulinum_toxin", "date": "2026-01-04", "dose_units": 20.0})
    texts = [t for t, _ in visit.entries()]
    assert texts == ["ADDS 90.0 %, rated 2026-01-05 by T1",
                     "botulinum toxin on 2026-01-04, 20 U"]
    visit.remove_entry(*visit.entries()[1][1])
    session = load_session(visit.writer.path)
    assert [c.score for c in session.clinical] == [90.0] and session.events == []

    # 7. the end page: every trial in the order recorded, its status in words
    rows = visit.summary_rows()
    assert [r[0] for r in rows] == ["001", "002", "003", "004"]
    assert [r[2] for r in rows] == ["saved", "not usable (failed a check)",
                                    "replaced by a redo", "stopped early"]
    assert rows[0][4].endswith("Hz")  # the loops' rhythm
    assert visit.done_text().startswith("Session finished: 4 trial(s) recorded.\n"
                                        f"{visit.writer.path}")
    path = visit.writer.path
    visit.close()
    assert visit.writer is None and load_session(path).recovery == ""


def test_an_interrupted_visit_goes_on_where_it_stopped(visit, tmp_path) -> None:
    protocol = default_protocol().without_minimums()
    visit.start("VC-02", protocol, {"hand": "left"}, "mouse")
    visit.select(0)
    record(visit, 3.0, seed=1)
    visit.select(1)
    record(visit, 3.0, seed=2)
    path = visit.writer.path
    visit.writer.close()  # the app goes away; the file is complete, nothing to repair
    visit.writer = None
    writer, session = open_interrupted(path)
    again = VisitController(tmp_path / "study", MAPPING)
    again.start("VC-02", protocol, {}, "mouse")
    assert again.resume(writer, session) == 2  # the first task without a result
    assert again.resumed_label(0).startswith("●") and again.resumed_label(2) is None
    assert again.current_spec.key == protocol.tasks[0].key  # shown only once selected
    again.select(2)
    record(again, 3.0, seed=3)
    assert [t.name for t in load_session(path).trials] == ["001", "002", "003"]
    assert [r[2] for r in again.summary_rows()] == ["saved"] * 3
    again.close()


def test_prefill_and_what_must_be_filled(visit, tmp_path) -> None:
    from kinewrite.acquisition.visit import carried_metadata, missing_fields

    assert missing_fields(False, {}) == ["the patient code", "hand used"]
    assert missing_fields(True, {"hand": "left"}) == []
    assert carried_metadata({"hand": "left", "notes": "x", "device": "mouse (fallback)",
                             "stylus": "Pro Pen 2"}) == {"hand": "left", "stylus": "Pro Pen 2"}
    assert visit.prefill("VC-03") is None  # no previous visit, nothing in the form
    visit.start("VC-03", default_protocol(), {"hand": "left", "notes": "first"}, "tablet")
    visit.select(1)
    record(visit, 10.0, seed=3)
    visit.close()
    fill = visit.prefill("VC-03")
    assert fill.values["hand"] == "left" and fill.source.startswith("the visit of 20")
    assert visit.prefill("VC-03") is None  # once per code
    assert visit.prefill("VC-04").values is None  # another patient: the form is cleared
    assert visit.offer_resume("VC-03") is None and visit.interrupted is None
