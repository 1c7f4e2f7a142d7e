"""Clinical scales (ADDS, WCRS) and dates: definitions, validation and scores.

What the therapist's forms show and what they accept, with no Qt: the GUI
(:mod:`kinewrite.gui.metadata`, :mod:`kinewrite.gui.clinical`) builds its widgets from these
tables, and anything else (a script, an importer) can validate the same way before calling
:meth:`kinewrite.storage.writer.SessionWriter.add_clinical` or ``add_event``.

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
line of ``notes``; :func:`kinewrite.clinical.events.split_legacy_event_notes` reads it).
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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date as _date
from typing import Any

from ..errors import ClinicalInputError

__all__ = [
    "ADDS_ITEMS",
    "ADDS_LEVELS",
    "CLINICAL_SCALES",
    "WCRS_ITEMS",
    "WCRS_MAX",
    "ClinicalEntry",
    "ScaleItem",
    "adds_result",
    "adds_score",
    "validate_date",
    "wcrs_result",
    "wcrs_subscores",
]

#: The scales a session file stores (``/clinical/NNN`` attribute ``scale``).
CLINICAL_SCALES = ("ADDS", "WCRS")


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



def adds_score(items: Mapping[str, float] | None = None, level_pct: int | None = None) -> float:
    """Arm Dystonia Disability Scale score in % (Fahn).

    Parameters
    ----------
    items : mapping of activity -> 0..3, optional
        The 7 activities of Fahn's scale (keys and labels in
        :data:`kinewrite.clinical.scales.ADDS_ITEMS`), each scored 0 (normal) to 3.
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
        From :func:`kinewrite.clinical.scales.adds_score` (what the session file stores).

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
    kinewrite.errors.ClinicalInputError: date '2023-02-29' is not a valid date (YYYY-MM-DD)
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

