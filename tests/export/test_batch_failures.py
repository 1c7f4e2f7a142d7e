"""One bad file never aborts a batch: hostile session files (real files written by
SessionWriter, then corrupted with h5py) become one problem line each in ``kinewrite
export``, ``kinewrite report`` and ``kinewrite analyze``, the other files are processed, and
the exit code is 2. The analysis refuses a grid beyond its bound before allocating it."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from kinewrite import Recording, RecordingError, feature_names
from kinewrite.analysis import preprocess as pp
from kinewrite.export import ExportOptions, collect_rows, rows_to_frame, session_paths
from kinewrite.gui.report_charts import quiet_all_nan_bounds
from kinewrite.progress import ProgressError, load_progress
from kinewrite.simulate import simulate_trial
from kinewrite.storage.schema import MAX_FEATURE_ROW, STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

CLI = [sys.executable, "-m", "kinewrite.cli"]


def _limit_memory(limit_bytes: int = 2 << 30):
    """A child's address space limit: a regression fails with MemoryError instead of taking
    the machine's memory (before the bound, 20 samples took 24 GB)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


# --------------------------------------------------------------------- analysis grid bound


def test_grid_beyond_the_bound_is_refused_before_allocating() -> None:
    t = np.arange(20) * 1e5  # 20 samples 1e5 s apart: no gap, one 1.9e6 s segment
    rec = Recording(t=t, x=np.cos(np.arange(20)), y=np.sin(np.arange(20)))
    tracemalloc.start()
    try:
        with pytest.raises(RecordingError) as info:
            pp.resample_segments(t, (rec.x, rec.y), pp.Segments(np.array([0]), np.array([20])),
                                 200.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "\n" not in message and "380,000,001 samples" in message
    assert f"{pp.MAX_GRID_SAMPLES:,}" in message and "4 h at 200 Hz" in message
    assert peak < 1 << 20  # nothing of the grid's size (2.8 GiB an array) was allocated


def test_grid_at_the_bound_is_built() -> None:
    t = np.arange(11) * 0.1  # one segment of 1 s: 201 grid samples at 200 Hz
    seg = pp.Segments(np.array([0]), np.array([11]))
    t_grid, out, _ = pp.resample_segments(t, (t,), seg, 200.0, max_samples=201)
    assert t_grid.size == 201 and np.allclose(out[0], t_grid)
    with pytest.raises(RecordingError, match="201 samples"):
        pp.resample_segments(t, (t,), seg, 200.0, max_samples=200)


def test_far_apart_timestamps_in_a_csv_are_one_line_exit_2(tmp_path: Path) -> None:
    csv = tmp_path / "far.csv"
    rows = "".join(f"{i * 1e5},{np.cos(i):.6f},{np.sin(i):.6f},0.5,1\n" for i in range(20))
    csv.write_text("t,x,y,pressure,pen_down\n" + rows, encoding="utf-8")
    r = subprocess.run([*CLI, "analyze", str(csv)], capture_output=True, text=True,
                       timeout=120, preexec_fn=_limit_memory())
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"kinewrite: {csv}: the pen-down segments span 1,900,000 s")
    assert "timestamps in seconds" in line


# ------------------------------------------------------------------- hostile session files

GOOD = "WC-017"  # two good sessions and one hostile one
HOSTILE_OF_GOOD = "compound"


def _session(study: Path, code: str, created: str, tasks=("loops", "spiral")) -> Path:
    """A real session written by SessionWriter: one trial per task, features cached."""
    with SessionWriter.create(study, code, {"hand": "right"}, created=created) as w:
        for k, task in enumerate(tasks):
            rec = simulate_trial(task, 3.0, seed=k, tremor_hz=6.0, tremor_mm=0.2).recording
            w.begin_trial(task, 133.0, "tablet", channels=("t", "x", "y", "pressure", "state"))
            w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                     state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
            finish_trial(w, "complete")
        w.add_clinical("WCRS", {"writing_movement": 2, "speed": 1}, created[:10])
    return w.path


def _channel(g: h5py.Group, name: str, data: np.ndarray) -> None:
    del g[name]
    g.create_dataset(name, data=data)


def _stale(g: h5py.Group) -> None:
    """Make the trial's cached features stale: readers analyze its samples again."""
    g["features"].attrs["analysis_version"] = "0-old"


def _row(g: h5py.Group, **kw) -> None:
    del g["features"]["values"]
    g["features"].create_dataset("values", **kw)


def _compound(f, g):
    _channel(g, "x", np.zeros(g["t"].shape[0], dtype=[("a", "f8"), ("b", "i4")]))


