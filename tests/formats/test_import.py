"""``kinewrite import`` as a user meets it: real files, the real CLI, exit codes, one-line
errors, and a study left exactly as it was whenever anything is wrong."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinewrite import formats
from kinewrite.analysis.features import extract_features
from kinewrite.cli import main
from kinewrite.errors import InputError
from kinewrite.formats.csv import read_csv_recording, write_csv_recording
from kinewrite.formats.inkml_context import trace_channels
from kinewrite.formats.inkml_values import trace_matrix
from kinewrite.simulate import simulate_trial
from kinewrite.storage.codes import InvalidCodeError
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import STATE_HOVER, STATE_OUT, STATE_TOUCH

KW = [sys.executable, "-m", "kinewrite.cli"]


# ---------------------------------------------------------------------------- helpers


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*KW, *args], capture_output=True, text=True, timeout=120)


def snapshot(root: Path, dir_mtimes: bool = True) -> dict[str, tuple]:
    """Every file and folder under root with size and mtime (folders: mtime optional)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath, d)
            out[str(p.relative_to(root))] = ("dir", p.stat().st_mtime_ns if dir_mtimes else 0)
        for f in filenames:
            p = Path(dirpath, f)
            st = p.stat()
            out[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns)
    return out


def svc_text(rows: np.ndarray, count: int | None = None) -> str:
    rows = np.asarray(rows, dtype=np.int64)
    body = "\n".join(" ".join(str(v) for v in row) for row in rows)
    return f"{len(rows) if count is None else count}\n{body}\n"


