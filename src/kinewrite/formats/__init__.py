"""Recordings made by other tools, read into memory and built into sessions (``kinewrite
import``): SVC, kinewrite CSV, InkML, MovAlyzeR HWR and a kinewrite BIDS motion dataset.

The data flow: a reader (:mod:`.svc`, :mod:`.csv`, :mod:`.inkml`, :mod:`.hwr`,
:mod:`.bids_reader`) turns the bytes of a file, read once and bounded (:mod:`.bounded_read`),
into an :class:`~.trial.ImportedTrial` (the file's own values, their units and their
conversion, :mod:`.trial`), validated before anything is written; :mod:`.registry` picks the
reader by name, extension or content. :mod:`.session_build` then writes one new session per
import, all or nothing, skipping files already imported (:mod:`.dedup`), one import of a
patient at a time (:mod:`.import_lock`). A bad file raises
:class:`~kinewrite.errors.InputError` with one line naming the file and the problem.

This package may import storage, analysis, model and errors; never Qt. See
``docs/import.md``.
"""

from .bids_reader import BidsSession, import_bids, read_bids_subject
from .bounded_read import MAX_BYTES, read_bounded
from .csv import parse_csv_recording, read_csv_recording, write_csv_recording
from .dedup import Skipped, imported_sources
from .hwr import parse_hwr, read_hwr_file
from .import_lock import IMPORT_LOCK_NAME, IMPORT_LOCK_TIMEOUT_S
from .inkml import parse_inkml
from .registry import FORMATS, decode_recording, detect_format, read_recording_file
from .session_build import (
    ImportResult,
    import_recordings,
    scale_warning,
    write_import_session,
)
from .svc import SVC_PRESSURE_LEVELS, SVC_PRESSURE_MAX, SVC_UNITS_PER_MM, parse_svc
from .trial import ImportedTrial, ImportOptions, Scale, session_calibration

__all__ = [
    "FORMATS",
    "IMPORT_LOCK_NAME",
    "IMPORT_LOCK_TIMEOUT_S",
    "MAX_BYTES",
    "SVC_PRESSURE_LEVELS",
    "SVC_PRESSURE_MAX",
    "SVC_UNITS_PER_MM",
    "BidsSession",
    "ImportOptions",
    "ImportResult",
    "ImportedTrial",
    "Scale",
    "Skipped",
    "decode_recording",
    "detect_format",
    "import_bids",
    "import_recordings",
    "imported_sources",
    "parse_csv_recording",
    "parse_hwr",
    "parse_inkml",
    "parse_svc",
    "read_bids_subject",
    "read_bounded",
    "read_csv_recording",
    "read_hwr_file",
    "read_recording_file",
    "scale_warning",
    "session_calibration",
    "write_csv_recording",
    "write_import_session",
]
