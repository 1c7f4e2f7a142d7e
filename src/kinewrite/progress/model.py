"""The Progress object (no Qt): a patient's session x task table with its events, clinical
scales and the questions the view and the report ask of them (a task's series, its noise, the
verdict on a change, the visits recorded with a mouse)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.measurement_error import Noise, change_verdict
from ..errors import InputError
from ..model import TASKS
from ..storage.study import SessionSummary
from .noise import changes_beyond, feature_noise

__all__ = ["PROGRESS_COLUMNS", "Progress", "ProgressError"]

#: Columns of the progress table before the features.
PROGRESS_COLUMNS: tuple[str, ...] = (
    "patient_code", "session_id", "session_number", "session_date", "session_created",
    "session_time", "session_file", "task", "protocol_task", "trial", "n_trials",
    "trial_status", "input",
    "n_samples", "analysis_version", "analysis_error",
)


class ProgressError(InputError):
    """No progress to show (unknown patient, empty study); the message is one line.

    ``problems`` holds the one-line problems of the patient's session files that were left
    out, if any (all of them, when none could be read)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


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
            trials = self.trials if self.trials is not None else self.table.iloc[:0]
            base = self.rows(task)
            self._noise[task] = feature_noise(
                trials[trials["protocol_task"] == task],
                base[base["session_id"].isin(set(self.baseline_sessions()))])
        return self._noise[task][feature]

    def beyond_noise(self, task: str, feature: str) -> np.ndarray:
        """Per visit of `task` (as :meth:`series`): True where the value differs from the
        previous visit's by more than the MDC95 (a real change); False for the first visit,
        a gap, or unknown noise."""
        return changes_beyond(self.series(task, feature)[1], self.noise(task, feature).mdc95)

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
