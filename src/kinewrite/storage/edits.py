"""The changes a session writer makes between trials, each one atomic replacement of the file.

A redo (:meth:`SessionEdits.supersede`, :meth:`SessionEdits.reinstate`), a trial marked
unusable, extra trial attributes, the trial's cached features as the caller computed them
(:meth:`SessionEdits.store_features`: storage never computes them), clinical scales and
treatment events. :class:`~kinewrite.storage.writer.SessionWriter` provides ``_modify``
(a copy that replaces the file, :func:`~kinewrite.storage.recovery.modify_session`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TypeVar

import h5py
import numpy as np

from ..clinical.events import EVENT_KINDS
from ..clinical.scales import CLINICAL_SCALES, adds_score
from .attrs import attr_str
from .feature_row import write_features

__all__ = ["SessionEdits", "next_member_name"]

T = TypeVar("T")


class SessionEdits:
    """The between-trials changes of :class:`~kinewrite.storage.writer.SessionWriter`."""

    def _modify(self, change: Callable[[h5py.File], T]) -> T:
        """Apply `change` to the file as one atomic change (the writer's)."""
        raise NotImplementedError

    def store_features(self, trial: str, features: Mapping[str, float],
                       analysis_version: str) -> None:
        """Cache an ended trial's features, as computed by the caller, in one atomic change
        (:func:`~kinewrite.storage.feature_row.write_features`: the row in its order)."""
        self._modify(lambda f: write_features(f["trials"][trial], features, analysis_version))

    def store_analysis_error(self, trial: str, reason: str) -> None:
        """Record, as the trial's ``analysis_error``, why its analysis failed (one line)."""
        self._modify(lambda f: f["trials"][trial].attrs.__setitem__("analysis_error", reason))

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
            if attr_str(g.attrs, "status") not in ("complete", "aborted"):
                raise ValueError(f"trial {trial} is {attr_str(g.attrs, 'status')}: only a "
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
            if (attr_str(old.attrs, "status") != "superseded"
                    or attr_str(old.attrs, "superseded_by") != instead_of):
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
                g = grp.create_group(next_member_name(grp))
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
        :func:`kinewrite.clinical.events.treatment_event`.
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
            g = grp.create_group(next_member_name(grp))
            g.attrs.update({"kind": kind, "date": date,
                            "muscles": json.dumps(list(muscles or [])),
                            "dose_units": np.nan if dose_units is None else float(dose_units),
                            "product": str(product), "doses_units": json.dumps(doses),
                            "notes": notes})

        self._modify(add)



def next_member_name(group: h5py.Group) -> str:
    """The next free ``NNN`` name of a group whose members may have been deleted."""
    numbers = [int(n) for n in group if n.isdigit()]
    return f"{max(numbers, default=0) + 1:03d}"

