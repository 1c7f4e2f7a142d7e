"""Calibration geometry: how many mm of writing surface one logical pixel of the recording
widget stands for, per axis (a screen's size or resolution, a tablet's active area mapped to a
screen area, a check measurement's correction). Qt-free: the Qt side reads the screen's numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import CalibrationError

__all__ = ["ScreenMapping"]

#: A plausible logical pixel is between these sizes (mm); outside, the screen's report or the
#: numbers typed are wrong.
_MM_PER_PX_RANGE = (0.01, 5.0)
#: A check measurement that corrects the scale by more than this factor is a typing mistake.
_MAX_CORRECTION = 2.0


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


def _pair(values: Sequence[float], what: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in values)
    except (TypeError, ValueError):
        raise CalibrationError(f"{what} must be two numbers, got {values!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise CalibrationError(f"{what} must be positive, got {a:g} x {b:g}")
    return a, b
