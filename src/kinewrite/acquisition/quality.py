"""Live quality of a recording's sample stream: rate, jitter, duplicates, gaps, drops (no Qt).

The monitor is fed the blocks the recorder drains from the sample buffer and keeps running
sums only, so each update costs one vectorized pass over its block and a snapshot costs
nothing, however long the trial.

Definitions (all over *intervals* between consecutive samples, an interval belonging to the
sample that starts it, across block boundaries):

* in proximity: the interval starts at a sample whose state is touching (2) or hovering (1);
  an interval starting at an out-of-range sample (0) is the pen away, not a fault, and counts
  nowhere below.
* gap: an in-proximity interval longer than ``gap_periods`` (3) periods, the threshold of
  docs/science.md §1 and :func:`kinewrite.analysis.preprocess.rebuild_clock`. The period is the
  nominal one when given, else the median of the first positive in-proximity steps
  (the estimate freezes after ``_ESTIMATE_STEPS`` of them; blocks seen before that use the
  provisional median).
* effective rate: in-proximity, non-gap intervals per second of their summed duration
  ("samples per second of covered time, gaps excluded"), samples sharing a timestamp counted
  as samples, as ``rebuild_clock`` measures its period: for one block in proximity this is
  ``rebuild_clock(t).rate_hz`` whenever both find the same gaps.
* jitter: standard deviation of the positive in-proximity, non-gap steps, in ms (a 133 Hz
  tablet whose ms stamps alternate 7 and 8 ms has ~0.5 ms).
* delivery jitter: standard deviation of ``host_time - t`` in ms: how unevenly the host
  received samples relative to their own timestamps (0 when ``t`` *is* the host time).
* duplicates: samples whose timestamp equals their predecessor's (coalesced events).
* dropped (estimate): at the nominal rate, expected minus received samples during the
  in-proximity time, ``round(T / period) - intervals``, floored at 0; a gap of m lost samples
  adds m, a coalesced sample adds nothing. None without a nominal rate. A device running
  slightly off its nominal rate shows as a slow drift of this count.
* pen-down time: summed duration of the intervals between two touching samples.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["GAP_PERIODS", "QualityMonitor", "QualityReport"]

#: An in-proximity interval longer than this many periods is a gap (docs/science.md §1).
GAP_PERIODS = 3.0
_ESTIMATE_STEPS = 32
_OUT, _TOUCH = 0, 2


@dataclass(frozen=True)
class QualityReport:
    """A snapshot of a recording's stream quality (see the module text for definitions).

    Attributes
    ----------
    n_samples : int
    duration_s : float
        Last minus first timestamp in s (0 with fewer than two samples).
    effective_rate_hz : float
        In-proximity, non-gap intervals per s of their duration (NaN if none).
    nominal_rate_hz : float or None
    jitter_ms : float
        SD of the positive in-proximity, non-gap steps in ms (NaN with fewer than two).
    delivery_jitter_ms : float
        SD of host receive time minus timestamp in ms (NaN with fewer than two samples).
    duplicate_timestamps : int
    gaps : int
    dropped_estimate : int or None
        None without a nominal rate.
    pen_down_s : float
    proximity_s : float
        Summed duration of the in-proximity intervals in s.
    backward_steps : int
        Timestamps earlier than their predecessor's (never expected; excluded everywhere).
    """

    n_samples: int
    duration_s: float
    effective_rate_hz: float
    nominal_rate_hz: float | None
    jitter_ms: float
    delivery_jitter_ms: float
    duplicate_timestamps: int
    gaps: int
    dropped_estimate: int | None
    pen_down_s: float
    proximity_s: float
    backward_steps: int

    def summary(self) -> str:
        """One line for the status bar, e.g. ``"2661 samples, 20.0 s, 133.0 Hz ..."``."""
        rate = ("rate n/a" if not np.isfinite(self.effective_rate_hz)
                else f"{self.effective_rate_hz:.1f} Hz")
        if self.nominal_rate_hz:
            rate += f" (nominal {self.nominal_rate_hz:.0f})"
        jitter = "n/a" if not np.isfinite(self.jitter_ms) else f"{self.jitter_ms:.2f} ms"
        parts = [f"{self.n_samples} samples", f"{self.duration_s:.1f} s", rate,
                 f"jitter {jitter}", f"{self.duplicate_timestamps} dup",
                 f"{self.gaps} gaps"]
        if self.dropped_estimate is not None:
            parts.append(f"~{self.dropped_estimate} dropped")
        parts.append(f"pen down {self.pen_down_s:.1f} s")
        if self.backward_steps:
            parts.append(f"{self.backward_steps} backward steps")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain dict (e.g. to store as trial attributes ``quality_<name>``)."""
        return asdict(self)


