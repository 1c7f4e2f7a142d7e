"""Files shaped like the real recordings issue 12 measured (PaHaW SVC, Office InkML, 133 Hz
Wacom clocks, template spirals), built here: the real files stay outside the repository.

Each test asserts what the definition says (docs/import.md, docs/features.md), not what the
code printed."""

from pathlib import Path

import numpy as np
import pytest

from kinewrite.analysis import preprocess as pp
from kinewrite.analysis.features import extract_features
from kinewrite.analysis.pipeline import prepare
from kinewrite.analysis.scale import check_scale
from kinewrite.cli import main
from kinewrite.formats import ImportOptions, decode_recording, read_recording_file
from kinewrite.model import Recording
from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.reader import channels_to_recording, load_session
from kinewrite.storage.schema import STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

T0_MS = 1_300_000_000  # PaHaW timestamps are large absolute device ticks


def svc_text(rows: np.ndarray) -> str:
    rows = np.asarray(rows, dtype=np.int64)
    return f"{len(rows)}\n" + "\n".join(" ".join(map(str, r)) for r in rows) + "\n"


def clock_7_8_ms(n: int, t0: int = T0_MS) -> np.ndarray:
    """A 133 Hz Wacom clock in whole ms: steps alternate 7 and 8 ms (mean 7.5 ms)."""
    return t0 + np.concatenate(([0], np.cumsum(np.where(np.arange(n - 1) % 2, 8, 7))))


def pahaw_rows(y_mm: np.ndarray, x_mm: np.ndarray, pen: np.ndarray, units_per_mm: float = 200.0,
               pressure: np.ndarray | None = None, t_ms: np.ndarray | None = None) -> np.ndarray:
    """PaHaW column order: y x timestamp pen_status azimuth altitude pressure."""
    n = y_mm.size
    rows = np.zeros((n, 7), dtype=np.int64)
    rows[:, 0] = np.round(y_mm * units_per_mm)
    rows[:, 1] = np.round(x_mm * units_per_mm)
    rows[:, 2] = clock_7_8_ms(n) if t_ms is None else t_ms
    rows[:, 3] = pen
    rows[:, 4], rows[:, 5] = 1200, 500
    rows[:, 6] = np.where(pen == 1, 900 if pressure is None else pressure, 0)
    return rows


def loops_rows(height_mm: float, units_per_mm: float = 200.0, seconds: float = 6.0,
               lifts: int = 0) -> np.ndarray:
    """Cursive loops 'llll' at 2.5 Hz, `height_mm` tall, sampled on a 7/8 ms clock."""
    n = int(seconds / 0.0075)
    t = np.arange(n) * 0.0075
    w = 2 * np.pi * 2.5
    x = 1.2 * height_mm * t + 0.3 * height_mm * np.sin(w * t)
    y = -0.5 * height_mm * np.cos(w * t)
    pen = np.ones(n, dtype=np.int64)
    for k in range(lifts):
        s = (k + 1) * n // (lifts + 1)
        pen[s:s + 30] = 0
    return pahaw_rows(y, x, pen, units_per_mm)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    root.mkdir()
    return root


def run_import(study: Path, *args: str) -> int:
    return main(["import", *args, "--study", str(study), "--patient", "PH-001"])


# ---------------------------------------------------------------- SVC pressure range


def test_a_pahaw_batch_with_level_2048_imports_with_default_options(study, tmp_path, capsys):
    paths = []
    for k in range(6):
        rows = loops_rows(6.0, lifts=2)
        rows[:, 5] += k  # distinct files (identical bytes would be imported once)
        if k in (1, 4):  # as in 6 of the 129 PaHaW files: the pen reaches level 2048
            rows[100:110, 6] = 2048
        paths.append(tmp_path / f"u{k:05d}s00001_hw{k:05d}.svc")
        paths[-1].write_text(svc_text(rows))
    assert run_import(study, *map(str, paths)) == 0, capsys.readouterr().err
    (path,) = study.glob("PH-001/session-*.h5")
    session = load_session(path)
    assert session.calibration.pressure_max == 2048
    assert "0..2048" in session.calibration.source
    levels = [t.attrs["svc_pressure_max_level_in_file"] for t in session.trials]
    assert levels == [900, 2048, 900, 900, 2048, 900]  # what each file held is recorded
    for trial in session.trials:
        assert trial.features["on_surface_strokes"] == 3
        assert trial.recording.pressure.max() <= 1.0


