"""The one reader of the session format: :func:`load_session` and what it returns.

A session file (layout in :mod:`kinewrite.storage.schema`, ``docs/file-format.md``) is read
whole (every trial's samples, cached features, scales and events) after the hostile-file
checks of :mod:`kinewrite.storage.trust`; a file left by a writer that died is read without
being changed (:mod:`kinewrite.storage.opening`). The features-only summary of a study is
:mod:`kinewrite.storage.study`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..clinical.events import TreatmentEvent, event_from_attrs
from ..clinical.scales import ClinicalEntry
from ..errors import InputError, one_line
from ..model import Recording
from .attrs import attr_str
from .calibration import Calibration, trial_guide_mm
from .feature_row import read_feature_row
from .naming import protocol_task_of
from .opening import INTERRUPTED, OpenedSession, open_session_file, recovery_note
from .schema import CHANNELS, FORMAT, FORMAT_VERSION, SESSION_FIELDS, STATE_TOUCH
from .trust import refuse_foreign_data, refuse_foreign_dataset, refuse_inflated_dataset

__all__ = ["Session", "StoredTrial", "Trial", "channels_to_recording", "load_session",
           "read_stored_trial"]


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



def _read(opened: OpenedSession, path: Path) -> Session:
    f = opened.file
    if attr_str(f.attrs, "format") != FORMAT:
        raise InputError(f"{path}: not a kinewrite session (HDF5 without format={FORMAT!r})")
    version = int(f.attrs.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise InputError(
            f"{path}: session format v{version} is newer than this kinewrite reads "
            f"(v{FORMAT_VERSION}); upgrade kinewrite"
        )
    cal = Calibration.from_attrs(f["calibration"].attrs) if "calibration" in f else Calibration()
    metadata = {k: attr_str(f.attrs, k) for k in SESSION_FIELDS if k in f.attrs}
    session = Session(
        path=path, session_id=attr_str(f.attrs, "session_id"),
        patient_code=attr_str(f.attrs, "patient_code"), created=attr_str(f.attrs, "created"),
        format_version=version, software_version=attr_str(f.attrs, "software_version"),
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
            scale=attr_str(a, "scale"), date=attr_str(a, "date"), rater=attr_str(a, "rater"),
            items=json.loads(attr_str(a, "items", "{}")), score=float(a.get("score", np.nan)),
            name=name,
        ))
    for name in sorted(f.get("events", {})):
        a = f["events"][name].attrs
        session.events.append(event_from_attrs(
            attr_str(a, "kind"), attr_str(a, "date"), attr_str(a, "muscles", "[]"),
            float(a.get("dose_units", np.nan)), attr_str(a, "notes"),
            attr_str(a, "product") if "product" in a else None,
            attr_str(a, "doses_units", "{}"),
        ))
    session.recovery = recovery_note(path, opened.left_open, interrupted)
    session.recovered_from_crash = bool(session.recovery)
    return session


@dataclass(frozen=True)
class StoredTrial:
    """What an analysis of one stored trial needs, read from its file (see
    :func:`read_stored_trial`): raw ``channels``, the session ``calibration``, the ``task``
    and the guide shown while recording (``guide_mm``, None if none)."""

    channels: dict[str, np.ndarray]
    calibration: Calibration
    task: str
    guide_mm: np.ndarray | None

    @property
    def n_samples(self) -> int:
        return int(self.channels["t"].size) if "t" in self.channels else 0

    def recording(self) -> Recording:
        """The trial as a :class:`Recording` (:func:`channels_to_recording`).

        Raises
        ------
        RecordingError
            If the stored samples are not a valid recording.
        """
        return channels_to_recording(self.channels, self.calibration)


def read_stored_trial(path: str | os.PathLike[str], name: str) -> StoredTrial:
    """Read one trial of a closed session file for its analysis (every channel stored, the
    calibration, task and guide), as the writer left it."""
    with h5py.File(path, "r") as f:
        g = f["trials"][name]
        channels = {c: np.asarray(g[c][...]) for c in CHANNELS if c in g}
        cal = Calibration.from_attrs(f["calibration"].attrs)
        return StoredTrial(channels=channels, calibration=cal,
                           task=attr_str(g.attrs, "task", "free"),
                           guide_mm=trial_guide_mm(g.attrs, cal))
