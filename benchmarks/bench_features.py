"""Speed, scaling and memory of kinewrite's feature extraction, and a peer for scale.

Usage: ``python benchmarks/bench_features.py [--quick] [--json OUT]``. Prints the machine and
the result tables and writes them as JSON (default ``benchmarks/results/features.json``).
The full run takes a few minutes, ``--quick`` under one (fewer repeats, peer at 1k and 10k).

Method
------
Inputs
    Synthetic tablet-like recordings from :func:`kinewrite.simulate.simulate_trial` with
    ``seed=0`` and ``seconds = n / 133`` for target sizes n = 1k, 10k, 100k and 1M samples
    (133 Hz, timestamps jittered and rounded to whole ms, 1 % coalesced duplicates). Task
    ``sentence``: words of minimum-jerk strokes, pen lifted between words (one word per 4 s,
    so the 1k trial, 7.5 s, has no pen lift). Task ``circles``: one long pen-down segment.
    Recordings are built once, outside every timed region.
Timing
    ``time.perf_counter_ns`` around one call, with the garbage collector disabled while
    timing (as :mod:`timeit` does). One untimed warm-up call, then k timed calls: at least
    ``min_runs`` and until ``min_time`` has elapsed, but no new call once ``max_time`` would
    be passed (k >= 1; the values per mode are in the JSON ``settings``). Best and median of
    the k are reported; every ratio uses the best.
Single core
    ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set to 1 at the
    top of this file, before numpy is imported (overriding the environment), so the BLAS and
    OpenMP back ends run one thread. The process is not pinned to a CPU.
Allocator
    By default glibc's mmap and trim thresholds are raised as the ``kinewrite`` command does
    (``kinewrite._allocator.tune_allocator``); ``--default-allocator`` measures without.
Ours
    ``extract_features(recording, task=task)``: every registered feature at once. ns/sample
    is best time / n. x/decade is the best time at n over the best time at n/10 (ideal 10;
    the actual n are within 1.5 % of exact decades).
Memory-bandwidth bound
    One pass over the same input arrays, ``t.sum() + x.sum() + y.sum() + pressure.sum() +
    count_nonzero(pen_down)``, timed the same way; ``ours/pass`` is how many such passes our
    whole feature set costs. At 1k the pass is a few microseconds of call overhead, so the
    ratio there is about overhead, not bandwidth.
Required floor
    The two steps docs/science.md §2 requires on every sample, with NumPy and SciPy alone:
    ``numpy.interp`` of x and y onto a 200 Hz grid over the recording, then SciPy's reference
    ``scipy.signal.sosfiltfilt`` (4th-order Butterworth, 12 Hz) of both channels. ``floor/pass``
    says how far these alone are from the memory-bandwidth bound (a recursive filter runs
    one multiply-add chain per sample and section, forward and backward: compute-bound, not
    bandwidth-bound); ``ours/floor`` how much the whole feature set costs beyond them.
Peak memory
    :mod:`tracemalloc` (numpy reports its buffers to it) around one extra, untimed call: peak
    traced bytes above the level before the call, divided by the bytes of the input arrays
    t, x, y, pressure and pen_down.
Peer
    BDALab ``handwriting-features`` (PyPI, 1.0.9), when importable; otherwise skipped with a
    note. Input: an (N, 7) array of x, y (shifted so their minimum is 0), time in s, pen
    status 1/0, azimuth 0, tilt 45 and pressure. Its import sets the root logger to DEBUG on
    stdout: the level is set back to WARNING and its prints are swallowed during
    construction. Its results are cached per object (``lru_cache``), so every timed call
    builds a fresh object, and the comparisons are:

    * shared feature: ``HandwritingFeatures.from_numpy_array(values).<feature>(...)`` timed
      as one call (construction + that one feature) against our ``extract_features`` total,
      which computes all our features at once. Shared: velocity, acceleration and jerk
      (``axis="xy"``), stroke durations (``stroke_duration(in_air=False)``; the peer's stroke
      is a pen-down segment, ours a velocity-delimited stroke), pen lifts
      (``number_of_interruptions()``, which counts transitions, 2 per lift) and in-air time
      (``writing_duration(in_air=True)``). Statistics are ``STATS`` where accepted.
    * full set: construction and then every public feature method of
      ``HandwritingFeatures`` on that one object (its own caches help it, as in normal use),
      with ``fs=133`` where required, ``statistics=STATS`` where accepted and other arguments
      at their defaults; against our ``extract_features``. Excluded: the six intersection
      features, which crash on NumPy 2 (``np.mat``) and are O(N^2).

    At 1M (full run only) the peer is run once per measurement, without warm-up, under a
    60 s alarm: construction is timed once, then each shared feature and the full set run on
    deep copies of the pristine object (equivalent to a fresh object, without rebuilding
    it), and construction time is added. If the alarm fires, the rest is reported as
    "skipped: too slow", with a lower bound (construction plus the time the full set ran
    before the alarm) and an extrapolation (time at 100k times its 10k->100k ratio).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported anywhere

import argparse  # noqa: E402
import contextlib  # noqa: E402
import copy  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402
import inspect  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py, next to this script)
from kinewrite import Recording, extract_features  # noqa: E402
from kinewrite._allocator import tune_allocator  # noqa: E402
from kinewrite.simulate import simulate_trial  # noqa: E402

RATE_HZ = 133.0
TASKS = ("sentence", "circles")
SIZES = (1_000, 10_000, 100_000, 1_000_000)
PEER_SIZES = {"full": (1_000, 10_000, 100_000), "quick": (1_000, 10_000)}
PEER_BIG = 1_000_000
PEER_DEADLINE_S = 60.0
STATS = ("mean", "median", "std", "percentile_95")
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "features.json"

#: Repetition policy per mode (see the module docstring).
MODES: dict[str, dict[str, dict[str, float]]] = {
    "full": {
        "ours": {"min_runs": 5, "min_time": 1.0, "max_time": 5.0},
        "peer": {"min_runs": 3, "min_time": 1.0, "max_time": 2.0},
    },
    "quick": {
        "ours": {"min_runs": 3, "min_time": 0.2, "max_time": 1.5},
        "peer": {"min_runs": 2, "min_time": 0.2, "max_time": 0.8},
    },
}

#: Features both tools compute: label -> (peer method, keyword arguments, our features).
SHARED: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "velocity": ("velocity", {"axis": "xy", "statistics": STATS},
                 ("speed_mean_mm_s", "speed_median_mm_s", "speed_p95_mm_s")),
    "acceleration": ("acceleration", {"axis": "xy", "statistics": STATS},
                     ("acceleration_mean_mm_s2",)),
    "jerk": ("jerk", {"axis": "xy", "statistics": STATS}, ("jerk_mean_mm_s3",)),
    "stroke_dur": ("stroke_duration", {"in_air": False, "statistics": STATS},
                   ("stroke_duration_median_s",)),
    "pen_lifts": ("number_of_interruptions", {}, ("pen_lifts",)),
    "in_air_time": ("writing_duration", {"in_air": True}, ("in_air_time_s",)),
}


# --------------------------------------------------------------------------- timing


class PeerTimeout(BaseException):
    """The peer's deadline passed (a BaseException so no ``except Exception`` eats it)."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise :class:`PeerTimeout` in this thread after `seconds` (SIGALRM, POSIX only)."""

    def _fire(signum: int, frame: object) -> None:
        raise PeerTimeout

    previous = signal.signal(signal.SIGALRM, _fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by one call of `fn` (garbage collector off), and its result."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        result = fn()
        elapsed = (time.perf_counter_ns() - start) * 1e-9
    finally:
        if gc_was_on:
            gc.enable()
    return elapsed, result


def measure(
    fn: Callable[[], Any],
    min_runs: float,
    min_time: float,
    max_time: float,
    warmup: bool = True,
) -> dict[str, Any]:
    """Best and median seconds of k calls of `fn` after one warm-up (see module docstring)."""
    if warmup:
        once(fn)
    times: list[float] = []
    result = None
    spent = 0.0
    while True:
        elapsed, result = once(fn)
        times.append(elapsed)
        spent += elapsed
        if len(times) >= 10_000:
            break
        if len(times) >= min_runs and spent >= min_time:
            break
        if spent + min(times) > max_time:
            break
    return {
        "best_s": min(times),
        "median_s": statistics.median(times),
        "k": len(times),
        "result": result,
    }


def timing_fields(m: dict[str, Any]) -> dict[str, Any]:
    """The JSON-able part of a :func:`measure` result, in ms."""
    return {"best_ms": m["best_s"] * 1e3, "median_ms": m["median_s"] * 1e3, "k": m["k"]}


# --------------------------------------------------------------------------- inputs


def make_recording(task: str, n: int) -> Recording:
    """A synthetic recording of about `n` samples (see module docstring)."""
    return simulate_trial(task, seconds=n / RATE_HZ, seed=0).recording


def input_arrays(rec: Recording) -> list[np.ndarray]:
    """The arrays ``extract_features`` reads: t, x, y, pressure, pen_down."""
    return [a for a in (rec.t, rec.x, rec.y, rec.pressure, rec.pen_down) if a is not None]


def one_pass(rec: Recording) -> Callable[[], float]:
    """One read of every input array: the memory-bandwidth floor."""
    t, x, y, pen = rec.t, rec.x, rec.y, rec.pen_down
    p = rec.pressure if rec.pressure is not None else np.zeros(1)

    def _pass() -> float:
        return float(t.sum() + x.sum() + y.sum() + p.sum() + np.count_nonzero(pen))

    return _pass


def required_floor(rec: Recording) -> Callable[[], float]:
    """The two steps docs/science.md §2 requires on every sample, done by NumPy/SciPy alone.

    Linear resampling of x and y onto a 200 Hz grid over the recording (``numpy.interp``)
    and the zero-phase 4th-order 12 Hz Butterworth low-pass of both channels with SciPy's
    reference ``scipy.signal.sosfiltfilt``: no analysis that follows docs/science.md can cost less
    than these two steps with these libraries.
    """
    from scipy import signal

    t, x, y = rec.t, rec.x, rec.y
    sos = signal.butter(4, 12.0, fs=200.0, output="sos")

    def _floor() -> float:
        grid = np.arange(t[0], t[-1], 1.0 / 200.0)
        xy = np.stack((np.interp(grid, t, x), np.interp(grid, t, y)))
        return float(signal.sosfiltfilt(sos, xy, axis=-1)[:, -1].sum())

    return _floor


def peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak traced bytes allocated during one call of `fn`, above the level before it."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return int(peak - before)


# --------------------------------------------------------------------------- peer


def load_peer() -> tuple[Any, str | None, str]:
    """The peer's ``HandwritingFeatures`` class, its version and a note; None if absent."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from handwriting_features.features import HandwritingFeatures
    except Exception as exc:  # ImportError, or anything its import chain raises
        return None, None, f"peer not importable ({type(exc).__name__}: {exc}); skipped"
    finally:
        logging.getLogger().setLevel(logging.WARNING)  # its import sets DEBUG on stdout
    try:
        version = importlib.metadata.version("handwriting-features")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return HandwritingFeatures, version, "ok"


def peer_values(rec: Recording) -> np.ndarray:
    """The peer's (N, 7) input: x, y, time, pen status, azimuth, tilt, pressure, all >= 0."""
    n = rec.n_samples
    t = rec.t - min(float(rec.t.min()), 0.0)
    pressure = rec.pressure if rec.pressure is not None else np.zeros(n)
    return np.column_stack([
        rec.x - rec.x.min(),
        rec.y - rec.y.min(),
        t,
        rec.pen_down.astype(np.float64),
        np.zeros(n),  # azimuth
        np.full(n, 45.0),  # tilt
        pressure,
    ])


def peer_full_set(cls: Any) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """Every public feature method of the peer with its arguments, and the excluded ones."""
    calls, excluded = [], []
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        if "intersections" in name:
            excluded.append(name)
            continue
        params = inspect.signature(member).parameters
        kwargs: dict[str, Any] = {}
        if "fs" in params:
            kwargs["fs"] = RATE_HZ
        if "statistics" in params:
            kwargs["statistics"] = STATS
        calls.append((name, kwargs))
    return calls, excluded


def peer_build(cls: Any, values: np.ndarray) -> Any:
    """A fresh peer object, its prints swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return cls.from_numpy_array(values)


def run_calls(obj: Any, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Every call of `calls` on `obj`; an exception becomes its repr."""
    out: dict[str, Any] = {}
    for name, kwargs in calls:
        try:
            out[name] = getattr(obj, name)(**kwargs)
        except Exception as exc:
            out[name] = exc
    return out


def jsonable(value: Any) -> Any:
    """A peer result as JSON: a list of floats (None for NaN, inf or None) or an error text."""
    if isinstance(value, Exception):
        return f"error: {type(value).__name__}: {value}"[:200]
    out = []
    for v in np.asarray(value, dtype=object).ravel():
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if np.isfinite(f) else str(f))
    return out


