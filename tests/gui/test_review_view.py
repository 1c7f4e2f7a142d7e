"""The Review view, offscreen, on real session files written by SessionWriter.

Every check compares what the plot items hold with the stored session (cached features) or
with the analysis core run on the stored samples; nothing is mocked.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage

from kinewrite.analysis.features import extract_features
from kinewrite.analysis.pipeline import prepare
from kinewrite.analysis.tremor import BAND_HZ, DETECTION_FACTOR
from kinewrite.errors import InputError
from kinewrite.gui.feature_table import format_value
from kinewrite.gui.review import ReviewView, render_review_png
from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import Calibration, trial_guide_mm
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial


def _record(w: SessionWriter, task: str, sim, state=None) -> str:
    rec = sim.recording
    name = w.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                         channels=("t", "x", "y", "pressure", "state"),
                         units={"x": "mm", "y": "mm", "pressure": "1"})
    if state is None:
        state = np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER)
    w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure, state=state)
    finish_trial(w, "complete")
    return name


@pytest.fixture(scope="module")
def session_path(tmp_path_factory):
    """001 loops 2.5 Hz + 6 Hz tremor (superseded by 005), 002 spiral + 6.3 Hz tremor,
    003 aborted without samples, 004 pen never down, 005 loops redo, 006 sentence."""
    study = tmp_path_factory.mktemp("study")
    w = SessionWriter.create(study, "WC-101", {"hand": "right"})
    loops = simulate_trial("loops", seconds=10, loop_hz=2.5, tremor_hz=6.0, tremor_mm=0.2,
                           seed=1)
    _record(w, "loops", loops)
    _record(w, "spiral", simulate_trial("spiral", tremor_hz=6.3, tremor_mm=0.3, seed=2))
    w.begin_trial("lines", channels=("t", "x", "y", "pressure", "state"))
    finish_trial(w, "aborted")
    hover = simulate_trial("lines", seed=4)
    _record(w, "lines", hover, state=np.full(hover.recording.t.size, STATE_HOVER))
    _record(w, "loops", simulate_trial("loops", seconds=10, loop_hz=2.5, seed=5))
    w.supersede("001", by="005")
    _record(w, "sentence", simulate_trial("sentence", seed=6))
    w.close()
    return w.path


@pytest.fixture(scope="module")
def session(session_path):
    return load_session(session_path)


@pytest.fixture
def view(qtbot):
    v = ReviewView()
    qtbot.addWidget(v)
    v.resize(1400, 900)
    return v


def _finite(a: np.ndarray) -> np.ndarray:
    return a[np.isfinite(a)]


def test_default_trial_and_selector(view, session_path, session):
    view.load(session_path)
    assert view.trial.name == "006"  # the last complete trial
    box = view.trial_box
    assert box.count() == len(session.trials) == 6
    captions = [box.itemText(i) for i in range(box.count())]
    assert captions[0] == "001 · Loops (llll) · superseded by 005"
    assert captions[2] == "003 · Straight lines · aborted"
    box.setCurrentIndex(1)
    assert view.trial.name == "002" and view.trial.task == "spiral"
    assert view.message_text() is None


def test_plotted_speed_and_vy_are_prepares(view, session):
    view.load_trial(session, "001")
    trial = session.trial("001")
    p = prepare(trial.recording, "loops")
    got = view.plotted()
    np.testing.assert_array_equal(_finite(got["speed_mm_s"]), p.speed)
    np.testing.assert_array_equal(_finite(got["vy_mm_s"]), p.vy)
    np.testing.assert_allclose(_finite(got["speed_t_s"]), p.g_t - p.t[0], atol=1e-12)
    # one NaN break between consecutive pen-down segments, none elsewhere
    assert np.count_nonzero(np.isnan(got["speed_mm_s"])) == p.g_segments.count - 1
    # pressure: the stored fraction while the pen is down, a break while it is up
    pr = got["pressure"]
    np.testing.assert_array_equal(pr[p.pen_down], p.pressure[p.pen_down])
    assert np.all(np.isnan(pr[~p.pen_down]))


@pytest.mark.parametrize("name", ["001", "002", "005", "006"])
def test_stroke_boundaries_match_stored_stroke_count(view, session, name):
    view.load_trial(session, name)
    stored = session.trial(name).features["stroke_count"]
    boundaries = view.plotted()["stroke_boundaries_s"]
    assert boundaries.size == stored
    assert np.all(np.diff(boundaries) > 0)
    if name in ("001", "005"):  # docs/science.md ground truth: 2.5 Hz loops for 10 s
        assert 48 <= boundaries.size <= 50


@pytest.mark.parametrize(("name", "truth_hz"), [("001", 6.0), ("002", 6.3)])
def test_spectrum_peak_is_the_stored_tremor_frequency(view, session, name, truth_hz):
    view.load_trial(session, name)
    f = session.trial(name).features
    got = view.plotted()
    assert f["tremor_detected"] == 1.0
    assert got["tremor_peak_hz"].size == 1
    assert got["tremor_peak_hz"][0] == pytest.approx(f["tremor_frequency_hz"], abs=1e-12)
    assert abs(got["tremor_peak_hz"][0] - truth_hz) < 0.1
    hz, power = got["spectrum_hz"], got["spectrum_mm2_per_hz"]
    band = (hz >= BAND_HZ[0]) & (hz <= BAND_HZ[1])
    threshold = got["tremor_threshold_mm2_per_hz"][0]
    assert threshold == pytest.approx(DETECTION_FACTOR * np.median(power[band]), rel=1e-12)
    assert np.interp(got["tremor_peak_hz"][0], hz, power) > threshold


def test_no_tremor_no_peak(view, session):
    view.load_trial(session, "005")  # loops without tremor
    assert session.trial("005").features["tremor_detected"] == 0.0
    got = view.plotted()
    assert got["tremor_peak_hz"].size == 0
    assert got["spectrum_hz"].size > 0  # the spectrum is still shown


@pytest.mark.parametrize("name", ["001", "002", "006"])
def test_table_shows_the_stored_features(view, session, name):
    view.load_trial(session, name)
    stored = session.trial(name).features
    shown = view.table.shown_values()
    assert list(shown) == list(stored)
    np.testing.assert_array_equal(np.array(list(shown.values())),
                                  np.array(list(stored.values())))
    for i, (key, value) in enumerate(stored.items()):
        text = view.table.item(i, 1).text()
        if np.isnan(value) and key.endswith("_N"):
            assert text == "uncalibrated", key  # the absence said, not "n/a"
        elif np.isnan(value) and key.startswith("tremor_") and stored["tremor_detected"] == 0:
            assert text == "no tremor detected", key
        else:
            assert text == format_value(value, key), key


def test_table_uses_cached_values_not_recomputed(view, session_path, tmp_path):
    copy = tmp_path / session_path.name
    shutil.copy(session_path, copy)
    with h5py.File(copy, "r+") as f:
        row = f["trials/001/features/values"]  # the cache's truth: its compact row
        names = [n.decode() if isinstance(n, bytes) else n for n in row.attrs["names"]]
        row[names.index("stroke_count")] = 999.0
    view.load(copy, "001")
    assert view.table.shown_values()["stroke_count"] == 999.0
    assert view.plotted()["stroke_boundaries_s"].size != 999


def test_table_flags_values_outside_the_healthy_range(view, session):
    # loops drawn at 2.5 Hz are paced: the 4.5-5 Hz band of fluent handwriting does not
    # apply, so they are not flagged (they were "below" before)
    view.load_trial(session, "001")
    rows = {r.name: r for r in view.table.rows()}
    assert rows["stroke_frequency_hz"].range_text == ""
    assert rows["stroke_frequency_hz"].flag == "" and rows["automation_pct"].flag == ""
    i = [r.name for r in view.table.rows()].index("stroke_frequency_hz")
    assert view.table.item(i, 4).text() == ""
    assert "uncalibrated" in view.table_note.text()  # no stylus profile: no newtons
    view.load_trial(session, "006")  # the sentence: handwriting, the band applies
    rows = {r.name: r for r in view.table.rows()}
    rhythm = rows["stroke_frequency_hz"]
    assert rhythm.range_text == "4.5–5 Hz"
    assert rhythm.flag == ("below" if rhythm.value < 4.5 else "above" if rhythm.value > 5
                           else "")
    view.load_trial(view._session, "002")  # spiral: no writing-rhythm reference applies
    rows = {r.name: r for r in view.table.rows()}
    assert rows["stroke_frequency_hz"].range_text == ""
    assert rows["stroke_frequency_hz"].flag == ""


def test_spiral_plot_only_for_spiral_trials(view, session):
    view.load_trial(session, "002")
    got = view.plotted()
    assert "spiral_r_mm" in got and not view.spiral_widget.isHidden()
    stored_b = session.trial("002").features["spiral_tightness_mm_per_rad"]
    th, fit = got["spiral_fit_theta_rad"], got["spiral_fit_r_mm"]
    assert (fit[1] - fit[0]) / (th[1] - th[0]) == pytest.approx(stored_b, rel=1e-9)
    assert got["spiral_theta_rad"][-1] - got["spiral_theta_rad"][0] == pytest.approx(
        2 * np.pi * 5, rel=0.05)  # 5 turns simulated
    for name in ("001", "006"):
        view.load_trial(session, name)
        assert view.spiral_widget.isHidden()
        assert "spiral_r_mm" not in view.plotted()


@pytest.mark.parametrize(("name", "words"), [("003", "no samples"),
                                             ("004", "pen never touches")])
def test_unanalyzable_trial_shows_a_message(view, session, name, words):
    view.load_trial(session, name)
    msg = view.message_text()
    assert msg is not None and words in msg and f"Trial {name}" in msg
    assert view.data is None
    view.load_trial(session, "001")  # and the view recovers
    assert view.message_text() is None and view.data is not None


def test_replay_at_time_t_shows_only_samples_up_to_t(view, session):
    view.load_trial(session, "006")  # sentence: ink, hover and pen lifts
    d = view.data
    for t_show in (0.0, 3.3, 9.87, d.duration_s):
        view.replay.set_time(t_show)
        got = view.plotted()
        assert got["replay_time_s"][0] == t_show
        upto = d.t_s <= t_show
        # every drawn ink point is a pen-down sample with t <= T ...
        ink_x = got["ink_x_mm"]
        assert np.isin(ink_x, d.x_mm[upto & d.pen_down]).all()
        # ... and every ink piece ending by T is drawn (2 points per piece)
        down = d.pen_down
        pieces = down[:-1] & down[1:] & ~d.gap_after & (d.t_s[1:] <= t_show)
        assert ink_x.size == 2 * np.count_nonzero(pieces)
        assert np.isin(got["hover_x_mm"], d.x_mm[upto]).all()
        lifts = np.flatnonzero(down[:-1] & ~down[1:])
        assert got["lift_x_mm"].size == np.count_nonzero(d.t_s[lifts] <= t_show)
    assert got["hover_x_mm"].size > 0  # the sentence has hover between words
    assert got["lift_x_mm"].size == session.trial("006").features["pen_lifts"]


def test_cursor_follows_replay_and_play_advances(view, session, qtbot):
    view.load_trial(session, "005")
    view.replay.set_time(2.0)
    assert all(c.value() == 2.0 for c in view._cursors)
    view.replay.speed_box.setCurrentIndex(2)  # 4x
    view.replay.play()
    assert view.replay.playing
    qtbot.waitUntil(lambda: view.replay.time > 3.2, timeout=3000)
    view.replay.pause()
    t = view.replay.time
    qtbot.wait(100)
    assert view.replay.time == t and not view.replay.playing
    assert view._cursors[0].value() == t


def test_colour_by_pressure_relabels_the_colour_bar(view, session):
    view.load_trial(session, "001")
    box = view.replay.color_box
    assert [box.itemText(i) for i in range(box.count())] == ["speed", "pressure"]
    assert view.replay.color_label == "speed (mm/s)"
    n_before = view.plotted()["ink_x_mm"].size
    box.setCurrentIndex(1)
    assert view.replay.color_label == "pressure (fraction of max)"
    assert view.plotted()["ink_x_mm"].size == n_before  # same path, other colours


def test_render_review_png(session_path, tmp_path, qtbot):
    out = render_review_png(session_path, "002", tmp_path / "review.png", size=(1400, 900))
    img = QImage(str(out))
    assert not img.isNull()
    assert img.width() >= 1400 and img.height() >= 900  # device pixel ratio may scale
    # not a blank image: the white plot backgrounds and dark ink both present
    colors = {img.pixelColor(x, y).name() for x in range(0, img.width(), 7)
              for y in range(0, img.height(), 7)}
    assert "#ffffff" in colors and len(colors) > 20
    with pytest.raises(InputError, match="no trial '099'"):
        render_review_png(session_path, "099", tmp_path / "x.png")
    with pytest.raises(InputError, match="no such session file"):
        render_review_png(tmp_path / "missing.h5", None, tmp_path / "x.png")


def test_load_60_s_at_200_hz_is_fast(view, tmp_path):
    w = SessionWriter.create(tmp_path, "WC-102")
    _record(w, "circles", simulate_trial("circles", seconds=60, rate_hz=200, seed=7))
    w.close()
    session = load_session(w.path)
    assert session.trials[0].n_samples >= 12000
    view.load_trial(session, "001")  # warm-up: filter designs are cached on first use
    start = time.perf_counter()
    view.load_trial(session, "001")
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"loading a 60 s trial took {elapsed:.3f} s"
    assert view.table.item(0, 0).data(Qt.ItemDataRole.DisplayRole)


def test_pressure_in_newtons_where_calibrated(view, tmp_path):
    cal = Calibration(pressure_max=1.0, pressure_newton_coeffs=(8.0, 0.0), tare_N=0.1,
                      source="test stylus profile")
    w = SessionWriter.create(tmp_path, "WC-103", calibration=cal)
    _record(w, "loops", simulate_trial("loops", seconds=5, seed=8))
    w.close()
    session = load_session(w.path)
    view.load_trial(session, "001")
    p = prepare(session.trials[0].recording, "loops")
    got = view.plotted()["pressure"]
    np.testing.assert_allclose(got[p.pen_down], 8.0 * p.pressure[p.pen_down] - 0.1,
                               rtol=1e-12)
    assert view.pressure_plot.getAxis("left").labelText == "pressure (N)"
    assert view.replay.color_box.itemText(1) == "pressure"
    view.replay.color_box.setCurrentIndex(1)
    assert view.replay.color_label == "pressure (N)"
    # the table keeps the stored fraction: pressure features are fractions of the range
    assert view.table.shown_values()["pressure_mean"] == session.trials[0].features[
        "pressure_mean"]


def test_table_says_no_tremor_and_uncalibrated_instead_of_numbers(view, session):
    view.load_trial(session, "006")  # the sentence: no tremor simulated, no stylus profile
    features = session.trial("006").features
    i = {r.name: k for k, r in enumerate(view.table.rows())}
    assert features["tremor_detected"] == 0
    assert view.table.item(i["tremor_amplitude_pp_mm"], 1).text() == "no tremor detected"
    assert view.table.item(i["pressure_mean_N"], 1).text() == "uncalibrated"
    assert view.table.shown_values()["tremor_amplitude_pp_mm"] != 0.0  # NaN, not 0 mm


SAMPLE_STUDY = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


@pytest.mark.parametrize("path", sorted(SAMPLE_STUDY.rglob("*.h5")), ids=lambda p: p.stem[8:23])
def test_plotted_strokes_and_tremor_peak_are_the_features_on_the_sample_study(view, path):
    """What the plots hold is what extract_features measures now, trial by trial."""
    session = load_session(path)
    for trial in session.trials:
        view.load_trial(session, trial.name)
        f = extract_features(trial.recording, task=trial.task,
                             guide_xy_mm=trial_guide_mm(trial.attrs, trial.calibration))
        got = view.plotted()
        assert got["stroke_boundaries_s"].size == f["stroke_count"], trial.name
        if f["tremor_detected"] == 1.0:
            assert got["tremor_peak_hz"].tolist() == [f["tremor_frequency_hz"]], trial.name
        else:
            assert got["tremor_peak_hz"].size == 0, trial.name


def test_no_spectrum_draws_no_empty_axes(view):
    """Straight lines have no pen-down segment of 1 s: the spectrum plot says so without log
    axes, grid, band or legend (empty axes read as a measurement of nothing); a trial with a
    spectrum shows them again."""
    session = load_session(sorted(SAMPLE_STUDY.glob("SIM-001/session-*.h5"))[-1])
    lines = next(t.name for t in session.trials if t.task == "lines")
    spiral = next(t.name for t in session.trials if t.task == "spiral")
    view.load_trial(session, lines)
    spectrum = view.spectrum
    assert spectrum.titleLabel.text.startswith("no spectrum")
    assert not spectrum.getAxis("left").isVisible()
    assert not spectrum.getAxis("bottom").isVisible()
    assert not view.plotted()["spectrum_hz"].size
    view.load_trial(session, spiral)
    assert spectrum.getAxis("left").isVisible() and spectrum.getAxis("bottom").isVisible()
    assert view.plotted()["spectrum_hz"].size > 0
