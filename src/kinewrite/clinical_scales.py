"""Clinical scales, treatment events and session metadata choices: definitions and validation.

What the therapist's forms show and what they accept, with no Qt: the GUI
(:mod:`kinewrite.gui.metadata`, :mod:`kinewrite.gui.clinical`) builds its widgets from these
tables, and anything else (a script, an importer) can validate the same way before calling
:meth:`kinewrite.storage.session.SessionWriter.add_clinical` or ``add_event``.

Scales (docs/science.md §8)
----------------------
ADDS, the Arm Dystonia Disability Scale (Fahn [1]_): 100 % = unaware of any difficulty, 95 % =
aware of some movements, annoyed but not limited, 90 % = socially affected but independent; if
activities are limited, 7 activities are scored 0 (none, or not applicable) to 3 (marked) and
the score is ``90 - 90 * total / 21`` %. The 7 activities are Fahn's as reproduced with
permission in [2]_ (writing, playing a musical instrument, buttoning, handling utensils and
feeding, hygiene, grasping objects, housework or outside job); some authors reword three of
them (eating; shaving/teeth brushing; gardening) [2]_, [3]_.

WCRS, the Writer's Cramp Rating Scale (Wissel et al. [4]_): a writing-movement score (dystonic
posture, latency of its onset, tremor) and a writing-speed score, rated from video; total 0
(no impairment) to 30 [5]_. **Verified** from the sources at hand: the two subscores [4]_, that
posture is rated at the elbow, wrist and fingers, that latency and tremor are rated, and the
total range 0-30 [5]_. **Not verified**: the exact item list and per-item ranges of the
original appendix of [4]_, which could not be consulted. :data:`WCRS_ITEMS` is a
reconstruction consistent with those facts (posture items 0-2 at shoulder/upper arm, elbow,
forearm, wrist and fingers; latency 0-2; tremor 0-2; speed 0-2; sums to 28 + 2 = 30) and is
flagged ``verified=False`` item by item; check it against the appendix of [4]_ before using
the item-level data in a study. The stored score is the sum of the items (as
``SessionWriter.add_clinical`` computes it).

Treatment events
----------------
Botulinum toxin: date, injected muscles with the dose per muscle in units (U), the total dose,
and the product. Units of different products are **not interchangeable** (e.g. onabotulinumtoxinA
vs abobotulinumtoxinA), so a dose without its product is meaningless: the product is required.
The session file stores ``kind, date, muscles, dose_units, product, doses_units, notes``
(events written before ``product`` and ``doses_units`` were attributes kept them in a tagged
line of ``notes``; :func:`kinewrite.storage.session.split_legacy_event_notes` reads it).
Pen-grip training and other events: date and notes.

References
----------
.. [1] Fahn S. Assessment of the primary dystonias. In: Munsat TL (ed.), Quantification of
   neurologic deficit. Butterworths, Boston 1989, pp. 241-270 ("A scale for assessing arm
   dystonia").
.. [2] Appendix e-1: Arm Dystonia Disability Scale (ADDS), adapted with permission from Fahn,
   https://docsbay.net/Appendix-E-1-Arm-Dystonia-Disability-Scale-ADDS
.. [3] Physiopedia, "Arm Dystonia Disability Scale",
   https://www.physio-pedia.com/Arm_Dystonia_Disability_Scale
.. [4] Wissel J, Kabus C, Wenzel R, et al. Botulinum toxin in writer's cramp: objective
   response evaluation in 31 patients. J Neurol Neurosurg Psychiatry 1996;61:172-175.
.. [5] Commonly used rating scales for dystonia, Table 1 of BMJ Clin Evid 2014;2014:1211,
   https://pmc.ncbi.nlm.nih.gov/articles/PMC3938056/table/BMJ_1211_T1 ("assessment of writing
   posture (elbow, wrist, and fingers), movements (latency and tremor), and speed of
   writing", range 0-30).
.. [6] Pandey S. A practical approach to management of focal hand dystonia. Ann Indian Acad
   Neurol 2015;18:146-153 (muscle selection for botulinum toxin in writer's cramp).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date as _date
from typing import Any

from .errors import ClinicalInputError
from .storage.codes import name_like_reason
from .storage.session import EVENT_KINDS, SESSION_FIELDS, adds_score

__all__ = [
    "ADDS_ITEMS",
    "ADDS_LEVELS",
    "BOTULINUM_PRODUCTS",
    "EVENT_KINDS",
    "EVENT_LABELS",
    "METADATA_CHOICES",
    "METADATA_LABELS",
    "TOXIN_MUSCLES",
    "WCRS_ITEMS",
    "WCRS_MAX",
    "ClinicalInputError",
    "ScaleItem",
    "adds_result",
    "patient_code_warning",
    "treatment_event",
    "validate_date",
    "validate_metadata",
    "wcrs_result",
    "wcrs_subscores",
]


@dataclass(frozen=True)
class ScaleItem:
    """One item of a clinical scale.

    Attributes
    ----------
    key : str
        Name stored in the session file's ``items`` JSON.
    label : str
        What the form shows.
    anchors : tuple of str
        Meaning of each score from ``minimum`` upwards (``len == maximum - minimum + 1``).
    group : str
        Subscore or body part the item belongs to.
    minimum, maximum : int
        Allowed integer scores.
    verified : bool
        False if the item or its range could not be checked against the original scale.
    """

    key: str
    label: str
    anchors: tuple[str, ...]
    group: str = ""
    minimum: int = 0
    verified: bool = True

    @property
    def maximum(self) -> int:
        return self.minimum + len(self.anchors) - 1

    def check(self, value: object, scale: str) -> int:
        """Return ``value`` as an int in range, else raise :class:`ClinicalInputError`."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ClinicalInputError(
                f"{scale} item {self.key!r} must be a whole number "
                f"{self.minimum}-{self.maximum}, got {value!r}")
        v = int(value)
        if not self.minimum <= v <= self.maximum:
            raise ClinicalInputError(
                f"{scale} item {self.key!r} must be {self.minimum}-{self.maximum}, got {v}")
        return v


