"""Reading a recording file once, whole and bounded: the bytes parsed are the bytes hashed."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

__all__ = ["MAX_BYTES", "read_bounded"]

#: Largest file an import reads (bytes): the whole file is held in memory.
MAX_BYTES = 200 * 1024 * 1024


def read_bounded(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a recording file, at most :data:`MAX_BYTES` (read once: the hash stored
    with the trial is that of the samples parsed).

    Raises
    ------
    InputError
        One line naming the file: missing, not a file, unreadable or too large.
    """
    name = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise InputError(f"{name}: no such file" if not p.exists() else f"{name}: not a file")
        if p.stat().st_size > MAX_BYTES:
            raise InputError(f"{name}: file is larger than {MAX_BYTES // 2**20} MB; split it")
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:  # grew while read
        raise InputError(f"{name}: file is larger than {MAX_BYTES // 2**20} MB; split it")
    return data
