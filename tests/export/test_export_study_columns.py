"""The trial table's study columns: input kind, checks, feedback, guide, the visit's ADDS
and WCRS, days since botulinum toxin and since training start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kinewrite.cli import main
from kinewrite.export.study_columns import STUDY_COLUMNS
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def export(study: Path, out: Path, *extra: str) -> pd.DataFrame:
    assert main(["export", str(study), "-o", str(out), "--workers", "1", *extra]) == 0
    return pd.read_csv(out) if out.suffix == ".csv" else pd.read_parquet(out)


def test_sample_study_days_since_toxin_and_training_and_scores(tmp_path):
    table = export(SAMPLES, tmp_path / "t.csv")
    visits = table.groupby("session_date").first()
    # toxin 2025-10-13 (event of the 2nd visit); training from 2025-12-08 (4th visit)
    assert visits["days_since_botulinum_toxin"].to_dict() == pytest.approx({
        "2025-09-08": np.nan, "2025-10-06": np.nan, "2025-11-10": 28.0, "2025-12-08": 56.0,
        "2026-01-12": 91.0, "2026-02-09": 119.0}, nan_ok=True)
    assert visits["days_since_training_start"].to_dict() == pytest.approx({
        "2025-09-08": np.nan, "2025-10-06": np.nan, "2025-11-10": np.nan,
        "2025-12-08": 0.0, "2026-01-12": 35.0, "2026-02-09": 63.0}, nan_ok=True)
    for path in SAMPLES.glob("*/session-*.h5"):
        s = load_session(path)
        rows = table[table["session_id"] == s.session_id]
        adds = [c.score for c in s.clinical if c.scale == "ADDS"][-1]
        wcrs = [c.score for c in s.clinical if c.scale == "WCRS"][-1]
        assert (rows["adds_pct"] == adds).all() and (rows["wcrs"] == wcrs).all()
    assert set(table["input_kind"]) == {"simulated"}
    # the only finding a simulated trial earns: a pressure sensor saturated > 5 % of the time
    saturated = table["pressure_saturation_pct"] > 5.0
    assert saturated.sum() >= 1
    assert (table.loc[saturated, "check_findings"] == "saturation").all()
    assert (table.loc[saturated, "check_status"] == "warning").all()
    assert (table.loc[~saturated, "check_status"] == "ok").all()
    assert table["feedback_mode"].isna().all()  # the simulated sessions store no feedback
    # they store whether the guide was shown: the free spiral alone goes without
    shown = table.set_index("protocol_task")["guide_shown"]
    assert (shown.loc["spiral_free"] == 0).all() and (shown.loc["spiral_guided"] == 1).all()


def _record(writer: SessionWriter, task: str, seconds: float, attrs: dict,
            kind: str = "tablet") -> None:
    rec = simulate_trial(task, seconds=seconds, seed=2).recording
    writer.begin_trial(task, nominal_rate_hz=133.0, input_kind=kind, attrs=attrs,
                       channels=("t", "x", "y", "pressure", "state"))
    writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                  state=np.where(rec.pen_down, STATE_TOUCH, 1).astype(np.uint8))
    finish_trial(writer)


def test_recorded_trials_give_feedback_guide_checks_and_input(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    with SessionWriter.create(study, "WC-3", created="2025-03-01T10:00:00Z") as w:
        _record(w, "spiral", 8.0, {"protocol_task": "spiral_free", "guide_shown": 0,
                                   "feedback_mode": "tone", "feedback_threshold": 2.5,
                                   "feedback_threshold_unit": "N"})
        # the protocol's sentence needs 15 s: a 5 s one fails its check
        _record(w, "sentence", 5.0, {"protocol_task": "sentence", "guide_shown": 1,
                                     "feedback_mode": "off", "feedback_threshold": 0.3,
                                     "feedback_threshold_unit": "fraction"}, kind="mouse")
        w.add_clinical("WCRS", {"writing_movement": 4, "writing_speed": 1}, "2025-03-01")
        w.add_event("botulinum_toxin", "2025-02-01", muscles=["FCR"])
    table = export(study, tmp_path / "t.parquet")
    assert list(table.columns[12:12 + len(STUDY_COLUMNS)]) == list(STUDY_COLUMNS)
    spiral, sentence = table.iloc[0], table.iloc[1]
    assert spiral["input_kind"] == "tablet" and sentence["input_kind"] == "mouse"
    assert (spiral["feedback_mode"], spiral["feedback_threshold"],
            spiral["feedback_threshold_unit"]) == ("tone", 2.5, "N")
    assert spiral["guide_shown"] == 0 and sentence["guide_shown"] == 1
    assert str(table["guide_shown"].dtype) == "Int64"
    assert spiral["check_status"] == "ok" and spiral["check_findings"] == ""
    assert sentence["check_status"] == "error" and "too_short" in sentence["check_findings"]
    assert spiral["wcrs"] == 5.0 and np.isnan(spiral["adds_pct"])
    assert spiral["days_since_botulinum_toxin"] == 28.0  # 2025-02-01 -> 2025-03-01
    assert np.isnan(spiral["days_since_training_start"])


def test_imported_trials_say_imported(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    svc = tmp_path / "a.svc"
    n = 200
    rows = [f"{5000} {i * 10} {1_000_000 + round(i * 7.5)} 1 900 600 500" for i in range(n)]
    svc.write_text(f"{n}\n" + "\n".join(rows) + "\n")
    assert main(["import", str(svc), "--study", str(study), "--patient", "PD-1"]) == 0
    table = export(study, tmp_path / "t.csv")
    assert table["input_kind"].tolist() == ["imported"]
