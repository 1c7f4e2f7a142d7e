"""Export a study as one tidy table: one row per trial, one column per variable.

The table is built from the session files of a study folder (``<study>/<code>/session-*.h5``)
and written as CSV or Parquet. It is computed per session file by the pure function
:func:`session_rows`, either in local worker processes or on a Dask cluster
(:func:`collect_rows`); the rows are then sorted, so the table is the same either way.

Column dictionary
-----------------
Session columns (one value per session file):

``patient_code`` (text)
    The patient's study code, the only identity a session holds.
``session_id`` (text)
    The session's random identifier (32 hex digits, UUID4).
``session_date`` (text, ``YYYY-MM-DD``)
    The UTC date the session was created (the first 10 characters of ``session_created``).
``session_created`` (text, ISO 8601 UTC, ms)
    When the session file was created, e.g. ``2026-03-01T09:15:02.123Z``.
``session_file`` (text)
    The session file's path relative to the study folder, ``/``-separated, e.g.
    ``WC-017/session-20260301T091502Z-1a2b3c4d.h5``. It holds nothing the other session
    columns do not (the folder is the patient code, the name the creation time and the id).
*metadata fields* (text, only those asked for)
    Session metadata of :data:`~kinewrite.storage.session.SESSION_FIELDS` named with
    ``--metadata`` (column name = field name), empty where the session does not record it.
    None is exported unless asked for; ``notes`` is free text and may hold anything a
    therapist typed.

Trial columns:

``trial`` (integer)
    The trial's number in its session, 1-based (HDF5 group ``/trials/001`` is trial 1).
``task`` (text)
    The writing task: ``spiral``, ``loops``, ``sentence``, ``circles``, ``lines`` or ``free``.
``trial_status`` (text)
    ``complete``, ``aborted``, ``recording`` (a session still being written, or a writer that
    crashed) or ``superseded`` (redone later; exported only with ``--include-superseded``).
``n_samples`` (integer)
    Number of samples the trial holds.
``analysis_version`` (text)
    :data:`~kinewrite.analysis.features.ANALYSIS_VERSION` of the feature values of the row.
    Cached features of another version are recomputed, so all rows of one export agree.
``analysis_error`` (text)
    Empty when the features were computed; otherwise why the trial cannot be analyzed (no
    sample, pen never down, invalid samples), and every feature of the row is empty (NaN).

Study columns (:mod:`kinewrite.storage.export_study`): ``input_kind``, ``check_status``,
``check_findings``, ``feedback_mode``, ``feedback_threshold``, ``feedback_threshold_unit``,
``guide_shown``, ``adds_pct``, ``wcrs``, ``days_since_botulinum_toxin``,
``days_since_training_start``: how the trial was recorded, its consistency checks, the
visit's clinical scores and the days since treatment.

Feature columns, in the order of the registry :data:`~kinewrite.analysis.features.FEATURES`:
one column per feature, named with its unit suffix (``duration_s``, ``speed_mean_mm_s``,
``tremor_frequency_hz``, ``ldlj_median`` ...), floating point. A feature that does not apply
to a trial (e.g. the spiral indices of a loops trial) is empty (NaN). ``kinewrite features``
prints every feature's unit, definition and reference; :func:`column_dictionary` returns the
whole dictionary as data.

Order and format
----------------
Rows are sorted by patient code, session creation time, session id and trial number.
CSV (RFC 4180): UTF-8, comma-separated, header line, CRLF line ends, a text cell holding a
comma, quote, CR or LF quoted; NaN and missing text as an empty cell; floats written with the
shortest text that reads back to the same number (pandas 3 reads them back bit-exact;
pandas 2 needs ``read_csv(..., float_precision="round_trip")``). A text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote ``'``
so that a spreadsheet shows it as text and never runs it as a formula (OWASP, *CSV
Injection*); numeric cells are never altered (a negative ``ldlj_median`` stays a number).

Parquet (needs ``pyarrow``): the exact values with their types (text as strings, ``trial``
and ``n_samples`` as int64, features as float64), no escaping.

Reading and privacy
-------------------
The study is only read. A session file that cannot be read, or that is damaged or misplaced
in any way, is that file's one problem line (:func:`file_problem`) and the other files are
exported: a channel that does not hold numbers (compound, string, complex values), an
attribute of the wrong type, a trial not numbered or of a task or status kinewrite does not
know, a stored patient code other than its folder's (a file of WC-018 in folder WC-017), a
stored creation time or id other than its file name's, anything else that makes the reader
or the analysis fail (``TypeError``, numpy ``UFuncTypeError``, ``MemoryError`` ...). A trial
that cannot be analyzed (no sample, pen never down, a resampled grid beyond
:data:`~kinewrite.analysis.preprocess.MAX_GRID_SAMPLES`) keeps its row, with the reason in
``analysis_error``: the trial exists, its numbers do not.

The cached features are the compact row ``/trials/NNN/features/values`` of each trial,
read by :func:`~kinewrite.storage.session.read_feature_row` as the progress view and
``kinewrite report`` read it (:func:`load_with_cache`); the per-feature attributes count only
for files written before the compact row existed. A file whose attributes were altered to
disagree with its row gives the row's numbers in every reader.

With ``ExportOptions.metadata`` empty, a row holds the patient code and nothing else about
the person: no notes, no operator, no absolute path. On a Dask cluster each worker opens its
session files itself, so the study must be on a filesystem every worker mounts at the same
path, and the workers must run the same kinewrite (the analysis version of every row is
checked).

Examples
--------
>>> [c for c in export_columns(("hand",))][:7]
['patient_code', 'session_id', 'session_date', 'session_created', 'session_file', 'hand', 'trial']
>>> escape_formula("=HYPERLINK(1)"), escape_formula("right")
("'=HYPERLINK(1)", 'right')
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .._allocator import tune_allocator
from .._atomic import atomic_output
from ..analysis.features import ANALYSIS_VERSION, FEATURES, extract_features, feature_names
from ..errors import InputError
from ..model import TASKS, RecordingError
from .codes import validate_patient_code
from .export_study import (
    STUDY_COLUMNS,
    STUDY_DESCRIPTIONS,
    STUDY_TYPES,
    fill_treatment_days,
    study_part,
)
from .session import (
    SESSION_FIELDS,
    TRIAL_STATUSES,
    Session,
    Trial,
    load_session,
    trial_guide_mm,
)
from .study import SESSION_GLOB
from .study_index import name_matches

__all__ = [
    "FORMULA_PREFIXES",
    "SESSION_COLUMNS",
    "TRIAL_COLUMNS",
    "ExportError",
    "ExportOptions",
    "check_channels",
    "check_session_file",
    "check_trial",
    "collect_rows",
    "column_dictionary",
    "connect_scheduler",
    "escape_formula",
    "export_columns",
    "file_problem",
    "load_with_cache",
    "output_format",
    "require_distributed",
    "require_pyarrow",
    "rows_to_frame",
    "session_paths",
    "session_rows",
    "write_table",
]

#: Columns describing the session, before the requested metadata fields.
SESSION_COLUMNS: tuple[str, ...] = (
    "patient_code", "session_id", "session_date", "session_created", "session_file",
)
#: Columns describing the trial, after the metadata fields and before the features.
TRIAL_COLUMNS: tuple[str, ...] = (
    "trial", "task", "protocol_task", "trial_status", "n_samples", "analysis_version",
    "analysis_error",
)
_INT_COLUMNS = ("trial", "n_samples")
#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {".csv": "csv", ".parquet": "parquet"}
EXTRA_PARQUET = "pip install 'kinewrite[export]'"
EXTRA_DASK = "pip install 'kinewrite[export]'"

_DESCRIPTIONS = {
    "patient_code": ("", "patient's study code"),
    "session_id": ("", "session's random identifier (UUID4 hex)"),
    "session_date": ("", "UTC date the session was created, YYYY-MM-DD"),
    "session_created": ("", "when the session was created, ISO 8601 UTC"),
    "session_file": ("", "session file, relative to the study folder"),
    "trial": ("1", "trial number in its session, 1-based"),
    "task": ("", "writing task (the analysis applied)"),
    "protocol_task": ("", "protocol step, e.g. spiral_guided / spiral_free: tells apart a "
                          "task a protocol runs twice with different settings"),
    "trial_status": ("", "complete, aborted, recording or superseded"),
    "n_samples": ("1", "samples in the trial"),
    "analysis_version": ("", "analysis version of the feature values"),
    "analysis_error": ("", "why the trial could not be analyzed; empty if it was"),
}


class ExportError(InputError):
    """The export cannot run as asked; the message is one line (command-line exit 2)."""


# ------------------------------------------------------------------------------- columns


def export_columns(metadata: Sequence[str] = ()) -> list[str]:
    """The columns of an export, in order.

    Parameters
    ----------
    metadata : sequence of str
        Session metadata fields to include (from ``SESSION_FIELDS``), in this order.

    Returns
    -------
    list of str
        Session columns, metadata fields, trial columns, then every registered feature.
    """
    return [*SESSION_COLUMNS, *metadata, *TRIAL_COLUMNS, *STUDY_COLUMNS, *feature_names()]


def column_dictionary(metadata: Sequence[str] = ()) -> list[dict[str, str]]:
    """Name, unit and description of every export column (units of features from FEATURES).

    Examples
    --------
    >>> d = {row["column"]: row for row in column_dictionary()}
    >>> d["speed_mean_mm_s"]["unit"], d["trial"]["unit"]
    ('mm/s', '1')
    """
    units = {f.name: (f.unit, f.definition) for f in FEATURES}
    rows = []
    for name in export_columns(metadata):
        unit, text = (_DESCRIPTIONS.get(name) or STUDY_DESCRIPTIONS.get(name)
                      or units.get(name) or ("", "session metadata"))
        rows.append({"column": name, "unit": unit, "description": text})
    return rows


# ------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ExportOptions:
    """What to export; picklable, shipped with every session file to the workers.

    Parameters
    ----------
    study_dir : str
        The study folder (``session_file`` is relative to it).
    tasks : tuple of str, optional
        Export only trials of these tasks (default: every task).
    include_superseded : bool, default False
        Also export trials marked ``superseded`` by a redo.
    metadata : tuple of str, default ()
        Session metadata fields to export (see ``SESSION_FIELDS``).
    recompute : bool, default False
        Compute every trial's features, ignoring the features cached in the file.
    """

    study_dir: str
    tasks: tuple[str, ...] | None = None
    include_superseded: bool = False
    metadata: tuple[str, ...] = ()
    recompute: bool = False

    def __post_init__(self) -> None:
        if self.tasks is not None:
            unknown = [t for t in self.tasks if t not in TASKS]
            if unknown:
                raise ExportError(f"unknown task(s) {', '.join(unknown)}; "
                                  f"expected some of {', '.join(TASKS)}")
        unknown = [m for m in self.metadata if m not in SESSION_FIELDS]
        if unknown:
            raise ExportError(f"unknown metadata field(s) {', '.join(unknown)}; "
                              f"allowed: {', '.join(SESSION_FIELDS)}")
        if len(set(self.metadata)) != len(self.metadata):
            raise ExportError("a metadata field is named twice")

    def wants(self, trial: Trial) -> bool:
        """Whether `trial` belongs in the export."""
        if trial.status == "superseded" and not self.include_superseded:
            return False
        return self.tasks is None or trial.task in self.tasks


# ------------------------------------------------------------------------------ per file


def session_paths(study_dir: str | os.PathLike[str]) -> list[Path]:
    """The session files of a study folder (``<code>/session-*.h5``), sorted.

    Files are not opened here: each is read once, by :func:`session_rows`, which reports the
    unreadable ones.

    Raises
    ------
    ExportError
        If `study_dir` does not exist, is not a folder, or holds no session file.
    """
    folder = Path(study_dir)
    if not folder.exists():
        raise ExportError(f"{folder}: no such study folder")
    if not folder.is_dir():
        raise ExportError(f"{folder}: not a folder (a study is a folder of "
                          "<code>/session-*.h5 files)")
    paths = sorted(p for p in folder.glob(SESSION_GLOB) if p.is_file())
    if not paths:
        raise ExportError(f"{folder}: no session files (expected <code>/session-*.h5)")
    return paths


def session_rows(path: str | os.PathLike[str], options: ExportOptions) -> list[dict[str, Any]]:
    """The export rows of one session file (pure: reads the file, never writes it).

    Features cached in the file (its compact feature rows, as every summary reader reads
    them: :func:`load_with_cache`) are reused when they were computed by this
    ``ANALYSIS_VERSION`` for the trial's task (and ``options.recompute`` is false);
    otherwise they are computed with :func:`~kinewrite.analysis.features.extract_features`,
    as the session writer does. A trial that cannot be analyzed gives a row with NaN
    features and its reason in ``analysis_error``.

    Parameters
    ----------
    path : path-like
        A session file.
    options : ExportOptions

    Returns
    -------
    list of dict
        One row per exported trial, in trial order, keys as :func:`export_columns`.

    Raises
    ------
    InputError
        One line naming the file, if it cannot be read as a session, or is damaged or
        misplaced (:func:`check_session_file`, :func:`check_trial`, :func:`check_channels`).
        Anything else a hostile file makes the reader or the analysis raise (``TypeError``,
        ``MemoryError``, ...) propagates: :func:`collect_rows` turns it into the file's
        problem line (:func:`file_problem`).
    """
    session = load_with_cache(path)
    check_session_file(session.path, session.patient_code, session.session_id, session.created)
    for trial in session.trials:
        check_trial(session.path, trial.name, trial.task, trial.status)
        check_channels(session.path, trial.name, trial.channels)
    base = _session_part(session, options)
    rows = []
    for trial in session.trials:
        if options.wants(trial):
            part = _trial_part(session, trial, options.recompute)
            features = None if part["analysis_error"] else {
                name: part[name] for name in feature_names(trial.task)}
            rows.append({**base, **part, **study_part(session, trial, features)})
    if rows and session.recovery:  # not a column: the CLI prints it as the file's note
        rows[0]["_recovery"] = session.recovery
    return rows


def load_with_cache(path: str | os.PathLike[str]) -> Session:
    """:func:`~kinewrite.storage.session.load_session` of a file that is not truncated.

    Each trial's ``features`` are the cache as every reader reads it: the compact row
    ``/trials/NNN/features/values`` (:func:`~kinewrite.storage.session.read_feature_row`);
    the per-feature attributes count only in a file written before the compact row existed,
    so a file whose attributes were altered to disagree with its row gives the row's numbers
    in every reader (export, analyze, review, progress, report).

    Raises
    ------
    InputError
        One line naming the file, as :func:`load_session`.
    """
    _refuse_truncated(path)
    return load_session(path)


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


def _refuse_truncated(path: str | os.PathLike[str]) -> None:
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
            raise InputError(f"{path}: truncated session file ({_first(exc)})") from None
    except Exception:
        pass  # anything else: load_session gives the one-line error


def _session_part(session: Session, options: ExportOptions) -> dict[str, Any]:
    relative = os.path.relpath(os.path.abspath(session.path), os.path.abspath(options.study_dir))
    part: dict[str, Any] = {
        "patient_code": session.patient_code,
        "session_id": session.session_id,
        "session_date": session.created[:10],
        "session_created": session.created,
        "session_file": Path(relative).as_posix(),
    }
    for name in options.metadata:
        part[name] = session.metadata.get(name)
    return part


def _trial_part(session: Session, trial: Trial, recompute: bool) -> dict[str, Any]:
    features, error = _features(trial, recompute)
    part: dict[str, Any] = {
        "trial": int(trial.name), "task": trial.task, "protocol_task": trial.protocol_task,
        "trial_status": trial.status,
        "n_samples": trial.n_samples, "analysis_version": ANALYSIS_VERSION,
        "analysis_error": error,
    }
    for name in feature_names():
        part[name] = float(features.get(name, math.nan))
    return part


def _features(trial: Trial, recompute: bool) -> tuple[dict[str, float], str | None]:
    """The trial's features (cached when valid) and the analysis error, if any."""
    cached = trial.features
    if (not recompute and cached is not None and trial.features_version == ANALYSIS_VERSION
            and set(cached) == set(feature_names(trial.task))):
        return cached, None  # same analysis version, computed for this task
    try:
        recording = trial.recording
        if recording is None:
            return {}, "trial holds no sample"
        guide = trial_guide_mm(trial.attrs, trial.calibration)
        return extract_features(recording, task=trial.task, guide_xy_mm=guide), None
    except (RecordingError, ValueError) as exc:  # the documented "cannot analyze" errors
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, text[:200]


