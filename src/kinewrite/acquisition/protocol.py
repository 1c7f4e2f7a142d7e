"""The protocol model: a :class:`Protocol` is an ordered list of :class:`TaskSpec`, each with
its :class:`Guide` (what is drawn on the writing area). Built in code or read from a file
(:mod:`kinewrite.acquisition.protocol_files`), validated on construction by the rules of
:mod:`kinewrite.acquisition.protocol_schema`. Guide geometry is in mm (see
:mod:`kinewrite.acquisition.tasks`).

This module never imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .protocol_schema import ProtocolError, check_spec, guide_params

__all__ = ["Guide", "Protocol", "ProtocolError", "TaskSpec"]


@dataclass(frozen=True)
class Guide:
    """The guide drawn on the writing area for a task.

    Parameters
    ----------
    kind : str
        One of :data:`GUIDE_KINDS`.
    params : dict
        The kind's parameters (lengths in mm, angles in degrees). They are validated on
        construction and missing ones filled with their defaults; ``center_mm`` /
        ``baseline_mm`` may be None, meaning derived from the writing area
        (:func:`~kinewrite.acquisition.guide_geometry.guide_polylines_mm`).

    Raises
    ------
    ProtocolError
        On an unknown kind, unknown parameter or invalid value.
    """

    kind: str = "none"
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", guide_params(self.kind, self.params, "guide"))

    @classmethod
    def make(cls, kind: str = "none", **params: Any) -> Guide:
        """``Guide(kind, params)`` with the parameters as keywords."""
        return cls(kind, params)

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    @property
    def text(self) -> str:
        """The text to copy (sentence guides), else an empty string."""
        return str(self.params.get("text", ""))


@dataclass(frozen=True)
class TaskSpec:
    """One task of a protocol.

    Parameters
    ----------
    key : str
        Identifier, unique within a protocol (letters, digits, ``_`` and ``-``).
    task : str
        The analysis task, one of :data:`kinewrite.model.TASKS` (features depend on it).
    title : str
        Short name shown to the therapist.
    instructions : str
        Plain-language text the therapist reads to the patient.
    guide : Guide
        Geometry of the guide (used for display when `show_guide`, and for review overlays).
    show_guide : bool, default True
        Draw the guide while recording (a spiral traced on a guide) or not (a free spiral).
    duration_s : float or None
        The trial stops after this many seconds from its start; None: no time limit.
    end : {"duration", "manual", "pen_up"}
        What else ends the trial (see :data:`END_CONDITIONS`).
    pen_up_s : float, default 2
        For ``end = "pen_up"``: seconds the pen must stay up, after writing began.
    min_duration_s, min_pen_down_s : float, default 0
        Consistency check after the trial: shorter trials (first to last sample) or less
        pen-down time are flagged (:func:`kinewrite.acquisition.checks.check_trial`).
    repetitions : int, default 1
        How many times the task is recorded in a session.
    """

    key: str
    task: str
    title: str
    instructions: str = ""
    guide: Guide = field(default_factory=Guide)
    show_guide: bool = True
    duration_s: float | None = None
    end: str = "manual"
    pen_up_s: float = 2.0
    min_duration_s: float = 0.0
    min_pen_down_s: float = 0.0
    repetitions: int = 1

    def __post_init__(self) -> None:
        check_spec(vars(self), f"task {self.key!r}", Guide)


@dataclass(frozen=True)
class Protocol:
    """An ordered set of tasks with a name and a version (stored with each session).

    ``path`` is the file it was read from (None if built in code); it takes no part in
    equality.
    """

    name: str
    version: str = "1"
    description: str = ""
    tasks: tuple[TaskSpec, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = f"protocol {self.name!r}"
        if not self.name.strip():
            raise ProtocolError("protocol: name must not be empty")
        if not self.tasks:
            raise ProtocolError(f"{where}: has no task")
        seen: set[str] = set()
        for spec in self.tasks:
            if spec.key in seen:
                raise ProtocolError(f"{where}: duplicate task key {spec.key!r}")
            seen.add(spec.key)

    def task(self, key: str) -> TaskSpec:
        """The task with this key (KeyError if none)."""
        for spec in self.tasks:
            if spec.key == key:
                return spec
        raise KeyError(f"protocol {self.name!r} has no task {key!r}")

    @property
    def label(self) -> str:
        """``name (version)``, as stored in a session's ``protocol`` field."""
        return f"{self.name} ({self.version})"

    def without_minimums(self) -> Protocol:
        """This protocol with no minimum duration or pen-down time: for scripted or replayed
        trials (a drill, a round trip of a 5-s recording) that are not clinical trials."""
        from dataclasses import replace

        return replace(self, tasks=tuple(replace(t, min_duration_s=0.0, min_pen_down_s=0.0)
                                         for t in self.tasks))


# --------------------------------------------------------------------------------------
