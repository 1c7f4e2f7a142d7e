"""The session file, format v1: the names of the modules that now hold it, for compatibility.

``from kinewrite.storage.session import ...`` goes on working; new code imports from the
module that does the job: :mod:`~kinewrite.storage.schema` (the format's names and codes),
:mod:`~kinewrite.storage.calibration`, :mod:`~kinewrite.storage.reader` (the one reader),
:mod:`~kinewrite.storage.writer` (the one writer), :mod:`~kinewrite.storage.feature_row`
(the cached feature row), :mod:`~kinewrite.storage.trust` (hostile-file checks),
:mod:`~kinewrite.storage.naming`, :mod:`~kinewrite.storage.recovery` (atomic changes and
repairs) and :mod:`kinewrite.clinical` (scales and events). No logic lives here.
"""

from ..clinical.events import (
    EVENT_KINDS,
    TreatmentEvent,
    event_from_attrs,
    split_legacy_event_notes,
)
from ..clinical.scales import CLINICAL_SCALES, ClinicalEntry, adds_score
from ..errors import DiskSpaceError, SessionBusyError
from .attrs import now_utc
from .calibration import Calibration, trial_guide_mm
from .feature_row import read_feature_row, write_features
from .layout import write_new_session
from .naming import normalize_created, protocol_task_of, session_filename
from .opening import INTERRUPTED, recovery_note
from .reader import Session, Trial, channels_to_recording, load_session
from .recovery import (
    ABANDONED_AFTER_S,
    COPY_MARGIN_BYTES,
    modify_session,
    remove_stale_temporaries,
    repair_session,
)
from .schema import (
    CHANNELS,
    CHUNK,
    FEATURE_NAMES,
    FEATURE_VALUES,
    FORMAT,
    FORMAT_VERSION,
    MIN_FREE_BYTES,
    POINTER_CURSOR,
    POINTER_ERASER,
    POINTER_FINGER,
    POINTER_MOUSE,
    POINTER_PEN,
    POINTER_UNKNOWN,
    SESSION_FIELDS,
    STATE_HOVER,
    STATE_OUT,
    STATE_TOUCH,
    TRIAL_STATUSES,
)
from .trust import (
    MAX_DECLARED_OVER_STORED,
    refuse_foreign_data,
    refuse_foreign_dataset,
    refuse_inflated_dataset,
)
from .writer import SessionWriter

__all__ = [
    "ABANDONED_AFTER_S",
    "CHANNELS",
    "CHUNK",
    "CLINICAL_SCALES",
    "COPY_MARGIN_BYTES",
    "EVENT_KINDS",
    "FEATURE_NAMES",
    "FEATURE_VALUES",
    "FORMAT",
    "FORMAT_VERSION",
    "INTERRUPTED",
    "MAX_DECLARED_OVER_STORED",
    "MIN_FREE_BYTES",
    "POINTER_CURSOR",
    "POINTER_ERASER",
    "POINTER_FINGER",
    "POINTER_MOUSE",
    "POINTER_PEN",
    "POINTER_UNKNOWN",
    "SESSION_FIELDS",
    "STATE_HOVER",
    "STATE_OUT",
    "STATE_TOUCH",
    "TRIAL_STATUSES",
    "Calibration",
    "ClinicalEntry",
    "DiskSpaceError",
    "Session",
    "SessionBusyError",
    "SessionWriter",
    "TreatmentEvent",
    "Trial",
    "adds_score",
    "channels_to_recording",
    "event_from_attrs",
    "load_session",
    "modify_session",
    "normalize_created",
    "now_utc",
    "protocol_task_of",
    "read_feature_row",
    "recovery_note",
    "refuse_foreign_data",
    "refuse_foreign_dataset",
    "refuse_inflated_dataset",
    "remove_stale_temporaries",
    "repair_session",
    "session_filename",
    "split_legacy_event_notes",
    "trial_guide_mm",
    "write_features",
    "write_new_session",
]