# ------------------------------------------------------------------------------------ ADDS
_ADDS_ANCHORS = ("0 none (or not applicable)", "1 mild", "2 moderate", "3 marked")

#: The 7 ADDS activities of Fahn [1]_, as listed in [2]_; each scored 0-3.
ADDS_ITEMS: tuple[ScaleItem, ...] = tuple(
    ScaleItem(key, label, _ADDS_ANCHORS, "activities") for key, label in (
        ("writing", "Writing"),
        ("musical_instrument", "Playing a musical instrument"),
        ("buttoning", "Buttoning"),
        ("utensils_feeding", "Handling utensils and feeding"),
        ("hygiene", "Hygiene (e.g. shaving, brushing teeth)"),
        ("grasping_objects", "Grasping objects"),
        ("housework_job", "Housework or outside job"),
    ))

#: The top ADDS levels (%), used when no activity is limited [2]_.
ADDS_LEVELS: dict[int, str] = {
    100: "Unaware of any difficulty",
    95: "Aware of some finger, hand or arm movements; annoyed, but no limitation",
    90: "Socially affected, otherwise independent; no limitation of activities",
}


def _checked_items(scale: str, defined: tuple[ScaleItem, ...], items: Mapping[str, Any],
                   noun: str, needs: str) -> dict[str, int]:
    """Every item of `scale` present, none unknown, each value in its range (one line)."""
    known = {i.key for i in defined}
    unknown = sorted(set(items) - known)
    if unknown:
        raise ClinicalInputError(f"{scale}: unknown {noun} {', '.join(map(repr, unknown))}; "
                                 f"known: {', '.join(i.key for i in defined)}")
    missing = [i.key for i in defined if i.key not in items]
    if missing:
        raise ClinicalInputError(f"{scale} needs {needs}; missing {', '.join(missing)}")
    return {i.key: i.check(items[i.key], scale) for i in defined}


