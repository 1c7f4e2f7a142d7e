"""The BIDS dataset's plain files: TSV and JSON writers, the sidecars that describe the
tables, the README text (:mod:`kinewrite.export.bids`)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..formats.bids_names import NA

__all__ = ["EVENTS_JSON", "PARTICIPANTS_JSON", "SCANS_JSON", "SESSIONS_JSON", "acq_time",
           "finite_or_none", "readme_text", "write_json", "write_tsv"]



def write_tsv(frame: pd.DataFrame, path: Path, header: bool = True) -> None:
    frame.to_csv(path, sep="\t", index=False, header=header, na_rep=NA, lineterminator="\n",
                 encoding="utf-8")


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")


def finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def acq_time(text: str) -> str:
    """A stored ISO 8601 UTC time as BIDS ``acq_time`` (``YYYY-MM-DDThh:mm:ss[.ffffff]Z``)."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?\d*(Z|\+00:00)?", text)
    return f"{m[1]}{m[2] or ''}Z" if m else NA


SCANS_JSON = {
    "acq_time": {"Description": "when the trial started (UTC)"},
    "kinewrite_trial": {"Description": "trial number in the kinewrite session file (1-based)"},
    "trial_status": {"Description": "kinewrite trial status",
                     "Levels": {"complete": "recorded to its end", "aborted": "stopped early",
                                "recording": "being written, or its writer crashed",
                                "superseded": "redone later in the session"}},
    "input_kind": {"Description": "what produced the samples",
                   "Levels": {"tablet": "a pen tablet", "mouse": "a mouse (no pressure)",
                              "import": "imported from another tool's file",
                              "simulated": "simulated by kinewrite (no person wrote it)"}},
}
SESSIONS_JSON = {
    "acq_time": {"Description": "when the session (visit) started (UTC)"},
    "kinewrite_session_id": {"Description": "the kinewrite session's random id (UUID4 hex)"},
    "adds_pct": {"Description": "Arm Dystonia Disability Scale (Fahn) recorded at the visit",
                 "Units": "%"},
    "wcrs": {"Description": "Writer's Cramp Rating Scale (Wissel) total recorded at the visit"},
}
EVENTS_JSON = {
    "onset": {"Description": "start, on the latency clock of the motion file", "Units": "s"},
    "duration": {"Description": "from the first to the last sample of the event",
                 "Units": "s"},
    "trial_type": {"Description": "what the row marks",
                   "Levels": {"trial": "the whole trial",
                              "pen_down": "a run of samples touching the surface"}},
    "sample": {"Description": "0-based row of the event's first sample in the motion file"},
}
PARTICIPANTS_JSON = {
    "participant_id": {"Description": "BIDS subject: the patient code without '_', '-', '.'"},
    "patient_code": {"Description": "the patient's study code in kinewrite (never a name)"},
}


def readme_text(study: Path, summary: tuple[int, int, int]) -> str:
    subjects, sessions, files = summary
    return (
        "Handwriting kinematics recorded with kinewrite (a pen tablet; writer's cramp "
        "studies).\n\n"
        f"Exported by kinewrite {__version__} from the study folder '{study.name}': "
        f"{subjects} subjects, {sessions} sessions, {files} motion files (one per trial).\n"
        "Motion channels: latency (LATENCY, s: the rebuilt sample clock), pen_x and pen_y "
        "(POS, mm), pen_pressure (MISC, fraction of the device range), pen_force (MISC, N, "
        "where the stylus was calibrated), tilt_x and tilt_y (ORNT, deg, where recorded), "
        "pen_state (MISC: 0 out of range, 1 hovering, 2 touching) and device_time (MISC, s: "
        "the device's own time stamps).\n"
        "Events: one 'trial' row per trial and one 'pen_down' row per pen-down run.\n"
        "derivatives/kinewrite/features.tsv holds one row per trial with every kinewrite "
        "feature (units in the column names; see features.json).\n"
        "Participants are identified by study codes only.\n"
    )
