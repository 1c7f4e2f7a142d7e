"""What a tablet delivers, and whether it is ready for recording (no Qt).

A pure function over the event arrays of a few seconds of pen use (the Qt side, Tools >
Test tablet and ``kinewrite tablet-check``, only collects them): device name, pointer type,
effective rate and timestamp jitter, pressure levels seen and their maximum, hover and tilt
yes/no, where the timestamps come from, duplicate and lost events, and a verdict in plain
words. Rate, jitter, duplicates and gaps are those of :class:`~.quality.QualityMonitor`
(definitions in its module text and in ``docs/features.md``).

Thresholds (``docs/protocols.md``, "Testing the tablet")
-------------------------------------------------------
* at least :data:`MIN_RATE_HZ` (50 Hz) effective rate, else not ready: the analysis low-passes
  at 12 Hz and searches tremor up to 12 Hz; below ~4 samples per 12 Hz cycle the signal is
  not resolved. Below :data:`GOOD_RATE_HZ` (100 Hz) a warning: the 200 Hz grid is then
  mostly interpolated (iPads give ~125 Hz, Wacom tablets 133-266 Hz).
* pressure: it must vary while touching (else "no pressure"); fewer than
  :data:`MIN_PRESSURE_LEVELS` (64) distinct levels is a warning (pressure measures coarse).
* more than :data:`MAX_DUPLICATE_SHARE` (5 %) of events sharing their predecessor's
  timestamp, or any gap (an in-proximity pause of more than 3 periods while the pen moves),
  or lost events against a nominal rate beyond 1 %: a warning.
* no hover (the pen's in-air movement is not reported): a warning, in-air measures missing.
* tilt absent: reported, not a problem (no measure needs it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .quality import QualityMonitor

__all__ = ["MIN_RATE_HZ", "TabletReport", "check_tablet"]

MIN_RATE_HZ = 50.0
GOOD_RATE_HZ = 100.0
MIN_PRESSURE_LEVELS = 64
MAX_DUPLICATE_SHARE = 0.05
MAX_DROPPED_SHARE = 0.01
_TOUCH, _HOVER = 2, 1

#: Qt's QPointingDevice.PointerType values (as the canvas stores them) and their names.
POINTER_TYPES = {0: "unknown", 1: "mouse", 2: "finger", 4: "pen", 8: "eraser", 16: "puck"}


@dataclass(frozen=True)
class TabletReport:
    """What the tablet delivered during a test, with the verdict.

    Attributes
    ----------
    device_name : str
    pointer_type : str
        ``pen``, ``eraser``, ``mouse``, ... (the most frequent one seen).
    n_events : int
    duration_s : float
    rate_hz : float
        Effective rate: in-proximity, non-gap intervals per s (NaN if none).
    jitter_ms : float
        SD of the positive timestamp steps, ms.
    timestamp_source : str
        ``"device"`` (the events' own timestamps, from the driver or window system) or
        ``"host"`` (none given: the computer's receive time).
    timestamp_step_ms : float
        Smallest positive timestamp step seen, ms (1 for whole-ms stamps).
    pressure_levels : int
        Distinct pressure values seen while touching.
    pressure_max : float
        Highest pressure seen, 0..1 of the device range (NaN for a mouse).
    hover : bool
        Whether in-air (hover) moves were reported.
    tilt : bool
        Whether the pen reports tilt.
    duplicates : int
        Events sharing their predecessor's timestamp.
    gaps : int
    dropped : int or None
        Lost events against the nominal rate (None without one).
    backward_steps : int
    touching_s : float
        Time the pen touched the surface, s.
    problems : list of str
        What stops recording (plain words).
    warnings : list of str
        What works but limits the measures.
    """

    device_name: str
    pointer_type: str
    n_events: int
    duration_s: float
    rate_hz: float
    jitter_ms: float
    timestamp_source: str
    timestamp_step_ms: float
    pressure_levels: int
    pressure_max: float
    hover: bool
    tilt: bool
    duplicates: int
    gaps: int
    dropped: int | None
    backward_steps: int
    touching_s: float
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """No problem: the tablet can be used for recording."""
        return not self.problems

    @property
    def verdict(self) -> str:
        """``"Ready for recording"`` (with its warnings), else what is wrong."""
        if self.problems:
            return "Not ready for recording: " + " ".join(self.problems)
        if self.warnings:
            return "Ready for recording, but: " + " ".join(self.warnings)
        return "Ready for recording."

    def lines(self) -> list[str]:
        """The report as ``label: value`` lines, then the verdict."""
        def num(v: float, fmt: str) -> str:
            return "–" if not np.isfinite(v) else format(v, fmt)

        yes = {True: "yes", False: "no"}
        source = {"device": "the device's own (event timestamps)",
                  "host": "the computer's receive time (the device gives none)",
                  "": "–"}[self.timestamp_source]
        return [
            f"Device: {self.device_name or 'unknown'}",
            f"Pointer type: {self.pointer_type}",
            f"Events: {self.n_events} in {self.duration_s:.1f} s "
            f"(pen touching {self.touching_s:.1f} s)",
            f"Rate: {num(self.rate_hz, '.0f')} Hz, jitter {num(self.jitter_ms, '.2f')} ms",
            f"Timestamps: {source}, smallest step {num(self.timestamp_step_ms, '.1f')} ms",
            f"Pressure: {self.pressure_levels} levels seen, maximum "
            f"{num(100 * self.pressure_max, '.0f')} % of the range",
            f"Hover: {yes[self.hover]}",
            f"Tilt: {yes[self.tilt]}",
            f"Duplicate events: {self.duplicates}; gaps: {self.gaps}; lost events: "
            + ("– (no nominal rate)" if self.dropped is None else str(self.dropped)),
            f"Verdict: {self.verdict}",
        ]

    def to_dict(self) -> dict[str, object]:
        """Plain dict with ``ready`` and ``verdict`` (for ``--json``)."""
        out = asdict(self)
        out["ready"], out["verdict"] = self.ready, self.verdict
        return out


def check_tablet(
    t: np.ndarray,
    state: np.ndarray,
    pressure: np.ndarray,
    pointer: np.ndarray,
    tilt_x: np.ndarray | None = None,
    tilt_y: np.ndarray | None = None,
    host_time: np.ndarray | None = None,
    *,
    device_name: str = "",
    time_base: str = "",
    tilt_capable: bool | None = None,
    nominal_rate_hz: float | None = None,
) -> TabletReport:
    """The report on a few seconds of pen events, as the canvas stores them.

    Parameters
    ----------
    t : ndarray
        Event times in s (the canvas' ``t``), in arrival order.
    state : ndarray
        0 out of range, 1 hovering (and release), 2 touching.
    pressure : ndarray
        0..1 (NaN for a mouse).
    pointer : ndarray
        Qt pointer type codes (:data:`POINTER_TYPES`).
    tilt_x, tilt_y : ndarray, optional
        Degrees.
    host_time : ndarray, optional
        Receive times, s.
    device_name : str
        As the window system names the device.
    time_base : str
        The canvas' ``time_base``: ``"event"`` (event timestamps) or ``"host"``.
    tilt_capable : bool, optional
        Whether the device declares tilt axes; None: judged from the values (tilt varies).
    nominal_rate_hz : float, optional
        The tablet's nominal rate, for the lost-event count.

    Returns
    -------
    TabletReport

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1000) / 200.0
    >>> state = np.r_[np.ones(100), np.full(800, 2), np.ones(100)]
    >>> p = np.where(state == 2, np.linspace(0, 0.8, 1000), 0.0)
    >>> r = check_tablet(t, state, p, np.full(1000, 4), time_base="event")
    >>> r.ready, round(r.rate_hz), r.pressure_levels, r.hover
    (True, 200, 800, True)
    """
    t = np.asarray(t, dtype=np.float64).ravel()
    n = t.size
    state = np.asarray(state).astype(np.int16).ravel()
    pressure = np.asarray(pressure, dtype=np.float64).ravel()
    pointer = np.asarray(pointer).astype(np.int64).ravel()
    for name, a in (("state", state), ("pressure", pressure), ("pointer", pointer)):
        if a.size != n:
            raise ValueError(f"{name} has {a.size} events, t has {n}")
    monitor = QualityMonitor(nominal_rate_hz)
    monitor.update(t, host_time, state)
    q = monitor.snapshot()

    codes, counts = np.unique(pointer, return_counts=True)
    kind = POINTER_TYPES.get(int(codes[np.argmax(counts)]), "unknown") if n else "none"
    touch = state == _TOUCH
    prev = np.r_[-1, state[:-1]]
    hover = bool(np.any((state == _HOVER) & (prev != _TOUCH)))  # a release is not a hover
    p_touch = pressure[touch & np.isfinite(pressure)]
    levels = int(np.unique(p_touch[p_touch > 0]).size)
    p_max = float(p_touch.max()) if p_touch.size else float("nan")
    if tilt_capable is None:
        tilt = any(a is not None and np.ptp(np.nan_to_num(np.asarray(a, float))) > 0
                   for a in (tilt_x, tilt_y)) if n else False
    else:
        tilt = bool(tilt_capable)
    steps = np.diff(t)
    pos = steps[steps > 0]
    step_ms = round(float(pos.min() * 1e3), 3) if pos.size else float("nan")  # µs: float s
    source = {"event": "device", "host": "host"}.get(time_base, "")

    problems: list[str] = []
    warnings: list[str] = []
    if n == 0:
        problems.append("No pen input was seen: check that the tablet is connected, and "
                        "write over the test area during the test.")
    elif kind == "mouse":
        problems.append("The input came from a mouse, not a pen: the computer does not "
                        "see the tablet as a tablet (check its driver, or that the pen "
                        "and not the mouse was used).")
    elif not touch.any():
        problems.append("The pen never touched the surface: write on the tablet during "
                        "the test.")
    else:
        if levels <= 1:
            problems.append("The pen reports no pressure: check the tablet driver (pressure "
                            "measures and feedback need it).")
        elif levels < MIN_PRESSURE_LEVELS:
            warnings.append(f"Only {levels} pressure levels were seen: press with varying "
                            "force, or the pen's pressure is coarse.")
        rate = q.effective_rate_hz
        if not np.isfinite(rate) or rate < MIN_RATE_HZ:
            problems.append(f"The tablet delivers only {0 if not np.isfinite(rate) else rate:.0f}"
                            f" samples per second (at least {MIN_RATE_HZ:.0f} needed).")
        elif rate < GOOD_RATE_HZ:
            warnings.append(f"The tablet delivers {rate:.0f} samples per second: speed and "
                            f"tremor measures are less precise below {GOOD_RATE_HZ:.0f}.")
        if q.backward_steps:
            problems.append(f"Timestamps went backwards {q.backward_steps} times: the "
                            "tablet's clock is faulty.")
        if n > 1 and q.duplicate_timestamps > MAX_DUPLICATE_SHARE * (n - 1):
            warnings.append(f"{q.duplicate_timestamps} events came with the timestamp of "
                            "the one before (merged by the system).")
        if q.gaps:
            warnings.append(f"The stream paused {q.gaps} times while the pen moved (events "
                            "lost, or a busy computer).")
        if q.dropped_estimate is not None and q.dropped_estimate > MAX_DROPPED_SHARE * n:
            warnings.append(f"About {q.dropped_estimate} events were lost against the "
                            f"tablet's {nominal_rate_hz:g} Hz.")
        if not hover:
            warnings.append("The pen's movement in the air (hover) is not reported: in-air "
                            "measures will be missing.")
        if source == "host":
            warnings.append("The tablet gives no timestamps: the computer's receive time is "
                            "used, which is less regular.")
    return TabletReport(
        device_name=device_name, pointer_type=kind, n_events=n, duration_s=q.duration_s,
        rate_hz=q.effective_rate_hz, jitter_ms=q.jitter_ms, timestamp_source=source,
        timestamp_step_ms=step_ms, pressure_levels=levels, pressure_max=p_max, hover=hover,
        tilt=tilt, duplicates=q.duplicate_timestamps, gaps=q.gaps,
        dropped=q.dropped_estimate, backward_steps=q.backward_steps,
        touching_s=q.pen_down_s, problems=problems, warnings=warnings)
