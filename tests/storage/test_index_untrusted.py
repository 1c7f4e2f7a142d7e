"""The study index is untrusted input: a named pipe, a symlink (to /dev/zero, or to an index
of forged numbers), a huge file, an edited, forged or type-confused index is ignored and the
session files are read instead; nothing hangs, nothing forged is shown. And the cached
features every reader shows are the compact row's, also when a file's attributes disagree."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from kinewrite.export import ExportOptions, collect_rows, session_paths
from kinewrite.progress import load_progress
from kinewrite.storage import study_index as ix
from kinewrite.storage.study import read_session_summary, study_summaries

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"
CLI = [sys.executable, "-m", "kinewrite.cli"]
FEATURE = "duration_s"


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    """This user's configuration folder (the index key lives there)."""
    folder = tmp_path / "config"
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def study(tmp_path: Path, config: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE, folder)
    (folder / ix.INDEX_NAME).unlink(missing_ok=True)
    return folder


def _true(study: Path) -> list:
    """What the session files themselves say (no index)."""
    return study_summaries(study, use_index=False)[0]


def _durations(summaries) -> list[float]:
    return [t.features[FEATURE] for s in summaries for t in s.trials]


def _entries(study: Path) -> dict:
    """The entries of a freshly written, valid index."""
    study_summaries(study)
    entries = ix.load_index(study)
    assert len(entries) == 6
    return entries


def _forged(entries: dict, value: float = 999.0) -> dict:
    forged = copy.deepcopy(entries)
    for entry in forged.values():
        for trial in entry["summary"]["trials"]:
            trial["features"][FEATURE] = value
    return forged


def _assert_reads_the_files(study: Path) -> None:
    summaries, problems = study_summaries(study)
    assert problems == [] and len(summaries) == 6
    assert _durations(summaries) == _durations(_true(study))
    assert 999.0 not in _durations(summaries)


