"""Recordings made by other tools, read for ``kinewrite import``: SVC, kinewrite CSV, InkML.

Every reader works in memory on the bytes it read once (their SHA-256 is the trial's
``source_sha256``) and validates everything before anything is written: an import either
writes one whole session or leaves the study as it was, even when killed
(:func:`import_recordings`: built in a hidden temporary file, verified, renamed), and a file
already imported for the patient is skipped. A bad file raises :class:`InputError` with one
line naming the file and the problem; no other exception escapes a reader (the fuzz tests
hold it to that). File names are not stored unless asked (``keep_source_name``).

The channels keep the values the file holds (device units, pressure levels); the conversion to
mm and to the 0..1 pressure fraction is the session's :class:`Calibration`, and every trial
records the conversion it used in its ``unit_conversion`` attribute. See ``docs/import.md``.

Formats
-------
SVC
    The text format of Wacom tablet recordings used by PaHaW and BDALab: a first line with the
    sample count N, then N rows of 7 integers. PaHaW's column order is ``y x timestamp(ms)
    pen_status azimuth altitude pressure`` (``--x-first`` for files whose first column is x,
    as BDALab's ``handwriting-sample`` package writes them). Drotár et al. (2016), "Evaluation
    of handwriting kinematics and pressure for differential diagnosis of Parkinson's disease",
    Artif. Intell. Med. 67:39-46 (PaHaW); https://github.com/BDALab/handwriting-sample.
CSV
    kinewrite's own recording format (:mod:`kinewrite.storage.csv_recording`), already in mm,
    s and 0..1: stored as is, identity calibration.
InkML
    W3C Ink Markup Language, Recommendation 20 September 2011,
    https://www.w3.org/TR/2011/REC-InkML-20110920/ . Read with the standard library's expat
    parser; any DOCTYPE or entity declaration is refused (no entity expansion, no external
    entity or DTD is ever fetched).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import h5py
import numpy as np

from .. import __version__
from .._atomic import FILE_MODE, TEMP_SUFFIX, atomic_output, private_folder
from ..analysis.preprocess import effective_rate_hz
from ..analysis.scale import check_scale
from ..errors import InputError
from ..model import TASKS, RecordingError
from ..trial_features import finish_trial
from .codes import check_code_collision, validate_patient_code
from .csv_recording import parse_csv_recording
from .session import (
    STATE_HOVER,
    STATE_OUT,
    STATE_TOUCH,
    Calibration,
    SessionBusyError,
    SessionWriter,
    channels_to_recording,
    load_session,
    normalize_created,
    now_utc,
    refuse_foreign_data,
    session_filename,
    write_new_session,
)

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "SVC_PRESSURE_LEVELS",
    "SVC_PRESSURE_MAX",
    "SVC_UNITS_PER_MM",
    "ImportOptions",
    "ImportResult",
    "ImportedTrial",
    "Skipped",
    "decode_recording",
    "detect_format",
    "import_recordings",
    "imported_sources",
    "parse_inkml",
    "parse_svc",
    "read_recording_file",
    "session_calibration",
    "write_import_session",
]

FORMATS: tuple[str, ...] = ("svc", "csv", "inkml")
EXTENSIONS = {".svc": "svc", ".csv": "csv", ".inkml": "inkml", ".xml": "inkml"}

#: Largest file an import reads (bytes): the whole file is held in memory.
MAX_BYTES = 200 * 1024 * 1024

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

#: Largest |value| an imported channel may hold (SVC integers, InkML and CSV numbers): beyond
#: 2**53 a float64 no longer holds every integer, so the stored value would not be the file's.
_MAX_EXACT_INT = 2**53

TIME_UNITS_S = {"s": 1.0, "ms": 1e-3}

# InkML units (lower case) -> mm, and -> s. "himetric" (0.01 mm) is what Microsoft Office
# writes; "dev" or no units means device units (--device-units-per-mm).
_LENGTH_MM = {"m": 1000.0, "cm": 10.0, "mm": 1.0, "um": 1e-3, "µm": 1e-3, "in": 25.4,
              "pt": 25.4 / 72.0, "pc": 25.4 / 6.0, "himetric": 0.01}
_TIME_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_DEVICE_UNITS = ("", "dev")

#: XML limits: nesting depth and element count (an InkML file is shallow).
MAX_XML_DEPTH = 64
MAX_XML_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class ImportOptions:
    """How to read files whose units the file does not state.

    Parameters
    ----------
    x_first : bool
        SVC only: the first column is x (default: PaHaW's y first).
    device_units_per_mm : float, optional
        Resolution of coordinates without physical units (SVC; InkML channels without units
        or with ``units="dev"``). SVC default :data:`SVC_UNITS_PER_MM`.
    pressure_levels : int, optional
        Pressure levels of the device (maximum level = levels - 1): SVC, and InkML ``F``
        channels without a ``max``. SVC default :data:`SVC_PRESSURE_LEVELS`.
    time_unit : {"ms", "s"}, optional
        Unit of SVC timestamps (default ms) and of an InkML ``T`` channel without units.
    """

    x_first: bool = False
    device_units_per_mm: float | None = None
    pressure_levels: int | None = None
    time_unit: str | None = None


@dataclass(frozen=True)
class _Scale:
    """A file's conversion to physical units; becomes the session's calibration."""

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
    scale: _Scale
    task: str | None = None
    nominal_rate_hz: float = float("nan")
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def calibration(self) -> Calibration:
        """This file's own calibration (the session's, when all files agree)."""
        return _calibration([self.scale])


# ----------------------------------------------------------------------------- entry points


def read_bounded(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a recording file, at most :data:`MAX_BYTES` (read once: the hash stored
    with the trial is that of the samples parsed).

    Raises
    ------
    InputError
        One line naming the file: missing, not a file, unreadable or too large.
    """
    name = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise InputError(f"{name}: no such file" if not p.exists() else f"{name}: not a file")
        if p.stat().st_size > MAX_BYTES:
            raise InputError(f"{name}: file is larger than {MAX_BYTES // 2**20} MB; split it")
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:  # grew while read
        raise InputError(f"{name}: file is larger than {MAX_BYTES // 2**20} MB; split it")
    return data


def read_recording_file(
    path: str | os.PathLike[str], fmt: str | None = None,
    options: ImportOptions | None = None,
) -> ImportedTrial:
    """Read and validate one file to import.

    Parameters
    ----------
    path : path-like
    fmt : {"svc", "csv", "inkml"}, optional
        Format; default from the extension (``.svc``, ``.csv``, ``.inkml``/``.xml``), else
        sniffed from the content.
    options : ImportOptions, optional

    Returns
    -------
    ImportedTrial

    Raises
    ------
    InputError
        One line naming the file: missing, unreadable, too large, empty, of unknown format,
        or not a valid recording of its format.
    """
    name = str(path)
    options = options or ImportOptions()
    data = read_bounded(path)
    fmt = fmt or detect_format(name, data)
    if fmt == "csv":
        if not data.strip():
            raise InputError(f"{name}: file is empty")
        trial = _read_csv(data, name)
    else:
        trial = decode_recording(data, name, fmt, options)
    trial.attrs["source_sha256"] = hashlib.sha256(data).hexdigest()
    return trial


