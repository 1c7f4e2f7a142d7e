"""Checks of a session file before its rows are exported: where it lies, how it is named,
what its trials and channels hold; and the one line naming a file that was left out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model import TASKS
from ..storage.codes import validate_patient_code
from ..storage.schema import TRIAL_STATUSES
from ..storage.study_index import name_matches

__all__ = ["check_channels", "check_session_file", "check_trial", "file_problem", "first_line",
           "refuse_truncated"]


def check_session_file(path: str | os.PathLike[str], patient_code: str, session_id: str,
                       created: str) -> None:
    """Raise :class:`InputError` for a session file that is not where, or not named as,
    kinewrite puts it: ``<study>/<code>/session-<created>-<id8>.h5``.

    A stored patient code must be a valid code (:func:`validate_patient_code`) and equal its
    folder's name: a file of WC-018 in folder WC-017 was moved or forged, and its rows would
    be listed under the wrong patient. Its name must be the one its stored creation time and
    id give (:func:`~kinewrite.storage.study_index.name_matches`).
    """
    path = Path(path)
    folder = path.parent.name
    try:
        validate_patient_code(patient_code)
    except ValueError:
        raise InputError(f"{path}: stored patient code {patient_code[:70]!r} is not a valid "
                         "code: damaged or hostile file") from None
    if patient_code != folder:
        raise InputError(f"{path}: holds patient {patient_code!r} but lies in folder "
                         f"{folder!r}; not read (moved or forged file?)")
    if not name_matches(path.name, created, session_id):
        raise InputError(f"{path}: its name does not match its stored creation time "
                         f"{created[:40]!r} and id {session_id[:40]!r}; not read (renamed, "
                         "damaged or forged file?)")


def check_trial(path: str | os.PathLike[str], name: str, task: str, status: str) -> None:
    """Raise :class:`InputError` for a trial kinewrite did not write: not numbered, or of a
    task or status it does not know (an attribute of the wrong type reads as its text)."""
    if not (name.isdigit() and name.isascii()):
        raise InputError(f"{path}: trial {name[:40]!r} is not numbered")
    if task not in TASKS:
        raise InputError(f"{path}: trial {name}: unknown task {task[:40]!r}: damaged file")
    if status not in TRIAL_STATUSES:
        raise InputError(f"{path}: trial {name}: unknown status {status[:40]!r}: damaged file")


def check_channels(path: str | os.PathLike[str], name: str,
                   channels: dict[str, np.ndarray]) -> None:
    """Raise :class:`InputError` for a trial whose channels are not 1-D arrays of real
    numbers (compound, string, object or complex values: a damaged or hostile file), whether
    or not its cached features make the samples unnecessary."""
    for channel, values in channels.items():
        if values.dtype.kind not in "fiub":
            raise InputError(f"{path}: trial {name}: channel {channel} holds "
                             f"{str(values.dtype)[:60]} values, not numbers: damaged or "
                             "hostile file")
        if values.ndim != 1:
            raise InputError(f"{path}: trial {name}: channel {channel} has shape "
                             f"{values.shape}, not one value per sample: damaged or hostile "
                             "file")


def refuse_truncated(path: str | os.PathLike[str]) -> None:
    """Raise :class:`InputError` for a truncated HDF5 file (shorter than its superblock says).

    ``load_session`` retries a file HDF5 will not open in SWMR-read mode (meant for a crashed
    writer's file), where HDF5 skips its end-of-file check and can then spin for minutes on
    the missing metadata of a truncated file. A crashed writer's file fails the plain open
    with "already open for write" instead, so it still goes through.
    """
    import h5py

    try:
        h5py.File(path, "r").close()
    except OSError as exc:
        if "truncated file" in str(exc):
            raise InputError(f"{path}: truncated session file ({first_line(exc)})") from None
    except Exception:
        pass  # anything else: load_session gives the one-line error



def file_problem(path: str | os.PathLike[str], exc: BaseException,
                 kind: str = "session file") -> str:
    """The one line that says why the file at `path` (a `kind`) was left out.

    An :class:`InputError` says it itself (it names the file); any other exception raised
    while reading or analyzing one file (a ``TypeError`` or numpy ``UFuncTypeError`` from
    values of the wrong type, ...) is the file's fault too, and is named as ``--isolate``
    names it; a ``MemoryError`` says that memory ran out (a file too large for this
    machine, or one declaring more than it holds).

    Examples
    --------
    >>> file_problem("a/s.h5", TypeError("can't multiply sequence\\nby float"))
    "a/s.h5: damaged session file (TypeError: can't multiply sequence)"
    >>> file_problem("a/s.h5", MemoryError())
    'a/s.h5: not enough memory to read or analyze it (MemoryError); left out'
    """
    if isinstance(exc, InputError) and str(exc):
        return str(exc).splitlines()[0]
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, MemoryError):
        return f"{path}: not enough memory to read or analyze it ({what}); left out"
    return f"{path}: damaged {kind} ({what})"


def first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
