"""Export a study as one tidy table: one row per trial, one column per variable.

A package above storage and analysis: it reads session files (:mod:`kinewrite.storage`),
computes features where the cache does not serve (:mod:`kinewrite.analysis`) and writes
tables. Never imports Qt. Its rooms: :mod:`~kinewrite.export.options` (what to export),
:mod:`~kinewrite.export.columns` and :mod:`~kinewrite.export.study_columns` (what a row
holds), :mod:`~kinewrite.export.checks` (what a file must be), :mod:`~kinewrite.export.rows`
(the rows of one file), :mod:`~kinewrite.export.executors` and
:mod:`~kinewrite.export.dask_cluster` (where rows are computed),
:mod:`~kinewrite.export.writers` (CSV and Parquet), :mod:`~kinewrite.export.strokes` (the
stroke table) and :mod:`~kinewrite.export.bids` (a BIDS motion dataset).

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
    Session metadata of :data:`~kinewrite.storage.schema.SESSION_FIELDS` named with
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

Study columns (:mod:`kinewrite.export.study_columns`): ``input_kind``, ``check_status``,
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
read by :func:`~kinewrite.storage.feature_row.read_feature_row` as the progress view and
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

from .checks import check_channels, check_session_file, check_trial, file_problem
from .columns import SESSION_COLUMNS, TRIAL_COLUMNS, column_dictionary, export_columns
from .dask_cluster import connect_scheduler, require_distributed
from .executors import ProgressCallback, collect_rows, default_workers
from .options import ExportError, ExportOptions
from .rows import load_with_cache, session_paths, session_rows
from .writers import (
    FORMULA_PREFIXES,
    escape_formula,
    output_format,
    require_pyarrow,
    rows_to_frame,
    write_table,
)

__all__ = [
    "FORMULA_PREFIXES",
    "SESSION_COLUMNS",
    "TRIAL_COLUMNS",
    "ExportError",
    "ExportOptions",
    "ProgressCallback",
    "check_channels",
    "check_session_file",
    "check_trial",
    "collect_rows",
    "column_dictionary",
    "connect_scheduler",
    "default_workers",
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