def decode_recording(data: bytes, name: str, fmt: str, options: ImportOptions) -> ImportedTrial:
    """Parse and validate SVC or InkML bytes (what :func:`read_recording_file` does after
    reading the file). Raises only :class:`InputError`."""
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    if fmt == "svc":
        trial = parse_svc(data, name, options)
    elif fmt == "inkml":
        trial = parse_inkml(data, name, options)
    else:
        raise InputError(f"{name}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    _validate(trial)
    return trial


def detect_format(name: str, data: bytes) -> str:
    """The format of a file: by extension, else by content.

    Raises
    ------
    InputError
        If neither tells (one line, suggesting ``--format``).
    """
    by_ext = EXTENSIONS.get(Path(name).suffix.lower())
    if by_ext:
        return by_ext
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "inkml"  # UTF-16: of the three formats only XML may be UTF-16
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if not text:
        raise InputError(f"{name}: file is empty")
    if text.startswith("<"):
        return "inkml"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) >= 2 and lines[0].isdigit() and re.fullmatch(r"[+-]?\d+(\s+[+-]?\d+){6}",
                                                               lines[1]):
        return "svc"
    if lines[0].startswith("#") or (
        "," in lines[0] and {"t", "x", "y"} <= {c.strip().lower() for c in lines[0].split(",")}
    ):
        return "csv"
    raise InputError(f"{name}: cannot tell the format from the name or the content; "
                     f"pass --format {'|'.join(FORMATS)}")


# ------------------------------------------------------------------------------ validation


def _validate(trial: ImportedTrial) -> None:
    """Check that the stored channels convert to a valid, analyzable recording."""
    try:
        recording = channels_to_recording(trial.channels, trial.calibration)
    except RecordingError as exc:
        raise InputError(f"{trial.source}: {exc}") from None
    if not recording.pen_down.any():
        raise InputError(f"{trial.source}: pen never touches the surface "
                         "(all samples are pen up)")


def _estimated_rate_hz(t_s: np.ndarray) -> float:
    """Samples per second of gap-free time (:func:`~kinewrite.analysis.preprocess.
    effective_rate_hz`): 133.3 Hz on a 7/8 ms alternating clock, where the median interval
    reads 125 Hz. NaN if no interval covers time."""
    return effective_rate_hz(t_s)


def _rate_attrs() -> dict[str, str]:
    return {"nominal_rate_hz_source": "estimated: sample intervals per second of covered "
                                      "time (intervals over 3 typical steps and backward "
                                      "steps left out)"}


# ------------------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, name: str) -> ImportedTrial:
    """kinewrite's CSV recording: values already in s, mm and 0..1 (identity calibration).

    Parses the bytes :func:`read_recording_file` read (and hashed): the file is read once, so
    the stored ``source_sha256`` is the hash of exactly the samples stored."""
    recording, task = parse_csv_recording(data, name)
    channels: dict[str, np.ndarray] = {
        "t": recording.t, "x": recording.x, "y": recording.y,
        "state": np.where(recording.pen_down, STATE_TOUCH, STATE_HOVER).astype(np.uint8),
    }
    units = {"t": "s", "x": "mm", "y": "mm", "state": "code"}
    if recording.pressure is not None:
        channels["pressure"] = recording.pressure
        units["pressure"] = "1"
    for tilt in ("tilt_x", "tilt_y"):
        if getattr(recording, tilt) is not None:
            channels[tilt] = getattr(recording, tilt)
            units[tilt] = "deg"
    scale = _Scale(1.0, 1.0, "identity: values already in mm (kinewrite CSV)",
                   1.0 if recording.pressure is not None else None,
                   "pressure already a fraction 0..1" if recording.pressure is not None else "")
    trial = ImportedTrial(
        source=name, fmt="csv", channels=channels, units=units, scale=scale, task=task,
        nominal_rate_hz=_estimated_rate_hz(recording.t),
        attrs={"source_format": "csv",
               "unit_conversion": "none: t in s, x and y in mm, pressure 0..1 (kinewrite CSV); "
                                  "pen_down 1 -> state 2 (touch), 0 -> 1 (hover)",
               **_rate_attrs()},
    )
    _validate(trial)
    return trial


# ------------------------------------------------------------------------------------- SVC


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
    scale = _Scale(
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
        scale=scale, nominal_rate_hz=_estimated_rate_hz(t_s),
        attrs={"source_format": "svc",
               "unit_conversion": conversion, "svc_column_order": " ".join(columns),
               "source_first_timestamp": int(stamp[0]), "source_time_unit": time_unit,
               "svc_pressure_max_level_in_file": int(col["pressure"].max()),
               "svc_not_stored": "azimuth, altitude (session format v1 has no channel for "
                                 "them)",
               **_rate_attrs()},
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
        big = np.flatnonzero((col[column] > _MAX_EXACT_INT) | (col[column] < -_MAX_EXACT_INT))
        if big.size:
            row = int(big[0])
            raise InputError(f"{name}: column {column} has a value beyond 2**53 "
                             f"({int(col[column][row])}, sample row {row + 1}), which a "
                             "float64 cannot hold exactly")


# ----------------------------------------------------------------------------------- InkML


@dataclass
class _Node:
    """An XML element: local tag name, attributes by local name, children, and (for
    ``<trace>`` only) its text."""

    tag: str
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)
    text: list[str] | None = None


@dataclass(frozen=True)
class _Channel:
    name: str
    type: str
    units: str
    max: float | None
    orientation: str
    respect_to: str


def _local(qname: str) -> str:
    return qname.rsplit(" ", 1)[-1]


