"""One row per writing stroke of a trial: the strokes the features are computed from.

The strokes are those of :func:`~kinewrite.analysis.pipeline.writing_strokes` on the prepared
trial (:func:`~kinewrite.analysis.pipeline.prepare`), exactly as
:func:`~kinewrite.analysis.features.extract_features` segments them, so that aggregating
this table gives the trial's stroke features back: the row count is ``stroke_count``, the
median of ``duration_s`` is ``stroke_duration_median_s``, the median of
``vertical_size_mm`` is ``stroke_size_median_mm``, the means of ``niv`` and ``nca`` are
``niv_mean`` and ``nca_mean``, the median of ``normalized_jerk`` is
``normalized_jerk_median``, the SD over mean of ``peak_vertical_speed_mm_s`` is
``peak_vertical_velocity_cv``. Definitions: Mai & Marquardt (CSWin) for strokes, NIV and NCA;
Teulings et al. (1997) for the normalized jerk (``docs/features.md``). Vectorized: no Python
loop per stroke.
"""

from __future__ import annotations

import numpy as np

from ..model import Recording
from .kinematics import ldlj, normalized_jerk
from .pipeline import prepare, writing_strokes

__all__ = ["STROKE_COLUMNS", "stroke_table"]

#: Columns of :func:`stroke_table`, in order, with their units.
STROKE_COLUMNS: dict[str, str] = {
    "stroke": "1",
    "start_s": "s",
    "end_s": "s",
    "duration_s": "s",
    "vertical_size_mm": "mm",
    "peak_vertical_speed_mm_s": "mm/s",
    "peak_speed_mm_s": "mm/s",
    "path_length_mm": "mm",
    "niv": "1",
    "nca": "1",
    "normalized_jerk": "1",
    "ldlj": "1",
    "pressure_mean": "1",
}


def stroke_table(recording: Recording, task: str = "free",
                 nominal_rate_hz: float | None = None) -> dict[str, np.ndarray]:
    """The strokes of one trial, one array per column of :data:`STROKE_COLUMNS`.

    ``stroke`` is 1-based; ``start_s``, ``end_s`` are from the trial's first sample on the
    rebuilt clock; ``vertical_size_mm`` is the stroke's height (baseline horizontal for
    writing tasks); ``peak_vertical_speed_mm_s`` the peak of |v_y|; ``pressure_mean`` the
    mean pen pressure over the stroke as a fraction of the device range (NaN without
    pressure), the raw pressure interpolated onto the analysis grid.

    Raises
    ------
    RecordingError
        If the pen never touches the surface.

    Examples
    --------
    >>> from kinewrite.simulate import simulate_trial
    >>> table = stroke_table(simulate_trial("loops", 10, loop_hz=2.5, seed=1).recording, "loops")
    >>> 48 <= table["stroke"].size <= 50, round(float(np.median(table["duration_s"])), 2)
    (True, 0.2)
    """
    with np.errstate(all="ignore"):
        p = prepare(recording, task, nominal_rate_hz=nominal_rate_hz)
        s = writing_strokes(p)
        t0 = float(p.t[0])
        nj = normalized_jerk(s.jerk_sq_integral, s.duration_s, s.path_length_mm)
        dl = ldlj(s.jerk_sq_integral, s.duration_s, s.peak_speed_mm_s)
        if p.pressure is None or s.count == 0:
            pressure = np.full(s.count, np.nan)
        else:
            on_grid = np.interp(p.g_t, p.t, p.pressure)
            sums = np.add.reduceat(np.append(on_grid, 0.0), np.ravel(
                np.column_stack((s.start, s.stop))))[::2]
            pressure = sums / (s.stop - s.start)
    return {
        "stroke": np.arange(1, s.count + 1, dtype=np.int64),
        "start_s": s.t_start - t0,
        "end_s": s.t_start + s.duration_s - t0,
        "duration_s": s.duration_s,
        "vertical_size_mm": s.vertical_size_mm,
        "peak_vertical_speed_mm_s": s.peak_vertical_speed_mm_s,
        "peak_speed_mm_s": s.peak_speed_mm_s,
        "path_length_mm": s.path_length_mm,
        "niv": s.niv.astype(np.int64),
        "nca": s.nca.astype(np.int64),
        "normalized_jerk": nj,
        "ldlj": dl,
        "pressure_mean": pressure,
    }
