"""Soak: SIGKILL real-time recordings at random moments and count what survives.

``python benchmarks/soak_sigkill.py [--kills 100] [--seconds 4] [--json OUT]`` starts
``kinewrite simulate --realtime`` again and again, kills it with SIGKILL after a random delay,
then opens the session file, analyzes the trial, and measures the samples lost: the time from
the newest sample in the file (its host receive time) to the moment of the kill. Prints a
summary and writes JSON (default ``benchmarks/results/soak_sigkill.json``). The promise it
checks: every file readable, at most 250 ms of samples lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kinewrite import extract_features, load_session

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "soak_sigkill.json"


def one_kill(study: Path, i: int, seconds: float, rng: random.Random) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kinewrite.cli", "simulate", "--realtime", "--study",
         str(study), "--patient", f"S{i:04d}", "--task", "loops", "--seconds", str(seconds),
         "--seed", str(i)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = Path(proc.stdout.readline().strip())
    time.sleep(rng.uniform(0.2, seconds - 0.2))
    killed_at = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    row: dict = {"i": i, "file": path.name}
    try:
        trial = load_session(path).trials[0]
        row["samples"] = trial.n_samples
        row["lost_ms"] = (killed_at - float(np.max(trial.channels["host_time"]))) * 1e3
        extract_features(trial.recording, task="loops")
        row["readable"] = True
    except Exception as exc:  # the soak reports every failure, of any kind
        row["readable"] = False
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for i in range(args.kills):
            rows.append(one_kill(Path(tmp), i, args.seconds, rng))
            print(f"\r{i + 1}/{args.kills}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    lost = np.array([r["lost_ms"] for r in rows if "lost_ms" in r])
    readable = sum(r["readable"] for r in rows)
    summary = {"kills": args.kills, "readable": readable,
               "lost_ms_max": float(lost.max()) if lost.size else None,
               "lost_ms_median": float(np.median(lost)) if lost.size else None,
               "lost_ms_p95": float(np.percentile(lost, 95)) if lost.size else None}
    print(f"{readable}/{args.kills} files readable and analyzed; samples lost before the "
          f"kill: median {summary['lost_ms_median']:.0f} ms, p95 {summary['lost_ms_p95']:.0f} "
          f"ms, max {summary['lost_ms_max']:.0f} ms (promise: <= 250 ms)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "runs": rows}, indent=2))
    ok = readable == args.kills and summary["lost_ms_max"] is not None \
        and summary["lost_ms_max"] <= 250
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
