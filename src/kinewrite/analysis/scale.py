"""Physical-scale sanity check: is the writing's size plausible for its task?

Every mm threshold of the analysis (stroke merging at 0.3 mm, tremor amplitude) assumes the
positions are in true mm. A recording imported with the wrong device resolution is off by a
constant factor and looks normal otherwise, so its size is checked against what the task
produces (``docs/analysis.md``): letters of the test sentence are typically
3-10 mm tall, an Archimedes spiral 50-150 mm wide. A size well outside those ranges
(:data:`LETTER_LIMITS_MM`, :data:`SPIRAL_LIMITS_MM`) is reported, never silently analysed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..model import Recording

__all__ = ["LETTER_LIMITS_MM", "LETTER_MM", "SPIRAL_LIMITS_MM", "SPIRAL_MM", "ScaleCheck",
           "check_scale"]

#: Typical letter height of the test sentence (mm), docs/analysis.md.
LETTER_MM = (3.0, 10.0)
#: Typical width of an Archimedes spiral (mm), docs/analysis.md.
SPIRAL_MM = (50.0, 150.0)
#: Sizes reported: letters below 2 mm or above 20 mm, spirals below 25 mm or above 300 mm
#: (our choice: the typical ranges widened by a factor 1.5 below for letters, where
#: micrographia makes small writing real, and 2 otherwise; a wrong resolution is usually off
#: by far more, e.g. PaHaW read at 200 units/mm: letters 1.6 mm, spirals 13 mm).
LETTER_LIMITS_MM = (2.0, 20.0)
SPIRAL_LIMITS_MM = (25.0, 300.0)
#: Tasks whose writing strokes are letters (docs/protocols.md).
LETTER_TASKS = frozenset({"sentence", "loops", "free"})


@dataclass(frozen=True)
class ScaleCheck:
    """One implausible size: what was measured, its value, and the typical range."""

    what: str
    value_mm: float
    typical_mm: tuple[float, float]

    @property
    def factor(self) -> float:
        """Scale factor that brings the value to the middle (geometric mean) of the range."""
        return float(np.sqrt(self.typical_mm[0] * self.typical_mm[1]) / self.value_mm)

    def sentence(self) -> str:
        """One line: ``letters 1.6 mm tall (typical 3-10 mm)``."""
        lo, hi = self.typical_mm
        return f"{self.what} {self.value_mm:.3g} mm (typical {lo:g}-{hi:g} mm)"


def check_scale(recording: Recording, task: str,
                features: Mapping[str, float] | None = None) -> ScaleCheck | None:
    """The first implausible size of a recording for its task, or None.

    Parameters
    ----------
    recording : Recording
        Positions in mm.
    task : str
    features : mapping, optional
        The trial's features; ``stroke_size_median_mm`` (median vertical size of writing
        strokes) stands for the letter height of writing tasks.

    Returns
    -------
    ScaleCheck or None
        A spiral's width (larger side of the pen-down bounding box) against 50-150 mm; a
        writing task's (sentence, loops, free) median stroke size against 3-10 mm; reported
        outside :data:`SPIRAL_LIMITS_MM` and :data:`LETTER_LIMITS_MM`. Other tasks
        (circles, lines) have no typical size in the science brief and are not checked;
        nor is a spiral imported as ``free``
        (import spirals with ``--task spiral``).
    """
    down = np.asarray(recording.pen_down, dtype=bool)  # the Recording's own array, no copy
    if not down.any():
        return None
    x, y = recording.x[down], recording.y[down]
    extent = float(max(np.ptp(x), np.ptp(y)))
    if task == "spiral" and extent > 0:
        if not SPIRAL_LIMITS_MM[0] <= extent <= SPIRAL_LIMITS_MM[1]:
            return ScaleCheck("spiral width", extent, SPIRAL_MM)
    size = float((features or {}).get("stroke_size_median_mm", float("nan")))
    if task in LETTER_TASKS and np.isfinite(size) and size > 0:
        if not LETTER_LIMITS_MM[0] <= size <= LETTER_LIMITS_MM[1]:
            return ScaleCheck("letters (median writing-stroke height)", size, LETTER_MM)
    return None
