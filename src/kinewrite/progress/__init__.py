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

The package's modules, one job each: :mod:`~kinewrite.progress.load` reads the sessions into
the table, :mod:`~kinewrite.progress.model` is the :class:`Progress` object and its questions,
:mod:`~kinewrite.progress.events` the dated tables of treatments and scales,
:mod:`~kinewrite.progress.noise` the measurement noise and the changes beyond it, and
:mod:`~kinewrite.progress.labels` the plain names.
"""

from .labels import EVENT_NAMES, TASK_NAMES, event_label, feature_unit, task_label
from .load import load_progress, progress_table
from .model import PROGRESS_COLUMNS, Progress, ProgressError

__all__ = [
    "EVENT_NAMES",
    "PROGRESS_COLUMNS",
    "TASK_NAMES",
    "Progress",
    "ProgressError",
    "event_label",
    "feature_unit",
    "load_progress",
    "progress_table",
    "task_label",
]
