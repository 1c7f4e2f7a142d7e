"""Calibration: widget pixels to mm, and a stylus's pressure reading to newtons.

Two steps, combined by :func:`calibration` into the
:class:`~kinewrite.storage.calibration.Calibration` stored with every session:

1. **Geometry** (:class:`ScreenMapping`): how many mm of writing surface one logical pixel of
   the recording widget stands for, per axis.

   - A pen display, or a mouse: the screen's physical size over its size in logical pixels
     (Qt: ``QScreen.physicalSize()`` in mm and ``QScreen.geometry()`` in logical px), or
     25.4 / ``QScreen.physicalDotsPerInch()``. Monitors often report a wrong size (EDID), so
     the therapist measures a drawn line with a ruler and corrects it
     (:meth:`ScreenMapping.corrected`).
   - A tablet beside the screen, mapped to a screen area: the tablet's active area in mm over
     the mapped area in px, per axis (they differ when the driver does not keep proportions).

   Widget y grows downwards; the stored calibration has a negative ``y_mm_per_unit`` so that
   y grows upwards in mm, as the analysis expects.
2. **Pressure** (:class:`PressureProfile`): per stylus, known weights rest on the pen tip and
   the pressure fraction (0..1) it reports is read; a least-squares polynomial maps the
   fraction to newtons (stylus profiling). Pen pressure is axial tip force, a proxy of grip
   (docs/science.md §1).

Profiles are JSON files in ``$KINEWRITE_CONFIG_DIR/styluses/`` (default
``~/.config/kinewrite/styluses/``), written atomically. This module never imports Qt.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_text, private_folder
from ..analysis.force import pressure_to_newtons
from ..errors import InputError
from ..storage.calibration import Calibration
from .tasks import config_dir

__all__ = [
    "GRAVITY_M_S2",
    "CalibrationError",
    "PressureProfile",
    "ScreenMapping",
    "calibration",
    "fit_pressure_profile",
    "grams_to_newtons",
    "list_profiles",
    "load_profile",
    "profile_path",
    "save_profile",
    "styluses_dir",
]

#: Standard gravity (m/s²), for weights in grams to newtons.
GRAVITY_M_S2 = 9.81
#: A plausible logical pixel is between these sizes (mm); outside, the screen's report or the
#: numbers typed are wrong.
_MM_PER_PX_RANGE = (0.01, 5.0)
#: A check measurement that corrects the scale by more than this factor is a typing mistake.
_MAX_CORRECTION = 2.0
PROFILE_FORMAT = "kinewrite-stylus-profile"


class CalibrationError(InputError):
    """Calibration input that cannot be right; one-line message saying what and why."""


# ---------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class ScreenMapping:
    """Millimetres of writing surface per logical pixel of the recording widget.

    Parameters
    ----------
    x_mm_per_px, y_mm_per_px : float
        Both positive (the y flip happens in :func:`calibration`).
    source : str
        How the numbers were obtained, in words (stored in the session).
    """

    x_mm_per_px: float
    y_mm_per_px: float
    source: str = ""

    def __post_init__(self) -> None:
        lo, hi = _MM_PER_PX_RANGE
        for name in ("x_mm_per_px", "y_mm_per_px"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and lo <= v <= hi):
                raise CalibrationError(f"{name} = {v!r} is not a plausible pixel size "
                                       f"(expected {lo} to {hi} mm)")

    @classmethod
    def from_screen(cls, physical_mm: Sequence[float], size_px: Sequence[float]) -> ScreenMapping:
        """Pen display or mouse: the screen's physical size (mm) over its logical size (px).

        Examples
        --------
        >>> m = ScreenMapping.from_screen((527.0, 296.0), (1920, 1080))
        >>> round(m.x_mm_per_px, 5), round(m.y_mm_per_px, 5)
        (0.27448, 0.27407)
        """
        (w_mm, h_mm), (w_px, h_px) = _pair(physical_mm, "screen size (mm)"), _pair(
            size_px, "screen size (px)")
        return cls(w_mm / w_px, h_mm / h_px,
                   f"screen {w_mm:g} x {h_mm:g} mm over {w_px:g} x {h_px:g} px")

    @classmethod
    def from_dpi(cls, dpi_x: float, dpi_y: float | None = None) -> ScreenMapping:
        """Pen display or mouse: 25.4 mm per inch over the physical dots per logical inch."""
        dx, dy = _pair((dpi_x, dpi_x if dpi_y is None else dpi_y), "screen resolution (dpi)")
        return cls(25.4 / dx, 25.4 / dy, f"screen {dx:g} x {dy:g} dpi")

    @classmethod
    def from_tablet(cls, active_mm: Sequence[float], mapped_px: Sequence[float]) -> ScreenMapping:
        """A tablet whose active area (mm) is mapped to a screen area of `mapped_px` (px).

        Examples
        --------
        >>> m = ScreenMapping.from_tablet((152.0, 95.0), (1920, 1080))
        >>> round(m.x_mm_per_px, 5), round(m.y_mm_per_px, 5)
        (0.07917, 0.08796)
        """
        (w_mm, h_mm), (w_px, h_px) = _pair(active_mm, "tablet active area (mm)"), _pair(
            mapped_px, "mapped screen area (px)")
        return cls(w_mm / w_px, h_mm / h_px,
                   f"tablet active area {w_mm:g} x {h_mm:g} mm mapped to {w_px:g} x {h_px:g} px")

    def corrected(self, nominal_mm: float, measured_mm: float, axis: str = "both") -> ScreenMapping:
        """The mapping after a check measurement: a length the mapping calls `nominal_mm`
        is really `measured_mm` long.

        On a screen, draw a ``nominal_mm`` line with this mapping and measure it with a ruler;
        on a tablet, trace a ruler's ``measured_mm`` and read the length the mapping gives
        (``nominal_mm``). Either way the pixel size scales by ``measured_mm / nominal_mm``.

        Parameters
        ----------
        nominal_mm, measured_mm : float
            Positive lengths in mm.
        axis : {"x", "y", "both"}
            The horizontal line corrects x, the vertical line y.

        Raises
        ------
        CalibrationError
            On non-positive lengths, or a correction by more than a factor 2 (a misreading,
            such as 9.7 typed for 97).

        Examples
        --------
        >>> m = ScreenMapping(0.25, 0.25).corrected(100.0, 97.0, axis="x")
        >>> round(m.x_mm_per_px, 6), m.y_mm_per_px
        (0.2425, 0.25)
        """
        if axis not in ("x", "y", "both"):
            raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
        nominal, measured = _pair((nominal_mm, measured_mm), "check lengths (mm)")
        factor = measured / nominal
        if not 1 / _MAX_CORRECTION <= factor <= _MAX_CORRECTION:
            raise CalibrationError(
                f"a {nominal:g} mm line measured as {measured:g} mm would rescale by "
                f"{factor:.3g}: check the measurement (mm, not cm)")
        fx = factor if axis in ("x", "both") else 1.0
        fy = factor if axis in ("y", "both") else 1.0
        note = f"{axis}: {nominal:g} mm measured {measured:g} mm"
        source = f"{self.source}; corrected ({note})" if self.source else f"corrected ({note})"
        return ScreenMapping(self.x_mm_per_px * fx, self.y_mm_per_px * fy, source)

    def px_per_mm(self) -> tuple[float, float]:
        """Pixels per mm along x and y: to draw a guide of known size."""
        return 1.0 / self.x_mm_per_px, 1.0 / self.y_mm_per_px


# ---------------------------------------------------------------------------- pressure


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


def styluses_dir() -> Path:
    """Folder of stylus profiles: ``<config dir>/styluses`` (see
    :func:`kinewrite.acquisition.tasks.config_dir`)."""
    return config_dir() / "styluses"


def profile_path(stylus: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The file of a stylus's profile: its name with each run of characters other than
    letters, digits, ``.``, ``-`` and ``_`` replaced by one ``_``, plus ``.json``."""
    if not stylus.strip():
        raise CalibrationError("a stylus profile needs a stylus name")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stylus.strip()).lstrip(".")
    return Path(directory if directory is not None else styluses_dir()) / f"{safe}.json"