def _parse_xml(data: bytes, name: str) -> tuple[_Node, dict[str, _Node]]:
    """Parse XML safely: expat, no DOCTYPE or entity declaration, bounded depth and size.

    Returns
    -------
    root : _Node
    ids : dict
        Elements by ``xml:id`` (or ``id``).
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True

    def refuse(*_args: object) -> None:
        raise InputError(f"{name}: XML with a DOCTYPE or entity declaration is refused "
                         "(entity expansion and external entities are unsafe)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    stack: list[_Node] = []
    ids: dict[str, _Node] = {}
    holder: list[_Node] = []
    count = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        count[0] += 1
        if len(stack) >= MAX_XML_DEPTH or count[0] > MAX_XML_ELEMENTS:
            raise InputError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} or with more "
                             f"than {MAX_XML_ELEMENTS} elements; refused")
        local = _local(tag)
        node = _Node(local, {_local(k): v for k, v in attrs.items()},
                     text=[] if local == "trace" else None)
        if stack:
            stack[-1].children.append(node)
        else:
            holder.append(node)
        if "id" in node.attrs:
            ids[node.attrs["id"]] = node
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack and stack[-1].text is not None:
            stack[-1].text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InputError(f"{name}: not well-formed XML ({expat.ErrorString(exc.code)}, "
                         f"line {exc.lineno})") from None
    except (LookupError, UnicodeError, ValueError) as exc:  # e.g. encoding="nonsense"
        raise InputError(f"{name}: unreadable XML encoding ({str(exc)[:80]})") from None
    except RecursionError:  # pragma: no cover - depth is bounded above
        raise InputError(f"{name}: XML nested too deeply") from None
    if not holder:
        raise InputError(f"{name}: no XML element")
    return holder[0], ids


def _lookup(ref: str, ids: Mapping[str, _Node], name: str, wanted: tuple[str, ...]) -> _Node:
    if ("#" in ref and not ref.startswith("#")) or ref.startswith(("http:", "https:", "file:")):
        raise InputError(f"{name}: reference {ref[:60]!r} points outside the file; "
                         "external references are not followed")
    node = ids.get(ref.lstrip("#"))
    if node is None or node.tag not in wanted:
        raise InputError(f"{name}: reference {ref[:60]!r} names no <{'/'.join(wanted)}> "
                         "in the file")
    return node


def _format_of(node: _Node, ids: Mapping[str, _Node], name: str, depth: int = 0) -> _Node | None:
    """The ``<traceFormat>`` a context (or inkSource) applies: its own child, its
    traceFormatRef, its inkSource, then the context it refers to."""
    if depth > 16:
        raise InputError(f"{name}: context references nest more than 16 deep (a cycle?)")
    if node.tag == "traceFormat":
        return node
    for child in node.children:
        if child.tag == "traceFormat":
            return child
    if "traceFormatRef" in node.attrs:
        return _lookup(node.attrs["traceFormatRef"], ids, name, ("traceFormat",))
    for child in node.children:
        if child.tag == "inkSource":
            found = _format_of(child, ids, name, depth + 1)
            if found is not None:
                return found
    for attr, wanted in (("inkSourceRef", ("inkSource",)), ("contextRef", ("context",))):
        if attr in node.attrs:
            target = _lookup(node.attrs[attr], ids, name, wanted)
            return _format_of(target, ids, name, depth + 1)
    return None


def _channel_properties_of(node: _Node, ids: Mapping[str, _Node], name: str,
                           depth: int = 0) -> _Node | None:
    """The ``<channelProperties>`` a context (or inkSource) applies, found along the same
    path as its trace format (:func:`_format_of`): its own child, its inkSource, then the
    inkSource or context it refers to (InkML §4.1.2: channelProperties sit in an
    inkSource beside its traceFormat)."""
    if depth > 16:
        raise InputError(f"{name}: context references nest more than 16 deep (a cycle?)")
    for child in node.children:
        if child.tag == "channelProperties":
            return child
    for child in node.children:
        if child.tag == "inkSource":
            found = _channel_properties_of(child, ids, name, depth + 1)
            if found is not None:
                return found
    for attr, wanted in (("inkSourceRef", ("inkSource",)), ("contextRef", ("context",))):
        if attr in node.attrs:
            target = _lookup(node.attrs[attr], ids, name, wanted)
            return _channel_properties_of(target, ids, name, depth + 1)
    return None


def _resolutions(props: _Node | None, name: str) -> dict[str, tuple[float, str]]:
    """Channel -> (resolution value, its units) from ``<channelProperty name="resolution">``
    (e.g. ``channel="X" value="1000" units="1/cm"``: 1000 units per cm)."""
    out: dict[str, tuple[float, str]] = {}
    for child in props.children if props is not None else ():
        a = child.attrs
        if child.tag != "channelProperty" or a.get("name", "").strip() != "resolution":
            continue
        try:
            value = float(a.get("value", ""))
        except ValueError:
            raise InputError(f"{name}: channelProperty resolution of channel "
                             f"{a.get('channel', '?')[:20]} has value "
                             f"{a.get('value', '')[:30]!r}, not a number") from None
        out[a.get("channel", "").strip()] = (value, a.get("units", "").strip())
    return out


def _all_nodes(node: _Node, tag: str) -> list[_Node]:
    found = [node] if node.tag == tag else []
    for child in node.children:
        found.extend(_all_nodes(child, tag))
    return found


def _collect_traces(root: _Node, ids: Mapping[str, _Node],
                    name: str) -> list[tuple[_Node, _Node | None]]:
    """Every ``<trace>`` in document order (also inside ``<traceGroup>``), with the context
    (or top-level traceFormat) that applies to it: the trace's contextRef, else its group's,
    else the last ``<context>``/``<traceFormat>`` directly under ``<ink>`` before it."""
    out: list[tuple[_Node, _Node | None]] = []
    current: list[_Node | None] = [None]

    def ref_of(node: _Node) -> _Node | None:
        ref = node.attrs.get("contextRef")
        return _lookup(ref, ids, name, ("context",)) if ref else None

    def visit(node: _Node, group_ctx: _Node | None) -> None:
        for child in node.children:
            if node is root and child.tag in ("context", "traceFormat"):
                current[0] = child
            elif child.tag == "traceGroup":
                visit(child, ref_of(child) or group_ctx)
            elif child.tag == "trace":
                out.append((child, ref_of(child) or group_ctx or current[0]))

    visit(root, None)
    return out


def _all_formats(node: _Node) -> list[_Node]:
    return _all_nodes(node, "traceFormat")


def _channels(fmt: _Node | None, name: str) -> tuple[_Channel, ...]:
    """The regular channels of a traceFormat, in order (default X Y, InkML §3.1.2)."""
    if fmt is None:
        return (_Channel("X", "decimal", "", None, "+ve", ""),
                _Channel("Y", "decimal", "", None, "+ve", ""))
    nodes: list[_Node] = []
    for child in fmt.children:
        if child.tag == "channel":
            nodes.append(child)
        elif child.tag == "regularChannels":
            nodes.extend(c for c in child.children if c.tag == "channel")
        elif child.tag == "intermittentChannels" and any(c.tag == "channel"
                                                         for c in child.children):
            raise InputError(f"{name}: InkML intermittent channels are not supported")
    if not nodes:
        raise InputError(f"{name}: a <traceFormat> declares no channel")
    channels = tuple(_channel(n, name) for n in nodes)
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise InputError(f"{name}: a <traceFormat> declares a channel twice ({' '.join(names)})")
    return channels


def _channel(node: _Node, name: str) -> _Channel:
    a = node.attrs
    cname = a.get("name", "").strip()
    if not cname:
        raise InputError(f"{name}: a <channel> has no name")
    maximum = None
    if "max" in a:
        try:
            maximum = float(a["max"])
        except ValueError:
            raise InputError(f"{name}: channel {cname} has max={a['max'][:30]!r}, not a "
                             "number") from None
    return _Channel(cname, a.get("type", "decimal").strip() or "decimal",
                    a.get("units", "").strip(), maximum,
                    a.get("orientation", "+ve").strip() or "+ve", a.get("respectTo", "").strip())


# One trace token per match: a comma, a (qualified) value, or up to 40 other characters (an
# error). Quantifiers are possessive and bounded and every non-space character starts some
# match, so the scan is linear in the text (no retry inside a long run of digits).
_TOKEN = re.compile(
    r"(,)"
    r"""|([!'"]?)((?:[+-]?+(?:\d{1,40}+(?:\.\d{0,40}+)?+|\.\d{1,40}+)(?:[eE][+-]?+\d{1,4}+)?+"""
    r"""|[TF])(?=[\s,+\-!'"]|\Z))"""
    r"|([^\s,]{1,40})"
)
_QUALIFIER_CODE = {"!": 1, "'": 2, '"': 3}
#: Trace text is tokenized in pieces of about this many characters (cut at commas), which
#: bounds the memory of the token arrays; no point may be longer.
_CHUNK_CHARS = 1 << 16


def _trace_pieces(text: str, where: str) -> Iterator[str]:
    """Split trace text at commas into pieces of about :data:`_CHUNK_CHARS` characters."""
    pos, n = 0, len(text)
    while pos < n:
        cut = text.find(",", pos + _CHUNK_CHARS)
        stop = n if cut < 0 else cut
        if stop - pos > 2 * _CHUNK_CHARS:
            raise InputError(f"{where}: a point longer than {_CHUNK_CHARS} characters")
        yield text[pos:stop]
        pos = stop + 1


def _piece_matrix(piece: str, channels: Sequence[_Channel], where: str,
                  first_point: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and qualifier codes of whole points, as (n_points, n_channels) arrays."""
    nch = len(channels)
    tokens = _TOKEN.findall(piece)
    arr = np.array(tokens, dtype=str).reshape(-1, 4)
    junk = np.flatnonzero(arr[:, 3] != "")
    if junk.size:
        raise InputError(f"{where}: cannot read {str(arr[junk[0], 3])!r} (values are numbers "
                         "separated by spaces, points by commas)")
    comma = arr[:, 0] == ","
    values = arr[~comma]
    n_points = int(np.count_nonzero(comma)) + 1
    counts = np.bincount(np.cumsum(comma)[~comma], minlength=n_points)
    bad = np.flatnonzero(counts != nch)
    if bad.size:
        k = int(bad[0])
        names = " ".join(c.name for c in channels)
        raise InputError(f"{where}: point {first_point + k + 1} has {int(counts[k])} values "
                         f"but the trace format ({names}) has {nch}")
    raw = values[:, 2]
    is_bool = (raw == "T") | (raw == "F")
    numbers = np.where(raw == "T", "1", np.where(raw == "F", "0", raw)).astype(np.float64)
    codes = np.zeros(raw.size, dtype=np.int8)
    for qualifier, code in _QUALIFIER_CODE.items():
        codes[values[:, 1] == qualifier] = code
    numeric = np.array([c.type != "boolean" for c in channels])
    if np.any(is_bool.reshape(-1, nch) & numeric):
        raise InputError(f"{where}: a T/F value in a numeric channel")
    return numbers.reshape(-1, nch), codes.reshape(-1, nch)


def _trace_matrix(text: str, channels: Sequence[_Channel], name: str,
                  index: int) -> tuple[np.ndarray, np.ndarray]:
    """A trace's values as (n_points, n_channels) arrays: numbers and qualifier codes.

    Points are separated by commas, values by whitespace or by the sign or qualifier that
    starts the next value (InkML §3.2.1); ``T``/``F`` are booleans. Tokenized with one linear
    regular-expression pass per piece and converted by numpy, no Python loop per value.
    """
    where = f"{name}: trace {index}"
    nch = len(channels)
    text = text.strip()
    if not text:
        return np.empty((0, nch)), np.empty((0, nch), dtype=np.int8)
    for char, what in (("*", "'*' (value unchanged)"), ("?", "'?' (value unknown)"),
                       ("#", "'#' (hexadecimal)")):
        if char in text:
            raise InputError(f"{where}: InkML {what} values are not supported")
    if text.endswith(","):
        raise InputError(f"{where}: ends with a comma (an empty point)")
    numbers, codes, done = [], [], 0
    for piece in _trace_pieces(text, where):
        v, c = _piece_matrix(piece, channels, where, done)
        numbers.append(v)
        codes.append(c)
        done += v.shape[0]
    return np.concatenate(numbers), np.concatenate(codes)


def _undifference(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Decode one channel's InkML difference encoding.

    ``!`` explicit value, ``'`` first difference (``x[i] = x[i-1] + d``), ``"`` second
    difference (``x[i] = 2 x[i-1] - x[i-2] + d``). A qualifier holds for the channel's later
    values until another one; unqualified values before any qualifier are explicit.

    Raises
    ------
    ValueError
        A difference with no earlier point to refer to.
    """
    n = values.size
    last = np.where(codes != 0, np.arange(n), 0)
    np.maximum.accumulate(last, out=last)
    mode = codes[last]
    mode[mode == 0] = 1
    if np.all(mode == 1):
        return values
    out = np.empty(n)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(mode)) + 1))
    stops = np.concatenate((starts[1:], [n]))
    for s, e in zip(starts.tolist(), stops.tolist(), strict=True):
        if mode[s] == 1:
            out[s:e] = values[s:e]
        elif mode[s] == 2:
            if s < 1:
                raise ValueError("a first difference (') at the first point")
            out[s:e] = out[s - 1] + np.cumsum(values[s:e])
        else:
            if s < 2:
                raise ValueError('a second difference (") needs two earlier points')
            velocity = (out[s - 1] - out[s - 2]) + np.cumsum(values[s:e])
            out[s:e] = out[s - 1] + np.cumsum(velocity)
    return out


