"""The command line as a user meets it: real files, real subprocesses, exit codes, one-line
errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kinewrite.cli import main

KW = [sys.executable, "-m", "kinewrite.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*KW, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_simulate_then_analyze_json_reproduces_the_truth(tmp_path):
    out = tmp_path / "spiral.csv"
    r = run("simulate", "--task", "spiral", "--seed", "3", "--tremor-hz", "6.3",
            "--tremor-mm", "0.3", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert out.read_text().startswith("# SIMULATED")
    r = run("analyze", str(out), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    f = doc[0]["features"]
    assert doc[0]["task"] == "spiral"  # taken from the file's header
    assert f["tremor_frequency_hz"] == pytest.approx(6.3, abs=0.1)
    assert f["tremor_amplitude_rms_mm"] == pytest.approx(0.212, rel=0.1)


def test_analyze_table_shows_units(tmp_path):
    out = tmp_path / "loops.csv"
    assert main(["simulate", "--task", "loops", "--seed", "1", "-o", str(out)]) == 0
    r = run("analyze", str(out))
    assert r.returncode == 0
    assert "stroke_frequency_hz" in r.stdout and " Hz" in r.stdout


BAD_FILES = {
    "empty.csv": ("", "not a readable CSV"),
    "header_only.csv": ("t,x,y\n", "no samples"),
    "no_y.csv": ("t,x\n0,1\n0.01,2\n", "missing column(s) y"),
    "text.csv": ("t,x,y\n0,1,2\n0.01,abc,2\n", "non-numeric value 'abc'"),
    "nan_t.csv": ("t,x,y\n0,1,2\n,1,2\n0.02,1,2\n", "t has 1 non-finite"),
    "pen_up.csv": ("t,x,y,pen_down\n0,1,2,0\n0.01,1,2,0\n", "pen never touches"),
    "pressure.csv": ("t,x,y,pressure\n0,1,2,3\n0.01,1,2,4\n", "pressure must be a fraction"),
    "binary.csv": ("\x00\x01\xff", "not"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_one_line_naming_the_file_exit_2(tmp_path, name):
    content, message = BAD_FILES[name]
    path = tmp_path / name
    if name == "binary.csv":
        path.write_bytes(b"\x00\x01\xff\xfe")
    else:
        path.write_text(content)
    r = run("analyze", str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0] and message in lines[0]
    assert "Traceback" not in r.stderr


def test_missing_file_and_good_file_together(tmp_path):
    good = tmp_path / "good.csv"
    assert main(["simulate", "--task", "lines", "--seed", "2", "-o", str(good)]) == 0
    r = run("analyze", str(tmp_path / "nope.csv"), str(good), "--json")
    assert r.returncode == 2
    assert "nope.csv" in r.stderr and "cannot read" in r.stderr
    assert len(json.loads(r.stdout)) == 1  # the good file is still analyzed


def test_unsorted_duplicated_timestamps_are_analyzed(tmp_path):
    rng = np.random.default_rng(0)
    t = np.round(np.arange(600) / 133, 3)
    order = rng.permutation(600)
    lines = ["t,x,y"] + [f"{t[i]},{np.sin(t[i] * 5)},{np.cos(t[i] * 5)}" for i in order]
    path = tmp_path / "shuffled.csv"
    path.write_text("\n".join(lines) + "\n")
    r = run("analyze", str(path), "--json")
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)[0]["features"]
    assert f["sample_rate_hz"] == pytest.approx(133, abs=1)
    assert f["speed_mean_mm_s"] == pytest.approx(5.0, rel=0.02)  # unit circle at 5 rad/s


def test_usage_errors_exit_2_without_traceback():
    r = run("analyze")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("simulate", "--task", "doodle", "-o", "x.csv")
    assert r.returncode == 2


def test_simulate_into_missing_directory_is_refused(tmp_path):
    r = run("simulate", "-o", str(tmp_path / "no" / "such" / "x.csv"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_demo_on_bundled_samples(tmp_path):
    r = run("demo", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "SIMULATED" in r.stdout
    table = (tmp_path / "out" / "features.csv").read_text().splitlines()
    header = table[0].split(",")
    assert {"file", "task", "stroke_frequency_hz", "tremor_frequency_hz"} <= set(header)
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    assert len(table) == 1 + len(list(samples.glob("*.csv")))


def test_demo_printout_reads_in_a_terminal(tmp_path):
    """Dated columns, plain labels with units, a legend, at most 100 characters a line."""
    import re

    r = run("demo", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    long = [line for line in lines if len(line) > 100 and str(tmp_path) not in line]
    assert not long, long
    assert "Columns: " in r.stdout and "rhythm Hz: writing rhythm" in r.stdout  # the legend
    heads = [line for line in lines if re.search(r"(\d{4}-\d\d-\d\d\s+){5}\d{4}-\d\d-\d\d$",
                                                 line)]
    assert len(heads) == 6  # one dated header per protocol task (two spirals)
    assert "pen pressure (N)" in r.stdout  # the sample stylus is calibrated
    for raw in ("automation_pct", "stroke_frequency_hz", "pressure_mean", " 1\n", "nan"):
        assert raw not in r.stdout, raw
    # values line up under their dates
    head = heads[0]
    row = lines[lines.index(head) + 1]
    assert len(row) == len(head)


def test_demo_without_samples_exit_2(tmp_path):
    r = run("demo", "--samples", str(tmp_path), "-o", str(tmp_path / "o"))
    assert r.returncode == 2 and "no bundled sample" in r.stderr


def test_analyze_isolate_timeout_not_positive_is_one_line_not_each_files_fault():
    """A bad --timeout is the option's one line (it was each file's "damaged session file")."""
    sessions = sorted((Path(__file__).resolve().parents[2] / "data" / "samples" / "study"
                       / "SIM-001").glob("*.h5"))[:2]
    r = run("analyze", "--isolate", "--timeout", "-1", *map(str, sessions))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["kinewrite: --timeout must be > 0 s, got -1"]


def test_analyze_isolated_gives_the_same_numbers_and_survives_head():
    """``--isolate`` reads each session in a child process: same output; a closed pipe
    (``| head``) is not an error."""
    session = sorted((Path(__file__).resolve().parents[2] / "data" / "samples" / "study"
                      / "SIM-001").glob("session-*.h5"))[0]
    direct, isolated = run("analyze", "--json", str(session)), run(
        "analyze", "--isolate", "--timeout", "30", "--json", str(session))
    assert direct.returncode == isolated.returncode == 0, isolated.stderr
    assert json.loads(direct.stdout) == json.loads(isolated.stdout)
    head = subprocess.run(f"{' '.join(KW)} analyze {session} | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert head.stderr == ""


def test_every_option_of_every_command_has_help():
    """No option without a help text (positional arguments name themselves); the top-level
    help says what kinewrite is, not where its code lives."""
    import argparse

    from kinewrite.cli import build_parser

    parser = build_parser()
    assert "writer's cramp" in parser.description and "``" not in parser.description
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {'/'.join(a.option_strings)}"
               for name, p in sub.choices.items() for a in p._actions
               if a.option_strings and not a.help and not isinstance(a, argparse._HelpAction)]
    assert not missing, missing


def test_a_missing_qt_library_is_named_with_its_package(tmp_path):
    """Where Qt cannot load (here: a PyQt6 that fails as it does without libEGL), the demo
    still analyzes, and says which system package to install for the report."""
    fake = tmp_path / "fake" / "PyQt6"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise ImportError("libEGL.so.1: cannot open shared object file: No such file or '
        'directory")\n')
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{src}"}
    r = subprocess.run([sys.executable, "-m", "kinewrite", "demo", "-o", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / "features.csv").exists()
    assert "libEGL.so.1 is missing: install libegl1 (Debian/Ubuntu)" in r.stderr
    assert r.stderr.count("\n") == 1