def _vlen(f, g):
    _channel(g, "y", np.array(["1.5"] * g["t"].shape[0], dtype=h5py.string_dtype()))


def _complex(f, g):
    _channel(g, "pressure", np.zeros(g["t"].shape[0], dtype=complex))


def _two_d(f, g):
    _channel(g, "x", np.zeros((g["t"].shape[0], 2)))


def _far(f, g):
    _channel(g, "t", np.arange(g["t"].shape[0]) * 1e5)
    _stale(g)


def _status_int(f, g):
    g.attrs["status"] = np.arange(3)


def _task_int(f, g):
    g.attrs["task"] = np.arange(3)


def _calibration_array(f, g):
    f["calibration"].attrs["x_mm_per_unit"] = np.arange(3.0)


def _other_patient(f, g):
    f.attrs["patient_code"] = "WC-018"  # a file of WC-018 in another patient's folder


def _created(f, g):
    f.attrs["created"] = "2024-01-01T00:00:00.000Z"  # not the time its name says


def _items_not_json(f, g):
    f["clinical"]["001"].attrs["items"] = "{not json"


def _row_inflated(f, g):
    _row(g, shape=(10**9,), maxshape=(None,), chunks=(4096,), dtype="f8")


def _row_long(f, g):
    n = MAX_FEATURE_ROW + 1  # one more than the bound
    _row(g, data=np.zeros(n))
    g["features"]["values"].attrs["names"] = np.array([f"f{i}" for i in range(n)],
                                                     dtype=h5py.string_dtype())


def _row_strings(f, g):
    names = g["features"]["values"].attrs["names"]
    _row(g, data=np.array(["1"] * len(names), dtype=h5py.string_dtype()))
    g["features"]["values"].attrs["names"] = names


#: corruption -> what its one problem line says (None: exported, the trial's analysis_error
#: says why it has no numbers).
HOSTILE = {
    "compound": "trial 001: channel x holds [('a', '<f8'), ('b', '<i4')] values, not numbers",
    "vlen": "trial 001: channel y holds object values, not numbers",
    "complex": "trial 001: channel pressure holds complex128 values, not numbers",
    "two_d": "trial 001: channel x has shape (400, 2), not one value per sample",
    "status_int": "trial 001: unknown status '[0 1 2]': damaged file",
    "task_int": "trial 001: unknown task '[0 1 2]': damaged file",
    "calibration_array": "damaged session file",
    "other_patient": "holds patient 'WC-018' but lies in folder",
    "created": "its name does not match its stored creation time",
    "items_not_json": "damaged session file",
    "row_inflated": "features/values declares 8,000,000,000 bytes of samples but stores 0",
    "row_long": "features/values is not a row of at most",
    "row_strings": "features/values is not a row of at most",
    "far": None,
}
_CORRUPT = {"compound": _compound, "vlen": _vlen, "complex": _complex, "two_d": _two_d,
            "far": _far, "status_int": _status_int, "task_int": _task_int,
            "calibration_array": _calibration_array, "other_patient": _other_patient,
            "created": _created, "items_not_json": _items_not_json,
            "row_inflated": _row_inflated, "row_long": _row_long, "row_strings": _row_strings}


def _code(kind: str) -> str:
    return f"HX-{sorted(HOSTILE).index(kind) + 1:02d}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, Path], list[Path]]:
    """A study: patient WC-017 with two good sessions and a hostile one, and one patient
    per hostile kind (HX-01 ...) holding that one file; returns (study, kind -> path, the
    good files)."""
    study = tmp_path_factory.mktemp("hostile") / "study"
    good = [_session(study, GOOD, "2025-01-06T09:00:00Z"),
            _session(study, GOOD, "2025-02-03T09:00:00Z")]
    paths = {}
    for kind in HOSTILE:
        code = GOOD if kind == HOSTILE_OF_GOOD else _code(kind)
        created = "2025-03-03T09:00:00Z" if kind == HOSTILE_OF_GOOD else "2025-01-13T09:00:00Z"
        path = _session(study, code, created)
        with h5py.File(path, "r+") as f:
            _CORRUPT[kind](f, f["trials"]["001"])
        paths[kind] = path
    return study, paths, good