@dataclass(frozen=True)
class _InkUnits:
    """The unit conversion of one trace format (all traces of a file must share it)."""

    x_mm: float
    y_mm: float
    t_s: float
    pressure_max: float | None
    note: str  # coordinates and time
    pressure_note: str = ""
    x_unit: str = "device"  # unit of the stored X values
    y_unit: str = "device"


def _length_mm(ch: _Channel, options: ImportOptions, name: str,
               resolution: tuple[float, str] | None = None) -> tuple[float, str, str]:
    """mm per stored unit of an X or Y channel, a note, and the stored unit's name.

    A ``channelProperty`` resolution wins (InkML §4.1.2.1): ``units="cm"`` with resolution
    1000 per cm (what Microsoft Office writes) means a stored value of 1000 is 1 cm, so
    0.01 mm per unit. Its units are ``1/<length>`` (or, without units, per the channel's
    unit); a resolution of 0 or per device unit says nothing physical and is passed over.
    """
    unit = ch.units.lower()
    if resolution is not None and resolution[0] > 0:
        value, res_units = resolution
        per = res_units.lower().removeprefix("1/").strip() if res_units else unit
        if per in _LENGTH_MM:
            return (_LENGTH_MM[per] / value,
                    f"{ch.name} at {value:g} per {per} (channelProperty resolution)", "device")
        if per not in (*_DEVICE_UNITS, "dev"):
            raise InputError(f"{name}: unsupported resolution units {res_units[:20]!r} on "
                             f"InkML channel {ch.name}; expected 1/<length unit>")
    if unit in _LENGTH_MM:
        return _LENGTH_MM[unit], f"{ch.name} in {ch.units}", unit
    if unit in _DEVICE_UNITS:
        if not options.device_units_per_mm:
            raise InputError(f"{name}: InkML channel {ch.name} has no physical units "
                             f"(units={ch.units!r}); pass --device-units-per-mm N")
        return (1.0 / options.device_units_per_mm,
                f"{ch.name} in device units, {options.device_units_per_mm:g}/mm "
                "(--device-units-per-mm)", "device")
    raise InputError(f"{name}: unsupported units {ch.units[:20]!r} on InkML channel {ch.name}; "
                     f"expected one of {', '.join(_LENGTH_MM)} or dev")