#: One file's rows, or its one-line problem.
FileResult = tuple[list[dict[str, Any]], str | None]
#: Most session files in one task of a worker.
MAX_BATCH = 10


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


def _rows_or_problem(path: str, options: ExportOptions) -> FileResult:
    """:func:`session_rows`, with a file that fails in any way turned into its one-line
    problem (the batch goes on; a KeyboardInterrupt still stops it)."""
    try:
        return session_rows(path, options), None
    except Exception as exc:
        return [], file_problem(path, exc)


def _batch_rows(paths: list[str], options: ExportOptions) -> list[FileResult]:
    """The task a worker runs, local or Dask: :func:`_rows_or_problem` of a few files."""
    return [_rows_or_problem(path, options) for path in paths]


def _isolated_rows_or_problem(
    path: str, options: ExportOptions, timeout_s: float,
    rows_of: Callable[..., list[dict[str, Any]]] | None = None,
) -> FileResult:
    """:func:`session_rows` (or `rows_of`, same signature) of one file in a child process
    killed after `timeout_s` (:func:`~kinewrite.storage.isolated.load_isolated`): a file
    that hangs or crashes the HDF5 library becomes its one-line problem."""
    from .isolated import load_isolated

    reader = functools.partial(rows_of or session_rows, options=options)
    try:
        return load_isolated(path, timeout_s, reader=reader), None
    except InputError as exc:
        return [], str(exc).splitlines()[0]


