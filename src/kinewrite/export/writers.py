"""The export table as a frame (:func:`rows_to_frame`) and as a file: CSV (formula cells
escaped) or Parquet, written atomically (:func:`write_table`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._atomic import atomic_output
from ..analysis.features import feature_names
from .columns import INT_COLUMNS, export_columns
from .options import ExportError
from .study_columns import STUDY_TYPES, fill_treatment_days

__all__ = ["EXTRA_PARQUET", "FORMATS", "FORMULA_PREFIXES", "csv_safe", "escape_formula",
           "output_format", "require_pyarrow", "rows_to_frame", "write_table"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {".csv": "csv", ".parquet": "parquet"}
EXTRA_PARQUET = "pip install 'kinewrite[export]'"
EXTRA_DASK = "pip install 'kinewrite[export]'"


def require_pyarrow() -> None:
    """Raise a one-line :class:`ExportError` if Parquet output is unavailable."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ExportError(f"Parquet output needs pyarrow: {EXTRA_PARQUET}") from None


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
    types = {c: "int64" if c in INT_COLUMNS else "float64" if c in features else
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


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
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
            csv_safe(frame).to_csv(tmp, index=False, na_rep="", lineterminator="\r\n",
                                    encoding="utf-8")
        else:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
