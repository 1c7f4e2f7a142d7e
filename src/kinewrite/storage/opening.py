"""Open a session file for reading, whatever state a writer left it in.

kinewrite's writer keeps a session file closed whenever no trial is streaming, and streams in
HDF5's SWMR mode, so a file is consistent on disk at every moment. But a writer that dies
(a kill, a crash, a power cut; or an older kinewrite, which kept the file open between
trials) leaves HDF5's "open for write" flags set, and HDF5 then refuses the file. Readers
never change the file; they open it as follows:

1. A file that opens normally is read normally.
2. A file flagged by a *living* SWMR writer (its writer lock is held,
   :func:`~kinewrite.storage.writer_lock.writer_is_live`) is being recorded: it is read in
   SWMR mode, and its recording trial is live.
3. Any other flagged file was left by a writer that died. It is read through
   :class:`~kinewrite.storage.hdf5_status.FlagsClearedView` (the flags read as clear, not a
   byte written), falling back to the SWMR reader for a file a SWMR writer left.

In cases 1 and 3, a trial still marked ``recording`` has no living writer: readers show it
as interrupted (``aborted``, :data:`INTERRUPTED`) and say so in one line
(:func:`recovery_note`); the file itself is repaired (copy, clear, verify, atomic replace)
at the next write (:meth:`kinewrite.storage.writer.SessionWriter.open`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py

from .hdf5_status import FlagsClearedView, read_superblock
from .writer_lock import writer_is_live

__all__ = ["INTERRUPTED", "OpenedSession", "open_session_file", "recovery_note"]

#: The ``abort_reason`` of a trial whose writer died before closing it.
INTERRUPTED = ("interrupted: the recording stopped without closing the trial (crash, kill "
               "or power cut); every sample written before is kept")


@dataclass
class OpenedSession:
    """An open session file and how it was opened.

    Attributes
    ----------
    file : h5py.File
        Open read-only; close it (or use the object as a context manager).
    live_writer : bool
        A living process is writing the file: a trial marked ``recording`` is recording.
    left_open : bool
        The file was left "open for write" by a writer that died; it was read without being
        changed (see the module docstring).
    """

    file: h5py.File
    live_writer: bool
    left_open: bool
    view: FlagsClearedView | None = None

    def close(self) -> None:
        self.file.close()
        if self.view is not None:
            self.view.close()

    def __enter__(self) -> OpenedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session_file(path: Path) -> OpenedSession:
    """Open session `path` read-only (see the module docstring).

    Raises
    ------
    OSError
        From h5py, if the file cannot be opened in any of the ways above (the error of the
        plain open, which names the cause).
    """
    try:
        f = h5py.File(path, "r")
    except OSError as first:
        if "already open for write" not in str(first):
            raise  # truncated, not HDF5 ...: never retried in SWMR mode (it can loop forever)
        error = first
    else:  # closed cleanly; a trial marked recording is live only in the writer's moment
        return OpenedSession(f, live_writer=writer_is_live(path), left_open=False)
    superblock = read_superblock(path)
    if superblock is None:
        raise error
    live = writer_is_live(path)
    if live and superblock.swmr:
        try:
            return OpenedSession(h5py.File(path, "r", swmr=True), live_writer=True,
                                 left_open=False)
        except OSError:
            raise error from None
    try:
        view = FlagsClearedView(path, superblock)
        try:
            return OpenedSession(h5py.File(view, "r"), live_writer=live, left_open=not live,
                                 view=view)
        except BaseException:
            view.close()
            raise
    except OSError as exc:
        if not superblock.swmr or "truncated" in str(exc):
            # a truncated file never goes to the SWMR reader: HDF5 2.0's skips the
            # end-of-file check and can then loop forever on it
            raise error if "truncated" not in str(exc) else exc from None
    try:  # what a SWMR writer left, HDF5's SWMR reader reads (the view failed otherwise)
        return OpenedSession(h5py.File(path, "r", swmr=True), live_writer=live,
                             left_open=not live)
    except OSError:
        raise error from None


def recovery_note(path: Path, left_open: bool, interrupted: list[str]) -> str:
    """The one line that says how a session left by a writer that died was read ("" if it
    was not).

    Examples
    --------
    >>> recovery_note(Path("P1/s.h5"), True, ["003"])  # doctest: +NORMALIZE_WHITESPACE
    'P1/s.h5: left open by a writer that stopped (crash or kill), read without changing it;
    trial 003 was interrupted: kept as aborted with every sample written; the file is
    repaired at its next write'
    """
    if not left_open and not interrupted:
        return ""
    parts = []
    if left_open:
        parts.append("left open by a writer that stopped (crash or kill), read without "
                     "changing it")
    if interrupted:
        s = "s" if len(interrupted) > 1 else ""
        verb = "were" if s else "was"
        parts.append(f"trial{s} {', '.join(interrupted)} {verb} interrupted: kept as aborted "
                     "with every sample written")
    return f"{path}: {'; '.join(parts)}; the file is repaired at its next write"