def adds_result(items: Mapping[str, object] | None = None,
                level_pct: int | None = None) -> tuple[dict[str, int], int | None, float]:
    """Validate an ADDS entry; return ``(items, level_pct, score_pct)``.

    Parameters
    ----------
    items : mapping of activity key -> 0..3, optional
        All 7 activities of :data:`ADDS_ITEMS` when activities are limited.
    level_pct : {100, 95, 90}, optional
        The level when no activity is limited; give either this or the items.

    Returns
    -------
    items : dict of str -> int
        Empty for a level entry.
    level_pct : int or None
    score_pct : float
        From :func:`kinewrite.storage.session.adds_score` (what the session file stores).

    Examples
    --------
    >>> it = {i.key: 0 for i in ADDS_ITEMS}; it["writing"] = 3; it["buttoning"] = 1
    >>> round(adds_result(it)[2], 4)
    72.8571
    >>> adds_result(level_pct=95)
    ({}, 95, 95.0)
    """
    if items and level_pct is not None:
        raise ClinicalInputError(
            "ADDS: give either a level (100, 95 or 90 %) or the 7 activity scores, not both")
    if not items:
        if level_pct not in ADDS_LEVELS:
            raise ClinicalInputError(
                f"ADDS level must be 100, 95 or 90 %, got {level_pct!r} "
                "(or score the 7 activities)")
        return {}, int(level_pct), adds_score(None, level_pct)
    out = _checked_items("ADDS", ADDS_ITEMS, items, "activity", "all 7 activities")
    return out, None, adds_score(out)


# ------------------------------------------------------------------------------------ WCRS
_POSTURE = ("0 absent", "1 mild", "2 marked")
_UNVERIFIED = "item and range reconstructed, not checked against Wissel 1996 appendix"

#: WCRS items (Wissel et al. [4]_). Subscores verified, item list NOT (see module docstring):
#: every item carries ``verified=False``.
WCRS_ITEMS: tuple[ScaleItem, ...] = (
    ScaleItem("shoulder_elevation", "Shoulder elevation", _POSTURE, "posture: arm", 0, False),
    ScaleItem("upper_arm_abduction", "Upper arm abduction", _POSTURE, "posture: arm", 0, False),
    ScaleItem("elbow_flexion", "Elbow flexion", _POSTURE, "posture: elbow", 0, False),
    ScaleItem("elbow_extension", "Elbow extension", _POSTURE, "posture: elbow", 0, False),
    ScaleItem("forearm_pronation", "Forearm pronation", _POSTURE, "posture: forearm", 0, False),
    ScaleItem("forearm_supination", "Forearm supination", _POSTURE, "posture: forearm", 0,
              False),
    ScaleItem("wrist_flexion", "Wrist flexion", _POSTURE, "posture: wrist", 0, False),
    ScaleItem("wrist_extension", "Wrist extension", _POSTURE, "posture: wrist", 0, False),
    ScaleItem("wrist_ulnar_deviation", "Wrist ulnar deviation", _POSTURE, "posture: wrist", 0,
              False),
    ScaleItem("wrist_radial_deviation", "Wrist radial deviation", _POSTURE, "posture: wrist", 0,
              False),
    ScaleItem("finger_flexion", "Finger/thumb flexion", _POSTURE, "posture: fingers", 0, False),
    ScaleItem("finger_extension", "Finger/thumb extension", _POSTURE, "posture: fingers", 0,
              False),
    ScaleItem("latency", "Latency of dystonic posture",
              ("0 none", "1 after some writing", "2 at once"), "movement", 0, False),
    ScaleItem("tremor", "Tremor while writing", ("0 absent", "1 mild", "2 marked"),
              "movement", 0, False),
    ScaleItem("writing_speed", "Writing speed",
              ("0 normal", "1 mildly slowed", "2 markedly slowed"), "speed", 0, False),
)
#: Largest total WCRS score (verified: the scale spans 0-30 [5]_).
WCRS_MAX = 30
assert sum(i.maximum for i in WCRS_ITEMS) == WCRS_MAX


def wcrs_subscores(items: Mapping[str, int]) -> dict[str, int]:
    """Writing-movement, writing-speed and total score of validated WCRS items.

    Examples
    --------
    >>> wcrs_subscores({"wrist_flexion": 2, "tremor": 1, "writing_speed": 2})
    {'writing_movement': 3, 'writing_speed': 2, 'total': 5}
    """
    speed = sum(int(v) for k, v in items.items() if k == "writing_speed")
    total = sum(int(v) for v in items.values())
    return {"writing_movement": total - speed, "writing_speed": speed, "total": total}


