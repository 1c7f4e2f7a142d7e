"""The session file format v1 in one place: names, versions, channels, codes, attributes.

What every reader and writer of ``docs/file-format.md`` agrees on, and nothing else: no
function here reads or writes a file. Layout::

    /                      attrs: format, format_version, session_id, patient_code, created,
                                  software_version, and the session metadata (docs/science.md)
    /calibration           attrs: device units to mm, pressure levels and newton curve
    /trials/001/           attrs: task, status, started, ended, nominal_rate_hz, input, ...
    /trials/001/<channel>  1-D chunked resizable datasets, raw device values, attrs unit, ...
    /trials/001/features   attrs: one per feature, plus analysis_version and computed;
                           dataset ``values`` with attribute ``names``: the same row
    /clinical/001          attrs: scale (ADDS | WCRS), date, rater, items (JSON), score
    /events/001            attrs: kind, date, muscles (JSON), dose_units, product,
                                  doses_units (JSON), notes
"""

from __future__ import annotations

from ..clinical.metadata import SESSION_FIELDS

__all__ = [
    "CHANNELS",
    "CHUNK",
    "FEATURES_GROUP",
    "FEATURE_NAMES",
    "FEATURE_VALUES",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FEATURE_ROW",
    "MIN_FREE_BYTES",
    "NOT_FEATURES",
    "POINTER_CURSOR",
    "POINTER_ERASER",
    "POINTER_FINGER",
    "POINTER_MOUSE",
    "POINTER_PEN",
    "POINTER_UNKNOWN",
    "ROOT_ATTRIBUTES",
    "SESSION_FIELDS",
    "STATE_HOVER",
    "STATE_OUT",
    "STATE_TOUCH",
    "TRIAL_STATUSES",
]

FORMAT = "kinewrite-session"
FORMAT_VERSION = 1

#: Root attributes every session file has (besides the metadata of :data:`SESSION_FIELDS`).
ROOT_ATTRIBUTES = ("format", "format_version", "session_id", "patient_code", "created",
                   "software_version")

#: Pen state codes of the ``state`` channel.
STATE_OUT, STATE_HOVER, STATE_TOUCH = 0, 1, 2

#: Channel name -> (dtype, unit of the stored values when the device gives no other).
CHANNELS: dict[str, tuple[str, str]] = {
    "t": ("f8", "s"),
    "host_time": ("f8", "s"),
    "x": ("f8", "device"),
    "y": ("f8", "device"),
    "pressure": ("f8", "level"),
    "tilt_x": ("f4", "deg"),
    "tilt_y": ("f4", "deg"),
    "rotation": ("f4", "deg"),
    "state": ("u1", "code"),
    "pointer": ("u1", "qt-pointer-type"),
}

#: Codes of the ``pointer`` channel: Qt's ``QPointingDevice.PointerType`` values.
POINTER_UNKNOWN, POINTER_MOUSE, POINTER_FINGER, POINTER_PEN, POINTER_ERASER, POINTER_CURSOR = (
    0, 1, 2, 4, 8, 16)

#: A trial's ``status``: ``recording`` while it streams (or if its writer died),
#: ``superseded`` once redone; nothing is ever deleted.
TRIAL_STATUSES = ("recording", "complete", "aborted", "superseded")
#: Chunk length of the channel datasets, in samples.
CHUNK = 4096
#: A recording stops cleanly when the disk's free space falls below this. HDF5 that meets a
#: full disk mid-write leaves a file whose superblock claims more space than was written:
#: it no longer opens, and every sample in it is lost (measured with a file-size limit).
MIN_FREE_BYTES = 64 << 20

#: A trial's cached features: group ``/trials/NNN/features``.
FEATURES_GROUP = "features"
#: The compact row inside ``/trials/NNN/features``: dataset ``values``, its attribute ``names``.
FEATURE_VALUES, FEATURE_NAMES = "values", "names"
#: Attributes of the features group that are not features.
NOT_FEATURES = ("analysis_version", "computed")
#: A compact feature row longer than this is refused before it is read (a damaged or hostile
#: file): over 15 times the 58 features of the registry today.
MAX_FEATURE_ROW = 1024
