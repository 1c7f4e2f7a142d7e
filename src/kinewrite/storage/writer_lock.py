"""Who is writing a session: an advisory lock beside the session file.

A :class:`~kinewrite.storage.writer.SessionWriter` holds an exclusive ``flock`` on
``.<session file>.lock`` for as long as it lives, a whole visit long. The kernel releases it
when the process dies, however it dies, so a lock file left behind by a crash is just an
empty file: it never blocks anyone. Readers use it to tell a live writer (whose trial is
really still recording) from a dead one (whose trial was interrupted): HDF5 marks both files
alike. On systems without ``fcntl`` (Windows) there is no such lock: HDF5's own locking is
all there is, and readers cannot tell, so they treat an unclosed trial as interrupted.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..errors import SessionBusyError

__all__ = ["SessionBusyError", "acquire_writer_lock", "lock_path", "release_writer_lock",
           "writer_is_live"]

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None  # type: ignore[assignment]


def lock_path(path: Path) -> Path:
    """The lock file of a session file: ``.<name>.lock`` in the same folder."""
    return path.with_name(f".{path.name}.lock")


def acquire_writer_lock(path: Path) -> int | None:
    """Take the exclusive writer lock of session `path`; returns the descriptor holding it
    (None where locks do not exist).

    Raises
    ------
    SessionBusyError
        If another process holds it.
    """
    if fcntl is None:  # pragma: no cover
        return None
    fd = os.open(lock_path(path), os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SessionBusyError(f"{path}: being written by another process") from None
    return fd


def release_writer_lock(path: Path, fd: int | None) -> None:
    """Remove the lock file and release the lock (in that order: a writer waiting for it
    then creates a new one)."""
    if fd is None:
        return
    with contextlib.suppress(OSError):
        lock_path(path).unlink()
    os.close(fd)


def writer_is_live(path: Path) -> bool:
    """Whether a living process holds the writer lock of session `path` (never blocks,
    never creates a file)."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(lock_path(path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError:  # no lock file: nobody writes
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the shared lock taken to test it
    return False
