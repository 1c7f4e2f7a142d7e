"""Ending a trial and caching its features (kinewrite.trial_features): analysis is asked, storage
stores what it is given, at the same moments and with the same numbers as an analysis of the
samples read back."""

import h5py
import numpy as np

from kinewrite.analysis.features import ANALYSIS_VERSION, extract_features, feature_names
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import FEATURE_NAMES, FEATURE_VALUES, STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial


def _record(w: SessionWriter, task: str, t: np.ndarray, x: np.ndarray, y: np.ndarray,
            down: np.ndarray) -> str:
    name = w.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                         channels=("t", "x", "y", "pressure", "state"))
    w.append(t=t, x=x, y=y, pressure=np.where(down, 0.4, 0.0),
             state=np.where(down, STATE_TOUCH, STATE_HOVER))
    return name


def test_finish_trial_caches_the_features_of_the_stored_samples(tmp_path):
    rec = simulate_trial("loops", 3.0, seed=5).recording
    with SessionWriter.create(tmp_path, "WC-001") as w:
        name = _record(w, "loops", rec.t, rec.x, rec.y, rec.pen_down)
        features = finish_trial(w)
    trial = load_session(w.path).trial(name)
    assert trial.status == "complete" and trial.features_version == ANALYSIS_VERSION
    again = extract_features(trial.recording, task="loops")
    assert list(features) == list(trial.features) == list(again) == feature_names("loops")
    np.testing.assert_array_equal(np.array(list(trial.features.values())),
                                  np.array(list(again.values())))
    with h5py.File(w.path, "r") as f:  # the compact row holds the registry's order itself
        stored = [n.decode() if isinstance(n, bytes) else n
                  for n in f["trials"][name]["features"][FEATURE_VALUES].attrs[FEATURE_NAMES]]
    assert stored == feature_names("loops")


def test_a_trial_that_cannot_be_analyzed_keeps_why(tmp_path):
    # Timestamps 1e5 s apart (milliseconds taken for seconds): the analysis refuses them.
    t = np.arange(50) * 1e5
    with SessionWriter.create(tmp_path, "WC-001") as w:
        name = _record(w, "lines", t, np.linspace(0, 40, 50), np.zeros(50), np.ones(50, bool))
        assert finish_trial(w) is None
    trial = load_session(w.path).trial(name)
    assert trial.status == "complete" and trial.features is None
    assert "are the timestamps in seconds?" in trial.attrs["analysis_error"]


def test_nothing_cached_when_not_asked_or_without_samples(tmp_path):
    rec = simulate_trial("lines", 2.0, seed=1).recording
    with SessionWriter.create(tmp_path, "WC-001") as w:
        skipped = _record(w, "lines", rec.t, rec.x, rec.y, rec.pen_down)
        assert finish_trial(w, "aborted", compute_features=False,
                            attrs={"abort_reason": "test"}) is None
        empty = w.begin_trial("lines", nominal_rate_hz=133.0)
        assert finish_trial(w) is None
        ended = w.begin_trial("lines", nominal_rate_hz=133.0)
        w.append(t=rec.t, x=rec.x, y=rec.y)
        assert tuple(w.end_trial()) == (ended, rec.t.size)  # the writer computes nothing
    session = load_session(w.path)
    for name in (skipped, empty, ended):
        trial = session.trial(name)
        assert trial.features is None and "analysis_error" not in trial.attrs
    assert session.trial(skipped).attrs["abort_reason"] == "test"
    assert session.trial(empty).n_samples == 0
