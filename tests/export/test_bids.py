"""BIDS motion export (``kinewrite export --format bids``) and its import: the official
validator's verdict, the channels' values, and a round trip of samples and features."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kinewrite.cli import main
from kinewrite.export.bids import subject_label
from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def _validator() -> str | None:
    """The official BIDS validator (PyPI ``bids-validator-deno``, in the test extra)."""
    here = Path(sys.executable).parent / "bids-validator-deno"
    found = str(here) if here.is_file() else shutil.which("bids-validator-deno")
    if found is None:
        return None
    try:
        subprocess.run([found, "--version"], capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return found


VALIDATOR = _validator()
if VALIDATOR is None and os.environ.get("KINEWRITE_REQUIRE_BIDS_VALIDATOR"):  # CI: never skip
    raise RuntimeError("bids-validator-deno cannot run, and CI requires it")
needs_validator = pytest.mark.skipif(VALIDATOR is None,
                                     reason="bids-validator-deno cannot be installed or run")


def validate(root: Path) -> list[dict]:
    """The validator's issues for the dataset at `root` (every TSV row checked)."""
    assert VALIDATOR is not None
    done = subprocess.run([VALIDATOR, "--format", "json", "--max-rows", "-1", str(root)],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    return report["issues"]["issues"]


def errors(root: Path) -> list[str]:
    return [f"{i['code']}: {i.get('location', '')}" for i in validate(root)
            if i["severity"] == "error"]


@pytest.fixture(scope="module")
def sample_bids(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bids") / "ds"
    assert main(["export", str(SAMPLES), "--format", "bids", "-o", str(out)]) == 0
    return out


def motion_files(root: Path) -> list[Path]:
    return sorted(root.glob("sub-*/ses-*/motion/*_motion.tsv"))


def read_motion(tsv: Path) -> pd.DataFrame:
    names = pd.read_csv(str(tsv).replace("_motion.tsv", "_channels.tsv"), sep="\t")["name"]
    return pd.read_csv(tsv, sep="\t", header=None, names=list(names), na_values=["n/a"])


# ----------------------------------------------------------------------------- layout


def test_subject_labels_drop_separators_and_collisions_are_refused(tmp_path, capsys):
    assert subject_label("SIM-001") == "SIM001"
    study = tmp_path / "study"
    study.mkdir()
    for code in ("WC-1", "WC1"):
        rec = simulate_trial("lines", seed=1).recording
        with SessionWriter.create(study, code) as w:
            w.begin_trial("lines", nominal_rate_hz=133.0, input_kind="simulated",
                          channels=("t", "x", "y", "pressure", "state"))
            w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                     state=np.where(rec.pen_down, STATE_TOUCH, 1).astype(np.uint8))
            finish_trial(w)
    out = tmp_path / "ds"
    assert main(["export", str(study), "--format", "bids", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'WC-1'" in err[0] and "'WC1'" in err[0] and "sub-WC1" in err[0]
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["study"]


def test_sample_study_layout_and_channels(sample_bids):
    sub = sample_bids / "sub-SIM001"
    assert sorted(p.name for p in sub.glob("ses-*")) == [f"ses-{i}" for i in range(1, 7)]
    files = motion_files(sample_bids)
    # 6 sessions x 7 trials: a guided and a free spiral (two BIDS tasks), loops, the sentence
    # twice, circles, lines
    assert len(files) == 42
    assert {f.name.split("_task-")[1].split("_")[0] for f in files} == {
        "spiralguided", "spiralfree", "loops", "sentence", "circles", "lines"}
    first = files[0].read_text().splitlines()[0]
    assert all(_is_number(v) for v in first.split("\t"))  # no header line
    channels = pd.read_csv(str(files[0]).replace("_motion.tsv", "_channels.tsv"), sep="\t")
    assert list(channels.columns[:5]) == ["name", "component", "type", "tracked_point", "units"]
    by_name = channels.set_index("name")
    assert by_name.loc["latency", "type"] == "LATENCY" and by_name.loc["latency", "units"] == "s"
    assert tuple(by_name.loc[["pen_x", "pen_y"], "type"]) == ("POS", "POS")
    assert tuple(by_name.loc[["pen_x", "pen_y"], "units"]) == ("mm", "mm")
    assert by_name.loc["pen_pressure", "type"] == "MISC"
    sidecar = json.loads(Path(str(files[0]).replace(".tsv", ".json")).read_text())
    assert sidecar["TaskName"] in ("spiral", "loops", "sentence", "circles", "lines")
    assert sidecar["SamplingFrequency"] == 133.0
    assert sidecar["MotionChannelCount"] == len(channels)
    assert sidecar["POSChannelCount"] == 2 and sidecar["LATENCYChannelCount"] == 1
    participants = pd.read_csv(sample_bids / "participants.tsv", sep="\t")
    assert participants.to_dict("records") == [{"participant_id": "sub-SIM001",
                                                "patient_code": "SIM-001"}]
    scans = pd.read_csv(sub / "ses-1" / "sub-SIM001_ses-1_scans.tsv", sep="\t")
    assert scans["acq_time"].iloc[0] == "2025-09-08T09:32:00.000Z"
    assert all((sub / "ses-1" / f).is_file() for f in scans["filename"])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_latency_is_the_rebuilt_133_hz_clock_and_positions_are_the_stored_mm(sample_bids):
    session = load_session(sorted(SAMPLES.glob("SIM-001/session-*.h5"))[0])
    trial = session.trials[0]  # spiral, 133 Hz stamps rounded to whole ms
    tsv = next(p for p in motion_files(sample_bids)
               if "_ses-1_task-spiralguided_" in p.name)
    data = read_motion(tsv)
    assert len(data) == trial.n_samples
    np.testing.assert_array_equal(data["pen_x"], trial.channels["x"])  # identity, mm
    np.testing.assert_array_equal(data["device_time"], trial.channels["t"])
    steps_ms = np.diff(trial.channels["t"]) * 1e3
    np.testing.assert_allclose(steps_ms, np.round(steps_ms), atol=1e-6)  # whole ms
    assert np.std(steps_ms) > 0.4  # 7/8 ms steps, jitter, coalesced events
    rebuilt = np.diff(data["latency"].to_numpy())
    # the clock of a 133 Hz tablet is 1/133 s = 7.519 ms per sample, evenly
    assert np.median(rebuilt) * 1e3 == pytest.approx(1e3 / 133.0, abs=0.01)
    assert np.std(rebuilt) * 1e3 < 0.05
    assert data["latency"].iloc[0] == 0.0


def test_events_mark_the_trial_and_each_pen_down_run(sample_bids):
    for tsv in motion_files(sample_bids)[:10]:
        data = read_motion(tsv)
        events = pd.read_csv(_events_of(tsv), sep="\t")
        touch = (data["pen_state"] == STATE_TOUCH).to_numpy()
        runs = int(touch[0]) + int(np.count_nonzero(touch[1:] & ~touch[:-1]))
        assert (events["trial_type"] == "pen_down").sum() == runs
        trial = events[events["trial_type"] == "trial"].iloc[0]
        assert trial["onset"] == 0.0
        assert trial["duration"] == pytest.approx(data["latency"].max())
        down = events[events["trial_type"] == "pen_down"]
        assert np.all(data["pen_state"].to_numpy()[down["sample"].to_numpy()] == STATE_TOUCH)
        np.testing.assert_allclose(down["onset"], data["latency"].to_numpy()[down["sample"]])


def _events_of(tsv: Path) -> Path:
    stem, rest = tsv.name.split("_tracksys-tablet_")
    return tsv.with_name(f"{stem}_{rest.removesuffix('_motion.tsv')}_events.tsv")


def test_derivatives_hold_the_feature_table_keyed_by_bids_entities(sample_bids):
    table = pd.read_csv(sample_bids / "derivatives" / "kinewrite" / "features.tsv", sep="\t",
                        na_values=["n/a"])
    assert len(table) == 42
    assert list(table.columns[:4]) == ["participant_id", "session", "run", "patient_code"]
    assert set(table["session"]) == {f"ses-{i}" for i in range(1, 7)}
    session = load_session(sorted(SAMPLES.glob("SIM-001/session-*.h5"))[0])
    row = table[(table["session"] == "ses-1") & (table["task"] == "spiral")].iloc[0]
    assert row["tremor_frequency_hz"] == session.trials[0].features["tremor_frequency_hz"]


# -------------------------------------------------------------------------- validator


@needs_validator
def test_official_validator_finds_no_error_in_the_sample_study(sample_bids):
    assert errors(sample_bids) == []
    assert errors(sample_bids / "derivatives" / "kinewrite") == []


@needs_validator
def test_official_validator_finds_no_error_in_an_imported_study(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    n = 300
    rows = np.zeros((n, 7), dtype=np.int64)  # PaHaW SVC: y x t pen az alt p, 200 units/mm
    rows[:, 0] = 4000
    rows[:, 1] = np.round(np.linspace(0, 4000, n))  # 20 mm along x
    rows[:, 2] = 1_300_000_000 + np.round(np.arange(n) * 7.5)
    rows[:, 3] = (np.arange(n) // 100) % 2 == 0  # two pen-down runs, one lift
    rows[:, 4], rows[:, 5], rows[:, 6] = 900, 600, 1023 * rows[:, 3]
    svc = tmp_path / "line.svc"
    svc.write_text(f"{n}\n" + "\n".join(" ".join(map(str, r)) for r in rows) + "\n")
    assert main(["import", str(svc), "--study", str(study), "--patient", "PD_07"]) == 0
    out = tmp_path / "ds"
    assert main(["export", str(study), "--format", "bids", "-o", str(out)]) == 0
    assert errors(out) == []
    (tsv,) = motion_files(out)
    assert tsv.name.startswith("sub-PD07_ses-1_task-free_tracksys-tablet_run-1")
    data = read_motion(tsv)
    assert data["pen_x"].max() - data["pen_x"].min() == pytest.approx(20.0)  # 4000 / 200
    assert data["pen_pressure"].max() == pytest.approx(1023 / 2048)  # SVC levels 0..2048
    events = pd.read_csv(_events_of(tsv), sep="\t")
    assert (events["trial_type"] == "pen_down").sum() == 2
    scans = pd.read_csv(next(out.glob("sub-PD07/ses-1/*_scans.tsv")), sep="\t")
    assert scans["input_kind"].tolist() == ["import"]


# --------------------------------------------------------------------------- round trip


def test_import_of_the_export_round_trips_samples_and_features(sample_bids, tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    assert main(["import", str(sample_bids), "--format", "bids", "--study", str(study),
                 "--patient", "SIM-001"]) == 0
    originals = [load_session(p) for p in sorted(SAMPLES.glob("SIM-001/session-*.h5"))]
    copies = [load_session(p) for p in sorted(study.glob("SIM-001/session-*.h5"))]
    assert [s.created for s in copies] == [s.created for s in originals]
    for original, copy in zip(originals, copies, strict=True):
        assert [t.task for t in copy.trials] == [t.task for t in original.trials]
        assert [t.protocol_task for t in copy.trials] == [
            t.protocol_task for t in original.trials]  # guided and free spirals stay apart
        for a, b in zip(original.trials, copy.trials, strict=True):
            ra, rb = a.recording, b.recording
            for name in ("t", "x", "y", "pressure", "pen_down"):
                np.testing.assert_array_equal(getattr(rb, name), getattr(ra, name))
            assert rb.pressure_ceiling == ra.pressure_ceiling
            assert b.input == "import" and b.attrs["source_format"] == "bids"
            fa, fb = a.features, b.features
            assert set(fa) == set(fb)
            for k in fa:
                assert (math.isnan(fa[k]) and math.isnan(fb[k])) or fb[k] == pytest.approx(
                    fa[k], rel=1e-9, abs=1e-12), k
    # running it again imports nothing twice
    assert main(["import", str(sample_bids), "--format", "bids", "--study", str(study),
                 "--patient", "SIM-001"]) == 0
    assert len(list(study.glob("SIM-001/session-*.h5"))) == 6


def test_force_calibration_gives_a_newton_channel_and_survives_the_round_trip(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    cal = Calibration(pressure_max=1023.0, pressure_saturation=1000.0,
                      pressure_newton_coeffs=(2.0, 0.5, 0.0), tare_N=0.1,
                      source="test stylus")
    rec = simulate_trial("loops", seed=3).recording
    levels = np.round(rec.pressure * 1000.0)
    with SessionWriter.create(study, "WC-9", calibration=cal) as w:
        w.begin_trial("loops", nominal_rate_hz=133.0, input_kind="tablet",
                      channels=("t", "x", "y", "pressure", "state", "tilt_x", "tilt_y"))
        w.append(t=rec.t, x=rec.x, y=rec.y, pressure=levels,
                 state=np.where(rec.pen_down, STATE_TOUCH, 1).astype(np.uint8),
                 tilt_x=np.full(rec.n_samples, 20.0, dtype=np.float32),
                 tilt_y=np.full(rec.n_samples, -5.0, dtype=np.float32))
        finish_trial(w)
    out = tmp_path / "ds"
    assert main(["export", str(study), "--format", "bids", "-o", str(out)]) == 0
    (tsv,) = motion_files(out)
    data = read_motion(tsv)
    fraction = levels / 1023.0
    np.testing.assert_allclose(data["pen_force"], 2.0 * fraction**2 + 0.5 * fraction - 0.1,
                               rtol=1e-12)
    channels = pd.read_csv(str(tsv).replace("_motion.tsv", "_channels.tsv"),
                           sep="\t").set_index("name")
    assert channels.loc["pen_force", "units"] == "N"
    assert tuple(channels.loc[["tilt_x", "tilt_y"], "type"]) == ("ORNT", "ORNT")
    assert data["tilt_x"].eq(20.0).all()
    if VALIDATOR is not None:
        assert errors(out) == []
    back = tmp_path / "back"
    back.mkdir()
    assert main(["import", str(out), "--format", "bids", "--study", str(back),
                 "--patient", "WC-9"]) == 0
    (copy,) = [load_session(p) for p in back.glob("WC-9/session-*.h5")]
    original = load_session(next(study.glob("WC-9/session-*.h5")))
    assert copy.calibration.pressure_newton_coeffs == cal.pressure_newton_coeffs
    assert copy.calibration.tare_N == cal.tare_N
    ra, rb = original.trials[0].recording, copy.trials[0].recording
    np.testing.assert_array_equal(rb.pressure, ra.pressure)
    assert rb.pressure_ceiling == pytest.approx(ra.pressure_ceiling)
    fa, fb = original.trials[0].features, copy.trials[0].features
    for k in fa:
        assert (math.isnan(fa[k]) and math.isnan(fb[k])) or fb[k] == pytest.approx(
            fa[k], rel=1e-9, abs=1e-12), k


def test_bids_import_refuses_a_damaged_file_and_writes_nothing(sample_bids, tmp_path, capsys):
    ds = tmp_path / "ds"
    shutil.copytree(sample_bids, ds)
    victim = motion_files(ds)[7]
    lines = victim.read_text().splitlines()
    lines[10] = "1.0\tabc"
    victim.write_text("\n".join(lines) + "\n")
    study = tmp_path / "study"
    study.mkdir()
    assert main(["import", str(ds), "--format", "bids", "--study", str(study),
                 "--patient", "SIM-001"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and victim.name in err[0]
    assert list(study.iterdir()) == []


def test_bids_import_refuses_an_unknown_pen_state(sample_bids, tmp_path, capsys):
    ds = tmp_path / "ds"
    shutil.copytree(sample_bids, ds)
    victim = motion_files(ds)[3]
    data = read_motion(victim)
    data.loc[5, "pen_state"] = 7
    data.to_csv(victim, sep="\t", header=False, index=False, na_rep="n/a")
    study = tmp_path / "study"
    study.mkdir()
    assert main(["import", str(ds), "--format", "bids", "--study", str(study),
                 "--patient", "SIM-001"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and victim.name in err[0] and "pen_state" in err[0] and "row 6" in err[0]
    assert list(study.iterdir()) == []


def test_rebuilt_latency_maps_duplicates_and_unsorted_samples():
    from kinewrite.export.bids_motion import rebuilt_latency

    t = np.array([0.0, 0.008, 0.008, 0.015, 0.030, 0.023])  # a duplicate, one out of order
    x = np.array([0.0, 1.0, 1.0, 2.0, 4.0, 3.0])
    pen = np.ones(6, dtype=bool)
    latency, clock = rebuilt_latency(t, pen, [x, x], None)
    assert latency[1] == latency[2]  # the exact duplicate shares its twin's time
    order = np.argsort(t, kind="stable")
    assert np.all(np.diff(latency[order]) >= 0)
    assert latency[0] == 0.0 and clock.t.size == 5
    np.testing.assert_allclose(latency[[0, 1, 3, 5, 4]], clock.t - clock.t[0])


def test_unreadable_session_files_stop_the_export_one_line_each(tmp_path, capsys):
    study = tmp_path / "study"
    shutil.copytree(SAMPLES, study)
    victims = sorted(study.glob("*/session-*.h5"))[1:3]
    for victim in victims:
        victim.write_bytes(b"not hdf5")
    out = tmp_path / "ds"
    assert main(["export", str(study), "--format", "bids", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and victims[0].name in err[0] and victims[1].name in err[1]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]  # no hidden leftover


def test_a_trial_with_invalid_samples_is_left_out_and_named(tmp_path, capsys):
    study = tmp_path / "study"
    study.mkdir()
    good = simulate_trial("lines", seed=5).recording
    with SessionWriter.create(study, "WC-5") as w:
        for x in (good.x, np.where(np.arange(good.n_samples) == 7, np.nan, good.x), good.x):
            w.begin_trial("lines", nominal_rate_hz=133.0, input_kind="tablet",
                          channels=("t", "x", "y", "state"))
            w.append(t=good.t, x=x, y=good.y,
                     state=np.where(good.pen_down, STATE_TOUCH, 1).astype(np.uint8))
            finish_trial(w)
    out = tmp_path / "ds"
    assert main(["export", str(study), "--format", "bids", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "trial 002" in err[0] and "non-finite" in err[0]
    files = motion_files(out)
    assert [f.name.split("_run-")[1] for f in files] == ["1_motion.tsv", "2_motion.tsv"]
    scans = pd.read_csv(next(out.glob("sub-WC5/ses-1/*_scans.tsv")), sep="\t")
    assert scans["kinewrite_trial"].tolist() == [1, 3]
    table = pd.read_csv(out / "derivatives" / "kinewrite" / "features.tsv", sep="\t")
    assert table[["trial", "run"]].values.tolist() == [[1, 1], [3, 2]]
    if VALIDATOR is not None:
        assert errors(out) == []
