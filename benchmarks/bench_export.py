"""Throughput of ``kinewrite export``: local processes against a Dask cluster, cold and warm.

Usage: ``python benchmarks/bench_export.py [--trials N] [--study-dir DIR] [--repeat R]
[--one-reader] [--json OUT]``. Prints the machine and a table of trials/s, and writes
everything as JSON (default ``benchmarks/results/export.json``). With the default 1000
trials a run takes about 1.5 minutes per repeat (the 145 MB study is built once, in
seconds). ``--trials 10000`` gives issue-level numbers: it first builds a 10x larger study
(about a minute on 2 cores, 1.5 GB of disk, reused afterwards), then takes about 8 minutes
per repeat.

Method
------
Study
    N simulated trials of 30 s (``--seconds``) at 133 Hz: N/10 patients x 2 sessions x 5
    tasks (spiral, loops, sentence, circles, lines), written through ``SessionWriter`` as a
    recording would be, which caches every trial's features in its file; every other patient
    has a 5-7 Hz tremor. Seeds are fixed, so a study is the same on every machine. It is built
    once into ``--study-dir`` (default: the temp folder, ``kinewrite-bench-export-<N>x<s>s``),
    marked by ``BENCH.json`` (size, kinewrite and analysis version) and reused while the marker
    matches; ``--rebuild`` rebuilds a marked folder. Building runs in parallel and is timed
    separately.
Runs
    ``python -m kinewrite.cli export STUDY -o OUT.csv`` as a subprocess, timed from launch to
    exit (``time.perf_counter``): what a user waits for, including interpreter start, imports,
    the process pool or the connection to the cluster, reading every file and writing the CSV.
    Configurations: local with ``--workers 1`` (in the exporting process) and ``--workers 2``
    (a process pool); a Dask ``LocalCluster`` of 1 and 2 worker processes, one thread each,
    via ``--scheduler``. The cluster is started, and its workers import kinewrite, before the
    timing (a standing cluster is warm); it is closed after its runs. Last, ``--workers 2
    --isolate``: every file read in a child process of its own (the price of reading files
    from an untrusted source).
Cold and warm
    Cold: ``--recompute``, every trial's features computed. Warm: the features cached in the
    files are reused (same analysis version), so the run is reading and writing. "Cold" is
    about the feature cache, not the OS page cache: the files were read before and are likely
    in memory.
Repeats
    Each (configuration, mode) runs ``--repeat`` times (default 1); the best is reported.
    Every output must be byte-identical to the first (checked, reported as ``identical``).
Other load
    The 1-minute load average before each run is printed and kept in the JSON
    (``load_before``). It decays slowly and includes this benchmark's own previous run (about
    1 to 1.5 on 2 cores), so read it against the neighbouring runs: a value well above theirs
    means other work shared the machine, and that run's number is doubtful.
One reader against the analysis (``--one-reader``, issue 16 item 5)
    Instead of the table: the warm export with ``--workers 1`` (best of ``--repeat``), and
    the analysis of the same recordings from memory: every trial's samples read beforehand
    (one file at a time, not timed), then ``extract_features`` of each timed in this process
    (wall and CPU; the export's CPU is its process's, from ``getrusage``). Reported side by
    side with their ratios (export / analysis), wall and CPU: on a shared machine the CPU
    times are the steadier.
Threads
    ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set to 1 before
    numpy is imported; the subprocesses and cluster workers inherit them, so one worker is one
    core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported anywhere

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py, next to this script)
from kinewrite import ANALYSIS_VERSION, __version__  # noqa: E402
from kinewrite.simulate import simulate_trial  # noqa: E402
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH  # noqa: E402
from kinewrite.storage.writer import SessionWriter  # noqa: E402
from kinewrite.trial_features import finish_trial  # noqa: E402

TASKS = ("spiral", "loops", "sentence", "circles", "lines")
SESSIONS_PER_PATIENT = 2
TRIALS_PER_PATIENT = SESSIONS_PER_PATIENT * len(TASKS)
RATE_HZ = 133.0
MARKER = "BENCH.json"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "export.json"
CONFIGS: tuple[tuple[str, int], ...] = (("local", 1), ("local", 2), ("dask", 1), ("dask", 2),
                                        ("isolated", 2))
MODES = ("cold", "warm")
CLI = [sys.executable, "-m", "kinewrite.cli"]


# ------------------------------------------------------------------------------- study


def _patient(study: str, index: int, seconds: float) -> int:
    """Write one patient's sessions; returns the number of trials written."""
    code = f"B{index:05d}"
    tremor = {"tremor_hz": 5.0 + (index % 3), "tremor_mm": 0.15} if index % 2 else {}
    for s in range(SESSIONS_PER_PATIENT):
        with SessionWriter.create(study, code, {"hand": "right", "site": "bench"}) as w:
            for k, task in enumerate(TASKS):
                seed = (index * SESSIONS_PER_PATIENT + s) * len(TASKS) + k
                rec = simulate_trial(task, seconds, seed=seed, **tremor).recording
                w.begin_trial(task, nominal_rate_hz=RATE_HZ, input_kind="simulated",
                              channels=("t", "x", "y", "pressure", "state"))
                w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                         state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
                finish_trial(w, "complete")  # caches the features, as a recording does
    return TRIALS_PER_PATIENT


