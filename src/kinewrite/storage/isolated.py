"""Read an untrusted session file in a child process that is killed if it hangs.

The HDF5 C library trusts the file's internal structure. A damaged or hostile file can make
it loop forever (seen with HDF5 2.0: a truncated file opened in SWMR mode loops in a group
lookup) or crash the process, and no Python ``try`` catches either. :func:`load_isolated`
runs the reader in a child process: a hang becomes a timeout and a crash becomes an exit
code, both reported as the documented one-line :class:`InputError` naming the file; the
caller's process, and a recording it may be running, are never at risk.

Used by ``kinewrite analyze --isolate``, ``kinewrite export --isolate`` and by the fuzz
tests of ``load_session``. The child starts from a fork server that has imported kinewrite
once (~1 s for the first file, then a few tens of ms per file).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError
from .reader import load_session

__all__ = ["DEFAULT_TIMEOUT_S", "load_isolated"]

#: Seconds a file may take to read before it is declared hung (a 60-min trial reads in ~1 s).
DEFAULT_TIMEOUT_S = 60.0

_CONTEXT: Any = None


def _context(reader: Callable[[Path], Any]) -> Any:
    """The start method, made once per process; the fork server imports the reader's module
    once (for ``kinewrite export --isolate``, the export module and pandas), so each child
    starts without importing it again."""
    global _CONTEXT
    if _CONTEXT is None:
        methods = mp.get_all_start_methods()
        _CONTEXT = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            module = getattr(getattr(reader, "func", reader), "__module__", None)
            preload = ["kinewrite.storage.reader"]
            if module and module.startswith("kinewrite.") and module not in preload:
                preload.append(module)
            _CONTEXT.set_forkserver_preload(preload)
    return _CONTEXT


def _child(reader: Callable[[Path], Any], path: Path, conn: Any) -> None:
    try:
        conn.send(("ok", reader(path)))
    except InputError as exc:
        conn.send(("input", str(exc)))
    except BaseException as exc:  # anything else is the file's fault too: one line
        conn.send(("other", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def load_isolated(path: str | os.PathLike[str], timeout_s: float = DEFAULT_TIMEOUT_S,
                  reader: Callable[[Path], Any] = load_session) -> Any:
    """``reader(path)`` (default :func:`load_session`) in a child process with a time limit.

    Parameters
    ----------
    path : path-like
        The session file.
    timeout_s : float, default :data:`DEFAULT_TIMEOUT_S`
        Seconds before the child is killed and the file declared hung.
    reader : callable, default load_session
        A picklable function of the path (module level, or a ``functools.partial`` of one),
        returning a picklable result.

    Returns
    -------
    Whatever `reader` returns.

    Raises
    ------
    InputError
        One line naming the file: the reader's own error, or that reading it hung (killed
        after `timeout_s`), or that it crashed the reader (the child's exit code).
    """
    path = Path(path)
    if not (timeout_s > 0):
        raise ValueError(f"timeout_s must be > 0 s, got {timeout_s}")
    ctx = _context(reader)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(reader, path, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout_s):
            child.kill()
            child.join(5)
            if child.exitcode is not None and child.exitcode != -9:  # died, did not hang
                raise InputError(f"{path}: reading it crashed the reader "
                                 f"(exit code {child.exitcode})")
            raise InputError(f"{path}: reading it did not finish in {timeout_s:g} s (the "
                             "HDF5 library hung on the file's structure); reader stopped")
        try:
            kind, value = receive.recv()
        except EOFError:  # the child died before answering
            child.join(5)
            raise InputError(f"{path}: reading it crashed the reader (exit code "
                             f"{child.exitcode})") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "ok":
        return value
    if kind == "input":
        raise InputError(value.splitlines()[0])
    raise InputError(f"{path}: damaged session file ({value.splitlines()[0]})")
