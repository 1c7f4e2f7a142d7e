"""``kinewrite export --strokes``: one row per writing stroke of every trial of a study.

Columns: the trial's keys (``patient_code``, ``session_id``, ``session_date``,
``session_file``, ``trial``, ``task``, ``trial_status``, as in the trial table of
:mod:`kinewrite.export`), ``analysis_version``, then the stroke's measures of
:data:`~kinewrite.analysis.stroke_table.STROKE_COLUMNS` (units in the names; ``niv``, ``nca``,
``normalized_jerk``, ``ldlj`` and ``pressure_mean`` are dimensionless, pressure a fraction
of the device range). The strokes are the ones the trial features are computed from, so the
table's aggregates per trial are the trial table's stroke features
(:mod:`kinewrite.analysis.stroke_table`). A trial that cannot be analyzed, or has no stroke,
has no row. Rows are sorted by patient, session creation time, session id, trial, stroke.

The study is only read. Unlike the trial table, the stroke table is all or nothing: a
session file that cannot be read stops it (one line naming the file), nothing is written.
CSV and Parquet are written as the trial table is (:func:`~kinewrite.export.
write_table`: atomic, formula cells escaped in CSV).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.features import ANALYSIS_VERSION
from ..analysis.stroke_table import STROKE_COLUMNS, stroke_table
from ..errors import InputError
from ..model import RecordingError
from .checks import check_channels, check_session_file, check_trial
from .options import ExportError, ExportOptions
from .rows import load_with_cache, session_paths

__all__ = ["KEY_COLUMNS", "session_strokes", "stroke_columns", "study_strokes"]

#: The trial keys of every stroke row.
KEY_COLUMNS: tuple[str, ...] = (
    "patient_code", "session_id", "session_date", "session_created", "session_file", "trial",
    "task", "trial_status", "analysis_version",
)


def stroke_columns() -> list[str]:
    """The columns of the stroke table, in order."""
    return [*KEY_COLUMNS, *STROKE_COLUMNS]


def session_strokes(path: str | os.PathLike[str], options: ExportOptions) -> list[pd.DataFrame]:
    """The stroke rows of one session file, one frame per analyzable trial.

    Raises
    ------
    InputError
        One line naming the file, if it cannot be read or is damaged or misplaced.
    """
    session = load_with_cache(path)
    check_session_file(session.path, session.patient_code, session.session_id, session.created)
    relative = Path(os.path.relpath(os.path.abspath(session.path),
                                    os.path.abspath(options.study_dir))).as_posix()
    frames = []
    for trial in session.trials:
        check_trial(session.path, trial.name, trial.task, trial.status)
        check_channels(session.path, trial.name, trial.channels)
        if not options.wants(trial) or trial.n_samples == 0:
            continue
        nominal = trial.nominal_rate_hz if np.isfinite(trial.nominal_rate_hz) else None
        try:
            recording = trial.recording
            if recording is None:
                continue
            table = stroke_table(recording, trial.task, nominal)
        except (RecordingError, ValueError):
            continue  # the trial table says why (analysis_error)
        frame = pd.DataFrame(table)
        keys = {"patient_code": session.patient_code, "session_id": session.session_id,
                "session_date": session.created[:10], "session_created": session.created,
                "session_file": relative, "trial": int(trial.name), "task": trial.task,
                "trial_status": trial.status, "analysis_version": ANALYSIS_VERSION}
        for i, (name, value) in enumerate(keys.items()):
            frame.insert(i, name, value)
        frames.append(frame)
    return frames


def study_strokes(study_dir: str | os.PathLike[str], tasks: Sequence[str] | None = None,
                  include_superseded: bool = False) -> pd.DataFrame:
    """The stroke table of a study (see the module docstring).

    Raises
    ------
    ExportError
        No study, or a session file that cannot be read (one line naming it).
    """
    options = ExportOptions(study_dir=str(Path(study_dir).absolute()),
                            tasks=tuple(tasks) if tasks else None,
                            include_superseded=include_superseded)
    frames: list[pd.DataFrame] = []
    for path in session_paths(study_dir):
        try:
            frames.extend(session_strokes(path, options))
        except InputError as exc:
            raise ExportError(f"{str(exc).splitlines()[0]}; no stroke table written") from None
    columns = stroke_columns()
    frame = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame({c: [] for c in columns}))[columns]
    types = {c: "string" for c in KEY_COLUMNS}
    types.update({"trial": "int64", "stroke": "int64", "niv": "int64", "nca": "int64"})
    types.update({c: "float64" for c in STROKE_COLUMNS if c not in types})
    frame = frame.astype(types)
    return frame.sort_values(["patient_code", "session_created", "session_id", "trial",
                              "stroke"], ignore_index=True)
