"""The columns of the trial table, in order, and the column dictionary (name, unit,
description of each column; the full statement is the docstring of :mod:`kinewrite.export`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis.features import FEATURES, feature_names
from .study_columns import STUDY_COLUMNS, STUDY_DESCRIPTIONS

__all__ = ["DESCRIPTIONS", "INT_COLUMNS", "SESSION_COLUMNS", "TRIAL_COLUMNS", "column_dictionary",
           "export_columns"]

#: Columns describing the session, before the requested metadata fields.
SESSION_COLUMNS: tuple[str, ...] = (
    "patient_code", "session_id", "session_date", "session_created", "session_file",
)
#: Columns describing the trial, after the metadata fields and before the features.
TRIAL_COLUMNS: tuple[str, ...] = (
    "trial", "task", "protocol_task", "trial_status", "n_samples", "analysis_version",
    "analysis_error",
)
INT_COLUMNS = ("trial", "n_samples")

DESCRIPTIONS = {
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
        unit, text = (DESCRIPTIONS.get(name) or STUDY_DESCRIPTIONS.get(name)
                      or units.get(name) or ("", "session metadata"))
        rows.append({"column": name, "unit": unit, "description": text})
    return rows