def full_set_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Number of values the full set returned, the methods that raised or gave None."""
    total, failed, nones = 0, [], []
    for name, value in results.items():
        if isinstance(value, Exception):
            failed.append(name)
            continue
        flat = np.asarray(value, dtype=object).ravel()
        total += int(flat.size)
        if any(v is None for v in flat):
            nones.append(name)
    return {"n_values": total, "failed": failed, "none_valued": nones}


def bench_peer_small(cls: Any, rec: Recording, calls: list, policy: dict) -> dict[str, Any]:
    """Peer at a size small enough for repeats: a fresh object in every timed call."""
    values = peer_values(rec)
    row: dict[str, Any] = {"method": "fresh object per timed call, warm-up + k"}
    row["construct"] = timing_fields(measure(lambda: peer_build(cls, values), **policy))
    row["shared"] = {}
    for label, (name, kwargs, _ours) in SHARED.items():

        def _shared(name: str = name, kwargs: dict = kwargs) -> Any:
            return getattr(peer_build(cls, values), name)(**kwargs)

        m = measure(_shared, **policy)
        row["shared"][label] = {**timing_fields(m), "value": jsonable(m["result"])}
    m = measure(lambda: run_calls(peer_build(cls, values), calls), **policy)
    row["full_set"] = {**timing_fields(m), **full_set_summary(m["result"])}
    return row


def bench_peer_big(cls: Any, rec: Recording, calls: list) -> dict[str, Any]:
    """Peer at 1M: one run each under a deadline, deep copies instead of rebuilding."""
    values = peer_values(rec)
    row: dict[str, Any] = {
        "method": "one run, no warm-up; features on deep copies of one pristine object, "
                  "construction time added",
        "shared": {},
    }
    started = time.perf_counter()
    stage, c_s, full_started = "construction", 0.0, None
    try:
        with deadline(PEER_DEADLINE_S):
            c_s, pristine = once(lambda: peer_build(cls, values))
            row["construct"] = {"best_ms": c_s * 1e3, "median_ms": c_s * 1e3, "k": 1}
            for label, (name, kwargs, _ours) in SHARED.items():
                stage = f"shared feature {label}"
                obj = copy.deepcopy(pristine)
                f_s, result = once(lambda obj=obj, name=name, kwargs=kwargs:
                                   getattr(obj, name)(**kwargs))
                ms = (c_s + f_s) * 1e3
                row["shared"][label] = {"best_ms": ms, "median_ms": ms, "k": 1,
                                        "value": jsonable(result)}
            stage = "full set"
            obj = copy.deepcopy(pristine)
            full_started = time.perf_counter()
            f_s, results = once(lambda: run_calls(obj, calls))
            ms = (c_s + f_s) * 1e3
            row["full_set"] = {"best_ms": ms, "median_ms": ms, "k": 1,
                               **full_set_summary(results)}
    except PeerTimeout:
        now = time.perf_counter()
        row["status"] = "skipped: too slow"
        row["status_detail"] = (f"deadline {PEER_DEADLINE_S:.0f} s passed during {stage}, "
                                f"after {now - started:.1f} s")
        if full_started is not None:  # construction + the part of the full set it got through
            row["full_set_lower_bound_ms"] = (c_s + now - full_started) * 1e3
    return row


# --------------------------------------------------------------------------- report


def machine_info() -> dict[str, Any]:
    """CPU, Python, package versions, commit and thread settings."""
    info = _machine.machine_info(("kinewrite", "numpy", "scipy", "pandas",
                                  "handwriting-features"))
    info["threads_env"] = {v: os.environ.get(v) for v in
                           ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return info


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits, or a dash."""
    if value is None or not np.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def size_label(n: int) -> str:
    """1k, 10k, 100k, 1M."""
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"


