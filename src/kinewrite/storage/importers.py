"""Moved to :mod:`kinewrite.formats` (issue 16): this module re-exports its names for code
written against the old path. New code imports from :mod:`kinewrite.formats` or its modules
(:mod:`~kinewrite.formats.registry`, :mod:`~kinewrite.formats.svc`,
:mod:`~kinewrite.formats.inkml`, :mod:`~kinewrite.formats.session_build`, ...)."""

from ..errors import InputError
from ..formats.bounded_read import MAX_BYTES, read_bounded
from ..formats.dedup import Skipped, imported_sources
from ..formats.import_lock import IMPORT_LOCK_NAME, IMPORT_LOCK_TIMEOUT_S
from ..formats.inkml import parse_inkml
from ..formats.inkml_xml import MAX_XML_DEPTH, MAX_XML_ELEMENTS
from ..formats.registry import (
    EXTENSIONS,
    FORMATS,
    decode_recording,
    detect_format,
    read_recording_file,
)
from ..formats.session_build import (
    ImportResult,
    import_recordings,
    scale_warning,
    write_import_session,
)
from ..formats.svc import (
    SVC_COLUMNS_X_FIRST,
    SVC_COLUMNS_Y_FIRST,
    SVC_PRESSURE_LEVELS,
    SVC_PRESSURE_MAX,
    SVC_UNITS_PER_MM,
    parse_svc,
)
from ..formats.trial import (
    TIME_UNITS_S,
    ImportedTrial,
    ImportOptions,
    Scale,
    session_calibration,
)

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "IMPORT_LOCK_NAME",
    "IMPORT_LOCK_TIMEOUT_S",
    "MAX_BYTES",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
    "SVC_COLUMNS_X_FIRST",
    "SVC_COLUMNS_Y_FIRST",
    "SVC_PRESSURE_LEVELS",
    "SVC_PRESSURE_MAX",
    "SVC_UNITS_PER_MM",
    "TIME_UNITS_S",
    "ImportOptions",
    "ImportResult",
    "ImportedTrial",
    "InputError",
    "Scale",
    "Skipped",
    "decode_recording",
    "detect_format",
    "import_recordings",
    "imported_sources",
    "parse_inkml",
    "parse_svc",
    "read_bounded",
    "read_recording_file",
    "scale_warning",
    "session_calibration",
    "write_import_session",
]
