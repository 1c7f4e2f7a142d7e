"""Writing files so that a reader, a crash or a planted link never sees half of one.

Every file kinewrite writes (session files, the study index, exports, reports, settings) goes
through :func:`atomic_output`: the content is written to a temporary file of a unique name in
the same folder (created with ``O_EXCL`` by :func:`tempfile.mkstemp`, so a symlink planted
under a predictable name cannot redirect it), flushed to the disk, then renamed over the
target (:func:`os.replace`, atomic on POSIX and Windows). A failure or a kill leaves the
target as it was; the temporary file is removed on failure (a kill may leave one, named
``.<target>.<random>.tmp``, which no reader of kinewrite lists).

Files are created readable by their owner only (0600) and folders 0700: a study holds
health data. Nothing here imports Qt, h5py or the analysis.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "TEMP_SUFFIX",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_file",
    "fsync_folder",
    "output_problem",
    "private_folder",
    "temp_beside",
]

#: Permissions of what kinewrite creates: owner only.
FILE_MODE, FOLDER_MODE = 0o600, 0o700
#: Suffix of every temporary file (readers of a study skip names starting with a dot).
TEMP_SUFFIX = ".tmp"


def private_folder(path: str | os.PathLike[str], parents: bool = True) -> Path:
    """Create `path` (and missing parents) with mode 0700; an existing folder is left as
    it is. Returns the path.

    Raises
    ------
    OSError
        As :meth:`pathlib.Path.mkdir` (a file in the way: ``FileExistsError``).
    """
    path = Path(path)
    if path.is_dir():
        return path
    if parents and not path.parent.is_dir():
        private_folder(path.parent, parents=True)
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
    return path


def temp_beside(path: str | os.PathLike[str], tag: str = "") -> Path:
    """A new, empty temporary file (mode 0600) in the folder of `path`, of a unique name
    ``.<name>.<tag><random>.tmp``; the caller renames or removes it."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{tag}", suffix=TEMP_SUFFIX,
                                dir=path.parent)
    os.close(fd)
    return Path(name)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Make what was written to the file at `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], tag: str = "",
                  durable: bool = True) -> Iterator[Path]:
    """Write `path` all at once: yields a temporary file beside it to write (by name), then
    renames it over `path`.

    Parameters
    ----------
    path : path-like
        The file to (re)place. Its folder must exist.
    tag : str, optional
        Put into the temporary name (e.g. ``"recover."``), for people reading a folder.
    durable : bool, default True
        fsync the file before and its folder after the rename (a power cut then keeps either
        the old or the new file whole).

    Raises
    ------
    OSError
        If the folder is missing or read-only, `path` is a folder, or the disk is full; the
        temporary file is removed and `path` is unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_output(out) as tmp:
    ...     _ = tmp.write_text("a,b\\n")
    >>> out.read_text(), oct(out.stat().st_mode & 0o777)
    ('a,b\\n', '0o600')
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    tmp = temp_beside(path, tag)
    try:
        yield tmp
        if durable:
            fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_folder(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, durable=durable) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8",
                      durable: bool = True) -> None:
    """Replace `path` with `text` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, durable=durable) as tmp:
        tmp.write_text(text, encoding=encoding)


def output_problem(path: str | os.PathLike[str], exc: OSError) -> str:
    """One line naming `path` and why it cannot be written (for exit code 2).

    Examples
    --------
    >>> output_problem("/x/out.csv", FileNotFoundError(2, "No such file or directory"))
    '/x/out.csv: cannot write: folder /x does not exist'
    """
    path = Path(path)
    code = exc.errno
    if code == errno.ENOENT and not path.parent.is_dir():
        why = f"folder {path.parent} does not exist"
    elif code == errno.EISDIR or path.is_dir():
        why = "is a folder, not a file"
    elif code == errno.ENOTDIR:
        why = "a part of the path is a file, not a folder"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "permission denied (read-only folder or file?)"
    elif code in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full"
    else:
        why = (exc.strerror or str(exc) or type(exc).__name__).splitlines()[0]
    return f"{path}: cannot write: {why}"
