"""Pre-processing of the kinematic branch (docs/science.md §2).

Each step is a pure function on arrays, vectorized over samples and over segments, in a
module of its own:

1. :mod:`.sample_order`: samples stay in acquisition (file) order: a timestamp that steps
   back is a clock fault, not a reordering (``docs/analysis.md``). :func:`restore_order`
   closes each backward step (:func:`close_backward_steps`), or sorts a file whose rows were
   never in order, and :func:`drop_exact_duplicates` drops repeated samples.
2. :mod:`.clock`: :func:`rebuild_clock` turns ms-quantized, jittered, sometimes duplicated
   tablet timestamps into a sample clock, and finds the gaps (lost samples).
3. :mod:`.segments`: :func:`runs` and :func:`split_segments` cut the recording into
   continuous pen-down segments: never interpolate across a gap or a pen lift.
4. :mod:`.resample`: :func:`resample_segments` puts every segment on a uniform grid (default
   200 Hz); a grid of more than :data:`MAX_GRID_SAMPLES` samples (4 h of pen-down writing at
   200 Hz) is refused before anything is allocated.
5. :mod:`.filters`: :func:`filtfilt_segments` applies a zero-phase Butterworth filter to
   every segment at once (low-pass before differentiating, high-pass to isolate tremor),
   padded by :func:`settle_samples`.
6. :mod:`.orientation`: :func:`baseline_angle` and :func:`rotate` bring the baseline of
   writing to horizontal.

Segments are described by two integer arrays, ``starts`` and ``lengths``, indexing one
concatenated signal; this is how every function here stays free of Python loops per segment.
This package re-exports every public name of its modules (``from kinewrite.analysis import
preprocess as pp; pp.rebuild_clock``).
"""

from __future__ import annotations

from .clock import GAP_PERIODS, Clock, effective_rate_hz, rebuild_clock
from .filters import butter_sos, filtfilt_segments, settle_samples
from .orientation import baseline_angle, rotate
from .resample import MAX_GRID_SAMPLES, resample_segments
from .sample_order import (
    UNORDERED_SHARE,
    close_backward_steps,
    drop_exact_duplicates,
    restore_order,
    sort_samples,
)
from .segments import Segments, interior_mask, runs, split_segments

__all__ = [
    "GAP_PERIODS",
    "MAX_GRID_SAMPLES",
    "UNORDERED_SHARE",
    "Clock",
    "Segments",
    "baseline_angle",
    "butter_sos",
    "close_backward_steps",
    "drop_exact_duplicates",
    "effective_rate_hz",
    "filtfilt_segments",
    "interior_mask",
    "rebuild_clock",
    "resample_segments",
    "restore_order",
    "rotate",
    "runs",
    "settle_samples",
    "sort_samples",
    "split_segments",
]