def _ink_units(channels: Sequence[_Channel], options: ImportOptions, name: str,
               resolutions: Mapping[str, tuple[float, str]] | None = None) -> _InkUnits:
    by_name = {c.name: c for c in channels}
    resolutions = resolutions or {}
    missing = [c for c in ("X", "Y", "T") if c not in by_name]
    if missing:
        what = "time (T)" if missing == ["T"] else " and ".join(missing)
        raise InputError(f"{name}: the InkML trace format ({' '.join(by_name)}) has no "
                         f"{what} channel; kinematics need X, Y and T")
    x_mm, x_note, x_unit = _length_mm(by_name["X"], options, name, resolutions.get("X"))
    y_mm, y_note, y_unit = _length_mm(by_name["Y"], options, name, resolutions.get("Y"))
    # InkML §3.1.2: X increases to the right, Y downward, for orientation "+ve". The session
    # wants y up, so a "+ve" Y is flipped (negative mm per unit), a "-ve" X too.
    x_mm *= -1.0 if by_name["X"].orientation == "-ve" else 1.0
    y_mm *= 1.0 if by_name["Y"].orientation == "-ve" else -1.0
    t_ch = by_name["T"]
    t_unit = t_ch.units.lower()
    if t_unit in _TIME_S:
        t_s, t_note = _TIME_S[t_unit], f"T in {t_ch.units}"
    elif not t_unit and options.time_unit:
        t_s, t_note = TIME_UNITS_S[options.time_unit], f"T in {options.time_unit} (--time-unit)"
    elif not t_unit:
        raise InputError(f"{name}: the InkML T channel declares no units; pass --time-unit "
                         "ms or s")
    else:
        raise InputError(f"{name}: unsupported time units {t_ch.units[:20]!r} on InkML channel "
                         "T; expected s or ms")
    pressure_max, f_note = None, ""
    flips = [a for a, mm in (("X", x_mm), ("Y", y_mm)) if mm < 0]
    note = f"{x_note}, {y_note}, {t_note}; {' and '.join(flips) or 'no axis'} flipped"
    if "F" in by_name:
        f_ch = by_name["F"]
        if f_ch.max is not None and f_ch.max > 0:
            pressure_max = f_ch.max
            f_note = f"pressure: F / {f_ch.max:g} (channel max)"
        elif options.pressure_levels:
            pressure_max = float(options.pressure_levels - 1)
            f_note = (f"pressure: F / {pressure_max:g} "
                      f"(--pressure-levels {options.pressure_levels})")
        else:
            raise InputError(f"{name}: the InkML F channel declares no max; pass "
                             "--pressure-levels N")
    return _InkUnits(x_mm, y_mm, t_s, pressure_max, note, f_note, x_unit, y_unit)


@dataclass
class _Stroke:
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    force: np.ndarray | None
    state: np.ndarray
    joins_previous: bool  # continuation of the previous trace: no pen lift between them


