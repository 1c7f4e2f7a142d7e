"""SIGTERM, SIGINT and SIGHUP end a recording cleanly instead of killing it.

A logout or shutdown sends SIGTERM (then, seconds later, SIGKILL); Ctrl+C sends SIGINT; a
closed terminal SIGHUP. Python's default for SIGTERM and SIGHUP is to die on the spot, which
would leave the streaming trial unclosed (its samples are safe, but it reads as interrupted).
:func:`stop_requests` turns these signals into a request the recording loop sees between two
blocks of samples: it then ends the trial as ``aborted`` (every sample kept, the reason
stored) and closes the file. The Qt side (:func:`kinewrite.acquisition.qt.qt_app.on_stop_signals`)
wakes the event loop for the same purpose. No Qt here.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["STOP_SIGNALS", "StopRequest", "exit_code", "stop_reason", "stop_requests"]

#: The signals that ask a recording to stop (those that exist on this system).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class StopRequest:
    """Set when a stop signal arrives: :attr:`signum`, and :attr:`event` for waiting."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()

    def __bool__(self) -> bool:
        return self.signum is not None

    def set(self, signum: int) -> None:
        self.signum = int(signum)
        self.event.set()


def stop_reason(signum: int) -> str:
    """The ``abort_reason`` stored with a trial a signal stopped.

    Examples
    --------
    >>> stop_reason(15)
    'stopped by SIGTERM (logout, shutdown or kill)'
    """
    name = signal.Signals(signum).name
    why = {"SIGINT": "Ctrl+C", "SIGHUP": "the terminal closed"}.get(name,
                                                                   "logout, shutdown or kill")
    return f"stopped by {name} ({why})"


def exit_code(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + int(signum)


@contextlib.contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """Within the block, a stop signal sets the yielded :class:`StopRequest` instead of
    ending the process (main thread only; elsewhere nothing is installed). A second signal
    of the same kind after the first takes the default action, so a stuck process still
    stops."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, _frame: object) -> None:
        if request:  # asked twice: stop now
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
        request.set(signum)

    saved = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield request
    finally:
        for s, old in saved.items():
            signal.signal(s, old)