class _Moments:
    """Count, mean and sum of squared deviations, merged block by block (Chan et al. 1979)."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        k = int(values.size)
        if k == 0:
            return
        mean_b = float(values.mean())
        m2_b = float(np.sum((values - mean_b) ** 2))
        n = self.n + k
        delta = mean_b - self.mean
        self.mean += delta * k / n
        self.m2 += m2_b + delta * delta * self.n * k / n
        self.n = n

    def sd(self) -> float:
        return float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else float("nan")


class QualityMonitor:
    """Incremental stream-quality statistics of one recording.

    Parameters
    ----------
    nominal_rate_hz : float or None
        The device's nominal sample rate in Hz (sets the gap threshold and allows the
        dropped-sample estimate); None for input without a fixed rate (a mouse).
    gap_periods : float, default 3
        An in-proximity interval longer than this many periods is a gap.

    Notes
    -----
    Thread-safe: :meth:`update` (recorder thread) and :meth:`snapshot` (GUI thread) may be
    called concurrently.

    Examples
    --------
    >>> import numpy as np
    >>> m = QualityMonitor(100.0)
    >>> t = np.arange(101) / 100.0
    >>> m.update(t[:50], state=np.full(50, 2)); m.update(t[50:], state=np.full(51, 2))
    >>> r = m.snapshot()
    >>> r.n_samples, round(r.effective_rate_hz, 6), r.gaps, r.dropped_estimate
    (101, 100.0, 0, 0)
    """

    def __init__(self, nominal_rate_hz: float | None = None,
                 gap_periods: float = GAP_PERIODS) -> None:
        if nominal_rate_hz is not None and not (np.isfinite(nominal_rate_hz)
                                                and nominal_rate_hz > 0):
            nominal_rate_hz = None  # NaN/0: "unknown", as begin_trial stores it
        if not gap_periods > 1:
            raise ValueError(f"gap_periods must be > 1, got {gap_periods}")
        self.nominal_rate_hz = None if nominal_rate_hz is None else float(nominal_rate_hz)
        self.gap_periods = float(gap_periods)
        self._lock = threading.Lock()
        self._period = None if self.nominal_rate_hz is None else 1.0 / self.nominal_rate_hz
        self._period_frozen = self._period is not None
        self._steps_seen: list[np.ndarray] = []
        self._n = 0
        self._first_t = float("nan")
        self._last_t = float("nan")
        self._last_state = -1
        self._dup = 0
        self._backward = 0
        self._gaps = 0
        self._covered_s = 0.0
        self._covered_n = 0
        self._prox_s = 0.0
        self._prox_n = 0
        self._down_s = 0.0
        self._steps = _Moments()
        self._delivery = _Moments()
        self._delivery_ref: float | None = None

    def update(self, t: np.ndarray, host_time: np.ndarray | None = None,
               state: np.ndarray | None = None) -> None:
        """Take the next block of samples (in arrival order).

        Parameters
        ----------
        t : ndarray
            Timestamps in s.
        host_time : ndarray, optional
            Host receive times in s (for the delivery jitter); NaN entries are skipped.
        state : ndarray, optional
            Pen state codes (0 out, 1 hover, 2 touch); default all touching.

        Raises
        ------
        ValueError
            If the arrays differ in length.
        """
        t = np.asarray(t, dtype=np.float64).ravel()
        k = t.size
        if k == 0:
            return
        s = (np.full(k, _TOUCH, dtype=np.int16) if state is None
             else np.asarray(state).astype(np.int16).ravel())
        if s.size != k:
            raise ValueError(f"state has {s.size} samples, t has {k}")
        if host_time is not None:
            host = np.asarray(host_time, dtype=np.float64).ravel()
            if host.size != k:
                raise ValueError(f"host_time has {host.size} samples, t has {k}")
        with self._lock:
            self._update(t, s, None if host_time is None else host)

    def update_block(self, block: dict[str, np.ndarray]) -> None:
        """Take a block as :meth:`SampleBuffer.drain` returns it (``t``, ``host_time``,
        ``state``)."""
        self.update(block["t"], block.get("host_time"), block.get("state"))

    def snapshot(self) -> QualityReport:
        """The statistics so far."""
        with self._lock:
            return self._report()

    def summary(self) -> str:
        """One line of the statistics so far (:meth:`QualityReport.summary`)."""
        return self.snapshot().summary()

    # ------------------------------------------------------------------ private
    def _update(self, t: np.ndarray, s: np.ndarray, host: np.ndarray | None) -> None:
        if self._n == 0:
            self._first_t = float(t[0])
            tt, ss = t, s
        else:
            tt = np.concatenate(([self._last_t], t))
            ss = np.concatenate(([self._last_state], s)).astype(np.int16)
        self._n += t.size
        self._last_t = float(t[-1])
        self._last_state = int(s[-1])
        if host is not None:
            d = host - t
            d = d[np.isfinite(d)]
            if d.size:
                if self._delivery_ref is None:
                    self._delivery_ref = float(d[0])  # keeps the moments well conditioned
                self._delivery.add(d - self._delivery_ref)
        if tt.size < 2:
            return
        dt = np.diff(tt)
        prox = ss[:-1] != _OUT
        back = dt < 0
        self._backward += int(np.count_nonzero(back))
        self._dup += int(np.count_nonzero(dt == 0))
        prox &= ~back
        period = self._period_for(dt[prox & (dt > 0)])
        gap = prox & (dt > self.gap_periods * period) if period else np.zeros_like(prox)
        covered = prox & ~gap
        self._gaps += int(np.count_nonzero(gap))
        self._covered_s += float(dt[covered].sum())
        self._covered_n += int(np.count_nonzero(covered))
        self._prox_s += float(dt[prox].sum())
        self._prox_n += int(np.count_nonzero(prox))
        self._down_s += float(dt[prox & (ss[:-1] == _TOUCH) & (ss[1:] == _TOUCH)].sum())
        self._steps.add(dt[covered & (dt > 0)])

    def _period_for(self, positive_steps: np.ndarray) -> float | None:
        """The period for gap detection: nominal, frozen estimate, or provisional median."""
        if self._period_frozen:
            return self._period
        if positive_steps.size:
            self._steps_seen.append(positive_steps[:_ESTIMATE_STEPS])
        seen = np.concatenate(self._steps_seen) if self._steps_seen else positive_steps
        if seen.size == 0:
            return None
        self._period = float(np.median(seen[:_ESTIMATE_STEPS]))
        if seen.size >= _ESTIMATE_STEPS:
            self._period_frozen = True
            self._steps_seen = []
        return self._period

    def _report(self) -> QualityReport:
        nan = float("nan")
        dropped = None
        if self.nominal_rate_hz is not None:
            expected = round(self._prox_s * self.nominal_rate_hz)
            dropped = max(0, int(expected) - self._prox_n)
        duration = self._last_t - self._first_t if self._n > 1 else 0.0
        return QualityReport(
            n_samples=self._n,
            duration_s=float(duration),
            effective_rate_hz=(self._covered_n / self._covered_s if self._covered_s > 0
                               else nan),
            nominal_rate_hz=self.nominal_rate_hz,
            jitter_ms=self._steps.sd() * 1e3,
            delivery_jitter_ms=self._delivery.sd() * 1e3,
            duplicate_timestamps=self._dup,
            gaps=self._gaps,
            dropped_estimate=dropped,
            pen_down_s=self._down_s,
            proximity_s=self._prox_s,
            backward_steps=self._backward,
        )
