"""Where the rows are computed: in this process, a local process pool, a child process per
file (``--isolate``) or a Dask cluster (:func:`collect_rows`); the result is the same."""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._allocator import tune_allocator
from ..analysis.features import ANALYSIS_VERSION
from ..errors import InputError
from .checks import file_problem
from .dask_cluster import FileResult, dask_slots, run_dask
from .options import ExportError, ExportOptions
from .rows import session_rows

__all__ = ["MAX_BATCH", "FileResult", "ProgressCallback", "batch_rows", "collect_rows",
           "default_workers", "isolated_rows_or_problem", "rows_or_problem"]

#: Most session files in one task of a worker.
MAX_BATCH = 10


def rows_or_problem(path: str, options: ExportOptions) -> FileResult:
    """:func:`session_rows`, with a file that fails in any way turned into its one-line
    problem (the batch goes on; a KeyboardInterrupt still stops it)."""
    try:
        return session_rows(path, options), None
    except Exception as exc:
        return [], file_problem(path, exc)


def batch_rows(paths: list[str], options: ExportOptions) -> list[FileResult]:
    """The task a worker runs, local or Dask: :func:`rows_or_problem` of a few files."""
    return [rows_or_problem(path, options) for path in paths]


def isolated_rows_or_problem(
    path: str, options: ExportOptions, timeout_s: float,
    rows_of: Callable[..., list[dict[str, Any]]] | None = None,
) -> FileResult:
    """:func:`session_rows` (or `rows_of`, same signature) of one file in a child process
    killed after `timeout_s` (:func:`~kinewrite.storage.isolated.load_isolated`): a file
    that hangs or crashes the HDF5 library becomes its one-line problem."""
    from ..storage.isolated import load_isolated

    reader = functools.partial(rows_of or session_rows, options=options)
    try:
        return load_isolated(path, timeout_s, reader=reader), None
    except InputError as exc:
        return [], str(exc).splitlines()[0]


#: Called with the number of session files done, as they finish (a few at a time).
ProgressCallback = Callable[[int], None]


