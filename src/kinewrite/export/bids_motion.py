"""One trial as BIDS motion files: its channels (:func:`trial_channels`), the rebuilt
sample clock, the pen-down events and the motion sidecar (:mod:`kinewrite.export.bids`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis import preprocess as pp
from ..formats.bids_names import NA
from ..storage.reader import Trial
from ..storage.schema import STATE_TOUCH
from .bids_files import finite_or_none, write_json, write_tsv

__all__ = ["TRACKED_POINT", "TRACKSYS", "Channel", "pen_events", "rebuilt_latency",
           "trial_channels", "write_trial"]

#: The ``tracksys`` entity of every motion file: one pen tablet (or its stand-in).
TRACKSYS = "tablet"
#: The tracked point of the position channels.
TRACKED_POINT = "pen_tip"


@dataclass(frozen=True)
class Channel:
    """One column of a ``*_motion.tsv`` and its ``*_channels.tsv`` row."""

    name: str
    component: str
    type: str
    units: str
    description: str
    values: np.ndarray
    tracked_point: str = NA


def rebuilt_latency(t: np.ndarray, pen_down: np.ndarray, columns: Sequence[np.ndarray],
                    nominal_rate_hz: float | None) -> tuple[np.ndarray, pp.Clock]:
    """The analysis' rebuilt clock for every stored sample, in stored order, in s from the
    first sample in time.

    The analysis sorts the samples (stable), drops exact duplicates and rebuilds the clock
    of the rest (:func:`~kinewrite.analysis.pipeline.prepare`); a dropped duplicate gets the
    time of the sample it repeats. Vectorized: one sort, one cumulative sum.
    """
    order = pp.sort_samples(t)
    sorted_cols = [c[order] for c in (t, *columns, pen_down)]
    keep = pp.drop_exact_duplicates(*sorted_cols)
    clock = pp.rebuild_clock(sorted_cols[0][keep], nominal_rate_hz)
    twin = np.cumsum(keep) - 1  # index among the kept samples of each sorted sample
    latency = np.empty(t.size)
    latency[order] = clock.t[twin] - clock.t[0]
    return latency, clock


def trial_channels(trial: Trial) -> tuple[list[Channel], pp.Clock]:
    """The motion channels of one trial (see the module docstring) and its rebuilt clock.

    Raises
    ------
    RecordingError
        If the stored samples are not a valid recording.
    """
    rec = trial.recording
    assert rec is not None  # callers skip trials without samples
    cal = trial.calibration
    state = trial.channels.get("state")
    if state is None:
        state = np.full(rec.n_samples, STATE_TOUCH, dtype=np.uint8)
    extra = [rec.x, rec.y] + ([] if rec.pressure is None else [rec.pressure])
    nominal = trial.nominal_rate_hz if math.isfinite(trial.nominal_rate_hz) else None
    latency, clock = rebuilt_latency(rec.t, rec.pen_down_mask, extra, nominal)
    channels = [
        Channel("latency", NA, "LATENCY", "s", "rebuilt sample clock (kinewrite analysis), "
                "from the first sample", latency),
        Channel("pen_x", "x", "POS", "mm", "pen tip on the writing surface, raw",
                rec.x, TRACKED_POINT),
        Channel("pen_y", "y", "POS", "mm", "pen tip on the writing surface, y up, raw",
                rec.y, TRACKED_POINT),
    ]
    if rec.pressure is not None:
        channels.append(Channel("pen_pressure", NA, "MISC", NA,
                                "axial pen pressure, fraction 0..1 of the device range",
                                rec.pressure, TRACKED_POINT))
        if cal.pressure_newton_coeffs:
            force = np.polyval(np.asarray(cal.pressure_newton_coeffs), rec.pressure) - cal.tare_N
            channels.append(Channel("pen_force", NA, "MISC", "N",
                                    "axial pen force through the stylus calibration",
                                    force, TRACKED_POINT))
    for name, comp in (("tilt_x", "x"), ("tilt_y", "y")):
        values = getattr(rec, name)
        if values is not None:
            channels.append(Channel(name, comp, "ORNT", "deg", f"pen tilt, {comp} axis",
                                    values, TRACKED_POINT))
    channels.append(Channel("pen_state", NA, "MISC", NA,
                            "0 out of range, 1 hovering, 2 touching the surface",
                            np.asarray(state, dtype=np.int64)))
    channels.append(Channel("device_time", NA, "MISC", "s",
                            "time stamps as the device delivered them", rec.t))
    return channels, clock


def pen_events(latency: np.ndarray, pen_down: np.ndarray) -> pd.DataFrame:
    """``trial`` and ``pen_down`` events on the latency clock (vectorized runs)."""
    order = pp.sort_samples(latency)
    down = pen_down[order]
    runs = pp.runs(down)
    starts, stops = runs.starts, runs.stops - 1
    onset = latency[order][starts]
    duration = latency[order][stops] - onset
    total = float(latency.max())
    frame = pd.DataFrame({
        "onset": np.concatenate(([0.0], onset)),
        "duration": np.concatenate(([total], duration)),
        "trial_type": ["trial"] + ["pen_down"] * runs.count,
        "sample": np.concatenate(([int(order[0])], order[starts])).astype(np.int64),
    })
    return frame


def write_trial(folder: Path, stem: str, run: int, trial: Trial, task: str) -> str:
    """Write one trial's motion, channels, sidecar and events; return the motion file's name."""
    channels, clock = trial_channels(trial)
    data = pd.DataFrame({c.name: c.values for c in channels})
    motion = f"{stem}_tracksys-{TRACKSYS}_run-{run}"
    write_tsv(data, folder / f"{motion}_motion.tsv", header=False)
    table = pd.DataFrame({
        "name": [c.name for c in channels], "component": [c.component for c in channels],
        "type": [c.type for c in channels], "tracked_point": [c.tracked_point for c in channels],
        "units": [c.units for c in channels], "description": [c.description for c in channels],
    })
    write_tsv(table, folder / f"{motion}_channels.tsv")
    counts: dict[str, int] = {}
    for c in channels:
        counts[c.type] = counts.get(c.type, 0) + 1
    latency = data["latency"].to_numpy()
    effective = finite_or_none(clock.rate_hz)
    nominal = finite_or_none(trial.nominal_rate_hz)
    cal = trial.calibration
    sidecar: dict[str, Any] = {
        "TaskName": task,
        "TaskDescription": f"kinewrite writing task {task!r} (analysed as {trial.task!r})",
        "KinewriteTask": trial.task,
        "KinewriteProtocolTask": task,
        "SamplingFrequency": nominal or effective or NA,
        "SamplingFrequencyEffective": effective or NA,
        "TrackingSystemName": f"pen input ({trial.input or 'unknown'})",
        "RecordingType": "continuous",
        "RecordingDuration": float(latency.max()),
        "MissingValues": NA,
        "SoftwareVersions": f"kinewrite {__version__}",
        "TrackedPointsCount": 1,
        "MotionChannelCount": len(channels),
        **{f"{kind}ChannelCount": n for kind, n in sorted(counts.items())},
        "PenPressureSaturation": (cal.pressure_saturation / cal.pressure_max
                                  if cal.pressure_saturation is not None and cal.pressure_max
                                  else 1.0),
    }
    if cal.pressure_newton_coeffs:
        sidecar["PenForceCalibration"] = {
            "CoefficientsHighestPowerFirst": list(cal.pressure_newton_coeffs),
            "TareN": cal.tare_N,
        }
    write_json(sidecar, folder / f"{motion}_motion.json")
    pen = data["pen_state"].to_numpy() == STATE_TOUCH
    write_tsv(pen_events(latency, pen), folder / f"{stem}_run-{run}_events.tsv")
    return f"{motion}_motion.tsv"
