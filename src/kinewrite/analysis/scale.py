"""Physical-scale sanity check: is the writing's size plausible for its task?

Every mm threshold of the analysis (stroke merging at 0.3 mm, tremor amplitude) assumes the
positions are in true mm. A recording imported with the wrong device resolution is off by a
constant factor and looks normal otherwise, so its size is checked against what the task
produces (SCIENCE.md §2; ``docs/analysis.md``): letters of the test sentence are typically
3-10 mm tall, an Archimedes spiral 50-150 mm wide. A size outside those ranges by more than a
factor 2 (our choice: sizes vary between writers, wrong resolutions are usually off by far
more) is reported, never silently analysed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..model import Recording

__all__ = ["LETTER_MM", "SPIRAL_MM", "ScaleCheck", "check_scale"]

#: Typical letter height of the test sentence (mm), SCIENCE.md §2.
LETTER_MM = (3.0, 10.0)
#: Typical width of an Archimedes spiral (mm), SCIENCE.md §2.
SPIRAL_MM = (50.0, 150.0)
#: How far outside the typical range a size must be to be reported (factor; our choice).
TOLERANCE = 2.0
#: Tasks whose writing strokes are letters (SCIENCE.md §9).
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
        writing task's (sentence, loops, free) median stroke size against 3-10 mm. Each
        range is widened by :data:`TOLERANCE`. Other tasks (circles, lines) have no typical
        size in SCIENCE.md and are not checked; nor is a spiral imported as ``free``
        (import spirals with ``--task spiral``).
    """
    down = recording.pen_down
    if not down.any():
        return None
    x, y = recording.x[down], recording.y[down]
    extent = float(max(np.ptp(x), np.ptp(y)))
    if task == "spiral" and extent > 0:
        if not SPIRAL_MM[0] / TOLERANCE <= extent <= SPIRAL_MM[1] * TOLERANCE:
            return ScaleCheck("spiral width", extent, SPIRAL_MM)
    size = float((features or {}).get("stroke_size_median_mm", float("nan")))
    if task in LETTER_TASKS and np.isfinite(size) and size > 0:
        if not LETTER_MM[0] / TOLERANCE <= size <= LETTER_MM[1] * TOLERANCE:
            return ScaleCheck("letters (median writing-stroke height)", size, LETTER_MM)
    return None
