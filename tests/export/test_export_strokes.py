"""``kinewrite export --strokes``: one row per stroke, the strokes the features use."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kinewrite.analysis.features import extract_features
from kinewrite.analysis.stroke_table import stroke_table
from kinewrite.cli import main
from kinewrite.model import Recording
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


@pytest.fixture(scope="module")
def strokes_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("strokes") / "strokes.csv"
    assert main(["export", str(SAMPLES), "--strokes", "-o", str(out)]) == 0
    return out


def _cv(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / values.mean()) if values.size > 1 else math.nan


def test_per_stroke_aggregates_reproduce_the_trial_features(strokes_csv):
    table = pd.read_csv(strokes_csv)
    sessions = {s.session_id: s for s in map(load_session, SAMPLES.glob("*/session-*.h5"))}
    checked = 0
    for (sid, trial), rows in table.groupby(["session_id", "trial"]):
        f = sessions[sid].trial(f"{trial:03d}").features  # cached by the session writer
        assert len(rows) == f["stroke_count"]
        assert rows["stroke"].tolist() == list(range(1, len(rows) + 1))
        assert np.median(rows["duration_s"]) == pytest.approx(f["stroke_duration_median_s"],
                                                              rel=1e-12)
        assert np.median(rows["vertical_size_mm"]) == pytest.approx(f["stroke_size_median_mm"],
                                                                    rel=1e-12)
        assert rows["niv"].mean() == pytest.approx(f["niv_mean"], rel=1e-12)
        assert rows["nca"].mean() == pytest.approx(f["nca_mean"], rel=1e-12)
        assert 100 * (rows["niv"] == 1).mean() == pytest.approx(f["automation_pct"], rel=1e-12)
        assert np.nanmedian(rows["normalized_jerk"]) == pytest.approx(
            f["normalized_jerk_median"], rel=1e-12)
        assert np.nanmedian(rows["ldlj"]) == pytest.approx(f["ldlj_median"], rel=1e-12)
        assert _cv(rows["peak_vertical_speed_mm_s"].to_numpy()) == pytest.approx(
            f["peak_vertical_velocity_cv"], rel=1e-12)
        assert np.all(rows["end_s"] - rows["start_s"] - rows["duration_s"] < 1e-12)
        assert np.all(np.diff(rows["start_s"]) > 0)
        checked += 1
    assert checked == 42  # every trial of the sample study (6 visits x 7) has strokes


def test_stroke_pressure_is_the_mean_pen_pressure_over_the_stroke():
    rec = simulate_trial("loops", seconds=6, loop_hz=2.5, seed=4).recording
    half = rec.t > rec.t[0] + 3.0
    pressure = np.where(half, 0.7, 0.3)
    flat = Recording(t=rec.t, x=rec.x, y=rec.y, pressure=pressure, pen_down=rec.pen_down)
    table = stroke_table(flat, "loops", 133.0)
    early = table["end_s"] < 2.9
    late = table["start_s"] > 3.1
    assert early.sum() >= 10 and late.sum() >= 10
    np.testing.assert_allclose(table["pressure_mean"][early], 0.3, rtol=1e-12)
    np.testing.assert_allclose(table["pressure_mean"][late], 0.7, rtol=1e-12)
    # 2.5 loops/s: two strokes per loop of 0.2 s each
    assert np.median(table["duration_s"]) == pytest.approx(0.2, rel=0.05)
    f = extract_features(flat, "loops", nominal_rate_hz=133.0)
    assert table["stroke"].size == f["stroke_count"]
    nopressure = Recording(t=rec.t, x=rec.x, y=rec.y, pen_down=rec.pen_down)
    assert np.isnan(stroke_table(nopressure, "loops")["pressure_mean"]).all()


def test_parquet_holds_the_same_rows_with_types(strokes_csv, tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "strokes.parquet"
    assert main(["export", str(SAMPLES), "--strokes", "-o", str(out), "--tasks",
                 "loops,sentence"]) == 0
    table = pd.read_parquet(out)
    assert set(table["task"]) == {"loops", "sentence"}
    assert str(table["niv"].dtype) == "int64" and str(table["duration_s"].dtype) == "float64"
    csv = pd.read_csv(strokes_csv)
    csv = csv[csv["task"].isin(["loops", "sentence"])].reset_index(drop=True)
    np.testing.assert_array_equal(table["duration_s"].to_numpy(), csv["duration_s"].to_numpy())


def test_a_damaged_session_file_writes_no_stroke_table(tmp_path, capsys):
    study = tmp_path / "study"
    shutil.copytree(SAMPLES, study)
    victim = sorted(study.glob("*/session-*.h5"))[2]
    victim.write_bytes(victim.read_bytes()[:4096])
    out = tmp_path / "strokes.csv"
    assert main(["export", str(study), "--strokes", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and victim.name in err[0]
    assert not out.exists()
