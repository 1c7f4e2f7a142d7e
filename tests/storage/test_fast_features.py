"""The features-only read of session files (read_session_summary): the same numbers as
load_session, no sample read, older files without the compact row still read."""

import math

import h5py
import numpy as np
import pytest

from kinewrite.analysis.features import ANALYSIS_VERSION, feature_names
from kinewrite.errors import InputError
from kinewrite.simulate import simulate_trial
from kinewrite.storage.feature_row import read_feature_row, write_features
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import (
    CHANNELS,
    FEATURE_NAMES,
    FEATURE_VALUES,
    STATE_HOVER,
    STATE_TOUCH,
)
from kinewrite.storage.study import read_session_summary, study_summaries
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial


def _trial(writer, task, seed, status="complete", **kw):
    rec = simulate_trial(task, 4.0, seed=seed, **kw).recording
    name = writer.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                              channels=("t", "x", "y", "pressure", "state"))
    writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                  state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
    finish_trial(writer, status, compute_features=status == "complete")
    return name


@pytest.fixture(scope="module")
def session_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    with SessionWriter.create(folder, "WC-003", {"hand": "right", "device": "sim"}) as w:
        first = _trial(w, "spiral", 1, tremor_hz=6.3, tremor_mm=0.3)
        redo = _trial(w, "spiral", 2)
        w.supersede(first, redo)
        _trial(w, "loops", 3)
        _trial(w, "lines", 4, status="aborted")  # no features cached
        w.add_clinical("ADDS", {}, "2026-01-10", rater="R1", level_pct=95)
        w.add_clinical("WCRS", {"movement": 3, "speed": 1}, "2026-01-10")
        w.add_event("botulinum_toxin", "2026-01-12", ["FCR", "FDS"], 80.0, "EMG guided")
        w.add_event("pen_grip_training", "2026-01-20")
    return w.path


def _same(a, b):
    assert (a is None) == (b is None)
    if a is None:
        return
    assert list(a) == list(b)
    np.testing.assert_array_equal(np.array(list(a.values())), np.array(list(b.values())))


def test_summary_equals_load_session(session_path):
    full = load_session(session_path)
    fast = read_session_summary(session_path)
    assert (fast.patient_code, fast.session_id, fast.created) == (
        full.patient_code, full.session_id, full.created)
    assert fast.metadata == full.metadata == {"hand": "right", "device": "sim"}
    assert len(fast.trials) == len(full.trials) == 4
    for s, t in zip(fast.trials, full.trials, strict=True):
        assert (s.name, s.task, s.status, s.input, s.superseded_by, s.n_samples) == (
            t.name, t.task, t.status, t.input, t.superseded_by, t.n_samples)
        assert (s.started, s.ended) == (t.started, t.ended)
        _same(s.features, t.features)
        assert s.features_version == t.features_version
    assert [t.status for t in fast.trials] == ["superseded", "complete", "complete", "aborted"]
    assert fast.trials[0].features["tremor_frequency_hz"] == pytest.approx(6.3, abs=0.1)
    assert fast.trials[3].features is None
    assert list(fast.clinical) == full.clinical
    assert [c.score for c in fast.clinical] == [95.0, 4.0]
    assert list(fast.events) == full.events
    assert fast.events[0].dose_units == 80.0 and fast.events[1].dose_units is None
    assert fast.simulated


def test_compact_row_matches_the_attributes(session_path):
    with h5py.File(session_path, "r") as f:
        for name in f["trials"]:
            g = f["trials"][name]
            if "features" not in g:
                continue
            fg = g["features"]
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in fg[FEATURE_VALUES].attrs[FEATURE_NAMES]]
            values = fg[FEATURE_VALUES][()]
            assert names == feature_names(g.attrs["task"])
            attrs = np.array([fg.attrs[n] for n in names])
            np.testing.assert_array_equal(values, attrs)
            assert fg.attrs["analysis_version"] == ANALYSIS_VERSION


def test_summary_reads_no_sample(session_path, tmp_path):
    # Every channel replaced by an external dataset whose file is missing: any read of a
    # sample raises. load_session refuses the file (its data lives elsewhere) before any
    # read; the summary, which reads no sample, does not look at the channels at all.
    path = tmp_path / session_path.parent.name / session_path.name
    path.parent.mkdir()
    path.write_bytes(session_path.read_bytes())
    with h5py.File(path, "r+") as f:
        for name in f["trials"]:
            g = f["trials"][name]
            for c in CHANNELS:
                if c in g:
                    n = g[c].shape[0]
                    del g[c]
                    g.create_dataset(c, shape=(n,), dtype="f8",
                                     external=[(str(tmp_path / "gone.bin"), 0,
                                                h5py.h5f.UNLIMITED)])
    with pytest.raises(InputError, match="/trials/001/t takes its data from other files"):
        load_session(path)
    fast = read_session_summary(path)
    _same(fast.trials[2].features, load_session(session_path).trials[2].features)


def test_older_file_without_compact_row_falls_back(session_path, tmp_path):
    path = tmp_path / "old.h5"
    path.write_bytes(session_path.read_bytes())
    with h5py.File(path, "r+") as f:
        for name in f["trials"]:
            if "features" in f["trials"][name]:
                del f["trials"][name]["features"][FEATURE_VALUES]
    full = load_session(session_path)
    old = load_session(path)
    for s, o, t in zip(read_session_summary(path).trials, old.trials, full.trials, strict=True):
        _same(s.features, o.features)  # both readers fall back alike
        # the attributes hold no order: HDF5 lists them by name (the values are the row's)
        _same(None if s.features is None else dict(sorted(s.features.items())),
              None if t.features is None else dict(sorted(t.features.items())))


def test_write_features_round_trip_with_nan(tmp_path):
    row = {"duration_s": 1.5, "tremor_frequency_hz": math.nan, "stroke_count": 12.0}
    with h5py.File(tmp_path / "x.h5", "w") as f:
        write_features(f.create_group("g"), row, "7")
        write_features(f["g"], {**row, "duration_s": 2.0}, "8")  # rewrite replaces
        features, version = read_feature_row(f["g"])
        ids_features, _ = read_feature_row(f["g"].id)
    assert version == "8"
    assert list(features) == ["duration_s", "tremor_frequency_hz", "stroke_count"]  # as stored
    assert features["duration_s"] == 2.0 and math.isnan(features["tremor_frequency_hz"])
    _same(features, ids_features)


def test_bad_files_one_line(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(InputError, match=r"junk\.h5: cannot open as HDF5"):
        read_session_summary(junk)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(InputError, match="not a kinewrite session"):
        read_session_summary(foreign)
    with pytest.raises(InputError, match="no such session file"):
        read_session_summary(tmp_path / "missing.h5")


def test_study_summaries_order_and_problems(session_path, tmp_path):
    study = session_path.parent.parent
    (study / "WC-003" / "session-00000000T000000Z-broken.h5").write_bytes(b"junk")
    summaries, problems = study_summaries(study, "WC-003")
    assert [s.path for s in summaries] == [session_path]
    assert len(problems) == 1 and "broken" in problems[0]
    assert study_summaries(study, "WC-999") == ([], [])
    with pytest.raises(InputError, match="no such study folder"):
        study_summaries(tmp_path / "nope")