# ------------------------------------------------------------------------------ executors

#: Called with the number of session files done, as they finish (a few at a time).
ProgressCallback = Callable[[int], None]


def collect_rows(
    paths: Sequence[str | os.PathLike[str]],
    options: ExportOptions,
    *,
    workers: int | None = None,
    client: Any = None,
    on_done: ProgressCallback | None = None,
    isolate_timeout_s: float | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of every session file, sorted; and the files that could not be read.

    Parameters
    ----------
    paths : sequence of path-like
        Session files.
    options : ExportOptions
    workers : int, optional
        Local worker processes (default: the CPUs this process may use). With 1, or a single
        file, everything runs in this process. Ignored when `client` is given.
    client : distributed.Client, optional
        Run on this Dask cluster instead: each worker reads its files itself, so the paths
        must be valid on the workers (a shared filesystem, mounted at the same path).

    Notes
    -----
    Either way the work is the same: tasks of a few consecutive files (``_batch_rows``,
    :func:`session_rows` per file), about 4 per worker and at most :data:`MAX_BATCH` files
    each; the rows are then sorted, so the result does not depend on where or in which
    order the tasks ran.
    on_done : callable, optional
        Progress callback, called with the number of files just done.
    isolate_timeout_s : float, optional
        Read every file in a child process of its own, killed after this many seconds
        (files from an untrusted source: a file that hangs or crashes the HDF5 library
        becomes one problem line, the export goes on). Up to `workers` children run at
        once; not with `client`.

    Returns
    -------
    rows : list of dict
        Sorted by patient code, session creation time, session id and trial.
    problems : list of str
        One line per unreadable file, in the order of `paths`.

    Raises
    ------
    ExportError
        If the Dask workers cannot run kinewrite or run another analysis version.
    """
    names = [os.path.abspath(p) for p in paths]
    if isolate_timeout_s is not None:
        if client is not None:
            raise ExportError("isolated reading runs on this machine; it does not combine "
                              "with a Dask scheduler")
        if not isolate_timeout_s > 0:
            raise ExportError(f"the isolation timeout must be > 0 s, got {isolate_timeout_s}")
        workers = max(1, min(workers or default_workers(), len(names)))
        batches = [[name] for name in names]
        done = _run_isolated(names, options, workers, isolate_timeout_s)
    elif client is not None:
        batches = _batches(names, _dask_slots(client))
        done = _run_dask(client, batches, options)
    else:
        workers = max(1, min(workers or default_workers(), len(names)))
        batches = _batches(names, workers)
        done = _run_local(batches, options, workers)
    results: list[list[FileResult]] = [[] for _ in batches]
    for i, batch_results in done:
        results[i] = batch_results
        if on_done is not None:
            on_done(len(batch_results))
    flat = [result for batch_results in results for result in batch_results]
    rows = [row for file_rows, _ in flat for row in file_rows]
    problems = [_hint(problem, client) for _, problem in flat if problem]
    _check_versions(rows)
    rows.sort(key=_row_key)
    return rows, problems


def default_workers() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def _batches(paths: list[str], slots: int) -> list[list[str]]:
    """Consecutive groups of files, one task each: about 4 tasks per worker slot, at most
    :data:`MAX_BATCH` files per task (fewer, larger tasks cost less scheduling and fewer
    round trips; enough of them keep every worker busy to the end)."""
    size = max(1, min(MAX_BATCH, len(paths) // (4 * max(slots, 1))))
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def _row_key(row: dict[str, Any]) -> tuple:
    return (row["patient_code"], row["session_created"], row["session_id"], row["trial"])


def _hint(problem: str, client: Any) -> str:
    if client is not None and problem.endswith("no such session file"):
        return (f"{problem} on a Dask worker (the study must be on a filesystem the workers "
                "share, at the same path)")
    return problem


def _check_versions(rows: list[dict[str, Any]]) -> None:
    versions = {row["analysis_version"] for row in rows}
    if versions - {ANALYSIS_VERSION}:
        raise ExportError(f"workers compute analysis version {', '.join(sorted(versions))}, "
                          f"this kinewrite {ANALYSIS_VERSION}: install the same kinewrite "
                          "everywhere")


def _run_local(
    batches: list[list[str]], options: ExportOptions, workers: int
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, results) per batch, as they finish: in this process, or a process pool."""
    if workers == 1:
        for i, batch in enumerate(batches):
            yield i, _batch_rows(batch, options)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_worker_start)
    try:
        futures = {pool.submit(_batch_rows, batch, options): i
                   for i, batch in enumerate(batches)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_isolated(
    names: list[str], options: ExportOptions, workers: int, timeout_s: float
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, [result]) per file, as they finish: each file read in a child process of its
    own; `workers` threads here each wait on one child at a time."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_isolated_rows_or_problem, name, options, timeout_s): i
                   for i, name in enumerate(names)}
        try:
            for future in as_completed(futures):
                yield futures[future], [future.result()]
        finally:
            for future in futures:
                future.cancel()


