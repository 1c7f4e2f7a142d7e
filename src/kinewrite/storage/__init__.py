"""Files: the session format and the study. No Qt here (see docs/architecture.md).

The CSV recording functions moved to :mod:`kinewrite.formats.csv` (issue 16); they are still
reachable here, loaded on first use so that importing :mod:`kinewrite.storage` does not
import :mod:`kinewrite.formats`.
"""

from typing import Any

from ..errors import InputError

__all__ = ["InputError", "read_csv_recording", "write_csv_recording"]


def __getattr__(name: str) -> Any:
    """``read_csv_recording`` and ``write_csv_recording``, from :mod:`kinewrite.formats.csv`."""
    if name in ("read_csv_recording", "write_csv_recording"):
        from ..formats import csv

        return getattr(csv, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
