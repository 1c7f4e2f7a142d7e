"""The measurement noise of a patient's features and the changes beyond it (no Qt): the
numbers behind :meth:`~kinewrite.progress.Progress.noise` and
:meth:`~kinewrite.progress.Progress.beyond_noise` (docs/measurement-error.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis.features import feature_names
from ..analysis.measurement_error import Noise, measurement_noise

__all__ = ["changes_beyond", "feature_noise"]


def feature_noise(repeats: pd.DataFrame, baseline: pd.DataFrame) -> dict[str, Noise]:
    """The noise of every registered feature of one protocol task.

    Parameters
    ----------
    repeats : pandas.DataFrame
        Every complete trial of the task (column ``session_number``, then the features):
        the repeated trials of a visit measure the noise.
    baseline : pandas.DataFrame
        The task's rows of the visits before the first treatment; used when there are two
        or more (visits that differ by noise alone).

    Returns
    -------
    dict
        Feature name -> :class:`~kinewrite.analysis.measurement_error.Noise` (NaN,
        ``known`` False, without repeats).
    """
    names = feature_names()
    noise = measurement_noise(repeats[names].to_numpy(dtype=np.float64),
                              repeats["session_number"].to_numpy(),
                              baseline[names].to_numpy(dtype=np.float64)
                              if len(baseline) >= 2 else None)
    return dict(zip(names, noise, strict=True))


def changes_beyond(values: np.ndarray, mdc95: float) -> np.ndarray:
    """Per visit: True where the value differs from the previous visit's by more than
    `mdc95` (a real change); False for the first visit, a gap (NaN), or an unknown (NaN)
    `mdc95`.

    Examples
    --------
    >>> changes_beyond(np.array([1.0, 1.5, 3.0, np.nan, 3.1]), 1.0).tolist()
    [False, False, True, False, False]
    >>> changes_beyond(np.array([1.0, 9.0]), float("nan")).tolist()
    [False, False]
    """
    out = np.zeros(values.size, dtype=bool)
    if values.size > 1 and math.isfinite(mdc95):
        with np.errstate(invalid="ignore"):
            out[1:] = np.abs(np.diff(values)) > mdc95  # NaN compares False
    return out
