"""MovAlyzeR ``.HWR`` recordings, read for ``kinewrite import --format hwr``.

An HWR file (NeuroScript MovAlyzeR's raw handwriting data) is ASCII with no header: one
sample per line, whitespace-separated columns ``x y z`` and optionally ``azimuth altitude``.
``x`` and ``y`` are tablet coordinates, ``z`` the axial pen pressure in device levels, 0
while the pen is lifted. The file has no time column: samples are equally spaced at the rate
set in the MovAlyzeR experiment, which must be given (``--rate-hz``).

Conversion (stored in the trial's ``unit_conversion`` attribute and the session's
calibration, as for the other importers): ``t = i / rate`` s for sample ``i``; x, y stay in
device units with ``1 / units_per_mm`` mm per unit (default
:data:`~kinewrite.formats.svc.SVC_UNITS_PER_MM`, the Wacom Intuos resolution of 5080
lines per inch; ``--device-units-per-mm`` for another tablet, or 10 for coordinates in cm);
pressure level / (levels - 1) (default :data:`~kinewrite.formats.svc.SVC_PRESSURE_LEVELS`);
``z > 0`` is pen down (state 2, touch), ``z == 0`` pen up (state 1, hover). Azimuth and
altitude are not stored (session format v1 has no channel for them; the SVC importer does
the same).

Everything is read and checked before anything is written, through the all-or-nothing
import of :func:`~kinewrite.formats.session_build.import_recordings`. Reference: NeuroScript
MovAlyzeR help, "HWR raw data files" (https://www.neuroscript.net).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import warnings

import numpy as np

from ..errors import InputError
from ..storage.schema import STATE_HOVER, STATE_TOUCH
from .bounded_read import read_bounded
from .svc import SVC_PRESSURE_LEVELS, SVC_UNITS_PER_MM
from .trial import MAX_EXACT_INT, ImportedTrial, Scale, validate_trial

__all__ = ["HWR_COLUMNS", "parse_hwr", "read_hwr_file"]

#: The columns of an HWR file; the last two are optional.
HWR_COLUMNS = ("x", "y", "z", "azimuth", "altitude")


def read_hwr_file(path: str | os.PathLike[str], rate_hz: float,
                  device_units_per_mm: float | None = None,
                  pressure_levels: int | None = None) -> ImportedTrial:
    """Read and validate one HWR file (see :func:`parse_hwr`).

    Raises
    ------
    InputError
        One line naming the file: missing, unreadable, too large, or not a valid HWR file.
    """
    name = str(path)
    data = read_bounded(path)
    trial = parse_hwr(data, name, rate_hz, device_units_per_mm, pressure_levels)
    trial.attrs["source_sha256"] = hashlib.sha256(data).hexdigest()
    return trial


def _rows(data: bytes, name: str) -> np.ndarray:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a text file (HWR is ASCII)") from None
    if not text.strip():
        raise InputError(f"{name}: file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = np.loadtxt(io.StringIO(text), dtype=np.float64, ndmin=2, comments=None)
    except ValueError as exc:
        detail = str(exc).splitlines()[0].split("; use `usecols`")[0] if str(exc) else ""
        # numpy counts rows from 0 in a conversion error, from 1 in a column-count one
        first = 1 if detail.startswith("could not convert") else 0
        detail = re.sub(r"at row (\d+)", lambda m: f"at line {int(m[1]) + first}", detail)
        raise InputError(f"{name}: HWR lines must be 3 or 5 numbers (x y z [azimuth "
                         f"altitude]) ({detail})") from None
    if rows.shape[1] not in (3, 5):
        raise InputError(f"{name}: HWR lines must be 3 or 5 numbers (x y z [azimuth "
                         f"altitude]), got {rows.shape[1]} per line")
    return rows


def parse_hwr(data: bytes, name: str, rate_hz: float, device_units_per_mm: float | None = None,
              pressure_levels: int | None = None) -> ImportedTrial:
    """Parse MovAlyzeR HWR bytes into an :class:`~kinewrite.formats.trial.ImportedTrial`.

    Parameters
    ----------
    data : bytes
    name : str
        The file name for messages.
    rate_hz : float
        Sampling rate of the recording in Hz (MovAlyzeR's experiment setting).
    device_units_per_mm : float, optional
        Tablet resolution; default :data:`~kinewrite.formats.svc.SVC_UNITS_PER_MM`.
    pressure_levels : int, optional
        Pressure levels (maximum level = levels - 1); default
        :data:`~kinewrite.formats.svc.SVC_PRESSURE_LEVELS`.

    Returns
    -------
    ImportedTrial
        x, y in device units and pressure in levels, as in the file; t in s.

    Raises
    ------
    InputError
        Not text, empty, a line that is not 3 or 5 numbers, a value that is not finite or
        beyond 2**53, a negative pressure or one above the top level, a pen that never
        touches the surface, or a rate that is not a positive number.
    """
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(f"{name}: the sampling rate must be a positive number of Hz "
                         f"(--rate-hz), got {rate_hz!r}")
    rows = _rows(data, name)
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:
        raise InputError(f"{name}: line {int(bad[0]) + 1} holds a value that is not a finite "
                         "number")
    big = np.flatnonzero((np.abs(rows[:, :3]) > MAX_EXACT_INT).any(axis=1))
    if big.size:
        raise InputError(f"{name}: line {int(big[0]) + 1} holds a value beyond 2**53, which a "
                         "float64 cannot hold exactly")
    x, y, z = rows[:, 0], rows[:, 1], rows[:, 2]
    levels = pressure_levels or SVC_PRESSURE_LEVELS
    if z.min() < 0:
        line = int(np.argmin(z))
        raise InputError(f"{name}: negative pen pressure z={z[line]:g} on line {line + 1}")
    if z.max() > levels - 1:
        line = int(np.argmax(z))
        raise InputError(f"{name}: pen pressure z={z[line]:g} (line {line + 1}) exceeds the "
                         f"maximum {levels - 1} of {levels} pressure levels; pass the "
                         "device's --pressure-levels")
    units_per_mm = device_units_per_mm or SVC_UNITS_PER_MM
    n = rows.shape[0]
    t_s = np.arange(n, dtype=np.float64) / rate_hz
    state = np.where(z > 0, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    res_note = ("--device-units-per-mm" if device_units_per_mm else
                "default: Wacom Intuos, 5080 lines per inch")
    lvl_note = "--pressure-levels" if pressure_levels else "default, Wacom Intuos 4"
    mm_per_unit = 1.0 / units_per_mm
    scale = Scale(
        mm_per_unit, mm_per_unit,
        f"HWR device units, {units_per_mm:g} units/mm ({res_note}); y up as in the file",
        float(levels - 1), f"pressure level / {levels - 1} ({levels} levels, {lvl_note})",
    )
    conversion = (
        f"t: sample index / {rate_hz:g} Hz (HWR has no time column); x, y: device units x "
        f"{mm_per_unit:g} mm/unit ({units_per_mm:g} units/mm); pressure: z / {levels - 1}; "
        "z > 0 -> state 2 (touch), z = 0 -> state 1 (hover)"
    )
    trial = ImportedTrial(
        source=name, fmt="hwr",
        channels={"t": t_s, "x": x.copy(), "y": y.copy(), "pressure": z.copy(), "state": state},
        units={"t": "s", "x": "device", "y": "device", "pressure": "level", "state": "code"},
        scale=scale, nominal_rate_hz=float(rate_hz),
        attrs={"source_format": "hwr", "unit_conversion": conversion,
               "nominal_rate_hz_source": "--rate-hz (MovAlyzeR experiment setting)",
               "hwr_columns": " ".join(HWR_COLUMNS[:rows.shape[1]]),
               **({"hwr_not_stored": "azimuth, altitude (session format v1 has no channel "
                                     "for them)"} if rows.shape[1] == 5 else {})},
    )
    validate_trial(trial)
    return trial
