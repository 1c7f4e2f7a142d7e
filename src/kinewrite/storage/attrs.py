"""Reading and stamping HDF5 attributes the way every reader and writer of a session does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import h5py
import numpy as np

__all__ = ["STR_DTYPE", "attr_str", "now_utc", "read_f8", "read_str", "scalar_attr"]

#: h5py's variable-length UTF-8 string type (attribute ``names`` of the compact row).
STR_DTYPE = h5py.string_dtype()
_STR_MEMTYPE = h5py.h5t.py_create(STR_DTYPE)
_F8_MEMTYPE = h5py.h5t.py_create(np.dtype(np.float64))


def now_utc() -> str:
    """Now as the file stores times: ISO 8601 UTC with milliseconds (``...T09:30:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def attr_str(attrs: Mapping[str, Any], key: str, default: str = "") -> str:
    """Attribute `key` as text (bytes decoded as UTF-8), `default` if absent."""
    v = attrs.get(key, default)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def read_f8(dataset_id: h5py.h5d.DatasetID | h5py.h5a.AttrID, out: np.ndarray) -> None:
    """Read a dataset or attribute into the float64 array `out` (any stored number)."""
    if isinstance(dataset_id, h5py.h5a.AttrID):
        dataset_id.read(out, mtype=_F8_MEMTYPE)
    else:
        dataset_id.read(h5py.h5s.ALL, h5py.h5s.ALL, out, mtype=_F8_MEMTYPE)


def read_str(attr: h5py.h5a.AttrID, out: np.ndarray) -> None:
    """Read a string attribute into the array `out` of :data:`STR_DTYPE`."""
    attr.read(out, mtype=_STR_MEMTYPE)


def scalar_attr(obj: h5py.HLObject | h5py.h5g.GroupID, name: str, kind: type,
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
            out = np.empty((), dtype=STR_DTYPE)
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
