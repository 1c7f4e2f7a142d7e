"""``kinewrite import`` killed at random moments: never a partial session, never a stale lock,
and running it again imports every file exactly once.

Real processes, real signals, real timing (no hook in the code): the test waits until the
import's hidden temporary session file appears, then kills it (SIGKILL or SIGTERM) after a
random part of the measured writing time, or earlier, while it starts or reads the files.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from kinewrite.formats import IMPORT_LOCK_NAME, imported_sources, write_csv_recording
from kinewrite.simulate import simulate_trial
from kinewrite.storage.reader import load_session
from kinewrite.storage.study import open_study
from kinewrite.storage.writer import SessionWriter

KW = [sys.executable, "-m", "kinewrite.cli"]
N_FILES = 24
KILLS = int(os.environ.get("KINEWRITE_IMPORT_KILLS", "30"))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    """24 two-second CSV recordings: an import that writes for about half a second."""
    folder = tmp_path_factory.mktemp("recordings")
    return [write_csv_recording(folder / f"r{i:02d}.csv",
                                simulate_trial("loops", 2.0, seed=i).recording, task="loops")
            for i in range(N_FILES)]


def start(study: Path, patient: str, files: list[Path]) -> subprocess.Popen:
    return subprocess.Popen([*KW, "import", *map(str, files), "--study", str(study),
                             "--patient", patient],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".session-*.tmp")) if folder.is_dir() else []


def wait_for_temp(proc: subprocess.Popen, folder: Path, old: list[Path],
                  timeout_s: float = 60) -> float | None:
    """Seconds until the import's temporary session file appeared (None: it exited first);
    `old` are the temporary files a killed import left before it started."""
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < timeout_s:
        if set(temp_files(folder)) - set(old):
            return time.monotonic() - t0
        time.sleep(0.002)
    return None


def assert_nothing_partial(study: Path, sources: dict[str, str], patient: str | None = None,
                           ) -> None:
    """What a user sees after the kill: every listed session is whole, none twice; the
    samples are compared for `patient`'s sessions (default: all)."""
    listed = open_study(study)
    assert listed.problems == []
    per_patient: dict[str, int] = {}
    for info in listed.sessions:
        per_patient[info.patient_code] = per_patient.get(info.patient_code, 0) + 1
        assert len(info.trials) == N_FILES, f"{info.path}: partial session listed"
        assert {t.status for t in info.trials} == {"complete"}
    assert all(n == 1 for n in per_patient.values()), per_patient
    for info in listed.sessions:  # every file is there, whole
        if patient is not None and info.patient_code != patient:
            continue
        session = load_session(info.path)
        assert [t.attrs["source_sha256"] for t in session.trials] == list(sources)


def test_killed_imports_leave_no_partial_session_and_rerun_imports_once(tmp_path, files):
    study = tmp_path / "study"
    study.mkdir()
    sources = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in files}
    rng = random.Random(20240502)

    # one uncut import measures the writing window on this machine
    proc = start(study, "CAL-0", files)
    to_temp = wait_for_temp(proc, study / "CAL-0", [])
    t_temp = time.monotonic()
    assert proc.wait(60) == 0, proc.stderr.read()
    window = time.monotonic() - t_temp
    assert to_temp is not None and window > 0

    patient, generation, used = "K-00", 0, ["K-00"]
    outcomes: dict[str, int] = {}
    for k in range(KILLS):
        sig = signal.SIGKILL if k % 2 == 0 else signal.SIGTERM
        left = temp_files(study / patient)  # by the previous kill: the import removes them
        proc = start(study, patient, files)
        if rng.random() < 0.2:  # while starting up or reading the files
            time.sleep(rng.uniform(0, to_temp))
        else:  # while the session is being written (or just after)
            wait_for_temp(proc, study / patient, left)
            time.sleep(rng.uniform(0, 1.15 * window))
        proc.send_signal(sig)
        rc = proc.wait(60)
        out, err = proc.stdout.read(), proc.stderr.read()
        outcomes[f"{sig.name} rc={rc}"] = outcomes.get(f"{sig.name} rc={rc}", 0) + 1
        if sig == signal.SIGTERM and rc == 128 + signal.SIGTERM:  # caught: cleaned up
            assert err.count("\n") == 1 and "import interrupted (SIGTERM)" in err, err
            assert temp_files(study / patient) == []
        assert rc in (0, -sig, 128 + sig), err
        assert_nothing_partial(study, sources, patient)
        written = sorted((study / patient).glob("session-*.h5"))
        if sig == signal.SIGTERM and written:  # caught until it was said: the user knows
            assert out.strip() == str(written[0]), (rc, out, err)
        if rc == 0 or any((study / patient).glob("session-*.h5")):  # done: a new patient
            generation += 1
            patient = f"K-{generation:02d}"
            used.append(patient)

    # a stale lock or temporary file breaks nothing: running the import again ends with every
    # file held exactly once, for the patient whose import never finished (a full import)
    # and for two whose did (skip-runs); the others' sessions are whole (checked above)
    for code in [used[-1], *used[:-1][:2]]:
        r = subprocess.run([*KW, "import", *map(str, files), "--study", str(study),
                            "--patient", code], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        (path,) = sorted((study / code).glob("session-*.h5"))
        assert r.stdout.strip() == str(path)  # a skip-run prints the existing session
        held = imported_sources(study / code)
        assert set(held) == set(sources)
        with h5py.File(path, "r") as f:
            assert len(f["trials"]) == N_FILES
        leftovers = [p.name for p in (study / code).iterdir() if p.name.startswith(".")]
        assert leftovers == [], leftovers
        with SessionWriter.open(path):  # not locked by anything a killed import left
            pass
    assert_nothing_partial(study, sources)
    assert not (study / IMPORT_LOCK_NAME).exists()
    # the kills really hit both signals while writing: some were caught and cleaned up
    assert outcomes.get(f"SIGTERM rc={128 + signal.SIGTERM}", 0) > 0, outcomes
    assert outcomes.get(f"SIGKILL rc={-signal.SIGKILL}", 0) > 0, outcomes
    print(f"window {window:.2f} s after {to_temp:.2f} s; {KILLS} kills: {outcomes}; "
          f"{len(used)} patients")


def test_two_imports_at_once_write_one_session(tmp_path, files):
    """The patient's import lock: the second import waits, then skips every file."""
    study = tmp_path / "study"
    study.mkdir()
    procs = [start(study, "WC-017", files[:10]) for _ in range(2)]
    outs = [(p.wait(120), *p.communicate()) for p in procs]
    assert [rc for rc, _, _ in outs] == [0, 0], outs
    (path,) = (study / "WC-017").glob("session-*.h5")
    assert {out.strip() for _, out, _ in outs} == {str(path)}
    assert sorted(err.count("already imported") for _, _, err in outs) == [0, 10]
    assert len(load_session(path).trials) == 10
