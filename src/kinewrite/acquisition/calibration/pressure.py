"""Stylus pressure profiles: a stylus's reported pressure fraction (0..1) to newtons, fitted
by least squares to known weights resting on the pen tip (stylus profiling), and the profile's
JSON form. Pen pressure is axial tip force, a proxy of grip (docs/science.md §1). Qt-free.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np

from ...analysis.force import pressure_to_newtons
from .errors import CalibrationError

__all__ = ["GRAVITY_M_S2", "PROFILE_FORMAT", "PressureProfile", "fit_pressure_profile",
           "grams_to_newtons"]

#: Standard gravity (m/s²), for weights in grams to newtons.
GRAVITY_M_S2 = 9.81
#: The ``format`` field of a stylus profile file.
PROFILE_FORMAT = "kinewrite-stylus-profile"


def grams_to_newtons(grams: float | np.ndarray) -> float | np.ndarray:
    """Weight of a mass in g, in N (at :data:`GRAVITY_M_S2`).

    >>> round(grams_to_newtons(100.0), 4)
    0.981
    """
    newtons = np.asarray(grams, dtype=float) * (1e-3 * GRAVITY_M_S2)
    return float(newtons) if newtons.ndim == 0 else newtons


@dataclass(frozen=True)
class PressureProfile:
    """One stylus's pressure curve: force (N) from the reported pressure fraction (0..1).

    ``force_N = polyval(coeffs, fraction) - tare_N`` (coefficients highest power first, as
    :func:`numpy.polyval`, the convention of
    :class:`~kinewrite.storage.calibration.Calibration`).

    Parameters
    ----------
    stylus : str
        The stylus's name (model and a label telling pens of one model apart).
    coeffs : tuple of float
        Polynomial coefficients, highest power first.
    tare_N : float
        The curve's value at the no-weight reading (0 without a tare): subtracting it makes
        the pen at rest read 0 N.
    degree : int
    fractions, newtons : tuple of float
        The calibration points the curve was fitted to (tare point included).
    tare_fraction : float or None
        The reading with no weight on the pen, if taken.
    residual_N : float
        RMS of the fitted net force minus the applied force over the points, N.
    date : str
        When it was fitted (ISO 8601, UTC).
    """

    stylus: str
    coeffs: tuple[float, ...]
    tare_N: float = 0.0
    degree: int = 2
    fractions: tuple[float, ...] = ()
    newtons: tuple[float, ...] = ()
    tare_fraction: float | None = None
    residual_N: float = 0.0
    date: str = field(default_factory=lambda: _now())

    def force_N(self, fraction: float | np.ndarray) -> np.ndarray:
        """Net force in N at pressure `fraction` (0..1)."""
        return pressure_to_newtons(fraction, self.coeffs, self.tare_N)

    def to_json(self) -> str:
        data = {"format": PROFILE_FORMAT, "format_version": 1, **asdict(self)}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "profile") -> PressureProfile:
        """Parse :meth:`to_json` output; `source` names the file in error messages."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"{source}: not a JSON file: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            raise CalibrationError(f"{source}: not a kinewrite stylus profile")
        try:
            coeffs = tuple(float(c) for c in data["coeffs"])
            profile = cls(
                stylus=str(data["stylus"]), coeffs=coeffs, tare_N=float(data["tare_N"]),
                degree=int(data["degree"]),
                fractions=tuple(float(v) for v in data.get("fractions", ())),
                newtons=tuple(float(v) for v in data.get("newtons", ())),
                tare_fraction=(None if data.get("tare_fraction") is None
                               else float(data["tare_fraction"])),
                residual_N=float(data.get("residual_N", math.nan)), date=str(data["date"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"{source}: missing or invalid field: {exc}") from None
        if (not coeffs or len(coeffs) != profile.degree + 1
                or not all(math.isfinite(c) for c in (*coeffs, profile.tare_N))):
            raise CalibrationError(f"{source}: coefficients do not match degree "
                                   f"{profile.degree} or are not finite")
        return profile


def fit_pressure_profile(
    fractions: Sequence[float] | np.ndarray,
    newtons: Sequence[float] | np.ndarray,
    degree: int = 2,
    *,
    tare_fraction: float | None = None,
    stylus: str = "",
) -> PressureProfile:
    """Least-squares polynomial from pressure fraction to force, with a tare.

    Parameters
    ----------
    fractions : array_like
        Pressure fraction (0..1) the pen reported under each weight (mean of a steady second).
    newtons : array_like
        The force of each weight on the tip, N (``grams_to_newtons(g)``).
    degree : {1, 2, 3}, default 2
    tare_fraction : float, optional
        The reading with no weight on the pen. Above 0 it is a calibration point at 0 N, and
        the curve's value there becomes ``tare_N`` (so the pen at rest reads exactly 0 N); a
        reading of 0 says only that the force is below the pen's activation force, and is
        ignored.
    stylus : str

    Returns
    -------
    PressureProfile

    Raises
    ------
    CalibrationError
        NaN or infinite values; fractions outside 0..1 or equal to 0 (a weight below the
        activation force tells nothing); negative forces; fewer than ``degree + 2`` points
        (the fit would pass through every point and its residual mean nothing) or fewer than
        ``degree + 1`` distinct fractions; a fitted force that does not rise with the
        fraction over 0..1.

    Examples
    --------
    >>> f = [0.1, 0.2, 0.4, 0.6, 0.8]
    >>> n = [0.5 + 4 * v + 2 * v**2 for v in f]
    >>> p = fit_pressure_profile(f, n, degree=2)
    >>> [round(c, 6) for c in p.coeffs]
    [2.0, 4.0, 0.5]
    """
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= 3:
        raise CalibrationError(f"degree must be 1, 2 or 3, got {degree!r}")
    f = np.asarray(fractions, dtype=float).ravel()
    n = np.asarray(newtons, dtype=float).ravel()
    if f.size != n.size:
        raise CalibrationError(f"{f.size} pressure readings for {n.size} weights")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(n))):
        raise CalibrationError("a pressure reading or weight is missing (NaN) or infinite")
    if np.any(f > 1) or np.any(f <= 0):
        bad = f[(f > 1) | (f <= 0)][0]
        raise CalibrationError(
            f"pressure reading {bad:g} is outside (0, 1]: a reading of 0 means the weight is "
            "below the pen's activation force; use a heavier weight")
    if np.any(n < 0):
        raise CalibrationError(f"force {n[n < 0][0]:g} N is negative")
    if tare_fraction is not None:
        tare_fraction = float(tare_fraction)
        if not (math.isfinite(tare_fraction) and 0 <= tare_fraction <= 1):
            raise CalibrationError(f"tare reading {tare_fraction!r} is not a fraction 0..1")
        if tare_fraction > 0:
            f, n = np.append(f, tare_fraction), np.append(n, 0.0)
        else:
            tare_fraction = None  # the pen reads 0 at rest: nothing to tare
    if f.size < degree + 2:
        raise CalibrationError(f"{f.size} calibration points are too few for a degree-{degree} "
                               f"curve: take at least {degree + 2}")
    if np.unique(f).size < degree + 1:
        raise CalibrationError(f"only {np.unique(f).size} different pressure readings: a "
                               f"degree-{degree} curve needs {degree + 1}")
    coeffs = np.polyfit(f, n, degree)
    grid = np.linspace(0.0, 1.0, 1001)
    curve = np.polyval(coeffs, grid)
    falls = np.flatnonzero(np.diff(curve) <= 0)
    if falls.size:
        raise CalibrationError(
            f"the fitted degree-{degree} curve does not rise steadily over 0..1 (it falls near "
            f"fraction {grid[falls[0]]:.2f}): check the readings, add points or lower the degree")
    tare_N = float(np.polyval(coeffs, tare_fraction)) if tare_fraction is not None else 0.0
    residual = float(np.sqrt(np.mean((pressure_to_newtons(f, coeffs, tare_N) - n) ** 2)))
    return PressureProfile(stylus=stylus, coeffs=tuple(float(c) for c in coeffs),
                           tare_N=tare_N, degree=degree,
                           fractions=tuple(float(v) for v in f),
                           newtons=tuple(float(v) for v in n), tare_fraction=tare_fraction,
                           residual_N=residual)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
