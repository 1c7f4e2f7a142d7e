"""Patient codes: refused where they would name another folder on Windows or a
case-insensitive disk, and warned about (the same rule in every command and the GUI) where
they look like a person's name or a date of birth."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kinewrite.clinical.metadata import patient_code_warning
from kinewrite.storage.codes import (
    InvalidCodeError,
    check_code_collision,
    name_like_reason,
    validate_patient_code,
)
from kinewrite.storage.writer import SessionWriter

KW = [sys.executable, "-m", "kinewrite.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*KW, *args], capture_output=True, text=True, timeout=120,
                          env=env)


# ------------------------------------------------------------------- the name-like rule

NAME_LIKE = {
    "John-Smith": "two capitalised words", "Anna_Meyer": "two capitalised words",
    "JohnSmith": "two capitalised words", "Anna-Meyer-01": "two capitalised words",
    "Mueller_Hans": "two capitalised words", "MUELLERHans": "all-caps",
    "MUELLER": "all-caps", "SMITH-JONES": "all-caps",
    "Smith": "a word", "smith": "a word", "J.Doe": "a word", "pilot": "a word",
    "1961-04-12": "date", "12.04.1961": "date", "19610412": "date", "12041961": "date",
    "4-12-1961": "date", "WC-1961_04_12": "date", "P19610412": "date",
    "12-Apr-1961": "date", "12apr1961": "date", "Apr-12-1961": "date", "1961-APR-12": "date",
    "WC-12.04.61": "date", "SMITH-JOHN-01": "all-caps",
}
CODES = ["WC-017", "SIM-001", "P03", "S0001", "A0001", "DRILL-1", "FAULT-1", "ABC", "wc17",
         "x", "sub-01", "P12345678", "WC-2024", "WC-017-2", "HC-12-03", "MUELLER01",
         "AB-1234-5678", "V1.2.03", "S-1.2.3", "MAR-001", "BENCH-01", "CANVAS-01", "NOBODY-1",
         "WC-NEW", "WC-standard-v1"]


@pytest.mark.parametrize(("code", "kind"), NAME_LIKE.items())
def test_name_like_codes_are_warned_about(code: str, kind: str) -> None:
    validate_patient_code(code)  # valid codes: a warning, never a refusal
    reason = name_like_reason(code)
    assert reason is not None and kind.split()[-1] in reason
    assert "never a name" in reason and "\n" not in reason
    assert patient_code_warning(code) == reason  # the clinical form's helper: the same rule


@pytest.mark.parametrize("code", CODES)
def test_ordinary_codes_pass_silently(code: str) -> None:
    validate_patient_code(code)
    assert name_like_reason(code) is None
    assert patient_code_warning(code) is None


def test_a_date_that_is_no_date_is_not_one() -> None:
    assert name_like_reason("1961-13-45") is None  # no month 13
    assert name_like_reason("P-32.13.1961") is None
    assert name_like_reason("WC-18991231") is None  # outside 1900-2099


# ------------------------------------------------------- codes that collide on other disks


@pytest.mark.parametrize("code", ["CON", "con", "Prn", "AUX", "nul", "COM1", "com9", "LPT1",
                                  "lpt9", "aux.txt", "NUL.h5", "nul.tar.gz", "Com3.x",
                                  "WC.", "WC-017."])
def test_windows_names_are_refused(code: str) -> None:
    with pytest.raises(InvalidCodeError, match="refused") as exc:
        validate_patient_code(code)
    assert "\n" not in str(exc.value) and "Windows" in str(exc.value)


@pytest.mark.parametrize("code", ["WC-017 ", " WC-017", "WC 017", "WC-017\t"])
def test_spaces_are_refused(code: str) -> None:
    """A trailing space is dropped by Windows like a trailing dot: no code holds a space."""
    with pytest.raises(InvalidCodeError, match="refused"):
        validate_patient_code(code)


@pytest.mark.parametrize("code", ["CONSOLE", "AUXX", "COM10", "LPT", "NULL-1", "WC.1",
                                  "P.con", "ACON"])
def test_names_that_only_resemble_devices_pass(code: str) -> None:
    assert validate_patient_code(code) == code


def test_session_writer_refuses_a_device_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidCodeError):
        SessionWriter.create(tmp_path, "aux.txt")
    assert list(tmp_path.iterdir()) == []


def test_case_collision(tmp_path: Path) -> None:
    (tmp_path / "WC-017").mkdir()
    check_code_collision(tmp_path, "WC-017")  # the same patient
    check_code_collision(tmp_path, "WC-018")  # another one
    check_code_collision(tmp_path / "missing", "wc-017")  # no study yet: nothing to collide
    for code in ("wc-017", "Wc-017", "wC-017"):
        with pytest.raises(InvalidCodeError, match=r"'WC-017'.*differs only in case"):
            check_code_collision(tmp_path, code)


# ---------------------------------------------------- the warning in each command (real CLI)


def warning_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("kinewrite: warning:")]


def test_commands_taking_a_patient_warn_once_and_go_on(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    r = run("simulate", "--realtime", "--study", str(study), "--patient", "Anna_Meyer",
            "--seconds", "0.3", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert warning_lines(r.stderr) == [
        "kinewrite: warning: patient code 'Anna_Meyer' " + name_like_reason("Anna_Meyer")]
    assert list((study / "Anna_Meyer").glob("session-*.h5"))  # not refused

    r = run("gui", "--study", str(study), "--patient", "MUELLER")  # no session: exit 2
    assert r.returncode == 2
    assert len(warning_lines(r.stderr)) == 1 and "all-caps" in r.stderr
    assert "no session of patient MUELLER" in r.stderr

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = run("record", "--study", str(study), "--patient", "1961-04-12", "--task", "spiral",
            env=env)  # no display: refused after the warning, nothing created
    assert r.returncode == 1 and "no display" in r.stderr
    assert len(warning_lines(r.stderr)) == 1 and "date of birth" in r.stderr
    assert not (study / "1961-04-12").exists()

    r = run("simulate", "--realtime", "--study", str(study), "--patient", "WC-017",
            "--seconds", "0.2", "--seed", "1")
    assert r.returncode == 0 and warning_lines(r.stderr) == []
