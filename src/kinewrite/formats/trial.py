"""One imported file in memory (:class:`ImportedTrial`), its conversion to physical units
(:class:`Scale`), the options for files that do not state their units, and the checks every
reader applies before anything is written.

The channels keep the values the file holds (device units, pressure levels); the conversion
to mm and to the 0..1 pressure fraction is the session's
:class:`~kinewrite.storage.calibration.Calibration` (:func:`session_calibration`), and every
trial records the conversion it used in its ``unit_conversion`` attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.preprocess.clock import effective_rate_hz
from ..errors import InputError, RecordingError
from ..storage.calibration import Calibration
from ..storage.reader import channels_to_recording

__all__ = [
    "MAX_EXACT_INT",
    "TIME_UNITS_S",
    "ImportOptions",
    "ImportedTrial",
    "Scale",
    "calibration_of",
    "estimated_rate_attrs",
    "estimated_rate_hz",
    "session_calibration",
    "validate_trial",
]

#: Largest |value| an imported channel may hold (SVC integers, InkML and CSV numbers): beyond
#: 2**53 a float64 no longer holds every integer, so the stored value would not be the file's.
MAX_EXACT_INT = 2**53

#: Time units a file's timestamps may be given in (``--time-unit``), in s.
TIME_UNITS_S = {"s": 1.0, "ms": 1e-3}


@dataclass(frozen=True)
class ImportOptions:
    """How to read files whose units the file does not state.

    Parameters
    ----------
    x_first : bool
        SVC only: the first column is x (default: PaHaW's y first).
    device_units_per_mm : float, optional
        Resolution of coordinates without physical units (SVC; InkML channels without units
        or with ``units="dev"``). SVC default
        :data:`~kinewrite.formats.svc.SVC_UNITS_PER_MM`.
    pressure_levels : int, optional
        Pressure levels of the device (maximum level = levels - 1): SVC, and InkML ``F``
        channels without a ``max``. SVC default
        :data:`~kinewrite.formats.svc.SVC_PRESSURE_LEVELS`.
    time_unit : {"ms", "s"}, optional
        Unit of SVC timestamps (default ms) and of an InkML ``T`` channel without units.
    """

    x_first: bool = False
    device_units_per_mm: float | None = None
    pressure_levels: int | None = None
    time_unit: str | None = None


@dataclass(frozen=True)
class Scale:
    """A file's conversion to physical units; becomes the session's calibration.

    Attributes
    ----------
    x_mm_per_unit, y_mm_per_unit : float
        mm per stored x and y unit (negative: the axis is flipped so y points up).
    xy_note : str
        Where the coordinate conversion comes from, for the calibration's ``source``.
    pressure_max : float or None
        The stored pressure value that means 1.0; None when the file has no pressure.
    pressure_note : str
        Where the pressure maximum comes from.
    """

    x_mm_per_unit: float
    y_mm_per_unit: float
    xy_note: str
    pressure_max: float | None = None  # None: the file has no pressure channel
    pressure_note: str = ""


@dataclass
class ImportedTrial:
    """One imported file, in memory: stored channel values, their units and conversion."""

    source: str
    fmt: str
    channels: dict[str, np.ndarray]
    units: dict[str, str]
    scale: Scale
    task: str | None = None
    nominal_rate_hz: float = float("nan")
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def calibration(self) -> Calibration:
        """This file's own calibration (the session's, when all files agree)."""
        return calibration_of([self.scale])


def validate_trial(trial: ImportedTrial) -> None:
    """Check that the stored channels convert to a valid, analyzable recording.

    Raises
    ------
    InputError
        One line naming the file: the channels fail
        :class:`~kinewrite.model.Recording` validation, or the pen never touches.
    """
    try:
        recording = channels_to_recording(trial.channels, trial.calibration)
    except RecordingError as exc:
        raise InputError(f"{trial.source}: {exc}") from None
    if not recording.pen_down_mask.any():
        raise InputError(f"{trial.source}: pen never touches the surface "
                         "(all samples are pen up)")


def estimated_rate_hz(t_s: np.ndarray) -> float:
    """Samples per second of gap-free time (:func:`~kinewrite.analysis.preprocess.
    effective_rate_hz`): 133.3 Hz on a 7/8 ms alternating clock, where the median interval
    reads 125 Hz. NaN if no interval covers time."""
    return effective_rate_hz(t_s)


def estimated_rate_attrs() -> dict[str, str]:
    """The trial attribute saying the nominal rate was estimated (:func:`estimated_rate_hz`)."""
    return {"nominal_rate_hz_source": "estimated: sample intervals per second of covered "
                                      "time (intervals over 3 typical steps and backward "
                                      "steps left out)"}


def calibration_of(scales: Sequence[Scale]) -> Calibration:
    """The calibration of files with these scales: the first one's coordinates and pressure
    maximum, every distinct note in its ``source`` (unchecked: see
    :func:`session_calibration`)."""
    first = scales[0]
    pressures = [s for s in scales if s.pressure_max is not None]
    pressure_max = next((s.pressure_max for s in scales if s.pressure_max is not None), 1.0)
    notes = list(dict.fromkeys(s.xy_note for s in scales))
    pnote = pressures[0].pressure_note if pressures else "no pressure channel"
    return Calibration(
        x_mm_per_unit=first.x_mm_per_unit, y_mm_per_unit=first.y_mm_per_unit,
        pressure_max=float(pressure_max),
        source=f"kinewrite import: {' | '.join(notes)}; {pnote}",
    )


def session_calibration(trials: Sequence[ImportedTrial]) -> Calibration:
    """The one calibration all imported files share.

    Raises
    ------
    InputError
        If two files need different conversions (coordinates or pressure maximum); the
        message names both files. Import such files in separate runs (one session each).
    """
    if not trials:
        raise InputError("no file to import")
    ref = trials[0]
    ref_p = next((tr for tr in trials if tr.scale.pressure_max is not None), None)
    for tr in trials[1:]:
        if (tr.scale.x_mm_per_unit, tr.scale.y_mm_per_unit) != (ref.scale.x_mm_per_unit,
                                                                ref.scale.y_mm_per_unit):
            raise InputError(
                f"{tr.source}: needs a different calibration than {ref.source} "
                f"({tr.scale.xy_note} vs {ref.scale.xy_note}); one session holds one "
                "calibration, so import these files in separate runs")
        if (ref_p is not None and tr.scale.pressure_max is not None
                and tr.scale.pressure_max != ref_p.scale.pressure_max):
            raise InputError(
                f"{tr.source}: pressure maximum {tr.scale.pressure_max:g} differs from "
                f"{ref_p.source} ({ref_p.scale.pressure_max:g}); import them in separate runs")
    return calibration_of([tr.scale for tr in trials])
