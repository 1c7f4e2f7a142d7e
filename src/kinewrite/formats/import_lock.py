"""The patient's import lock and the cleanup of what killed imports left behind.

Imports for one patient run one at a time: an advisory ``flock`` on a hidden file in the
patient folder, released by the kernel when the process dies, so a killed import never
blocks the next one. The import holding it exclusively removes the hidden temporary session
files of imports that died (:func:`remove_leftovers`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .._atomic import FILE_MODE, TEMP_SUFFIX
from ..errors import SessionBusyError

__all__ = [
    "IMPORT_LOCK_NAME",
    "IMPORT_LOCK_TIMEOUT_S",
    "TEMP_TAG",
    "import_lock",
    "no_checkpoint",
    "remove_leftovers",
]

#: The advisory lock file of imports, in the patient folder (hidden: never listed).
IMPORT_LOCK_NAME = ".kinewrite-import.lock"
#: How long an import waits for another import of the same patient to finish (s).
IMPORT_LOCK_TIMEOUT_S = 60.0
#: Tag of the temporary session files of imports: ``.<session name>.import.<random>.tmp``.
TEMP_TAG = "import."
_TEMP_MARK = f".h5.{TEMP_TAG}"


def no_checkpoint() -> None:
    """The checkpoint of an import nobody stops: does nothing."""
    return None


@contextlib.contextmanager
def import_lock(folder: Path, timeout_s: float | None = None,
                checkpoint: Callable[[], None] = no_checkpoint) -> Iterator[bool]:
    """Hold the patient's import lock in `folder`, waiting at most `timeout_s` (default
    :data:`IMPORT_LOCK_TIMEOUT_S`) and calling `checkpoint` while waiting; yields True if
    it is exclusive (POSIX ``flock``), False where there is no such lock (Windows). The
    kernel releases it when the process dies, so a killed import never blocks the next one;
    the file is removed on release.

    Raises
    ------
    SessionBusyError
        Another import of the patient held the lock for longer than `timeout_s`.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    path = folder / IMPORT_LOCK_NAME
    deadline = time.monotonic() + (IMPORT_LOCK_TIMEOUT_S if timeout_s is None else timeout_s)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                raise SessionBusyError(f"{folder}: another kinewrite import of this patient "
                                       "is running; try again when it has finished") from None
            checkpoint()
            time.sleep(0.05)
            continue
        try:  # the holder we waited for removed the file: lock the one now there
            current = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def remove_leftovers(folder: Path) -> None:
    """Remove what killed imports left in a patient folder: their hidden temporary session
    files, the writer locks of those, and the temporaries a writer makes beside them
    (``.<temp>.trial.XXXX.tmp``). Every such name holds ``.h5.import.``; only called under
    the exclusive import lock, so no live import owns any of them."""
    for entry in folder.iterdir():
        name = entry.name
        if name.startswith(".session-") or name.startswith("..session-"):
            if _TEMP_MARK in name and (name.endswith(TEMP_SUFFIX) or name.endswith(".lock")):
                with contextlib.suppress(OSError):
                    entry.unlink()  # a symlink planted there is removed, not followed