def print_table(title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
    """A plain-text table, right-aligned except the first two columns."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    if note:
        print(note)

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def report(out: dict[str, Any]) -> None:
    """Print the machine and the tables."""
    m = out["machine"]
    print(f"machine: {m['cpu']} ({m['logical_cpus']} logical CPUs), python {m['python']}, "
          f"numpy {m['versions']['numpy']}, scipy {m['versions']['scipy']}, "
          f"kinewrite {m['versions']['kinewrite']}, "
          f"handwriting-features {m['versions']['handwriting-features']}")
    print(f"mode: {out['settings']['mode']}; threads: OMP/OPENBLAS/MKL_NUM_THREADS=1; "
          f"malloc: {out['settings']['allocator']}")

    rows = []
    for r in out["ours"]:
        rows.append([
            r["task"], size_label(r["target_n"]), f"{r['n']:,}", fmt(r["best_ms"]),
            fmt(r["median_ms"]), str(r["k"]), fmt(r["ns_per_sample"]),
            fmt(r["per_decade"]), fmt(r["one_pass_ms"]), fmt(r["ours_over_one_pass"]),
            fmt(r["required_floor_ms"]), fmt(r["floor_over_one_pass"]),
            fmt(r["ours_over_floor"]), fmt(r["peak_mb"]), fmt(r["peak_over_input"]),
        ])
    print_table(
        "kinewrite extract_features (all features at once), single core",
        ["task", "size", "n", "best ms", "median ms", "k", "ns/sample", "x/decade",
         "1-pass ms", "ours/pass", "floor ms", "floor/pass", "ours/floor", "peak MB",
         "peak/input"],
        rows,
        "x/decade: best time over best time at n/10 (ideal 10). 1-pass: t,x,y,pressure "
        "summed + pen_down counted once.\nfloor: np.interp of x,y to 200 Hz + "
        "scipy.signal.sosfiltfilt (4th order, 12 Hz) of both, the steps docs/science.md §2 "
        "requires.\npeak: tracemalloc peak during one call; "
        "peak/input: over the bytes of t,x,y,pressure,pen_down.",
    )

    peer = out["peer"]
    if not peer["available"]:
        print(f"\npeer: {peer['note']}")
        return
    ours_ms = {(r["task"], r["target_n"]): r["best_ms"] for r in out["ours"]}
    rows = []
    for r in peer["results"]:
        key = (r["task"], r["target_n"])
        full = r.get("full_set")
        if full:
            cells = [fmt(full["best_ms"]), fmt(full["best_ms"] / ours_ms[key]),
                     str(full["n_values"])]
        else:
            bound = r.get("full_set_lower_bound_ms")
            cells = [f"> {fmt(bound)} (skipped: too slow)" if bound else "skipped: too slow",
                     f"> {fmt(bound / ours_ms[key])}" if bound else "-", "-"]
        construct = r.get("construct", {}).get("best_ms")
        rows.append([r["task"], size_label(r["target_n"]), fmt(ours_ms[key]),
                     str(out["n_features"]), fmt(construct), *cells, str(r["k_label"])])
    print_table(
        f"full sets: peer handwriting-features {peer['version']} "
        f"({len(peer['full_set_methods'])} methods, intersections excluded) vs ours",
        ["task", "size", "ours ms", "ours values", "peer construct ms", "peer full ms",
         "peer/ours", "peer values", "peer k"],
        rows,
        "peer full = construction + every feature method on one object; ours = "
        "extract_features. Best times.",
    )

    labels = list(SHARED)
    rows = []
    for r in peer["results"]:
        key = (r["task"], r["target_n"])
        cells = []
        for label in labels:
            s = r["shared"].get(label)
            cells.append(f"{fmt(s['best_ms'])} ({fmt(s['best_ms'] / ours_ms[key], 2)}x)"
                         if s else "skipped")
        rows.append([r["task"], size_label(r["target_n"]), fmt(ours_ms[key]), *cells])
    print_table(
        "shared features: peer (construction + that ONE feature, fresh object) vs ours "
        "(extract_features, ALL features at once)",
        ["task", "size", "ours ms", *labels],
        rows,
        "cell: peer best ms (peer/ours). stroke_dur: peer stroke = pen-down segment, ours = "
        "velocity-delimited stroke;\npen_lifts: peer number_of_interruptions counts "
        "transitions (2 per lift).",
    )

    rows = []
    for c in out["value_check"]:
        rows.append([c["task"], size_label(c["target_n"]), c["what"], c["ours"], c["peer"]])
    if rows:
        print_table("value check (largest size the peer completed)",
                    ["task", "size", "quantity", "ours", "peer"], rows)


def value_checks(ours_f: dict, peer_row: dict) -> list[dict[str, Any]]:
    """Side by side values of a few shared quantities."""
    shared = peer_row["shared"]
    checks = []

    def add(what: str, ours: str, peer: str) -> None:
        checks.append({"task": peer_row["task"], "target_n": peer_row["target_n"],
                       "what": what, "ours": ours, "peer": peer})

    def peer_val(label: str, i: int) -> Any:
        v = shared.get(label, {}).get("value")
        return v[i] if isinstance(v, list) and len(v) > i else v

    def show(v: Any) -> str:
        return fmt(v, 4) if isinstance(v, float) else str(v)

    med, mean = STATS.index("median"), STATS.index("mean")
    add("speed median mm/s", show(ours_f.get("speed_median_mm_s")),
        show(peer_val("velocity", med)))
    add("speed mean mm/s", show(ours_f.get("speed_mean_mm_s")),
        show(peer_val("velocity", mean)))
    lifts = peer_val("pen_lifts", 0)
    add("pen lifts", show(ours_f.get("pen_lifts")),
        f"{show(lifts)} transitions" if lifts is not None else "-")
    add("in-air time s", show(ours_f.get("in_air_time_s")), show(peer_val("in_air_time", 0)))
    add("stroke duration median s", show(ours_f.get("stroke_duration_median_s")),
        show(peer_val("stroke_dur", med)) + " (pen-down segment)")
    return checks


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, peer at 1k and 10k only (under a minute)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="OUT",
                        help=f"where to write the results (default {DEFAULT_JSON})")
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's malloc thresholds alone (the kinewrite command "
                             "raises them: see kinewrite._allocator)")
    args = parser.parse_args(argv)
    # the same allocator setting the kinewrite command and its export workers use; both
    # process-wide settings apply to the peer as well, so the ratio stays fair
    allocator = "default" if args.default_allocator else (
        "tuned" if tune_allocator() else "default (tuning unavailable)")
    mode = "quick" if args.quick else "full"
    policy = MODES[mode]
    wall = time.perf_counter()

    peer_cls, peer_version, peer_note = load_peer()
    out: dict[str, Any] = {
        "machine": machine_info(),
        "settings": {"mode": mode, "allocator": allocator, "rate_hz": RATE_HZ,
                     "sizes": list(SIZES), "seed": 0,
                     "tasks": list(TASKS), "repeats": policy, "peer_stats": list(STATS),
                     "peer_sizes": list(PEER_SIZES[mode])
                     + ([PEER_BIG] if mode == "full" else []),
                     "peer_deadline_s": PEER_DEADLINE_S},
        "ours": [],
        "peer": {"available": peer_cls is not None, "version": peer_version,
                 "note": peer_note, "results": []},
        "value_check": [],
        "notes": [],
    }
    if peer_cls is not None:
        calls, excluded = peer_full_set(peer_cls)
        out["peer"]["full_set_methods"] = [name for name, _ in calls]
        out["peer"]["excluded"] = excluded

    recordings = {(task, n): make_recording(task, n) for task in TASKS for n in SIZES}

    for task in TASKS:
        previous = None
        for n in SIZES:
            rec = recordings[(task, n)]
            m = measure(lambda rec=rec, task=task: extract_features(rec, task=task),
                        **policy["ours"])
            bound = measure(one_pass(rec), **policy["ours"])
            floor = measure(required_floor(rec), **policy["ours"])
            input_bytes = sum(a.nbytes for a in input_arrays(rec))
            peak = peak_bytes(lambda rec=rec, task=task: extract_features(rec, task=task))
            out["n_features"] = len(m["result"])
            out["ours"].append({
                "task": task, "target_n": n, "n": rec.n_samples,
                "pen_lifts": float(m["result"].get("pen_lifts", float("nan"))),
                **timing_fields(m),
                "ns_per_sample": m["best_s"] * 1e9 / rec.n_samples,
                "per_decade": m["best_s"] / previous if previous else None,
                "one_pass_ms": bound["best_s"] * 1e3,
                "ours_over_one_pass": m["best_s"] / bound["best_s"],
                "required_floor_ms": floor["best_s"] * 1e3,
                "floor_over_one_pass": floor["best_s"] / bound["best_s"],
                "ours_over_floor": m["best_s"] / floor["best_s"],
                "peak_bytes": peak, "peak_mb": peak / 2**20, "input_bytes": input_bytes,
                "peak_over_input": peak / input_bytes,
            })
            previous = m["best_s"]
            print(f"  ours {task} {size_label(n)}: {m['best_s'] * 1e3:.2f} ms (k={m['k']})",
                  file=sys.stderr, flush=True)

    if peer_cls is not None:
        for task in TASKS:
            last_done = None
            for n in PEER_SIZES[mode]:
                row = bench_peer_small(peer_cls, recordings[(task, n)], calls, policy["peer"])
                row.update(task=task, target_n=n, n=recordings[(task, n)].n_samples,
                           k_label=f"{row['full_set']['k']}")
                out["peer"]["results"].append(row)
                last_done = row
                print(f"  peer {task} {size_label(n)}: full set "
                      f"{row['full_set']['best_ms']:.1f} ms", file=sys.stderr, flush=True)
            if mode == "full":
                row = bench_peer_big(peer_cls, recordings[(task, PEER_BIG)], calls)
                row.update(task=task, target_n=PEER_BIG,
                           n=recordings[(task, PEER_BIG)].n_samples, k_label="1")
                if "full_set" not in row:
                    t10, t100 = (r["full_set"]["best_ms"] for r in out["peer"]["results"]
                                 if r["task"] == task and r["target_n"] in (10_000, 100_000))
                    row["extrapolated_full_ms"] = t100 * t100 / t10
                    bound = row.get("full_set_lower_bound_ms")
                    out["notes"].append(
                        f"peer {task} 1M full set skipped: too slow ({row['status_detail']}); "
                        f"extrapolated from its 10k->100k growth: {t100 * t100 / t10 / 1e3:.1f} s"
                        + (f", below the measured lower bound {bound / 1e3:.1f} s, so the peer "
                           "grows faster than linearly there" if bound and bound > t100 * t100
                           / t10 else ""))
                else:
                    last_done = row
                out["peer"]["results"].append(row)
                print(f"  peer {task} 1M: {row.get('status', 'done')}", file=sys.stderr,
                      flush=True)
            if last_done is not None:
                ours_f = extract_features(recordings[(task, last_done["target_n"])], task=task)
                out["value_check"].extend(value_checks(ours_f, last_done))

    lifts1k = [r for r in out["ours"] if r["task"] == "sentence" and r["target_n"] == 1_000]
    if lifts1k and lifts1k[0]["pen_lifts"] == 0:
        out["notes"].append("sentence 1k (7.5 s) is one word: no pen lift, like circles.")
    if peer_cls is not None:
        out["notes"].append(
            "peer intersection features excluded (np.mat crash on NumPy 2, O(N^2)): "
            + ", ".join(out["peer"]["excluded"]))
        failed = sorted({f for r in out["peer"]["results"] if "full_set" in r
                         for f in r["full_set"]["failed"]})
        if failed:
            out["notes"].append("peer methods that raised: " + ", ".join(failed))
        nones = sorted({f for r in out["peer"]["results"] if "full_set" in r
                        for f in r["full_set"]["none_valued"]})
        if nones:
            out["notes"].append("peer methods that return None (bug): " + ", ".join(nones)
                                + "; still called and timed as part of its full set.")
        if any(c["what"] == "speed mean mm/s" and c["peer"] in ("inf", "nan")
               for c in out["value_check"]):
            out["notes"].append("peer velocity mean is inf on tablet-like timestamps: it "
                                "divides by dt = 0 at coalesced duplicate timestamps.")
    out["wall_s"] = time.perf_counter() - wall

    report(out)
    for note in out["notes"]:
        print(f"note: {note}")
    print(f"\nwall time {out['wall_s']:.0f} s")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
