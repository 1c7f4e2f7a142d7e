"""Plain names of the progress model's tasks, treatment events and feature units (no Qt)."""

from __future__ import annotations

import math

from ..analysis.features import FEATURES
from ..clinical.events import TreatmentEvent

__all__ = ["EVENT_NAMES", "STEP_NAMES", "TASK_NAMES", "event_label", "feature_unit",
           "muscles_text", "task_label"]

#: Plain names of the treatment event kinds.
EVENT_NAMES = {"botulinum_toxin": "Botulinum toxin", "pen_grip_training": "Pen-grip training",
               "other": "Other treatment"}

#: Plain names of the analysis tasks.
TASK_NAMES = {"spiral": "Spiral", "loops": "Loops (llll)", "sentence": "Test sentence",
              "circles": "Circles", "lines": "Straight lines", "free": "Free writing"}
#: Plain names of the standard protocol's steps that share a task.
STEP_NAMES = {"spiral_guided": "Spiral on the guide", "spiral_free": "Spiral without a guide"}

_UNITS = {f.name: f.unit for f in FEATURES}


def task_label(key: str, task: str | None = None) -> str:
    """Plain name of a protocol task.

    Examples
    --------
    >>> task_label("sentence"), task_label("spiral_free", "spiral")
    ('Test sentence', 'Spiral without a guide')
    >>> task_label("spiral_big", "spiral")
    'Spiral (spiral_big)'
    """
    if key in STEP_NAMES:
        return STEP_NAMES[key]
    if key in TASK_NAMES:
        return TASK_NAMES[key]
    return f"{TASK_NAMES.get(task or '', task or 'Task')} ({key})"


def event_label(event: TreatmentEvent) -> str:
    """Plain label of a treatment event, e.g. ``"Botulinum toxin 80 U onabotulinumtoxinA"``.

    A toxin's dose is given with its product (units of different products are not
    interchangeable), shortened to its name without the brand in parentheses.

    Examples
    --------
    >>> event_label(TreatmentEvent("botulinum_toxin", "2025-10-13", ["FDS"], 80.0, "",
    ...                            product="onabotulinumtoxinA (Botox)"))
    'Botulinum toxin 80 U onabotulinumtoxinA'
    >>> event_label(TreatmentEvent("botulinum_toxin", "2025-10-13", ["FDS"], 80.0, ""))
    'Botulinum toxin 80 U'
    >>> event_label(TreatmentEvent("pen_grip_training", "2025-12-08", [], None, ""))
    'Pen-grip training'
    """
    name = EVENT_NAMES.get(event.kind, event.kind)
    if event.dose_units is not None and math.isfinite(event.dose_units):
        name += f" {event.dose_units:g} U"
    product = event.product.split(" (")[0].strip() or event.product.strip()
    if product:
        name += f" {product}"
    return name


def muscles_text(event: TreatmentEvent) -> str:
    """``"flexor carpi radialis 40 U, pronator teres"``: each muscle with its dose if known."""
    parts = []
    for m in event.muscles:
        dose = event.doses_units.get(m)
        parts.append(m if dose is None else f"{m} {dose:g} U")
    return ", ".join(parts)


def feature_unit(name: str) -> str:
    """Unit of a registered feature (``"1"`` for dimensionless)."""
    return _UNITS.get(name, "")
