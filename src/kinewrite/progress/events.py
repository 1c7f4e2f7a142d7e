"""The dated tables of the progress model: treatment events and clinical scale entries, each
on its own date (``YYYY-MM-DD``) parsed to a Timestamp (no Qt)."""

from __future__ import annotations

import pandas as pd

from ..storage.study import SessionSummary
from .labels import event_label, muscles_text

__all__ = ["clinical_frame", "events_frame", "timestamps"]


def timestamps(texts: pd.Series) -> pd.Series:
    """ISO 8601 times or dates as naive UTC Timestamps (NaT where unreadable)."""
    parsed = pd.to_datetime(texts, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None)


def events_frame(sessions: list[SessionSummary]) -> pd.DataFrame:
    """The treatment events of `sessions`, each once (an event entered again in a later
    session is the same event), sorted by date; see :class:`~kinewrite.progress.Progress`
    ``events``."""
    rows, seen = [], set()
    for s in sessions:
        for e in s.events:
            key = (e.kind, e.date, e.dose_units, tuple(e.muscles), e.notes, e.product)
            if key in seen:  # the same event entered again in a later session
                continue
            seen.add(key)
            rows.append({"date": None, "date_text": e.date, "kind": e.kind,
                         "label": event_label(e), "dose_units": e.dose_units,
                         "product": e.product, "muscles": muscles_text(e),
                         "notes": e.notes, "session_id": s.session_id})
    cols = ["date", "date_text", "kind", "label", "dose_units", "product", "muscles", "notes",
            "session_id"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = timestamps(frame["date_text"])
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def clinical_frame(sessions: list[SessionSummary]) -> pd.DataFrame:
    """The clinical scale entries of `sessions`, sorted by date, then scale; see
    :class:`~kinewrite.progress.Progress` ``clinical``."""
    rows = []
    for s in sessions:
        for c in s.clinical:
            rows.append({"date": None, "date_text": c.date, "scale": c.scale,
                         "score": c.score, "rater": c.rater, "items": dict(c.items),
                         "session_id": s.session_id})
    cols = ["date", "date_text", "scale", "score", "rater", "items", "session_id"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = timestamps(frame["date_text"])
    return frame.sort_values(["date", "scale"], kind="stable").reset_index(drop=True)
