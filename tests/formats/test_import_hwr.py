"""``kinewrite import --format hwr``: MovAlyzeR .HWR files (x y z [azimuth altitude], no
header, no time column), checked against a recording of known geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinewrite.cli import main
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH

RATE_HZ = 200.0
UNITS_PER_MM = 100.0  # e.g. a tablet of 2540 lines per inch


def reference_hwr(five_columns: bool = False) -> tuple[str, dict[str, float]]:
    """An HWR file as MovAlyzeR writes one (integer device units, one sample a line, z = 0
    while the pen is lifted): a circle of radius 10 mm in 2 s, a 0.5 s lift, then a 20 mm
    line in 1 s, at 200 Hz. Returns the text and the geometric truth."""
    n_circle, n_lift, n_line = 401, 100, 201
    phi = np.linspace(0.0, 2 * np.pi, n_circle)
    cx, cy = 60.0, 40.0
    circle = np.column_stack([cx + 10 * np.cos(phi), cy + 10 * np.sin(phi)])
    lift = np.column_stack([np.linspace(70.0, 80.0, n_lift), np.full(n_lift, 40.0)])
    line = np.column_stack([np.linspace(80.0, 100.0, n_line), np.full(n_line, 40.0)])
    xy_mm = np.vstack([circle, lift, line])
    z = np.concatenate([np.full(n_circle, 600), np.zeros(n_lift), np.full(n_line, 700)])
    cols = [np.round(xy_mm[:, 0] * UNITS_PER_MM), np.round(xy_mm[:, 1] * UNITS_PER_MM), z]
    if five_columns:
        cols += [np.full(z.size, 1800), np.full(z.size, 600)]
    rows = np.column_stack(cols).astype(np.int64)
    text = "\n".join("  ".join(f"{v:6d}" for v in r) for r in rows) + "\n"
    n = z.size
    truth = {"n": n, "duration_s": (n - 1) / RATE_HZ, "pen_lifts": 1.0,
             "path_length_mm": 2 * np.pi * 10 + 20.0,
             "pen_down_time_s": (n_circle - 1) / RATE_HZ + (n_line - 1) / RATE_HZ}
    return text, truth


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    root.mkdir()
    return root


@pytest.mark.parametrize("five", [False, True])
def test_hwr_reference_recording(study, tmp_path, five):
    text, truth = reference_hwr(five)
    path = tmp_path / "TRIAL01.HWR"
    path.write_text(text)
    assert main(["import", str(path), "--format", "hwr", "--rate-hz", str(RATE_HZ),
                 "--device-units-per-mm", str(UNITS_PER_MM), "--pressure-levels", "1024",
                 "--study", str(study), "--patient", "ML-01", "--task", "free"]) == 0
    (session,) = [load_session(p) for p in study.glob("ML-01/session-*.h5")]
    (trial,) = session.trials
    assert trial.n_samples == truth["n"]
    np.testing.assert_allclose(np.diff(trial.channels["t"]), 1 / RATE_HZ, rtol=1e-9)
    assert trial.nominal_rate_hz == RATE_HZ
    rec = trial.recording
    assert rec.x.max() - rec.x.min() == pytest.approx(50.0, abs=0.01)  # 50 .. 100 mm
    assert np.all(trial.channels["state"][401:501] == STATE_HOVER)
    assert np.all(trial.channels["state"][:401] == STATE_TOUCH)
    assert rec.pressure.max() == pytest.approx(700 / 1023)
    assert "HWR" in session.calibration.source and "100 units/mm" in session.calibration.source
    f = trial.features
    assert f["duration_s"] == pytest.approx(truth["duration_s"], abs=1e-9)
    assert f["pen_lifts"] == truth["pen_lifts"]
    assert f["pen_down_time_s"] == pytest.approx(truth["pen_down_time_s"], abs=1e-9)
    assert f["sample_rate_hz"] == pytest.approx(RATE_HZ, rel=1e-6)
    # path of the low-passed trace: within 1 % of 2 pi 10 mm + 20 mm
    assert f["path_length_mm"] == pytest.approx(truth["path_length_mm"], rel=0.01)
    assert ("hwr_not_stored" in trial.attrs) == five


def test_hwr_needs_the_rate_and_refuses_bad_files_writing_nothing(study, tmp_path, capsys):
    text, _ = reference_hwr()
    good = tmp_path / "a.hwr"
    good.write_text(text)
    assert main(["import", str(good), "--format", "hwr", "--study", str(study),
                 "--patient", "ML-01"]) == 2
    assert "--rate-hz" in capsys.readouterr().err
    bad_cols = tmp_path / "b.hwr"
    bad_cols.write_text("1 2 3 4\n5 6 7 8\n")
    high = tmp_path / "c.hwr"
    high.write_text(text.replace("   700", "  5000", 1))
    empty = tmp_path / "d.hwr"
    empty.write_text("\n")
    assert main(["import", str(good), str(bad_cols), str(high), str(empty), "--format", "hwr",
                 "--rate-hz", "200", "--pressure-levels", "1024", "--study", str(study),
                 "--patient", "ML-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3
    assert "b.hwr" in err[0] and "3 or 5 numbers" in err[0]
    assert "c.hwr" in err[1] and "5000" in err[1] and "--pressure-levels" in err[1]
    assert "d.hwr" in err[2] and "empty" in err[2]
    assert list(study.iterdir()) == []
    svc = tmp_path / "e.svc"
    svc.write_text("1\n0 0 0 1 0 0 1\n")
    assert main(["import", str(svc), "--rate-hz", "200", "--study", str(study),
                 "--patient", "ML-01"]) == 2
    assert "--rate-hz applies to --format hwr only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse refuses a rate of 0 Hz
        main(["import", str(good), "--format", "hwr", "--rate-hz", "0",
              "--study", str(study), "--patient", "ML-01"])
    assert exc.value.code == 2 and "--rate-hz" in capsys.readouterr().err


def test_a_bad_line_is_named_by_its_line_number(study, tmp_path, capsys):
    """numpy counts the rows of its two errors differently; the message names the line."""
    short = tmp_path / "short.hwr"
    short.write_text("1 2 3\n4 5\n6 7 8\n")  # line 2 has two numbers
    word = tmp_path / "word.hwr"
    word.write_text("1 2 3\n4 5 x\n")  # line 2 holds a word
    for path in (short, word):
        assert main(["import", str(path), "--format", "hwr", "--rate-hz", "200",
                     "--study", str(study), "--patient", "ML-01"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and path.name in err[0] and "at line 2" in err[0], err
    assert list(study.iterdir()) == []
