"""Round trip of real handwriting through a real X server's tablet path.

Usage: ``python benchmarks/bench_xorg_roundtrip.py [--lasa N] [--spirals M] [--json OUT]``
(as root, with xserver-xorg-core and xserver-xorg-video-dummy installed).

Method
------
Xorg runs with the dummy video driver and a virtual stylus on the ``inputtest`` input driver
(``tools/xorg_pen.py``). Each source recording is replayed through the pen at its own timing
(one event per sample: press, touching moves, release, hover; 0.1 s of hover first) into
``kinewrite record`` (tablet mode, 0.1 mm per px), Esc ends the trial. The features of the
saved trial are compared with the features of the source analysed directly, with the same
analysis call; tolerances from pixel quantization, the server's ms clock and the sender's
measured lateness (``tools/xorg_replay.py``, :func:`tolerances`).

Sources: the first demonstration of the first N LASA shapes (alphabetical; all 30 by
default) and the first M iPad spirals of the graphomotor 0.2.1 sdist (all by default,
downloaded with pip into a cache folder, never into the repository). Writes the rows as JSON
(default ``benchmarks/results/xorg_roundtrip.json``) and prints the Markdown table of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tools"))
import xorg_replay as replay  # noqa: E402
from _machine import machine_info  # noqa: E402
from xorg_pen import xorg_pen, xorg_problem  # noqa: E402

DEFAULT_JSON = HERE / "results" / "xorg_roundtrip.json"


def _pct(row: dict) -> str:
    a, b = row["source"], row["recorded"]
    if a != a and b != b:  # both NaN
        return "–"
    if a == 0:
        return f"{b - a:+.3g}"
    return f"{100 * (b - a) / abs(a):+.2f} %"


def markdown(results: list[dict]) -> str:
    head = ("| source | task | events sent / stored | rate source / recorded (Hz) | "
            "sender late max (ms) | duration Δ (ms) | pen-down Δ (ms) | path Δ | "
            "mean speed Δ | median speed Δ | strokes source / recorded | "
            "stroke duration Δ | tremor source / recorded | all within |")
    lines = [head, "|" + "---|" * 14]
    for r in results:
        f = {row["feature"]: row for row in r["rows"]}
        def ms(name: str, f: dict = f) -> str:
            return f"{1000 * (f[name]['recorded'] - f[name]['source']):+.1f}"
        tremor = (f"{'yes' if f['tremor_detected']['source'] else 'no'} / "
                  f"{'yes' if f['tremor_detected']['recorded'] else 'no'}")
        lines.append(
            f"| {r['label']} | {r['task']} | {r['sent']} / {r['stored']} | "
            f"{r['source_rate_hz']:.0f} / {r['recorded_rate_hz']:.0f} | "
            f"{r['lateness_ms_max']:.1f} | {ms('duration_s')} | {ms('pen_down_time_s')} | "
            f"{_pct(f['path_length_mm'])} | {_pct(f['speed_mean_mm_s'])} | "
            f"{_pct(f['speed_median_mm_s'])} | {f['stroke_count']['source']:.0f} / "
            f"{f['stroke_count']['recorded']:.0f} | {_pct(f['stroke_duration_median_s'])} | "
            f"{tremor} | {'yes' if all(x['within'] for x in r['rows']) else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lasa", type=int, default=30, metavar="N",
                        help="LASA shapes (first demonstration each; default all 30)")
    parser.add_argument("--spirals", type=int, default=1000, metavar="M",
                        help="graphomotor spirals (default all)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="OUT")
    args = parser.parse_args(argv)
    problem = xorg_problem()
    if problem:
        print(f"bench_xorg_roundtrip: {problem}", file=sys.stderr)
        return 1
    sources = [(label, rec, "loops") for label, rec in replay.lasa_demos()[: args.lasa]]
    try:
        sources += [(label, rec, "spiral")
                    for label, rec in replay.graphomotor_spirals()[: args.spirals]]
    except OSError as exc:
        print(f"graphomotor spirals left out: {exc}", file=sys.stderr)
    results = []
    wall = time.perf_counter()
    with xorg_pen() as xp, tempfile.TemporaryDirectory() as tmp:
        for i, (label, rec, task) in enumerate(sources):
            rows, facts = replay.replay_and_compare(xp, Path(tmp) / f"r{i}", label, rec, task)
            results.append({**facts, "rows": rows})
            ok = all(r["within"] for r in rows)
            print(f"{label}: {facts['stored']}/{facts['sent']} events, "
                  f"{'within' if ok else 'OUTSIDE'} tolerance", flush=True)
    out = {"machine": machine_info(("numpy", "h5py", "PyQt6", "PyQt6-Qt6")),
           "wall_s": time.perf_counter() - wall, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print()
    print(markdown(results))
    n_ok = sum(all(r["within"] for r in res["rows"]) for res in results)
    print(f"\n{n_ok} of {len(results)} within tolerance on every feature; wall "
          f"{out['wall_s']:.0f} s; wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