def wcrs_result(items: Mapping[str, object]) -> tuple[dict[str, int], int]:
    """Validate a WCRS entry (all items of :data:`WCRS_ITEMS`); return ``(items, total)``.

    The total is what ``SessionWriter.add_clinical("WCRS", ...)`` stores (sum of the items).
    """
    out = _checked_items("WCRS", WCRS_ITEMS, items, "item", "every item")
    return out, sum(out.values())


# ------------------------------------------------------------------------------- dates
def validate_date(text: str, what: str = "date", *, allow_future: bool = False) -> str:
    """Return ``text`` if it is an ISO date (YYYY-MM-DD), not in the future unless allowed.

    Examples
    --------
    >>> validate_date("2024-02-29")
    '2024-02-29'
    >>> validate_date("2023-02-29")
    Traceback (most recent call last):
    ...
    kinewrite.clinical_scales.ClinicalInputError: date '2023-02-29' is not a valid date (YYYY-MM-DD)
    """
    try:
        d = _date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        d = None
    if d is None:
        raise ClinicalInputError(f"{what} {text!r} is not a valid date (YYYY-MM-DD)")
    if not allow_future and d > _date.today():
        raise ClinicalInputError(f"{what} {text} is in the future")
    return text


# ---------------------------------------------------------------------- treatment events
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


# ----------------------------------------------------------------------- session metadata
#: Fixed choices of the session metadata fields that have them (docs/science.md §8).
METADATA_CHOICES: dict[str, tuple[str, ...]] = {
    "hand": ("right", "left"),
    "handedness": ("right", "left", "ambidextrous"),
    "wc_subtype": ("simple", "dystonic", "progressive"),
    "pen_grip": ("conventional", "modified"),
    "tremor_present": ("no", "yes"),
    "eyes": ("open", "closed"),
}

#: Form labels of :data:`~kinewrite.storage.session.SESSION_FIELDS`.
METADATA_LABELS: dict[str, str] = {
    "hand": "Hand used",
    "handedness": "Handedness",
    "wc_subtype": "Writer's cramp subtype",
    "pen_grip": "Pen grip",
    "tremor_present": "Tremor present",
    "last_botox_date": "Last toxin injection",
    "last_botox_muscles": "Muscles injected",
    "eyes": "Eyes",
    "device": "Tablet / device",
    "stylus": "Stylus",
    "paper_overlay": "Paper overlay",
    "operator": "Operator",
    "site": "Site",
    "protocol": "Protocol",
    "notes": "Notes",
}
assert set(METADATA_LABELS) == set(SESSION_FIELDS)


def validate_metadata(meta: Mapping[str, object]) -> dict[str, str]:
    """Return the non-empty session metadata as strings, refusing unknown fields and values.

    Examples
    --------
    >>> validate_metadata({"hand": "left", "device": " Wacom Intuos ", "notes": ""})
    {'hand': 'left', 'device': 'Wacom Intuos'}
    """
    out: dict[str, str] = {}
    for key, value in meta.items():
        if key not in SESSION_FIELDS:
            raise ClinicalInputError(f"unknown session field {key!r}; allowed: "
                                     f"{', '.join(SESSION_FIELDS)}")
        text = str(value).strip()
        if not text:
            continue
        choices = METADATA_CHOICES.get(key)
        if choices is not None and text not in choices:
            raise ClinicalInputError(f"{key} must be one of {', '.join(choices)}, got {text!r}")
        if key == "last_botox_date":
            validate_date(text, "last toxin injection date")
        out[key] = text
    return out


def patient_code_warning(code: str) -> str | None:
    """A soft warning if a (valid) patient code looks like a name or a date of birth: the
    one rule of :func:`kinewrite.storage.codes.name_like_reason` (CLI and GUI alike).

    Examples
    --------
    >>> patient_code_warning("WC-017") is None
    True
    >>> patient_code_warning("Mueller")
    'looks like a name or a word: use a pseudonymous code such as WC-017, never a name'
    """
    return name_like_reason(code)
