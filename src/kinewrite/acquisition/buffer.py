"""A Qt-free buffer between whatever delivers samples (tablet events, a simulated pen, an
importer) and the session writer.

Samples are pushed one at a time from the event handler (cheap: a list append under a lock)
and drained in blocks by the recorder, which appends them to the session file; ingestion
therefore never waits for disk or drawing.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..storage.schema import CHANNELS

__all__ = ["SampleBuffer"]

_FIELDS = tuple(CHANNELS)


class SampleBuffer:
    """Thread-safe accumulation of samples, drained as column arrays."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, ...]] = []
        self._lock = threading.Lock()
        self.pushed = 0

    def push(
        self,
        t: float,
        x: float,
        y: float,
        pressure: float = float("nan"),
        state: int = 2,
        tilt_x: float = float("nan"),
        tilt_y: float = float("nan"),
        rotation: float = float("nan"),
        host_time: float | None = None,
        pointer: int = 0,
    ) -> None:
        """Add one sample (device time t in s, raw x/y/pressure, pen state and pointer codes)."""
        row = (t, time.time() if host_time is None else host_time, x, y, pressure,
               tilt_x, tilt_y, rotation, state, pointer)
        with self._lock:
            self._rows.append(row)
            self.pushed += 1

    def __len__(self) -> int:
        return len(self._rows)

    def drain(self) -> dict[str, np.ndarray]:
        """Take every buffered sample as a dict of channel arrays (empty arrays if none)."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return {name: np.zeros(0) for name in _FIELDS}
        block = np.array(rows, dtype=np.float64)
        out = {name: block[:, i] for i, name in enumerate(_FIELDS)}
        out["state"] = out["state"].astype(np.uint8)
        out["pointer"] = out["pointer"].astype(np.uint8)
        return out
