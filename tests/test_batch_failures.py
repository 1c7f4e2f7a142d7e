"""One bad file never aborts a batch: hostile session files (real files written by
SessionWriter, then corrupted with h5py) become one problem line each in ``kinewrite
export``, ``kinewrite report`` and ``kinewrite analyze``, the other files are processed, and
the exit code is 2. The analysis refuses a grid beyond its bound before allocating it."""

from __future__ import annotations

import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from kinewrite import Recording, RecordingError
from kinewrite.analysis import preprocess as pp

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
