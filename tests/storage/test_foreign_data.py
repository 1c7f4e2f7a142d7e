"""A session file must hold its own data: links, virtual datasets and external storage are
refused before anything is followed (a hostile or careless file could otherwise make the
reader open other files: another patient's data, or a named pipe that blocks forever)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinewrite.errors import InputError
from kinewrite.storage.isolated import load_isolated
from kinewrite.storage.reader import load_session
from kinewrite.storage.study import read_session_summary

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "study" / "SIM-001"
CLI = [sys.executable, "-m", "kinewrite"]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """Two patients' real sessions (copies of the bundled sample study, each holding the
    code of its folder: export refuses a file whose stored code is not its folder's)."""
    files = sorted(SAMPLES.glob("session-*.h5"))[:2]
    root = tmp_path / "study"
    for code, src in zip(("P01", "P02"), files, strict=True):
        (root / code).mkdir(parents=True)
        shutil.copy(src, root / code / src.name)
        with h5py.File(root / code / src.name, "r+") as f:
            f.attrs["patient_code"] = code
    return root


def _session(study: Path, code: str) -> Path:
    return next((study / code).glob("session-*.h5"))


def _read_summary(path: Path) -> object:
    return read_session_summary(path)


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.h5"
    os.mkfifo(path)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("reader", [load_session, _read_summary])
def test_external_link_to_a_named_pipe_is_refused_not_followed(study, tmp_path, reader):
    """Following the link would block in open(2) forever: the isolated reader's time limit
    turns a regression into a failure instead of a hung test run."""
    path = _session(study, "P01")
    with h5py.File(path, "r+") as f:
        f["trials"]["900"] = h5py.ExternalLink(str(_fifo(tmp_path)), "/")
    with pytest.raises(InputError) as err:
        load_isolated(path, timeout_s=20.0, reader=reader)
    message = str(err.value)
    assert message.startswith(f"{path}: /trials/900 is a link to another file")
    assert "did not finish" not in message and "\n" not in message


def test_external_link_to_another_patients_trial_is_refused(study):
    """The link target is a valid kinewrite trial of patient P02: read through the link it
    would be exported as P01's."""
    mine, theirs = _session(study, "P01"), _session(study, "P02")
    with h5py.File(mine, "r+") as f:
        f["trials"]["900"] = h5py.ExternalLink(str(theirs), "/trials/001")
    with h5py.File(mine, "r") as f:  # the link resolves: h5py alone would read it
        assert "t" in f["trials"]["900"]
    for reader in (load_session, read_session_summary):
        with pytest.raises(InputError, match=r"/trials/900 is a link to another file"):
            reader(mine)


def test_soft_link_is_refused(study):
    path = _session(study, "P01")
    with h5py.File(path, "r+") as f:
        f["trials"]["900"] = h5py.SoftLink("/trials/001")
    with pytest.raises(InputError, match=r"/trials/900 is a link to /trials/001"):
        load_session(path)


def test_virtual_and_externally_stored_channels_are_refused(study, tmp_path):
    path = _session(study, "P01")
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.zeros(10).tobytes())
    with h5py.File(path, "r+") as f:
        g = f["trials"]["001"]
        n = g["x"].shape[0]
        layout = h5py.VirtualLayout(shape=(n,), dtype="f8")
        layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "x", shape=(n,))
        del g["x"]
        g.create_virtual_dataset("x", layout, fillvalue=0.0)
    with pytest.raises(InputError, match=r"/trials/001/x takes its data from other files"):
        load_session(path)
    shutil.copy(_session(study, "P02"), path)
    with h5py.File(path, "r+") as f:
        g = f["trials"]["001"]
        del g["features"]["values"]
        g["features"].create_dataset("values", shape=(10,), dtype="f8",
                                     external=[(str(raw), 0, 80)])
    with pytest.raises(InputError, match=r"features/values takes its data from other files"):
        read_session_summary(path)


def test_export_names_the_linking_file_and_exports_the_others(study, tmp_path):
    mine, theirs = _session(study, "P01"), _session(study, "P02")
    with h5py.File(mine, "r+") as f:
        f["trials"]["900"] = h5py.ExternalLink(str(theirs), "/trials/001")
    out = tmp_path / "t.csv"
    r = subprocess.run([*CLI, "export", str(study), "-o", str(out), "--workers", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert f"kinewrite: {mine}: /trials/900 is a link to another file" in r.stderr
    assert "Traceback" not in r.stderr
    rows = out.read_text().splitlines()[1:]
    assert rows and all(",P02/session-" in row for row in rows)  # nothing of P01's file


def test_channel_declaring_far_more_samples_than_stored_is_refused(study):
    """HDF5 fills never-written chunks with the fill value: an 800 kB file could declare
    2e9 samples per channel and exhaust memory when read (16 GB each)."""
    path = _session(study, "P01")
    with h5py.File(path, "r+") as f:
        g = f["trials"]["001"]
        stored = g["t"].shape[0]
        for name in ("t", "x", "y"):
            g[name].resize((2_000_000_000,))
    assert path.stat().st_size < 2_000_000
    with pytest.raises(InputError, match=r"/trials/001/t declares 16,000,000,000 bytes of "
                                         r"samples but stores [\d,]+: damaged or hostile"):
        load_isolated(path, timeout_s=20.0)
    with h5py.File(path, "r+") as f:  # a writer killed between growing and filling: kept
        for name in ("t", "x", "y"):
            f["trials"]["001"][name].resize((stored + 200,))
    assert load_session(path).trials[0].channels["t"].size == stored
