"""Changing a closed session file safely, and repairing one a writer left open.

Every change of a closed session (a trial's start and end, its features, a redo, a scale, an
event) is made to a copy that then replaces the file atomically (:func:`modify_session`): a
kill leaves the file as it was before the change or as it is after it. A file left "open for
write" by a writer that died is read without being changed (:mod:`kinewrite.storage.opening`)
and repaired at the next write (:func:`repair_session`: copy, clear HDF5's consistency
flags, close the interrupted trial, verify, replace atomically). Nothing is ever deleted
but the temporary files a killed writer left (:func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import h5py

from .._atomic import atomic_output
from ..errors import DiskSpaceError, InputError, one_line
from . import hdf5_status
from .attrs import attr_str
from .opening import INTERRUPTED
from .reader import load_session
from .schema import CHANNELS, FORMAT

__all__ = ["ABANDONED_AFTER_S", "COPY_MARGIN_BYTES", "modify_session",
           "remove_abandoned_new_sessions", "remove_stale_temporaries", "repair_session"]

T = TypeVar("T")


#: Room a copy of a session needs beyond the file's own size (HDF5 metadata of the change).
COPY_MARGIN_BYTES = 1 << 20


def modify_session(path: str | os.PathLike[str], change: Callable[[h5py.File], T],
                   clear_flags: bool = False, verify: Callable[[Path], Any] | None = None,
                   ) -> T:
    """Change a closed session file all at once: `change` is applied to a copy, which then
    replaces the file atomically. A kill at any moment leaves the file as it was or as it
    is after the change; a failure leaves it unchanged.

    Parameters
    ----------
    path : path-like
        A session file no process has open for writing.
    change : callable
        Called with the copy open read-write (``h5py.File``); its result is returned.
    clear_flags : bool, default False
        Clear HDF5's consistency flags of the copy before opening it (the repair of a file
        left open by a writer that died; see :mod:`kinewrite.storage.hdf5_status`).
    verify : callable, optional
        Called with the finished copy's path before it replaces the file; raising refuses
        the change. Default: the copy must open read-only as a kinewrite session.

    Raises
    ------
    DiskSpaceError
        Too little room for the copy (nothing changed).
    """
    path = Path(path)
    need = path.stat().st_size + COPY_MARGIN_BYTES
    free = shutil.disk_usage(path.parent).free
    if free < need:
        raise DiskSpaceError(f"{path}: only {free >> 20} MiB free on the disk, saving needs "
                             f"{need >> 20} MiB; nothing was changed")
    with atomic_output(path, tag="write.") as tmp:
        shutil.copyfile(path, tmp)
        if clear_flags:
            hdf5_status.clear_flags(tmp)
        with h5py.File(tmp, "r+", libver="latest") as f:
            result = change(f)
        (verify or _verify_opens)(tmp)
    return result


def _verify_opens(path: Path) -> None:
    with h5py.File(path, "r") as f:
        if attr_str(f.attrs, "format") != FORMAT:
            raise InputError(f"{path}: the changed copy is not a kinewrite session")


def _close_interrupted_trials(f: h5py.File) -> list[str]:
    """Close every trial of `f` still marked ``recording`` (its writer died): channels cut
    to their common length, status ``aborted``, :data:`INTERRUPTED` as the reason. Returns
    their names."""
    closed = []
    for name in sorted(f.get("trials", {})):
        g = f["trials"][name]
        if attr_str(g.attrs, "status") != "recording":
            continue
        n = min((g[c].shape[0] for c in CHANNELS if c in g), default=0)
        for c in CHANNELS:
            if c in g and g[c].shape[0] != n:
                g[c].resize((n,))
        g.attrs.update({"status": "aborted", "abort_reason": INTERRUPTED, "n_samples": n})
        if not attr_str(g.attrs, "ended"):
            g.attrs["ended"] = attr_str(g.attrs, "started")
        closed.append(name)
    return closed


def _copy_through_swmr_reader(path: Path, dst: Path) -> None:
    """Copy every object of a file a SWMR writer left into a new file `dst` (for a file whose
    flags cleared in place do not open: HDF5's SWMR reader tolerates its end of file)."""
    with h5py.File(path, "r", swmr=True) as src, h5py.File(dst, "w", libver="latest") as out:
        for k, v in src.attrs.items():
            out.attrs[k] = v
        for name in src:
            src.copy(src[name], out, name=name)


def repair_session(path: str | os.PathLike[str]) -> str:
    """Make a session left by a writer that died a normal closed file again.

    Its HDF5 consistency flags are cleared and its interrupted trials closed (every sample
    kept, marked ``aborted`` with :data:`INTERRUPTED`) in a copy, which is verified (read
    whole by :func:`load_session`) and then replaces the file atomically; a file that needs
    no repair is not touched. Call it only holding the writer lock (a living writer's file
    looks the same).

    Returns
    -------
    str
        One line saying what was repaired ("" if nothing was).

    Raises
    ------
    InputError
        The file cannot be repaired (it is left unchanged).
    """
    path = Path(path)
    superblock = hdf5_status.read_superblock(path)
    left_open = superblock is not None and superblock.open_for_write

    def verify(tmp: Path) -> None:
        if any(t.status == "recording" for t in load_session(tmp).trials):
            raise InputError(f"{path}: a trial is still open after the repair")

    if not left_open:
        with h5py.File(path, "r") as f:
            if not any(attr_str(f["trials"][n].attrs, "status") == "recording"
                       for n in f.get("trials", {})):
                return ""
        closed = modify_session(path, _close_interrupted_trials, verify=verify)
        return _repair_note(path, False, closed)
    try:
        closed = modify_session(path, _close_interrupted_trials, clear_flags=True,
                                verify=verify)
    except (OSError, InputError, RuntimeError, KeyError, ValueError) as first:
        if (isinstance(first, DiskSpaceError) or superblock is None or not superblock.swmr
                or "truncated" in str(first)):  # never the SWMR reader on a truncated file
            raise InputError(f"{path}: left open by a writer that stopped, and cannot be "
                             f"repaired ({one_line(first)}); the file is left unchanged") from None
        closed = _repair_through_swmr_reader(path, verify)
    return _repair_note(path, True, closed)


def _repair_through_swmr_reader(path: Path, verify: Callable[[Path], Any]) -> list[str]:
    try:
        with atomic_output(path, tag="repair.") as tmp:
            _copy_through_swmr_reader(path, tmp)
            with h5py.File(tmp, "r+", libver="latest") as f:
                closed = _close_interrupted_trials(f)
            verify(tmp)
    except (OSError, InputError, RuntimeError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: left open by a writer that stopped, and cannot be "
                         f"repaired ({one_line(exc)}); the file is left unchanged") from None
    return closed


def _repair_note(path: Path, left_open: bool, closed: list[str]) -> str:
    parts = ["HDF5's open-for-write flags cleared"] if left_open else []
    if closed:
        parts.append(f"interrupted trial{'s' if len(closed) > 1 else ''} {', '.join(closed)} "
                     "closed as aborted with every sample written")
    return f"{path}: repaired: {'; '.join(parts)}"


def remove_stale_temporaries(path: Path) -> int:
    """Remove the temporary files a killed writer of session `path` left beside it (only
    while holding its writer lock). Returns how many were removed."""
    removed = 0
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


#: A new session's temporary file older than this was left by a writer killed while creating
#: it (creating takes milliseconds).
ABANDONED_AFTER_S = 3600.0


def remove_abandoned_new_sessions(folder: Path) -> None:
    """Remove the temporary files of sessions whose creation was killed, in a patient folder
    (they hold no sample, only the session's metadata)."""
    now = time.time()
    for tmp in folder.glob(".session-*.h5.new.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.lstat().st_mtime > ABANDONED_AFTER_S:
                tmp.unlink()
