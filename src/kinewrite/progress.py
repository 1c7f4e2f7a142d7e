"""A patient's progress across sessions, as tables (no Qt): the model of the progress view and
the report.

One row per session and *protocol task*, holding the features of **the last complete trial of
that protocol task in the session** (a redo supersedes the trial it replaces; aborted and
superseded trials are never used). We take one trial rather than the mean of repeated trials
so that every plotted point is one row of ``kinewrite export``, number for number, and can be
traced to its trial (column ``trial``); ``n_trials`` says how many complete trials of the
protocol task the session held (their spread is the measurement noise,
:mod:`kinewrite.analysis.measurement_error`).

A protocol task (column ``protocol_task``, :func:`~kinewrite.storage.naming.protocol_task_of`)
is a protocol step: the standard protocol traces a spiral on a guide (``spiral_guided``) and
draws one free (``spiral_free``), both of analysis task ``spiral``. They are distinct series
here, in the report and in the export; a session from before the step was stored, or an
imported trial, is keyed by its task (a spiral whose file says whether its guide was shown
gets the standard key).

Sessions are ordered, and placed on the time axis, by their creation time (``created``, ISO
8601 UTC, the session's date). Treatment events and clinical scale entries keep their own
dates (``YYYY-MM-DD``) and come as their own tables.

The features are those cached in the session files (read without any sample,
:func:`~kinewrite.storage.study.read_session_summary`). Only a trial whose cache is missing or
from another analysis version is analyzed again, exactly as ``kinewrite export`` does
(:func:`~kinewrite.export.session_rows`); a study recorded with this version never is.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis.features import ANALYSIS_VERSION, FEATURES, feature_names
from .analysis.measurement_error import Noise, change_verdict, measurement_noise
from .clinical.events import TreatmentEvent
from .errors import InputError
from .export import check_session_file, check_trial, file_problem
from .model import TASKS
from .storage.study import SessionSummary, TrialSummary, study_summaries

__all__ = [
    "EVENT_NAMES",
    "TASK_NAMES",
    "Progress",
    "ProgressError",
    "event_label",
    "load_progress",
    "progress_table",
    "task_label",
]

#: Plain names of the treatment event kinds.
EVENT_NAMES = {"botulinum_toxin": "Botulinum toxin", "pen_grip_training": "Pen-grip training",
               "other": "Other treatment"}

#: Plain names of the analysis tasks.
TASK_NAMES = {"spiral": "Spiral", "loops": "Loops (llll)", "sentence": "Test sentence",
              "circles": "Circles", "lines": "Straight lines", "free": "Free writing"}
#: Plain names of the standard protocol's steps that share a task.
_STEP_NAMES = {"spiral_guided": "Spiral on the guide", "spiral_free": "Spiral without a guide"}


def task_label(key: str, task: str | None = None) -> str:
    """Plain name of a protocol task.

    Examples
    --------
    >>> task_label("sentence"), task_label("spiral_free", "spiral")
    ('Test sentence', 'Spiral without a guide')
    >>> task_label("spiral_big", "spiral")
    'Spiral (spiral_big)'
    """
    if key in _STEP_NAMES:
        return _STEP_NAMES[key]
    if key in TASK_NAMES:
        return TASK_NAMES[key]
    return f"{TASK_NAMES.get(task or '', task or 'Task')} ({key})"


#: Columns of the progress table before the features.
PROGRESS_COLUMNS: tuple[str, ...] = (
    "patient_code", "session_id", "session_number", "session_date", "session_created",
    "session_time", "session_file", "task", "protocol_task", "trial", "n_trials",
    "trial_status", "input",
    "n_samples", "analysis_version", "analysis_error",
)
_UNITS = {f.name: f.unit for f in FEATURES}


class ProgressError(InputError):
    """No progress to show (unknown patient, empty study); the message is one line.

    ``problems`` holds the one-line problems of the patient's session files that were left
    out, if any (all of them, when none could be read)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


def event_label(event: TreatmentEvent) -> str:
    """Plain label of a treatment event, e.g. ``"Botulinum toxin 80 U onabotulinumtoxinA"``.

    A toxin's dose is given with its product (units of different products are not
    interchangeable), shortened to its name without the brand in parentheses.

    Examples
    --------
    >>> event_label(TreatmentEvent("botulinum_toxin", "2025-10-13", ["FDS"], 80.0, "",
    ...                            product="onabotulinumtoxinA (Botox)"))
    'Botulinum toxin 80 U onabotulinumtoxinA'
    >>> event_label(TreatmentEvent("botulinum_toxin", "2025-10-13", ["FDS"], 80.0, ""))
    'Botulinum toxin 80 U'
    >>> event_label(TreatmentEvent("pen_grip_training", "2025-12-08", [], None, ""))
    'Pen-grip training'
    """
    name = EVENT_NAMES.get(event.kind, event.kind)
    if event.dose_units is not None and math.isfinite(event.dose_units):
        name += f" {event.dose_units:g} U"
    product = event.product.split(" (")[0].strip() or event.product.strip()
    if product:
        name += f" {product}"
    return name