def _lines_naming(stderr: str, path: Path) -> list[str]:
    return [line for line in stderr.splitlines() if str(path) in line]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_export_names_each_hostile_file_in_one_line_and_exports_the_rest(hostile, tmp_path,
                                                                         workers):
    study, paths, good = hostile
    out = tmp_path / "t.csv"
    r = subprocess.run([*CLI, "export", str(study), "-o", str(out), "--workers", workers],
                       capture_output=True, text=True, timeout=300,
                       preexec_fn=_limit_memory(4 << 30))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    refused = [kind for kind, why in HOSTILE.items() if why]
    for kind in refused:
        (line,) = _lines_naming(r.stderr, paths[kind])
        assert line.startswith(f"kinewrite: {paths[kind]}: ") and HOSTILE[kind] in line, line
    assert r.stderr.splitlines()[-1] == (f"kinewrite: {len(refused)} session file(s) could "
                                         f"not be read and are not in {out}")
    assert len(r.stderr.splitlines()) == len(refused) + 1
    table = pd.read_csv(out)
    files = set(table["session_file"])
    expected = {p.relative_to(study).as_posix() for p in [*good, paths["far"]]}
    assert files == expected
    far = table[table["session_file"] == paths["far"].relative_to(study).as_posix()]
    first = far[far["trial"] == 1].iloc[0]
    assert "are the timestamps in seconds?" in first["analysis_error"]
    assert np.isnan(first["duration_s"]) and far[far["trial"] == 2]["duration_s"].notna().all()


def test_report_and_progress_leave_out_what_the_export_leaves_out(hostile):
    """Every hostile file is one problem line of the patient's report, the same line as the
    export's; a readable patient's numbers are the export's, number for number."""
    study, paths, good = hostile
    rows, problems = collect_rows(session_paths(study), ExportOptions(str(study)), workers=1)
    by_file = {line.split(": ")[0]: line for line in problems}
    for kind, why in HOSTILE.items():
        if kind == HOSTILE_OF_GOOD or kind == "other_patient":
            continue
        if why is None:
            assert len(load_progress(study, _code(kind), verify=True).sessions) == 1
            continue
        with pytest.raises(ProgressError) as err:
            load_progress(study, _code(kind), verify=True)
        assert err.value.problems == [by_file[str(paths[kind])]], kind
    # the patient with two good sessions and a hostile one: the two, and one problem line
    p = load_progress(study, GOOD, verify=True)
    assert [s.path for s in p.sessions] == good
    assert p.problems == [by_file[str(paths[HOSTILE_OF_GOOD])]]
    exported = rows_to_frame(rows)
    merged = p.table.merge(exported, on=["session_id", "trial"], suffixes=("", "_x"))
    assert len(merged) == len(p.table) == 4
    for name in feature_names():
        np.testing.assert_array_equal(merged[name].to_numpy(float),
                                      merged[f"{name}_x"].to_numpy(float), err_msg=name)


def test_a_file_of_another_patient_in_the_folder_is_left_out(hostile):
    study, paths, _ = hostile
    with pytest.raises(ProgressError) as err:
        load_progress(study, _code("other_patient"), verify=True)
    (line,) = err.value.problems
    assert line.startswith(f"{paths['other_patient']}: holds patient 'WC-018' but lies in "
                           f"folder '{_code('other_patient')}'")
    with pytest.raises(ProgressError, match="no session of patient 'WC-018'"):
        load_progress(study, "WC-018")  # its stored code: not shown under it either