def save_profile(profile: PressureProfile,
                 directory: str | os.PathLike[str] | None = None) -> Path:
    """Write the profile atomically (temporary file, fsync, rename); returns its path.

    An earlier profile of the same stylus is replaced only once the new one is whole on disk.
    """
    path = profile_path(profile.stylus, directory)
    private_folder(path.parent)
    atomic_write_text(path, profile.to_json())  # unique temporary name, fsync, rename
    return path


def load_profile(stylus_or_path: str | os.PathLike[str],
                 directory: str | os.PathLike[str] | None = None) -> PressureProfile:
    """A saved profile, by stylus name (looked up in `directory`, default
    :func:`styluses_dir`) or by the path of a ``.json`` file."""
    candidate = Path(stylus_or_path)
    path = candidate if candidate.suffix == ".json" else profile_path(str(stylus_or_path),
                                                                      directory)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: not a text file") from None
    return PressureProfile.from_json(text, str(path))


def list_profiles(directory: str | os.PathLike[str] | None = None,
                  errors: list[str] | None = None) -> list[PressureProfile]:
    """Every readable profile in `directory` (default :func:`styluses_dir`), sorted by
    stylus name; unreadable files are skipped, their messages appended to `errors`."""
    folder = Path(directory if directory is not None else styluses_dir())
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            found.append(load_profile(path))
        except CalibrationError as exc:
            if errors is not None:
                errors.append(str(exc))
    return sorted(found, key=lambda p: p.stylus.lower())


