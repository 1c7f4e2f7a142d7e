"""The export rows of one session file (:func:`session_rows`, pure: reads, never writes)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..analysis.features import ANALYSIS_VERSION, extract_features, feature_names
from ..model import RecordingError
from ..storage.calibration import trial_guide_mm
from ..storage.reader import Session, Trial, load_session
from ..storage.study import SESSION_GLOB
from .checks import check_channels, check_session_file, check_trial, refuse_truncated
from .options import ExportError, ExportOptions
from .study_columns import study_part
from .warm import read_warm

__all__ = ["load_with_cache", "session_part", "session_paths", "session_rows", "trial_features",
           "trial_part"]


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
    features and its reason in ``analysis_error``. A plain file whose caches all serve is
    read without its samples (:func:`~kinewrite.export.warm.read_warm`, the same session
    but for the channels the rows do not use); any other through :func:`load_with_cache`.

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
    session = read_warm(path, options)  # a plain file with valid caches: no sample but t, state
    if session is None:
        session = load_with_cache(path)
    check_session_file(session.path, session.patient_code, session.session_id, session.created)
    for trial in session.trials:
        check_trial(session.path, trial.name, trial.task, trial.status)
        check_channels(session.path, trial.name, trial.channels)
    base = session_part(session, options)
    rows = []
    for trial in session.trials:
        if options.wants(trial):
            part = trial_part(session, trial, options.recompute)
            features = None if part["analysis_error"] else {
                name: part[name] for name in feature_names(trial.task)}
            rows.append({**base, **part, **study_part(session, trial, features)})
    if rows and session.recovery:  # not a column: the CLI prints it as the file's note
        rows[0]["_recovery"] = session.recovery
    return rows


def load_with_cache(path: str | os.PathLike[str]) -> Session:
    """:func:`~kinewrite.storage.reader.load_session` of a file that is not truncated.

    Each trial's ``features`` are the cache as every reader reads it: the compact row
    ``/trials/NNN/features/values`` (:func:`~kinewrite.storage.feature_row.read_feature_row`);
    the per-feature attributes count only in a file written before the compact row existed,
    so a file whose attributes were altered to disagree with its row gives the row's numbers
    in every reader (export, analyze, review, progress, report).

    Raises
    ------
    InputError
        One line naming the file, as :func:`load_session`.
    """
    refuse_truncated(path)
    return load_session(path)


def session_part(session: Session, options: ExportOptions) -> dict[str, Any]:
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


def trial_part(session: Session, trial: Trial, recompute: bool) -> dict[str, Any]:
    features, error = trial_features(trial, recompute)
    part: dict[str, Any] = {
        "trial": int(trial.name), "task": trial.task, "protocol_task": trial.protocol_task,
        "trial_status": trial.status,
        "n_samples": trial.n_samples, "analysis_version": ANALYSIS_VERSION,
        "analysis_error": error,
    }
    for name in feature_names():
        part[name] = float(features.get(name, math.nan))
    return part


def trial_features(trial: Trial, recompute: bool) -> tuple[dict[str, float], str | None]:
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