def _run_report(study: Path, code: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "report", "--study", str(study), "--patient", code, "-o",
                           str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


@pytest.mark.qt
def test_report_is_written_without_the_damaged_session_exit_2(hostile, tmp_path):
    study, paths, _ = hostile
    out = tmp_path / "r.html"
    r = _run_report(study, GOOD, out)
    assert r.returncode == 2, r.stderr
    bad = paths[HOSTILE_OF_GOOD]
    assert r.stderr.splitlines() == [
        f"kinewrite: {bad}: {HOSTILE[HOSTILE_OF_GOOD]}: damaged or hostile file",
        f"kinewrite: 1 session file(s) could not be read and are not in {out}"]
    text = out.read_text(encoding="utf-8")
    assert "2 sessions from 2025-01-06 to 2025-02-03" in text and "2025-03-03" not in text


def test_report_of_only_a_damaged_session_writes_nothing(hostile, tmp_path):
    study, paths, _ = hostile
    out = tmp_path / "r.html"
    r = _run_report(study, _code("vlen"), out)
    assert r.returncode == 2 and not out.exists() and list(tmp_path.iterdir()) == []
    assert r.stderr.splitlines() == [
        f"kinewrite: {paths['vlen']}: {HOSTILE['vlen']}: damaged or hostile file",
        f"kinewrite: {study}: no session of patient '{_code('vlen')}' could be read "
        "(1 left out)"]


@pytest.mark.qt
def test_successful_report_prints_no_warning(tmp_path):
    """A patient whose key measures are NaN in every session (no tremor detected: a plain
    simulated writer) made pyqtgraph print "RuntimeWarning: All-NaN slice encountered"."""
    study = tmp_path / "study"
    for created in ("2025-01-06T09:00:00Z", "2025-02-03T09:00:00Z"):
        with SessionWriter.create(study, "WC-020", created=created) as w:
            for task in ("spiral", "loops"):
                rec = simulate_trial(task, 3.0, seed=1).recording
                w.begin_trial(task, 133.0, "tablet", channels=("t", "x", "y", "state"))
                w.append(t=rec.t, x=rec.x, y=rec.y,
                         state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
                finish_trial(w, "complete")
    p = load_progress(study, "WC-020")
    assert p.table["tremor_amplitude_pp_mm"].isna().all()  # the case that warned
    out = tmp_path / "r.html"
    r = _run_report(study, "WC-020", out)
    assert r.returncode == 0 and r.stdout.strip() == str(out)
    assert r.stderr == ""


def test_only_the_all_nan_warning_of_pyqtgraph_is_filtered():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_all_nan_bounds():
            for module, message in (("pyqtgraph.graphicsItems.ScatterPlotItem",
                                     "All-NaN slice encountered"),
                                    ("pyqtgraph.graphicsItems.ScatterPlotItem",
                                     "Mean of empty slice"),
                                    ("kinewrite.progress", "All-NaN slice encountered")):
                warnings.warn_explicit(message, RuntimeWarning, "x.py", 1, module=module)
    assert [(str(w.message)) for w in seen] == ["Mean of empty slice",
                                                "All-NaN slice encountered"]


def test_analyze_gives_each_hostile_file_one_line_and_goes_on(hostile):
    _, paths, good = hostile
    files = [good[0], *paths.values(), good[1]]
    r = subprocess.run([*CLI, "analyze", "--json", *map(str, files)], capture_output=True,
                       text=True, timeout=300, preexec_fn=_limit_memory(4 << 30))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    # analyze reads files wherever they lie: folder, name and stored code are export's
    # checks; a trial it cannot analyze (far-apart timestamps) is the file's line
    study_only = {"other_patient", "created"}
    for kind, path in paths.items():
        lines = _lines_naming(r.stderr, path)
        if kind in study_only:
            assert lines == []
            continue
        (line,) = lines
        assert (HOSTILE[kind] or "are the timestamps in seconds?") in line, line
    analyzed = {row["file"] for row in json.loads(r.stdout)}
    assert analyzed == {str(p) for p in [*good, *(paths[k] for k in study_only)]}


# --------------------------------------------------------------------- out of memory


def _under_memory_limit(extra_mb: int, *argv: str) -> subprocess.CompletedProcess:
    """``kinewrite ARGV`` with an address-space limit `extra_mb` above what the imported
    program already takes: a real MemoryError, raised where the allocation fails."""
    code = (
        "import resource, sys\n"
        "import numpy, kinewrite.cli, kinewrite.export, scipy.signal, pandas, h5py\n"
        "a = numpy.ones((512, 512))  # OpenBLAS takes its buffers now: one it fails to take\n"
        "a @ a  # later exits the process ('OpenBLAS error: Memory allocation still failed')\n"
        "vm = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status')\n"
        "          if l.startswith('VmSize'))\n"
        f"limit = vm + ({extra_mb} << 20)\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "sys.exit(kinewrite.cli.main(sys.argv[1:]))\n")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_out_of_memory_on_one_file_is_its_line_the_rest_goes_on(tmp_path):
    """A 2-hour trial (1e6 samples) to analyze again needs ~300 MB; under a 200 MB margin
    the analysis of that file runs out of memory, the small file is still exported."""
    study = tmp_path / "study"
    paths = {}
    for code, n in (("BIG-001", 1_000_000), ("OK-001", 2_000)):
        with SessionWriter.create(study, code) as w:
            w.begin_trial("circles", 133.0, "tablet", channels=("t", "x", "y", "state"))
            t = np.arange(n) / 133.0
            w.append(t=t, x=20 * np.cos(t), y=20 * np.sin(t), state=np.full(n, STATE_TOUCH))
            w.end_trial("complete")
        paths[code] = w.path
    out = tmp_path / "t.csv"
    r = _under_memory_limit(200, "export", str(study), "-o", str(out), "--workers", "1")
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0].startswith(
        f"kinewrite: {paths['BIG-001']}: not enough memory to read or analyze it (MemoryError")
    assert list(pd.read_csv(out)["patient_code"]) == ["OK-001"]
    r = _under_memory_limit(200, "analyze", str(paths["BIG-001"]), str(paths["OK-001"]))
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"kinewrite: {paths['BIG-001']}: not enough memory")
    assert f"{paths['OK-001']}  (task: circles, trial 001 (complete))" in r.stdout