def collect_rows(
    paths: Sequence[str | os.PathLike[str]],
    options: ExportOptions,
    *,
    workers: int | None = None,
    client: Any = None,
    on_done: ProgressCallback | None = None,
    isolate_timeout_s: float | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of every session file, sorted; and the files that could not be read.

    Parameters
    ----------
    paths : sequence of path-like
        Session files.
    options : ExportOptions
    workers : int, optional
        Local worker processes (default: the CPUs this process may use). With 1, or a single
        file, everything runs in this process. Ignored when `client` is given.
    client : distributed.Client, optional
        Run on this Dask cluster instead: each worker reads its files itself, so the paths
        must be valid on the workers (a shared filesystem, mounted at the same path).

    Notes
    -----
    Either way the work is the same: tasks of a few consecutive files (``batch_rows``,
    :func:`session_rows` per file), about 4 per worker and at most :data:`MAX_BATCH` files
    each; the rows are then sorted, so the result does not depend on where or in which
    order the tasks ran.
    on_done : callable, optional
        Progress callback, called with the number of files just done.
    isolate_timeout_s : float, optional
        Read every file in a child process of its own, killed after this many seconds
        (files from an untrusted source: a file that hangs or crashes the HDF5 library
        becomes one problem line, the export goes on). Up to `workers` children run at
        once; not with `client`.

    Returns
    -------
    rows : list of dict
        Sorted by patient code, session creation time, session id and trial.
    problems : list of str
        One line per unreadable file, in the order of `paths`.

    Raises
    ------
    ExportError
        If the Dask workers cannot run kinewrite or run another analysis version.
    """
    names = [os.path.abspath(p) for p in paths]
    if isolate_timeout_s is not None:
        if client is not None:
            raise ExportError("isolated reading runs on this machine; it does not combine "
                              "with a Dask scheduler")
        if not isolate_timeout_s > 0:
            raise ExportError(f"the isolation timeout must be > 0 s, got {isolate_timeout_s}")
        workers = max(1, min(workers or default_workers(), len(names)))
        batches = [[name] for name in names]
        done = _run_isolated(names, options, workers, isolate_timeout_s)
    elif client is not None:
        batches = _batches(names, dask_slots(client))
        done = run_dask(client, batch_rows, batches, options)
    else:
        workers = max(1, min(workers or default_workers(), len(names)))
        batches = _batches(names, workers)
        done = _run_local(batches, options, workers)
    results: list[list[FileResult]] = [[] for _ in batches]
    for i, batch_results in done:
        results[i] = batch_results
        if on_done is not None:
            on_done(len(batch_results))
    flat = [result for batch_results in results for result in batch_results]
    rows = [row for file_rows, _ in flat for row in file_rows]
    problems = [_hint(problem, client) for _, problem in flat if problem]
    _check_versions(rows)
    rows.sort(key=_row_key)
    return rows, problems


def default_workers() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def _batches(paths: list[str], slots: int) -> list[list[str]]:
    """Consecutive groups of files, one task each: about 4 tasks per worker slot, at most
    :data:`MAX_BATCH` files per task (fewer, larger tasks cost less scheduling and fewer
    round trips; enough of them keep every worker busy to the end)."""
    size = max(1, min(MAX_BATCH, len(paths) // (4 * max(slots, 1))))
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def _row_key(row: dict[str, Any]) -> tuple:
    return (row["patient_code"], row["session_created"], row["session_id"], row["trial"])


def _hint(problem: str, client: Any) -> str:
    if client is not None and problem.endswith("no such session file"):
        return (f"{problem} on a Dask worker (the study must be on a filesystem the workers "
                "share, at the same path)")
    return problem


def _check_versions(rows: list[dict[str, Any]]) -> None:
    versions = {row["analysis_version"] for row in rows}
    if versions - {ANALYSIS_VERSION}:
        raise ExportError(f"workers compute analysis version {', '.join(sorted(versions))}, "
                          f"this kinewrite {ANALYSIS_VERSION}: install the same kinewrite "
                          "everywhere")


def _run_local(
    batches: list[list[str]], options: ExportOptions, workers: int
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, results) per batch, as they finish: in this process, or a process pool."""
    if workers == 1:
        for i, batch in enumerate(batches):
            yield i, batch_rows(batch, options)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_worker_start)
    try:
        futures = {pool.submit(batch_rows, batch, options): i
                   for i, batch in enumerate(batches)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_isolated(
    names: list[str], options: ExportOptions, workers: int, timeout_s: float
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, [result]) per file, as they finish: each file read in a child process of its
    own; `workers` threads here each wait on one child at a time."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(isolated_rows_or_problem, name, options, timeout_s): i
                   for i, name in enumerate(names)}
        try:
            for future in as_completed(futures):
                yield futures[future], [future.result()]
        finally:
            for future in futures:
                future.cancel()


def _worker_start() -> None:
    """Initializer of a pool worker: tune its allocator, and end it when the export that
    started it dies. A SIGKILL or SIGTERM of ``kinewrite export`` otherwise leaves its
    workers (children of the fork-server, not of the export) waiting for work forever.

    The parent's sentinel (a pipe the parent holds open) becomes readable when the parent
    is gone, even while it lingers as a zombie."""
    tune_allocator()
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child (called directly)
        return
    import threading
    from multiprocessing.connection import wait

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)  # no cleanup to run: the result would go nowhere

    threading.Thread(target=watch, name="kinewrite-parent-watch", daemon=True).start()


def _mp_context() -> multiprocessing.context.BaseContext:
    """A fork-server where the OS has one (safe with threads and open HDF5 state), else spawn.

    The fork-server imports this module once, so each worker starts without re-importing
    numpy, scipy and h5py.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")
