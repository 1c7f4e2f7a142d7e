"""The record workflow end to end, offscreen: setup, a trial written with synthesized tablet
events, its key numbers at once, a redo that supersedes it, and the session file on disk."""

from __future__ import annotations

import numpy as np
import pytest
from layout_check import assert_laid_out
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from kinewrite import Recording, load_session
from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.synthetic_pen import SyntheticPen
from kinewrite.gui.workflow import RecordWorkflow
from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import trial_guide_mm

MM_PER_PX = 0.254  # a 100 dpi screen
MAPPING = ScreenMapping.from_dpi(100.0)


def write_trial(canvas, task: str, seconds: float, seed: int) -> int:
    """Write a simulated trial on the canvas as a tablet would deliver it (200 Hz): real
    QTabletEvents through Qt's dispatch; returns the number of samples written."""
    sim = simulate_trial(task, seconds, seed=seed, rate_hz=200.0, jitter_ms=0.0,
                         duplicate_fraction=0.0)
    n = SyntheticPen(canvas, MAPPING).write(sim.recording)
    QApplication.processEvents()
    return n


@pytest.fixture
def workflow(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    make_application()
    w = RecordWorkflow(tmp_path / "study", MAPPING)
    (tmp_path / "study").mkdir()
    w.setup.metadata_form.set_values({"hand": "right"})  # required
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_trial_key_numbers_redo_and_session(workflow, qtbot) -> None:
    w = workflow
    assert not w.setup.start_button.isEnabled()  # no code, no session
    w.setup.code_edit.setText("WF-01")
    assert w.setup.start_button.isEnabled()
    assert_laid_out(w)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentIndex() == 1
    assert_laid_out(w)
    loops = [s.key for s in w.protocol.tasks].index("loops")
    w.task_list.setCurrentRow(loops)
    assert w.panel.spec.task == "loops"
    assert w.writer is None  # the file is created with the first trial, not before

    first = w.start_trial()
    assert w.panel.recording and not w.start_button.isEnabled()
    n = write_trial(w.panel.canvas, "loops", 10.0, seed=3)
    qtbot.waitUntil(lambda: "samples" in w.panel.quality_label.text(), timeout=2000)
    outcome = w.panel.stop()
    assert outcome.n_samples == n and outcome.input_kind == "tablet"
    assert w.right.currentIndex() == 1  # the results show at once
    assert_laid_out(w)
    shown = {w.result.table.item(i, 0).text(): w.result.table.item(i, 1).text()
             for i in range(w.result.table.rowCount())}
    freq = outcome.features["stroke_frequency_hz"]
    assert abs(freq - 2.5) < 0.1  # docs/science.md ground truth: 2.5 Hz loops
    rhythm = next(v for k, v in shown.items() if "frequency" in k.lower())
    assert rhythm.startswith(f"{freq:.3g}") and rhythm.endswith("Hz")
    assert "Samples stored" in shown and shown["Samples stored"].startswith(str(n))

    # Redo: a second trial of the same task supersedes the first; nothing is deleted.
    qtbot.mouseClick(w.result.redo_button, Qt.MouseButton.LeftButton)
    assert w.panel.recording
    write_trial(w.panel.canvas, "loops", 10.0, seed=4)
    second = w.panel.stop()
    assert w.task_list.item(loops).text().endswith("(×2)")
    session = load_session(w.writer.path)
    by_name = {t.name: t for t in session.trials}
    assert by_name[first].status == "superseded"
    assert by_name[first].superseded_by == second.trial
    assert by_name[second.trial].status == "complete"
    assert by_name[second.trial].attrs["redo_of"] == first
    assert session.patient_code == "WF-01"
    assert session.metadata["protocol"] == w.protocol.label
    # Every sample of the first trial, in order, in mm through the stored calibration.
    assert by_name[first].n_samples == n
    assert np.all(np.diff(by_name[first].channels["t"]) >= 0)  # in order


def test_pen_never_down_is_kept_as_aborted_with_a_finding(workflow, qtbot) -> None:
    w = workflow
    w.setup.code_edit.setText("WF-02")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.start_trial()
    # Hover only: the pen never touches.
    sim = simulate_trial("loops", 0.25, seed=1, rate_hz=200.0)
    rec = sim.recording
    hover = Recording(t=rec.t, x=rec.x, y=rec.y, pen_down=np.zeros(rec.t.size, bool))
    SyntheticPen(w.panel.canvas, MAPPING).write(hover)
    outcome = w.panel.stop()
    assert outcome.status == "aborted" and not outcome.ok
    messages = [f.message.lower() for f in outcome.findings]
    assert any("pen" in m and ("never" in m or "no " in m) for m in messages), messages
    trial = load_session(w.writer.path).trials[-1]
    assert trial.status == "aborted" and trial.n_samples == rec.t.size
    assert "never touched" in trial.attrs["abort_reason"]


def test_feedback_settings_saved_with_the_trial_and_done_page(workflow, qtbot) -> None:
    w = workflow
    w.setup.code_edit.setText("WF-03")
    w.setup.feedback_combo.setCurrentIndex(w.setup.feedback_combo.findData("tone"))
    w.setup.threshold_spin.setValue(0.4)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.task_list.setCurrentRow([s.task for s in w.protocol.tasks].index("circles"))
    w.start_trial()
    assert "feedback" in w.panel.feedback_note  # playing, or silent with the reason
    write_trial(w.panel.canvas, "circles", 30.0, seed=5)
    outcome = w.panel.stop()
    trial = load_session(w.writer.path).trial(outcome.trial)
    assert trial.attrs["feedback_mode"] == "tone"
    assert trial.attrs["feedback_threshold"] == pytest.approx(0.4)
    w.finish()
    assert w.pages.currentIndex() == 2
    assert_laid_out(w)
    assert w.summary.rowCount() == 1
    assert w.summary.item(0, 0).text() == outcome.trial
    assert w.summary.item(0, 2).text() == "saved"
    assert w.summary.item(0, 4).text().endswith("Hz")


def test_gui_screenshot_of_review_and_progress(tmp_path, monkeypatch) -> None:
    """``kinewrite gui --screenshot`` renders each view of the bundled study offscreen."""
    import subprocess
    import sys
    from pathlib import Path

    from PyQt6.QtGui import QImage

    study = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
           "KINEWRITE_CONFIG_DIR": str(tmp_path / "config")}
    for view in ("review", "progress", "record"):
        out = tmp_path / f"{view}.png"
        run = subprocess.run([sys.executable, "-m", "kinewrite", "gui", "--study", str(study),
                              "--patient", "SIM-001", "--view", view, "--screenshot", str(out),
                              "--size", "1200x800"], env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        image = QImage(str(out))
        assert (image.width(), image.height()) == (1200, 800)
    run = subprocess.run([sys.executable, "-m", "kinewrite", "gui", "--study", str(study),
                          "--patient", "NOBODY-1", "--view", "progress", "--screenshot",
                          str(tmp_path / "x.png")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "NOBODY-1" in run.stderr


def test_no_display_is_one_line_not_a_qt_abort(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for args in (["gui"], ["record", "--study", str(tmp_path / "new-study"), "--patient",
                           "ND-1", "--task", "loops"]):
        run = subprocess.run([sys.executable, "-m", "kinewrite", *args], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 1
        assert run.stderr.startswith("kinewrite: no display") and run.stderr.count("\n") == 1
    assert not any(tmp_path.rglob("*.h5"))  # no session was created
    assert not (tmp_path / "new-study").exists()  # nor a study folder


def test_spiral_ends_itself_when_the_pen_stays_up(workflow, qtbot) -> None:
    """End condition ``pen_up``: once written, the pen lifted for ``pen_up_s`` ends the
    trial (no Esc, no button), and the trial's results show."""
    w = workflow
    w.setup.code_edit.setText("WF-04")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    spiral = next(i for i, s in enumerate(w.protocol.tasks) if s.task == "spiral")
    w.task_list.setCurrentRow(spiral)
    spec = w.panel.spec
    assert spec.end == "pen_up"
    w.start_trial()
    write_trial(w.panel.canvas, "spiral", 8.0, seed=6)  # ends with the pen lifted
    assert w.panel.recording  # not before pen_up_s
    qtbot.waitUntil(lambda: not w.panel.recording, timeout=int(spec.pen_up_s * 1000) + 3000)
    assert w.right.currentIndex() == 1
    trial = load_session(w.writer.path).trials[-1]
    assert trial.status == "complete" and trial.task == "spiral"
    # the guide shown is stored with the trial, in the channels' unit, and maps to mm with
    # the session's calibration: the protocol's guide, 5 turns from radius 0 to 40 mm
    assert spec.show_guide and "guide_polylines_px" in trial.attrs
    guide = trial_guide_mm(trial.attrs, trial.calibration)
    radius = np.hypot(*(guide - guide[0]).T)
    assert radius.max() == pytest.approx(40.0, abs=0.1)
    assert np.isfinite(trial.features["spiral_guide_hausdorff_mm"])


def test_disk_full_while_writing_stops_the_trial_at_once(workflow, qtbot) -> None:
    """The writer thread meets a full disk: the panel stops the trial without waiting for
    Esc, says why, and the samples written before are in the file."""
    w = workflow
    w.setup.code_edit.setText("WF-05")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.start_trial()
    write_trial(w.panel.canvas, "loops", 2.0, seed=2)
    qtbot.waitUntil(lambda: w.panel._recorder.n_written > 0, timeout=2000)
    w.writer.min_free_bytes = 1 << 62  # the disk is now "full" for the writer's check
    write_trial(w.panel.canvas, "loops", 2.0, seed=3)
    qtbot.waitUntil(lambda: not w.panel.recording, timeout=3000)
    (outcomes,) = w.trials.values()  # the one task recorded
    outcome = outcomes[-1]
    assert outcome.status == "aborted" and "disk almost full" in outcome.error
    assert any("disk almost full" in w.result.findings.item(i).text()
               for i in range(w.result.findings.count()))
    trial = load_session(w.writer.path).trials[-1]
    assert trial.status == "aborted" and trial.n_samples > 0


def test_a_guide_larger_than_the_canvas_is_reported_not_fatal(qtbot, tmp_path) -> None:
    """A small window: the spiral guide (outer radius in mm, never rescaled) does not fit;
    the panel says so instead of failing."""
    from kinewrite.acquisition.tasks import default_protocol
    from kinewrite.gui.record import RecordPanel

    make_application()
    panel = RecordPanel(MAPPING)
    qtbot.addWidget(panel)
    panel.resize(320, 260)
    panel.show()
    qtbot.waitExposed(panel)
    spiral = next(s for s in default_protocol().tasks if s.task == "spiral")
    panel.set_task(spiral)
    assert "Guide not shown" in panel.quality_label.text()
    panel.resize(1300, 900)
    qtbot.waitUntil(lambda: panel.canvas.width() > 900)
    assert panel.guide_polylines_px()  # it fits now


def test_a_screenshot_never_creates_a_study_folder(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "KINEWRITE_CONFIG_DIR": str(tmp_path / "config")}
    run = subprocess.run([sys.executable, "-m", "kinewrite", "gui", "--study",
                          str(tmp_path / "nope"), "--screenshot", str(tmp_path / "x.png")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "no such study folder" in run.stderr
    assert not (tmp_path / "nope").exists()


def _interrupted_visit(study, code: str) -> None:
    """A visit killed while its third task (circles) was recording: sentence and loops saved,
    written by a child process that SIGKILLs itself mid-trial, as a crash would."""
    import subprocess
    import sys

    script = f"""
import os, signal, numpy as np
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial
w = SessionWriter.create({str(study)!r}, {code!r})
t = np.arange(400) / 200.0
for key in ("sentence", "loops", "circles"):
    task = key
    w.begin_trial(task, 200.0, attrs={{"protocol_task": key}},
                  channels=("t", "x", "y", "pressure", "state"))
    w.append(t=t, x=20 * t + np.cos(15 * t), y=np.sin(15 * t), pressure=np.full(400, 0.3),
             state=np.full(400, 2))
    if key == "circles":
        w.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    finish_trial(w, "complete")
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == -9, r.stderr


def test_an_interrupted_visit_of_today_is_continued(workflow, qtbot, tmp_path) -> None:
    w = workflow
    _interrupted_visit(tmp_path / "study", "WF-09")
    w.setup.code_edit.setText("WF-0")  # another code: nothing offered
    assert w.setup.resume_button.isHidden()
    w.setup.code_edit.setText("WF-09")
    assert not w.setup.resume_button.isHidden()
    assert "after 2 saved trial(s)" in w.setup.resume_label.text()
    (path,) = (tmp_path / "study" / "WF-09").glob("session-*.h5")
    qtbot.mouseClick(w.setup.resume_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentIndex() == 1 and w.writer is not None and w.writer.path == path
    assert "interrupted trial 003 closed as aborted" in w.session_label.text()
    keys = [s.key for s in w.protocol.tasks]
    assert w.current_spec.key == "circles"  # where the visit stopped
    marks = [w.task_list.item(i).text()[0] for i in range(len(keys))]
    assert marks[:3] == ["●", "●", "⚠"]
    w.start_trial()
    n = write_trial(w.panel.canvas, "circles", 30.0, seed=2)  # >= its 25 s minimum
    outcome = w.panel.stop()
    assert outcome.trial == "004" and outcome.n_samples == n
    w.close_session()
    s = load_session(path)  # one session for the visit, repaired, the new trial in it
    assert s.recovery == ""
    assert [(t.name, t.status) for t in s.trials] == [
        ("001", "complete"), ("002", "complete"), ("003", "aborted"), ("004", "complete")]
    assert s.trials[2].attrs["abort_reason"].startswith("interrupted")
    assert len(list((tmp_path / "study" / "WF-09").glob("session-*.h5"))) == 1


def test_a_failed_trial_is_not_saved_and_never_replaces_a_good_one(workflow, qtbot) -> None:
    """A too-short trial: not headed "saved", Redo (not Next) is the default, its status is
    not complete (progress skips it); a worse redo replaces nothing, a good redo can be
    undone, a redo being recorded can be cancelled."""
    from kinewrite.progress import load_progress

    w = workflow
    w.setup.code_edit.setText("WF-10")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    loops = [s.key for s in w.protocol.tasks].index("loops")
    w.task_list.setCurrentRow(loops)
    min_s = w.panel.spec.min_duration_s
    assert min_s == 8

    # 1. a good trial: saved, Next is the default
    w.start_trial()
    write_trial(w.panel.canvas, "loops", 10.0, seed=3)
    good = w.panel.stop()
    assert good.ok and w.result.heading.text().endswith(": saved")
    assert w.result.next_button.isDefault() and not w.result.redo_button.isDefault()

    # 2. a redo of 2 s (< 8 s): not usable, kept aborted; trial 001 stays the result
    qtbot.mouseClick(w.result.redo_button, Qt.MouseButton.LeftButton)
    assert w.panel.recording and w.cancel_redo_button.isVisible()
    write_trial(w.panel.canvas, "loops", 2.0, seed=4)
    short = w.panel.stop()
    assert short.status == "aborted" and not short.ok
    heading = w.result.heading.text()
    assert "saved" not in heading and "not usable" in heading, heading
    assert w.result.redo_button.isDefault() and not w.result.next_button.isDefault()
    assert w.result.next_button.text() == "Skip this task"
    assert f"Trial {good.trial} stays" in w.result.note.text()
    assert not w.result.undo_button.isVisible()
    assert w.task_list.item(loops).text().startswith("●")  # the task still has its result
    trials = {t.name: t for t in load_session(w.writer.path).trials}
    assert trials[good.trial].status == "complete"
    assert trials[short.trial].status == "aborted"
    assert trials[short.trial].attrs["abort_reason"].startswith("failed check: The trial "
                                                                "lasted")
    rows = load_progress(w.study_dir, "WF-10").rows("loops")
    assert [int(t) for t in rows["trial"]] == [int(good.trial)]

    # 3. a good redo replaces trial 001, and the redo can be undone
    qtbot.mouseClick(w.result.redo_button, Qt.MouseButton.LeftButton)
    write_trial(w.panel.canvas, "loops", 10.0, seed=5)
    better = w.panel.stop()
    assert better.ok and w.result.undo_button.isVisible()
    assert f"replaces trial {good.trial}" in w.result.note.text()
    assert load_session(w.writer.path).trial(good.trial).status == "superseded"
    qtbot.mouseClick(w.result.undo_button, Qt.MouseButton.LeftButton)
    trials = {t.name: t for t in load_session(w.writer.path).trials}
    assert trials[good.trial].status == "complete"
    assert trials[better.trial].status == "superseded"
    assert trials[better.trial].superseded_by == good.trial
    assert w.result.heading.text().startswith(f"Trial {good.trial}")
    assert not w.result.undo_button.isVisible()

    # 4. a redo cancelled while recording: kept aborted, trial 001 unchanged and shown
    qtbot.mouseClick(w.result.redo_button, Qt.MouseButton.LeftButton)
    write_trial(w.panel.canvas, "loops", 3.0, seed=6)
    qtbot.mouseClick(w.cancel_redo_button, Qt.MouseButton.LeftButton)
    assert not w.panel.recording and w.right.currentIndex() == 1
    assert w.result.heading.text().startswith(f"Trial {good.trial}")
    assert "Redo cancelled" in w.result.note.text()
    trials = load_session(w.writer.path).trials
    assert trials[-1].status == "aborted"
    assert trials[-1].attrs["abort_reason"] == "the redo was cancelled"
    assert [t.status for t in trials if t.status == "complete"] == ["complete"]
    w.finish()
    statuses = [w.summary.item(i, 2).text() for i in range(w.summary.rowCount())]
    assert statuses == ["saved", "not usable (failed a check)", "replaced by a redo",
                        "stopped early"]


def test_live_line_and_check_count_the_same_gaps(workflow, qtbot) -> None:
    """Gaps (a pen held in the air, pauses in the data) are counted once: the live line and
    the check say the same number; the live line never shows "None"."""
    w = workflow
    w.setup.code_edit.setText("WF-11")
    w.setup.rate_spin.setValue(0)  # unknown rate: no dropped estimate
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.task_list.setCurrentRow([s.key for s in w.protocol.tasks].index("loops"))
    w.start_trial()
    sim = simulate_trial("loops", 10.0, seed=3, rate_hz=200.0, jitter_ms=0.0,
                         duplicate_fraction=0.0)
    rec = sim.recording
    keep = np.ones(rec.t.size, bool)
    for start in (400, 900, 1500):  # three gaps of 10 samples (50 ms > 3 periods)
        keep[start:start + 10] = False
    cut = Recording(t=rec.t[keep], x=rec.x[keep], y=rec.y[keep], pen_down=rec.pen_down[keep],
                    pressure=rec.pressure[keep])
    SyntheticPen(w.panel.canvas, MAPPING).write(cut)
    QApplication.processEvents()
    outcome = w.panel.stop()
    line = w.panel.quality_label.text()
    assert "None" not in line and "dropped" not in line
    assert "gaps 3" in line, line
    gap = next(f for f in outcome.findings if f.code == "gaps")
    assert gap.message.startswith("3 gaps") and "cable" not in gap.message


def test_the_hand_is_required_and_the_previous_visit_prefills(workflow, qtbot) -> None:
    w = workflow
    w.setup.metadata_form.set_values({})
    w.setup.code_edit.setText("WF-20")
    assert not w.setup.start_button.isEnabled()
    assert "hand used" in w.setup.required_label.text()
    w.setup.metadata_form.set_values({"hand": "left", "handedness": "right",
                                      "stylus": "Pro Pen 2", "notes": "first visit"})
    assert w.setup.start_button.isEnabled() and w.setup.required_label.isHidden()
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.task_list.setCurrentRow([s.key for s in w.protocol.tasks].index("loops"))
    w.start_trial()
    write_trial(w.panel.canvas, "loops", 10.0, seed=3)
    w.panel.stop()
    w.finish()
    w.new_session()  # the next visit of WF-20: the form as recorded, less the notes
    assert w.setup.metadata_form.values() == {"hand": "left", "handedness": "right",
                                              "stylus": "Pro Pen 2"}
    w.setup.code_edit.setText("WF-21")  # a new patient: nothing of WF-20 stays
    assert w.setup.metadata_form.values() == {}
    w.set_patient("WF-20")  # the patient chosen at the top of the window
    assert w.setup.code_edit.text() == "WF-20"
    values = w.setup.metadata_form.values()
    assert values == {"hand": "left", "handedness": "right", "stylus": "Pro Pen 2"}
    assert "notes" not in values  # the visit's own
    assert w.setup.prefill_label.text().startswith("Filled in from the visit of 20")
    w.setup.code_edit.setText("WF-22")  # a new patient: the prefilled values go
    assert w.setup.metadata_form.values() == {}
    assert not w.setup.start_button.isEnabled()


def test_every_trial_check_line_is_shown_whole(workflow, qtbot) -> None:
    """The result screen's checks wrap: at 1280 x 800 and at 900 x 600 each finding line, long
    ones included, fits the list's width and its height once scrolled to (issue 14)."""
    from PyQt6.QtCore import QRect
    from PyQt6.QtGui import QFontMetrics
    from PyQt6.QtWidgets import QStyle

    w = workflow
    w.setup.code_edit.setText("WF-12")
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.task_list.setCurrentRow([s.key for s in w.protocol.tasks].index("loops"))
    w.start_trial()
    rec = simulate_trial("loops", 3.0, seed=3, rate_hz=200.0, jitter_ms=0.0,
                         duplicate_fraction=0.0).recording
    keep = np.ones(rec.t.size, bool)
    for start in (100, 250, 400):  # gaps, and too short: an error and a warning
        keep[start:start + 10] = False
    cut = Recording(t=rec.t[keep], x=rec.x[keep], y=rec.y[keep], pen_down=rec.pen_down[keep],
                    pressure=rec.pressure[keep])
    SyntheticPen(w.panel.canvas, MAPPING).write(cut)
    outcome = w.panel.stop()
    assert {f.severity for f in outcome.findings} == {"error", "warning"}
    findings = w.result.findings
    texts = [findings.item(i).text() for i in range(findings.count())]
    metrics = QFontMetrics(findings.font())
    margin = findings.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin,
                                          None, findings) + 1
    for width, height in ((1280, 800), (900, 600)):
        w.resize(width, height)
        QApplication.processEvents()
        view = findings.viewport().rect()
        assert max(metrics.horizontalAdvance(t) for t in texts) > view.width() - 2 * margin, (
            "a line longer than the list is wide, else this proves nothing")
        for i, text in enumerate(texts):
            findings.scrollToItem(findings.item(i))
            QApplication.processEvents()
            rect = findings.visualItemRect(findings.item(i))
            assert view.contains(rect), (width, text)  # whole, once scrolled to
            need = metrics.boundingRect(QRect(0, 0, rect.width() - 2 * margin, 10_000),
                                        int(Qt.TextFlag.TextWordWrap), text)
            assert need.width() <= rect.width() - 2 * margin, (width, text)
            assert need.height() <= rect.height(), (width, text)