# ------------------------------------------------------------------- what the index is


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_as_index_is_never_waited_on(study, config):
    """Opening a pipe for reading blocks until a writer comes: in a child with a time limit,
    so that a regression fails instead of hanging the test run."""
    os.mkfifo(study / ix.INDEX_NAME)
    code = ("import sys; from kinewrite.storage.study import study_summaries\n"
            "s, p = study_summaries(sys.argv[1]); print(len(s), len(p))\n")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code, str(study)], capture_output=True,
                       text=True, timeout=60, env={**os.environ,
                                                   "KINEWRITE_CONFIG_DIR": str(config)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["6", "0"] and time.monotonic() - t0 < 30


def test_a_symlink_to_dev_zero_is_not_followed(study):
    (study / ix.INDEX_NAME).symlink_to("/dev/zero")
    assert ix.load_index(study) == {}
    _assert_reads_the_files(study)
    assert not (study / ix.INDEX_NAME).is_symlink()  # replaced by the real index


def test_a_symlink_to_a_valid_index_of_forged_numbers_is_not_followed(study, tmp_path):
    """Even signed with this user's key, an index reached through a symlink is not read."""
    entries = _entries(study)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert ix.save_index(elsewhere, _forged(entries))
    (study / ix.INDEX_NAME).unlink()
    (study / ix.INDEX_NAME).symlink_to(elsewhere / ix.INDEX_NAME)
    assert ix.load_index(study) == {}
    _assert_reads_the_files(study)


def test_a_huge_index_is_not_read(study):
    with open(study / ix.INDEX_NAME, "wb") as f:  # sparse: no disk, no memory
        f.truncate(ix.MAX_INDEX_BYTES + 1)
    t0 = time.monotonic()
    assert ix.load_index(study) == {}
    assert time.monotonic() - t0 < 1.0
    _assert_reads_the_files(study)


def test_a_folder_as_index_opens_without_the_cache(study):
    (study / ix.INDEX_NAME).mkdir()
    _assert_reads_the_files(study)
    assert ix.load_index(study) == {}


# ------------------------------------------------------------ forged and edited indexes


def test_an_edited_index_is_ignored(study):
    """Changing one number in the file (a text editor, a script) breaks its HMAC."""
    _entries(study)
    path = study / ix.INDEX_NAME
    head, payload = path.read_bytes().split(b"\n", 1)
    data = json.loads(payload)
    first = next(iter(data.values()))
    first["summary"]["trials"][0]["features"][FEATURE] = 999.0
    path.write_bytes(head + b"\n" + json.dumps(data).encode())
    assert ix.load_index(study) == {}
    _assert_reads_the_files(study)


def test_an_index_signed_with_another_key_is_ignored(study, config):
    entries = _entries(study)
    key = config / ix.KEY_NAME
    key.write_text("ab" * 32)  # someone else's key ...
    key.chmod(0o600)
    assert ix.save_index(study, _forged(entries)) and len(ix.load_index(study)) == 6
    key.write_text("cd" * 32)  # ... and this user's
    assert ix.load_index(study) == {}
    _assert_reads_the_files(study)


def test_a_key_others_can_read_is_not_used_and_replaced(study, config):
    entries = _entries(study)
    key = config / ix.KEY_NAME
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    assert ix.load_index(study) == {}  # anyone who read the key could have signed it
    study_summaries(study)  # writes a new key and index
    assert key.stat().st_mode & 0o777 == 0o600 and len(ix.load_index(study)) == len(entries)


def test_index_and_key_are_private_and_written_through_a_unique_temp_file(study, config):
    _entries(study)
    assert (study / ix.INDEX_NAME).stat().st_mode & 0o777 == 0o600
    assert (config / ix.KEY_NAME).stat().st_mode & 0o777 == 0o600
    assert not [p for p in study.iterdir() if p.name.endswith(".tmp")]


_DELETE = object()


def _set(path: str, value):
    """A mutation of an entry: ``_set("summary.trials.0.n_samples", "400")``; `value`
    :data:`_DELETE` removes the field."""
    def mutate(rel: str, entry: dict) -> tuple[str, object]:
        *keys, last = path.split(".")
        target = entry
        for k in keys:
            target = target[int(k)] if isinstance(target, list) else target[k]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return rel, entry
    return mutate


def _rename(new_rel):
    return lambda rel, entry: (new_rel(rel), entry)


#: Type confusion and forgery inside a correctly signed index (what a bug, or someone who
#: has the key, could write): each entry is checked field by field against its file.
MUTATIONS = {
    "n_samples as text": _set("summary.trials.0.n_samples", "400"),
    "feature as text": _set(f"summary.trials.0.features.{FEATURE}", "999"),
    "feature as bool": _set(f"summary.trials.0.features.{FEATURE}", True),
    "features as a list": _set("summary.trials.0.features", [999.0]),
    "unknown task": _set("summary.trials.0.task", "dance"),
    "status recording": _set("summary.trials.0.status", "recording"),
    "trial name not a number": _set("summary.trials.0.name", "../1"),
    "trials not a list": _set("summary.trials", {"0": 1}),
    "trial missing a field": _set("summary.trials.0.input", _DELETE),
    "trial with an unknown field": _set("summary.trials.0.secret", "x"),
    "metadata not text": _set("summary.metadata", {"hand": 1}),
    "score as text": _set("summary.clinical.0.score", "60"),
    "items as a list": _set("summary.clinical.0.items", [1, 2]),
    "muscles not a list": _set("summary.events", [{"kind": "other", "date": "2025-01-01",
                                                    "muscles": "FCR", "dose_units": None,
                                                    "notes": ""}]),
    "recovered from a crash": _set("summary.recovered_from_crash", True),
    "recovery note": _set("summary.recovery", "recovered after a crash"),
    "format_version as float": _set("summary.format_version", 1.5),
    "identity of 3 numbers": _set("identity", [1, 2, 3]),
    "identity as text": _set("identity", "[1, 2, 3, 4]"),
    "brief as text": _set("brief", "yes"),
    "entry with an unknown field": _set("extra", 1),
    "another patient's code": _set("summary.patient_code", "WC-018"),
    "invalid code": _set("summary.patient_code", "../SIM-001"),
    "created not the name's": _set("summary.created", "2024-01-01T00:00:00.000Z"),
    "session id not the name's": _set("summary.session_id", "0" * 32),
    "relative path escaping": _rename(lambda rel: f"../{rel}"),
    "absolute path": _rename(lambda rel: f"/{rel}"),
    "deeper path": _rename(lambda rel: rel.replace("/", "/sub/")),
    "entry not a dict": lambda rel, entry: (rel, [entry]),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_type_confused_or_forged_entry_is_dropped_and_its_file_read(study, mutation):
    """The first entry forged (999 s trials) and mutated, the others left valid: the
    mutated entry is dropped alone and its file read; no forged number is shown."""
    entries = _entries(study)
    first = next(iter(entries))
    forged_rel, forged_entry = MUTATIONS[mutation](first, _forged({first: entries[first]})[first])
    tampered = {**{rel: e for rel, e in entries.items() if rel != first},
                forged_rel: forged_entry}
    assert ix.save_index(study, tampered)  # signed: what a bug or a key holder could write
    assert set(ix.load_index(study)) == set(entries) - {first}
    _assert_reads_the_files(study)


def test_a_deeply_nested_signed_payload_is_ignored(study):
    key = ix._index_key(create=True)
    payload = b"[" * 100_000 + b"]" * 100_000
    header = json.dumps({"format": ix.INDEX_FORMAT, "version": ix.INDEX_VERSION,
                         "hmac_sha256": ix._mac(key, payload)}).encode()
    (study / ix.INDEX_NAME).write_bytes(header + b"\n" + payload)
    assert ix.load_index(study) == {}
    _assert_reads_the_files(study)


def test_a_file_rewritten_in_place_with_its_mtime_set_back_is_read_again(study):
    """Same size, same inode, same mtime: only the status-change time tells."""
    study_summaries(study)
    path = sorted(study.glob("SIM-001/session-*.h5"))[0]
    st = path.stat()
    with h5py.File(path, "r+") as f:
        fg = f["trials"]["001"]["features"]
        values = fg["values"][()]
        values[0] = 999.0
        fg["values"][...] = values  # same size: the dataset is rewritten in place
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_ino == st.st_ino
    (summary,) = [s for s in study_summaries(study)[0] if s.path == path]
    assert summary.trials[0].features[FEATURE] == 999.0  # what the file now says


# -------------------------------------------------------- the compact row is the truth


def _attrs_disagree(path: Path, value: float) -> float:
    """Set trial 001's feature attribute to `value`; returns the compact row's value."""
    with h5py.File(path, "r+") as f:
        fg = f["trials"]["001"]["features"]
        fg.attrs[FEATURE] = value
        names = [n.decode() if isinstance(n, bytes) else n for n in fg["values"].attrs["names"]]
        return float(fg["values"][names.index(FEATURE)])


def _everywhere(study: Path, path: Path, tmp_path: Path) -> dict[str, float]:
    """Trial 001's feature as each reader shows it."""
    rows, problems = collect_rows(session_paths(study), ExportOptions(str(study)), workers=1)
    assert problems == []
    rel = path.relative_to(study).as_posix()
    (export,) = [r[FEATURE] for r in rows if r["session_file"] == rel and r["trial"] == 1]
    out = tmp_path / "t.csv"
    r = subprocess.run([*CLI, "export", str(study), "-o", str(out), "--workers", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out)
    (csv,) = table[(table["session_file"] == rel) & (table["trial"] == 1)][FEATURE]
    r = subprocess.run([*CLI, "analyze", "--json", str(path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    analyze = next(x for x in json.loads(r.stdout) if x["trial"] == "001")["features"][FEATURE]
    shown = {"export": export, "csv": csv, "analyze": analyze,
             "summary": read_session_summary(path).trials[0].features[FEATURE]}
    for verify in (False, True):
        p = load_progress(study, "SIM-001", verify=verify)
        row = p.table[(p.table["session_id"] == read_session_summary(path).session_id)
                      & (p.table["trial"] == 1)]
        if len(row):
            shown[f"progress verify={verify}"] = float(row[FEATURE].iloc[0])
    return shown


def test_attributes_disagreeing_with_the_compact_row_give_the_rows_numbers(study, tmp_path):
    path = sorted(study.glob("SIM-001/session-*.h5"))[-1]
    row = _attrs_disagree(path, 999.0)
    shown = _everywhere(study, path, tmp_path)
    assert len(shown) == 6 and set(shown.values()) == {row}, shown


def test_without_a_compact_row_the_attributes_are_the_cache_everywhere(study, tmp_path):
    path = sorted(study.glob("SIM-001/session-*.h5"))[-1]
    _attrs_disagree(path, 123.0)
    with h5py.File(path, "r+") as f:  # a file written before the compact row existed
        del f["trials"]["001"]["features"]["values"]
    shown = _everywhere(study, path, tmp_path)
    assert len(shown) == 6 and set(shown.values()) == {123.0}, shown
    assert np.isfinite(list(shown.values())).all()
