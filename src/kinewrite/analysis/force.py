"""Pen pressure in newtons: the one conversion of a pressure fraction through a stylus profile.

A tablet reports pressure as a level; kinewrite stores it as a fraction 0..1 of the device
range. A *stylus profile* (``kinewrite.acquisition.calibration.PressureProfile``, stored with
each session in ``/calibration`` as ``pressure_newton_coeffs`` and ``tare_N``) maps the
fraction to the axial tip force:

    force_N = polyval(coeffs, fraction) - tare_N

(coefficients highest power first, as :func:`numpy.polyval`; the tare makes the pen at rest
read 0 N). Every place that shows or analyzes force (features, review plots, audio feedback,
the calibration dialog) calls :func:`pressure_to_newtons`, so one curve gives one number.

The force is axial tip force, a proxy of grip force (docs/features.md, "Pen pressure"). This
module never imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["is_calibrated", "pressure_in_newtons_if_calibrated", "pressure_to_newtons"]


def is_calibrated(coeffs: Sequence[float] | np.ndarray | None) -> bool:
    """Whether `coeffs` is a usable force curve: at least one coefficient, all finite.

    Examples
    --------
    >>> is_calibrated(()), is_calibrated((2.0, 0.0)), is_calibrated((float("nan"),))
    (False, True, False)
    """
    if coeffs is None:
        return False
    c = np.asarray(coeffs, dtype=np.float64).ravel()
    return c.size > 0 and bool(np.all(np.isfinite(c)))


def pressure_to_newtons(fraction: float | np.ndarray, coeffs: Sequence[float] | np.ndarray,
                        tare_N: float = 0.0) -> np.ndarray:
    """Axial pen force in N from the pressure fraction, through a stylus profile.

    Parameters
    ----------
    fraction : float or ndarray
        Pressure as a fraction 0..1 of the device range (NaN stays NaN).
    coeffs : sequence of float
        The profile's polynomial, highest power first (``pressure_newton_coeffs``).
    tare_N : float, default 0
        The profile's value at the resting pen, subtracted.

    Returns
    -------
    ndarray
        Force in N, same shape as `fraction` (0-d for a scalar).

    Raises
    ------
    ValueError
        If `coeffs` is empty or not finite (an uncalibrated stylus has no newtons), or
        `tare_N` is not finite.

    Examples
    --------
    >>> float(pressure_to_newtons(0.5, (4.0, 0.0)))     # linear 4 N full scale
    2.0
    >>> pressure_to_newtons(np.array([0.0, 1.0]), (1.0, 2.0, 0.5), tare_N=0.5).tolist()
    [0.0, 3.0]
    """
    if not is_calibrated(coeffs):
        raise ValueError("no stylus profile: pressure has no newtons (empty or non-finite "
                         "pressure_newton_coeffs)")
    if not math.isfinite(float(tare_N)):
        raise ValueError(f"tare_N must be finite, got {tare_N!r}")
    c = np.asarray(coeffs, dtype=np.float64).ravel()
    return np.polyval(c, np.asarray(fraction, dtype=np.float64)) - float(tare_N)


def pressure_in_newtons_if_calibrated(
    fraction: np.ndarray, coeffs: Sequence[float] | np.ndarray | None, tare_N: float = 0.0
) -> tuple[np.ndarray, str]:
    """Pressure in N through the stylus profile where there is one, else the fraction.

    Returns
    -------
    values : ndarray
        :func:`pressure_to_newtons` of `fraction` when `coeffs` is a profile
        (:func:`is_calibrated`), else `fraction` itself as float64.
    unit : str
        ``"N"`` or ``"1"`` (fraction of the device range).

    Examples
    --------
    >>> pressure_in_newtons_if_calibrated(np.array([0.25]), (4.0, 0.0))
    (array([1.]), 'N')
    >>> pressure_in_newtons_if_calibrated(np.array([0.25]), ())
    (array([0.25]), '1')
    """
    if is_calibrated(coeffs):
        assert coeffs is not None
        return pressure_to_newtons(fraction, coeffs, tare_N), "N"
    return np.asarray(fraction, dtype=np.float64), "1"
