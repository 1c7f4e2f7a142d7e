"""The formats ``kinewrite import`` reads by name (SVC, kinewrite CSV, InkML), how a file's
format is told (extension, else content), and the one entry point reading a file of any of
them (:func:`read_recording_file`). MovAlyzeR HWR (:mod:`~kinewrite.formats.hwr`) needs a
rate and a BIDS dataset (:mod:`~kinewrite.formats.bids_reader`) is a folder: both have their
own entry points.

Every reader works in memory on the bytes it read once (their SHA-256 is the trial's
``source_sha256``) and raises only :class:`InputError`, one line naming the file and the
problem (the fuzz tests hold it to that).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..errors import InputError
from .bounded_read import read_bounded
from .csv import read_csv_trial
from .inkml import parse_inkml
from .svc import parse_svc
from .trial import ImportedTrial, ImportOptions, validate_trial

__all__ = ["EXTENSIONS", "FORMATS", "decode_recording", "detect_format", "read_recording_file"]

#: The formats read by :func:`read_recording_file` (``--format``).
FORMATS: tuple[str, ...] = ("svc", "csv", "inkml")
#: File name extensions and the format they mean.
EXTENSIONS = {".svc": "svc", ".csv": "csv", ".inkml": "inkml", ".xml": "inkml"}


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
        trial = read_csv_trial(data, name)
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
    validate_trial(trial)
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
