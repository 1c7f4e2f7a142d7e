"""SVC recordings: the text format of Wacom tablet recordings used by PaHaW and BDALab.

A first line with the sample count N, then N rows of 7 integers. PaHaW's column order is
``y x timestamp(ms) pen_status azimuth altitude pressure`` (``--x-first`` for files whose
first column is x, as BDALab's ``handwriting-sample`` package writes them). Drotár et al.
(2016), "Evaluation of handwriting kinematics and pressure for differential diagnosis of
Parkinson's disease", Artif. Intell. Med. 67:39-46 (PaHaW);
https://github.com/BDALab/handwriting-sample.

The channels keep the file's values (device units, pressure levels); the conversion is the
trial's :class:`~kinewrite.formats.trial.Scale`.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping

import numpy as np

from ..errors import InputError
from ..storage.schema import STATE_HOVER, STATE_TOUCH
from .trial import (
    MAX_EXACT_INT,
    TIME_UNITS_S,
    ImportedTrial,
    ImportOptions,
    Scale,
    estimated_rate_attrs,
    estimated_rate_hz,
)

__all__ = [
    "SVC_COLUMNS_X_FIRST",
    "SVC_COLUMNS_Y_FIRST",
    "SVC_PRESSURE_LEVELS",
    "SVC_PRESSURE_MAX",
    "SVC_UNITS_PER_MM",
    "parse_svc",
]

#: Default SVC resolution, device units per mm. PaHaW was recorded on a Wacom Intuos 4M
#: (PTK-640). The Linux wacom driver (drivers/hid/wacom_wac.c) gives that tablet 200 units per
#: mm (WACOM_INTUOS3_RES, used for the Intuos 3/4/5 families; 5080 lines per inch) and a
#: 44704 x 27940 unit area, i.e. the published 223.5 x 139.7 mm active area. BDALab's
#: handwriting-sample uses the same 5080 lpi as its default. Override with
#: ``--device-units-per-mm`` for another tablet.
SVC_UNITS_PER_MM = 200.0

#: The Intuos 4 reports 2048 pressure levels, 0..2047 (Linux wacom driver, pressure_max 2047
#: for the Intuos4 entries). Override with ``--pressure-levels``.
SVC_PRESSURE_LEVELS = 2048

#: Default SVC pressure maximum (level): 2048, one above the driver's 2047, because real
#: Wacom SVC files reach it (6 of the 129 PaHaW files hold level 2048, written through the
#: Wintab driver). The default range is therefore 0..2048, so a PaHaW batch imports with
#: default options; the fraction differs from level / 2047 by 0.05 %. Each trial records the
#: highest level its file holds (``svc_pressure_max_level_in_file``).
SVC_PRESSURE_MAX = 2048

SVC_COLUMNS_Y_FIRST = ("y", "x", "timestamp", "pen_status", "azimuth", "altitude", "pressure")
SVC_COLUMNS_X_FIRST = ("x", "y", "timestamp", "pen_status", "azimuth", "altitude", "pressure")


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a text file (SVC is plain text)") from None


def _svc_rows(body: str, name: str) -> np.ndarray:
    """The sample rows as an (n, 7) int64 array (numpy's C parser, no Python loop)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": handled by the caller
            rows = np.loadtxt(io.StringIO(body), dtype=np.int64, ndmin=2, comments=None)
    except ValueError as exc:
        detail = str(exc).splitlines()[0].split("; use `usecols`")[0] if str(exc) else ""
        detail = re.sub(r"at row (\d+)", lambda m: f"at sample row {int(m[1]) + 1}", detail)
        raise InputError(f"{name}: SVC sample rows must be 7 integers ({detail})") from None
    if rows.size and rows.shape[1] != 7:
        raise InputError(f"{name}: SVC sample rows must be 7 integers, got {rows.shape[1]} "
                         "per row")
    return rows.reshape(-1, 7)


def parse_svc(data: bytes, name: str, options: ImportOptions) -> ImportedTrial:
    """Parse an SVC file (Wacom tablet text export, PaHaW/BDALab).

    Layout: line 1 is the sample count N; then N rows of 7 whitespace-separated integers,
    ``y x timestamp pen_status azimuth altitude pressure`` (PaHaW; x first with
    ``options.x_first``). Timestamps are device ticks in ms (often large absolute numbers):
    converted to s and shifted so the first sample is at 0. pen_status 1 is on the surface,
    0 in the air. Times need not increase: the file order is kept, and the analysis closes
    a backward step of the clock (:func:`kinewrite.analysis.preprocess.close_backward_steps`).

    Parameters
    ----------
    data : bytes
    name : str
        The file name for messages.
    options : ImportOptions

    Returns
    -------
    ImportedTrial
        x, y in device units and pressure in levels, as in the file.

    Raises
    ------
    InputError
        Not text, no count line, count and row number differ, a row that is not 7 integers,
        pen status other than 0/1, pressure outside 0..levels-1 (default 0..2048,
        :data:`SVC_PRESSURE_MAX`).
    """
    text = _text(data, name).strip()
    first, _, body = text.partition("\n")
    first = first.strip()
    if not first:
        raise InputError(f"{name}: file is empty")
    if not re.fullmatch(r"\+?\d{1,12}", first):
        raise InputError(f"{name}: the first line of an SVC file is the sample count, "
                         f"got {first[:40]!r}")
    declared = int(first)
    rows = _svc_rows(body, name)
    if rows.shape[0] != declared:
        raise InputError(f"{name}: the count line says {declared} samples but the file has "
                         f"{rows.shape[0]} sample rows")
    if declared == 0:
        raise InputError(f"{name}: no samples (the count line says 0)")
    columns = SVC_COLUMNS_X_FIRST if options.x_first else SVC_COLUMNS_Y_FIRST
    col = {c: rows[:, i] for i, c in enumerate(columns)}
    p_max = (options.pressure_levels - 1) if options.pressure_levels else SVC_PRESSURE_MAX
    units_per_mm = options.device_units_per_mm or SVC_UNITS_PER_MM
    time_unit = options.time_unit or "ms"
    _check_svc_columns(col, p_max, options.pressure_levels is not None, name)
    stamp = col["timestamp"]
    t_s = (stamp - stamp[0]).astype(np.float64) * TIME_UNITS_S[time_unit]
    state = np.where(col["pen_status"] == 1, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    channels = {"t": t_s, "x": col["x"].astype(np.float64), "y": col["y"].astype(np.float64),
                "pressure": col["pressure"].astype(np.float64), "state": state}
    mm_per_unit = 1.0 / units_per_mm
    res_note = ("--device-units-per-mm" if options.device_units_per_mm else
                "default for the Wacom Intuos 4 (PaHaW), Linux wacom driver")
    lvl_note = (f"{options.pressure_levels} levels, --pressure-levels" if options.pressure_levels
                else f"default range 0..{SVC_PRESSURE_MAX}: Wacom Intuos 4 as its SVC files "
                     "record it")
    scale = Scale(
        mm_per_unit, mm_per_unit,
        f"SVC device units, {units_per_mm:g} units/mm ({res_note}); y up as in the file",
        float(p_max), f"pressure level / {p_max} ({lvl_note})",
    )
    conversion = (
        f"x, y: device units x {mm_per_unit:g} mm/unit ({units_per_mm:g} units/mm); "
        f"t: {time_unit} -> s, minus the first timestamp; pressure: level / {p_max}; "
        "pen_status 1 -> state 2 (touch), 0 -> state 1 (hover)"
    )
    return ImportedTrial(
        source=name, fmt="svc", channels=channels,
        units={"t": "s", "x": "device", "y": "device", "pressure": "level", "state": "code"},
        scale=scale, nominal_rate_hz=estimated_rate_hz(t_s),
        attrs={"source_format": "svc",
               "unit_conversion": conversion, "svc_column_order": " ".join(columns),
               "source_first_timestamp": int(stamp[0]), "source_time_unit": time_unit,
               "svc_pressure_max_level_in_file": int(col["pressure"].max()),
               "svc_not_stored": "azimuth, altitude (session format v1 has no channel for "
                                 "them)",
               **estimated_rate_attrs()},
    )


def _check_svc_columns(col: Mapping[str, np.ndarray], p_max: int, given: bool,
                       name: str) -> None:
    pen = col["pen_status"]
    bad = np.flatnonzero((pen != 0) & (pen != 1))
    if bad.size:
        raise InputError(f"{name}: pen status must be 0 (in air) or 1 (on surface), got "
                         f"{int(pen[bad[0]])} in sample row {int(bad[0]) + 1}")
    pressure = col["pressure"]
    if pressure.min() < 0:
        row = int(np.argmin(pressure))
        raise InputError(f"{name}: negative pressure {int(pressure[row])} in sample row "
                         f"{row + 1}")
    if pressure.max() > p_max:
        row = int(np.argmax(pressure))
        what = (f"of {p_max + 1} pressure levels" if given
                else "of the default range (Wacom Intuos 4)")
        raise InputError(f"{name}: pressure level {int(pressure[row])} (sample row {row + 1}) "
                         f"exceeds the maximum {p_max} {what}; pass the device's "
                         "--pressure-levels")
    for column in ("x", "y", "timestamp", "pressure"):  # stored as float64: exact to 2**53
        big = np.flatnonzero((col[column] > MAX_EXACT_INT) | (col[column] < -MAX_EXACT_INT))
        if big.size:
            row = int(big[0])
            raise InputError(f"{name}: column {column} has a value beyond 2**53 "
                             f"({int(col[column][row])}, sample row {row + 1}), which a "
                             "float64 cannot hold exactly")
