"""The study index: summaries cached in the study folder, used only for unchanged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kinewrite.storage.study import read_session_summary, study_summaries
from kinewrite.storage.study_index import INDEX_NAME, load_index
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE, folder)
    (folder / INDEX_NAME).unlink(missing_ok=True)
    return folder


def _same(a, b) -> bool:
    """Summaries equal field by field (NaN == NaN)."""
    import math

    def norm(v):
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        if hasattr(v, "__dataclass_fields__"):
            return {k: norm(getattr(v, k)) for k in v.__dataclass_fields__}
        return v

    return norm(a) == norm(b)


def test_index_gives_what_the_files_give(study: Path) -> None:
    direct, _ = study_summaries(study, use_index=False)
    built, _ = study_summaries(study)  # reads the files, writes the index
    assert (study / INDEX_NAME).is_file()
    assert len(load_index(study)) == len(direct) == 6
    cached, problems = study_summaries(study)  # from the index
    assert problems == []
    assert all(_same(a, b) for a, b in zip(direct, built, strict=True))
    assert all(_same(a, b) for a, b in zip(direct, cached, strict=True))


def test_a_changed_file_is_read_again(study: Path) -> None:
    study_summaries(study)
    path = sorted(study.glob("SIM-001/session-*.h5"))[-1]
    with SessionWriter.open(path) as w:
        w.add_event("other", "2026-02-10", notes="changed after indexing")
    (summary,) = [s for s in study_summaries(study)[0] if s.path == path]
    assert summary.events[-1].notes == "changed after indexing"
    assert _same(summary, read_session_summary(path))


def test_damaged_index_is_ignored_and_rewritten(study: Path) -> None:
    (study / INDEX_NAME).write_text("{not json", encoding="utf-8")
    summaries, problems = study_summaries(study, "SIM-001")
    assert len(summaries) == 6 and problems == []
    assert len(load_index(study)) == 6


def test_unwritable_index_still_opens(study: Path) -> None:
    (study / INDEX_NAME).mkdir()  # the index cannot be written (a folder in its place)
    summaries, problems = study_summaries(study)
    assert len(summaries) == 6 and problems == []


def test_brief_entries_do_not_answer_full_requests(study: Path) -> None:
    study_summaries(study, brief=True)
    full, _ = study_summaries(study)
    direct, _ = study_summaries(study, use_index=False)
    assert all(_same(a, b) for a, b in zip(direct, full, strict=True))


def test_a_recording_session_is_not_cached(study: Path) -> None:
    w = SessionWriter.create(study, "REC-1")
    w.begin_trial("loops", 200.0)
    w.append(t=[0.0, 0.005], x=[1.0, 1.1], y=[2.0, 2.0])
    w.flush()
    try:
        (summary,), _ = study_summaries(study, "REC-1")
        assert summary.trials[0].status == "recording"
        assert not any(rel.startswith("REC-1/") for rel in load_index(study))
    finally:
        finish_trial(w)
        w.close()
