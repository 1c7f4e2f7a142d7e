"""One visit at the tablet, without Qt: the patient, the protocol's tasks, each trial's verdict.

:class:`VisitController` holds the visit's state (the session file's writer, the protocol,
the current task, every trial recorded and which one is each task's result) and makes the
visit's decisions: the session file is created with the first trial (no empty sessions), a
redo supersedes the earlier trial only if the new one is usable (a worse trial never replaces
a good one) and can be undone, a cancelled redo leaves the earlier trial as it was, *Next*
goes to the next task or ends the visit, the end page lists every trial, and the clinical
scales and treatment events go into the session. It returns what to show (a
:class:`ResultView`, labels, rows); the Qt widgets (:mod:`kinewrite.gui.workflow`) only lay
it out, and record trials with :class:`~kinewrite.gui.record.RecordPanel`.

What the setup page needs before a visit (the required fields, the metadata carried over
from the previous visit, today's interrupted visit) is in
:mod:`kinewrite.acquisition.visit_setup`, re-exported here.

This module never imports Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..storage.calibration import Calibration
from ..storage.reader import Session, load_session
from ..storage.writer import SessionWriter
from .calibration.combine import calibration
from .calibration.mapping import ScreenMapping
from .tasks import Protocol, TaskSpec
from .trial_outcome import TrialOutcome, summary_row
from .visit_setup import (
    AUTO_DEVICE,
    CARRIED_FIELDS,
    REQUIRED_FIELDS,
    carried_metadata,
    interrupted_visit,
    missing_fields,
    previous_visit,
    stylus_profile,
)

__all__ = [
    "AUTO_DEVICE",
    "CARRIED_FIELDS",
    "REQUIRED_FIELDS",
    "Prefill",
    "ResultView",
    "VisitController",
    "carried_metadata",
    "interrupted_visit",
    "missing_fields",
    "open_interrupted",
    "previous_visit",
    "stylus_profile",
]

@dataclass(frozen=True)
class Prefill:
    """The setup form's metadata from the patient's previous visit (`values`, None: clear
    the form), and which visit it came from (`source`)."""

    values: dict[str, str] | None
    source: str = ""


@dataclass(frozen=True)
class ResultView:
    """What the result screen shows: the trial (`outcome`; after a cancelled redo, the
    earlier one), a `note` on which trial is the task's result after a redo ("" if none),
    and whether *Keep the earlier trial instead* is offered (`can_undo`)."""

    outcome: TrialOutcome
    note: str = ""
    can_undo: bool = False


class VisitController:
    """The state and decisions of one visit (see the module docstring).

    Parameters
    ----------
    study_dir : Path or None
        Where sessions are written (None until the therapist opens a study).
    mapping : ScreenMapping
        The canvas calibration (px to mm), stored with the session.
    """

    def __init__(self, study_dir: Path | None, mapping: ScreenMapping) -> None:
        self.study_dir = study_dir
        self.mapping = mapping
        self.writer: SessionWriter | None = None
        self.calibration: Calibration = calibration(mapping)
        self.protocol: Protocol | None = None
        self.index = 0
        #: Every trial of this visit by task key, in the order recorded.
        self.trials: dict[str, list[TrialOutcome]] = {}
        self.code = ""
        self.metadata: dict[str, str] = {}
        #: The trial a redo being recorded would replace (None if no redo is recording).
        self.redo_of: str | None = None
        #: The redo being recorded was cancelled: its trial replaces nothing.
        self.cancel_requested = False
        self.undo: tuple[str, str] | None = None  # (earlier trial, its redo)
        #: The patient whose previous visit fills the setup form (None: the form is not
        #: prefilled), and the interrupted session offered to continue (None: none).
        self.prefilled_for: str | None = None
        self.interrupted: Path | None = None

    # ------------------------------------------------------------------ before the visit
    def prefill(self, code: str | None) -> Prefill | None:
        """What the setup form does when patient `code` is typed: take the previous visit's
        metadata (once per code), clear another patient's, or nothing (None)."""
        if code is None or code == self.prefilled_for:
            return None
        last = previous_visit(self.study_dir, code)
        if last is None:
            if self.prefilled_for is None:
                return None
            self.prefilled_for = None  # the form holds another patient's visit
            return Prefill(None)
        self.prefilled_for = code
        return Prefill(dict(last.metadata), f"the visit of {last.date}")

    def offer_resume(self, code: str | None) -> str | None:
        """The offer to continue today's session of `code` if a crash interrupted it (its
        text), else None; the session's path is kept in :attr:`interrupted`."""
        self.interrupted = None
        found = interrupted_visit(self.study_dir, code) if code else None
        if found is None:
            return None
        self.interrupted, summary = found
        done = sum(t.status in ("complete", "superseded") for t in summary.trials)
        return (f"Today's visit of {code} was interrupted (the app or the computer stopped) "
                f"after {done} saved trial(s); every saved trial is kept. Continue it, or "
                "start a new session.")

    # ------------------------------------------------------------------ the visit
    def start(self, code: str, protocol: Protocol, metadata: Mapping[str, str],
              input_kind: str) -> None:
        """A new visit of patient `code` with `protocol` (no file yet: it is created with
        the first trial); `metadata` as entered, the protocol and device added."""
        self.code = code
        self.protocol = protocol
        self.metadata = dict(metadata)
        self.metadata["protocol"] = protocol.label
        self.metadata.setdefault("device", AUTO_DEVICE[input_kind])
        self.index = 0
        self.trials = {}
        self.redo_of = None
        self.undo = None

    def ensure_writer(self) -> SessionWriter:
        """The session's writer, the file created (with its calibration) on first use."""
        if self.writer is None:
            if self.study_dir is None:
                raise ValueError("no study folder is open")
            self.calibration = calibration(self.mapping,
                                           stylus_profile(self.metadata.get("stylus")))
            self.writer = SessionWriter.create(self.study_dir, self.code,
                                               metadata=self.metadata,
                                               calibration=self.calibration)
        return self.writer

    @property
    def current_spec(self) -> TaskSpec | None:
        """The task shown (None before a visit starts)."""
        if self.protocol is None or not 0 <= self.index < len(self.protocol.tasks):
            return None
        return self.protocol.tasks[self.index]

    @property
    def last_task(self) -> bool:
        """The current task is the protocol's last."""
        return self.protocol is not None and self.index == len(self.protocol.tasks) - 1

    def select(self, index: int) -> TaskSpec | None:
        """Go to task `index`; returns its spec (None if out of range)."""
        self.index = index
        return self.current_spec

    def next_index(self) -> int | None:
        """The task after the current one, None if the visit is at its end."""
        if self.protocol is not None and self.index + 1 < len(self.protocol.tasks):
            return self.index + 1
        return None

    def trial_attrs(self) -> dict[str, Any] | None:
        """Extra attributes of the trial about to start (``redo_of`` for a redo)."""
        return {"redo_of": self.redo_of} if self.redo_of else None

    def outcome(self, trial: str) -> TrialOutcome | None:
        """The outcome of trial `trial` of this visit, if recorded here."""
        return next((o for v in self.trials.values() for o in v if o.trial == trial), None)

    def task_result(self, key: str) -> TrialOutcome | None:
        """The trial that is task `key`'s result: its last complete one, else None."""
        done = [o for o in self.trials.get(key, []) if o.status == "complete"]
        return done[-1] if done else None

    def task_label(self, index: int) -> str:
        """Task `index` in the task list: ``●`` if it has its result, ``⚠`` if only trials
        that are not, ``○`` if none yet; ``(×n)`` after n > 1 trials."""
        assert self.protocol is not None
        spec = self.protocol.tasks[index]
        n = len(self.trials.get(spec.key, []))
        if n == 0:
            return f"○  {spec.title}"
        mark = "●" if self.task_result(spec.key) is not None else "⚠"
        return f"{mark}  {spec.title}" + (f" (×{n})" if n > 1 else "")

    # ------------------------------------------------------------------ trials and redos
    def begin_redo(self) -> str | None:
        """A redo of the current task is about to record: the trial it would replace (the
        task's result, else its last trial; None if the task has none)."""
        spec = self.current_spec
        if spec is None:
            return None
        outcomes = self.trials.get(spec.key, [])
        earlier = self.task_result(spec.key) or (outcomes[-1] if outcomes else None)
        self.redo_of = earlier.trial if earlier is not None else None
        return self.redo_of

    def cancel_redo(self) -> None:
        """The redo being recorded is cancelled: when it ends it replaces nothing."""
        self.cancel_requested = True

    def drop_redo(self) -> TrialOutcome | None:
        """Forget a redo that is not recording (it could not start, or is cancelled before
        a sample); returns the earlier trial, to show again."""
        earlier = self.outcome(self.redo_of) if self.redo_of else None
        self.redo_of = None
        return earlier

    def trial_finished(self, outcome: TrialOutcome) -> ResultView:
        """Take a trial just stored, decide what a redo does, and say what to show.

        A usable redo supersedes the earlier trial (undoable); an unusable one replaces
        nothing; a cancelled one is kept, marked aborted, and the earlier trial is shown."""
        earlier = self.outcome(self.redo_of) if self.redo_of else None
        cancelled, self.cancel_requested = self.cancel_requested, False
        self.redo_of = None
        self.undo = None
        self.trials.setdefault(outcome.spec.key, []).append(outcome)
        if earlier is not None and cancelled:
            return ResultView(earlier, f"Redo cancelled: trial {outcome.trial} is kept in the "
                              f"file, marked aborted; trial {earlier.trial} is unchanged.")
        if earlier is not None and outcome.ok and self.writer is not None:
            self.writer.supersede(earlier.trial, by=outcome.trial)
            earlier.status = "superseded"
            self.undo = (earlier.trial, outcome.trial)
            return ResultView(outcome, f"This trial replaces trial {earlier.trial}, which is "
                              "kept in the file, marked superseded.", can_undo=True)
        if earlier is not None and earlier.status == "complete":
            return ResultView(outcome, f"Trial {earlier.trial} stays this task's result: "
                              "this redo is not usable, so it replaces nothing.")
        return ResultView(outcome)

    @property
    def can_undo(self) -> bool:
        """The last redo replaced a trial and can be undone."""
        return self.undo is not None and self.writer is not None

    def undo_redo(self) -> ResultView | None:
        """Keep the earlier trial instead of its redo (both stay in the file); returns what
        to show (None if nothing to undo). Raises OSError or ValueError if the file
        refuses (nothing changed)."""
        if self.undo is None or self.writer is None:
            return None
        earlier_name, redo_name = self.undo
        self.writer.reinstate(earlier_name, instead_of=redo_name)
        self.undo = None
        earlier, redo = self.outcome(earlier_name), self.outcome(redo_name)
        if redo is not None:
            redo.status = "superseded"
        if earlier is None:
            return None
        earlier.status = "complete"
        return ResultView(earlier, f"Trial {earlier_name} is this task's result again; "
                          f"trial {redo_name} is kept in the file, marked superseded.")

    # ------------------------------------------------------------------ an interrupted visit
    def resume(self, writer: SessionWriter, session: Session) -> int:
        """Continue an interrupted visit (already :meth:`start`-ed with its protocol) in
        `writer`, its trials read from `session`; returns the task to show (the first
        without a result). The interrupted trial is kept as it was repaired (aborted)."""
        assert self.protocol is not None
        self.writer = writer
        self.calibration = session.calibration
        specs = {spec.key: spec for spec in self.protocol.tasks}
        for trial in session.trials:
            spec = specs.get(str(trial.attrs.get("protocol_task", "")))
            if spec is None or trial.status == "superseded":
                continue
            outcome = TrialOutcome(trial=trial.name, spec=spec, status=trial.status,
                                   features=trial.features, quality=None,
                                   input_kind=trial.input, n_samples=trial.n_samples,
                                   error=str(trial.attrs.get("abort_reason", "")))
            self.trials.setdefault(spec.key, []).append(outcome)
        pending = [i for i, spec in enumerate(self.protocol.tasks)
                   if not any(o.status == "complete" for o in self.trials.get(spec.key, ()))]
        return pending[0] if pending else len(self.protocol.tasks) - 1

    def resumed_label(self, index: int) -> str | None:
        """Task `index` in the list of a continued visit: ``●`` if its last trial is
        complete, ``⚠`` if not, None if it has none."""
        assert self.protocol is not None
        spec = self.protocol.tasks[index]
        outcomes = self.trials.get(spec.key)
        if not outcomes:
            return None
        return f"{'●' if outcomes[-1].status == 'complete' else '⚠'}  {spec.title}"

    # ------------------------------------------------------------------ the end page
    def done_text(self) -> str:
        """The end page's heading: trials recorded and the session file."""
        n = sum(len(v) for v in self.trials.values())
        path = self.writer.path if self.writer else "no file (no trial recorded)"
        return (f"Session finished: {n} trial(s) recorded.\n{path}\n\nAdd the clinical scales "
                "and any treatment event of this visit, or start a new session.")

    def summary_rows(self) -> list[list[str]]:
        """One row per trial recorded, in the order recorded (:func:`summary_row`)."""
        outcomes = sorted((o for v in self.trials.values() for o in v), key=lambda o: o.trial)
        return [summary_row(o) for o in outcomes]

    # ------------------------------------------------------------------ scales and events
    def entries(self) -> list[tuple[str, tuple[str, Any]]]:
        """This session's scales and events as stored: ``(text, (kind, key))`` with kind
        ``clinical`` (key: its name) or ``event`` (key: its index)."""
        if self.writer is None:
            return []
        session = load_session(self.writer.path)
        out: list[tuple[str, tuple[str, Any]]] = []
        for c in session.clinical:
            unit = " %" if c.scale == "ADDS" else " of 30 points"
            out.append((f"{c.scale} {c.score:.1f}{unit}, rated {c.date} by "
                        f"{c.rater or '(no rater)'}", ("clinical", c.name)))
        for i, e in enumerate(session.events):
            out.append((f"{e.kind.replace('_', ' ')} on {e.date}"
                        + (f", {e.dose_units:g} U" if e.dose_units else ""), ("event", i)))
        return out

    def clinical_entry(self, name: str) -> Any:
        """The stored scale entry `name` (to correct it)."""
        assert self.writer is not None
        return next(c for c in load_session(self.writer.path).clinical if c.name == name)

    def add_clinical(self, entry: Mapping[str, Any]) -> float:
        """Store a scale entry (a dialog's ``clinical_entry()``); returns its score."""
        assert self.writer is not None
        return self.writer.add_clinical(**entry)

    def replace_clinical(self, name: str, entry: Mapping[str, Any]) -> float:
        """Correct scale entry `name`; returns the new score."""
        assert self.writer is not None
        return self.writer.replace_clinical(name, **entry)

    def add_event(self, event: Mapping[str, Any]) -> None:
        """Store a treatment event (a dialog's ``event_kwargs()``)."""
        assert self.writer is not None
        self.writer.add_event(**event)

    def remove_entry(self, kind: str, key: Any) -> None:
        """Delete a scale (`kind` ``clinical``) or event entry entered by mistake."""
        assert self.writer is not None
        if kind == "clinical":
            self.writer.remove_clinical(key)
        else:
            self.writer.remove_event(key)

    def close(self) -> None:
        """Release the session file (its writer lock); the next trial starts a new one."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def open_interrupted(path: Path) -> tuple[SessionWriter, Session]:
    """The writer (the file repaired) and the contents of an interrupted visit's session.
    Raises OSError or InputError (busy, not repairable, disk ...)."""
    writer = SessionWriter.open(path)
    try:
        return writer, load_session(path)
    except BaseException:
        writer.close()
        raise
