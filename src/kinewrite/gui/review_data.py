"""What the Review view draws for one trial, without Qt.

:func:`review_data` turns a stored :class:`~kinewrite.storage.reader.Trial` into the arrays
the view draws: every array, threshold and exclusion comes from
:func:`kinewrite.analysis.review_signals.review_signals`, the analysis run exactly as
:func:`kinewrite.analysis.features.extract_features` runs it when the trial's features were
cached (``SessionWriter.end_trial``, import, export), so the plots show what the numbers were
computed from; only the stored pen state is added here. :func:`default_trial` and
:func:`pressure_calibration` say which trial a session opens on and what its pressure
numbers are.

Times are in s from the trial's first sample; positions in mm; speed in mm/s; pressure as a
fraction 0..1 of the device range, or in N where the stylus is calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ..analysis.force import is_calibrated
from ..analysis.review_signals import ReviewSignals, review_signals
from ..model import RecordingError
from ..storage.reader import Session, Trial
from ..storage.schema import STATE_HOVER, STATE_OUT, STATE_TOUCH

__all__ = ["ReviewData", "default_trial", "pressure_calibration", "review_data"]


@dataclass(frozen=True)
class ReviewData(ReviewSignals):
    """Plot data of one trial: :class:`~kinewrite.analysis.review_signals.ReviewSignals`
    (see there for the arrays and units) and the stored pen state of each raw-clock sample
    (0 out of range, 1 hover, 2 touch)."""

    state: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))


def _replay_state(trial: Trial, signals: ReviewSignals) -> np.ndarray:
    """The stored pen state of the samples the analysis kept.

    The Recording only knows touch or not; hover and out of range come from the raw ``state``
    channel. Falls back to touch/hover from pen_down when the trial has no state channel.
    """
    pen = signals.pen_down
    stored = trial.channels.get("state")
    kept = None if stored is None else signals.follow(stored)
    if kept is None:
        return np.where(pen, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    # touch is what the analysis says it is; a stored code outside 0..2 counts as hover
    return np.where(pen, STATE_TOUCH,
                    np.where(kept == STATE_OUT, STATE_OUT, STATE_HOVER)).astype(np.uint8)


def review_data(trial: Trial) -> ReviewData:
    """Everything the Review view plots for one trial
    (:func:`~kinewrite.analysis.review_signals.review_signals`, plus the stored pen state).

    Parameters
    ----------
    trial : Trial
        A trial of a loaded session (:func:`kinewrite.storage.reader.load_session`).

    Returns
    -------
    ReviewData

    Raises
    ------
    RecordingError
        If the trial holds no sample, or its samples cannot be analyzed (pen never down,
        non-finite values); the message is one line saying why.
    """
    rec = trial.recording
    if rec is None:
        raise RecordingError("the trial holds no samples")
    signals = review_signals(rec, trial.task)
    values = {f.name: getattr(signals, f.name) for f in fields(ReviewSignals)}
    return ReviewData(**values, state=_replay_state(trial, signals))


def pressure_calibration(trial: Trial) -> str:
    """What the trial's pressure numbers are: ``"in N (stylus profile)"`` or
    ``"uncalibrated (share of the tablet range, no newtons)"``."""
    if is_calibrated(trial.calibration.pressure_newton_coeffs):
        return "in N (stylus profile)"
    return "uncalibrated (share of the tablet range, no newtons)"


def default_trial(session: Session) -> Trial | None:
    """The last complete trial of a session, else its last trial (None when it has none)."""
    complete = [t for t in session.trials if t.status == "complete"]
    if complete:
        return complete[-1]
    return session.trials[-1] if session.trials else None