def _worker_start() -> None:
    """Initializer of a pool worker: tune its allocator, and end it when the export that
    started it dies. A SIGKILL or SIGTERM of ``kinewrite export`` otherwise leaves its
    workers (children of the fork-server, not of the export) waiting for work forever.

    The parent's sentinel (a pipe the parent holds open) becomes readable when the parent
    is gone, even while it lingers as a zombie."""
    tune_allocator()
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child (called directly)
        return
    import threading
    from multiprocessing.connection import wait

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)  # no cleanup to run: the result would go nowhere

    threading.Thread(target=watch, name="kinewrite-parent-watch", daemon=True).start()


def _mp_context() -> multiprocessing.context.BaseContext:
    """A fork-server where the OS has one (safe with threads and open HDF5 state), else spawn.

    The fork-server imports this module once, so each worker starts without re-importing
    numpy, scipy and h5py.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _run_dask(
    client: Any, batches: list[list[str]], options: ExportOptions
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, results) per batch, as they finish, from a Dask cluster."""
    distributed = require_distributed()
    futures = client.map(_batch_rows, batches, options=options, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    finished = distributed.as_completed(futures, with_results=True, loop=client.loop)
    try:
        while True:
            try:
                future, results = next(finished)
            except StopIteration:
                return
            except ImportError as exc:
                raise ExportError(f"a Dask worker cannot run kinewrite ({exc}); install "
                                  "kinewrite on every worker") from None
            yield index[future.key], results
    finally:
        client.cancel(futures)


def _dask_slots(client: Any) -> int:
    """Threads of the cluster's workers (at least 1)."""
    workers = client.scheduler_info().get("workers", {})
    return max(sum(int(w.get("nthreads", 1)) for w in workers.values()), 1)


# -------------------------------------------------------------------- optional packages


def require_pyarrow() -> None:
    """Raise a one-line :class:`ExportError` if Parquet output is unavailable."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ExportError(f"Parquet output needs pyarrow: {EXTRA_PARQUET}") from None


def require_distributed() -> Any:
    """The ``distributed`` module, or a one-line :class:`ExportError` if it is missing."""
    try:
        import distributed
    except ImportError:
        raise ExportError(f"--scheduler needs dask.distributed: {EXTRA_DASK}") from None
    return distributed


def connect_scheduler(address: str, timeout_s: float = 5.0) -> Any:
    """A ``distributed.Client`` connected to the scheduler at `address`, with a worker.

    Parameters
    ----------
    address : str
        ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp), ``tls://...`` or another protocol
        Dask knows.
    timeout_s : float, default 5
        Connection timeout, and the longest wait for a first worker.

    Raises
    ------
    ExportError
        One line, if the scheduler cannot be reached or has no worker.
    """
    distributed = require_distributed()
    if "://" not in address:
        address = f"tcp://{address}"
    _probe(address, timeout_s)
    try:
        client = distributed.Client(address, timeout=timeout_s, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address ...
        raise ExportError(f"cannot connect to Dask scheduler {address}: {_first(exc)}") from None
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except Exception:
        client.close()
        raise ExportError(f"Dask scheduler {address} has no worker "
                          f"(waited {timeout_s:g} s)") from None
    return client


def _probe(address: str, timeout_s: float) -> None:
    """Fail fast and cleanly before ``Client`` is built.

    A refused port or an unknown host fails at once (Dask would retry until its timeout); a
    port where something else listens (the dashboard, say) fails the Dask handshake, here
    rather than inside ``Client``, which leaves a half-built client behind.
    """
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ExportError(f"bad Dask scheduler address {address}: {exc}") from None
    if not host or port is None:
        raise ExportError(f"bad Dask scheduler address {address}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else _first(exc)
        raise ExportError(f"cannot connect to Dask scheduler {address}: {reason}") from None
    if parts.scheme == "tcp":  # tls needs the cluster's security settings: Client checks it
        _handshake(address, timeout_s)


def _handshake(address: str, timeout_s: float) -> None:
    """Ask the scheduler for its identity (in a thread: callers may run an event loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    async def identity() -> None:
        comm = await connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            await comm.read()
        finally:
            comm.abort()

    def run() -> None:
        asyncio.run(asyncio.wait_for(identity(), timeout_s))

    with ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(run).result()
        except TimeoutError:
            raise ExportError(f"cannot connect to Dask scheduler {address}: no Dask answer "
                              f"within {timeout_s:g} s (the scheduler's port, not the "
                              "dashboard's?)") from None
        except Exception as exc:
            raise ExportError(f"cannot connect to Dask scheduler {address}: the server there "
                              f"does not speak the Dask protocol ({_first(exc)})") from None


def _first(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# --------------------------------------------------------------------------------- output


def output_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"parquet"`` from the file name's extension.

    Raises
    ------
    ExportError
        For any other extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{path}: output must end in .csv or .parquet")
    return FORMATS[suffix]


def rows_to_frame(rows: Sequence[dict[str, Any]], metadata: Sequence[str] = ()) -> pd.DataFrame:
    """The export table: columns of :func:`export_columns`, text as strings, typed numbers."""
    columns = export_columns(metadata)
    rows = [dict(row) for row in rows]
    fill_treatment_days(rows)  # needs every row of a patient: done here, not per file
    frame = pd.DataFrame.from_records(rows, columns=columns)
    features = set(feature_names())
    types = {c: "int64" if c in _INT_COLUMNS else "float64" if c in features else
             STUDY_TYPES.get(c, "string") for c in columns}
    return frame.astype(types)


def escape_formula(text: str) -> str:
    """Prefix `text` with ``'`` if a spreadsheet would read it as a formula (OWASP).

    Examples
    --------
    >>> escape_formula("-2+3"), escape_formula("@SUM(A1)"), escape_formula("WC-017")
    ("'-2+3", "'@SUM(A1)", 'WC-017')
    """
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(escape_formula, na_action="ignore")
    return out


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write `frame` as CSV (formula-escaped) or Parquet, atomically.

    The table goes to a temporary file in the same folder, which then replaces `path`
    (:func:`os.replace`): a reader never sees half a table, and a failure leaves any earlier
    file as it was.
    """
    path = Path(path)
    kind = output_format(path)
    if kind == "parquet":
        require_pyarrow()
    with atomic_output(path) as tmp:  # unique O_EXCL temporary name, 0600, fsync, rename
        if kind == "csv":
            _csv_safe(frame).to_csv(tmp, index=False, na_rep="", lineterminator="\r\n",
                                    encoding="utf-8")
        else:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
