"""A Dask cluster as an executor of the export: connecting to its scheduler, running the
export's tasks on it."""

from __future__ import annotations

import socket
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
    _probe(address, timeout_s)
    try:
        client = distributed.Client(address, timeout=timeout_s, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address ...
        raise ExportError(f"cannot connect to Dask scheduler {address}: "
                          f"{first_line(exc)}") from None
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except Exception:
        client.close()
        raise ExportError(f"Dask scheduler {address} has no worker "
                          f"(waited {timeout_s:g} s)") from None
    return client


def _probe(address: str, timeout_s: float) -> None:
    """Fail fast and cleanly before ``Client`` is built.

    A refused port or an unknown host fails at once (Dask would retry until its timeout); a
    port where something else listens (the dashboard, say) fails the Dask handshake, here
    rather than inside ``Client``, which leaves a half-built client behind.
    """
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ExportError(f"bad Dask scheduler address {address}: {exc}") from None
    if not host or port is None:
        raise ExportError(f"bad Dask scheduler address {address}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else first_line(exc)
        raise ExportError(f"cannot connect to Dask scheduler {address}: {reason}") from None
    if parts.scheme == "tcp":  # tls needs the cluster's security settings: Client checks it
        _handshake(address, timeout_s)


def _handshake(address: str, timeout_s: float) -> None:
    """Ask the scheduler for its identity (in a thread: callers may run an event loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    async def identity() -> None:
        comm = await connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            await comm.read()
        finally:
            comm.abort()

    def run() -> None:
        asyncio.run(asyncio.wait_for(identity(), timeout_s))

    with ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(run).result()
        except TimeoutError:
            raise ExportError(f"cannot connect to Dask scheduler {address}: no Dask answer "
                              f"within {timeout_s:g} s (the scheduler's port, not the "
                              "dashboard's?)") from None
        except Exception as exc:
            raise ExportError(f"cannot connect to Dask scheduler {address}: the server there "
                              f"does not speak the Dask protocol ({first_line(exc)})") from None
