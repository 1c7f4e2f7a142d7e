"""kinewrite's own recording format, one trial as a CSV file: columns ``t`` (s), ``x``,
``y`` (mm), optional ``pressure`` (0..1), ``pen_down`` (0/1), ``tilt_x``, ``tilt_y`` (deg).

Lines starting with ``#`` are comments; ``# task: spiral`` names the trial's task. Reading
validates everything and raises :class:`InputError` with a one-line message naming the file;
writing goes through :func:`kinewrite._atomic.atomic_output` (a temporary file of a unique
name, then an atomic rename; mode 0600), so a crash never leaves half a file.
:func:`read_csv_trial` makes an import's :class:`~kinewrite.formats.trial.ImportedTrial` of
one (values already in s, mm and 0..1: identity calibration).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_output
from ..errors import InputError
from ..model import TASKS, Recording, RecordingError
from ..storage.schema import STATE_HOVER, STATE_TOUCH
from .trial import (
    ImportedTrial,
    Scale,
    estimated_rate_attrs,
    estimated_rate_hz,
    validate_trial,
)

__all__ = ["parse_csv_recording", "read_csv_recording", "read_csv_trial",
           "write_csv_recording"]

REQUIRED = ("t", "x", "y")
OPTIONAL = ("pressure", "pen_down", "tilt_x", "tilt_y")
MAX_BYTES = 1 << 30
#: Smallest magnitude a float64 no longer holds exactly as every integer (2**53 + 1 rounds).
MAX_EXACT = 2.0**53


def read_csv_recording(path: str | os.PathLike[str]) -> tuple[Recording, str | None]:
    """Read a recording from CSV.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    recording : Recording
    task : str or None
        The task named by a ``# task: NAME`` comment, if any.

    Raises
    ------
    InputError
        The file is missing, unreadable, not CSV, lacks a required column, holds a
        non-numeric value or a value beyond 2**53, or fails
        :class:`~kinewrite.model.Recording` validation.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: file is larger than 1 GiB; split it first")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    return parse_csv_recording(raw, str(path))


def parse_csv_recording(raw: bytes, source: str) -> tuple[Recording, str | None]:
    """Parse the bytes of a CSV recording (what :func:`read_csv_recording` does after reading
    the file once); `source` names the file in messages. Raises only :class:`InputError`."""
    if len(raw) > MAX_BYTES:
        raise InputError(f"{source}: file is larger than 1 GiB; split it first")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not a text (UTF-8) CSV file") from None
    task = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        key, _, value = stripped.lstrip("#").partition(":")
        if key.strip().lower() == "task":
            task = value.strip()
            if task not in TASKS:
                raise InputError(f"{source}: unknown task {task!r} in header")
    try:
        frame = pd.read_csv(io.StringIO(text), comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{source}: not a readable CSV table ({msg})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {', '.join(missing)}; expected t, x, y "
            "[, pressure, pen_down, tilt_x, tilt_y]"
        )
    if len(frame) == 0:
        raise InputError(f"{source}: no samples (header only)")
    cols: dict[str, np.ndarray] = {}
    for name in REQUIRED + OPTIONAL:
        if name not in frame.columns:
            continue
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.isnan(values) & frame[name].notna().to_numpy())
        if bad.size:
            row = int(bad[0]) + 2
            raise InputError(
                f"{source}: column {name!r} has a non-numeric value {frame[name].iloc[bad[0]]!r}"
                f" (line {row} of the table)"
            )
        big = np.flatnonzero(np.isfinite(values) & (np.abs(values) >= MAX_EXACT))
        if big.size:
            raise InputError(
                f"{source}: column {name!r} has a value beyond 2**53 "
                f"({frame[name].iloc[big[0]]!r}, line {int(big[0]) + 2} of the table), which "
                "a float64 cannot hold exactly")
        cols[name] = values
    try:
        rec = Recording(
            t=cols["t"], x=cols["x"], y=cols["y"], pressure=cols.get("pressure"),
            pen_down=cols.get("pen_down"), tilt_x=cols.get("tilt_x"), tilt_y=cols.get("tilt_y"),
        )
    except RecordingError as exc:
        raise InputError(f"{source}: {exc}") from None
    return rec, task


def write_csv_recording(
    path: str | os.PathLike[str], recording: Recording, task: str | None = None,
    comment: str | None = None,
) -> Path:
    """Write a recording as CSV, atomically (temporary file, then rename; mode 0600).

    Parameters
    ----------
    path : path-like
    recording : Recording
    task : str, optional
        Written as a ``# task:`` header line.
    comment : str, optional
        Written as a ``#`` header line (e.g. "simulated").

    Returns
    -------
    Path
    """
    path = Path(path)
    cols = {"t": recording.t, "x": recording.x, "y": recording.y}
    if recording.pressure is not None:
        cols["pressure"] = recording.pressure
    cols["pen_down"] = recording.pen_down_mask.astype(np.int8)
    if recording.tilt_x is not None:
        cols["tilt_x"] = recording.tilt_x
    if recording.tilt_y is not None:
        cols["tilt_y"] = recording.tilt_y
    header = ""
    if comment:
        header += "".join(f"# {line}\n" for line in comment.splitlines())
    if task:
        header += f"# task: {task}\n"
    body = pd.DataFrame(cols).to_csv(index=False, float_format="%.6f", lineterminator="\n")
    with atomic_output(path) as tmp:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(header + body)
    return path


def read_csv_trial(data: bytes, name: str) -> ImportedTrial:
    """kinewrite's CSV recording as an import: values already in s, mm and 0..1 (identity
    calibration).

    Parses the bytes :func:`~kinewrite.formats.registry.read_recording_file` read (and
    hashed): the file is read once, so the stored ``source_sha256`` is the hash of exactly the
    samples stored. Raises only :class:`InputError`."""
    recording, task = parse_csv_recording(data, name)
    channels: dict[str, np.ndarray] = {
        "t": recording.t, "x": recording.x, "y": recording.y,
        "state": np.where(recording.pen_down_mask, STATE_TOUCH, STATE_HOVER).astype(np.uint8),
    }
    units = {"t": "s", "x": "mm", "y": "mm", "state": "code"}
    if recording.pressure is not None:
        channels["pressure"] = recording.pressure
        units["pressure"] = "1"
    for tilt in ("tilt_x", "tilt_y"):
        if getattr(recording, tilt) is not None:
            channels[tilt] = getattr(recording, tilt)
            units[tilt] = "deg"
    scale = Scale(1.0, 1.0, "identity: values already in mm (kinewrite CSV)",
                  1.0 if recording.pressure is not None else None,
                  "pressure already a fraction 0..1" if recording.pressure is not None else "")
    trial = ImportedTrial(
        source=name, fmt="csv", channels=channels, units=units, scale=scale, task=task,
        nominal_rate_hz=estimated_rate_hz(recording.t),
        attrs={"source_format": "csv",
               "unit_conversion": "none: t in s, x and y in mm, pressure 0..1 (kinewrite CSV); "
                                  "pen_down 1 -> state 2 (touch), 0 -> 1 (hover)",
               **estimated_rate_attrs()},
    )
    validate_trial(trial)
    return trial
