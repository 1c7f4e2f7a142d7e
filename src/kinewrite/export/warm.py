"""The warm export's reader: a session file whose cached features serve, read without the
samples the export does not use.

A warm export (features cached by this analysis version) needs of each trial its
attributes, its compact feature row and the two channels the trial checks read (``t`` and
``state``, :mod:`kinewrite.export.study_columns`); :func:`~kinewrite.storage.reader.
load_session` reads every channel of every trial through h5py's high-level objects, about
15 ms for a file of 5 trials, most of it per-object overhead. :func:`read_warm` opens the
file once and reads through h5py's low-level API (one id per object, attributes in one
pass), and gives the same :class:`~kinewrite.storage.reader.Session`, with only those two
channels in each trial's ``channels``.

It reads only a plain file: one that opens cleanly, holds no trial still ``recording``,
whose every channel is a 1-D array of numbers stored in the file and no longer than it
declares, whose attributes are scalars, and whose wanted trials' caches are valid. Anything
else (a damaged or hostile file, a crashed writer's, a cache to recompute) makes it return
None, and the export reads the file with ``load_session`` as before: every problem line,
recovery and recomputation stays that reader's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..analysis.features import ANALYSIS_VERSION, feature_names
from ..clinical.events import event_from_attrs
from ..clinical.scales import ClinicalEntry
from ..storage.calibration import Calibration
from ..storage.feature_row import read_feature_row
from ..storage.opening import recovery_note
from ..storage.reader import Session, Trial
from ..storage.schema import CHANNELS, FORMAT, FORMAT_VERSION, SESSION_FIELDS
from ..storage.trust import refuse_foreign_data, refuse_foreign_dataset, refuse_inflated_dataset
from .options import ExportOptions

__all__ = ["WARM_CHANNELS", "read_warm"]

#: The channels a warm export reads (the trial checks' clock and pen state).
WARM_CHANNELS = ("t", "state")

_STR_MEMTYPE = h5py.h5t.py_create(h5py.string_dtype())


class _NotPlain(Exception):
    """The file needs the full reader (never leaves this module)."""


def read_warm(path: str | os.PathLike[str], options: ExportOptions) -> Session | None:
    """The session at `path` as :func:`~kinewrite.storage.reader.load_session` reads it,
    with only :data:`WARM_CHANNELS` loaded; None if the file is not plain (see the module
    docstring) or `options` asks to recompute.

    Never raises for a file: whatever goes wrong here, the full reader reads it again and
    says what is wrong.
    """
    if options.recompute:
        return None
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:  # a file left open for write fails here: not plain
            return _read(f, path, options)
    except Exception:  # _NotPlain, or anything a damaged file raises: the full reader's
        return None


def _read(f: h5py.File, path: Path, options: ExportOptions) -> Session:
    top = _attrs(f.id)
    if _text(top, "format") != FORMAT or int(top.get("format_version", 0)) > FORMAT_VERSION:
        raise _NotPlain
    cal = Calibration.from_attrs(f["calibration"].attrs) if "calibration" in f else Calibration()
    session = Session(
        path=path, session_id=_text(top, "session_id"), patient_code=_text(top, "patient_code"),
        created=_text(top, "created"), format_version=int(top.get("format_version", 0)),
        software_version=_text(top, "software_version"),
        metadata={k: _text(top, k) for k in SESSION_FIELDS if k in top}, calibration=cal,
    )
    refuse_foreign_data(f, path)
    for name, gid in _children(f, "trials"):
        session.trials.append(_trial(gid, name, path, cal, options))
    for name, gid in _children(f, "clinical"):
        a = _attrs(gid)
        session.clinical.append(ClinicalEntry(
            scale=_text(a, "scale"), date=_text(a, "date"), rater=_text(a, "rater"),
            items=json.loads(_text(a, "items", "{}")), score=float(a.get("score", np.nan)),
            name=name,
        ))
    for _, gid in _children(f, "events"):
        a = _attrs(gid)
        session.events.append(event_from_attrs(
            _text(a, "kind"), _text(a, "date"), _text(a, "muscles", "[]"),
            float(a.get("dose_units", np.nan)), _text(a, "notes"),
            _text(a, "product") if "product" in a else None, _text(a, "doses_units", "{}"),
        ))
    session.recovery = recovery_note(path, False, [])
    session.recovered_from_crash = bool(session.recovery)
    return session


def _trial(gid: h5py.h5g.GroupID, name: str, path: Path, cal: Calibration,
           options: ExportOptions) -> Trial:
    attrs = _attrs(gid)
    status = str(attrs.get("status", "recording"))
    if status == "recording":  # live or interrupted: the full reader decides
        raise _NotPlain
    task = str(attrs.get("task", "free"))
    datasets = {}
    for c in CHANNELS:
        if gid.links.exists(c.encode()):
            ds = h5py.h5d.open(gid, c.encode())
            refuse_foreign_dataset(ds, path)
            refuse_inflated_dataset(ds, path)
            if len(ds.shape) != 1 or ds.dtype.kind not in "fiub":
                raise _NotPlain  # check_channels words the problem
            datasets[c] = ds
    n = min((ds.shape[0] for ds in datasets.values()), default=0)
    channels = {c: _head(ds, n) for c, ds in datasets.items() if c in WARM_CHANNELS}
    features, fversion = read_feature_row(gid)
    trial = Trial(
        name=name, task=task, status=status,
        started=str(attrs.get("started", "")), ended=str(attrs.get("ended", "")),
        nominal_rate_hz=float(attrs.get("nominal_rate_hz", float("nan"))),
        input=str(attrs.get("input", "")), superseded_by=str(attrs.get("superseded_by", "")),
        attrs=attrs, channels=channels, calibration=cal, features=features,
        features_version=fversion,
    )
    if options.wants(trial) and not (
            features is not None and fversion == ANALYSIS_VERSION
            and set(features) == set(feature_names(task))):
        raise _NotPlain  # features to compute: they need every channel
    return trial


def _children(f: h5py.File, group: str) -> list[tuple[str, h5py.h5g.GroupID]]:
    """(name, low-level group id) of the members of `group`, sorted; none if it is absent."""
    g = f.get(group)
    if g is None:
        return []
    if not isinstance(g, h5py.Group):
        raise _NotPlain
    return [(name, h5py.h5g.open(g.id, name.encode())) for name in sorted(g)]


def _attrs(oid: Any) -> dict[str, Any]:
    """Every attribute of an object, as h5py's ``attrs`` gives it (str, or a NumPy scalar),
    read in one pass through the low-level API (a quarter of the high-level cost)."""
    out: dict[str, Any] = {}
    for i in range(h5py.h5a.get_num_attrs(oid)):
        attr = h5py.h5a.open(oid, index=i)
        name = attr.name.decode("utf-8")
        if attr.shape != ():
            raise _NotPlain
        kind = attr.get_type().get_class()
        if kind == h5py.h5t.STRING and attr.get_type().is_variable_str():
            value = np.empty((), dtype=h5py.string_dtype())
            attr.read(value, mtype=_STR_MEMTYPE)
            text = value[()]
            out[name] = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        elif kind in (h5py.h5t.INTEGER, h5py.h5t.FLOAT):
            value = np.empty((), dtype=attr.dtype)
            attr.read(value)
            out[name] = value[()]
        else:
            raise _NotPlain
    return out


def _text(attrs: dict[str, Any], key: str, default: str = "") -> str:
    """An attribute as text, as the session reader gives it."""
    return str(attrs.get(key, default))


def _head(ds: h5py.h5d.DatasetID, n: int) -> np.ndarray:
    """The first `n` values of a 1-D dataset."""
    out = np.empty((n,), dtype=ds.dtype)
    if n:
        space = ds.get_space()
        space.select_hyperslab((0,), (n,))
        ds.read(h5py.h5s.create_simple((n,)), space, out)
    return out
