"""Treatment events: botulinum toxin (product, muscles, doses), pen-grip training, other.

Units of different toxin products are **not interchangeable** (e.g. onabotulinumtoxinA vs
abobotulinumtoxinA), so a dose without its product is meaningless: the product is required.
The session file stores ``kind, date, muscles, dose_units, product, doses_units, notes``
(events written before ``product`` and ``doses_units`` were attributes kept them in a tagged
line of ``notes``; :func:`split_legacy_event_notes` reads it). Muscle list after [6]_ of
:mod:`kinewrite.clinical.scales`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ClinicalInputError
from .scales import validate_date

__all__ = [
    "BOTULINUM_PRODUCTS",
    "EVENT_KINDS",
    "EVENT_LABELS",
    "TOXIN_MUSCLES",
    "TreatmentEvent",
    "event_from_attrs",
    "split_legacy_event_notes",
    "treatment_event",
]

EVENT_KINDS = ("botulinum_toxin", "pen_grip_training", "other")


#: What the event form calls each kind of ``EVENT_KINDS``.
EVENT_LABELS: dict[str, str] = {
    "botulinum_toxin": "Botulinum toxin injection",
    "pen_grip_training": "Pen-grip training",
    "other": "Other",
}

#: Products: units are product-specific and not interchangeable.
BOTULINUM_PRODUCTS: tuple[str, ...] = (
    "onabotulinumtoxinA (Botox)",
    "abobotulinumtoxinA (Dysport)",
    "incobotulinumtoxinA (Xeomin)",
    "rimabotulinumtoxinB (Myobloc/NeuroBloc)",
)

#: Forearm, hand and arm muscles commonly injected for writer's cramp (e.g. [6]_); the form
#: also takes free text.
TOXIN_MUSCLES: tuple[str, ...] = (
    "flexor carpi radialis",
    "flexor carpi ulnaris",
    "flexor digitorum superficialis",
    "flexor digitorum profundus",
    "flexor pollicis longus",
    "extensor carpi radialis",
    "extensor carpi ulnaris",
    "extensor digitorum",
    "extensor indicis",
    "extensor pollicis longus",
    "abductor pollicis longus",
    "pronator teres",
    "pronator quadratus",
    "supinator",
    "brachioradialis",
    "first dorsal interosseous",
    "adductor pollicis",
    "opponens pollicis",
    "lumbricals",
    "biceps brachii",
    "triceps brachii",
    "deltoid",
)

_MAX_DOSE_U = 2000.0  # per entry; far above any writer's-cramp session, catches typos


def _check_dose(value: float, what: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0 or v > _MAX_DOSE_U:
        raise ClinicalInputError(f"{what} must be a positive number of units up to "
                                 f"{_MAX_DOSE_U:g} U, got {value!r}")
    return v


def _check_muscle(name: str) -> str:
    m = " ".join(str(name).split())
    if not m or len(m) > 80 or any(c in m for c in ";=\n"):
        raise ClinicalInputError(f"muscle name {name!r} refused: 1-80 characters, no ';' or '='")
    return m


def treatment_event(kind: str, date: str, *, doses_units: Mapping[str, float | None] | None = None,
                    total_units: float | None = None, product: str = "",
                    notes: str = "") -> dict[str, object]:
    """Validate a treatment event; return the kwargs of ``SessionWriter.add_event``.

    Parameters
    ----------
    kind : {'botulinum_toxin', 'pen_grip_training', 'other'}
    date : str
        ISO date (YYYY-MM-DD), not in the future.
    doses_units : mapping muscle -> dose in U (or None if only the total is known), optional
        Injected muscles (toxin only).
    total_units : float, optional
        Total dose in U. Defaults to the sum of the per-muscle doses when all are given; must
        equal it (within 0.01 U) when both are given.
    product : str
        Toxin product; required for a toxin event (units differ between products).
    notes : str
        Free notes.

    Returns
    -------
    dict
        ``kind, date, muscles, dose_units`` (total in U), ``product``, ``doses_units``
        (muscle -> dose in U, None where unknown) and ``notes``.

    Examples
    --------
    >>> ev = treatment_event("botulinum_toxin", "2024-03-01", product="onabotulinumtoxinA (Botox)",
    ...                      doses_units={"flexor carpi radialis": 20, "pronator teres": 15})
    >>> ev["muscles"], ev["dose_units"], ev["product"]
    (['flexor carpi radialis', 'pronator teres'], 35.0, 'onabotulinumtoxinA (Botox)')
    """
    if kind not in EVENT_KINDS:
        raise ClinicalInputError(f"event kind must be one of {', '.join(EVENT_KINDS)}, "
                                 f"got {kind!r}")
    date = validate_date(date, "event date")
    doses_units = dict(doses_units or {})
    if kind != "botulinum_toxin":
        if doses_units or total_units is not None or product:
            raise ClinicalInputError(f"a {EVENT_LABELS[kind].lower()} event has no muscles, "
                                     "dose or product")
        return {"kind": kind, "date": date, "muscles": [], "dose_units": None,
                "product": "", "doses_units": {}, "notes": notes.strip()}
    if not product.strip():
        raise ClinicalInputError("botulinum toxin: the product is required (units of "
                                 "different products are not interchangeable)")
    if not doses_units:
        raise ClinicalInputError("botulinum toxin: name at least one injected muscle")
    per_muscle: dict[str, float | None] = {}
    for name, dose in doses_units.items():
        m = _check_muscle(name)
        if m in per_muscle:
            raise ClinicalInputError(f"botulinum toxin: muscle {m!r} listed twice")
        per_muscle[m] = None if dose is None else _check_dose(dose, f"dose in {m}")
    known = {k: v for k, v in per_muscle.items() if v is not None}
    unknown_dose = len(known) < len(per_muscle)
    if total_units is not None:
        total = _check_dose(total_units, "total dose")
        if not unknown_dose and abs(total - sum(known.values())) > 0.01:
            raise ClinicalInputError(
                f"botulinum toxin: total {total:g} U differs from the sum of the per-muscle "
                f"doses {sum(known.values()):g} U")
    elif not unknown_dose:
        total = sum(known.values())
    else:
        raise ClinicalInputError("botulinum toxin: give a dose for every muscle or the total")
    return {"kind": kind, "date": date, "muscles": list(per_muscle), "dose_units": total,
            "product": product.strip(), "doses_units": per_muscle, "notes": notes.strip()}


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