def test_a_level_beyond_2048_is_refused_naming_the_option(study, tmp_path, capsys):
    rows = loops_rows(6.0)
    rows[50, 6] = 2049
    path = tmp_path / "hard.svc"
    path.write_text(svc_text(rows))
    assert run_import(study, str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hard.svc" in err and "--pressure-levels" in err
    assert "2049" in err and not list(study.glob("PH-001/session-*.h5"))
    assert run_import(study, str(path), "--pressure-levels", "4096") == 0


# ------------------------------------------------ timestamps stepping back (PaHaW)


def _stepping_back_file(runs: int = 5, down_n: int = 120, hover_n: int = 40,
                        back_ms: tuple[int, ...] = (18, 60, 119, 45)) -> np.ndarray:
    """Pen-down runs separated by hover runs; at every hover-to-touch change the clock steps
    back (18-119 ms, as in 9 PaHaW files) and the first touch sample sits at the last hover
    position. In file order: `runs` pen-down runs."""
    n = runs * down_n + (runs - 1) * hover_n
    pen = np.zeros(n, dtype=np.int64)
    for k in range(runs):
        s = k * (down_n + hover_n)
        pen[s:s + down_n] = 1
    t = clock_7_8_ms(n)
    for k in range(1, runs):
        s = k * (down_n + hover_n)  # first touch sample of run k
        t[s:] -= back_ms[(k - 1) % len(back_ms)] + 7  # one step forward, then back_ms back
    x = np.arange(n) * 0.05  # mm, a slow slant: 0.05 mm per sample
    y = 4.0 * np.sin(np.arange(n) * 2 * np.pi / 80)
    for k in range(1, runs):
        s = k * (down_n + hover_n)
        x[s], y[s] = x[s - 1], y[s - 1]  # touch lands where the hover ended
    return pahaw_rows(y, x, pen, t_ms=t)


def test_backward_timestamps_keep_file_order_strokes_and_in_air_time(study, tmp_path):
    rows = _stepping_back_file()
    assert np.count_nonzero(np.diff(rows[:, 2]) < 0) == 4  # the fault is in the file
    path = tmp_path / "stepping_back.svc"
    path.write_text(svc_text(rows))
    assert run_import(study, str(path)) == 0
    (session_path,) = study.glob("PH-001/session-*.h5")
    trial = load_session(session_path).trials[0]
    f = trial.features
    assert f["on_surface_strokes"] == 5 and f["pen_lifts"] == 4  # sorting gave 5 -> 18
    # in file order a lift lasts from the last touch sample to the next run's first:
    # 40 hover samples + 1 step at 7.5 ms; the faulty step counts as one sample period
    assert f["in_air_time_s"] == pytest.approx(4 * 41 * 0.0075, rel=0.01)
    # the rebuilt clock is monotone and the recording keeps every sample in file order
    rec = trial.recording
    p = prepare(rec, "free")
    assert np.all(np.diff(p.t) > 0)
    assert np.array_equal(p.pen_down, rec.pen_down)  # not reordered: no interleaving


def test_sorting_would_have_interleaved_hover_and_touch():
    """The fault the rule guards against, shown on the same shape: sorting by time puts the
    late hover samples between touch samples and multiplies the pen-down runs."""
    rows = _stepping_back_file()
    pen = rows[:, 3][np.argsort(rows[:, 2], kind="stable")] == 1
    assert pp.runs(pen).count > 5
    t_fixed, n_back = pp.close_backward_steps(rows[:, 2] * 1e-3)
    assert n_back == 4 and np.all(np.diff(t_fixed) >= 0)
    steps = np.diff(t_fixed)[np.diff(rows[:, 2]) < 0]
    assert steps == pytest.approx(0.0075, abs=0.0006)  # one typical step (7 or 8 ms)


# --------------------------------------------------------------- nominal rate


def test_nominal_rate_of_a_7_8_ms_clock_is_133_hz(study, tmp_path):
    path = tmp_path / "clock.svc"
    path.write_text(svc_text(loops_rows(6.0, lifts=2)))
    assert run_import(study, str(path)) == 0
    (session_path,) = study.glob("PH-001/session-*.h5")
    trial = load_session(session_path).trials[0]
    assert trial.nominal_rate_hz == pytest.approx(1000 / 7.5, rel=1e-3)  # not 125 Hz
    assert "covered time" in trial.attrs["nominal_rate_hz_source"]


def test_effective_rate_leaves_out_gaps_and_counts_duplicates():
    t = clock_7_8_ms(1001) * 1e-3
    assert pp.effective_rate_hz(t) == pytest.approx(1000 / 7.5, rel=1e-3)
    gapped = np.concatenate((t[:500], t[500:] + 2.0))  # a 2 s gap
    assert pp.effective_rate_hz(gapped) == pytest.approx(1000 / 7.5, rel=1e-3)
    doubled = np.sort(np.concatenate((t, t[::10])))  # coalesced samples share stamps
    assert pp.effective_rate_hz(doubled) == pytest.approx(1100 / 7.5, rel=2e-3)


# ----------------------------------------------------------- physical scale check


def test_letters_too_small_for_the_task_are_reported_in_one_line(study, tmp_path, capsys):
    # true letters 6 mm tall on a tablet of ~24 units/mm read at the default 200 units/mm:
    # 0.72 mm; at 1.6 mm, as PaHaW reads, the same
    path = tmp_path / "letters.svc"
    path.write_text(svc_text(loops_rows(6.0, units_per_mm=200 * 1.6 / 6.0)))
    assert run_import(study, str(path)) == 0  # imported, but said
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and "letters.svc" in err
    assert "--device-units-per-mm" in err and "1.6 mm" in err
    (session_path,) = study.glob("PH-001/session-*.h5")
    trial = load_session(session_path).trials[0]
    assert "--device-units-per-mm" in trial.attrs["scale_warning"]
    # with the resolution it names, the same file is plausible and nothing is said
    assert run_import(study, str(path), "--reimport", "--device-units-per-mm",
                      f"{200 * 1.6 / 6.0:g}") == 0
    assert capsys.readouterr().err == ""


def test_a_13_mm_spiral_is_reported_and_a_80_mm_one_is_not(study, tmp_path, capsys):
    rec = simulate_trial("spiral", 10.0, seed=3, rate_hz=133.0).recording
    for width, said in ((13.0, True), (80.0, False)):
        k = width / np.ptp(rec.x)
        rows = pahaw_rows(rec.y * k, rec.x * k, np.ones(rec.t.size, dtype=np.int64),
                          t_ms=T0_MS + np.round(rec.t * 1000).astype(np.int64))
        path = tmp_path / f"spiral{width:g}.svc"
        path.write_text(svc_text(rows))
        assert run_import(study, str(path), "--task", "spiral", "--reimport") == 0
        err = capsys.readouterr().err
        assert ("spiral width" in err and "--device-units-per-mm" in err) is said
        assert err.count("\n") == int(said)


def test_check_scale_ranges():
    rec = simulate_trial("loops", 5.0, seed=1).recording
    f = extract_features(rec, "loops")
    assert 3 <= f["stroke_size_median_mm"] <= 20 and check_scale(rec, "loops", f) is None
    small = Recording(t=rec.t, x=rec.x * 0.1, y=rec.y * 0.1, pen_down=rec.pen_down)
    found = check_scale(small, "loops", extract_features(small, "loops"))
    assert found is not None and found.value_mm < 2.0
    assert check_scale(small, "lines") is None  # no typical size for lines: not checked


# ---------------------------------------------------------- InkML resolution


OFFICE_INK = """<?xml version="1.0" encoding="UTF-8"?>
<inkml:ink xmlns:inkml="http://www.w3.org/2003/InkML">
 <inkml:definitions>
  <inkml:context xml:id="ctx0">
   <inkml:inkSource xml:id="src0">
    <inkml:traceFormat>
     <inkml:channel name="X" type="integer" max="32767" units="{u}"/>
     <inkml:channel name="Y" type="integer" max="32767" units="{u}"/>
     <inkml:channel name="T" type="integer" units="ms"/>
     <inkml:channel name="F" type="integer" max="32767" units="dev"/>
    </inkml:traceFormat>
    <inkml:channelProperties>
     <inkml:channelProperty channel="X" name="resolution" value="{res}" units="1/{u}"/>
     <inkml:channelProperty channel="Y" name="resolution" value="{res}" units="1/{u}"/>
     <inkml:channelProperty channel="F" name="resolution" value="0" units="1/dev"/>
    </inkml:channelProperties>
   </inkml:inkSource>
  </inkml:context>
 </inkml:definitions>
 <inkml:trace contextRef="#ctx0">{points}</inkml:trace>
</inkml:ink>
"""


@pytest.mark.parametrize(("unit", "res", "mm_per_unit"), [
    ("cm", 1000, 0.01),  # Office / Journal ink: 1000 per cm
    ("in", 2540, 0.01),
    ("mm", 100, 0.01),
    ("pt", 72, 25.4 / 72 / 72),
])
def test_inkml_channel_resolution_gives_positions_in_mm(unit, res, mm_per_unit):
    xs = np.arange(0, 201) * 10  # stored values 0..2000
    points = ", ".join(f"{x} 500 {5 * i} 16000" for i, x in enumerate(xs))
    doc = OFFICE_INK.format(u=unit, res=res, points=points).encode()
    trial = decode_recording(doc, "office.inkml", "inkml", ImportOptions())
    assert trial.scale.x_mm_per_unit == pytest.approx(mm_per_unit)
    assert trial.scale.y_mm_per_unit == pytest.approx(-mm_per_unit)  # InkML Y points down
    rec = trial.calibration
    assert np.ptp(trial.channels["x"]) * rec.x_mm_per_unit == pytest.approx(2000 * mm_per_unit)
    assert "channelProperty resolution" in trial.attrs["unit_conversion"]


def test_inkml_without_resolution_keeps_the_declared_unit():
    doc = (OFFICE_INK.replace(
        '<inkml:channelProperty channel="X" name="resolution" value="{res}" units="1/{u}"/>\n',
        "").replace(
        '<inkml:channelProperty channel="Y" name="resolution" value="{res}" units="1/{u}"/>\n',
        "")).format(u="cm", res=0, points="0 0 0 1, 1 0 5 1, 2 0 10 1")
    trial = decode_recording(doc.encode(), "cm.inkml", "inkml", ImportOptions())
    assert trial.scale.x_mm_per_unit == 10.0  # values in cm


# ---------------------------------------------- low-pass padding with the clamped cut-off


def test_low_pass_pads_with_the_clamped_cut_off():
    """At a 20 Hz grid the 12 Hz cut-off is clamped to 9 Hz; its padding must be that of a
    9 Hz filter, or the transient of a jump between two segments leaks into the next."""
    rate = 20.0
    p = prepare(_two_segments(), "lines", rate_hz=rate, lowpass_hz=12.0)
    assert p.lowpass_hz == pytest.approx(9.0)
    assert p.filter_settle == pp.settle_samples(9.0, rate)
    # the padding covers the designed filter's slowest pole decaying by exp(-10)
    from scipy import signal
    _, poles, _ = signal.butter(4, 9.0, fs=rate, output="zpk")
    assert np.max(np.abs(poles)) ** p.filter_settle <= np.exp(-10)
    # each segment filtered alone (padding ample) equals the joint filtering
    sos = pp.butter_sos(9.0, rate, 4, "lowpass")
    seg = p.g_segments
    for k in range(seg.count):
        sl = slice(seg.starts[k], seg.stops[k])
        alone = pp.filtfilt_segments(_raw_grid(p)[sl], pp.Segments(np.array([0]),
                                     np.array([seg.lengths[k]])), sos, 200)
        jump = 1000.0
        assert np.max(np.abs(p.g_x[sl] - alone)) < 1e-4 * jump


def _two_segments() -> Recording:
    t = np.arange(0, 8, 0.0075)
    x = 5.0 * np.sin(2 * np.pi * 0.7 * t) + np.where(t > 4.1, 1000.0, 0.0)
    pen = ~((t > 4.0) & (t < 4.2))
    return Recording(t=t, x=x, y=np.zeros(t.size), pen_down=pen)


def _raw_grid(p) -> np.ndarray:
    """The grid positions before the low-pass (resampled again from the prepared samples)."""
    segs = pp.split_segments(p.pen_down, p.clock.gap_after)
    _, cols, _ = pp.resample_segments(p.t, (p.x,), segs, p.rate_hz)
    return cols[0]


# ---------------------------------------------------------------- template spiral


def _spiral(tremor_mm: float = 0.0, offset_mm: float = 0.0) -> tuple[Recording, np.ndarray]:
    """The protocol's guide (5 turns, radius 0 -> 40 mm), traced at constant linear speed in
    15 s at 200 Hz; optionally a radial 6.3 Hz tremor, or an offset from the guide."""
    t = np.arange(0, 15, 1 / 200)
    theta_end, b = 2 * np.pi * 5, 40.0 / (2 * np.pi * 5)
    s = 0.5 * b * theta_end**2 * t / t[-1]
    theta = np.sqrt(2 * s / b)
    r = b * theta + offset_mm + tremor_mm * np.sin(2 * np.pi * 6.3 * t)
    g_theta = np.linspace(0, theta_end, 901)
    guide = np.column_stack((b * g_theta * np.cos(g_theta), b * g_theta * np.sin(g_theta)))
    rec = Recording(t=t, x=r * np.cos(theta), y=r * np.sin(theta),
                    pen_down=np.ones(t.size, dtype=bool))
    return rec, guide


def test_a_template_spiral_scores_zero_and_a_tremulous_one_does_not():
    rec, guide = _spiral()
    f = extract_features(rec, "spiral", guide_xy_mm=guide)
    assert f["spiral_smoothness_1"] < 0.005  # mm/rad; was 0.52 with the filter transient
    assert f["spiral_smoothness_2"] < 0.05
    assert f["spiral_tightness_mm_per_rad"] == pytest.approx(40 / (2 * np.pi * 5), rel=1e-3)
    assert f["spiral_fit_deviation_rms_mm"] < 0.005
    assert f["spiral_fit_hausdorff_mm"] < 0.01
    assert f["spiral_guide_deviation_rms_mm"] < 0.05
    shaky = extract_features(_spiral(tremor_mm=0.3)[0], "spiral")
    assert shaky["spiral_smoothness_1"] > 100 * max(f["spiral_smoothness_1"], 0.01)


def test_spiral_deviation_ground_truth():
    # a 0.3 mm radial sinusoid: RMS distance to the fitted spiral 0.3 / sqrt(2) = 0.212 mm,
    # Hausdorff 0.3 mm (the crests)
    f = extract_features(_spiral(tremor_mm=0.3)[0], "spiral")
    assert f["spiral_fit_deviation_rms_mm"] == pytest.approx(0.3 / np.sqrt(2), rel=0.05)
    assert f["spiral_fit_hausdorff_mm"] == pytest.approx(0.3, rel=0.1)
    assert np.isnan(f["spiral_guide_deviation_rms_mm"])  # no guide shown
    # drawn 1 mm outside the guide everywhere: RMS 1 mm to the guide, ~0 to its own fit
    rec, guide = _spiral(offset_mm=1.0)
    g = extract_features(rec, "spiral", guide_xy_mm=guide)
    assert g["spiral_guide_deviation_rms_mm"] == pytest.approx(1.0, rel=0.03)
    assert g["spiral_guide_hausdorff_mm"] == pytest.approx(1.0, rel=0.2)
    assert g["spiral_fit_deviation_rms_mm"] < 0.01


def test_the_shown_guide_reaches_the_features_through_the_session(tmp_path):
    """The recording panel stores the shown guide in canvas px (guide_polylines_px); the
    session maps it with its calibration, as it maps the samples."""
    import json

    rec, guide_mm = _spiral(offset_mm=1.0)
    cal = Calibration(x_mm_per_unit=0.25, y_mm_per_unit=-0.25, y_offset_mm=100.0,
                      source="test: 4 px per mm, y down")
    to_px = np.column_stack((rec.x / 0.25, (100.0 - rec.y) / 0.25))
    guide_px = np.column_stack((guide_mm[:, 0] / 0.25, (100.0 - guide_mm[:, 1]) / 0.25))
    w = SessionWriter.create(tmp_path, "P1", calibration=cal)
    w.begin_trial("spiral", channels=("t", "x", "y", "state"),
                  attrs={"guide_polylines_px": json.dumps([guide_px.round(2).tolist()]),
                         "guide_shown": 1})
    w.append(t=rec.t, x=to_px[:, 0], y=to_px[:, 1], state=np.full(rec.t.size, STATE_TOUCH))
    features = finish_trial(w)
    w.close()
    assert features["spiral_guide_deviation_rms_mm"] == pytest.approx(1.0, rel=0.03)
    stored = load_session(w.path).trials[0].features
    assert stored["spiral_guide_deviation_rms_mm"] == pytest.approx(1.0, rel=0.03)


# ------------------------------------------------------------ pressure tremor peak


def test_pressure_tremor_peak_ground_truth():
    rec = simulate_trial("circles", 10.0, seed=2).recording
    t = rec.t
    base = 0.4 + 0.05 * t / t[-1]  # a slow drift is not a tremor
    for amp in (0.03, 0.0):
        pressure = base + amp * np.sin(2 * np.pi * 7.0 * t)
        f = extract_features(Recording(t=t, x=rec.x, y=rec.y, pressure=pressure,
                                       pen_down=rec.pen_down), "circles")
        if amp:
            assert f["pressure_tremor_detected"] == 1.0
            assert f["pressure_tremor_frequency_hz"] == pytest.approx(7.0, abs=0.1)
            assert f["pressure_tremor_amplitude_rms"] == pytest.approx(amp / np.sqrt(2),
                                                                      rel=0.1)
        else:
            assert f["pressure_tremor_detected"] == 0.0
            assert np.isnan(f["pressure_tremor_frequency_hz"])


def test_a_file_never_in_order_is_sorted_but_a_clock_fault_is_not():
    t = np.arange(600) / 133
    order, fixed = pp.restore_order(t[np.random.default_rng(0).permutation(600)])
    assert order is not None and np.all(np.diff(fixed) >= 0)  # shuffled rows: time order
    faulty = t.copy()
    faulty[300:] -= 0.06  # one 60 ms step back in 600 samples
    order, fixed = pp.restore_order(faulty)
    assert order is None and np.all(np.diff(fixed) > 0)  # file order kept, clock closed


def test_pahaw_shaped_counts_match_handwriting_features(tmp_path):
    """Where the definitions match (on-surface strokes = pen-down runs, pen-down pressure),
    the default import agrees with BDALab handwriting-features (the ``bench`` extra; the
    full comparison is benchmarks/validate_peers.py, docs/validation.md)."""
    import contextlib
    import io
    import logging

    with contextlib.redirect_stdout(io.StringIO()):
        hf = pytest.importorskip("handwriting_features.features")
    logging.getLogger().setLevel(logging.WARNING)  # its import sets DEBUG on stdout
    for k, rows in enumerate((_stepping_back_file(), _stepping_back_file(runs=3, hover_n=25),
                              loops_rows(6.0, lifts=3))):
        rows = rows.copy()
        rows[20:30, 6] = 2048  # the level six PaHaW files hold
        path = tmp_path / f"f{k}.svc"
        path.write_text(svc_text(rows))
        trial = read_recording_file(path, None, ImportOptions())
        rec = channels_to_recording(trial.channels, trial.calibration)
        ours = extract_features(rec, "free")
        ch = trial.channels
        values = np.column_stack([ch["x"] - ch["x"].min(), ch["y"] - ch["y"].min(), ch["t"],
                                  (ch["state"] == STATE_TOUCH).astype(float),
                                  np.zeros(ch["t"].size), np.full(ch["t"].size, 45.0),
                                  ch["pressure"]])
        with contextlib.redirect_stdout(io.StringIO()):
            peer = hf.HandwritingFeatures.from_numpy_array(values)
            strokes = np.atleast_1d(peer.stroke_duration(in_air=False)).size
            pressure = float(np.ravel(peer.pressure(statistics=["mean"]))[0])
        assert ours["on_surface_strokes"] == strokes == pp.runs(rows[:, 3] == 1).count
        assert ours["pen_lifts"] == strokes - 1
        assert ours["pressure_mean"] * trial.scale.pressure_max == pytest.approx(pressure)
