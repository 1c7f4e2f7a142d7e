"""How much free disk a recording must keep: stream into a nearly full disk until it stops.

``sudo python benchmarks/min_free_floor.py [--min-free-kib 0,16,...] [--bursts 50000,500,2]``

For each reserve (``SessionWriter(min_free_bytes=...)``) and burst size (samples per
``append``), a 40 MiB tmpfs is mounted and filled to leave the reserve plus 2 MiB; a writer
process streams a 5-channel trial into it until the writer stops (``DiskSpaceError``: the
trial ended as aborted, every sample kept) or HDF5 meets the full disk; a second process
then reads the file. Each line says how the writer ended (stopped cleanly, or died with the
signal) and whether the file still opens with its samples. It justifies the floor of
``kinewrite simulate --min-free-mb`` (``kinewrite.cli.simulate.MIN_FREE_FLOOR_MB``) and is
quoted in RELIABILITY.md. Needs root (mount); Linux.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADROOM = 2 << 20  # bytes free beyond the reserve when the trial starts


def _writer(folder: Path, min_free: int, burst: int) -> None:
    import numpy as np

    from kinewrite.errors import DiskSpaceError
    from kinewrite.storage.writer import SessionWriter

    w = SessionWriter.create(folder, "FULL", min_free_bytes=min_free)
    print(json.dumps({"path": str(w.path)}), flush=True)
    w.begin_trial("loops", channels=("t", "x", "y", "pressure", "state"))
    written, how = 0, ""
    rng = np.random.default_rng(0)
    try:
        while True:
            w.append(t=(written + np.arange(burst)) / 200, x=rng.random(burst),
                     y=rng.random(burst), pressure=rng.random(burst),
                     state=np.full(burst, 2))
            written += burst
    except DiskSpaceError:
        written += burst  # the block that found the disk low was written first
        how = "stopped cleanly"
    except Exception as exc:  # HDF5 met the full disk
        how = type(exc).__name__
    try:
        w.close()
    except Exception as exc:
        how += f", close: {type(exc).__name__}"
    print(json.dumps({"written": written, "how": how}), flush=True)


def _reader(path: str) -> None:
    from kinewrite.storage.reader import load_session

    try:
        trial = load_session(path).trials[0]
        print(json.dumps({"status": trial.status, "n": trial.n_samples}))
    except Exception as exc:
        print(json.dumps({"lost": f"{type(exc).__name__}: {str(exc).splitlines()[0][-60:]}"}))


def _case(mnt: Path, min_free: int, burst: int) -> str:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mnt)], check=True)
    try:
        with open(mnt / "filler", "wb") as fh:
            fh.write(b"\0" * (shutil.disk_usage(mnt).free - HEADROOM - min_free))
        t0 = time.monotonic()
        w = subprocess.run([sys.executable, __file__, "--writer", str(mnt), str(min_free),
                            str(burst)], capture_output=True, text=True, timeout=900)
        info = {k: v for line in w.stdout.splitlines() if line.startswith("{")
                for k, v in json.loads(line).items()}
        if w.returncode != 0:
            info["how"] = f"writer died (exit {w.returncode})"
        head = f"{min_free >> 10:>6} KiB reserve, {burst:>6}-sample appends: "
        if "path" not in info:
            return head + f"no session ({w.stderr.strip().splitlines()[-1:]})"
        r = subprocess.run([sys.executable, __file__, "--reader", info["path"]],
                           capture_output=True, text=True, timeout=300)
        lines = r.stdout.strip().splitlines()
        res = json.loads(lines[-1]) if lines else {"lost": f"reader died ({r.returncode})"}
        verdict = (f"file LOST ({res['lost']})" if "lost" in res else
                   f"file opens: {res['status']}, {res['n']} of {info.get('written', '?')} "
                   "samples")
        return head + f"{info.get('how', ''):26.26s} -> {verdict} ({time.monotonic() - t0:.0f} s)"
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def main() -> None:
    if sys.argv[1:2] == ["--writer"]:
        _writer(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    if sys.argv[1:2] == ["--reader"]:
        _reader(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-free-kib", default="0,16,64,256,1024,4096,16384",
                        help="reserves to try, KiB (comma-separated)")
    parser.add_argument("--bursts", default="50000,500,2",
                        help="samples per append to try (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kinewrite-min-free-") as tmp:
        mnt = Path(tmp) / "disk"
        mnt.mkdir()
        for burst in map(int, args.bursts.split(",")):
            for kib in map(float, args.min_free_kib.split(",")):
                print(_case(mnt, int(kib * 1024), burst), flush=True)


if __name__ == "__main__":
    main()