def _decode_trace(node: _Node, channels: Sequence[_Channel], units: _InkUnits, name: str,
                  index: int) -> _Stroke | None:
    text = "".join(node.text or [])
    numbers, codes = _trace_matrix(text, channels, name, index)
    if numbers.shape[0] == 0:
        return None
    cols: dict[str, np.ndarray] = {}
    for j, ch in enumerate(channels):
        if ch.name in ("X", "Y", "T", "F", "S"):
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    cols[ch.name] = _undifference(numbers[:, j], codes[:, j])
            except ValueError as exc:
                raise InputError(f"{name}: trace {index}, channel {ch.name}: {exc}") from None
    for key, values in cols.items():
        if not np.all(np.isfinite(values)):
            raise InputError(f"{name}: trace {index}, channel {key}: value out of range")
        big = np.flatnonzero(np.abs(values) >= _MAX_EXACT_INT)
        if big.size:
            raise InputError(f"{name}: trace {index}, channel {key}: value "
                             f"{values[big[0]]:.17g} is beyond 2**53, which a float64 cannot "
                             "hold exactly")
    kind = node.attrs.get("type", "penDown")
    if kind not in ("penDown", "penUp", "indeterminate"):
        raise InputError(f"{name}: trace {index} has type={kind[:20]!r}; expected penDown, "
                         "penUp or indeterminate")
    state = np.full(numbers.shape[0], STATE_HOVER if kind == "penUp" else STATE_TOUCH, np.uint8)
    if "S" in cols and kind != "penUp":  # tip switch: touching where true
        state = np.where(cols["S"] != 0, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    force = cols.get("F")
    if force is not None and units.pressure_max is not None:
        bad = np.flatnonzero((force < 0) | (force > units.pressure_max))
        if bad.size:
            raise InputError(f"{name}: trace {index}: F value {force[bad[0]]:g} outside "
                             f"0..{units.pressure_max:g} (the channel max)")
    return _Stroke(cols["T"] * units.t_s, cols["X"], cols["Y"], force, state,
                   node.attrs.get("continuation", "") in ("middle", "end"))


def _join_strokes(strokes: Sequence[_Stroke], respect_to: bool, name: str) -> dict[str, Any]:
    """Concatenate traces; between two pen-down traces insert one pen-lift marker sample
    (state 0, halfway in time and space, pressure 0) so the lift is not lost."""
    parts: list[list[np.ndarray]] = [[], [], [], [], []]
    markers = 0
    has_force = strokes[0].force is not None
    for k, s in enumerate(strokes):
        if (s.force is not None) != has_force:
            raise InputError(f"{name}: some traces have an F channel and some have none")
        if k and not respect_to and s.t[0] < strokes[k - 1].t[-1]:
            raise InputError(f"{name}: T restarts in trace {k + 1} and the T channel has no "
                             "respectTo, so the traces' relative timing is unknown")
        prev = strokes[k - 1] if k else None
        if (prev is not None and not s.joins_previous and prev.state[-1] == STATE_TOUCH
                and s.state[0] == STATE_TOUCH):
            mid = [(prev.t[-1] + s.t[0]) / 2, (prev.x[-1] + s.x[0]) / 2,
                   (prev.y[-1] + s.y[0]) / 2, 0.0, STATE_OUT]
            for part, value in zip(parts, mid, strict=True):
                part.append(np.array([value]))
            markers += 1
        force = s.force if s.force is not None else np.full(s.t.size, np.nan)
        for part, value in zip(parts, (s.t, s.x, s.y, force, s.state), strict=True):
            part.append(value)
    t, x, y, force, state = (np.concatenate(p) for p in parts)
    return {"t": t, "x": x, "y": y, "force": force if has_force else None,
            "state": state.astype(np.uint8), "markers": markers}


def parse_inkml(data: bytes, name: str, options: ImportOptions) -> ImportedTrial:
    """Parse a W3C InkML file: each ``<trace>`` is one stroke.

    Channels X, Y and T are required, F (force) is read as pressure and S (tip switch) as pen
    state; others are parsed and ignored. The trace format comes from the trace's context
    (``contextRef`` of the trace or its ``<traceGroup>``, else the last ``<context>`` or
    ``<traceFormat>`` directly under ``<ink>``); a document with no applicable context but
    exactly one ``<traceFormat>`` uses that one; otherwise the default is ``X Y``
    (InkML §3.1.2). ``penDown`` traces are on the surface, ``penUp`` traces in the air;
    between two consecutive pen-down traces a pen lift happened, marked by one inserted
    sample (see :func:`_join_strokes`). Values may be explicit or use the ``!``, ``'`` and
    ``"`` qualifiers (§3.2.1).

    Raises
    ------
    InputError
        Unsafe or malformed XML, not InkML, no trace, unsupported trace syntax, missing
        X/Y/T, units unknown, inconsistent formats between traces.
    """
    root, ids = _parse_xml(data, name)
    if root.tag != "ink":
        raise InputError(f"{name}: root element is <{root.tag[:30]}>, not <ink>; not InkML")
    pairs = _collect_traces(root, ids, name)
    if not pairs:
        raise InputError(f"{name}: no <trace> element")
    formats = _all_formats(root)
    fallback = formats[0] if len(formats) == 1 else None
    all_props = _all_nodes(root, "channelProperties")
    fallback_props = all_props[0] if len(all_props) == 1 else None
    strokes: list[_Stroke] = []
    seen: _InkUnits | None = None
    respect_to = True
    empty = 0
    for index, (trace, ctx) in enumerate(pairs, start=1):
        fmt = _format_of(ctx, ids, name) if ctx is not None else None
        props = _channel_properties_of(ctx, ids, name) if ctx is not None else None
        channels = _channels(fmt or fallback, name)
        units = _ink_units(channels, options, name, _resolutions(props or fallback_props, name))
        if seen is not None and units != seen:
            raise InputError(f"{name}: traces use different units or trace formats "
                             f"({seen.note} vs {units.note})")
        seen = units
        respect_to &= bool(next(c for c in channels if c.name == "T").respect_to)
        stroke = _decode_trace(trace, channels, units, name, index)
        if stroke is None:
            empty += 1
        else:
            strokes.append(stroke)
    if not strokes or seen is None:
        raise InputError(f"{name}: every <trace> is empty")
    joined = _join_strokes(strokes, respect_to, name)
    t0 = float(joined["t"][0])
    t_s = joined["t"] - t0
    channels = {"t": t_s, "x": joined["x"], "y": joined["y"], "state": joined["state"]}
    units_out = {"t": "s", "x": seen.x_unit, "y": seen.y_unit, "state": "code"}
    if joined["force"] is not None:
        channels["pressure"] = joined["force"]
        units_out["pressure"] = "level"
    scale = _Scale(seen.x_mm, seen.y_mm, f"InkML: {seen.note}", seen.pressure_max,
                   seen.pressure_note)
    return ImportedTrial(
        source=name, fmt="inkml", channels=channels, units=units_out, scale=scale,
        nominal_rate_hz=_estimated_rate_hz(np.concatenate([s.t for s in strokes])),
        attrs={"source_format": "inkml",
               "unit_conversion": (f"{seen.note} (x {seen.x_mm:g} mm/unit, y "
                                   f"{seen.y_mm:g} mm/unit); t minus the first sample time"
                                   + (f"; {seen.pressure_note}" if seen.pressure_note
                                      else "")),
               "inkml_traces": len(strokes), "inkml_empty_traces_skipped": empty,
               "inkml_lift_markers": int(joined["markers"]),
               "inkml_lift_marker_rule": "one sample with state 0 and pressure 0 inserted "
                                         "halfway between consecutive pen-down traces",
               "source_first_time_s": t0, **_rate_attrs()},
    )


# ------------------------------------------------------------------------- session writing


def _calibration(scales: Sequence[_Scale]) -> Calibration:
    first = scales[0]
    pressures = [s for s in scales if s.pressure_max is not None]
    pressure_max = pressures[0].pressure_max if pressures else 1.0
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
    return _calibration([tr.scale for tr in trials])


@dataclass(frozen=True)
class Skipped:
    """A file not imported because its content (``source_sha256``) is already in the study:
    in trial `trial` of session `session`, or (`session` None) in the file `trial` given
    earlier in the same import."""

    source: str
    session: Path | None
    trial: str

    @property
    def message(self) -> str:
        """One line naming the file and what holds it."""
        if self.session is None:
            return f"{self.source}: same content as {self.trial}, given earlier; skipped"
        return (f"{self.source}: already imported, as trial {self.trial} of {self.session}; "
                "skipped (--reimport imports it again)")


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_recordings` did.

    Attributes
    ----------
    path : Path or None
        The new session; None when every file was already imported (nothing written).
    skipped : tuple of Skipped
        The files not imported again, in the order given.
    warnings : tuple of str
        One line per imported file whose writing is implausibly sized for its task
        (:func:`~kinewrite.analysis.scale.check_scale`), naming the file, the size, and the
        option that fixes it; also stored as the trial's ``scale_warning`` attribute.
    """

    path: Path | None
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def existing(self) -> tuple[Path, ...]:
        """The sessions already holding skipped files, each once, in the order met."""
        return tuple(dict.fromkeys(s.session for s in self.skipped if s.session is not None))


def write_import_session(
    study_dir: str | os.PathLike[str], patient_code: str, trials: Sequence[ImportedTrial],
    task: str | None = None, created: str | None = None, keep_source_name: bool = False,
) -> Path:
    """Write one new session holding one trial per imported file; all or nothing.

    Every file given becomes a trial, also one already imported
    (:func:`import_recordings` skips those). See :func:`import_recordings` for the
    parameters, the guarantees and the exceptions.

    Returns
    -------
    Path
        The new session file.
    """
    result = import_recordings(study_dir, patient_code, trials, task=task, created=created,
                               keep_source_name=keep_source_name, reimport=True)
    assert result.path is not None  # reimport: nothing is skipped
    return result.path


def import_recordings(
    study_dir: str | os.PathLike[str], patient_code: str, trials: Sequence[ImportedTrial],
    task: str | None = None, created: str | None = None, keep_source_name: bool = False,
    reimport: bool = False, checkpoint: Callable[[], None] | None = None,
) -> ImportResult:
    """Import files into one new session of the patient, each file once; all or nothing.

    The session is built in a hidden temporary file beside its final name (``.session-...
    .import.XXXX.tmp``, mode 0600, never listed by a study), read back and compared with the
    files, then renamed into place: a failure, SIGTERM or SIGKILL at any moment leaves
    either no new session or the whole one. A file whose bytes (``source_sha256``) are in
    one of the patient's sessions already is skipped (:class:`Skipped`), so running an
    interrupted import again imports every file exactly once. Imports for one patient run
    one at a time (an advisory lock in the patient folder, released by the kernel when the
    process dies); what a killed import left there is removed by the next one.

    Parameters
    ----------
    study_dir : path-like
        An existing study folder.
    patient_code : str
        Checked by :func:`~.codes.validate_patient_code` and
        :func:`~.codes.check_code_collision`.
    trials : sequence of ImportedTrial
        Already read and validated (:func:`read_recording_file`).
    task : str, optional
        Task of every trial; default the file's own (CSV header), else ``free``.
    created : str, optional
        When the recording was made, ISO 8601 UTC (e.g. ``"2024-05-02T00:00:00Z"``): dates
        the session (its ``created`` attribute and file name). Default: now.
    keep_source_name : bool, default False
        Store each file's name (no folder) as the trial attribute ``source_file``. By
        default only its SHA-256 is stored: a file name often holds a patient's name.
    reimport : bool, default False
        Skip nothing: import files already in the patient's sessions (or given twice) again.
    checkpoint : callable, optional
        Called while waiting for the lock, after each trial and just before the rename; an
        exception it raises abandons the import (nothing written). The CLI's signal
        handling stops the import through it.

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        The files need different calibrations, or ``created`` is unparsable, not UTC or in
        the future (nothing written).
    InvalidCodeError
        The code is refused, or differs only in case from a patient folder of the study.
    SessionBusyError
        Another import for this patient held the lock for longer than
        :data:`IMPORT_LOCK_TIMEOUT_S`.
    Exception
        Whatever writing raised (e.g. OSError, disk full), after the temporary file, and the
        patient folder if this call created it, were removed again.
    """
    code = validate_patient_code(patient_code)
    if not Path(study_dir).is_dir():
        raise InputError(f"{study_dir}: study folder does not exist")
    check_code_collision(study_dir, code)
    if task is not None and task not in TASKS:
        raise InputError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if created is not None:
        try:
            created = normalize_created(created)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    session_calibration(trials)  # all files, before anything is written
    check = checkpoint or _no_checkpoint
    folder = Path(study_dir) / code
    folder_existed = folder.is_dir()
    private_folder(folder, parents=False)
    try:
        with _import_lock(folder, checkpoint=check) as exclusive:
            if exclusive:
                _remove_leftovers(folder)
            new, skipped = _not_yet_imported(folder, trials, reimport)
            path, notes = None, []
            if new:
                path = _write_session_file(folder, code, new, task, created, keep_source_name,
                                           check, notes)
    finally:
        if not folder_existed:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: this import wrote nothing there
    return ImportResult(path, tuple(skipped), tuple(notes))


# ------------------------------------------------ the session file, built aside and renamed

#: The advisory lock file of imports, in the patient folder (hidden: never listed).
IMPORT_LOCK_NAME = ".kinewrite-import.lock"
#: How long an import waits for another import of the same patient to finish (s).
IMPORT_LOCK_TIMEOUT_S = 60.0
#: Tag of the temporary session files of imports: ``.<session name>.import.<random>.tmp``.
_TEMP_TAG = "import."
_TEMP_MARK = f".h5.{_TEMP_TAG}"


def _no_checkpoint() -> None:
    return None


@contextlib.contextmanager
def _import_lock(folder: Path, timeout_s: float | None = None,
                 checkpoint: Callable[[], None] = _no_checkpoint) -> Iterator[bool]:
    """Hold the patient's import lock; yields True if it is exclusive (POSIX ``flock``),
    False where there is no such lock (Windows). The kernel releases it when the process
    dies, so a killed import never blocks the next one; the file is removed on release."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    path = folder / IMPORT_LOCK_NAME
    deadline = time.monotonic() + (IMPORT_LOCK_TIMEOUT_S if timeout_s is None else timeout_s)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                raise SessionBusyError(f"{folder}: another kinewrite import of this patient "
                                       "is running; try again when it has finished") from None
            checkpoint()
            time.sleep(0.05)
            continue
        try:  # the holder we waited for removed the file: lock the one now there
            current = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _remove_leftovers(folder: Path) -> None:
    """Remove what killed imports left in a patient folder: their hidden temporary session
    files, the writer locks of those, and the temporaries a writer makes beside them
    (``.<temp>.trial.XXXX.tmp``). Every such name holds ``.h5.import.``; only called under
    the exclusive import lock, so no live import owns any of them."""
    for entry in folder.iterdir():
        name = entry.name
        if name.startswith(".session-") or name.startswith("..session-"):
            if _TEMP_MARK in name and (name.endswith(TEMP_SUFFIX) or name.endswith(".lock")):
                with contextlib.suppress(OSError):
                    entry.unlink()  # a symlink planted there is removed, not followed


def imported_sources(folder: str | os.PathLike[str]) -> dict[str, tuple[Path, str]]:
    """The ``source_sha256`` of every trial in the session files of a patient folder:
    hash -> (session file, trial name). Files that cannot be read are passed over (they
    hold nothing usable; the study lists them as problems)."""
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted(Path(folder).glob("session-*.h5")):
        if not path.is_file():  # a FIFO or a folder of that name: never opened
            continue
        try:
            digests = _trial_digests(path)
        except (OSError, InputError, KeyError, ValueError, TypeError, RuntimeError):
            continue  # a damaged or foreign file holds no import
        for name, digest in digests:
            found.setdefault(digest, (path, name))
    return found


def _trial_digests(path: Path) -> list[tuple[str, str]]:
    """(trial name, source_sha256) of each trial of session `path` holding one. Only the
    attributes are read; a file h5py does not open plainly (left open by a writer that died)
    is read through :func:`load_session`, which opens such files without changing them."""
    try:
        f = h5py.File(path, "r")
    except OSError:
        session = load_session(path)
        return [(t.name, _digest(t.attrs.get("source_sha256"))) for t in session.trials
                if _digest(t.attrs.get("source_sha256"))]
    with f:
        refuse_foreign_data(f, path)
        group = f.get("trials")
        names = sorted(group) if isinstance(group, h5py.Group) else []
        pairs = [(n, _digest(group[n].attrs.get("source_sha256"))) for n in names]
    return [(n, d) for n, d in pairs if d]


def _digest(value: object) -> str:
    """A stored hash as text ("" if there is none)."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value if isinstance(value, str) else ""


def _not_yet_imported(folder: Path, trials: Sequence[ImportedTrial], reimport: bool,
                      ) -> tuple[list[ImportedTrial], list[Skipped]]:
    """The trials to write, and the files skipped: already in the folder's sessions, or the
    same bytes as a file given earlier (with `reimport`, none is skipped)."""
    if reimport:
        return list(trials), []
    known = imported_sources(folder)
    seen: dict[str, str] = {}
    new: list[ImportedTrial] = []
    skipped: list[Skipped] = []
    for trial in trials:
        digest = str(trial.attrs.get("source_sha256", ""))
        if digest in known:
            skipped.append(Skipped(trial.source, *known[digest]))
        elif digest and digest in seen:
            skipped.append(Skipped(trial.source, None, seen[digest]))
        else:
            seen.setdefault(digest, trial.source)
            new.append(trial)
    return new, skipped


def _write_session_file(folder: Path, code: str, trials: Sequence[ImportedTrial],
                        task: str | None, created: str | None, keep_source_name: bool,
                        checkpoint: Callable[[], None], notes: list[str]) -> Path:
    """Build the session in a temporary file beside its final name, verify, rename; the
    scale warnings of its trials are appended to `notes`."""
    created = created or normalize_created(now_utc())
    session_id = uuid.uuid4().hex
    path = folder / session_filename(created, session_id)
    meta = {"notes": f"imported by kinewrite {__version__} import from {len(trials)} file(s)"}
    import_id = uuid.uuid4().hex  # shared by the trials of this import
    with atomic_output(path, tag=_TEMP_TAG) as tmp:
        notes.extend(_write_session_into(tmp, session_id, code, created, meta,
                                         session_calibration(trials), trials, task, import_id,
                                         keep_source_name, checkpoint))
        _verify(tmp, trials)
        checkpoint()  # the last moment to abandon it: then it is renamed into place
    return path


def _write_session_into(tmp: Path, session_id: str, code: str, created: str,
                        meta: Mapping[str, str], calibration: Calibration,
                        trials: Sequence[ImportedTrial], task: str | None, import_id: str,
                        keep_source_name: bool, checkpoint: Callable[[], None]) -> list[str]:
    """Write a whole session into the (hidden, temporary) file `tmp` with the ordinary
    :class:`SessionWriter`, changing it in place (no reader lists it; it is verified before
    it is renamed into place); its writer lock is the temporary file's, removed on close.
    Returns the scale warnings of the trials written."""
    writer = SessionWriter(tmp, in_place=True)
    notes: list[str] = []
    try:
        write_new_session(tmp, session_id, code, created, meta, calibration)
        for trial in trials:
            checkpoint()
            note = _write_trial(writer, trial, task, import_id, keep_source_name)
            if note:
                notes.append(note)
    finally:
        writer.close()  # also removes the writer lock of the temporary file
    return notes


def _write_trial(writer: SessionWriter, trial: ImportedTrial, task: str | None,
                 import_id: str, keep_source_name: bool) -> str:
    """Write one trial; returns its scale warning ("" if its size is plausible)."""
    attrs = {"import_id": import_id, **trial.attrs}
    if keep_source_name:
        attrs["source_file"] = Path(trial.source).name
    task = task or trial.task or "free"
    name = writer.begin_trial(
        task, nominal_rate_hz=trial.nominal_rate_hz,
        input_kind="import", channels=tuple(trial.channels), units=trial.units, attrs=attrs,
    )
    writer.append(**trial.channels)
    features = finish_trial(writer, "complete")
    note = scale_warning(trial, task, features)
    if note:
        writer.set_trial_attrs(name, {"scale_warning": note})
    return note


def scale_warning(trial: ImportedTrial, task: str,
                  features: Mapping[str, float] | None) -> str:
    """One line if the trial's writing is implausibly sized for `task` (""), naming the file,
    the size, and the option that fixes it (:func:`kinewrite.analysis.scale.check_scale`)."""
    try:
        recording = channels_to_recording(trial.channels, trial.calibration)
    except RecordingError:
        return ""
    found = check_scale(recording, task, features)
    if found is None:
        return ""
    if trial.units.get("x") == "device":
        units_per_mm = 1.0 / abs(trial.scale.x_mm_per_unit)
        fix = (f"with {units_per_mm:g} device units/mm this is probably the wrong "
               f"resolution: import again with --reimport --device-units-per-mm N (about "
               f"{units_per_mm / found.factor:.3g} for a typical size)")
    else:
        fix = ("the file's own units may be wrong (x, y are taken in "
               f"{trial.units.get('x', 'mm')}); check them before trusting mm measures")
    return (f"{trial.source}: implausible size for the task {task}: {found.sentence()}; "
            f"{fix}")


def _verify(tmp: Path, trials: Sequence[ImportedTrial]) -> None:
    """Read the written session back: one complete trial per file, holding its hash and
    exactly its samples. Raises RuntimeError (a bug, never the user's input) otherwise."""
    session = load_session(tmp)
    problem = "" if len(session.trials) == len(trials) else (
        f"{len(session.trials)} trials for {len(trials)} files")
    for stored, trial in zip(session.trials, trials, strict=False):
        if problem:
            break
        if (stored.status != "complete"
                or stored.attrs.get("source_sha256") != trial.attrs.get("source_sha256")):
            problem = f"trial {stored.name} is not {trial.source}"
        for c, values in trial.channels.items():
            held = stored.channels.get(c)
            if held is None or not np.array_equal(
                    held, np.asarray(values).astype(held.dtype), equal_nan=True):
                problem = problem or f"channel {c} of trial {stored.name} differs"
    if problem:
        raise RuntimeError(f"{tmp}: the session read back differs from the files imported "
                           f"({problem}); nothing was imported")
