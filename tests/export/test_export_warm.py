"""The warm export's reader (kinewrite.export.warm): the session load_session gives, without
the samples the rows do not use; every file it does not vouch for goes to load_session."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import kinewrite.export.rows as rows_module
from kinewrite.analysis.features import extract_features, feature_names
from kinewrite.export import ExportOptions, rows_to_frame, session_paths, session_rows
from kinewrite.export.warm import WARM_CHANNELS, read_warm
from kinewrite.storage.calibration import trial_guide_mm
from kinewrite.storage.reader import load_session

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def _same_value(a: object, b: object) -> bool:
    return repr(a) == repr(b) and type(a) is type(b)


@pytest.mark.parametrize("path", session_paths(SAMPLES), ids=lambda p: p.name)
def test_warm_session_is_load_sessions_but_for_the_unread_channels(path):
    options = ExportOptions(study_dir=str(SAMPLES), include_superseded=True)
    warm, full = read_warm(path, options), load_session(path)
    assert warm is not None
    for field in ("path", "session_id", "patient_code", "created", "format_version",
                  "software_version", "metadata", "calibration", "clinical", "events",
                  "recovery", "recovered_from_crash"):
        assert getattr(warm, field) == getattr(full, field), field
    assert [t.name for t in warm.trials] == [t.name for t in full.trials]
    for w, f in zip(warm.trials, full.trials, strict=True):
        assert w.attrs.keys() == f.attrs.keys()
        assert all(_same_value(w.attrs[k], f.attrs[k]) for k in f.attrs)
        for field in ("task", "status", "started", "ended", "input", "superseded_by",
                      "features_version", "n_samples", "protocol_task"):
            assert getattr(w, field) == getattr(f, field), field
        assert repr(w.nominal_rate_hz) == repr(f.nominal_rate_hz)
        assert list(w.features) == list(f.features)
        np.testing.assert_array_equal(list(w.features.values()), list(f.features.values()))
        assert set(w.channels) == set(WARM_CHANNELS) & set(f.channels)
        for c, values in w.channels.items():
            assert values.dtype == f.channels[c].dtype
            np.testing.assert_array_equal(values, f.channels[c])


def test_warm_rows_equal_the_full_readers_and_load_no_session(monkeypatch):
    options = ExportOptions(study_dir=str(SAMPLES), include_superseded=True,
                            metadata=("hand",))
    paths = session_paths(SAMPLES)
    monkeypatch.setattr(rows_module, "read_warm", lambda path, options: None)
    full = rows_to_frame([r for p in paths for r in session_rows(p, options)], ("hand",))
    monkeypatch.undo()

    def boom(*a, **k):
        raise AssertionError("the full reader was used")

    monkeypatch.setattr(rows_module, "load_session", boom)
    warm = rows_to_frame([r for p in paths for r in session_rows(p, options)], ("hand",))
    assert len(warm) == 42
    pd.testing.assert_frame_equal(warm, full)


def test_a_stale_cache_or_recompute_goes_to_the_full_reader(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(SAMPLES, study)
    path = session_paths(study)[0]
    options = ExportOptions(study_dir=str(study))
    assert read_warm(path, options) is not None
    assert read_warm(path, ExportOptions(study_dir=str(study), recompute=True)) is None
    with h5py.File(path, "r+") as f:
        f["trials/001/features"].attrs["analysis_version"] = "0"  # another analysis's cache
    assert read_warm(path, options) is None
    rows = session_rows(path, options)
    trial = load_session(path).trials[0]
    expected = extract_features(trial.recording, task=trial.task,
                                guide_xy_mm=trial_guide_mm(trial.attrs, trial.calibration))
    first = next(r for r in rows if r["trial"] == 1)
    got = [first[n] for n in feature_names(trial.task)]
    np.testing.assert_array_equal(got, [expected[n] for n in feature_names(trial.task)])


def test_a_channel_not_of_numbers_goes_to_the_full_reader_which_names_it(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(SAMPLES, study)
    path = session_paths(study)[0]
    with h5py.File(path, "r+") as f:
        del f["trials/002/x"]
        f["trials/002/x"] = np.array([b"a"] * 10)
    options = ExportOptions(study_dir=str(study))
    assert read_warm(path, options) is None
    with pytest.raises(Exception, match="trial 002: channel x holds"):
        session_rows(path, options)
