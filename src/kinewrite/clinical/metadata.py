"""Session metadata: the fields a therapist records (docs/science.md §8), their choices, labels
and validation, and the warning for a patient code that looks like a name."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ClinicalInputError
from .pseudonym import name_like_reason
from .scales import validate_date

__all__ = ["METADATA_CHOICES", "METADATA_LABELS", "SESSION_FIELDS", "patient_code_warning",
           "validate_metadata"]

#: Session metadata a therapist records (docs/science.md §8). Nothing else is accepted: no field
#: for a name exists.
SESSION_FIELDS: tuple[str, ...] = (
    "hand", "handedness", "wc_subtype", "pen_grip", "tremor_present", "last_botox_date",
    "last_botox_muscles", "eyes", "device", "stylus", "paper_overlay", "operator", "site",
    "protocol", "notes",
)

#: Fixed choices of the session metadata fields that have them (docs/science.md §8).
METADATA_CHOICES: dict[str, tuple[str, ...]] = {
    "hand": ("right", "left"),
    "handedness": ("right", "left", "ambidextrous"),
    "wc_subtype": ("simple", "dystonic", "progressive"),
    "pen_grip": ("conventional", "modified"),
    "tremor_present": ("no", "yes"),
    "eyes": ("open", "closed"),
}

#: Form labels of :data:`~kinewrite.storage.schema.SESSION_FIELDS`.
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
