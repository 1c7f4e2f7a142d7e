"""What one finished trial gave, and its verdict: saved, not usable (failed a check), stopped.

:func:`judge_trial` runs the consistency checks of :func:`~.checks.check_trial` on a trial
just stored and marks it unusable in the session file when an error-level check failed (kept
on disk, but not a result: progress, report and export skip it). :class:`TrialOutcome` is
what the result screen shows; :func:`result_rows`, :func:`finding_lines`,
:func:`next_choice` and :func:`summary_row` are its words and numbers, so the screens only
lay them out (:mod:`kinewrite.gui.workflow`). :func:`trial_attrs` is what is stored with a
trial of a protocol task.

This module never imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import Finding, check_trial, key_numbers
from .tasks import TaskSpec

__all__ = [
    "TrialOutcome",
    "finding_lines",
    "judge_trial",
    "next_choice",
    "outcome_verdict",
    "result_rows",
    "summary_row",
    "trial_attrs",
]


@dataclass
class TrialOutcome:
    """What one finished trial gave.

    Attributes
    ----------
    trial : str
        The trial's name in the session (``"001"`` ...).
    spec : TaskSpec
        The task recorded.
    status : str
        ``complete``, ``aborted`` (stopped early, or failed an error-level check) or
        ``superseded`` (by a redo), as stored.
    features : dict or None
        Cached features (None when the trial could not be analyzed, e.g. pen never down).
    quality : object
        The :class:`~kinewrite.acquisition.quality.QualityReport` at the end.
    findings : list of Finding
        Consistency findings (too short, pen never down, gaps, low rate ...).
    input_kind : str
        ``tablet`` or ``mouse``.
    n_samples : int
        Samples stored.
    error : str
        Why the recording stopped early (disk full ...), else empty.
    """

    trial: str
    spec: TaskSpec
    status: str
    features: dict[str, float] | None
    quality: Any
    findings: list[Finding] = field(default_factory=list)
    input_kind: str = ""
    n_samples: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        """No error-level finding and the trial is complete."""
        return self.status == "complete" and not any(f.severity == "error"
                                                     for f in self.findings)


def trial_attrs(spec: TaskSpec, x_mm_per_px: float, y_mm_per_px: float, guide_px: str = "",
                feedback: Any = None, extra: Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
    """The attributes stored with a trial of protocol task `spec`: its key, title and guide,
    the canvas scale (mm per px), the guide shown as JSON polylines in px (`guide_px`, the
    template of the ``spiral_guide_*`` features), the feedback settings, then `extra`."""
    attrs: dict[str, Any] = {
        "protocol_task": spec.key, "task_title": spec.title,
        "guide_shown": int(spec.show_guide), "guide": spec.guide.kind,
        "x_mm_per_px": x_mm_per_px, "y_mm_per_px": y_mm_per_px,
    }
    if guide_px:
        attrs["guide_polylines_px"] = guide_px
    if feedback is not None:
        attrs.update(feedback.trial_attrs())
    attrs.update(extra or {})
    return attrs


def judge_trial(result: Any, spec: TaskSpec, nominal_rate_hz: float, input_kind: str,
                writer: Any = None, abort_reason: str | None = None) -> TrialOutcome:
    """The outcome of a stored trial (`result`: the recorder's
    :class:`~kinewrite.acquisition.recorder.TrialResult`): its checks, and, if an
    error-level one failed, the trial marked unusable in `writer` (status ``aborted``, every
    sample kept). If marking fails (disk), the trial stays as stored and ``error`` says so."""
    findings = check_trial(result.features, result.quality, spec, nominal_rate_hz,
                           input_kind=input_kind)
    status = result.status
    error = abort_reason or ""
    failed = [f for f in findings if f.severity == "error"]
    if status == "complete" and failed and writer is not None:
        try:
            writer.mark_unusable(result.trial, f"failed check: {failed[0].message}")
            status = "aborted"
        except (OSError, ValueError) as exc:
            error = f"could not mark the trial unusable: {exc}".splitlines()[0]
    return TrialOutcome(
        trial=result.trial, spec=spec, status=status, features=result.features,
        quality=result.quality, findings=findings, input_kind=input_kind,
        n_samples=result.n_samples, error=error,
    )


def outcome_verdict(outcome: TrialOutcome) -> str:
    """A trial's verdict in plain words: saved, not usable (failed a check), stopped (why),
    or superseded."""
    if outcome.ok:
        return "saved"
    if outcome.status == "superseded":
        return "replaced by a redo (kept in the file)"
    if not outcome.error and any(f.severity == "error" for f in outcome.findings):
        return "not usable, redo it (kept in the file)"
    if outcome.status == "complete":
        return "saved"
    return "stopped early (kept in the file)"


def result_rows(outcome: TrialOutcome) -> list[tuple[str, str]]:
    """The result screen's table: the task's key numbers, samples stored, effective rate."""
    rows = [(k.label, k.text) for k in key_numbers(outcome.features or {}, outcome.spec.task)]
    q = outcome.quality
    rows.append(("Samples stored", f"{outcome.n_samples} ({outcome.input_kind})"))
    if q is not None and math.isfinite(getattr(q, "effective_rate_hz", float("nan"))):
        rows.append(("Effective rate (live monitor)", f"{q.effective_rate_hz:.1f} Hz"))
    return rows


def finding_lines(outcome: TrialOutcome) -> list[tuple[str, str]]:
    """The result screen's checks as ``(severity, line)``: why the recording stopped, then
    each finding; one ``("", ...)`` line when nothing was found."""
    lines = [("error", f"error: {outcome.error}")] if outcome.error else []
    lines += [(f.severity, f"{f.severity}: {f.message}") for f in outcome.findings]
    return lines or [("", "No problem found: the trial looks usable.")]


def next_choice(outcome: TrialOutcome, last_task: bool) -> tuple[str, bool]:
    """The *Next* button's text, and whether it is the default (a usable trial) or *Redo*."""
    if outcome.ok:
        return ("Finish" if last_task else "Next task"), True
    return ("Finish without it" if last_task else "Skip this task"), False


def summary_row(outcome: TrialOutcome) -> list[str]:
    """The end page's row of a trial: name, task, status in words, duration, rhythm (or
    speed), tremor, mean pen pressure."""
    numbers = {k.feature_name: k.text for k in key_numbers(outcome.features,
                                                           outcome.spec.task)}
    rhythm = numbers.get("stroke_frequency_hz", numbers.get("speed_mean_mm_s", "–"))
    tremor = numbers.get("tremor_amplitude_pp_mm", "–")
    if numbers.get("tremor_detected") == "no":
        tremor = "none detected"
    status = {"complete": "saved", "superseded": "replaced by a redo"}.get(
        outcome.status, "stopped early" if outcome.error else "not usable (failed a check)")
    return [str(c) for c in (outcome.trial, outcome.spec.title, status,
                             numbers.get("duration_s", "–"), rhythm, tremor,
                             numbers.get("pressure_mean", "–"))]
