"""From a :class:`~kinewrite.model.Recording` to the signals every feature family reads.

:func:`prepare` runs the pre-processing of docs/science.md §2 once and keeps its intermediate
arrays in a :class:`Prepared`, so feature families (and the review plots) share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Recording, RecordingError
from . import preprocess as pp
from ._numeric import norm2
from .kinematics import segment_gradient
from .strokes import Strokes, segment_strokes

__all__ = ["RHYTHM_TOP_HZ", "WRITING_TASKS", "Prepared", "effective_lowpass_hz", "prepare",
           "rhythm_exclusion_hz", "spiral_interior", "writing_strokes"]

#: Tasks whose baseline is rotated to horizontal and whose stroke rhythm is excluded from the
#: tremor search (docs/science.md §2.4, §5).
WRITING_TASKS = frozenset({"sentence", "loops", "free"})

DEFAULT_RATE_HZ = 200.0
DEFAULT_LOWPASS_HZ = 12.0
#: The tremor branch runs on its own, coarser grid: the tremor band ends at 12 Hz, so 50 Hz
#: keeps it whole at a quarter of the cost of the kinematic grid.
DEFAULT_TREMOR_RATE_HZ = 50.0


#: The low-pass cut-off never exceeds this fraction of the grid rate (0.9 x Nyquist).
MAX_CUTOFF_FRACTION = 0.45


def effective_lowpass_hz(lowpass_hz: float, rate_hz: float) -> float:
    """The cut-off the low-pass is designed with: `lowpass_hz`, at most 0.45 x `rate_hz`.

    The filter's padding (:func:`~kinewrite.analysis.preprocess.settle_samples`) must be
    computed from this same value: a lower cut-off rings longer.

    Examples
    --------
    >>> effective_lowpass_hz(12.0, 200.0), effective_lowpass_hz(12.0, 20.0)
    (12.0, 9.0)
    """
    return min(lowpass_hz, MAX_CUTOFF_FRACTION * rate_hz)


@dataclass(frozen=True)
class Prepared:
    """Cleaned and resampled signals of one trial.

    Raw-clock arrays (``t``, ``x``, ``y``, ``pressure``, ``pen_down``) hold the
    de-duplicated samples in acquisition order on the rebuilt clock. Grid arrays (``g_*``)
    hold the pen-down
    segments resampled to ``rate_hz``, low-passed and, for writing tasks, with the baseline
    horizontal. Tremor arrays (``tr_*``) hold the same segments resampled to
    ``tremor_rate_hz`` and not low-passed, in the tablet's own frame (``tr_pressure``:
    the pressure on that grid). ``filter_settle`` is the low-pass's padding in grid
    samples: within it of a segment's end the filtered trace is a transient.
    ``source_index`` maps each raw-clock sample to its row in the recording (after the
    reordering and de-duplication), so another channel of the same rows (a stored pen
    state) can follow: ``channel[p.source_index]``.
    """

    task: str
    clock: pp.Clock
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    pressure: np.ndarray | None
    pen_down: np.ndarray
    pressure_ceiling: float
    pressure_newton_coeffs: tuple[float, ...]
    tare_N: float
    pen_runs: pp.Segments
    rate_hz: float
    g_t: np.ndarray
    g_segments: pp.Segments
    g_x: np.ndarray
    g_y: np.ndarray
    baseline_rad: float
    vx: np.ndarray
    vy: np.ndarray
    ax: np.ndarray
    ay: np.ndarray
    jx: np.ndarray
    jy: np.ndarray
    speed: np.ndarray
    tremor_rate_hz: float
    tr_xy: np.ndarray  # shape (2, n)
    tr_segments: pp.Segments
    tr_pressure: np.ndarray | None = None  # pressure on the tremor grid, shape (n,)
    lowpass_hz: float = DEFAULT_LOWPASS_HZ  # the cut-off the low-pass was designed with
    filter_settle: int = 0  # grid samples of the low-pass transient at each segment end
    source_index: np.ndarray | None = None  # recording row of each raw-clock sample


def prepare(
    recording: Recording,
    task: str = "free",
    rate_hz: float = DEFAULT_RATE_HZ,
    lowpass_hz: float = DEFAULT_LOWPASS_HZ,
    nominal_rate_hz: float | None = None,
    tremor_rate_hz: float = DEFAULT_TREMOR_RATE_HZ,
) -> Prepared:
    """Pre-process one trial (docs/science.md §2).

    Parameters
    ----------
    recording : Recording
    task : str
        One of :data:`kinewrite.model.TASKS`.
    rate_hz : float, default 200
        Rate of the uniform grid pen-down segments are resampled to.
    lowpass_hz : float, default 12
        Cut-off of the zero-phase 4th-order Butterworth low-pass applied before
        differentiating (MovAlyzeR and CSWin use 10-12 Hz).
    nominal_rate_hz : float, optional
        The device's nominal rate, used only for the gap threshold.
    tremor_rate_hz : float, default 50
        Rate of the grid of the tremor branch (at least twice the top of the tremor band).

    Returns
    -------
    Prepared

    Raises
    ------
    RecordingError
        If the pen never touches the surface, or if its pen-down segments would need a grid
        of more than :data:`~kinewrite.analysis.preprocess.MAX_GRID_SAMPLES` samples (4 h of
        writing at 200 Hz; checked before the grid is allocated).

    Examples
    --------
    A straight line at 30 mm/s sampled at 200 Hz for 2 s:

    >>> import numpy as np
    >>> t = np.arange(0, 2, 0.005)
    >>> p = prepare(Recording(t=t, x=30.0 * t, y=np.zeros(t.size)), "lines")
    >>> p.g_t.size, round(float(np.median(p.speed)), 6), p.lowpass_hz
    (400, 30.0, 12.0)
    """
    pen = np.asarray(recording.pen_down, dtype=bool)  # the Recording's own array, no copy
    if not pen.any():
        raise RecordingError("pen never touches the surface (all samples are pen up)")
    t, x, y = recording.t, recording.x, recording.y
    pressure = recording.pressure
    # acquisition order is the true order: a backward step is a clock fault (docs/analysis.md)
    order, t = pp.restore_order(t)
    if order is not None:  # rows never in acquisition order (a shuffled file): time order
        x, y, pen = x[order], y[order], pen[order]
        pressure = None if pressure is None else pressure[order]
    cols = [t, x, y, pen] + ([] if pressure is None else [pressure])
    keep = pp.drop_exact_duplicates(*cols)
    source_index = np.flatnonzero(keep) if order is None else order[keep]
    t, x, y, pen = t[keep], x[keep], y[keep], pen[keep]
    if pressure is not None:
        pressure = pressure[keep]
    clock = pp.rebuild_clock(t, nominal_rate_hz)
    t = clock.t
    segments = pp.split_segments(pen, clock.gap_after)
    g_t, cols_g, g_seg = pp.resample_segments(t, (x, y), segments, rate_hz)
    cutoff_hz = effective_lowpass_hz(lowpass_hz, rate_hz)
    sos = pp.butter_sos(cutoff_hz, rate_hz, 4, "lowpass")
    pad = pp.settle_samples(cutoff_hz, rate_hz)  # the padding of the filter designed
    gxy = pp.filtfilt_segments(cols_g, g_seg, sos, pad)
    angle = 0.0
    if task in WRITING_TASKS and gxy.shape[1]:
        angle = pp.baseline_angle(gxy[0], gxy[1])
        gxy = pp.rotate(gxy, angle)
    vel = segment_gradient(gxy, rate_hz, g_seg)
    acc = segment_gradient(vel, rate_hz, g_seg)
    jerk = segment_gradient(acc, rate_hz, g_seg)
    tr_cols = (x, y) if pressure is None else (x, y, pressure)
    _, tr_all, tr_seg = pp.resample_segments(t, tr_cols, segments, tremor_rate_hz)
    tr_xy = tr_all[:2]
    return Prepared(
        task=task, clock=clock, t=t, x=x, y=y, pressure=pressure, pen_down=pen,
        pressure_ceiling=recording.pressure_ceiling,
        pressure_newton_coeffs=recording.pressure_newton_coeffs, tare_N=recording.tare_N,
        pen_runs=pp.runs(pen), rate_hz=rate_hz,
        g_t=g_t, g_segments=g_seg, g_x=gxy[0], g_y=gxy[1],
        baseline_rad=angle, vx=vel[0], vy=vel[1], ax=acc[0], ay=acc[1], jx=jerk[0],
        jy=jerk[1], speed=norm2(vel[0], vel[1]),
        tremor_rate_hz=tremor_rate_hz, tr_xy=tr_xy, tr_segments=tr_seg,
        tr_pressure=None if pressure is None else tr_all[2], lowpass_hz=cutoff_hz,
        filter_settle=pad, source_index=source_index,
    )


def spiral_interior(p: Prepared) -> np.ndarray:
    """Mask of the grid samples the spiral indices are taken on: the low-passed trace less
    the filter's transient, ``p.filter_settle`` samples at each end of every pen-down
    segment, where the zero-phase output depends on the padding rather than on the drawing
    (``docs/analysis.md``, "Spirals").

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 2, 0.005)
    >>> p = prepare(Recording(t=t, x=30.0 * t, y=np.zeros(t.size)), "lines")
    >>> int(spiral_interior(p).sum()) == p.g_t.size - 2 * p.filter_settle
    True
    """
    return pp.interior_mask(p.g_segments, p.g_x.size, p.filter_settle)


def writing_strokes(p: Prepared) -> Strokes:
    """The writing strokes of a prepared trial (docs/science.md §4): the segmentation every
    stroke feature, the stroke table and the review plots share.

    Examples
    --------
    A 2.5 Hz loop train for 10 s: about 50 strokes of 0.2 s (docs/science.md, known answers).

    >>> import numpy as np
    >>> from kinewrite.simulate import simulate_trial
    >>> s = writing_strokes(prepare(simulate_trial("loops", 10, loop_hz=2.5, seed=1).recording,
    ...                             "loops"))
    >>> 48 <= s.count <= 50, round(float(np.median(s.duration_s)), 2)
    (True, 0.2)
    """
    tangential_acc = segment_gradient(p.speed, p.rate_hz, p.g_segments)
    return segment_strokes(
        p.g_t, p.g_y, p.vy, p.speed, tangential_acc, p.jx**2 + p.jy**2, p.rate_hz, p.g_segments
    )


#: The stroke rhythm's harmonics are excluded from the tremor search up to here: the top of
#: the tremor band (12 Hz) plus the 0.5 Hz half-width of an exclusion (docs/science.md §5).
RHYTHM_TOP_HZ = 12.5


def rhythm_exclusion_hz(task: str, strokes: Strokes) -> np.ndarray | None:
    """The stroke frequency and its harmonics the tremor search leaves out (± 0.5 Hz each).

    Writing tasks (:data:`WRITING_TASKS`) oscillate at their stroke frequency
    ``1 / (2 x median stroke duration)``, often inside the 3-12 Hz tremor band; its
    multiples up to :data:`RHYTHM_TOP_HZ` are excluded (docs/science.md §5). None for other
    tasks or without strokes.

    Examples
    --------
    >>> from kinewrite.analysis.strokes import Strokes
    >>> import numpy as np
    >>> s = Strokes(*([np.zeros(0)] * 11))  # no stroke: nothing to exclude
    >>> rhythm_exclusion_hz("loops", s) is None
    True
    """
    if task not in WRITING_TASKS or strokes.count == 0:
        return None
    median_duration = float(np.median(strokes.duration_s))
    stroke_hz = 1.0 / (2.0 * median_duration) if median_duration > 0 else float("nan")
    if not (np.isfinite(stroke_hz) and stroke_hz > 0):
        return None
    return stroke_hz * np.arange(1, int(RHYTHM_TOP_HZ / stroke_hz) + 2)
