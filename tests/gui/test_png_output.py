"""The PNG renderers of the library (``render_review_png``, ``render_progress_png``) write
through ``kinewrite._atomic``: a full disk is one line naming the file, the earlier image is
kept whole and no temporary file is left (before: ``QImage.save`` wrote the file in place,
so a full disk or a kill left half an image). Real files, a real small filesystem."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from kinewrite.errors import InputError
from kinewrite.gui.progress import render_progress_png
from kinewrite.gui.review import render_review_png

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def full_disk(tmpfs):
    """A 1 MiB tmpfs holding an earlier image, then filled to the last byte."""
    return tmpfs("1m", full=True, name="full", files={"old.png": PNG_MAGIC + b"earlier image"})


def _session() -> Path:
    return sorted((SAMPLE / "SIM-001").glob("session-*.h5"))[-1]


def test_review_png_on_a_full_disk(qtbot, full_disk):
    out = full_disk / "old.png"
    with pytest.raises(InputError) as err:
        render_review_png(_session(), None, out, size=(800, 600))
    assert str(err.value) == f"{out}: cannot write: the disk is full"
    assert out.read_bytes() == PNG_MAGIC + b"earlier image"
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler", "old.png"]


def test_progress_png_on_a_full_disk(qtbot, full_disk, tmp_path):
    out = full_disk / "old.png"
    with pytest.raises(OSError) as err:
        render_progress_png(SAMPLE, "SIM-001", out, size=(800, 600))
    assert err.value.errno == errno.ENOSPC
    assert out.read_bytes() == PNG_MAGIC + b"earlier image"
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler", "old.png"]
    good = render_progress_png(SAMPLE, "SIM-001", tmp_path / "p.png", size=(800, 600))
    assert good.read_bytes().startswith(PNG_MAGIC)
    assert oct(good.stat().st_mode & 0o777) == "0o600"