# ---------------------------------------------------------------------------- combined


def calibration(
    mapping: ScreenMapping | None,
    profile: PressureProfile | None = None,
    *,
    origin_px: tuple[float, float] = (0.0, 0.0),
    pressure_max: float = 1.0,
    pressure_saturation: float | None = None,
) -> Calibration:
    """The session calibration from a geometry mapping and an optional pressure profile.

    Parameters
    ----------
    mapping : ScreenMapping or None
        None: positions are already in mm (identity, y not flipped).
    profile : PressureProfile, optional
        Without one, pressure stays a fraction (no newtons).
    origin_px : (float, float), default (0, 0)
        The widget pixel that becomes (0, 0) mm. Pass the bottom-left corner of the writing
        area to get positive y (y grows upwards in mm, downwards in px).
    pressure_max : float, default 1
        Raw pressure value of the device's full range (1 for Qt's 0..1 pressure).
    pressure_saturation : float, optional
        The raw value at which the sensor saturates, if known (default: `pressure_max`).

    Returns
    -------
    Calibration
        ``x_mm = x_px * x_mm_per_unit + x_offset_mm`` with ``y_mm_per_unit < 0``; ``source``
        says in words what was used.

    Examples
    --------
    >>> c = calibration(ScreenMapping(0.25, 0.25), origin_px=(0, 400))
    >>> c.y_mm_per_unit, c.y_offset_mm, 400 * c.y_mm_per_unit + c.y_offset_mm
    (-0.25, 100.0, 0.0)
    """
    if not (math.isfinite(pressure_max) and pressure_max > 0):
        raise CalibrationError(f"pressure_max must be positive, got {pressure_max!r}")
    x0, y0 = (float(v) for v in origin_px)
    if mapping is None:
        kw: dict[str, Any] = {"source": "positions in mm as recorded"}
    else:
        kw = {"x_mm_per_unit": mapping.x_mm_per_px, "y_mm_per_unit": -mapping.y_mm_per_px,
              "x_offset_mm": -x0 * mapping.x_mm_per_px, "y_offset_mm": y0 * mapping.y_mm_per_px,
              "source": mapping.source or "screen mapping"}
    if profile is not None:
        kw["pressure_newton_coeffs"] = profile.coeffs
        kw["tare_N"] = profile.tare_N
        kw["source"] += (f"; pressure: stylus {profile.stylus!r} profile of {profile.date[:10]}"
                         f", degree {profile.degree}, residual {profile.residual_N:.3f} N")
    else:
        kw["source"] += "; pressure: fraction of the device range (no stylus profile)"
    saturation = float(pressure_max if pressure_saturation is None else pressure_saturation)
    return Calibration(pressure_max=float(pressure_max), pressure_saturation=saturation, **kw)


# ---------------------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _pair(values: Sequence[float], what: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in values)
    except (TypeError, ValueError):
        raise CalibrationError(f"{what} must be two numbers, got {values!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise CalibrationError(f"{what} must be positive, got {a:g} x {b:g}")
    return a, b
