"""Before a visit starts, without Qt: what must be filled in, the metadata carried over from
the patient's previous visit, today's visit a crash interrupted, the stylus's saved pressure
profile. Used by :class:`~kinewrite.acquisition.visit.VisitController` and the setup page
(:mod:`kinewrite.gui.setup_page`).

This module never imports Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..clinical.metadata import METADATA_LABELS
from ..errors import InputError
from .calibration.pressure import PressureProfile
from .calibration.profile_files import list_profiles

__all__ = [
    "AUTO_DEVICE",
    "CARRIED_FIELDS",
    "REQUIRED_FIELDS",
    "carried_metadata",
    "interrupted_visit",
    "missing_fields",
    "previous_visit",
    "stylus_profile",
]

#: Session fields that must be filled before a session starts (the analysis of a hand
#: cannot be read without knowing which hand wrote).
REQUIRED_FIELDS = ("hand",)
#: The session's ``device`` when the therapist did not name one, by input.
AUTO_DEVICE = {"mouse": "mouse (fallback)", "tablet": "tablet (Qt tablet events)"}
#: Session fields carried over from the patient's previous visit (what does not change
#: between visits, or changes rarely and is checked, not retyped); the notes and protocol
#: are the visit's own.
CARRIED_FIELDS = ("hand", "handedness", "wc_subtype", "pen_grip", "tremor_present", "eyes",
                  "last_botox_date", "last_botox_muscles", "device", "stylus",
                  "paper_overlay", "operator", "site")


def missing_fields(code_valid: bool, metadata: Mapping[str, str]) -> list[str]:
    """What must still be filled before a session can start (plain labels)."""
    out = [] if code_valid else ["the patient code"]
    return out + [METADATA_LABELS[k].lower() for k in REQUIRED_FIELDS if not metadata.get(k)]


def carried_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """The fields of a previous visit's `metadata` the next visit starts with (a device set
    by the input chosen is not carried: the next input sets it again)."""
    carried = {k: v for k, v in metadata.items() if k in CARRIED_FIELDS}
    if carried.get("device") in AUTO_DEVICE.values():
        del carried["device"]
    return carried


def previous_visit(study_dir: Path | None, code: str) -> Any:
    """The latest session summary of patient `code` holding metadata, else None."""
    if study_dir is None or not Path(study_dir, code).is_dir():
        return None
    from ..storage.study import read_session_summary, study_summaries

    try:
        summaries, _ = study_summaries(study_dir, code, brief=True)
        for summary in reversed(summaries):  # brief summaries hold no metadata
            full = read_session_summary(summary.path)
            if full.metadata:
                return full
    except (OSError, InputError):
        return None
    return None


def interrupted_visit(study_dir: Path | None, code: str) -> tuple[Path, Any] | None:
    """Today's (UTC) latest session of patient `code` if a crash left it interrupted (its
    file left open, or a trial never closed): ``(path, summary)``, else None."""
    if study_dir is None or not Path(study_dir, code).is_dir():
        return None
    from ..storage.study import study_summaries

    try:
        summaries, _ = study_summaries(study_dir, code, brief=True)
    except (OSError, InputError):
        return None
    today = datetime.now(UTC).date().isoformat()
    latest = summaries[-1] if summaries else None
    if latest is None or not latest.recovery or latest.date != today:
        return None
    return latest.path, latest


def stylus_profile(stylus: str | None) -> PressureProfile | None:
    """The saved pressure profile of this stylus (by name), if one was calibrated."""
    if not stylus:
        return None
    for profile in list_profiles():
        if profile.stylus.strip().lower() == stylus.strip().lower():
            return profile
    return None