def _marker(trials: int, seconds: float) -> dict[str, Any]:
    return {"trials": trials, "seconds": seconds, "kinewrite": __version__,
            "analysis_version": ANALYSIS_VERSION}


def ensure_study(folder: Path, trials: int, seconds: float, rebuild: bool) -> float | None:
    """Build the study unless a matching one is there; returns the build time (None: reused).

    Raises
    ------
    SystemExit
        If `folder` holds something that is not a benchmark study of this script.
    """
    marker = folder / MARKER
    wanted = _marker(trials, seconds)
    if marker.is_file():
        if json.loads(marker.read_text()) == wanted and not rebuild:
            return None
        shutil.rmtree(folder)  # our own, marked study: safe to rebuild
    elif folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} is not empty and not a study of this benchmark; "
                         "choose another --study-dir")
    folder.mkdir(parents=True, exist_ok=True)
    patients = trials // TRIALS_PER_PATIENT
    print(f"building {trials} trials of {seconds:g} s ({patients} patients) in {folder} ...",
          flush=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        done = sum(pool.map(_patient, [str(folder)] * patients, range(patients),
                            [seconds] * patients))
    elapsed = time.perf_counter() - start
    assert done == trials
    marker.write_text(json.dumps(wanted))
    print(f"built in {elapsed:.0f} s", flush=True)
    return elapsed


# ------------------------------------------------------------------------------ timing


def load_1min() -> float | None:
    """The 1-minute load average (None where the OS has none): other work on the machine."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def export_once(study: Path, out: Path, mode: str, where: list[str]) -> float:
    """Seconds of one ``kinewrite export`` subprocess (raises if it fails)."""
    args = [*CLI, "export", str(study), "-o", str(out), *where]
    if mode == "cold":
        args.append("--recompute")
    start = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError(f"export failed ({r.returncode}): {r.stderr.strip()}")
    return elapsed


@contextlib.contextmanager
def target(kind: str, workers: int):
    """The export arguments of one configuration (a Dask cluster lives for the block)."""
    if kind == "local":
        yield ["--workers", str(workers)]
        return
    if kind == "isolated":
        yield ["--workers", str(workers), "--isolate"]
        return
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(importlib.import_module, "kinewrite.export")  # warm workers
        yield ["--scheduler", cluster.scheduler_address]


def run_all(study: Path, trials: int, repeat: int, scratch: Path) -> list[dict[str, Any]]:
    """Every configuration and mode; checks that every output is identical."""
    results, reference = [], None
    for kind, workers in CONFIGS:
        with target(kind, workers) as where:
            for mode in MODES:
                times, loads = [], []
                for i in range(repeat):
                    out = scratch / f"{kind}{workers}-{mode}-{i}.csv"
                    loads.append(load_1min())
                    times.append(export_once(study, out, mode, where))
                    data = out.read_bytes()
                    reference = data if reference is None else reference
                    identical = data == reference
                    out.unlink()
                    if not identical:
                        raise RuntimeError(f"{kind} x{workers} {mode}: output differs")
                best = min(times)
                results.append({"executor": kind, "workers": workers, "mode": mode,
                                "best_s": best, "times_s": times, "load_before": loads,
                                "trials_per_s": trials / best, "identical": True})
                load = max((x for x in loads if x is not None), default=float("nan"))
                print(f"  {kind:5} x{workers} {mode}: {best:7.2f} s  "
                      f"{trials / best:8.1f} trials/s  (load before <= {load:.2f})",
                      flush=True)
    return results


def analysis_from_memory(study: Path) -> dict[str, float]:
    """Seconds (wall, CPU) of ``extract_features`` on every trial of `study`, its samples
    already in memory (each file is read before its trials are timed; reading is not)."""
    from kinewrite.analysis.features import extract_features
    from kinewrite.storage.calibration import trial_guide_mm
    from kinewrite.storage.reader import load_session
    from kinewrite.storage.study import SESSION_GLOB

    wall = cpu = 0.0
    trials = 0
    for path in sorted(study.glob(SESSION_GLOB)):
        work = [(t.recording, t.task, trial_guide_mm(t.attrs, t.calibration))
                for t in load_session(path).trials]
        start, start_cpu = time.perf_counter(), time.process_time()
        for recording, task, guide in work:
            extract_features(recording, task=task, guide_xy_mm=guide)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        trials += len(work)
    return {"wall_s": wall, "cpu_s": cpu, "trials": trials}


def one_reader(study: Path, trials: int, repeat: int, scratch: Path) -> dict[str, Any]:
    """The warm export with one reader against the analysis of the same trials in memory."""
    import resource

    times, cpus, loads = [], [], []
    for i in range(repeat):
        loads.append(load_1min())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(export_once(study, scratch / f"warm-{i}.csv", "warm", ["--workers", "1"]))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    export_s, export_cpu_s = min(times), min(cpus)
    load = load_1min()
    analysis = analysis_from_memory(study)
    result = {"export_warm_s": export_s, "export_times_s": times, "export_cpu_s": export_cpu_s,
              "export_cpus_s": cpus, "load_before": loads,
              "analysis_wall_s": analysis["wall_s"], "analysis_cpu_s": analysis["cpu_s"],
              "analysis_load_before": load, "trials": analysis["trials"],
              "ratio_export_to_analysis": export_s / analysis["wall_s"],
              "ratio_export_to_analysis_cpu": export_cpu_s / analysis["cpu_s"]}
    print(f"  warm export, 1 reader: {export_s:7.2f} s wall, {export_cpu_s:.2f} s CPU  "
          f"({trials / export_s:.1f} trials/s)")
    print(f"  analysis from memory:  {analysis['wall_s']:7.2f} s wall, "
          f"{analysis['cpu_s']:.2f} s CPU  ({analysis['trials']} trials)")
    print(f"  export / analysis:     {result['ratio_export_to_analysis']:.2f} wall, "
          f"{result['ratio_export_to_analysis_cpu']:.2f} CPU")
    return result


# ------------------------------------------------------------------------------ report


def machine_info() -> dict[str, Any]:
    """CPU, Python, package versions and commit."""
    return _machine.machine_info(("kinewrite", "numpy", "scipy", "pandas", "h5py", "dask",
                                  "distributed", "pyarrow"))


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table: one line per configuration, cold and warm side by side."""
    by = {(r["executor"], r["workers"], r["mode"]): r for r in results}
    base = {m: by[("local", 1, m)]["best_s"] for m in MODES}
    lines = ["| executor | workers | cold s | cold trials/s | cold speed-up "
             "| warm s | warm trials/s | warm speed-up |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, workers in CONFIGS:
        cells = [kind, str(workers)]
        for m in MODES:
            r = by[(kind, workers, m)]
            cells += [f"{r['best_s']:.2f}", f"{r['trials_per_s']:.1f}",
                      f"{base[m] / r['best_s']:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000,
                        help="trials in the study, a multiple of 10 (default 1000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="trial length (30 s)")
    parser.add_argument("--study-dir", type=Path, help="where the study is built and reused")
    parser.add_argument("--rebuild", action="store_true", help="rebuild a marked study")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (1)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="JSON output")
    parser.add_argument("--one-reader", action="store_true",
                        help="only the warm export with one reader against the analysis "
                             "of the same recordings from memory")
    args = parser.parse_args(argv)
    if args.trials <= 0 or args.trials % TRIALS_PER_PATIENT:
        parser.error(f"--trials must be a positive multiple of {TRIALS_PER_PATIENT}")
    study = args.study_dir or Path(tempfile.gettempdir()) / (
        f"kinewrite-bench-export-{args.trials}x{args.seconds:g}s")
    machine = machine_info()
    print(f"machine: {machine['cpu']} ({machine['logical_cpus']} logical CPUs), python "
          f"{machine['python']}, kinewrite {__version__} ({machine['commit']})")
    build_s = ensure_study(study, args.trials, args.seconds, args.rebuild)
    with tempfile.TemporaryDirectory() as scratch:
        if args.one_reader:
            results: Any = one_reader(study, args.trials, args.repeat, Path(scratch))
        else:
            results = run_all(study, args.trials, args.repeat, Path(scratch))
            print()
            print(table(results))
    doc = {"machine": machine, "settings": {"trials": args.trials, "seconds": args.seconds,
                                            "repeat": args.repeat, "study": str(study),
                                            "build_s": build_s},
           "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
