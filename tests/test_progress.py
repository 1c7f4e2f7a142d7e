"""The progress model (kinewrite.progress): the numbers of kinewrite export, trial choice,
events and scales, the bundled sample study's story, no recomputation of cached features."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kinewrite.export.rows as export_module
from kinewrite.analysis.features import feature_names
from kinewrite.export import ExportOptions, collect_rows, rows_to_frame, session_paths
from kinewrite.progress import ProgressError, load_progress, progress_table
from kinewrite.simulate import simulate_trial
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "study"


def _export(study):
    rows, problems = collect_rows(session_paths(study), ExportOptions(str(study)), workers=1)
    assert not problems
    return rows_to_frame(rows)


def test_sample_study_numbers_equal_the_export():
    progress = load_progress(SAMPLE, "SIM-001")
    table = progress.table
    exported = _export(SAMPLE)
    assert len(table) == 6 * 6 and progress.recomputed == 0
    merged = table.merge(exported, on=["session_id", "trial"], suffixes=("", "_export"),
                         validate="one_to_one")
    assert len(merged) == len(table)
    for col in ("task", "protocol_task", "session_date", "session_created", "session_file",
                "n_samples"):
        assert (merged[col] == merged[f"{col}_export"]).all(), col
    for name in feature_names():
        np.testing.assert_array_equal(merged[name].to_numpy(float),
                                      merged[f"{name}_export"].to_numpy(float), err_msg=name)


def test_sample_study_tells_its_story():
    p = load_progress(SAMPLE, "SIM-001")
    assert p.simulated and p.tasks == ["spiral_guided", "spiral_free", "loops", "sentence",
                                       "circles", "lines"]
    assert p.task_of("spiral_free") == "spiral"
    dates, rhythm = p.series("sentence", "stroke_frequency_hz")
    assert list(pd.to_datetime(dates).strftime("%Y-%m-%d")) == [
        "2025-09-08", "2025-10-06", "2025-11-10", "2025-12-08", "2026-01-12", "2026-02-09"]
    # writing rhythm recovers after the injection (simulated 2.2, 2.0 -> 4.4 Hz)
    assert rhythm[:2].max() < 2.5 and rhythm[-1] == pytest.approx(4.4, abs=0.15)
    assert np.all(np.diff(rhythm[1:]) > 0)
    _, tremor = p.series("spiral_guided", "tremor_amplitude_pp_mm")
    # simulated peak amplitude A -> peak-to-peak 2A: 0.45, 0.5 mm before; 0.09 mm at the end
    assert tremor[1] == pytest.approx(1.0, rel=0.05) and tremor[-1] == pytest.approx(0.18, rel=0.1)
    _, pressure = p.series("circles", "pressure_mean")
    assert pressure[1] > pressure[2] > pressure[-1]
    assert list(p.events["label"]) == ["Botulinum toxin 80 U onabotulinumtoxinA",
                                       "Pen-grip training"]
    assert str(p.events["date"][0].date()) == "2025-10-13"  # between sessions 2 and 3
    adds = p.clinical[p.clinical["scale"] == "ADDS"]["score"].to_numpy()
    assert adds[0] == pytest.approx(90 - 90 * 7 / 21) and adds[-1] > adds[1]


def test_no_feature_is_recomputed_when_cached(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("features recomputed")

    monkeypatch.setattr(export_module, "extract_features", boom)
    monkeypatch.setattr("kinewrite.analysis.features.extract_features", boom)
    monkeypatch.setattr(export_module, "load_session", boom)
    assert len(progress_table(SAMPLE, "SIM-001", task="spiral")) == 2 * 6  # guided and free


def _write(writer, task, seed, status="complete", **kw):
    rec = simulate_trial(task, 4.0, seed=seed, **kw).recording
    name = writer.begin_trial(task, 133.0, "tablet", channels=("t", "x", "y", "pressure",
                                                               "state"))
    writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                  state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
    finish_trial(writer, status, compute_features=status == "complete")
    return name


def test_last_complete_trial_is_chosen_and_stale_cache_recomputed(tmp_path):
    with SessionWriter.create(tmp_path, "WC-010") as w:
        a = _write(w, "loops", 1, loop_hz=2.0)
        b = _write(w, "loops", 2, loop_hz=3.0)  # a repeat: the last complete one is used
        _write(w, "loops", 3, status="aborted", loop_hz=1.0)
        c = _write(w, "spiral", 4)
        d = _write(w, "spiral", 5, tremor_hz=6.3, tremor_mm=0.3)
        w.supersede(d, c)  # (odd order on purpose: status decides, not the number)
    table = progress_table(tmp_path, "WC-010")
    assert list(table["task"]) == ["spiral", "loops"]
    loops = table[table["task"] == "loops"].iloc[0]
    assert loops["trial"] == int(b) and loops["n_trials"] == 2
    assert loops["stroke_frequency_hz"] == pytest.approx(3.0, abs=0.1)
    assert table[table["task"] == "spiral"].iloc[0]["trial"] == int(c)
    assert a != b
    # a cache of another analysis version: recomputed the way export does, same numbers
    import h5py

    with h5py.File(w.path, "r+") as f:
        f["trials"][b]["features"].attrs["analysis_version"] = "0-old"
    p = load_progress(tmp_path, "WC-010")
    assert p.recomputed == 1
    assert p.table.loc[p.table["task"] == "loops", "stroke_frequency_hz"].iloc[0] == \
        pytest.approx(loops["stroke_frequency_hz"])
    stale = load_progress(tmp_path, "WC-010", recompute_stale=False).table
    row = stale[stale["task"] == "loops"].iloc[0]
    assert np.isnan(row["stroke_frequency_hz"]) and "not cached" in row["analysis_error"]


def test_errors_are_one_line(tmp_path):
    with pytest.raises(ProgressError, match=r"no session of patient 'XX-1' \(patients: SIM-001"):
        load_progress(SAMPLE, "XX-1")
    with pytest.raises(ProgressError, match="no such study folder"):
        load_progress(tmp_path / "nope", "SIM-001")
    with pytest.raises(ProgressError, match="the study has no session"):
        load_progress(tmp_path, "SIM-001")
    with pytest.raises(ProgressError, match="unknown task"):
        load_progress(SAMPLE, "SIM-001", task="dance")
    with SessionWriter.create(tmp_path, "WC-011") as w:
        _write(w, "loops", 1, status="aborted")
    with pytest.raises(ProgressError, match="no complete trial"):
        load_progress(tmp_path, "WC-011")


def _write_step(writer, task, seed, attrs, **kw):
    rec = simulate_trial(task, 4.0, seed=seed, **kw).recording
    name = writer.begin_trial(task, 133.0, "tablet", channels=("t", "x", "y", "pressure",
                                                               "state"), attrs=attrs)
    writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                  state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
    finish_trial(writer, "complete")
    return name


def test_guided_and_free_spirals_are_distinct_everywhere(tmp_path):
    # the guided spiral first (tremor 0.3 mm), then the free one (none): before, the last
    # one of task "spiral" was taken for both
    with SessionWriter.create(tmp_path, "WC-011") as w:
        g = _write_step(w, "spiral", 1, {"protocol_task": "spiral_guided", "guide_shown": 1},
                        tremor_hz=6.3, tremor_mm=0.3)
        f = _write_step(w, "spiral", 2, {"protocol_task": "spiral_free", "guide_shown": 0})
    p = load_progress(tmp_path, "WC-011")
    assert p.tasks == ["spiral_guided", "spiral_free"]
    guided, free = p.rows("spiral_guided").iloc[0], p.rows("spiral_free").iloc[0]
    assert (guided["trial"], free["trial"]) == (int(g), int(f))
    assert guided["n_trials"] == 1 and free["n_trials"] == 1
    assert guided["tremor_detected"] == 1 and free["tremor_detected"] == 0
    exported = _export(tmp_path)
    assert list(exported["protocol_task"]) == ["spiral_guided", "spiral_free"]
    assert list(exported["task"]) == ["spiral", "spiral"]


def test_sessions_without_a_protocol_step_still_load(tmp_path):
    # older files: guide_shown only (derived key), or nothing (an import: the task)
    with SessionWriter.create(tmp_path, "WC-012") as w:
        _write_step(w, "spiral", 1, {"guide_shown": 1})
        _write_step(w, "spiral", 2, {"guide_shown": 0})
        _write_step(w, "loops", 3, {})
        _write_step(w, "sentence", 4, {"protocol_task": "=HYPERLINK(x)"})  # not a key
    p = load_progress(tmp_path, "WC-012")
    assert p.tasks == ["spiral_guided", "spiral_free", "loops", "sentence"]
    assert list(_export(tmp_path)["protocol_task"]) == ["spiral_guided", "spiral_free",
                                                        "loops", "sentence"]


def test_measurement_noise_from_repeated_trials(tmp_path):
    # three visits, two loops trials each at 2.0/2.2, 3.0/3.2, 4.0/4.2 Hz: within-visit SD
    # = sqrt(3 * 2 * 0.1^2 / 3) = 0.1414 Hz; MDC95 = 2.772 x 0.1414 = 0.392 Hz
    created = ["2025-01-06T09:00:00Z", "2025-02-03T09:00:00Z", "2025-03-03T09:00:00Z"]
    for k, (when, hz) in enumerate(zip(created, (2.0, 3.0, 4.0), strict=True)):
        with SessionWriter.create(tmp_path, "WC-013", created=when) as w:
            _write(w, "loops", 10 * k, loop_hz=hz)
            _write(w, "loops", 10 * k + 1, loop_hz=hz + 0.2)
    p = load_progress(tmp_path, "WC-013")
    assert len(p.trials) == 6 and list(p.rows("loops")["n_trials"]) == [2, 2, 2]
    values = p.trials["stroke_frequency_hz"].to_numpy().reshape(3, 2)
    expected = np.sqrt(np.sum((values - values.mean(axis=1, keepdims=True)) ** 2) / 3)
    assert expected == pytest.approx(0.1414, abs=0.02)  # the simulated rhythm is that exact
    noise = p.noise("loops", "stroke_frequency_hz")
    assert noise.sd_within == pytest.approx(expected, rel=1e-12)
    assert noise.mdc95 == pytest.approx(1.96 * np.sqrt(2) * expected, rel=1e-12)
    assert noise.source == "repeated trials" and noise.dof == 3
    # 2.2 -> 4.2 Hz is far beyond 0.39 Hz; visit 2 -> 3 (3.2 -> 4.2) too
    assert p.change("loops", "stroke_frequency_hz") == "beyond measurement noise"
    # no treatment recorded: no visit counts as baseline (they may differ by real change);
    # without any repeat or baseline pair the noise is not known
    single = tmp_path / "single"
    with SessionWriter.create(single, "WC-014") as w:
        _write(w, "loops", 1)
    q = load_progress(single, "WC-014")
    assert not q.noise("loops", "stroke_frequency_hz").known
    assert q.change("loops", "stroke_frequency_hz") == "noise not known"


def test_measurement_noise_from_two_baseline_visits(tmp_path):
    # one trial per visit; two visits before a toxin injection at 2.0 and 2.4 Hz: SD of the
    # pair = 0.4 / sqrt(2) = 0.283 Hz, MDC95 = 2.772 x 0.283 = 0.784 Hz
    for when, hz in (("2025-01-06T09:00:00Z", 2.0), ("2025-02-03T09:00:00Z", 2.4),
                     ("2025-03-03T09:00:00Z", 2.8), ("2025-04-07T09:00:00Z", 3.6)):
        with SessionWriter.create(tmp_path, "WC-015", created=when) as w:
            _write(w, "loops", int(hz * 10), loop_hz=hz)
            if hz == 2.4:
                w.add_event("botulinum_toxin", "2025-02-10", ["FDS"], 40.0)
    p = load_progress(tmp_path, "WC-015")
    assert len(p.baseline_sessions()) == 2
    base = p.series("loops", "stroke_frequency_hz")[1][:2]
    noise = p.noise("loops", "stroke_frequency_hz")
    assert noise.source == "baseline visits" and noise.dof == 1
    assert noise.sd_within == pytest.approx(abs(base[1] - base[0]) / np.sqrt(2), rel=1e-12)
    assert noise.mdc95 == pytest.approx(0.784, abs=0.08)
    # 2.4 -> 2.8 Hz is within that noise; 2.0 -> 3.6 Hz beyond it
    assert p.change("loops", "stroke_frequency_hz", 1, 2) == "within noise"
    assert p.change("loops", "stroke_frequency_hz", 0, 3) == "beyond measurement noise"
