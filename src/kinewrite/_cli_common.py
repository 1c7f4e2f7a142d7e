"""Pieces every ``kinewrite`` subcommand shares: exit codes and the one-line error."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from ._atomic import output_problem, private_folder, temp_beside

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def fail(message: str) -> None:
    """Print one line on stderr, prefixed ``kinewrite:``."""
    first = message.splitlines()[0] if message else "error"
    print(f"kinewrite: {first}", file=sys.stderr)


def output_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be written as an output file, in one line (None if it can).

    Checked before any work is done, so a mistake costs nothing: a folder given as the file,
    a missing folder, a part of the path that is a file, a device or FIFO (never replaced),
    a read-only folder (a probe file of a unique name is created and removed). A full disk
    shows only when writing: catch :class:`OSError` there and report
    :func:`kinewrite._atomic.output_problem`.
    """
    path = Path(path)
    if path.is_dir():
        return output_problem(path, IsADirectoryError(errno.EISDIR, "is a folder"))
    if path.exists() and not path.is_file():
        return f"{path}: cannot write: not a regular file (a device, FIFO or socket)"
    try:
        temp_beside(path, "probe.").unlink()
    except OSError as exc:
        return output_problem(path, exc)
    return None


def output_folder_problem(path: str | os.PathLike[str]) -> str | None:
    """Create the output folder `path` (0700, parents too) and check it takes files; one
    line saying why not (a file in the way, a read-only parent ...), else None."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"{path}: cannot write: is a file, not a folder"
    try:
        private_folder(path)
        temp_beside(path / "probe", "probe.").unlink()
    except OSError as exc:
        return output_problem(path, exc)
    return None
