"""Agreement with the peers on their public data: the tables of ``docs/validation.md``.

Run ``python benchmarks/validate_peers.py [--pahaw DIR] [--out FILE]``. Nothing it downloads is
ever committed: the data come at run time, into a temporary folder, through the ordinary
``pip download`` of the peers' source distributions from PyPI.

Data
----
graphomotor 0.2.1 (Child Mind Institute; PyPI sdist, LGPL-2.1)
    ``tests/sample_batch_data``: 30 Archimedes spirals drawn on an iPad in the Curious app
    (2 participants, dominant and non-dominant hand, traced on a guide and recalled), ~60 Hz
    with 7-40 ms steps, and ``tests/sample_data/sample_batch_features.csv``: graphomotor's
    own features of those files (checked below: its durations are the files' last
    ``seconds``). Coordinates are the app's units (the guide spiral spans 0-100); both tools
    read them as given, so lengths compare one to one.
BDALab handwriting-features 1.0.9 (PyPI; the ``bench`` extra installs it)
    run here on the same 30 spirals (each ``line_number`` a pen-down run) and on a batch of
    PaHaW-shaped SVC files this script builds (hover between pen-down runs, timestamps
    stepping back 18-119 ms at hover-to-touch changes, pressure level 2048, a 7/8 ms clock),
    imported with ``kinewrite import``'s default options. PaHaW itself (Drotár et al. 2016)
    is distributed by its authors on request, not through PyPI: pass ``--pahaw DIR`` (a
    folder of its ``.svc`` files) to add the table on the real files.

Compared, where the definitions match: duration (first to last sample), on-surface strokes
(maximal pen-down runs) and pen lifts, pressure mean (levels), Hausdorff distance to the
guide spiral; and, where they differ, the median speed (graphomotor: raw differences of
jittered timestamps; kinewrite: 200 Hz grid, 12 Hz low-pass) and in-air time (the peer sums
the spans of the in-air samples, kinewrite the intervals between pen-down runs).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from kinewrite.analysis.features import extract_features
from kinewrite.formats import ImportOptions, read_recording_file
from kinewrite.model import Recording
from kinewrite.storage.reader import channels_to_recording

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_features import load_peer, peer_build

GRAPHOMOTOR = "graphomotor==0.2.1"
#: graphomotor's reference spiral (core/config.py SpiralConfig defaults): centre (50, 50),
#: r = 1.075 θ, θ from 0 to 8π.
GM_CENTRE, GM_GROWTH, GM_END = (50.0, 50.0), 1.075, 8 * np.pi


def pip_download(spec: str, dest: Path) -> Path:
    """The sdist of `spec`, downloaded by pip into `dest` (no dependencies; pip prepares
    its metadata in an isolated build environment, nothing is installed)."""
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                           "--no-binary", ":all:", "-q", spec, "-d", str(dest)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise SystemExit(f"pip download {spec} failed: {done.stderr.strip()[-300:]}")
    (found,) = dest.glob(spec.split("==")[0].replace("-", "_") + "-*.tar.gz")
    return found


def graphomotor_files(sdist: Path) -> tuple[dict[str, bytes], bytes]:
    """The 30 spiral CSVs (by file name) and graphomotor's feature table, read from the
    tarball in memory (no member is extracted to disk, so no path in it is trusted)."""
    spirals: dict[str, bytes] = {}
    table = b""
    with tarfile.open(sdist) as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            if "/tests/sample_batch_data/" in m.name and m.name.endswith(".csv"):
                spirals[m.name.rsplit("/", 1)[1]] = tar.extractfile(m).read()
            elif m.name.endswith("tests/sample_data/sample_batch_features.csv"):
                table = tar.extractfile(m).read()
    return dict(sorted(spirals.items())), table


def read_curious_csv(data: bytes) -> dict[str, np.ndarray]:
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    return {k: np.array([float(r[k]) for r in rows])
            for k in ("line_number", "x", "y", "seconds")}


def spiral_recording(cols: dict[str, np.ndarray]) -> tuple[Recording, np.ndarray]:
    """A Recording of a Curious spiral (pen down throughout; one pen-up sample halfway
    between two ``line_number`` runs marks a lift, as kinewrite's InkML import does), and
    the peer's (N, 7) array of the same samples (pen status 0 on those markers)."""
    t, x, y, line = cols["seconds"], cols["x"], cols["y"], cols["line_number"]
    cut = np.flatnonzero(np.diff(line) != 0) + 1
    mid = lambda a: (a[cut - 1] + a[cut]) / 2  # noqa: E731
    t2, x2, y2 = (np.insert(a, cut, mid(a)) for a in (t, x, y))
    pen = np.insert(np.ones(t.size, dtype=bool), cut, False)
    rec = Recording(t=t2, x=x2, y=y2, pen_down=pen)
    n = t2.size
    peer = np.column_stack([x2, y2, t2, pen.astype(float), np.zeros(n), np.full(n, 45.0),
                            np.where(pen, 0.5, 0.0)])
    return rec, peer


def gm_reference(n: int = 20000) -> np.ndarray:
    theta = np.linspace(0.0, GM_END, n)
    r = GM_GROWTH * theta
    return np.column_stack((GM_CENTRE[0] + r * np.cos(theta), GM_CENTRE[1] + r * np.sin(theta)))


def gm_definitions(cols: dict[str, np.ndarray]) -> dict[str, float]:
    """graphomotor's definitions recomputed on the file (a check that its shipped table
    belongs to these files): duration = last ``seconds``; median |raw speed|; symmetric
    Hausdorff distance of the samples to its reference spiral's points."""
    from scipy.spatial.distance import directed_hausdorff

    x, y, t = cols["x"], cols["y"], cols["seconds"]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.hypot(np.diff(x), np.diff(y)) / np.diff(t)
    pts, ref = np.column_stack((x, y)), gm_reference(10000)
    hd = max(directed_hausdorff(pts, ref)[0], directed_hausdorff(ref, pts)[0])
    return {"duration": float(t[-1]), "linear_velocity_median": float(np.median(np.abs(speed))),
            "hausdorff_distance_maximum": float(hd)}


def peer_counts(cls: Any, values: np.ndarray) -> dict[str, float]:
    """handwriting-features on one recording: strokes, lifts, duration, in-air, pressure."""
    obj = peer_build(cls, values)
    with contextlib.redirect_stdout(io.StringIO()):
        down = np.atleast_1d(obj.stroke_duration(in_air=False))
        in_air = obj.writing_duration(in_air=True)
        duration = obj.writing_duration_overall()
        pressure = obj.pressure(statistics=["mean"])
    strokes = int(np.count_nonzero(np.isfinite(down)))
    return {"strokes": strokes, "pen_lifts": max(strokes - 1, 0),
            "duration_s": float(np.ravel(duration)[0]),
            "in_air_time_s": float(np.nansum(np.ravel(in_air))),
            "pressure_mean": float(np.ravel(pressure)[0])}


def rel(a: float, b: float) -> float:
    """|a - b| / |b| in %."""
    return float(abs(a - b) / abs(b) * 100) if b else float("nan")


def summarize(values: list[float]) -> dict[str, float]:
    v = np.asarray([x for x in values if np.isfinite(x)])
    if v.size == 0:
        return {"n": 0}
    return {"n": int(v.size), "median": float(np.median(v)), "max": float(v.max())}


# ------------------------------------------------------------------------- graphomotor


def graphomotor_table(tmp: Path, peer: Any) -> dict[str, Any]:
    spirals, table = graphomotor_files(pip_download(GRAPHOMOTOR, tmp))
    shipped = {(r["participant_id"], r["task"], r["hand"]): r
               for r in csv.DictReader(io.StringIO(table.decode()))}
    guide = gm_reference()
    rows = []
    for name, data in spirals.items():
        pid = name[1:8]
        task, hand = name.rsplit("-", 1)[1].removesuffix(".csv").rsplit("_", 1)
        gm = shipped[(pid, task, hand)]
        cols = read_curious_csv(data)
        rec, values = spiral_recording(cols)
        ours = extract_features(rec, "spiral", guide_xy_mm=guide)
        mine = gm_definitions(cols)
        row = {
            "file": name, "samples": int(cols["x"].size),
            "lines": int(np.unique(cols["line_number"]).size),
            "gm_duration_s": float(gm["duration"]), "recomputed_duration_s": mine["duration"],
            "ours_duration_s": ours["duration_s"],
            "gm_hausdorff": float(gm["hausdorff_distance_maximum"]),
            "recomputed_hausdorff": mine["hausdorff_distance_maximum"],
            "ours_guide_hausdorff": ours["spiral_guide_hausdorff_mm"],
            "ours_guide_rms": ours["spiral_guide_deviation_rms_mm"],
            "ours_fit_rms": ours["spiral_fit_deviation_rms_mm"],
            "gm_speed_median": float(gm["linear_velocity_median"]),
            "recomputed_speed_median": mine["linear_velocity_median"],
            "ours_speed_median": ours["speed_median_mm_s"],
            "ours_sample_rate_hz": ours["sample_rate_hz"],
            "ours_strokes": ours["on_surface_strokes"], "ours_pen_lifts": ours["pen_lifts"],
        }
        if peer is not None:
            hf = peer_counts(peer, values)
            row.update({f"hf_{k}": v for k, v in hf.items()})
        rows.append(row)
    agree = {
        "duration, ours vs graphomotor (%)": summarize(
            [rel(r["ours_duration_s"], r["gm_duration_s"]) for r in rows]),
        "duration, graphomotor table vs its definition on the file (%)": summarize(
            [rel(r["recomputed_duration_s"], r["gm_duration_s"]) for r in rows]),
        "Hausdorff to the guide, ours vs graphomotor (%)": summarize(
            [rel(r["ours_guide_hausdorff"], r["gm_hausdorff"]) for r in rows]),
        "Hausdorff, graphomotor table vs its definition on the file (%)": summarize(
            [rel(r["recomputed_hausdorff"], r["gm_hausdorff"]) for r in rows]),
        "median speed, ours vs graphomotor (%) [definitions differ]": summarize(
            [rel(r["ours_speed_median"], r["gm_speed_median"]) for r in rows]),
    }
    if peer is not None:
        agree["on-surface strokes equal to handwriting-features (files)"] = {
            "n": len(rows), "equal": sum(r["ours_strokes"] == r["hf_strokes"] for r in rows)}
        agree["duration, ours vs handwriting-features (%)"] = summarize(
            [rel(r["ours_duration_s"], r["hf_duration_s"]) for r in rows])
    return {"source": f"{GRAPHOMOTOR} sdist (PyPI)", "rows": rows, "agreement": agree}


# ------------------------------------------------------------- PaHaW-shaped and PaHaW


def pahaw_shaped_batch(folder: Path, n_files: int = 24, seed: int = 12) -> list[Path]:
    """SVC files shaped like PaHaW's: y x t pen az alt p, a 7/8 ms clock in absolute ms,
    hover between pen-down runs, the clock stepping back 18-119 ms at some hover-to-touch
    changes, some files reaching pressure level 2048; letters ~1.6 mm at 200 units/mm."""
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n_files):
        runs = int(rng.integers(2, 9))
        pieces, pen = [], []
        for j in range(runs):
            n_down, n_air = int(rng.integers(150, 500)), int(rng.integers(20, 120))
            pen += [1] * n_down + ([0] * n_air if j < runs - 1 else [])
        n = len(pen)
        pen_a = np.array(pen)
        t = 1_300_000_000 + np.concatenate(([0], np.cumsum(np.where(np.arange(n - 1) % 2,
                                                                       8, 7))))
        starts = np.flatnonzero(np.diff(pen_a) == 1) + 1
        for s in starts[rng.random(starts.size) < 0.4]:  # some changes step back
            t[s:] -= int(rng.integers(18, 120)) + 7
        phase = np.arange(n) * 2 * np.pi * 2.0 * 0.0075
        y = 320 * np.sin(phase) + 2000
        x = np.arange(n) * 2.0 + 3000
        p = np.where(pen_a == 1, 600 + 500 * np.abs(np.sin(phase / 3)), 0).astype(int)
        if k % 5 == 1:
            p[starts[0] + 10:starts[0] + 20] = 2048 if starts.size else p[10:20]
        rows = np.column_stack([y.round(), x.round(), t, pen_a, np.full(n, 1200),
                                np.full(n, 500), p]).astype(np.int64)
        pieces.append(rows)
        path = folder / f"shaped{k:03d}.svc"
        body = "\n".join(" ".join(map(str, r)) for r in rows)
        path.write_text(f"{n}\n{body}\n")
        paths.append(path)
    return paths


