"""Creating what a session file holds: the new file itself, and each trial's empty channels.

The layout follows :mod:`kinewrite.storage.schema`;
:class:`~kinewrite.storage.writer.SessionWriter` calls these. A new session exists whole or
not at all (an atomic rename).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._atomic import atomic_output, private_folder
from .._version import __version__
from .attrs import now_utc
from .calibration import Calibration
from .codes import check_code_collision, validate_patient_code
from .naming import normalize_created, session_filename
from .recovery import remove_abandoned_new_sessions
from .schema import CHANNELS, CHUNK, FORMAT, FORMAT_VERSION, SESSION_FIELDS

__all__ = ["create_session_file", "create_trial", "write_new_session"]


def create_session_file(study_dir: str | os.PathLike[str], patient_code: str,
                        metadata: Mapping[str, Any] | None = None,
                        calibration: Calibration | None = None,
                        created: str | None = None) -> Path:
    """Create a new, empty session file in ``study_dir/<patient_code>/`` and return its path
    (arguments and errors as :meth:`~kinewrite.storage.writer.SessionWriter.create`)."""
    code = validate_patient_code(patient_code)
    created = now_utc() if created is None else normalize_created(created)
    meta = dict(metadata or {})
    unknown = sorted(set(meta) - set(SESSION_FIELDS))
    if unknown:
        raise ValueError(f"unknown session field(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(SESSION_FIELDS)}")
    check_code_collision(study_dir, code)  # wc-017 beside WC-017 is one patient on a disk
    folder = private_folder(Path(study_dir) / code)
    remove_abandoned_new_sessions(folder)
    session_id = uuid.uuid4().hex
    path = folder / session_filename(created, session_id)
    with atomic_output(path, tag="new.") as tmp:  # the session exists whole or not at all
        write_new_session(tmp, session_id, code, created, meta, calibration)
    return path


def write_new_session(tmp: Path, session_id: str, code: str, created: str,
                      meta: Mapping[str, Any], calibration: Calibration | None) -> None:
    """Write a new session's root attributes, calibration and empty groups into `tmp` (a
    file not yet renamed into place; `meta` and `created` already checked)."""
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


def create_trial(f: h5py.File, task: str, nominal_rate_hz: float, input_kind: str,
                 channels: tuple[str, ...], units: Mapping[str, str] | None,
                 attrs: Mapping[str, Any] | None) -> str:
    """Create the next trial group of `f` with its empty channels; returns its name."""
    trials = f.require_group("trials")
    name = f"{len(trials) + 1:03d}"
    g = trials.create_group(name)
    g.attrs.update({
        "task": task, "status": "recording", "started": now_utc(), "ended": "",
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
