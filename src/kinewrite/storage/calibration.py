"""The calibration stored with every session: raw device values to mm, 0..1 and newtons."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .attrs import attr_str

__all__ = ["Calibration", "trial_guide_mm"]


@dataclass(frozen=True)
class Calibration:
    """How raw device values map to physical units; stored in ``/calibration``.

    ``x_mm = x * x_mm_per_unit + x_offset_mm`` (likewise y; a negative ``y_mm_per_unit``
    turns screen coordinates, y down, into y up); ``pressure fraction = level /
    pressure_max``; ``force_N = polyval(pressure_newton_coeffs, fraction) - tare_N`` where
    calibrated (coefficients highest power first, as :func:`numpy.polyval`).
    """

    x_mm_per_unit: float = 1.0
    y_mm_per_unit: float = 1.0
    x_offset_mm: float = 0.0
    y_offset_mm: float = 0.0
    pressure_max: float = 1.0
    pressure_saturation: float | None = None
    pressure_newton_coeffs: tuple[float, ...] = ()
    tare_N: float = 0.0
    source: str = "identity: values already in mm"

    def to_attrs(self) -> dict[str, Any]:
        return {
            "x_mm_per_unit": self.x_mm_per_unit, "y_mm_per_unit": self.y_mm_per_unit,
            "x_offset_mm": self.x_offset_mm, "y_offset_mm": self.y_offset_mm,
            "pressure_max": self.pressure_max,
            "pressure_saturation": (self.pressure_max if self.pressure_saturation is None
                                    else self.pressure_saturation),
            "pressure_newton_coeffs": np.asarray(self.pressure_newton_coeffs, dtype="f8"),
            "tare_N": self.tare_N, "source": self.source,
        }

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> Calibration:
        return cls(
            x_mm_per_unit=float(attrs.get("x_mm_per_unit", 1.0)),
            y_mm_per_unit=float(attrs.get("y_mm_per_unit", 1.0)),
            x_offset_mm=float(attrs.get("x_offset_mm", 0.0)),
            y_offset_mm=float(attrs.get("y_offset_mm", 0.0)),
            pressure_max=float(attrs.get("pressure_max", 1.0)),
            pressure_saturation=float(attrs.get("pressure_saturation",
                                                attrs.get("pressure_max", 1.0))),
            pressure_newton_coeffs=tuple(float(c) for c in
                                         np.atleast_1d(attrs.get("pressure_newton_coeffs", []))),
            tare_N=float(attrs.get("tare_N", 0.0)),
            source=str(attrs.get("source", "")),
        )

def trial_guide_mm(attrs: Mapping[str, Any], calibration: Calibration) -> np.ndarray | None:
    """The guide shown while a trial was recorded, as polyline vertices in mm.

    Read from the trial attribute ``guide_polylines_px`` (JSON polylines in the unit of
    the x, y channels, written by the recording panel when a guide is shown) and mapped
    with the session calibration, exactly as the samples are. The first polyline is
    returned (a spiral guide has one); None when no guide was shown or the attribute is
    unreadable.
    """
    raw = attr_str(attrs, "guide_polylines_px")
    if not raw:
        return None
    try:
        lines = json.loads(raw)
        line = np.asarray(lines[0], dtype=np.float64)
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    if line.ndim != 2 or line.shape[1] != 2 or line.shape[0] < 2 or not np.isfinite(line).all():
        return None
    return np.column_stack((line[:, 0] * calibration.x_mm_per_unit + calibration.x_offset_mm,
                            line[:, 1] * calibration.y_mm_per_unit + calibration.y_offset_mm))
