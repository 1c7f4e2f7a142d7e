"""The trial table's study columns: how a trial was recorded, whether it passed its checks,
the visit's clinical scores and the time since treatment.

Columns (after the trial columns of :mod:`kinewrite.export`, before the features):

``input_kind`` (text)
    ``tablet``, ``mouse``, ``imported`` or ``simulated``: what produced the samples.
``check_status`` (text), ``check_findings`` (text)
    The consistency checks shown after a trial (:func:`kinewrite.acquisition.checks.
    check_trial`), run again on the stored trial: ``ok``, ``warning`` or ``error`` (the worst
    finding), and the findings' codes separated by ``;`` (``no_pen_down``, ``too_short``,
    ``pen_down_short``, ``gaps``, ``low_rate``, ``duplicates``, ``saturation``). The task's
    minimum durations are those of the shipped protocol's task named by the trial's
    ``protocol_task``; a trial without one is checked without them.
``feedback_mode`` (text), ``feedback_threshold`` (float), ``feedback_threshold_unit`` (text)
    The auditory pressure feedback during the trial (``off`` or a mode of
    :data:`kinewrite.acquisition.feedback.FEEDBACK_MODES`; threshold as a fraction of the
    device range or in N), empty where the trial recorded none.
``guide_shown`` (integer, 0/1, empty if unknown)
    Whether the task's guide was drawn while recording (a traced or a free spiral).
``adds_pct`` (float, %), ``wcrs`` (float)
    The Arm Dystonia Disability Scale and the Writer's Cramp Rating Scale recorded at the
    visit (the session's last entry of each); empty where none was.
``days_since_botulinum_toxin`` (float, days)
    From the latest botulinum toxin injection on or before the visit date to the visit
    date: the patient's ``botulinum_toxin`` events (recorded in any of the patient's exported
    sessions) and the session's ``last_botox_date`` field. Empty before any injection.
``days_since_training_start`` (float, days)
    From the first ``pen_grip_training`` event on or before the visit date; empty before.

Days are whole calendar days between UTC dates (the visit date is ``session_date``).
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from ..storage.reader import Session, Trial

__all__ = ["STUDY_COLUMNS", "STUDY_DESCRIPTIONS", "STUDY_TYPES", "fill_treatment_days",
           "study_part"]

STUDY_COLUMNS: tuple[str, ...] = (
    "input_kind", "check_status", "check_findings", "feedback_mode", "feedback_threshold",
    "feedback_threshold_unit", "guide_shown", "adds_pct", "wcrs",
    "days_since_botulinum_toxin", "days_since_training_start",
)
#: pandas dtypes of the study columns.
STUDY_TYPES: dict[str, str] = {
    "input_kind": "string", "check_status": "string", "check_findings": "string",
    "feedback_mode": "string", "feedback_threshold": "float64",
    "feedback_threshold_unit": "string", "guide_shown": "Int64", "adds_pct": "float64",
    "wcrs": "float64", "days_since_botulinum_toxin": "float64",
    "days_since_training_start": "float64",
}
#: (unit, description) of every study column, for the column dictionary.
STUDY_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "input_kind": ("", "tablet, mouse, imported or simulated"),
    "check_status": ("", "worst finding of the trial checks: ok, warning or error"),
    "check_findings": ("", "codes of the trial checks' findings, ';'-separated"),
    "feedback_mode": ("", "auditory pressure feedback mode during the trial"),
    "feedback_threshold": ("", "feedback threshold, in feedback_threshold_unit"),
    "feedback_threshold_unit": ("", "fraction (of the device range) or N"),
    "guide_shown": ("1", "1 if the task's guide was drawn while recording, else 0"),
    "adds_pct": ("%", "Arm Dystonia Disability Scale at the visit"),
    "wcrs": ("1", "Writer's Cramp Rating Scale total at the visit"),
    "days_since_botulinum_toxin": ("d", "days since the last botulinum toxin injection"),
    "days_since_training_start": ("d", "days since pen-grip training started"),
}
_INPUT = {"import": "imported", "imported": "imported", "tablet": "tablet", "mouse": "mouse",
          "simulated": "simulated"}
#: Private keys a row carries to :func:`fill_treatment_days` (not exported).
_TREATMENTS = "_treatments"


@lru_cache(maxsize=1)
def _protocol_tasks() -> dict[str, Any]:
    from ..acquisition.tasks import default_protocol

    try:
        return {spec.key: spec for spec in default_protocol().tasks}
    except Exception:  # a broken installation: check without task minimums
        return {}


def _checks(trial: Trial, features: dict[str, float] | None) -> tuple[str, str]:
    from ..acquisition.checks import check_trial
    from ..acquisition.quality import QualityMonitor

    nominal = trial.nominal_rate_hz if math.isfinite(trial.nominal_rate_hz) else None
    quality = None
    if trial.n_samples:
        monitor = QualityMonitor(nominal)
        monitor.update(np.asarray(trial.channels["t"], dtype=np.float64),
                       state=trial.channels.get("state"))
        quality = monitor.snapshot()
    spec = _protocol_tasks().get(str(trial.attrs.get("protocol_task", "")))
    findings = check_trial(features or None, quality, spec, nominal)
    status = ("error" if any(f.severity == "error" for f in findings) else
              "warning" if findings else "ok")
    return status, ";".join(f.code for f in findings)


def _number(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def study_part(session: Session, trial: Trial, features: dict[str, float] | None
               ) -> dict[str, Any]:
    """The study columns of one trial (days filled later by :func:`fill_treatment_days`)."""
    a = trial.attrs
    status, findings = _checks(trial, features)
    scores = {"ADDS": math.nan, "WCRS": math.nan}
    for entry in session.clinical:
        if entry.scale in scores:
            scores[entry.scale] = _number(entry.score)
    guide = a.get("guide_shown")
    treatments = [(e.kind, e.date) for e in session.events]
    if session.metadata.get("last_botox_date"):
        treatments.append(("botulinum_toxin", session.metadata["last_botox_date"]))
    return {
        "input_kind": _INPUT.get(trial.input, trial.input or None),
        "check_status": status, "check_findings": findings,
        "feedback_mode": str(a["feedback_mode"]) if "feedback_mode" in a else None,
        "feedback_threshold": _number(a.get("feedback_threshold")),
        "feedback_threshold_unit": (str(a["feedback_threshold_unit"])
                                    if "feedback_threshold_unit" in a else None),
        "guide_shown": None if guide is None or math.isnan(_number(guide)) else int(guide),
        "adds_pct": scores["ADDS"], "wcrs": scores["WCRS"],
        "days_since_botulinum_toxin": math.nan, "days_since_training_start": math.nan,
        _TREATMENTS: tuple(treatments),
    }


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def fill_treatment_days(rows: list[dict[str, Any]]) -> None:
    """Fill ``days_since_*`` of every row from the treatments of all rows of its patient."""
    by_patient: dict[str, list[tuple[str, date]]] = {}
    for row in rows:
        for kind, when in row.get(_TREATMENTS, ()):
            day = _day(when)
            if day is not None:
                by_patient.setdefault(row["patient_code"], []).append((kind, day))
    for row in rows:
        visit = _day(row.get("session_date", ""))
        events = by_patient.get(row["patient_code"], [])
        if visit is None or not events:
            continue
        toxin = [d for k, d in events if k == "botulinum_toxin" and d <= visit]
        training = [d for k, d in events if k == "pen_grip_training" and d <= visit]
        if toxin:
            row["days_since_botulinum_toxin"] = float((visit - max(toxin)).days)
        if training:
            row["days_since_training_start"] = float((visit - min(training)).days)
