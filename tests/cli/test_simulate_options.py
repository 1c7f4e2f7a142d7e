"""``kinewrite simulate`` validates its numbers and refuses what its mode ignores (issue 11
item 9): one line naming the option, exit 2, nothing written; every option has a help text
with its unit and default. Real subprocesses."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kinewrite.cli import build_parser
from kinewrite.cli.simulate import MIN_FREE_FLOOR_MB
from kinewrite.storage.schema import MIN_FREE_BYTES

CLI = [sys.executable, "-m", "kinewrite.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KINEWRITE_CONFIG_DIR": str(cwd / "config")}
    return subprocess.run([*CLI, "simulate", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


#: (options, what the one line must say)
REFUSED = [
    (["--tremor-hz", "6", "--tremor-mm", "-0.2"], "--tremor-mm: must be above 0 mm"),
    (["--tremor-hz", "6", "--tremor-mm", "0"], "--tremor-mm: must be above 0 mm"),
    (["--tremor-hz", "6", "--tremor-mm", "500"], "--tremor-mm: must be at most 100 mm"),
    (["--tremor-hz", "-6", "--tremor-mm", "0.2"], "--tremor-hz: must be above 0 Hz"),
    (["--gaps", "-1"], "--gaps: must be at least 0"),
    (["--gaps", "2.5"], "--gaps: not an integer"),
    (["--gaps", "30", "--seconds", "5"], "--gaps 30: at most one gap per second"),
    (["--rate-hz", "0"], "--rate-hz: must be at least 10 Hz"),
    (["--rate-hz", "nan"], "--rate-hz: must be a finite number"),
    (["--rate-hz", "inf"], "--rate-hz: must be a finite number"),
    (["--rate-hz", "fast"], "--rate-hz: not a number"),
    (["--pressure-mean", "1.5"], "--pressure-mean: must be at most 1"),
    (["--pressure-mean", "-0.1"], "--pressure-mean: must be at least 0"),
    (["--pressure-drift-per-s", "3"], "--pressure-drift-per-s: must be at most 1 per s"),
    (["--seconds", "0"], "--seconds: must be above 0 s"),
    (["--seconds", "-5"], "--seconds: must be above 0 s"),
    (["--seconds", "7200"], "--seconds: must be at most 3600 s"),
    (["--seed", "-1"], "--seed: must be at least 0"),
    (["--tremor-hz", "6"], "--tremor-hz and --tremor-mm go together"),
    (["--tremor-mm", "0.2"], "--tremor-hz and --tremor-mm go together"),
    (["--tremor-axis-deg", "30"], "--tremor-axis-deg needs --tremor-hz and --tremor-mm"),
    (["--tremor-axis-deg", "400", "--tremor-hz", "6", "--tremor-mm", "0.2"],
     "--tremor-axis-deg: must be at most 360 deg"),
    (["--task", "spiral", "--loop-hz", "3"], "--loop-hz applies to --task loops only"),
    (["--loop-hz", "0"], "--loop-hz: must be above 0 Hz"),
    (["--tremor-hz", "80", "--tremor-mm", "0.2"],
     "--tremor-hz 80 Hz is not below half the sample rate (66.5 Hz"),
    (["--rate-hz", "10000", "--seconds", "3600"], "at most 2,000,000"),
]


@pytest.mark.parametrize(("options", "says"), REFUSED, ids=[" ".join(o) for o, _ in REFUSED])
def test_a_bad_number_is_one_line_and_nothing_is_written(tmp_path, options, says):
    r = run("-o", "out.csv", *options, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "config") == []


#: Options the chosen mode would ignore (or that are missing), refused before any work.
MODE = [
    (["-o", "out.csv", "--study", "s"], "--study applies only with --realtime"),
    (["-o", "out.csv", "--patient", "P1"], "--patient applies only with --realtime"),
    (["-o", "out.csv", "--min-free-mb", "100"], "--min-free-mb applies only with --realtime"),
    (["-o", "out.csv", "--study", "s", "--patient", "P1"],
     "--patient, --study apply only with --realtime"),
    (["--realtime", "--study", "s", "--patient", "P1", "-o", "out.csv"],
     "-o is not used with --realtime"),
    (["--realtime", "--study", "s"], "--realtime needs --study DIR and --patient CODE"),
    (["--realtime", "--patient", "P1"], "--realtime needs --study DIR and --patient CODE"),
    ([], "simulate needs -o FILE, or --realtime --study DIR --patient CODE"),
    (["--realtime", "--study", "s", "--patient", "P1", "--min-free-mb", "1"],
     f"--min-free-mb: must be at least {MIN_FREE_FLOOR_MB:g} MiB"),
    (["--realtime", "--study", "s", "--patient", "P1", "--min-free-mb", "-5"],
     f"--min-free-mb: must be at least {MIN_FREE_FLOOR_MB:g} MiB"),
    (["--realtime", "--study", "s", "--patient", "../x"], "patient code '../x' refused"),
]


@pytest.mark.parametrize(("options", "says"), MODE, ids=[" ".join(o) for o, _ in MODE])
def test_an_option_the_mode_ignores_is_refused(tmp_path, options, says):
    r = run(*options, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], r.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "config") == []


def test_valid_numbers_at_the_bounds_are_accepted(tmp_path):
    r = run("-o", "out.csv", "--seed", "0", "--seconds", "2", "--rate-hz", "10", "--gaps", "2",
            "--pressure-mean", "1", "--pressure-drift-per-s", "-1", "--tremor-hz", "4.9",
            "--tremor-mm", "100", "--tremor-axis-deg", "-360", "--loop-hz", "0.5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.csv").read_text().startswith("#")


def _simulate_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["simulate"]


#: A word naming each numeric option's unit in its help.
UNITS = {"--seconds": "s", "--rate-hz": "Hz", "--tremor-hz": "Hz", "--tremor-mm": "mm",
         "--tremor-axis-deg": "degrees", "--loop-hz": "Hz", "--pressure-mean": "fraction",
         "--pressure-drift-per-s": "per s", "--gaps": "0.08 s", "--min-free-mb": "MiB",
         "--seed": ">= 0"}


def test_every_option_has_help_with_its_unit_and_default():
    p = _simulate_parser()
    options = [a for a in p._actions if a.option_strings and a.dest != "help"]
    assert len(options) == 16
    for action in options:
        name = max(action.option_strings, key=len)
        assert action.help and len(action.help) > 10, name
        if name in UNITS:
            assert UNITS[name] in action.help, (name, action.help)
            assert "default" in action.help, (name, action.help)
    min_free = next(a for a in options if "--min-free-mb" in a.option_strings).help
    assert "default 64" in min_free and f"at least {MIN_FREE_FLOOR_MB:g}" in min_free
    assert "--realtime" in min_free


def test_the_min_free_default_is_the_recorder_s():
    """The help's default (64 MiB) is the one the session writer uses, above the floor."""
    assert MIN_FREE_BYTES == 64 << 20
    assert MIN_FREE_FLOOR_MB * (1 << 20) <= MIN_FREE_BYTES
