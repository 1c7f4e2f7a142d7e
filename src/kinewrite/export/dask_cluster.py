"""A Dask cluster as an executor of the export: connecting to its scheduler, running the
export's tasks on it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from .checks import first_line
from .options import ExportError, ExportOptions

__all__ = ["EXTRA_DASK", "FileResult", "connect_scheduler", "dask_slots", "require_distributed",
           "run_dask"]

EXTRA_DASK = "pip install 'kinewrite[export]'"
#: One file's rows, or its one-line problem.
FileResult = tuple[list[dict[str, Any]], str | None]


def run_dask(
    client: Any, task: Callable[..., list[FileResult]], batches: list[list[str]],
    options: ExportOptions,
) -> Iterator[tuple[int, list[FileResult]]]:
    """(index, results) per batch, as they finish: ``task(batch, options=options)`` of every
    batch run on a Dask cluster."""
    distributed = require_distributed()
    futures = client.map(task, batches, options=options, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    finished = distributed.as_completed(futures, with_results=True, loop=client.loop)
    try:
        while True:
            try:
                future, results = next(finished)
            except StopIteration:
                return
            except ImportError as exc:
                raise ExportError(f"a Dask worker cannot run kinewrite ({exc}); install "
                                  "kinewrite on every worker") from None
            yield index[future.key], results
    finally:
        client.cancel(futures)


def dask_slots(client: Any) -> int:
    """Threads of the cluster's workers (at least 1)."""
    workers = client.scheduler_info().get("workers", {})
    return max(sum(int(w.get("nthreads", 1)) for w in workers.values()), 1)


def require_distributed() -> Any:
    """The ``distributed`` module, or a one-line :class:`ExportError` if it is missing."""
    try:
        import distributed
    except ImportError:
        raise ExportError(f"--scheduler needs dask.distributed: {EXTRA_DASK}") from None
    return distributed


def connect_scheduler(address: str, timeout_s: float = 5.0) -> Any:
    """A ``distributed.Client`` connected to the scheduler at `address`, with a worker.

    Parameters
    ----------
    address : str
        ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp), ``tls://...`` or another protocol
        Dask knows.
    timeout_s : float, default 5
        Connection timeout, and the longest wait for a first worker.

    Raises
    ------
    ExportError
        One line, if the scheduler cannot be reached or has no worker.
    """
    distributed = require_distributed()
    if "://" not in address:
        address = f"tcp://{address}"
    _refused_at_once(address, timeout_s)
    client = _client(distributed, address, timeout_s)
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except Exception:
        client.close()
        raise ExportError(f"Dask scheduler {address} has no worker "
                          f"(waited {timeout_s:g} s)") from None
    return client


def _refused_at_once(address: str, timeout_s: float) -> None:
    """Fail at once on a bad address, a refused port or an unknown host: ``Client`` retries
    those until its timeout (a scheduler may be starting), which is right for a cluster being
    brought up, not for a mistyped address. A plain TCP connection, no Dask protocol."""
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ExportError(f"bad Dask scheduler address {address}: {exc}") from None
    if not host or port is None:  # checked here: a Client that fails so leaves a half-built
        # client whose clean-up blocks the exit for 10 s
        raise ExportError(f"bad Dask scheduler address {address}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else first_line(exc)
        raise ExportError(f"cannot connect to Dask scheduler {address}: {reason}") from None


def _client(distributed: Any, address: str, timeout_s: float) -> Any:
    """``distributed.Client(address, timeout=timeout_s)``, built in a daemon thread that is
    given `timeout_s` + 1 s and then abandoned: the timeout bounds the connection, but a
    port where another server listens (the dashboard's, say) can leave ``Client`` waiting
    for a Dask answer forever (distributed 2026.11)."""
    built: dict[str, Any] = {}

    def build() -> None:
        try:
            built["client"] = distributed.Client(address, timeout=timeout_s,
                                                 set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address ...
            built["error"] = exc

    thread = threading.Thread(target=build, name="kinewrite-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + 1.0)
    if thread.is_alive():
        raise ExportError(f"cannot connect to Dask scheduler {address}: no Dask answer "
                          f"within {timeout_s:g} s (the scheduler's port, not the "
                          "dashboard's?)")
    error = built.get("error")
    if isinstance(error, ValueError):
        raise ExportError(f"bad Dask scheduler address {address}: {first_line(error)}")
    if error is not None:
        raise ExportError(f"cannot connect to Dask scheduler {address}: {first_line(error)}")
    return built["client"]