def _muscles_text(event: TreatmentEvent) -> str:
    """``"flexor carpi radialis 40 U, pronator teres"``: each muscle with its dose if known."""
    parts = []
    for m in event.muscles:
        dose = event.doses_units.get(m)
        parts.append(m if dose is None else f"{m} {dose:g} U")
    return ", ".join(parts)


@dataclass
class Progress:
    """A patient's progress: the session x task table, events and clinical scales.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per session and task (columns :data:`PROGRESS_COLUMNS`, then every feature
        of the registry with its unit suffix), sorted by session time, then task order.
    events : pandas.DataFrame
        Treatment events: ``date`` (Timestamp), ``date_text``, ``kind``, ``label``,
        ``dose_units`` (total, U), ``product``, ``muscles`` (each with its dose in U where
        known), ``notes``, ``session_id``; sorted by date.
    clinical : pandas.DataFrame
        Clinical scale entries: ``date``, ``date_text``, ``scale`` (ADDS %, WCRS points),
        ``score``, ``rater``, ``items``, ``session_id``; sorted by date.
    """

    study_dir: Path
    patient_code: str
    table: pd.DataFrame
    events: pd.DataFrame
    clinical: pd.DataFrame
    sessions: list[SessionSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    recomputed: int = 0
    #: Every complete trial (not only the last of each visit): ``session_number``,
    #: ``session_id``, ``protocol_task``, ``task``, ``trial`` and the cached features (NaN
    #: where not cached by this version); the repeats that measure the noise.
    trials: pd.DataFrame | None = None
    _noise: dict[str, dict[str, Noise]] = field(default_factory=dict, repr=False)

    @property
    def simulated(self) -> bool:
        """True if any trial of the patient was simulated (no person wrote it)."""
        return any(s.simulated for s in self.sessions)

    @property
    def tasks(self) -> list[str]:
        """Protocol tasks with at least one row (e.g. ``"sentence"``, ``"spiral_guided"``,
        ``"spiral_free"``), in the standard order of their analysis task, then in the order
        they were first recorded (the protocol's order)."""
        pairs = self.table[["task", "protocol_task"]].drop_duplicates()  # first appearance
        order = {t: i for i, t in enumerate(TASKS)}
        keys = sorted(zip(pairs["task"], pairs["protocol_task"], strict=True),
                      key=lambda tk: order.get(tk[0], len(order)))  # stable
        return [k for _, k in keys]

    def task_of(self, key: str) -> str:
        """The analysis task of protocol task `key` (``"spiral"`` for ``"spiral_free"``)."""
        match = self.table.loc[self.table["protocol_task"] == key, "task"]
        if match.empty:
            raise KeyError(f"no protocol task {key!r}")
        return str(match.iloc[0])

    def rows(self, task: str) -> pd.DataFrame:
        """The rows of one protocol task, oldest session first."""
        return self.table[self.table["protocol_task"] == task]

    def series(self, task: str, feature: str) -> tuple[np.ndarray, np.ndarray]:
        """Session times (numpy datetime64[ms], UTC) and values of `feature` for protocol
        task `task` (a key of :attr:`tasks`).

        Sessions where the feature is NaN are kept (a gap in the line), so the result has
        one entry per session that recorded the task.
        """
        if feature not in self.table:
            raise KeyError(f"unknown feature {feature!r}")
        mask = (self.table["protocol_task"] == task).to_numpy()  # one column, not a copy
        return (self.table["session_time"].to_numpy(dtype="datetime64[ms]")[mask],
                self.table[feature].to_numpy(dtype=np.float64)[mask])

    def last_session(self) -> SessionSummary | None:
        return self.sessions[-1] if self.sessions else None

    def baseline_sessions(self) -> list[str]:
        """Ids of the sessions before the first treatment event: an untreated patient seen
        twice or more, whose visits differ by noise alone. Empty without a recorded treatment
        (visits of a patient under no known treatment may differ by real change)."""
        dates = self.events["date"].dropna()
        times = self.table.drop_duplicates("session_id")[["session_id", "session_time"]]
        if dates.empty:
            return []
        return list(times.loc[times["session_time"] < dates.min(), "session_id"])

    def noise(self, task: str, feature: str) -> Noise:
        """The measurement noise of `feature` for protocol task `task`
        (:func:`~kinewrite.analysis.measurement_error.measurement_noise`): from the repeated
        complete trials of each visit, and from the visits before the first treatment when
        there are two or more; NaN (``known`` False) without repeats."""
        if task not in self._noise:
            names = feature_names()
            trials = self.trials if self.trials is not None else self.table.iloc[:0]
            rows = trials[trials["protocol_task"] == task]
            base_ids = set(self.baseline_sessions())
            base = self.rows(task)
            base = base[base["session_id"].isin(base_ids)]
            noise = measurement_noise(rows[names].to_numpy(dtype=np.float64),
                                      rows["session_number"].to_numpy(),
                                      base[names].to_numpy(dtype=np.float64)
                                      if len(base) >= 2 else None)
            self._noise[task] = dict(zip(names, noise, strict=True))
        return self._noise[task][feature]

    def beyond_noise(self, task: str, feature: str) -> np.ndarray:
        """Per visit of `task` (as :meth:`series`): True where the value differs from the
        previous visit's by more than the MDC95 (a real change); False for the first visit,
        a gap, or unknown noise."""
        values = self.series(task, feature)[1]
        mdc = self.noise(task, feature).mdc95
        out = np.zeros(values.size, dtype=bool)
        if values.size > 1 and math.isfinite(mdc):
            with np.errstate(invalid="ignore"):
                out[1:] = np.abs(np.diff(values)) > mdc  # NaN compares False
        return out

    def recorded_with_mouse(self, task: str | None = None) -> np.ndarray:
        """Per visit of `task` (as :meth:`series`): True where its trial was recorded with
        a mouse (trial input ``"mouse"``: no pressure, the timing of a hand on a mouse, not
        comparable with tablet visits). Without `task`: the sorted session dates
        (``"YYYY-MM-DD"``, numpy str array) of the visits with any mouse-recorded trial."""
        mouse = (self.table["input"].astype(str) == "mouse").to_numpy()
        if task is None:
            return np.array(sorted({str(d) for d in self.table["session_date"][mouse]}),
                            dtype=str)
        return mouse[(self.table["protocol_task"] == task).to_numpy()]

    def change(self, task: str, feature: str, before: int = 0, after: int = -1) -> str:
        """``"beyond measurement noise"``, ``"within noise"`` or ``"noise not known"`` for
        the change of `feature` between two visits of `task` (indices into
        :meth:`series`; default first and last)."""
        values = self.series(task, feature)[1]
        if values.size < 2:
            return change_verdict(math.nan, math.nan, math.nan)
        return change_verdict(float(values[before]), float(values[after]),
                              self.noise(task, feature).mdc95)


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
    table["session_time"] = _timestamps(table["session_created"])  # one vectorized parse
    order = {t: i for i, t in enumerate(TASKS)}
    table = (table.assign(_o=table["task"].map(order))
             .sort_values(["session_time", "session_id", "_o", "trial"], kind="stable")
             .drop(columns="_o").reset_index(drop=True))
    trials = pd.DataFrame(repeats, columns=[*_REPEAT_COLUMNS, *feature_names()])
    return Progress(study_dir=study_dir, patient_code=patient, table=table,
                    events=_events_frame(sessions), clinical=_clinical_frame(sessions),
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
    from .export import ExportOptions, session_rows

    exported = {r["trial"]: r for r in session_rows(session.path, ExportOptions(str(study_dir)))}
    for row in rows:
        new = exported.get(row["trial"])
        if new is None:
            continue
        row["analysis_error"] = new["analysis_error"]
        row.update((name, new[name]) for name in feature_names())


def _timestamps(texts: pd.Series) -> pd.Series:
    """ISO 8601 times or dates as naive UTC Timestamps (NaT where unreadable)."""
    parsed = pd.to_datetime(texts, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None)


def _events_frame(sessions: list[SessionSummary]) -> pd.DataFrame:
    rows, seen = [], set()
    for s in sessions:
        for e in s.events:
            key = (e.kind, e.date, e.dose_units, tuple(e.muscles), e.notes, e.product)
            if key in seen:  # the same event entered again in a later session
                continue
            seen.add(key)
            rows.append({"date": None, "date_text": e.date, "kind": e.kind,
                         "label": event_label(e), "dose_units": e.dose_units,
                         "product": e.product, "muscles": _muscles_text(e),
                         "notes": e.notes, "session_id": s.session_id})
    cols = ["date", "date_text", "kind", "label", "dose_units", "product", "muscles", "notes",
            "session_id"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = _timestamps(frame["date_text"])
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def _clinical_frame(sessions: list[SessionSummary]) -> pd.DataFrame:
    rows = []
    for s in sessions:
        for c in s.clinical:
            rows.append({"date": None, "date_text": c.date, "scale": c.scale,
                         "score": c.score, "rater": c.rater, "items": dict(c.items),
                         "session_id": s.session_id})
    cols = ["date", "date_text", "scale", "score", "rater", "items", "session_id"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = _timestamps(frame["date_text"])
    return frame.sort_values(["date", "scale"], kind="stable").reset_index(drop=True)


def feature_unit(name: str) -> str:
    """Unit of a registered feature (``"1"`` for dimensionless)."""
    return _UNITS.get(name, "")
