"""Pieces every ``kinewrite`` subcommand shares: the exit codes, the one-line error, the checks
of an output file or folder made before any work, the free-disk check, the name-like patient
code warning, argparse's positive and bounded numbers and the reason Qt cannot start. No Qt here."""

from __future__ import annotations

import argparse
import errno
import math
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from .._atomic import output_problem, private_folder, temp_beside

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def warn_if_name_like(code: str) -> None:
    """One ``kinewrite: warning:`` line on stderr if a (valid) patient code looks like a name
    or a date of birth (:func:`kinewrite.storage.codes.name_like_reason`, the GUI's rule
    too); it never refuses."""
    from ..storage.codes import name_like_reason

    reason = name_like_reason(code)
    if reason:
        print(f"kinewrite: warning: patient code {code!r} {reason}", file=sys.stderr)


def fail(message: str) -> None:
    """Print one line on stderr, prefixed ``kinewrite:``."""
    first = message.splitlines()[0] if message else "error"
    print(f"kinewrite: {first}", file=sys.stderr)


def format_number(v: float) -> str:
    """`v` with 4 significant digits; NaN as ``n/a``."""
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    return f"{v:.4g}"


def bounded(low: float | None = None, high: float | None = None, *, low_open: bool = False,
            kind: type = float, unit: str = "") -> Callable[[str], float]:
    """An argparse type: a finite number of `kind` within [low, high] (low excluded when
    `low_open`); anything else is one line naming the option, exit 2."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if low is not None and (value <= low if low_open else value < low):
            word = "above" if low_open else "at least"
            raise argparse.ArgumentTypeError(f"must be {word} {low:g}{unit}, got {text!r}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}{unit}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def positive(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value



def output_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be written as an output file, in one line (None if it can).

    Checked before any work is done, so a mistake costs nothing: a folder given as the file,
    a missing folder, a part of the path that is a file, a device or FIFO (never replaced),
    a read-only folder (a probe file of a unique name is created and removed). A full disk
    shows only when writing: catch :class:`OSError` there and report
    :func:`kinewrite._atomic.output_problem`.
    """
    path = Path(path)
    if path.is_dir():
        return output_problem(path, IsADirectoryError(errno.EISDIR, "is a folder"))
    if path.exists() and not path.is_file():
        return f"{path}: cannot write: not a regular file (a device, FIFO or socket)"
    try:
        temp_beside(path, "probe.").unlink()
    except OSError as exc:
        return output_problem(path, exc)
    return None


def file_in_path(path: str | os.PathLike[str]) -> Path | None:
    """The nearest existing ancestor of `path` if it is not a folder (a file where a folder
    of the path is expected), else None."""
    for parent in Path(path).parents:
        if parent.exists() or parent.is_symlink():
            return None if parent.is_dir() else parent
    return None


def output_folder_problem(path: str | os.PathLike[str]) -> str | None:
    """Create the output folder `path` (0700, parents too) and check it takes files; one
    line saying why not (a file in the way, a read-only parent ...), else None."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"{path}: cannot write: is a file, not a folder"
    blocker = file_in_path(path)
    if blocker is not None:
        return f"{path}: cannot write: a part of the path is a file, not a folder ({blocker})"
    try:
        private_folder(path)
    except OSError as exc:
        return output_problem(path, exc)
    try:
        temp_beside(path / "probe", "probe.").unlink()
    except OSError as exc:  # the folder is there: say why a file in it cannot be made
        why = output_problem(path / "probe", exc).partition(": cannot write: ")[2]
        return f"{path}: cannot write: {why}"
    return None


def _free_bytes(folder: Path) -> int | None:
    """Free bytes for an unprivileged writer on the disk of `folder`; None when the disk
    is read-only (the folder check says so) or cannot be asked."""
    if hasattr(os, "statvfs"):
        try:
            st = os.statvfs(folder)
        except OSError:
            return None
        return None if st.f_flag & os.ST_RDONLY else st.f_bavail * st.f_frsize
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def room_problem(folder: str | os.PathLike[str], need_bytes: int,
                 what: str = "a recording") -> str | None:
    """One line if the disk of `folder` (or of its nearest existing parent: checked before
    it is created) has less than `need_bytes` free (a recording would stop at once, after
    creating an empty session), else None."""
    folder = Path(folder)
    probe = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    free = _free_bytes(probe)
    if free is None or free >= need_bytes:
        return None
    return (f"{folder}: cannot write: the disk is full ({free >> 20} MiB free; {what} needs "
            f"at least {need_bytes >> 20} MiB)")


#: System libraries Qt loads at start, with the package that installs each:
#: (Debian/Ubuntu, Fedora). Keep in step with README's "System libraries Qt needs".
QT_SYSTEM_LIBRARIES: dict[str, tuple[str, str]] = {
    "libEGL.so": ("libegl1", "mesa-libEGL"),
    "libGL.so": ("libgl1", "mesa-libGL"),
    "libOpenGL.so": ("libopengl0", "libglvnd-opengl"),
    "libxkbcommon.so": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libfontconfig.so": ("libfontconfig1", "fontconfig"),
    "libfreetype.so": ("libfreetype6", "freetype"),
    "libdbus-1.so": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so": ("libglib2.0-0", "glib2"),
    "libxcb-cursor.so": ("libxcb-cursor0", "xcb-util-cursor"),
    "libX11-xcb.so": ("libx11-xcb1", "libX11-xcb"),
}


def qt_library_problem(exc: BaseException) -> str:
    """A one-line reason for Qt failing to import, naming the system package to install
    when the error names a library :data:`QT_SYSTEM_LIBRARIES` knows.

    Examples
    --------
    >>> print(qt_library_problem(ImportError("libEGL.so.1: cannot open shared object")))
    Qt cannot start: libEGL.so.1 is missing: install libegl1 (Debian/Ubuntu) or mesa-libEGL \
(Fedora)
    """
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for lib, (deb, rpm) in QT_SYSTEM_LIBRARIES.items():
        if lib in text:
            name = text.split(":", 1)[0].strip() if text.split(":", 1)[0].startswith(lib) \
                else lib
            return (f"Qt cannot start: {name} is missing: install {deb} (Debian/Ubuntu) "
                    f"or {rpm} (Fedora)")
    return f"Qt cannot start ({text}); see README, 'System libraries Qt needs'"
