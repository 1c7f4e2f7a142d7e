"""The one writer of the session format: :class:`SessionWriter`.

The file is consistent on disk at every moment of a visit, so a kill at any moment loses at
most the last ``flush_interval_s`` of a streaming trial and never an ended one:

- It is open only while a trial streams, in HDF5's single-writer / multiple-reader (SWMR)
  mode, which keeps what is on disk readable as it grows; samples are flushed at least every
  ``flush_interval_s`` (default 0.1 s, well inside the 250 ms the project promises).
- Every other change (a trial's start and end, its features, a redo, a scale, an event) is
  made to a copy that then replaces the file atomically
  (:func:`~kinewrite.storage.recovery.modify_session`): a kill leaves the file as it was
  before the change or as it is after it.
- Between trials the file is closed: any reader (export, analyze, review) opens it normally.

The writer never computes features: whoever ends a trial asks analysis and stores the row
(:meth:`SessionEdits.store_features`; :func:`kinewrite.trial_features.finish_trial` does both).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import h5py
import numpy as np

from .._atomic import fsync_file, fsync_folder, temp_beside
from ..errors import DiskSpaceError
from ..model import TASKS
from .attrs import now_utc
from .calibration import Calibration
from .edits import SessionEdits
from .layout import create_session_file, create_trial
from .reader import load_session
from .recovery import modify_session, remove_stale_temporaries, repair_session
from .schema import CHANNELS, MIN_FREE_BYTES, TRIAL_STATUSES
from .writer_lock import acquire_writer_lock, release_writer_lock

__all__ = ["EndedTrial", "SessionWriter"]

T = TypeVar("T")


class EndedTrial(NamedTuple):
    """What :meth:`SessionWriter.end_trial` closed: the trial's ``name`` and how many
    samples it holds."""

    name: str
    n_samples: int


class SessionWriter(SessionEdits):
    """Writes one session file: trials while they record, clinical scales, treatment events.

    Use :meth:`create` for a new session in a study folder or :meth:`open` for an existing
    file; then :meth:`begin_trial`, :meth:`append` (as samples arrive), :meth:`end_trial`;
    :meth:`supersede`, :meth:`add_clinical`, :meth:`add_event` between trials.

    The writer holds the session's writer lock (:mod:`kinewrite.storage.writer_lock`) for
    its whole life, but the file only while a trial streams (SWMR mode):
    :meth:`append` flushes whenever ``flush_interval_s`` has passed since the last flush, so
    a crash loses at most that much (call :meth:`flush_if_due` from a timer when samples may
    stop arriving). Every other change replaces the file atomically
    (:func:`modify_session`), so between trials the file is closed and consistent, and any
    reader opens it.
    """

    def __init__(self, path: Path, flush_interval_s: float = 0.1,
                 min_free_bytes: int = MIN_FREE_BYTES, in_place: bool = False) -> None:
        #: Changes are made in the file itself, not in a copy: only for a file that no
        #: reader lists and that is verified before it is renamed into place (an import
        #: builds its session that way; copying it for every trial would cost n**2).
        self.in_place = bool(in_place)
        self.path = Path(path)
        self.flush_interval_s = float(flush_interval_s)
        self.min_free_bytes = int(min_free_bytes)
        self._unchecked_bytes = 0
        self._lock_fd = acquire_writer_lock(self.path)
        remove_stale_temporaries(self.path)
        self._f: h5py.File | None = None  # open only while a trial streams
        self._trial: h5py.Group | None = None
        self._last_flush = 0.0
        self._n = 0
        #: What :meth:`open` repaired, one line ("" if the file needed nothing).
        self.repaired = ""

    # -- life cycle
    @classmethod
    def create(
        cls,
        study_dir: str | os.PathLike[str],
        patient_code: str,
        metadata: Mapping[str, Any] | None = None,
        calibration: Calibration | None = None,
        flush_interval_s: float = 0.1,
        min_free_bytes: int = MIN_FREE_BYTES,
        created: str | None = None,
    ) -> SessionWriter:
        """Create a new session file in ``study_dir/<patient_code>/`` (folder 0700, file
        0600: a study holds health data).

        ``created`` dates the session (ISO 8601 UTC, e.g. ``"2025-09-08T09:30:00Z"``; not
        in the future): the root attribute ``created`` and the file name. Default: now.
        Give it when importing an older recording.

        Raises
        ------
        ValueError
            Unknown metadata field, ``created`` unparsable, not UTC or in the future, or a
            code that differs from a patient of the study only by letter case
            (:class:`~kinewrite.storage.codes.InvalidCodeError`).
        """
        path = create_session_file(study_dir, patient_code, metadata, calibration, created)
        return cls(path, flush_interval_s, min_free_bytes)

    @classmethod
    def open(cls, path: str | os.PathLike[str], flush_interval_s: float = 0.1,
             min_free_bytes: int = MIN_FREE_BYTES) -> SessionWriter:
        """Open an existing session to add trials, scales or events.

        A file left by a writer that died is repaired first (:func:`repair_session`: its
        flags cleared and its interrupted trial closed, in a verified copy that replaces it
        atomically); :attr:`repaired` says what was done, in one line.

        Raises
        ------
        InputError
            Not a readable session, or one that cannot be repaired (left unchanged).
        SessionBusyError
            Another process is writing it.
        """
        path = Path(path)
        load_session(path)  # validates, one-line InputError otherwise
        writer = cls(path, flush_interval_s, min_free_bytes)  # the lock: nobody else writes
        try:
            writer.repaired = repair_session(path)
        except BaseException:
            writer.close()
            raise
        return writer

    def close(self) -> None:
        """End a streaming trial (as ``aborted``, samples kept) and release the lock."""
        try:
            if self._trial is not None:
                self.end_trial("aborted",
                               attrs={"abort_reason": "the writer was closed while recording"})
        finally:
            if self._f is not None:
                self._f.close()
                self._f = None
            release_writer_lock(self.path, self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- trials
    @property
    def recording(self) -> bool:
        return self._trial is not None

    def _modify(self, change: Callable[[h5py.File], T]) -> T:
        if self._trial is not None:
            raise RuntimeError("a trial is recording; end it first")
        if self._lock_fd is None and os.name == "posix":
            raise RuntimeError(f"{self.path}: this writer is closed")
        if self.in_place:
            with h5py.File(self.path, "r+", libver="latest") as f:
                return change(f)
        return modify_session(self.path, change)

    def begin_trial(
        self,
        task: str,
        nominal_rate_hz: float = float("nan"),
        input_kind: str = "tablet",
        channels: tuple[str, ...] = tuple(CHANNELS),
        units: Mapping[str, str] | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> str:
        """Create the next trial and open the file in SWMR mode for recording it.

        The trial is created in a copy of the file, which is switched to SWMR mode and then
        renamed over the file: at no moment does the file on disk hold a half-made trial.

        Parameters
        ----------
        task : str
            One of :data:`kinewrite.model.TASKS`.
        nominal_rate_hz : float
            The device's nominal rate in Hz.
        input_kind : str
            ``tablet``, ``mouse`` (fallback, no pressure), ``import`` or ``simulated``.
        channels : tuple of str
            Channels to create (``t``, ``x``, ``y`` always).
        units : mapping, optional
            Unit of the stored raw values per channel (default :data:`CHANNELS`).
        attrs : mapping, optional
            Further trial attributes (feedback mode and threshold, source file ...).

        Returns
        -------
        str
            The trial's name (``"001"``, ``"002"`` ...).
        """
        if self._trial is not None:
            raise RuntimeError("a trial is already recording; end it first")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
        free = self.free_bytes()
        if free < self.min_free_bytes:
            raise DiskSpaceError(f"{self.path}: only {free >> 20} MiB free on the disk; a "
                                 f"recording needs at least {self.min_free_bytes >> 20} MiB")
        if self._lock_fd is None and os.name == "posix":
            raise RuntimeError(f"{self.path}: this writer is closed")
        if self.in_place:
            f = h5py.File(self.path, "r+", libver="latest")
            try:
                name = create_trial(f, task, nominal_rate_hz, input_kind, channels, units,
                                     attrs)
            except BaseException:
                f.close()
                raise
            self._f, self._trial, self._n = f, f["trials"][name], 0
            self._last_flush = time.monotonic()
            return name
        tmp = temp_beside(self.path, "trial.")
        f = None
        try:
            shutil.copyfile(self.path, tmp)
            f = h5py.File(tmp, "r+", libver="latest")
            name = create_trial(f, task, nominal_rate_hz, input_kind, channels, units, attrs)
            f.flush()
            f.swmr_mode = True  # before the rename: the file never shows a plain writer's flag
            fsync_file(tmp)
            if os.name == "posix":
                os.replace(tmp, self.path)  # the open file simply gets the session's name
            else:  # pragma: no cover (Windows renames no open file)
                f.close()
                os.replace(tmp, self.path)
                f = h5py.File(self.path, "r+", libver="latest")
                f.swmr_mode = True
            fsync_folder(self.path.parent)
        except BaseException:
            if f is not None:
                f.close()
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._f = f
        self._trial = f["trials"][name]
        self._n = 0
        self._last_flush = time.monotonic()
        return name

    def append(self, **columns: np.ndarray) -> None:
        """Append samples to the recording trial: equal-length arrays per channel.

        ``t`` is required; channels of the trial not given are filled with NaN (0 for
        ``state``). Non-finite timestamps are refused (ValueError), nothing written.
        """
        g = self._trial
        if g is None:
            raise RuntimeError("no trial is recording; call begin_trial first")
        t = np.atleast_1d(np.asarray(columns.get("t"), dtype=np.float64))
        k = t.size
        if k == 0:
            self.flush_if_due()
            return
        if not np.all(np.isfinite(t)):
            raise ValueError("non-finite timestamp in appended samples")
        unknown = set(columns) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(sorted(unknown))}")
        block_bytes = 8 * k * len(g)  # at most 8 bytes per value of each channel
        if self._unchecked_bytes + block_bytes > self.min_free_bytes // 4:
            self._check_space(incoming=block_bytes, incoming_samples=k)  # before it is written
        n = self._n
        for c in CHANNELS:
            if c not in g:
                continue
            ds = g[c]
            values = columns.get(c)
            if values is None:
                values = (np.zeros(k) if c in ("state", "pointer")
                          else np.full(k, np.nan))
            values = np.atleast_1d(np.asarray(values))
            if values.size != k:
                raise ValueError(f"channel {c} has {values.size} samples, t has {k}")
            ds.resize((n + k,))
            ds[n:] = values
        self._n = n + k
        self._unchecked_bytes += block_bytes
        if self._unchecked_bytes > self.min_free_bytes // 4:
            self._check_space()  # a burst of samples: look before the next flush
        self.flush_if_due()

    def flush_if_due(self) -> bool:
        """Flush if ``flush_interval_s`` has passed since the last flush."""
        if self._trial is None:
            return False
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()
            self._check_space()
            return True
        return False

    def free_bytes(self) -> int:
        """Free space of the disk holding the session file, in bytes."""
        return shutil.disk_usage(self.path.parent).free

    def _check_space(self, incoming: int = 0, incoming_samples: int = 0) -> None:
        """Stop the recording cleanly (trial aborted, file valid) when the disk runs low, or
        would after writing `incoming` more bytes: HDF5 that meets a full disk mid-write
        breaks the file (a block of 50,000 samples overshot a 4 MiB reserve), so a block too
        large for the room left is not written at all."""
        self._unchecked_bytes = 0
        free = self.free_bytes()
        if free - incoming >= self.min_free_bytes:
            return
        n = self._n
        if incoming_samples:
            free_text = f"{free >> 10} KiB free, {incoming_samples} more samples would not fit"
            try:
                self.end_trial("aborted", attrs={
                    "abort_reason": f"disk almost full ({free_text})"})
            except OSError:
                pass
            raise DiskSpaceError(f"{self.path}: disk almost full ({free_text}): recording "
                                 f"stopped, its {n} samples are saved, the last "
                                 f"{incoming_samples} were not written")
        try:
            self.end_trial("aborted",
                           attrs={"abort_reason": f"disk almost full ({free >> 10} KiB free)"})
        except OSError:  # no room even to close it: it stays interrupted, samples on disk
            pass
        raise DiskSpaceError(f"{self.path}: disk almost full ({free >> 10} KiB free): recording "
                             f"stopped, its {n} samples are saved")

    def flush(self) -> None:
        """Write everything appended so far to the file (readers see it)."""
        if self._f is not None:
            self._f.flush()
        self._last_flush = time.monotonic()

    def end_trial(self, status: str = "complete",
                  attrs: Mapping[str, Any] | None = None) -> EndedTrial:
        """Close the recording trial: close the file (leaving SWMR mode), then set the
        trial's status in one atomic replacement.

        A kill before the status is saved leaves the trial interrupted with every sample
        flushed (readers show it ``aborted``, :data:`~kinewrite.storage.opening.INTERRUPTED`).
        The writer computes no feature: the caller may then analyze the trial and cache its
        row with :meth:`store_features` (a second atomic replacement; a kill before it leaves
        the features to be computed by the reader), as
        :func:`kinewrite.trial_features.finish_trial` does.

        Returns
        -------
        EndedTrial
            The trial's name and number of samples.
        """
        if status not in TRIAL_STATUSES:
            raise ValueError(f"status must be one of {TRIAL_STATUSES}")
        g = self._trial
        if g is None:
            raise RuntimeError("no trial is recording")
        name = g.name.rsplit("/", 1)[-1]
        n = self._n
        self.flush()
        self._trial = None
        f, self._f = self._f, None
        if f is not None:
            f.close()  # a clean close: the file is whole and unflagged on disk
        ended = now_utc()
        extra = {k: v if isinstance(v, int | float | str) else json.dumps(v)
                 for k, v in (attrs or {}).items()}

        def close_trial(f: h5py.File) -> None:
            g = f["trials"][name]
            g.attrs.update({"status": status, "ended": ended, "n_samples": n, **extra})

        self._modify(close_trial)
        return EndedTrial(name, n)