def line_rows(n: int = 201, first_col_span: int = 2000, t0: int = 1_300_000_000) -> np.ndarray:
    """PaHaW-style rows (y x t pen az alt p): first column runs 0..span, second fixed."""
    rows = np.zeros((n, 7), dtype=np.int64)
    rows[:, 0] = np.round(np.linspace(0, first_col_span, n))
    rows[:, 1] = 5000
    rows[:, 2] = t0 + np.round(np.arange(n) * 7.5)  # 133 Hz device ticks, absolute ms
    rows[:, 3] = 1
    rows[:, 4], rows[:, 5], rows[:, 6] = 900, 600, 512
    return rows


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def import_ok(study: Path, *args: str, patient: str = "WC-001") -> Path:
    """Import in-process; returns the one new session file. ``--reimport``: these tests read
    the same file with different options (tests/formats/test_import_kills.py tests the
    skipping)."""
    before = set(study.glob("*/session-*.h5"))
    assert main(["import", *args, "--reimport", "--study", str(study),
                 "--patient", patient]) == 0
    (new,) = set(study.glob("*/session-*.h5")) - before
    return new


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A study that already holds one session, so 'untouched' means something."""
    root = tmp_path / "study"
    root.mkdir()
    seed = write(tmp_path / "seed.svc", svc_text(line_rows()))
    assert main(["import", str(seed), "--study", str(root), "--patient", "WC-001"]) == 0
    return root


INKML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<ink xmlns="http://www.w3.org/2003/InkML">\n'


def inkml(traces: list[str], channels: str | None = None, respect_to: bool = False) -> str:
    """An InkML document whose traces use a context declared in <definitions>."""
    if channels is None:
        channels = ('<channel name="X" type="decimal" units="mm"/>'
                    '<channel name="Y" type="decimal" units="mm"/>'
                    '<channel name="T" type="integer" units="ms"'
                    + (' respectTo="#ts0"' if respect_to else "") + "/>"
                    '<channel name="F" type="integer" max="1023"/>')
    body = "".join(f'  <trace contextRef="#ctx0">{t}</trace>\n' for t in traces)
    return (INKML_HEAD + '  <definitions><timestamp xml:id="ts0" time="0"/>'
            f'<context xml:id="ctx0"><inkSource xml:id="src0"><traceFormat>{channels}'
            "</traceFormat></inkSource></context></definitions>\n" + body + "</ink>\n")


def stroke(x0: float, x1: float, t0_ms: int, n: int = 50, force: int = 512) -> str:
    xs = np.linspace(x0, x1, n)
    return ", ".join(f"{x:.4f} 20 {t0_ms + 5 * i} {force}" for i, x in enumerate(xs))


# ------------------------------------------------------------------------------ SVC


def test_svc_default_is_y_first_and_x_first_swaps(study, tmp_path):
    path = write(tmp_path / "line.svc", svc_text(line_rows()))
    rec_y = load_session(import_ok(study, str(path))).trials[0].recording
    assert np.ptp(rec_y.y) == pytest.approx(10.0)  # first column is y (PaHaW)
    assert np.ptp(rec_y.x) == 0.0
    rec_x = load_session(import_ok(study, str(path), "--x-first")).trials[0].recording
    assert np.ptp(rec_x.x) == pytest.approx(10.0)
    assert np.ptp(rec_x.y) == 0.0


def test_svc_straight_10mm_line_is_10mm_and_raw_values_are_kept(study, tmp_path):
    path = write(tmp_path / "line.svc", svc_text(line_rows()))
    session = load_session(import_ok(study, str(path), "--x-first", "--task", "lines"))
    cal = session.calibration
    assert cal.x_mm_per_unit == cal.y_mm_per_unit == pytest.approx(1 / 200)
    assert cal.pressure_max == 2048
    assert "200 units/mm" in cal.source
    trial = session.trials[0]
    assert trial.input == "import" and trial.task == "lines" and trial.status == "complete"
    assert trial.attrs["source_format"] == "svc"
    assert "source_file" not in trial.attrs  # a file name may hold a patient's name
    assert trial.attrs["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "0.005 mm/unit" in trial.attrs["unit_conversion"]
    assert trial.channels["x"].max() == 2000  # device units stored, not mm
    assert trial.channels["pressure"][0] == 512  # levels stored
    assert trial.channels["t"][0] == 0.0 and trial.channels["t"][-1] == pytest.approx(1.5)
    features = extract_features(trial.recording, task="lines")
    assert features["path_length_mm"] == pytest.approx(10.0, rel=0.02)
    assert features["duration_s"] == pytest.approx(1.5, rel=1e-3)  # clock rebuilt from ms
    assert features["pressure_mean"] == pytest.approx(512 / 2048)
    assert trial.features["path_length_mm"] == pytest.approx(10.0, rel=0.02)  # cached


def test_svc_device_units_and_time_unit_options(study, tmp_path):
    rows = line_rows()
    rows[:, 2] = np.arange(len(rows))  # seconds
    path = write(tmp_path / "line.svc", svc_text(rows))
    session = load_session(import_ok(study, str(path), "--x-first", "--device-units-per-mm",
                                     "100", "--time-unit", "s"))
    rec = session.trials[0].recording
    assert np.ptp(rec.x) == pytest.approx(20.0)
    assert rec.t[-1] == pytest.approx(200.0)


def test_svc_pen_lifts_come_from_pen_status(study, tmp_path):
    rows = line_rows(n=240)
    rows[100:120, 3] = 0  # pen in the air for 20 samples
    rows[100:120, 6] = 0
    path = write(tmp_path / "two.svc", svc_text(rows))
    trial = load_session(import_ok(study, str(path))).trials[0]
    state = trial.channels["state"]
    assert set(np.unique(state)) == {STATE_HOVER, STATE_TOUCH}
    assert np.all(state[100:120] == STATE_HOVER)
    assert trial.features["pen_lifts"] == 1
    assert trial.features["on_surface_strokes"] == 2


def test_svc_pressure_levels(study, tmp_path, capsys):
    rows = line_rows()
    rows[:, 6] = 1023
    path = write(tmp_path / "p.svc", svc_text(rows))
    rec = load_session(import_ok(study, str(path), "--pressure-levels", "1024")).trials[0]
    assert rec.calibration.pressure_max == 1023
    assert np.all(rec.recording.pressure == 1.0)
    rows[5, 6] = 3000  # beyond 2048 levels
    before = snapshot(study)
    bad = write(tmp_path / "too_hard.svc", svc_text(rows))
    assert main(["import", str(bad), "--study", str(study), "--patient", "WC-001"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too_hard.svc" in err and "--pressure-levels" in err
    assert snapshot(study) == before


def test_several_files_one_session_one_trial_each(study, tmp_path):
    a = write(tmp_path / "a.svc", svc_text(line_rows()))
    b = write(tmp_path / "b.svc", svc_text(line_rows(n=150)))
    r = run("import", str(a), str(b), "--study", str(study), "--patient", "WC-002",
            "--keep-source-name")
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path.parent == study / "WC-002" and path.is_file()
    session = load_session(path)
    assert [t.attrs["source_file"] for t in session.trials] == ["a.svc", "b.svc"]  # opted in
    assert [t.attrs["source_sha256"] for t in session.trials] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)]
    assert [t.n_samples for t in session.trials] == [201, 150]
    assert session.patient_code == "WC-002"


# ----------------------------------------------------------------------------- InkML


def test_inkml_multitrace_with_force(study, tmp_path):
    doc = inkml([stroke(0, 10, 0), stroke(10, 20, 400), stroke(20, 30, 800, force=1023)])
    path = write(tmp_path / "three.inkml", doc)
    session = load_session(import_ok(study, str(path)))
    cal = session.calibration
    assert (cal.x_mm_per_unit, cal.y_mm_per_unit, cal.pressure_max) == (1.0, -1.0, 1023.0)
    trial = session.trials[0]
    assert trial.attrs["inkml_traces"] == 3 and trial.attrs["inkml_lift_markers"] == 2
    state = trial.channels["state"]
    assert np.count_nonzero(state == STATE_OUT) == 2 and trial.n_samples == 152
    rec = trial.recording
    assert np.all(rec.y == -20.0)  # InkML Y points down; the session's y points up
    assert rec.pressure.max() == 1.0
    assert rec.pressure[rec.pen_down][:50] == pytest.approx(np.full(50, 512 / 1023))
    assert trial.features["pen_lifts"] == 2
    assert trial.features["path_length_mm"] == pytest.approx(30.0, rel=0.03)
    assert trial.features["in_air_time_s"] == pytest.approx(2 * (0.4 - 0.245))


def test_inkml_difference_encoding_equals_explicit_values(study, tmp_path):
    explicit = "0 0 0 10, 1 0 10 20, 3 0 20 30, 6 0 30 40, 10 0 40 50, 15 0 50 60"
    # a qualifier holds until the next one: the unqualified 3rd and 5th points are differences
    encoded = "0 0 0 10, '1 '0 '10 '10, 2 0 10 10, \"1 \"0 \"0 \"0, 1 0 0 0, !15 !0 !50 !60"
    a = load_session(import_ok(study, str(write(tmp_path / "a.inkml", inkml([explicit])))))
    b = load_session(import_ok(study, str(write(tmp_path / "b.inkml", inkml([encoded])))))
    for c in ("t", "x", "y", "pressure"):
        np.testing.assert_allclose(a.trials[0].channels[c], b.trials[0].channels[c])


def test_inkml_units_and_top_level_trace_format(study, tmp_path):
    doc = (INKML_HEAD + '<traceFormat><channel name="X" units="cm"/><channel name="Y" '
           'units="cm"/><channel name="T" units="s"/></traceFormat>\n'
           "<trace>0 0 0, 1 0 0.01, 2 0 0.02</trace>\n</ink>\n")
    session = load_session(import_ok(study, str(write(tmp_path / "cm.inkml", doc))))
    assert session.calibration.x_mm_per_unit == 10.0
    assert session.trials[0].recording.x[-1] == 20.0
    assert "pressure" not in session.trials[0].channels


@pytest.mark.parametrize(("extra", "expected"), [
    ((), "--device-units-per-mm"),
    (("--device-units-per-mm", "100"), None),
])
def test_inkml_without_units_needs_the_resolution(study, tmp_path, capsys, extra, expected):
    doc = (INKML_HEAD + '<traceFormat><channel name="X"/><channel name="Y"/><channel '
           'name="T" units="ms"/></traceFormat>\n<trace>0 0 0, 100 0 10, 200 0 20</trace>\n'
           "</ink>\n")
    path = write(tmp_path / "dev.inkml", doc)
    code = main(["import", str(path), "--study", str(study), "--patient", "WC-001", *extra])
    out, err = capsys.readouterr()
    if expected:
        assert code == 2 and expected in err and err.count("\n") == 1
    else:
        assert code == 0, err
        trial = load_session(out.strip()).trials[0]
        assert trial.calibration.x_mm_per_unit == pytest.approx(0.01)
        assert trial.recording.x[-1] == pytest.approx(2.0)
        assert "device units, 100/mm" in trial.attrs["unit_conversion"]


def test_inkml_time_frames(study, tmp_path, capsys):
    restart = [stroke(0, 10, 0), stroke(10, 20, 0)]  # T restarts: relative timing unknown
    path = write(tmp_path / "restart.inkml", inkml(restart))
    assert main(["import", str(path), "--study", str(study), "--patient", "WC-001"]) == 2
    assert "respectTo" in capsys.readouterr().err
    path = write(tmp_path / "respect.inkml", inkml([stroke(0, 10, 500), stroke(10, 20, 0)],
                                                   respect_to=True))
    import_ok(study, str(path))  # a common frame: accepted (the analysis sorts the times)


def test_inkml_pen_up_traces_tip_switch_and_continuations(study, tmp_path):
    chans = ('<channel name="X" units="mm"/><channel name="Y" units="mm"/>'
             '<channel name="T" units="ms"/><channel name="S" type="boolean"/>')
    doc = (INKML_HEAD + f"<traceFormat>{chans}</traceFormat>\n"
           "<trace>0 0 0 T, 1 0 10 T, 2 0 20 T</trace>\n"
           '<trace type="penUp">3 0 30 F, 4 0 40 F</trace>\n'  # hover samples: no marker
           "<trace>5 0 50 T, 6 0 60 F, 7 0 70 T</trace>\n"  # tip switch off in the middle
           '<trace continuation="end">8 0 80 T, 9 0 90 T</trace>\n'  # same stroke: no marker
           "</ink>\n")
    trial = load_session(import_ok(study, str(write(tmp_path / "s.inkml", doc)))).trials[0]
    assert trial.attrs["inkml_lift_markers"] == 0
    np.testing.assert_array_equal(trial.channels["state"], [2, 2, 2, 1, 1, 2, 1, 2, 2, 2])
    assert trial.features["pen_lifts"] == 2


def test_trace_tokenizer_is_linear():
    channels = trace_channels(None, "f")
    for text in ("1" * 200_000 + "x", " " * 200_000 + "x", "1-" * 200_000,
                 "'" + " " * 200_000 + "1 2"):
        start = time.monotonic()
        with pytest.raises(InputError):
            trace_matrix(text, channels, "f", 1)
        assert time.monotonic() - start < 1.0, text[:10]
    values, codes = trace_matrix("1125 18432,'23'43,\"7\"-8,3-5", channels, "f", 1)
    np.testing.assert_array_equal(values, [[1125, 18432], [23, 43], [7, -8], [3, -5]])
    np.testing.assert_array_equal(codes, [[0, 0], [2, 2], [3, 3], [0, 0]])


def test_inkml_default_format_has_no_time(study, tmp_path, capsys):
    path = write(tmp_path / "xy.inkml", INKML_HEAD + "<trace>0 0, 1 1, 2 2</trace></ink>")
    assert main(["import", str(path), "--study", str(study), "--patient", "WC-001"]) == 2
    err = capsys.readouterr().err
    assert "xy.inkml" in err and "no time (T) channel" in err


# ---------------------------------------------------------------------------- XML safety

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE ink [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ink xmlns="http://www.w3.org/2003/InkML"><trace>&lol9;</trace></ink>
"""
QUADRATIC = ('<?xml version="1.0"?>\n<!DOCTYPE ink [<!ENTITY a "' + "x" * 100_000 + '">]>\n'
             '<ink><trace>' + "&a;" * 20_000 + "</trace></ink>\n")
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE ink [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ink xmlns="http://www.w3.org/2003/InkML"><trace>&xxe;</trace></ink>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE ink SYSTEM "http://127.0.0.1:9/evil.dtd">
<ink xmlns="http://www.w3.org/2003/InkML"><trace>0 0 0</trace></ink>
"""
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE ink [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
<ink><trace>0 0 0</trace></ink>
"""
UNDECLARED_ENTITY = '<?xml version="1.0"?>\n<ink><trace>&xxe;</trace></ink>\n'


@pytest.mark.parametrize(("name", "doc"), [
    ("billion_laughs", BILLION_LAUGHS), ("quadratic_blowup", QUADRATIC),
    ("external_entity", EXTERNAL_ENTITY), ("external_dtd", EXTERNAL_DTD),
    ("parameter_entity", PARAMETER_ENTITY), ("undeclared_entity", UNDECLARED_ENTITY),
])
def test_xml_attacks_are_refused_quickly_and_change_nothing(study, tmp_path, name, doc):
    path = write(tmp_path / f"{name}.inkml", doc)
    before = snapshot(study)
    start = time.monotonic()
    r = run("import", str(path), "--study", str(study), "--patient", "WC-001")
    assert time.monotonic() - start < 30  # a process start; an expansion would not finish
    assert r.returncode == 2
    assert r.stdout == "" and r.stderr.count("\n") == 1 and f"{name}.inkml" in r.stderr
    assert "root:" not in r.stderr  # /etc/passwd never read
    assert snapshot(study) == before


def test_xml_parser_refuses_doctype_in_process():
    with pytest.raises(InputError, match="DOCTYPE"):
        formats.parse_inkml(BILLION_LAUGHS.encode(), "x.inkml", formats.ImportOptions())
    deep = ("<ink>" + "<a>" * 100 + "</a>" * 100 + "</ink>").encode()
    with pytest.raises(InputError, match="deeper"):
        formats.parse_inkml(deep, "deep.inkml", formats.ImportOptions())


# ------------------------------------------------------------------------------- CSV


def test_csv_passthrough(study, tmp_path):
    sim = simulate_trial("loops", 4.0, seed=5, pressure_mean=0.4)
    path = write_csv_recording(tmp_path / "loops.csv", sim.recording, task="loops")
    session = load_session(import_ok(study, str(path)))
    cal = session.calibration
    assert (cal.x_mm_per_unit, cal.y_mm_per_unit, cal.pressure_max) == (1.0, 1.0, 1.0)
    trial = session.trials[0]
    assert trial.task == "loops"  # from the CSV header
    original, _ = read_csv_recording(path)
    rec = trial.recording
    for c in ("t", "x", "y", "pressure", "pen_down"):
        np.testing.assert_array_equal(getattr(rec, c), getattr(original, c))
    assert trial.features == pytest.approx(extract_features(original, task="loops"),
                                           nan_ok=True)


# ----------------------------------------------------------------- format detection


def test_format_by_content_and_by_flag(study, tmp_path, capsys):
    svc = write(tmp_path / "svc.txt", svc_text(line_rows()))
    ink = write(tmp_path / "ink.dat", inkml([stroke(0, 10, 0)]))
    sim = simulate_trial("lines", 3.0, seed=1)
    csv = write_csv_recording(tmp_path / "rec.dat", sim.recording)
    for path in (svc, ink, csv):
        import_ok(study, str(path))
    as_svc = write(tmp_path / "odd.data", svc_text(line_rows()))
    import_ok(study, str(as_svc), "--format", "svc")
    assert main(["import", str(ink), "--format", "svc", "--study", str(study),
                 "--patient", "WC-001"]) == 2  # forced format that does not fit
    assert "ink.dat" in capsys.readouterr().err


# ------------------------------------------------------------ bad input: nothing changes

BAD = {
    "empty.svc": ("", "file is empty"),
    "blank.inkml": ("  \n\n", "file is empty"),
    "count.svc": (svc_text(line_rows(n=10), count=12), "says 12 samples but the file has 10"),
    "count_word.svc": ("many\n1 2 3 1 0 0 5\n", "sample count"),
    "text.svc": ("2\n1 2 3 1 0 0 5\n1 2 abc 1 0 0 5\n", "7 integers"),
    "float.svc": ("1\n1 2 3.5 1 0 0 5\n", "7 integers"),
    "nan.svc": ("1\n1 2 nan 1 0 0 5\n", "7 integers"),
    "six.svc": ("1\n1 2 3 1 0 0\n", "7 integers"),
    "ragged.svc": ("2\n1 2 3 1 0 0 5\n1 2 3 1 0 5\n", "7 integers"),
    "pen.svc": ("1\n1 2 3 2 0 0 5\n", "pen status must be 0"),
    "air.svc": ("2\n1 2 3 0 0 0 0\n1 2 4 0 0 0 0\n", "pen never touches"),
    "binary.svc": (b"\x00\xff\xfe\x01", "not a text file"),
    "unknown.bin": ("hello world\n", "cannot tell the format"),
    "broken.inkml": ("<ink><trace>0 0 0</ink>", "not well-formed XML"),
    "notink.xml": ("<svg><trace>1 2</trace></svg>", "not <ink>"),
    "encoding.inkml": ('<?xml version="1.0" encoding="TTF-8"?><ink/>', "XML encoding"),
    "utf16_lie.inkml": ('<?xml version="1.0" encoding="UTF-16"?><ink/>', "XML"),
    "garbage.inkml": (inkml(["0 0 0 1, 1 x 2 3"]), "cannot read"),
    "count.inkml": (inkml(["0 0 0 1, 1 2 3"]), "point 2 has 3 values"),
    "force.inkml": (inkml(["0 0 0 5000"]), "outside 0..1023"),
    "wild.inkml": (inkml(["0 0 0 1, * * * *"]), "not supported"),
    "first_diff.inkml": (inkml(["'0 0 0 1"]), "first difference"),
    "comma.inkml": (inkml(["0 0 0 1, 1 0 10 1,"]), "ends with a comma"),
    "bool.inkml": (inkml(["0 0 0 1, T 0 10 1"]), "T/F value in a numeric channel"),
    "huge.inkml": (inkml(["0 0 0 1, 1e999 0 10 1"]), "out of range"),
    "type.inkml": (inkml(["0 0 0 1"]).replace("<trace ", '<trace type="sideways" '),
                   "type='sideways'"),
    "no_csv_rows.csv": ("t,x,y\n", "no samples"),
    # beyond 2**53 a float64 no longer holds the file's integer: refused, naming the column
    "big_x.svc": ("1\n1 9007199254740993 3 1 0 0 5\n", "column x has a value beyond 2**53"),
    "big_pressure.svc": ("1\n1 2 3 1 0 0 -9223372036854775808\n", "negative pressure"),
    "big_y.csv": ("t,x,y\n0,0,9007199254740993\n0.01,1,1\n",
                  "column 'y' has a value beyond 2**53"),
    "big_t.csv": ("t,x,y\n0,0,0\n1e17,1,1\n", "column 't' has a value beyond 2**53"),
    "big.inkml": (inkml(["0 0 0 1, 1e17 0 10 1"]), "channel X: value 1e+17 is beyond 2**53"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exit_2_one_line_and_study_untouched(study, tmp_path, capsys, name):
    content, message = BAD[name]
    bad = write(tmp_path / name, content)
    good = write(tmp_path / "good.svc", svc_text(line_rows()))
    before = snapshot(study)
    code = main(["import", str(good), str(bad), "--study", str(study), "--patient", "WC-001"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert name in err and message in err, err
    assert snapshot(study) == before


def test_date_dates_the_imported_session(study, tmp_path, capsys):
    path = write(tmp_path / "old.svc", svc_text(line_rows()))
    s = load_session(import_ok(study, str(path), "--date", "2019-05-02"))
    assert s.created == "2019-05-02T00:00:00.000Z"
    assert s.path.name.startswith("session-20190502T000000Z-")
    s = load_session(import_ok(study, str(path), "--date", "2019-05-02T14:30:15.250Z"))
    assert s.created == "2019-05-02T14:30:15.250Z" and len(s.trials) == 1
    before = snapshot(study)
    for bad, why in (("2019-02-30", "date '2019-02-30' is not ISO 8601"),
                     ("2019-05-02T14:30:00+02:00", "must be UTC"),
                     ("2999-01-01", "date '2999-01-01' is in the future")):
        with pytest.raises(SystemExit) as exit_info:
            main(["import", str(path), "--study", str(study), "--patient", "WC-001",
                  "--date", bad])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1 and why in err, err
    assert snapshot(study) == before
    with pytest.raises(InputError, match="must be UTC"):  # the library call
        formats.write_import_session(study, "WC-001", [formats.read_recording_file(path)],
                                       created="2019-05-02T10:00:00")
    assert snapshot(study) == before


def test_bad_input_through_a_real_process(study, tmp_path):
    bad = write(tmp_path / "count.svc", BAD["count.svc"][0])
    before = snapshot(study)
    r = run("import", str(bad), "--study", str(study), "--patient", "WC-001")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert r.stderr.startswith("kinewrite: ") and "Traceback" not in r.stderr
    assert snapshot(study) == before


def test_missing_file_and_missing_study(study, tmp_path, capsys):
    before = snapshot(tmp_path)
    assert main(["import", str(tmp_path / "nope.svc"), "--study", str(study),
                 "--patient", "WC-001"]) == 2
    assert "nope.svc: no such file" in capsys.readouterr().err
    good = write(tmp_path / "good.svc", svc_text(line_rows()))
    before = snapshot(tmp_path)
    assert main(["import", str(good), "--study", str(tmp_path / "other"),
                 "--patient", "WC-001"]) == 2
    assert "study folder does not exist" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("code", ["../x", "/etc", "a\x07b", "..", ""])
def test_patient_codes_that_escape_are_refused(study, tmp_path, code):
    good = write(tmp_path / "good.svc", svc_text(line_rows()))
    before = snapshot(tmp_path)
    r = run("import", str(good), "--study", str(study), "--patient", code)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "refused" in r.stderr
    assert snapshot(tmp_path) == before


def test_files_needing_different_calibrations_are_refused(study, tmp_path):
    svc = write(tmp_path / "a.svc", svc_text(line_rows()))
    csv = write_csv_recording(tmp_path / "b.csv", simulate_trial("lines", 3.0, seed=2).recording)
    before = snapshot(study)
    r = run("import", str(svc), str(csv), "--study", str(study), "--patient", "WC-001")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "b.csv" in r.stderr and "separate runs" in r.stderr
    assert snapshot(study) == before


# ------------------------------------------------- a failure while writing leaves nothing


@pytest.mark.parametrize(("error", "exit_code"), [(OSError(28, "No space left on device"), 2),
                                                   (RuntimeError("simulated bug"), 1)])
@pytest.mark.parametrize("patient", ["WC-001", "WC-NEW"])
def test_failure_midway_removes_the_partial_session(study, tmp_path, monkeypatch, capsys,
                                                    error, exit_code, patient):
    from kinewrite.storage.writer import SessionWriter

    files = [str(write(tmp_path / f"{k}.svc", svc_text(line_rows(n=150 + i))))
             for i, k in enumerate("abc")]
    real_append = SessionWriter.append
    calls = []

    def failing_append(self, **columns):
        calls.append(1)
        if len(calls) == 2:  # the second trial: the session file exists, half written
            raise error
        return real_append(self, **columns)

    monkeypatch.setattr(SessionWriter, "append", failing_append)
    before = snapshot(study, dir_mtimes=False)
    code = main(["import", *files, "--study", str(study), "--patient", patient])
    assert code == exit_code
    assert capsys.readouterr().err.count("\n") == 1
    assert len(calls) == 2
    assert snapshot(study, dir_mtimes=False) == before


# -------------------------------------------- each file once: re-runs, hashes, the file name


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerun_skips_what_is_imported_and_imports_the_rest(study, tmp_path):
    a, b, c = (write(tmp_path / f"{k}.svc", svc_text(line_rows(n=120 + i)))
               for i, k in enumerate("abc"))
    r = run("import", str(a), str(b), "--study", str(study), "--patient", "WC-003")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    first = Path(r.stdout.strip())

    r = run("import", str(a), str(b), str(c), "--study", str(study), "--patient", "WC-003")
    assert r.returncode == 0
    second = Path(r.stdout.strip())
    assert second != first and second.parent == first.parent
    assert r.stderr.splitlines() == [
        f"kinewrite: {a}: already imported, as trial 001 of {first}; skipped (--reimport "
        "imports it again)",
        f"kinewrite: {b}: already imported, as trial 002 of {first}; skipped (--reimport "
        "imports it again)"]
    assert [t.attrs["source_sha256"] for t in load_session(second).trials] == [sha(c)]

    # everything imported: the sessions holding it, no file written or changed (the import
    # lock, created and removed, touches only the folder's mtime)
    before = snapshot(study, dir_mtimes=False)
    r = run("import", str(c), str(a), "--study", str(study), "--patient", "WC-003")
    assert r.returncode == 0 and r.stdout.splitlines() == [str(second), str(first)]
    assert r.stderr.count("\n") == 2
    assert snapshot(study, dir_mtimes=False) == before

    r = run("import", str(c), "--study", str(study), "--patient", "WC-004")  # per patient
    assert r.returncode == 0 and r.stderr == ""
    r = run("import", str(a), "--reimport", "--study", str(study), "--patient", "WC-003")
    assert r.returncode == 0 and r.stderr == ""
    assert [t.attrs["source_sha256"] for t in load_session(r.stdout.strip()).trials] == [sha(a)]


def test_the_same_content_twice_in_one_run_is_one_trial(study, tmp_path):
    a = write(tmp_path / "a.svc", svc_text(line_rows(n=90)))
    copy = write(tmp_path / "copy.svc", a.read_text())
    r = run("import", str(a), str(copy), str(a), "--study", str(study), "--patient", "WC-005")
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"kinewrite: {copy}: same content as {a}, given earlier; skipped",
        f"kinewrite: {a}: same content as {a}, given earlier; skipped"]
    assert len(load_session(r.stdout.strip()).trials) == 1


def test_csv_is_read_once_and_its_hash_is_of_the_samples_stored(study, tmp_path):
    sim = simulate_trial("spiral", 3.0, seed=9)
    path = write_csv_recording(tmp_path / "once.csv", sim.recording, task="spiral")
    opened = []

    def audit(event, args):
        if event == "open" and args and str(args[0]) == str(path):
            opened.append(args[1])

    sys.addaudithook(audit)  # a real interpreter event, for every open of the file
    trial = formats.read_recording_file(path)
    assert len(opened) == 1, opened
    opened.clear()  # the hook stays installed; the rest of this test opens nothing of it
    assert trial.attrs["source_sha256"] == sha(path)
    from kinewrite.formats.csv import parse_csv_recording

    rec, _ = parse_csv_recording(path.read_bytes(), str(path))
    stored = load_session(formats.write_import_session(study, "WC-006", [trial])).trials[0]
    assert stored.attrs["source_sha256"] == sha(path)
    np.testing.assert_array_equal(stored.recording.x, rec.x)
    np.testing.assert_array_equal(stored.recording.t, rec.t)


def test_source_name_is_stored_only_when_asked(study, tmp_path):
    named = write(tmp_path / "Meyer_Anna_1961-04-12.svc", svc_text(line_rows(n=80)))
    path = import_ok(study, str(named))
    with h5py.File(path, "r") as f:
        attrs = dict(f["trials/001"].attrs)
        everything = [str(v) for v in attrs.values()] + [str(v) for v in f.attrs.values()]
    assert attrs["source_sha256"] == sha(named) and "source_file" not in attrs
    assert not any("Meyer" in v for v in everything)
    path = import_ok(study, str(named), "--keep-source-name")
    assert load_session(path).trials[0].attrs["source_file"] == named.name


# ----------------------------------------------------- permissions and codes that collide


def test_created_session_and_folder_are_private(study, tmp_path):
    old = os.umask(0o022)
    try:
        path = import_ok(study, str(write(tmp_path / "p.svc", svc_text(line_rows(n=70)))),
                         patient="WC-NEW")
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no lock, no temp


@pytest.mark.parametrize("code", ["wc-001", "Wc-001"])
def test_code_differing_only_in_case_is_refused(study, tmp_path, code):
    good = write(tmp_path / "good.svc", svc_text(line_rows(n=60)))
    before = snapshot(study)
    r = run("import", str(good), "--study", str(study), "--patient", code)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert "'WC-001'" in r.stderr and "differs only in case" in r.stderr
    assert snapshot(study) == before
    with pytest.raises(InvalidCodeError):
        formats.write_import_session(study, code, [formats.read_recording_file(good)])
    assert snapshot(study) == before


@pytest.mark.parametrize("code", ["CON", "aux.txt", "NUL.h5", "com1", "WC-001."])
def test_windows_device_codes_are_refused(study, tmp_path, code):
    good = write(tmp_path / "good.svc", svc_text(line_rows(n=60)))
    before = snapshot(study)
    r = run("import", str(good), "--study", str(study), "--patient", code)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Windows" in r.stderr
    assert snapshot(study) == before


def test_name_like_code_is_warned_about_and_imported(study, tmp_path):
    good = write(tmp_path / "good.svc", svc_text(line_rows(n=60)))
    r = run("import", str(good), "--study", str(study), "--patient", "John-Smith")
    assert r.returncode == 0
    assert r.stderr.splitlines() == ["kinewrite: warning: patient code 'John-Smith' looks like "
                                     "a name (two capitalised words): use a pseudonymous code "
                                     "such as WC-017, never a name"]
    assert Path(r.stdout.strip()).parent.name == "John-Smith"


def test_what_a_killed_import_left_is_invisible_and_removed(study, tmp_path):
    """A temporary session and a writer lock as SIGKILL leaves them (built by hand here;
    tests/formats/test_import_kills.py kills real imports): never listed, removed by the next
    import, and the lock of a dead process blocks nothing."""
    from kinewrite.storage.study import open_study

    folder = study / "WC-001"
    tmp = folder / ".session-20240101T000000Z-deadbeef.h5.import.abc123.tmp"
    lock = folder / f".{tmp.name}.lock"
    seed = next(folder.glob("session-*.h5"))
    tmp.write_bytes(seed.read_bytes()[: seed.stat().st_size // 2])  # half a session
    lock.write_text("")
    (folder / f".{tmp.name}.trial.x1y2.tmp").write_bytes(b"\0" * 64)  # the writer's own temp
    (folder / formats.IMPORT_LOCK_NAME).write_text("")  # the import lock of a dead process
    (folder / ".session-20240101T000000Z-deadbeef.h5.new.q.tmp").write_text("")  # not ours
    listed = open_study(study)
    assert [s.path for s in listed.sessions] == [seed] and listed.problems == []
    new = import_ok(study, str(write(tmp_path / "n.svc", svc_text(line_rows(n=66)))))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [seed.name, new.name, ".session-20240101T000000Z-deadbeef.h5.new.q.tmp"])
