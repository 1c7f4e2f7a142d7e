"""The session calibration: a geometry mapping and an optional stylus pressure profile
combined into the :class:`~kinewrite.storage.calibration.Calibration` stored with every
session. Qt-free.
"""

from __future__ import annotations

import math
from typing import Any

from ...storage.calibration import Calibration
from .errors import CalibrationError
from .mapping import ScreenMapping
from .pressure import PressureProfile

__all__ = ["calibration"]


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
