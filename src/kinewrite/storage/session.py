"""The session file, format v1: one HDF5 file per session (see ``docs/file-format.md``).

Layout::

    /                      attrs: format, format_version, session_id, patient_code, created,
                                  software_version, and the session metadata (docs/science.md)
    /calibration           attrs: device units to mm, pressure levels and newton curve
    /trials/001/           attrs: task, status, started, ended, nominal_rate_hz, input, ...
    /trials/001/<channel>  1-D chunked resizable datasets, raw device values, attrs unit, ...
    /trials/001/features   attrs: one per feature, plus analysis_version and computed
    /clinical/001          attrs: scale (ADDS | WCRS), date, rater, items (JSON), score
    /events/001            attrs: kind, date, muscles (JSON), dose_units, product,
                                  doses_units (JSON), notes

The file is consistent on disk at every moment of a visit, so a kill at any moment loses at
most the last ``flush_interval_s`` of a streaming trial and never an ended one:

- It is open only while a trial streams, in HDF5's single-writer / multiple-reader (SWMR)
  mode, which keeps what is on disk readable as it grows; samples are flushed at least every
  ``flush_interval_s`` (default 0.1 s, well inside the 250 ms the project promises).
- Every other change (a trial's start and end, its features, a redo, a scale, an event) is
  made to a copy that then replaces the file atomically (:func:`modify_session`): a kill
  leaves the file as it was before the change or as it is after it.
- Between trials the file is closed: any reader (export, analyze, review) opens it normally.

A file left "open for write" by a writer that died anyway (a power cut mid-stream, or an
older kinewrite, which kept the file open between trials) is read without being changed
(:mod:`kinewrite.storage.opening`), and repaired at the next write (:meth:`SessionWriter.open`:
copy, clear HDF5's consistency flags, close the interrupted trial, verify, replace
atomically). Nothing is ever deleted: a redo marks the earlier trial ``superseded``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import h5py
import numpy as np

from .._atomic import atomic_output, fsync_file, fsync_folder, private_folder, temp_beside
from .._version import __version__
from ..errors import DiskSpaceError, InputError, one_line
from ..model import TASKS, Recording, RecordingError
from . import hdf5_status
from .codes import check_code_collision, validate_patient_code
from .opening import INTERRUPTED, OpenedSession, open_session_file
from .writer_lock import SessionBusyError, acquire_writer_lock, release_writer_lock

__all__ = [
    "CHANNELS",
    "FORMAT",
    "FORMAT_VERSION",
    "SESSION_FIELDS",
    "Calibration",
    "ClinicalEntry",
    "DiskSpaceError",
    "Session",
    "SessionBusyError",
    "SessionWriter",
    "TreatmentEvent",
    "Trial",
    "adds_score",
    "load_session",
    "modify_session",
    "normalize_created",
    "protocol_task_of",
    "refuse_foreign_data",
    "refuse_foreign_dataset",
    "refuse_inflated_dataset",
]

T = TypeVar("T")

FORMAT = "kinewrite-session"
FORMAT_VERSION = 1

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

#: Session metadata a therapist records (docs/science.md §8). Nothing else is accepted: no field
#: for a name exists.
SESSION_FIELDS: tuple[str, ...] = (
    "hand", "handedness", "wc_subtype", "pen_grip", "tremor_present", "last_botox_date",
    "last_botox_muscles", "eyes", "device", "stylus", "paper_overlay", "operator", "site",
    "protocol", "notes",
)
TRIAL_STATUSES = ("recording", "complete", "aborted", "superseded")
EVENT_KINDS = ("botulinum_toxin", "pen_grip_training", "other")
CLINICAL_SCALES = ("ADDS", "WCRS")
CHUNK = 4096
#: A recording stops cleanly when the disk's free space falls below this. HDF5 that meets a
#: full disk mid-write leaves a file whose superblock claims more space than was written:
#: it no longer opens, and every sample in it is lost (measured with a file-size limit).
MIN_FREE_BYTES = 64 << 20


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Calibration:
    """How raw device values map to physical units; stored in ``/calibration``.

    ``x_mm = x * x_mm_per_unit + x_offset_mm`` (likewise y; a negative ``y_mm_per_unit``
    turns screen coordinates, y down, into y up); ``pressure fraction = level /
    pressure_max``; ``force_N = polyval(pressure_newton_coeffs, fraction) - tare_N`` where
    calibrated (coefficients highest power first, as :func:`numpy.polyval`).
    """

    x_mm_per_unit: float = 1.0
    y_mm_per_unit: float = 1.0
    x_offset_mm: float = 0.0
    y_offset_mm: float = 0.0
    pressure_max: float = 1.0
    pressure_saturation: float | None = None
    pressure_newton_coeffs: tuple[float, ...] = ()
    tare_N: float = 0.0
    source: str = "identity: values already in mm"

    def to_attrs(self) -> dict[str, Any]:
        return {
            "x_mm_per_unit": self.x_mm_per_unit, "y_mm_per_unit": self.y_mm_per_unit,
            "x_offset_mm": self.x_offset_mm, "y_offset_mm": self.y_offset_mm,
            "pressure_max": self.pressure_max,
            "pressure_saturation": (self.pressure_max if self.pressure_saturation is None
                                    else self.pressure_saturation),
            "pressure_newton_coeffs": np.asarray(self.pressure_newton_coeffs, dtype="f8"),
            "tare_N": self.tare_N, "source": self.source,
        }

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> Calibration:
        return cls(
            x_mm_per_unit=float(attrs.get("x_mm_per_unit", 1.0)),
            y_mm_per_unit=float(attrs.get("y_mm_per_unit", 1.0)),
            x_offset_mm=float(attrs.get("x_offset_mm", 0.0)),
            y_offset_mm=float(attrs.get("y_offset_mm", 0.0)),
            pressure_max=float(attrs.get("pressure_max", 1.0)),
            pressure_saturation=float(attrs.get("pressure_saturation",
                                                attrs.get("pressure_max", 1.0))),
            pressure_newton_coeffs=tuple(float(c) for c in
                                         np.atleast_1d(attrs.get("pressure_newton_coeffs", []))),
            tare_N=float(attrs.get("tare_N", 0.0)),
            source=str(attrs.get("source", "")),
        )


def adds_score(items: Mapping[str, int] | None = None, level_pct: int | None = None) -> float:
    """Arm Dystonia Disability Scale score in % (Fahn).

    Parameters
    ----------
    items : mapping of activity -> 0..3, optional
        The 7 activities of Fahn's scale (keys and labels in
        :data:`kinewrite.clinical_scales.ADDS_ITEMS`), each scored 0 (normal) to 3.
    level_pct : {100, 95, 90}, optional
        The top levels, used when no activity is impaired.

    Returns
    -------
    float
        ``level_pct`` if given without items, else ``90 - 90 * total / 21``.

    Examples
    --------
    >>> adds_score({"writing": 3, "musical_instrument": 0, "buttoning": 0,
    ...             "utensils_feeding": 1, "hygiene": 0, "grasping_objects": 0,
    ...             "housework_job": 0})
    72.85714285714286
    """
    if items:
        values = list(items.values())
        if len(values) != 7 or any(int(v) != v or not 0 <= v <= 3 for v in values):
            raise ValueError("ADDS needs 7 activities, each scored 0, 1, 2 or 3")
        return 90.0 - 90.0 * sum(values) / 21.0
    if level_pct in (100, 95, 90):
        return float(level_pct)
    raise ValueError("ADDS needs either 7 scored activities or a level of 100, 95 or 90 %")


@dataclass(frozen=True)
class ClinicalEntry:
    """A clinical scale entry: ``scale`` (ADDS or WCRS), rating ``date``, ``rater``, the
    item scores and the ``score`` (ADDS in %, WCRS in points); ``name`` is its group in the
    file (``"001"`` ..., empty where not read from a file)."""

    scale: str
    date: str
    rater: str
    items: dict[str, float]
    score: float
    name: str = ""


@dataclass(frozen=True)
class TreatmentEvent:
    """A treatment event: ``kind``, ``date`` (YYYY-MM-DD), injected ``muscles``, total
    ``dose_units`` (U, None if unknown), the toxin ``product`` (units of different products
    are not interchangeable) and ``doses_units``, the dose per muscle in U (None where only
    the total is known)."""

    kind: str
    date: str
    muscles: list[str]
    dose_units: float | None
    notes: str
    product: str = ""
    doses_units: dict[str, float | None] = field(default_factory=dict)


#: Before events had ``product`` and ``doses_units`` attributes, kinewrite kept them in the
#: event's ``notes`` as one line: this mark, then a JSON object with those two keys.
_LEGACY_EVENT_MARK = "[kinewrite event details] "


def split_legacy_event_notes(text: str) -> tuple[str, str, dict[str, float]]:
    """Split the notes of an event written before ``product`` was an attribute into
    ``(free notes, product, doses per muscle in U)``; a damaged details line stays in the
    notes (visible rather than lost).

    Examples
    --------
    >>> split_legacy_event_notes('EMG-guided\\n[kinewrite event details] '
    ...                          '{"product": "X", "doses_units": {"FCR": 40}}')
    ('EMG-guided', 'X', {'FCR': 40.0})
    """
    free, product, doses = [], "", {}
    for line in text.splitlines():
        if line.startswith(_LEGACY_EVENT_MARK):
            try:
                d = json.loads(line[len(_LEGACY_EVENT_MARK):])
                product = str(d.get("product", ""))
                doses = {str(k): float(v) for k, v in d.get("doses_units", {}).items()}
            except (ValueError, AttributeError, TypeError):
                free.append(line)
        else:
            free.append(line)
    return "\n".join(free).strip(), product, doses


def event_from_attrs(kind: str, date: str, muscles_json: str, dose: float, notes: str,
                     product: str | None, doses_json: str) -> TreatmentEvent:
    """A :class:`TreatmentEvent` from its stored attributes (``product`` None: absent, an
    event written before it was an attribute; its details are then read from ``notes``)."""
    muscles = json.loads(muscles_json or "[]")
    doses: dict[str, float | None] = {
        str(k): None if v is None else float(v) for k, v in json.loads(doses_json or "{}").items()
    }
    if product is None:
        notes, product, known = split_legacy_event_notes(notes)
        if product or known:  # the form stored every muscle; a dose where one was given
            doses = {**{m: known.get(m) for m in muscles}, **known}
    return TreatmentEvent(kind=kind, date=date, muscles=muscles,
                          dose_units=None if math.isnan(dose) else float(dose), notes=notes,
                          product=product, doses_units=doses)


@dataclass
class Trial:
    """One trial of a loaded session."""

    name: str
    task: str
    status: str
    started: str
    ended: str
    nominal_rate_hz: float
    input: str
    superseded_by: str
    attrs: dict[str, Any]
    channels: dict[str, np.ndarray]
    calibration: Calibration
    features: dict[str, float] | None = None
    features_version: str | None = None

    @property
    def n_samples(self) -> int:
        return int(self.channels["t"].size) if "t" in self.channels else 0

    @property
    def protocol_task(self) -> str:
        """The protocol step (:func:`protocol_task_of`): ``"spiral_guided"`` and
        ``"spiral_free"`` are distinct although both are the task ``spiral``."""
        return protocol_task_of(self.task, self.attrs.get("protocol_task"),
                                self.attrs.get("guide_shown"))

    @property
    def recording(self) -> Recording | None:
        """The trial as a :class:`Recording` in mm, s and 0..1; None if it holds no sample.

        Raises
        ------
        RecordingError
            If the stored samples are not a valid recording (e.g. NaN timestamps).
        """
        if self.n_samples == 0:
            return None
        return channels_to_recording(self.channels, self.calibration)


@dataclass
class Session:
    """A loaded session file."""

    path: Path
    session_id: str
    patient_code: str
    created: str
    format_version: int
    software_version: str
    metadata: dict[str, str]
    calibration: Calibration
    trials: list[Trial] = field(default_factory=list)
    clinical: list[ClinicalEntry] = field(default_factory=list)
    events: list[TreatmentEvent] = field(default_factory=list)
    recovered_from_crash: bool = False
    #: One line saying how a file left by a writer that died was read ("" for a normal file).
    recovery: str = ""

    def trial(self, name: str) -> Trial:
        for tr in self.trials:
            if tr.name == name:
                return tr
        raise KeyError(name)


def channels_to_recording(channels: Mapping[str, np.ndarray], cal: Calibration) -> Recording:
    """Convert raw stored channels to a :class:`Recording` through the calibration."""
    x = channels["x"] * cal.x_mm_per_unit + cal.x_offset_mm
    y = channels["y"] * cal.y_mm_per_unit + cal.y_offset_mm
    def optional(name: str) -> np.ndarray | None:
        values = channels.get(name)
        if values is None or values.size == 0 or np.all(np.isnan(values)):
            return None  # channel the device does not have (a mouse has no pressure)
        return values

    pressure = optional("pressure")
    if pressure is not None:
        pressure = np.clip(pressure / cal.pressure_max, 0.0, 1.0)
    state = channels.get("state")
    pen_down = None if state is None else state == STATE_TOUCH
    ceiling = 1.0
    if cal.pressure_saturation is not None and cal.pressure_max > 0:
        ceiling = float(np.clip(cal.pressure_saturation / cal.pressure_max, 1e-9, 1.0))
    return Recording(
        t=channels["t"], x=x, y=y, pressure=pressure, pen_down=pen_down,
        tilt_x=optional("tilt_x"), tilt_y=optional("tilt_y"), pressure_ceiling=ceiling,
        pressure_newton_coeffs=cal.pressure_newton_coeffs, tare_N=cal.tare_N,
    )


# --------------------------------------------------------------------------------- reading


def load_session(path: str | os.PathLike[str]) -> Session:
    """Load a session file with every trial's samples, features, scales and events.

    Raises
    ------
    InputError
        One line naming the file: missing, not HDF5, truncated or corrupt, not a kinewrite
        session, or written by a newer format version.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such session file")
    try:
        if not h5py.is_hdf5(path):
            raise InputError(f"{path}: not an HDF5 file (a kinewrite session is HDF5)")
        opened = open_session_file(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot open as HDF5 ({one_line(exc)})") from None
    try:
        with opened:
            return _read(opened, path)
    except InputError:
        raise
    except Exception as exc:  # corrupt internals surface as many h5py/numpy exceptions
        raise InputError(f"{path}: damaged session file ({one_line(exc)})") from None


def _feature_order() -> list[str]:
    from ..analysis.features import feature_names

    return feature_names()


def trial_guide_mm(attrs: Mapping[str, Any], calibration: Calibration) -> np.ndarray | None:
    """The guide shown while a trial was recorded, as polyline vertices in mm.

    Read from the trial attribute ``guide_polylines_px`` (JSON polylines in the unit of
    the x, y channels, written by the recording panel when a guide is shown) and mapped
    with the session calibration, exactly as the samples are. The first polyline is
    returned (a spiral guide has one); None when no guide was shown or the attribute is
    unreadable.
    """
    raw = _attr_str(attrs, "guide_polylines_px")
    if not raw:
        return None
    try:
        lines = json.loads(raw)
        line = np.asarray(lines[0], dtype=np.float64)
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    if line.ndim != 2 or line.shape[1] != 2 or line.shape[0] < 2 or not np.isfinite(line).all():
        return None
    return np.column_stack((line[:, 0] * calibration.x_mm_per_unit + calibration.x_offset_mm,
                            line[:, 1] * calibration.y_mm_per_unit + calibration.y_offset_mm))


_PROTOCOL_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def protocol_task_of(task: str, protocol_task: Any = None, guide_shown: Any = None) -> str:
    """The protocol step a trial belongs to: what tells a guided spiral from a free one.

    A protocol may run one analysis task twice with different settings (the standard
    protocol traces a spiral on a guide, then draws one free); progress, report and export
    keep those apart by this key.

    Parameters
    ----------
    task : str
        The trial's analysis task (``task`` attribute).
    protocol_task : str, optional
        The ``protocol_task`` attribute the app stores (the protocol step's key, e.g.
        ``"spiral_guided"``); untrusted: used only if it is 1-64 letters, digits, ``_`` or
        ``-``.
    guide_shown : number, optional
        The ``guide_shown`` attribute (1 if the guide was drawn while recording).

    Returns
    -------
    str
        The stored key; else, for a spiral whose file says whether the guide was shown,
        ``"spiral_guided"`` or ``"spiral_free"`` (the standard protocol's keys); else the
        task itself (an imported trial, a session from before protocols were stored).

    Examples
    --------
    >>> protocol_task_of("spiral", "spiral_free"), protocol_task_of("spiral", None, 1)
    ('spiral_free', 'spiral_guided')
    >>> protocol_task_of("sentence"), protocol_task_of("loops", "bad key!")
    ('sentence', 'loops')
    """
    if isinstance(protocol_task, bytes):
        protocol_task = protocol_task.decode("utf-8", "replace")
    if isinstance(protocol_task, str) and _PROTOCOL_KEY.fullmatch(protocol_task):
        return protocol_task
    if task == "spiral" and guide_shown is not None:
        try:
            shown = float(guide_shown)
        except (TypeError, ValueError):
            return task
        if shown in (0.0, 1.0):
            return "spiral_guided" if shown else "spiral_free"
    return task


def _attr_str(attrs: Mapping[str, Any], key: str, default: str = "") -> str:
    v = attrs.get(key, default)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def recovery_note(path: Path, left_open: bool, interrupted: list[str]) -> str:
    """The one line that says how a session left by a writer that died was read ("" if it
    was not).

    Examples
    --------
    >>> recovery_note(Path("P1/s.h5"), True, ["003"])  # doctest: +NORMALIZE_WHITESPACE
    'P1/s.h5: left open by a writer that stopped (crash or kill), read without changing it;
    trial 003 was interrupted: kept as aborted with every sample written; the file is
    repaired at its next write'
    """
    if not left_open and not interrupted:
        return ""
    parts = []
    if left_open:
        parts.append("left open by a writer that stopped (crash or kill), read without "
                     "changing it")
    if interrupted:
        s = "s" if len(interrupted) > 1 else ""
        verb = "were" if s else "was"
        parts.append(f"trial{s} {', '.join(interrupted)} {verb} interrupted: kept as aborted "
                     "with every sample written")
    return f"{path}: {'; '.join(parts)}; the file is repaired at its next write"


def _read(opened: OpenedSession, path: Path) -> Session:
    f = opened.file
    if _attr_str(f.attrs, "format") != FORMAT:
        raise InputError(f"{path}: not a kinewrite session (HDF5 without format={FORMAT!r})")
    version = int(f.attrs.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise InputError(
            f"{path}: session format v{version} is newer than this kinewrite reads "
            f"(v{FORMAT_VERSION}); upgrade kinewrite"
        )
    cal = Calibration.from_attrs(f["calibration"].attrs) if "calibration" in f else Calibration()
    metadata = {k: _attr_str(f.attrs, k) for k in SESSION_FIELDS if k in f.attrs}
    session = Session(
        path=path, session_id=_attr_str(f.attrs, "session_id"),
        patient_code=_attr_str(f.attrs, "patient_code"), created=_attr_str(f.attrs, "created"),
        format_version=version, software_version=_attr_str(f.attrs, "software_version"),
        metadata=metadata, calibration=cal,
    )
    refuse_foreign_data(f, path)
    interrupted = []
    for name in sorted(f.get("trials", {})):
        g = f["trials"][name]
        for c in CHANNELS:
            if c in g:
                refuse_foreign_dataset(g[c].id, path)
                refuse_inflated_dataset(g[c].id, path)
        n = min((g[c].shape[0] for c in CHANNELS if c in g), default=0)
        channels = {c: np.asarray(g[c][:n]) for c in CHANNELS if c in g}
        features, fversion = read_feature_row(g)  # the compact row is the cache's truth
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
        status = str(attrs.get("status", "recording"))
        if status == "recording" and not opened.live_writer:  # its writer died
            status = attrs["status"] = "aborted"
            attrs.setdefault("abort_reason", INTERRUPTED)
            interrupted.append(name)
        session.trials.append(Trial(
            name=name, task=str(attrs.get("task", "free")), status=status,
            started=str(attrs.get("started", "")), ended=str(attrs.get("ended", "")),
            nominal_rate_hz=float(attrs.get("nominal_rate_hz", float("nan"))),
            input=str(attrs.get("input", "")), superseded_by=str(attrs.get("superseded_by", "")),
            attrs=attrs, channels=channels, calibration=cal, features=features,
            features_version=fversion,
        ))
    for name in sorted(f.get("clinical", {})):
        a = f["clinical"][name].attrs
        session.clinical.append(ClinicalEntry(
            scale=_attr_str(a, "scale"), date=_attr_str(a, "date"), rater=_attr_str(a, "rater"),
            items=json.loads(_attr_str(a, "items", "{}")), score=float(a.get("score", np.nan)),
            name=name,
        ))
    for name in sorted(f.get("events", {})):
        a = f["events"][name].attrs
        session.events.append(event_from_attrs(
            _attr_str(a, "kind"), _attr_str(a, "date"), _attr_str(a, "muscles", "[]"),
            float(a.get("dose_units", np.nan)), _attr_str(a, "notes"),
            _attr_str(a, "product") if "product" in a else None,
            _attr_str(a, "doses_units", "{}"),
        ))
    session.recovery = recovery_note(path, opened.left_open, interrupted)
    session.recovered_from_crash = bool(session.recovery)
    return session


def refuse_foreign_data(f: h5py.File, path: Path) -> None:
    """Refuse a session file with links: every object must be stored in the file itself.

    kinewrite never writes links. A soft or external link in a file from elsewhere would
    make the reader open other files: another patient's data passed off as this session's,
    or a named pipe that blocks the reader forever. Checked before anything is followed
    (visiting the links follows none of them).

    Raises
    ------
    InputError
        One line naming the file and the first link found.
    """
    def first_link(name: bytes, info: Any) -> bytes | None:
        # low-level visit (~0.1 ms per file, 20x the high-level one); a value other than
        # None stops it (raising inside it upsets h5py's lock)
        return None if info.type == h5py.h5l.TYPE_HARD else name

    found = f.id.links.visit(first_link, info=True)
    if found is not None:
        name = found.decode(errors="replace")
        link = f.get(name, getlink=True)
        target = (f"another file ({link.filename})" if isinstance(link, h5py.ExternalLink)
                  else getattr(link, "path", type(link).__name__))
        raise InputError(f"{path}: /{name} is a link to {target}, not data stored in the "
                         "file; a session file must hold its own data")


def refuse_foreign_dataset(dataset_id: h5py.h5d.DatasetID, path: Path) -> None:
    """Refuse a dataset whose raw data lives in other files (virtual or external storage),
    before reading it (see :func:`refuse_foreign_data`)."""
    plist = dataset_id.get_create_plist()
    if plist.get_layout() == h5py.h5d.VIRTUAL or plist.get_external_count() > 0:
        name = h5py.h5i.get_name(dataset_id).decode(errors="replace")
        raise InputError(f"{path}: {name} takes its data from other files; a session file "
                         "must hold its own data")


#: A channel may declare at most this many times the bytes it stores (plus 1 MiB): kinewrite
#: writes channels uncompressed, so their storage covers their length (a writer killed
#: between growing a dataset and filling it leaves at most one append uncovered).
MAX_DECLARED_OVER_STORED = 4


def refuse_inflated_dataset(dataset_id: h5py.h5d.DatasetID, path: Path) -> None:
    """Refuse a channel whose declared length far exceeds the bytes the file stores for it.

    HDF5 returns the fill value for chunks never written, so an 800 kB file can declare
    channels of 2e9 samples: reading them would allocate 16 GB each and exhaust memory.
    """
    declared = int(np.prod(dataset_id.shape, dtype=np.int64)) * dataset_id.get_type().get_size()
    stored = int(dataset_id.get_storage_size())
    if declared > MAX_DECLARED_OVER_STORED * stored + (1 << 20):
        name = h5py.h5i.get_name(dataset_id).decode(errors="replace")
        raise InputError(f"{path}: {name} declares {declared:,} bytes of samples but stores "
                         f"{stored:,}: damaged or hostile file")


# --------------------------------------------------------------------------------- writing


def normalize_created(text: str) -> str:
    """Check a session creation time and return it as ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    It must be ISO 8601 with a UTC offset (``Z`` or ``+00:00``) and not in the future
    (1 minute of clock difference allowed).

    Raises
    ------
    ValueError
        One line saying what is wrong.

    Examples
    --------
    >>> normalize_created("2025-09-08T09:30:00Z")
    '2025-09-08T09:30:00.000Z'
    """
    try:
        t = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"session creation time {text!r} is not ISO 8601 "
                         "(e.g. 2025-09-08T09:30:00Z)") from None
    if t.tzinfo is None or t.utcoffset() != timedelta(0):
        raise ValueError(f"session creation time {text!r} must be UTC (end it with Z)")
    if t > datetime.now(UTC) + timedelta(minutes=1):
        raise ValueError(f"session creation time {text!r} is in the future")
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_filename(created: str, session_id: str) -> str:
    stamp = created.replace("-", "").replace(":", "").split(".")[0]
    return f"session-{stamp}Z-{session_id[:8]}.h5"


#: Room a copy of a session needs beyond the file's own size (HDF5 metadata of the change).
COPY_MARGIN_BYTES = 1 << 20


def modify_session(path: str | os.PathLike[str], change: Callable[[h5py.File], T],
                   clear_flags: bool = False, verify: Callable[[Path], Any] | None = None,
                   ) -> T:
    """Change a closed session file all at once: `change` is applied to a copy, which then
    replaces the file atomically. A kill at any moment leaves the file as it was or as it
    is after the change; a failure leaves it unchanged.

    Parameters
    ----------
    path : path-like
        A session file no process has open for writing.
    change : callable
        Called with the copy open read-write (``h5py.File``); its result is returned.
    clear_flags : bool, default False
        Clear HDF5's consistency flags of the copy before opening it (the repair of a file
        left open by a writer that died; see :mod:`kinewrite.storage.hdf5_status`).
    verify : callable, optional
        Called with the finished copy's path before it replaces the file; raising refuses
        the change. Default: the copy must open read-only as a kinewrite session.

    Raises
    ------
    DiskSpaceError
        Too little room for the copy (nothing changed).
    """
    path = Path(path)
    need = path.stat().st_size + COPY_MARGIN_BYTES
    free = shutil.disk_usage(path.parent).free
    if free < need:
        raise DiskSpaceError(f"{path}: only {free >> 20} MiB free on the disk, saving needs "
                             f"{need >> 20} MiB; nothing was changed")
    with atomic_output(path, tag="write.") as tmp:
        shutil.copyfile(path, tmp)
        if clear_flags:
            hdf5_status.clear_flags(tmp)
        with h5py.File(tmp, "r+", libver="latest") as f:
            result = change(f)
        (verify or _verify_opens)(tmp)
    return result


def _verify_opens(path: Path) -> None:
    with h5py.File(path, "r") as f:
        if _attr_str(f.attrs, "format") != FORMAT:
            raise InputError(f"{path}: the changed copy is not a kinewrite session")


def _close_interrupted_trials(f: h5py.File) -> list[str]:
    """Close every trial of `f` still marked ``recording`` (its writer died): channels cut
    to their common length, status ``aborted``, :data:`INTERRUPTED` as the reason. Returns
    their names."""
    closed = []
    for name in sorted(f.get("trials", {})):
        g = f["trials"][name]
        if _attr_str(g.attrs, "status") != "recording":
            continue
        n = min((g[c].shape[0] for c in CHANNELS if c in g), default=0)
        for c in CHANNELS:
            if c in g and g[c].shape[0] != n:
                g[c].resize((n,))
        g.attrs.update({"status": "aborted", "abort_reason": INTERRUPTED, "n_samples": n})
        if not _attr_str(g.attrs, "ended"):
            g.attrs["ended"] = _attr_str(g.attrs, "started")
        closed.append(name)
    return closed


def _copy_through_swmr_reader(path: Path, dst: Path) -> None:
    """Copy every object of a file a SWMR writer left into a new file `dst` (for a file whose
    flags cleared in place do not open: HDF5's SWMR reader tolerates its end of file)."""
    with h5py.File(path, "r", swmr=True) as src, h5py.File(dst, "w", libver="latest") as out:
        for k, v in src.attrs.items():
            out.attrs[k] = v
        for name in src:
            src.copy(src[name], out, name=name)


def repair_session(path: str | os.PathLike[str]) -> str:
    """Make a session left by a writer that died a normal closed file again.

    Its HDF5 consistency flags are cleared and its interrupted trials closed (every sample
    kept, marked ``aborted`` with :data:`INTERRUPTED`) in a copy, which is verified (read
    whole by :func:`load_session`) and then replaces the file atomically; a file that needs
    no repair is not touched. Call it only holding the writer lock (a living writer's file
    looks the same).

    Returns
    -------
    str
        One line saying what was repaired ("" if nothing was).

    Raises
    ------
    InputError
        The file cannot be repaired (it is left unchanged).
    """
    path = Path(path)
    superblock = hdf5_status.read_superblock(path)
    left_open = superblock is not None and superblock.open_for_write

    def verify(tmp: Path) -> None:
        if any(t.status == "recording" for t in load_session(tmp).trials):
            raise InputError(f"{path}: a trial is still open after the repair")

    if not left_open:
        with h5py.File(path, "r") as f:
            if not any(_attr_str(f["trials"][n].attrs, "status") == "recording"
                       for n in f.get("trials", {})):
                return ""
        closed = modify_session(path, _close_interrupted_trials, verify=verify)
        return _repair_note(path, False, closed)
    try:
        closed = modify_session(path, _close_interrupted_trials, clear_flags=True,
                                verify=verify)
    except (OSError, InputError, RuntimeError, KeyError, ValueError) as first:
        if (isinstance(first, DiskSpaceError) or not superblock.swmr
                or "truncated" in str(first)):  # never the SWMR reader on a truncated file
            raise InputError(f"{path}: left open by a writer that stopped, and cannot be "
                             f"repaired ({one_line(first)}); the file is left unchanged") from None
        closed = _repair_through_swmr_reader(path, verify)
    return _repair_note(path, True, closed)


def _repair_through_swmr_reader(path: Path, verify: Callable[[Path], Any]) -> list[str]:
    try:
        with atomic_output(path, tag="repair.") as tmp:
            _copy_through_swmr_reader(path, tmp)
            with h5py.File(tmp, "r+", libver="latest") as f:
                closed = _close_interrupted_trials(f)
            verify(tmp)
    except (OSError, InputError, RuntimeError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: left open by a writer that stopped, and cannot be "
                         f"repaired ({one_line(exc)}); the file is left unchanged") from None
    return closed


def _repair_note(path: Path, left_open: bool, closed: list[str]) -> str:
    parts = ["HDF5's open-for-write flags cleared"] if left_open else []
    if closed:
        parts.append(f"interrupted trial{'s' if len(closed) > 1 else ''} {', '.join(closed)} "
                     "closed as aborted with every sample written")
    return f"{path}: repaired: {'; '.join(parts)}"


def remove_stale_temporaries(path: Path) -> int:
    """Remove the temporary files a killed writer of session `path` left beside it (only
    while holding its writer lock). Returns how many were removed."""
    removed = 0
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


#: A new session's temporary file older than this was left by a writer killed while creating
#: it (creating takes milliseconds).
ABANDONED_AFTER_S = 3600.0


def _remove_abandoned_new_sessions(folder: Path) -> None:
    """Remove the temporary files of sessions whose creation was killed, in a patient folder
    (they hold no sample, only the session's metadata)."""
    now = time.time()
    for tmp in folder.glob(".session-*.h5.new.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.lstat().st_mtime > ABANDONED_AFTER_S:
                tmp.unlink()


class SessionWriter:
    """Writes one session file: trials while they record, clinical scales, treatment events.

    Use :meth:`create` for a new session in a study folder or :meth:`open` for an existing
    file; then :meth:`begin_trial`, :meth:`append` (as samples arrive), :meth:`end_trial`;
    :meth:`supersede`, :meth:`add_clinical`, :meth:`add_event` between trials.

    The writer holds the session's writer lock (:mod:`kinewrite.storage.writer_lock`) for
    its whole life, but the file only while a trial streams (SWMR mode):
    :meth:`append` flushes whenever ``flush_interval_s`` has passed since the last flush, so
    a crash loses at most that much (call :meth:`flush_if_due` from a timer when samples may
    stop arriving). Every other change replaces the file atomically
    (:func:`modify_session`), so between trials the file is closed and consistent, and any
    reader opens it.
    """

    def __init__(self, path: Path, flush_interval_s: float = 0.1,
                 min_free_bytes: int = MIN_FREE_BYTES, in_place: bool = False) -> None:
        #: Changes are made in the file itself, not in a copy: only for a file that no
        #: reader lists and that is verified before it is renamed into place (an import
        #: builds its session that way; copying it for every trial would cost n**2).
        self.in_place = bool(in_place)
        self.path = Path(path)
        self.flush_interval_s = float(flush_interval_s)
        self.min_free_bytes = int(min_free_bytes)
        self._unchecked_bytes = 0
        self._lock_fd = acquire_writer_lock(self.path)
        remove_stale_temporaries(self.path)
        self._f: h5py.File | None = None  # open only while a trial streams
        self._trial: h5py.Group | None = None
        self._last_flush = 0.0
        self._n = 0
        #: What :meth:`open` repaired, one line ("" if the file needed nothing).
        self.repaired = ""

    # -- life cycle
    @classmethod
    def create(
        cls,
        study_dir: str | os.PathLike[str],
        patient_code: str,
        metadata: Mapping[str, Any] | None = None,
        calibration: Calibration | None = None,
        flush_interval_s: float = 0.1,
        min_free_bytes: int = MIN_FREE_BYTES,
        created: str | None = None,
    ) -> SessionWriter:
        """Create a new session file in ``study_dir/<patient_code>/`` (folder 0700, file
        0600: a study holds health data).

        ``created`` dates the session (ISO 8601 UTC, e.g. ``"2025-09-08T09:30:00Z"``; not
        in the future): the root attribute ``created`` and the file name. Default: now.
        Give it when importing an older recording.

        Raises
        ------
        ValueError
            Unknown metadata field, ``created`` unparsable, not UTC or in the future, or a
            code that differs from a patient of the study only by letter case
            (:class:`~kinewrite.storage.codes.InvalidCodeError`).
        """
        code = validate_patient_code(patient_code)
        created = _now() if created is None else normalize_created(created)
        meta = dict(metadata or {})
        unknown = sorted(set(meta) - set(SESSION_FIELDS))
        if unknown:
            raise ValueError(f"unknown session field(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(SESSION_FIELDS)}")
        check_code_collision(study_dir, code)  # wc-017 beside WC-017 is one patient on a disk
        folder = private_folder(Path(study_dir) / code)
        _remove_abandoned_new_sessions(folder)
        session_id = uuid.uuid4().hex
        path = folder / session_filename(created, session_id)
        with atomic_output(path, tag="new.") as tmp:  # the session exists whole or not at all
            cls._write_new(tmp, session_id, code, created, meta, calibration)
        return cls(path, flush_interval_s, min_free_bytes)

    @staticmethod
    def _write_new(tmp: Path, session_id: str, code: str, created: str,
                   meta: Mapping[str, Any], calibration: Calibration | None) -> None:
        with h5py.File(tmp, "w", libver="latest") as f:
            f.attrs.update({
                "format": FORMAT, "format_version": FORMAT_VERSION, "session_id": session_id,
                "patient_code": code, "created": created, "software_version": __version__,
            })
            for k, v in meta.items():
                f.attrs[k] = str(v)
            f.create_group("calibration").attrs.update((calibration or Calibration()).to_attrs())
            f.create_group("trials")
            f.create_group("clinical")
            f.create_group("events")

    @classmethod
    def open(cls, path: str | os.PathLike[str], flush_interval_s: float = 0.1,
             min_free_bytes: int = MIN_FREE_BYTES) -> SessionWriter:
        """Open an existing session to add trials, scales or events.

        A file left by a writer that died is repaired first (:func:`repair_session`: its
        flags cleared and its interrupted trial closed, in a verified copy that replaces it
        atomically); :attr:`repaired` says what was done, in one line.

        Raises
        ------
        InputError
            Not a readable session, or one that cannot be repaired (left unchanged).
        SessionBusyError
            Another process is writing it.
        """
        path = Path(path)
        load_session(path)  # validates, one-line InputError otherwise
        writer = cls(path, flush_interval_s, min_free_bytes)  # the lock: nobody else writes
        try:
            writer.repaired = repair_session(path)
        except BaseException:
            writer.close()
            raise
        return writer

    def close(self) -> None:
        """End a streaming trial (as ``aborted``, samples kept) and release the lock."""
        try:
            if self._trial is not None:
                self.end_trial("aborted", compute_features=False,
                               attrs={"abort_reason": "the writer was closed while recording"})
        finally:
            if self._f is not None:
                self._f.close()
                self._f = None
            release_writer_lock(self.path, self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- trials
    @property
    def recording(self) -> bool:
        return self._trial is not None

    def _modify(self, change: Callable[[h5py.File], T]) -> T:
        if self._trial is not None:
            raise RuntimeError("a trial is recording; end it first")
        if self._lock_fd is None and os.name == "posix":
            raise RuntimeError(f"{self.path}: this writer is closed")
        if self.in_place:
            with h5py.File(self.path, "r+", libver="latest") as f:
                return change(f)
        return modify_session(self.path, change)

    def begin_trial(
        self,
        task: str,
        nominal_rate_hz: float = float("nan"),
        input_kind: str = "tablet",
        channels: tuple[str, ...] = tuple(CHANNELS),
        units: Mapping[str, str] | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> str:
        """Create the next trial and open the file in SWMR mode for recording it.

        The trial is created in a copy of the file, which is switched to SWMR mode and then
        renamed over the file: at no moment does the file on disk hold a half-made trial.

        Parameters
        ----------
        task : str
            One of :data:`kinewrite.model.TASKS`.
        nominal_rate_hz : float
            The device's nominal rate in Hz.
        input_kind : str
            ``tablet``, ``mouse`` (fallback, no pressure), ``import`` or ``simulated``.
        channels : tuple of str
            Channels to create (``t``, ``x``, ``y`` always).
        units : mapping, optional
            Unit of the stored raw values per channel (default :data:`CHANNELS`).
        attrs : mapping, optional
            Further trial attributes (feedback mode and threshold, source file ...).

        Returns
        -------
        str
            The trial's name (``"001"``, ``"002"`` ...).
        """
        if self._trial is not None:
            raise RuntimeError("a trial is already recording; end it first")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
        free = self.free_bytes()
        if free < self.min_free_bytes:
            raise DiskSpaceError(f"{self.path}: only {free >> 20} MiB free on the disk; a "
                                 f"recording needs at least {self.min_free_bytes >> 20} MiB")
        if self._lock_fd is None and os.name == "posix":
            raise RuntimeError(f"{self.path}: this writer is closed")
        if self.in_place:
            f = h5py.File(self.path, "r+", libver="latest")
            try:
                name = _create_trial(f, task, nominal_rate_hz, input_kind, channels, units,
                                     attrs)
            except BaseException:
                f.close()
                raise
            self._f, self._trial, self._n = f, f["trials"][name], 0
            self._last_flush = time.monotonic()
            return name
        tmp = temp_beside(self.path, "trial.")
        f = None
        try:
            shutil.copyfile(self.path, tmp)
            f = h5py.File(tmp, "r+", libver="latest")
            name = _create_trial(f, task, nominal_rate_hz, input_kind, channels, units, attrs)
            f.flush()
            f.swmr_mode = True  # before the rename: the file never shows a plain writer's flag
            fsync_file(tmp)
            if os.name == "posix":
                os.replace(tmp, self.path)  # the open file simply gets the session's name
            else:  # pragma: no cover (Windows renames no open file)
                f.close()
                os.replace(tmp, self.path)
                f = h5py.File(self.path, "r+", libver="latest")
                f.swmr_mode = True
            fsync_folder(self.path.parent)
        except BaseException:
            if f is not None:
                f.close()
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._f = f
        self._trial = f["trials"][name]
        self._n = 0
        self._last_flush = time.monotonic()
        return name

    def append(self, **columns: np.ndarray) -> None:
        """Append samples to the recording trial: equal-length arrays per channel.

        ``t`` is required; channels of the trial not given are filled with NaN (0 for
        ``state``). Non-finite timestamps are refused (ValueError), nothing written.
        """
        g = self._trial
        if g is None:
            raise RuntimeError("no trial is recording; call begin_trial first")
        t = np.atleast_1d(np.asarray(columns.get("t"), dtype=np.float64))
        k = t.size
        if k == 0:
            self.flush_if_due()
            return
        if not np.all(np.isfinite(t)):
            raise ValueError("non-finite timestamp in appended samples")
        unknown = set(columns) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(sorted(unknown))}")
        block_bytes = 8 * k * len(g)  # at most 8 bytes per value of each channel
        if self._unchecked_bytes + block_bytes > self.min_free_bytes // 4:
            self._check_space(incoming=block_bytes, incoming_samples=k)  # before it is written
        n = self._n
        for c in CHANNELS:
            if c not in g:
                continue
            ds = g[c]
            values = columns.get(c)
            if values is None:
                values = (np.zeros(k) if c in ("state", "pointer")
                          else np.full(k, np.nan))
            values = np.atleast_1d(np.asarray(values))
            if values.size != k:
                raise ValueError(f"channel {c} has {values.size} samples, t has {k}")
            ds.resize((n + k,))
            ds[n:] = values
        self._n = n + k
        self._unchecked_bytes += block_bytes
        if self._unchecked_bytes > self.min_free_bytes // 4:
            self._check_space()  # a burst of samples: look before the next flush
        self.flush_if_due()

    def flush_if_due(self) -> bool:
        """Flush if ``flush_interval_s`` has passed since the last flush."""
        if self._trial is None:
            return False
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()
            self._check_space()
            return True
        return False

    def free_bytes(self) -> int:
        """Free space of the disk holding the session file, in bytes."""
        return shutil.disk_usage(self.path.parent).free

    def _check_space(self, incoming: int = 0, incoming_samples: int = 0) -> None:
        """Stop the recording cleanly (trial aborted, file valid) when the disk runs low, or
        would after writing `incoming` more bytes: HDF5 that meets a full disk mid-write
        breaks the file (a block of 50,000 samples overshot a 4 MiB reserve), so a block too
        large for the room left is not written at all."""
        self._unchecked_bytes = 0
        free = self.free_bytes()
        if free - incoming >= self.min_free_bytes:
            return
        n = self._n
        if incoming_samples:
            free_text = f"{free >> 10} KiB free, {incoming_samples} more samples would not fit"
            try:
                self.end_trial("aborted", compute_features=False, attrs={
                    "abort_reason": f"disk almost full ({free_text})"})
            except OSError:
                pass
            raise DiskSpaceError(f"{self.path}: disk almost full ({free_text}): recording "
                                 f"stopped, its {n} samples are saved, the last "
                                 f"{incoming_samples} were not written")
        try:
            self.end_trial("aborted", compute_features=False,
                           attrs={"abort_reason": f"disk almost full ({free >> 10} KiB free)"})
        except OSError:  # no room even to close it: it stays interrupted, samples on disk
            pass
        raise DiskSpaceError(f"{self.path}: disk almost full ({free >> 10} KiB free): recording "
                             f"stopped, its {n} samples are saved")

    def flush(self) -> None:
        """Write everything appended so far to the file (readers see it)."""
        if self._f is not None:
            self._f.flush()
        self._last_flush = time.monotonic()

    def end_trial(self, status: str = "complete", compute_features: bool = True,
                  attrs: Mapping[str, Any] | None = None) -> dict[str, float] | None:
        """Close the recording trial: close the file (leaving SWMR mode), then set the
        trial's status and, in a second atomic replacement, cache its features.

        A kill before the status is saved leaves the trial interrupted with every sample
        flushed (readers show it ``aborted``, :data:`INTERRUPTED`); a kill before its
        features are saved leaves them to be computed by the reader.

        Returns
        -------
        dict or None
            The trial's features (None if not computed or if the trial cannot be analyzed).
        """
        if status not in TRIAL_STATUSES:
            raise ValueError(f"status must be one of {TRIAL_STATUSES}")
        g = self._trial
        if g is None:
            raise RuntimeError("no trial is recording")
        name = g.name.rsplit("/", 1)[-1]
        n = self._n
        self.flush()
        self._trial = None
        f, self._f = self._f, None
        f.close()  # a clean close: the file is whole and unflagged on disk
        ended = _now()
        extra = {k: v if isinstance(v, int | float | str) else json.dumps(v)
                 for k, v in (attrs or {}).items()}

        def close_trial(f: h5py.File) -> None:
            g = f["trials"][name]
            g.attrs.update({"status": status, "ended": ended, "n_samples": n, **extra})

        self._modify(close_trial)
        if compute_features and n:
            return self._store_features(name)
        return None

    def _store_features(self, name: str) -> dict[str, float] | None:
        """Compute the trial's features from the file and cache them in it."""
        from ..analysis.features import ANALYSIS_VERSION, extract_features

        with h5py.File(self.path, "r") as f:
            g = f["trials"][name]
            channels = {c: np.asarray(g[c][...]) for c in CHANNELS if c in g}
            cal = Calibration.from_attrs(f["calibration"].attrs)
            task = _attr_str(g.attrs, "task", "free")
            guide = trial_guide_mm(g.attrs, cal)
        try:
            rec = channels_to_recording(channels, cal)
            features = extract_features(rec, task=task, guide_xy_mm=guide)
        except (RecordingError, ValueError) as exc:
            reason = one_line(exc)
            self._modify(lambda f: f["trials"][name].attrs.__setitem__("analysis_error",
                                                                       reason))
            return None
        self._modify(lambda f: write_features(f["trials"][name], features, ANALYSIS_VERSION))
        return features

    def supersede(self, trial: str, by: str) -> None:
        """Mark `trial` superseded by the redo `by`; nothing is deleted."""
        def mark(f: h5py.File) -> None:
            g = f["trials"][trial]
            g.attrs["status"] = "superseded"
            g.attrs["superseded_by"] = by

        self._modify(mark)

    def set_trial_attrs(self, trial: str, attrs: Mapping[str, str | int | float]) -> None:
        """Add or replace attributes of an ended trial (e.g. an import's ``scale_warning``),
        in one atomic change of the file."""
        def update(f: h5py.File) -> None:
            f["trials"][trial].attrs.update(dict(attrs))

        self._modify(update)

    def mark_unusable(self, trial: str, reason: str) -> None:
        """Mark a saved trial ``aborted`` because it failed its checks (too short, pen never
        down ...): `reason` becomes its ``abort_reason``; samples and cached features are
        kept, but progress, report and export (which use complete trials) no longer do."""
        def mark(f: h5py.File) -> None:
            g = f["trials"][trial]
            if _attr_str(g.attrs, "status") not in ("complete", "aborted"):
                raise ValueError(f"trial {trial} is {_attr_str(g.attrs, 'status')}: only a "
                                 "complete trial can be marked unusable")
            g.attrs.update({"status": "aborted", "abort_reason": str(reason)})

        self._modify(mark)

    def reinstate(self, trial: str, instead_of: str) -> None:
        """Undo a redo: `trial` (superseded by `instead_of`) becomes ``complete`` again and
        `instead_of` is marked ``superseded`` by it; nothing is deleted.

        Raises
        ------
        ValueError
            If `trial` is not superseded by `instead_of`.
        """
        def undo(f: h5py.File) -> None:
            old, new = f["trials"][trial], f["trials"][instead_of]
            if (_attr_str(old.attrs, "status") != "superseded"
                    or _attr_str(old.attrs, "superseded_by") != instead_of):
                raise ValueError(f"trial {trial} is not superseded by {instead_of}")
            old.attrs["status"] = "complete"
            del old.attrs["superseded_by"]
            new.attrs.update({"status": "superseded", "superseded_by": trial})

        self._modify(undo)

    # -- clinical scales and treatment events
    def add_clinical(self, scale: str, items: Mapping[str, float], date: str, rater: str = "",
                     level_pct: int | None = None) -> float:
        """Store a clinical scale entry; returns its score (ADDS computed, WCRS summed)."""
        if scale not in CLINICAL_SCALES:
            raise ValueError(f"scale must be one of {CLINICAL_SCALES}")
        return self._put_clinical(None, scale, items, date, rater, level_pct)

    def replace_clinical(self, name: str, scale: str, items: Mapping[str, float], date: str,
                         rater: str = "", level_pct: int | None = None) -> float:
        """Correct the stored entry `name` (``"001"`` ...): same arguments as
        :meth:`add_clinical`; returns the new score. KeyError if there is no such entry."""
        return self._put_clinical(name, scale, items, date, rater, level_pct)

    def remove_clinical(self, name: str) -> None:
        """Delete the clinical entry `name` (entered by mistake); KeyError if absent."""
        def remove(f: h5py.File) -> None:
            if name not in f.get("clinical", {}):
                raise KeyError(f"no clinical entry {name!r}")
            del f["clinical"][name]

        self._modify(remove)

    def _put_clinical(self, name: str | None, scale: str, items: Mapping[str, float],
                      date: str, rater: str, level_pct: int | None) -> float:
        if scale not in CLINICAL_SCALES:
            raise ValueError(f"scale must be one of {CLINICAL_SCALES}")
        score = adds_score(items, level_pct) if scale == "ADDS" else float(sum(items.values()))

        def put(f: h5py.File) -> None:
            grp = f.require_group("clinical")
            if name is None:
                g = grp.create_group(_next_name(grp))
            elif name in grp:
                g = grp[name]
            else:
                raise KeyError(f"no clinical entry {name!r}")
            g.attrs.update({"scale": scale, "date": date, "rater": rater,
                            "items": json.dumps(dict(items)), "score": score})

        self._modify(put)
        return score

    def remove_event(self, index: int) -> None:
        """Delete the treatment event at `index` (0-based, in the order
        :func:`load_session` lists them); IndexError if absent."""
        def remove(f: h5py.File) -> None:
            names = sorted(f.get("events", {}))
            del f["events"][names[index]]

        self._modify(remove)

    def add_event(self, kind: str, date: str, muscles: list[str] | None = None,
                  dose_units: float | None = None, notes: str = "", product: str = "",
                  doses_units: Mapping[str, float | None] | None = None) -> None:
        """Store a treatment event (botulinum toxin with muscles and dose, training...).

        ``dose_units`` is the total in U; ``product`` the toxin product (units of different
        products are not interchangeable); ``doses_units`` the dose per muscle in U (None,
        or NaN, where unknown). Validate first with
        :func:`kinewrite.clinical_scales.treatment_event`.
        """
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {EVENT_KINDS}")
        doses = {}
        for m, v in (doses_units or {}).items():
            dose = None if v is None else float(v)
            doses[str(m)] = None if dose is None or math.isnan(dose) else dose
        if any(v is not None and not 0 <= v < math.inf for v in doses.values()):
            raise ValueError(f"per-muscle doses must be finite and >= 0 U, got {doses}")

        def add(f: h5py.File) -> None:
            grp = f.require_group("events")
            g = grp.create_group(_next_name(grp))
            g.attrs.update({"kind": kind, "date": date,
                            "muscles": json.dumps(list(muscles or [])),
                            "dose_units": np.nan if dose_units is None else float(dose_units),
                            "product": str(product), "doses_units": json.dumps(doses),
                            "notes": notes})

        self._modify(add)


def _next_name(group: h5py.Group) -> str:
    """The next free ``NNN`` name of a group whose members may have been deleted."""
    numbers = [int(n) for n in group if n.isdigit()]
    return f"{max(numbers, default=0) + 1:03d}"


def _create_trial(f: h5py.File, task: str, nominal_rate_hz: float, input_kind: str,
                  channels: tuple[str, ...], units: Mapping[str, str] | None,
                  attrs: Mapping[str, Any] | None) -> str:
    """Create the next trial group of `f` with its empty channels; returns its name."""
    trials = f.require_group("trials")
    name = f"{len(trials) + 1:03d}"
    g = trials.create_group(name)
    g.attrs.update({
        "task": task, "status": "recording", "started": _now(), "ended": "",
        "nominal_rate_hz": float(nominal_rate_hz), "input": input_kind, "superseded_by": "",
        "n_samples": 0,
    })
    for k, v in (attrs or {}).items():
        g.attrs[k] = v if isinstance(v, int | float | str | np.ndarray) else json.dumps(v)
    wanted = set(channels) | {"t", "x", "y"}
    for c, (dtype, unit) in CHANNELS.items():
        if c in wanted:
            ds = g.create_dataset(c, shape=(0,), maxshape=(None,), dtype=dtype,
                                  chunks=(CHUNK,))
            ds.attrs["unit"] = (units or {}).get(c, unit)
    return name


def write_features(group: h5py.Group, features: Mapping[str, float], version: str) -> None:
    """(Re)write a trial's cached feature row.

    The row is stored twice in ``/trials/NNN/features``: one float attribute per feature
    (what every reader of format v1 reads), and the same row as one float64 dataset
    ``values`` whose attribute ``names`` (array of str) names its entries; a summary reader
    gets it in three reads instead of one per feature (:func:`read_feature_row`; ~60
    attribute reads cost ~2.5 ms a trial).
    """
    if "features" in group:
        del group["features"]  # a cache, recomputed: not user data
    fg = group.create_group("features")
    fg.attrs["analysis_version"] = version
    fg.attrs["computed"] = _now()
    names = list(features)
    values = np.array([float(features[k]) for k in names], dtype=np.float64)
    for k, v in zip(names, values, strict=True):
        fg.attrs[k] = float(v)
    ds = fg.create_dataset(FEATURE_VALUES, data=values)
    ds.attrs.create(FEATURE_NAMES, np.array(names, dtype=object), shape=(len(names),),
                    dtype=_STR)


#: The compact row inside ``/trials/NNN/features``: dataset ``values``, its attribute ``names``.
FEATURE_VALUES, FEATURE_NAMES = "values", "names"
_NOT_FEATURES = ("analysis_version", "computed")


def _features_from_attrs(g: h5py.Group) -> tuple[dict[str, float] | None, str | None]:
    """A trial group's cached features from the attributes, in registry order, and version."""
    if "features" not in g:
        return None, None
    fa = g["features"].attrs
    fversion = _attr_str(fa, "analysis_version")
    stored = {k: float(v) for k, v in fa.items() if k not in _NOT_FEATURES}
    order = {name: i for i, name in enumerate(_feature_order())}
    return dict(sorted(stored.items(), key=lambda kv: order.get(kv[0], len(order)))), fversion


_STR = h5py.string_dtype()
_STR_MEMTYPE = h5py.h5t.py_create(_STR)
_F8_MEMTYPE = h5py.h5t.py_create(np.dtype(np.float64))


def _scalar_attr(obj: h5py.HLObject | h5py.h5g.GroupID, name: str, kind: type,
                 default: Any = None) -> Any:
    """One scalar attribute read through h5py's low-level API (~9 µs instead of ~42 µs).

    `obj` is an h5py object or a low-level group id; `kind` is ``str`` or ``float`` (any
    stored number converts to float64). An attribute stored otherwise (fixed-length bytes,
    an array) is read by the high-level API instead.
    """
    oid = obj if isinstance(obj, h5py.h5g.GroupID) else obj.id
    try:
        attr = h5py.h5a.open(oid, name.encode())
    except KeyError:
        return default
    try:
        if kind is str:
            out = np.empty((), dtype=_STR)
            attr.read(out, mtype=_STR_MEMTYPE)
        else:
            out = np.empty((), dtype=np.float64)
            attr.read(out, mtype=_F8_MEMTYPE)
        value = out[()]
    except (TypeError, ValueError, OSError):
        holder = h5py.Group(oid) if isinstance(obj, h5py.h5g.GroupID) else obj
        value = holder.attrs[name]
    if kind is str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return float(value)


def read_feature_row(g: h5py.Group | h5py.h5g.GroupID,
                     ) -> tuple[dict[str, float] | None, str | None]:
    """A trial's cached features and their analysis version, reading no sample.

    Reads the compact ``names``/``values`` datasets that :func:`write_features` stores; a
    file written before they existed (format v1 still) falls back to the attributes. The
    result equals the features of :func:`load_session`'s trial (same values, registry order).

    Parameters
    ----------
    g : h5py.Group or h5py.h5g.GroupID
        A ``/trials/NNN`` group (or its low-level id, which saves ~20 µs).

    Returns
    -------
    features : dict of str to float, or None
        None if the trial has no cached features.
    version : str or None
        The analysis version that computed them.

    Raises
    ------
    InputError
        If the row is stored elsewhere (:func:`refuse_foreign_dataset`), declares more than
        it stores (:func:`refuse_inflated_dataset`, as channels), is not a 1-D row of
        numbers, or holds more than 10 times as many values as the registry has features.
    """
    gid = g if isinstance(g, h5py.h5g.GroupID) else g.id
    try:
        fid = h5py.h5g.open(gid, b"features")
    except (KeyError, ValueError):  # h5py raises ValueError for a missing group
        return None, None
    try:
        ds = h5py.h5d.open(fid, FEATURE_VALUES.encode())
        path = Path(h5py.h5f.get_name(ds).decode(errors="replace"))
        refuse_foreign_dataset(ds, path)
        refuse_inflated_dataset(ds, path)
        longest = 10 * len(_feature_rank())  # checked before the row is allocated
        if (len(ds.shape) != 1 or ds.shape[0] > longest
                or ds.get_type().get_class() not in (h5py.h5t.FLOAT, h5py.h5t.INTEGER)):
            name = h5py.h5i.get_name(ds).decode(errors="replace")
            raise InputError(f"{path}: {name} is not a row of at most {longest} numbers "
                             f"(shape {ds.shape}): damaged or hostile file")
        values = np.empty(ds.shape, dtype=np.float64)
        ds.read(h5py.h5s.ALL, h5py.h5s.ALL, values, mtype=_F8_MEMTYPE)
        attr = h5py.h5a.open(ds, FEATURE_NAMES.encode())
        names = None
        if attr.shape == ds.shape:  # compared before the names are allocated
            names = np.empty(attr.shape, dtype=_STR)
            attr.read(names, mtype=_STR_MEMTYPE)
    except KeyError:  # a file written before the compact row existed (still format v1)
        names = values = None
    if names is None:  # no (usable) compact row: the attributes are the cache
        return _features_from_attrs(h5py.Group(gid))
    version = _scalar_attr(fid, "analysis_version", str, "")
    stored = dict(zip((n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
                       for n in names.tolist()), values.tolist(), strict=True))
    order = _feature_rank()
    ranks = [order.get(k, len(order)) for k in stored]
    if all(a < b for a, b in itertools.pairwise(ranks)):
        return stored, version  # written in registry order (the usual case): no sort
    return dict(sorted(stored.items(), key=lambda kv: order.get(kv[0], len(order)))), version


def _feature_rank() -> dict[str, int]:
    global _RANK
    if _RANK is None:
        _RANK = {name: i for i, name in enumerate(_feature_order())}
    return _RANK


_RANK: dict[str, int] | None = None
