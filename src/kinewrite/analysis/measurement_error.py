"""Measurement error and real change: within-patient SD, SEM and the smallest detectable change.

A change between two visits means something only if it is larger than the variation of
repeated measurements of an unchanged patient. From repeated measurements grouped by
occasion (the repeated trials of one visit; the two visits before a treatment), for every
measure at once:

- **within-subject SD** ``s_w``: the pooled SD of the repeats around their group's mean,
  ``s_w = sqrt(sum_g sum_i (x_gi - mean_g)^2 / sum_g (n_g - 1))`` (Bland & Altman 1996,
  BMJ 313:744). For one patient it *is* the standard error of measurement:
  ``SEM = s_w`` (the SEM is the within-subject SD; the ``SD * sqrt(1 - ICC)`` form is the
  same quantity estimated from a group of patients, de Vet et al. 2006, J Clin Epidemiol
  59:1033);
- **smallest detectable change** ``MDC95 = 1.96 * sqrt(2) * SEM`` (the difference of two
  measurements has SD ``sqrt(2) * SEM``; 95 % of the differences of an unchanged patient stay
  within ±MDC95; Weir 2005, J Strength Cond Res 19:231).

No MDC is published for stroke frequency, NIV, NCA or pen pressure in writer's cramp, so
kinewrite estimates each patient's own from their repeats (docs/measurement-error.md). With
few repeats the estimate is itself uncertain (``dof`` says how many degrees of freedom it
rests on); with none it is NaN and no change is called beyond noise.

Vectorized over measures and samples (no loop per value); never imports Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MDC_FACTOR", "Noise", "change_verdict", "mdc95", "measurement_noise",
           "pooled_within_sd"]

#: MDC95 = 1.96 x sqrt(2) x SEM.
MDC_FACTOR = 1.96 * math.sqrt(2.0)
BEYOND = "beyond measurement noise"
WITHIN = "within noise"
UNKNOWN = "noise not known"


def pooled_within_sd(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pooled within-group SD of every column, and its degrees of freedom.

    Parameters
    ----------
    values : ndarray, shape (n,) or (n, k)
        Repeated measurements (rows) of k measures; NaN values are left out.
    groups : ndarray of int, shape (n,)
        The occasion of each row (e.g. the visit); repeats share a label.

    Returns
    -------
    sd : ndarray, shape (k,) (a 0-d array for 1-D `values`)
        ``sqrt(sum of squared deviations from the group means / dof)``; NaN where
        ``dof == 0`` (no group holds two finite values).
    dof : ndarray of int, shape (k,)
        ``sum over groups of (finite values - 1)``, groups with one value counting 0.

    Examples
    --------
    >>> sd, dof = pooled_within_sd(np.array([1.0, 2.0, 3.0, 4.0, 6.0]),
    ...                            np.array([0, 0, 0, 1, 1]))
    >>> round(float(sd) ** 2, 6), int(dof)      # (2 + 2) / (2 + 1)
    (1.333333, 3)
    """
    x = np.asarray(values, dtype=np.float64)
    one = x.ndim == 1
    x = x.reshape(x.shape[0], -1)
    g = np.asarray(groups)
    if g.shape != (x.shape[0],):
        raise ValueError(f"groups must have one label per row, got {g.shape} for {x.shape}")
    _, idx = np.unique(g, return_inverse=True)
    n_groups = int(idx.max()) + 1 if idx.size else 0
    ok = np.isfinite(x)
    xz = np.where(ok, x, 0.0)
    counts = np.zeros((n_groups, x.shape[1]))
    sums = np.zeros((n_groups, x.shape[1]))
    np.add.at(counts, idx, ok)
    np.add.at(sums, idx, xz)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    dev = np.where(ok, x - means[idx], 0.0)
    ss = (dev * dev).sum(axis=0)
    dof = np.maximum(counts - 1, 0).sum(axis=0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(dof > 0, np.sqrt(ss / np.maximum(dof, 1)), np.nan)
    return (sd[0], dof[0]) if one else (sd, dof)


def mdc95(sem: float | np.ndarray) -> float | np.ndarray:
    """Smallest detectable change at 95 %: ``1.96 * sqrt(2) * SEM``.

    >>> round(mdc95(1.0), 4)
    2.7719
    """
    out = MDC_FACTOR * np.asarray(sem, dtype=np.float64)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Noise:
    """The measurement noise of one measure of one patient and protocol task.

    Attributes
    ----------
    sd_within : float
        Within-patient SD in the measure's unit (NaN if not estimable).
    sem : float
        Standard error of measurement, = ``sd_within``.
    mdc95 : float
        Smallest detectable change, ``1.96 * sqrt(2) * sem``.
    dof : int
        Degrees of freedom of the estimate.
    source : str
        What the estimate comes from: ``"repeated trials"`` (of the visits),
        ``"baseline visits"`` (the visits before the first treatment), or ``""``.
    """

    sd_within: float
    sem: float
    mdc95: float
    dof: int
    source: str

    @property
    def known(self) -> bool:
        return math.isfinite(self.mdc95)


def measurement_noise(trial_values: np.ndarray, visit: np.ndarray,
                      baseline_values: np.ndarray | None = None) -> list[Noise]:
    """Noise of k measures from the repeated trials of each visit and two baseline visits.

    Parameters
    ----------
    trial_values : ndarray, shape (n, k)
        Every complete trial of one protocol task (rows), k measures (NaN left out).
    visit : ndarray, shape (n,)
        The visit of each row: repeats within a visit estimate trial-to-trial noise.
    baseline_values : ndarray, shape (m, k), optional
        One value per visit before any treatment (m >= 2 to count): their spread estimates
        visit-to-visit noise of an untreated patient.

    Returns
    -------
    list of Noise
        One per measure. Where both estimates exist, the larger SD is used (visit-to-visit
        variation includes trial-to-trial variation; taking the larger never calls a change
        real that one of them calls noise), its source named.
    """
    x = np.asarray(trial_values, dtype=np.float64).reshape(len(visit), -1)
    sd_t, dof_t = pooled_within_sd(x, np.asarray(visit))
    k = x.shape[1]
    sd_b = np.full(k, np.nan)
    dof_b = np.zeros(k, dtype=np.int64)
    if baseline_values is not None and len(baseline_values) >= 2:
        b = np.asarray(baseline_values, dtype=np.float64).reshape(len(baseline_values), -1)
        sd_b, dof_b = pooled_within_sd(b, np.zeros(b.shape[0], dtype=int))
    use_b = np.isfinite(sd_b) & ~(sd_t >= sd_b)  # baseline where trials are NaN or smaller
    sd = np.where(use_b, sd_b, sd_t)
    mdc = np.asarray(mdc95(sd))
    out = []
    for j in range(k):  # one small record per measure (k ~ 60), not per sample
        source = ("baseline visits" if use_b[j]
                  else "repeated trials" if math.isfinite(sd_t[j]) else "")
        out.append(Noise(float(sd[j]), float(sd[j]), float(mdc[j]),
                         int(dof_b[j] if use_b[j] else dof_t[j]), source))
    return out


def change_verdict(before: float, after: float, mdc: float) -> str:
    """Whether the change from `before` to `after` is beyond the smallest detectable change.

    Returns
    -------
    {"beyond measurement noise", "within noise", "noise not known"}
        ``"noise not known"`` if `mdc` or a value is NaN (too few repeats).

    Examples
    --------
    >>> change_verdict(2.0, 4.4, 0.5), change_verdict(2.0, 2.3, 0.5)
    ('beyond measurement noise', 'within noise')
    >>> change_verdict(2.0, 4.4, float("nan"))
    'noise not known'
    """
    if not (math.isfinite(before) and math.isfinite(after) and math.isfinite(mdc)):
        return UNKNOWN
    return BEYOND if abs(after - before) > mdc else WITHIN
