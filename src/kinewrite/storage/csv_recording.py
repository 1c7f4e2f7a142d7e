"""Moved to :mod:`kinewrite.formats.csv` (issue 16): re-exported here for the old path. The
public API is ``kinewrite.read_csv_recording`` and ``kinewrite.write_csv_recording``."""

from ..errors import InputError
from ..formats.csv import (
    MAX_BYTES,
    MAX_EXACT,
    OPTIONAL,
    REQUIRED,
    parse_csv_recording,
    read_csv_recording,
    write_csv_recording,
)

__all__ = [
    "MAX_BYTES",
    "MAX_EXACT",
    "OPTIONAL",
    "REQUIRED",
    "InputError",
    "parse_csv_recording",
    "read_csv_recording",
    "write_csv_recording",
]
