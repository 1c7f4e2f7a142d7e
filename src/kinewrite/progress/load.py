"""Loading a patient's progress (no Qt): the session x task table, one row per session and
protocol task with the features of its last complete trial, and every complete trial (the
repeats that measure the noise); see :mod:`kinewrite.progress`."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from ..analysis.features import ANALYSIS_VERSION, feature_names
from ..errors import InputError
from ..export import check_session_file, check_trial, file_problem
from ..model import TASKS
from ..storage.study import SessionSummary, TrialSummary, study_summaries
from .events import clinical_frame, events_frame, timestamps
from .model import PROGRESS_COLUMNS, Progress, ProgressError

__all__ = ["load_progress", "progress_table"]


def progress_table(study_dir: str | os.PathLike[str], patient: str,
                   task: str | None = None) -> pd.DataFrame:
    """One row per session x task of `patient`: the features of the last complete trial.

    Parameters
    ----------
    study_dir : path-like
        The study folder.
    patient : str
        The patient's code.
    task : str, optional
        Only this task.

    Returns
    -------
    pandas.DataFrame
        See :class:`Progress` ``table``.

    Raises
    ------
    ProgressError
        Unknown patient or no session with a complete trial (one line).
    """
    return load_progress(study_dir, patient, task).table


def load_progress(study_dir: str | os.PathLike[str], patient: str, task: str | None = None,
                  *, recompute_stale: bool = True, verify: bool = False) -> Progress:
    """Read a patient's sessions once (no sample unless a cache is stale) into a Progress.

    A session file that cannot be read, or is damaged in a way its summary shows (a stored
    patient code, creation time or id other than its folder and name say, a trial of an
    unknown task or status), or that fails in any way when its samples are read, is left out
    with its one-line problem in :attr:`Progress.problems`; the other sessions are shown.

    Parameters
    ----------
    study_dir : path-like
    patient : str
    task : str, optional
        Only rows of this task.
    recompute_stale : bool, default True
        Analyze a trial whose cached features are missing or of another analysis version
        (as ``kinewrite export`` does). With False, such a row keeps NaN features and says
        why in ``analysis_error``.
    verify : bool, default False
        Take every row's numbers from ``kinewrite export``'s own rows of its file
        (:func:`~kinewrite.export.session_rows`: reads the samples, applies every
        check of the export), so that a file the export leaves out is left out here too.
        The report does this (~25 ms a session here); the progress view does not.

    Raises
    ------
    ProgressError
        If the study folder does not exist, the patient has no session, no session could be
        read, or no session holds a complete trial (of `task`).
    """
    study_dir = Path(study_dir)
    if task is not None and task not in TASKS:
        raise ProgressError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    try:
        summaries, problems = study_summaries(study_dir, patient, brief=True)
    except InputError as exc:
        raise ProgressError(str(exc)) from None
    if not summaries and not problems:
        known = sorted(p.name for p in study_dir.iterdir() if p.is_dir()
                       and any(p.glob("session-*.h5")))
        hint = f" (patients: {', '.join(known)})" if known else " (the study has no session)"
        raise ProgressError(f"{study_dir}: no session of patient {patient!r}{hint}")
    rows: list[dict] = []
    repeats: list[dict] = []
    sessions: list[SessionSummary] = []
    recomputed = 0
    for session in summaries:
        try:
            session_rows, stale = _session_rows(study_dir, session, len(sessions) + 1, task,
                                                recompute_stale, verify)
        except Exception as exc:  # one file's failure, whatever it is, is its one line
            problems.append(file_problem(session.path, exc))
            continue
        sessions.append(session)
        rows.extend(session_rows)
        repeats.extend(_repeat_rows(session, len(sessions), task, session_rows))
        recomputed += stale
    if not sessions:
        raise ProgressError(f"{study_dir}: no session of patient {patient!r} could be read "
                            f"({len(problems)} left out)", problems)
    if not rows:
        what = f"of task {task!r} " if task else ""
        raise ProgressError(f"{study_dir}: patient {patient!r} has no complete trial {what}"
                            f"in {len(sessions)} session(s)", problems)
    table = pd.DataFrame(rows, columns=[*PROGRESS_COLUMNS, *feature_names()])
    table["session_time"] = timestamps(table["session_created"])  # one vectorized parse
    order = {t: i for i, t in enumerate(TASKS)}
    table = (table.assign(_o=table["task"].map(order))
             .sort_values(["session_time", "session_id", "_o", "trial"], kind="stable")
             .drop(columns="_o").reset_index(drop=True))
    trials = pd.DataFrame(repeats, columns=[*_REPEAT_COLUMNS, *feature_names()])
    return Progress(study_dir=study_dir, patient_code=patient, table=table,
                    events=events_frame(sessions), clinical=clinical_frame(sessions),
                    sessions=sessions, problems=problems, recomputed=recomputed,
                    trials=trials)


_REPEAT_COLUMNS = ("session_number", "session_id", "protocol_task", "task", "trial")


def _repeat_rows(session: SessionSummary, number: int, task: str | None,
                 chosen: list[dict]) -> list[dict]:
    """Every complete trial of the session with its features: the cached ones where this
    version cached them, the chosen rows' own numbers (recomputed or verified) for the
    trials plotted, NaN otherwise."""
    by_trial = {row["trial"]: row for row in chosen}
    names = feature_names()
    out = []
    for t in session.trials:
        if t.status != "complete" or (task is not None and t.task != task):
            continue
        trial = int(t.name) if t.name.isdigit() else -1
        row = {"session_number": number, "session_id": session.session_id,
               "protocol_task": _key(t), "task": t.task, "trial": trial}
        if trial in by_trial:
            row.update((n, by_trial[trial][n]) for n in names)
        elif t.features is not None and t.features_version == ANALYSIS_VERSION:
            row.update((n, float(t.features.get(n, math.nan))) for n in names)
        else:
            row.update((n, math.nan) for n in names)
        out.append(row)
    return out


def _session_rows(study_dir: Path, session: SessionSummary, number: int, task: str | None,
                  recompute_stale: bool, verify: bool) -> tuple[list[dict], int]:
    """The rows of one session and how many were stale (recomputed if asked); raises if the
    file is damaged (the checks of ``kinewrite export`` its summary allows, then, if rows
    are taken from the export, all of them)."""
    check_session_file(session.path, session.patient_code, session.session_id,
                       session.created)
    for t in session.trials:
        check_trial(session.path, t.name, t.task, t.status)
    rows = [_row(study_dir, session, number, t) for t in _chosen_trials(session, task)]
    stale = [row for row in rows if row["analysis_error"] == _STALE]
    if verify:
        _from_export(study_dir, session, rows)
    elif stale and recompute_stale:
        _from_export(study_dir, session, stale)
    return rows, len(stale) if (verify or recompute_stale) else 0


_STALE = "features not cached by this analysis version"


def _key(t: TrialSummary) -> str:
    return t.protocol_task or t.task


def _chosen_trials(session: SessionSummary, task: str | None) -> list[TrialSummary]:
    """The last complete trial of each protocol task in the session (session order)."""
    last: dict[str, TrialSummary] = {}
    for t in session.trials:
        if t.status == "complete" and (task is None or t.task == task):
            last[_key(t)] = t  # trials are sorted by number: the last one wins
    return list(last.values())


def _row(study_dir: Path, s: SessionSummary, number: int, t: TrialSummary) -> dict:
    usable = sum(1 for x in s.trials if x.status == "complete" and _key(x) == _key(t))
    relative = os.path.relpath(os.path.abspath(s.path), os.path.abspath(study_dir))
    row = {
        "patient_code": s.patient_code, "session_id": s.session_id, "session_number": number,
        "session_date": s.created[:10], "session_created": s.created,
        "session_time": None, "session_file": Path(relative).as_posix(),
        "task": t.task, "protocol_task": _key(t),
        "trial": int(t.name) if t.name.isdigit() else -1, "n_trials": usable,
        "trial_status": t.status, "input": t.input, "n_samples": t.n_samples,
        "analysis_version": ANALYSIS_VERSION, "analysis_error": None,
    }
    cached = t.features
    if (cached is not None and t.features_version == ANALYSIS_VERSION
            and set(cached) == set(feature_names(t.task))):
        row.update((name, float(cached.get(name, math.nan))) for name in feature_names())
    else:  # the same test kinewrite export applies before trusting a cache
        row["analysis_error"] = _STALE
        row.update((name, math.nan) for name in feature_names())
    return row


def _from_export(study_dir: Path, session: SessionSummary, rows: list[dict]) -> None:
    """Fill `rows` from ``kinewrite export``'s own rows of that file (loads samples)."""
    from ..export import ExportOptions, session_rows

    exported = {r["trial"]: r for r in session_rows(session.path, ExportOptions(str(study_dir)))}
    for row in rows:
        new = exported.get(row["trial"])
        if new is None:
            continue
        row["analysis_error"] = new["analysis_error"]
        row.update((name, new[name]) for name in feature_names())


