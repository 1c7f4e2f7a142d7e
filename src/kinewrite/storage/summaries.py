"""What a session file holds without its samples: the summaries a study view reads.

:func:`kinewrite.storage.study.read_session_summary` reads them from a file;
:mod:`kinewrite.storage.study_index` keeps them in the study's index. Both import them from
here, so neither imports the other's reader lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..clinical.events import TreatmentEvent
from ..clinical.scales import ClinicalEntry

__all__ = ["SessionSummary", "TrialSummary"]


@dataclass(frozen=True)
class TrialSummary:
    """A trial without its samples: the attributes a progress view needs and its features.

    ``features`` and ``features_version`` equal those of the
    :class:`~kinewrite.storage.reader.Trial` that :func:`~kinewrite.storage.reader.load_session`
    returns (None when not cached).
    """

    name: str
    task: str
    status: str
    started: str
    ended: str
    nominal_rate_hz: float
    input: str
    superseded_by: str
    n_samples: int
    analysis_error: str
    features: dict[str, float] | None
    features_version: str | None
    #: The protocol step (:func:`~kinewrite.storage.naming.protocol_task_of`), e.g.
    #: ``"spiral_guided"``; the task itself where the file does not say.
    protocol_task: str = ""


@dataclass(frozen=True)
class SessionSummary:
    """A session file without samples (see :func:`kinewrite.storage.study.read_session_summary`)."""

    path: Path
    session_id: str
    patient_code: str
    created: str
    format_version: int
    metadata: dict[str, str]
    trials: tuple[TrialSummary, ...]
    clinical: tuple[ClinicalEntry, ...]
    events: tuple[TreatmentEvent, ...]
    recovered_from_crash: bool = False
    #: One line saying how a file left by a writer that died was read ("" for a normal file).
    recovery: str = ""

    @property
    def date(self) -> str:
        """The session's date, ``YYYY-MM-DD`` (UTC), from ``created``."""
        return self.created[:10]

    @property
    def simulated(self) -> bool:
        """True if any trial's input is ``simulated`` (no person wrote it)."""
        return any(t.input == "simulated" for t in self.trials)
