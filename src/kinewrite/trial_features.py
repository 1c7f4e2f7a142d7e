"""Ending a trial and caching its features: analysis asked, storage told.

Storage never computes features (:mod:`kinewrite.storage` imports no analysis); whoever ends
a trial (the recorder, ``kinewrite record`` and ``simulate --realtime``, an import, the
sample study) calls :func:`finish_trial`, which ends it with the writer, reads it back from
the file, asks :func:`kinewrite.analysis.features.extract_features` and stores the row with
:meth:`~kinewrite.storage.edits.SessionEdits.store_features` (one atomic change of the file),
or, if the recording cannot be analyzed, its one-line reason as ``analysis_error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .analysis.features import ANALYSIS_VERSION, extract_features
from .errors import one_line
from .model import RecordingError
from .storage.reader import read_stored_trial
from .storage.writer import SessionWriter

__all__ = ["cache_trial_features", "finish_trial"]


def cache_trial_features(writer: SessionWriter, name: str) -> dict[str, float] | None:
    """Compute the features of the ended trial `name` from the file and cache them in it.

    Returns
    -------
    dict or None
        The features (in the registry's order, as stored), or None if the trial cannot be
        analyzed: its ``analysis_error`` attribute then says why, in one line.
    """
    stored = read_stored_trial(writer.path, name)
    try:
        features = extract_features(stored.recording(), task=stored.task,
                                    guide_xy_mm=stored.guide_mm)
    except (RecordingError, ValueError) as exc:
        writer.store_analysis_error(name, one_line(exc))
        return None
    writer.store_features(name, features, ANALYSIS_VERSION)
    return features


def finish_trial(writer: SessionWriter, status: str = "complete",
                 compute_features: bool = True,
                 attrs: Mapping[str, Any] | None = None) -> dict[str, float] | None:
    """End the writer's recording trial and, if asked and it holds samples, cache its
    features (:func:`cache_trial_features`, a second atomic change of the file).

    Parameters
    ----------
    writer : SessionWriter
        A writer whose trial is recording.
    status : str, default "complete"
        The trial's status (:data:`kinewrite.storage.schema.TRIAL_STATUSES`).
    compute_features : bool, default True
        Whether to analyze the trial and cache its features.
    attrs : mapping, optional
        Further trial attributes (e.g. ``abort_reason``).

    Returns
    -------
    dict or None
        The trial's features (None if not computed or if the trial cannot be analyzed).
    """
    ended = writer.end_trial(status, attrs=attrs)
    if compute_features and ended.n_samples:
        return cache_trial_features(writer, ended.name)
    return None