def svc_table(paths: list[Path], peer: Any, label: str) -> dict[str, Any]:
    """Each SVC file imported with the default options, against the peer fed the file's
    own rows in file order (x, y, time in s, pen status, azimuth, altitude, pressure)."""
    rows, refused = [], []
    for path in paths:
        try:
            trial = read_recording_file(path, None, ImportOptions())
        except Exception as exc:  # a refusal is a result here
            refused.append(f"{path.name}: {exc}")
            continue
        rec = channels_to_recording(trial.channels, trial.calibration)
        ours = extract_features(rec, "free")
        row = {"file": path.name, "samples": rec.n_samples,
               "ours_strokes": ours["on_surface_strokes"], "ours_pen_lifts": ours["pen_lifts"],
               "ours_duration_s": ours["duration_s"], "ours_in_air_s": ours["in_air_time_s"],
               "ours_pressure_mean_levels": ours["pressure_mean"] * trial.scale.pressure_max,
               "backward_steps": int(np.count_nonzero(np.diff(trial.channels["t"]) < 0))}
        if peer is not None:
            ch = trial.channels
            values = np.column_stack([ch["x"] - ch["x"].min(), ch["y"] - ch["y"].min(),
                                      ch["t"] - min(ch["t"].min(), 0.0),
                                      (ch["state"] == 2).astype(float),
                                      np.zeros(ch["t"].size), np.full(ch["t"].size, 45.0),
                                      ch["pressure"]])
            hf = peer_counts(peer, values)
            row.update({f"hf_{k}": v for k, v in hf.items()})
        rows.append(row)
    agree: dict[str, Any] = {"files": len(paths), "imported with default options":
                             len(rows), "refused": refused}
    if peer is not None and rows:
        agree["on-surface strokes equal"] = sum(r["ours_strokes"] == r["hf_strokes"]
                                                for r in rows)
        agree["pen lifts equal"] = sum(r["ours_pen_lifts"] == r["hf_pen_lifts"] for r in rows)
        agree["pen-down pressure mean (levels), ours vs peer (%)"] = summarize(
            [rel(r["ours_pressure_mean_levels"], r["hf_pressure_mean"]) for r in rows])
        agree["duration, ours vs peer (%)"] = summarize(
            [rel(r["ours_duration_s"], r["hf_duration_s"]) for r in rows])
        agree["in-air time, ours vs peer (%) [definitions differ]"] = summarize(
            [rel(r["ours_in_air_s"], r["hf_in_air_time_s"]) for r in rows])
    return {"source": label, "rows": rows, "agreement": agree}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pahaw", type=Path, help="folder of PaHaW .svc files (not on PyPI)")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args(argv)
    peer, version, note = load_peer()
    out: dict[str, Any] = {"handwriting-features": version or note}
    with tempfile.TemporaryDirectory(prefix="kinewrite-validation-") as tmp_name:
        tmp = Path(tmp_name)
        out["graphomotor"] = graphomotor_table(tmp, peer)
        shaped = tmp / "shaped"
        shaped.mkdir()
        out["pahaw_shaped"] = svc_table(pahaw_shaped_batch(shaped), peer,
                                        "PaHaW-shaped SVC batch built by this script")
    if args.pahaw:
        out["pahaw"] = svc_table(sorted(args.pahaw.rglob("*.svc")), peer,
                                 f"PaHaW SVC files in {args.pahaw}")
    for key in ("graphomotor", "pahaw_shaped", "pahaw"):
        if key in out:
            print(f"## {out[key]['source']}")
            print(json.dumps(out[key]["agreement"], indent=1))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
