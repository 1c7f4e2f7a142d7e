"""Files: recordings in and out. No Qt here (see docs/architecture.md)."""

from ..errors import InputError
from .csv_recording import read_csv_recording, write_csv_recording

__all__ = ["InputError", "read_csv_recording", "write_csv_recording"]
