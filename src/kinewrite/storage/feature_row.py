"""A trial's cached feature row: written as given, read back in the order it was stored.

Storage never computes features: the caller (the recorder, the CLI, an import, through
:mod:`kinewrite.trial_features`) asks analysis and hands the row over. The row is stored twice
in ``/trials/NNN/features``: one float attribute per feature (what every reader of format v1
reads), and the same row as one float64 dataset ``values`` whose attribute ``names`` (array
of str) names its entries, in the order the analysis gave them; a summary reader gets it in
three reads instead of one per feature (~60 attribute reads cost ~2.5 ms a trial).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from ..errors import InputError
from .attrs import STR_DTYPE, attr_str, now_utc, read_f8, read_str, scalar_attr
from .schema import FEATURE_NAMES, FEATURE_VALUES, FEATURES_GROUP, MAX_FEATURE_ROW, NOT_FEATURES
from .trust import refuse_foreign_dataset, refuse_inflated_dataset

__all__ = ["features_from_attrs", "read_feature_row", "write_features"]


def write_features(group: h5py.Group, features: Mapping[str, float], version: str) -> None:
    """(Re)write a trial's cached feature row, in the order of `features`.

    Parameters
    ----------
    group : h5py.Group
        The ``/trials/NNN`` group.
    features : mapping of str to float
        The row, as the analysis returned it (its order is kept).
    version : str
        The analysis version that computed it (attribute ``analysis_version``).
    """
    if FEATURES_GROUP in group:
        del group[FEATURES_GROUP]  # a cache, recomputed: not user data
    fg = group.create_group(FEATURES_GROUP)
    fg.attrs["analysis_version"] = version
    fg.attrs["computed"] = now_utc()
    names = list(features)
    values = np.array([float(features[k]) for k in names], dtype=np.float64)
    for k, v in zip(names, values, strict=True):
        fg.attrs[k] = float(v)
    ds = fg.create_dataset(FEATURE_VALUES, data=values)
    ds.attrs.create(FEATURE_NAMES, np.array(names, dtype=object), shape=(len(names),),
                    dtype=STR_DTYPE)


def features_from_attrs(g: h5py.Group) -> tuple[dict[str, float] | None, str | None]:
    """A trial group's cached features from the attributes (a file written before the
    compact row existed), in HDF5's order of attribute names, and their version."""
    if FEATURES_GROUP not in g:
        return None, None
    fa = g[FEATURES_GROUP].attrs
    fversion = attr_str(fa, "analysis_version")
    return {k: float(v) for k, v in fa.items() if k not in NOT_FEATURES}, fversion


def read_feature_row(g: h5py.Group | h5py.h5g.GroupID,
                     ) -> tuple[dict[str, float] | None, str | None]:
    """A trial's cached features and their analysis version, reading no sample.

    Reads the compact ``names``/``values`` datasets that :func:`write_features` stores, in
    the order they were stored (the analysis's order); a file written before they existed
    (format v1 still) falls back to the attributes (:func:`features_from_attrs`). The result
    equals the features of :func:`~kinewrite.storage.reader.load_session`'s trial.

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
        If the row is stored elsewhere (:func:`~kinewrite.storage.trust.refuse_foreign_dataset`),
        declares more than it stores (:func:`~kinewrite.storage.trust.refuse_inflated_dataset`,
        as channels), is not a 1-D row of numbers, or holds more than
        :data:`~kinewrite.storage.schema.MAX_FEATURE_ROW` values.
    """
    gid = g if isinstance(g, h5py.h5g.GroupID) else g.id
    try:
        fid = h5py.h5g.open(gid, FEATURES_GROUP.encode())
    except (KeyError, ValueError):  # h5py raises ValueError for a missing group
        return None, None
    try:
        ds = h5py.h5d.open(fid, FEATURE_VALUES.encode())
        path = Path(h5py.h5f.get_name(ds).decode(errors="replace"))
        refuse_foreign_dataset(ds, path)
        refuse_inflated_dataset(ds, path)
        longest = MAX_FEATURE_ROW  # checked before the row is allocated
        if (len(ds.shape) != 1 or ds.shape[0] > longest
                or ds.get_type().get_class() not in (h5py.h5t.FLOAT, h5py.h5t.INTEGER)):
            name = h5py.h5i.get_name(ds).decode(errors="replace")
            raise InputError(f"{path}: {name} is not a row of at most {longest} numbers "
                             f"(shape {ds.shape}): damaged or hostile file")
        values = np.empty(ds.shape, dtype=np.float64)
        read_f8(ds, values)
        attr = h5py.h5a.open(ds, FEATURE_NAMES.encode())
        names = None
        if attr.shape == ds.shape:  # compared before the names are allocated
            names = np.empty(attr.shape, dtype=STR_DTYPE)
            read_str(attr, names)
    except KeyError:  # a file written before the compact row existed (still format v1)
        names = values = None
    if names is None or values is None:  # no (usable) compact row: the attributes are the cache
        return features_from_attrs(h5py.Group(gid))
    version = scalar_attr(fid, "analysis_version", str, "")
    stored = dict(zip((n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
                       for n in names.tolist()), values.tolist(), strict=True))
    return stored, version
