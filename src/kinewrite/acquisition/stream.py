"""Stream a simulated pen in real time through the same path a tablet recording takes:
sample buffer -> session writer (flushes at least every ``flush_interval_s``)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..simulate import SimulatedTrial
from ..storage.schema import STATE_HOVER, STATE_TOUCH
from ..storage.writer import SessionWriter
from .buffer import SampleBuffer

__all__ = ["stream_trial"]


def stream_trial(writer: SessionWriter, trial: SimulatedTrial, drain_every_s: float = 0.01,
                 speed: float = 1.0, stop: Callable[[], bool] | None = None) -> int:
    """Feed a simulated trial's samples to `writer` at their own pace, as a tablet would.

    Each sample is pushed when its timestamp comes due on the wall clock (host receive time
    recorded as it happens); every `drain_every_s` the buffer is appended to the file, which
    flushes on its own schedule. `stop`, if given, is asked every tick: when it answers
    true, streaming ends early (what came due is written first). Returns the number of
    samples written.
    """
    rec = trial.recording
    state = np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER)
    pressure = rec.pressure if rec.pressure is not None else np.full(rec.n_samples, np.nan)
    buffer = SampleBuffer()
    t0 = rec.t[0]
    start = time.monotonic()
    i, n, written = 0, rec.n_samples, 0
    while i < n and not (stop is not None and stop()):
        now = (time.monotonic() - start) * speed + t0
        due = int(np.searchsorted(rec.t, now, side="right"))
        for j in range(i, max(due, i)):  # the handful of samples due in this tick
            buffer.push(rec.t[j] - t0, rec.x[j], rec.y[j], pressure[j], int(state[j]))
        i = max(due, i)
        block = buffer.drain()
        if block["t"].size:
            writer.append(**block)
            written += block["t"].size
        else:
            writer.flush_if_due()
        time.sleep(drain_every_s)
    return written
