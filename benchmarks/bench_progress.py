"""Time to open a patient's progress over many sessions: the table and the Progress view.

``python benchmarks/bench_progress.py [--sessions 200] [--json OUT]``. Builds a study of
N sessions of one patient in a temporary folder by copying the bundled sample study's
session files (7 trials each, features cached) with fresh ids and dates one week apart, then
measures, reading features only (no sample, no recomputation):

- ``load_progress`` (the progress table, events and scales), first and repeated runs;
- the Progress view: construct, show offscreen and draw the default plots.

Results go to ``benchmarks/results/progress.json``. The issue's target: under 1 s for 200
sessions on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import h5py

import _machine
from kinewrite.progress import load_progress
from kinewrite.storage.naming import session_filename
from kinewrite.storage.study_index import INDEX_NAME

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "study" / "SIM-001"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "progress.json"
PATIENT = "SIM-001"


def build_study(folder: Path, n: int) -> None:
    sources = sorted(SAMPLE.glob("session-*.h5"))
    target = folder / PATIENT
    target.mkdir(parents=True)
    start = datetime(2022, 1, 3, 9, 30, tzinfo=UTC)
    for i in range(n):
        created = (start + timedelta(weeks=i)).isoformat(timespec="milliseconds")
        created = created.replace("+00:00", "Z")
        sid = uuid.uuid4().hex
        path = target / session_filename(created, sid)
        shutil.copyfile(sources[i % len(sources)], path)
        with h5py.File(path, "r+") as f:
            f.attrs["created"] = created
            f.attrs["session_id"] = sid


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args()
    from kinewrite.gui.plots import ensure_app
    from kinewrite.gui.progress import ProgressView

    app = ensure_app()
    with tempfile.TemporaryDirectory(prefix="kinewrite-bench-progress-") as tmp:
        study = Path(tmp)
        build_study(study, args.sessions)
        index = study / INDEX_NAME

        def cold_table() -> None:
            index.unlink(missing_ok=True)  # every file read again (the index rebuilt)
            load_progress(study, PATIENT)

        cold_s = timed(cold_table, args.repeat)
        table_s = timed(lambda: load_progress(study, PATIENT), args.repeat)
        p = load_progress(study, PATIENT)
        assert len(p.sessions) == args.sessions and p.recomputed == 0

        def open_view() -> None:
            view = ProgressView(study, PATIENT)
            view.resize(1400, 900)
            view.show()
            app.processEvents()
            assert len(view.plotted_series()["pressure_mean_N"][1]) == args.sessions
            view.close()
            view.deleteLater()
            app.processEvents()

        view_s = timed(open_view, args.repeat)

        def cold_view() -> None:
            index.unlink(missing_ok=True)
            open_view()

        cold_view_s = timed(cold_view, args.repeat)
    result = {
        "sessions": args.sessions, "trials": len(p.table),
        "load_progress_s": {"first": table_s[0], "median": sorted(table_s)[len(table_s) // 2]},
        "progress_view_s": {"first": view_s[0], "median": sorted(view_s)[len(view_s) // 2]},
        "load_progress_no_index_s": {"first": cold_s[0],
                                     "median": sorted(cold_s)[len(cold_s) // 2]},
        "progress_view_no_index_s": {"first": cold_view_s[0],
                                     "median": sorted(cold_view_s)[len(cold_view_s) // 2]},
        "machine": _machine.machine_info(("kinewrite", "numpy", "pandas", "h5py", "PyQt6",
                                          "pyqtgraph")),
    }
    print(f"{args.sessions} sessions, {result['trials']} trials (features cached, no samples "
          "read)")
    for label, key in (("progress table, study index", "load_progress_s"),
                       ("progress table, no index (every file read)", "load_progress_no_index_s"),
                       ("Progress view open + drawn, study index", "progress_view_s"),
                       ("Progress view open + drawn, no index", "progress_view_no_index_s")):
        r = result[key]
        print(f"  {label:<44} first {r['first'] * 1000:5.0f} ms, median "
              f"{r['median'] * 1000:5.0f} ms")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
