"""The app's event loop with the stop signals handled: what ``kinewrite gui`` and the visit
drill run once their window is up."""

from __future__ import annotations

import sys
from typing import Any

from .._signals import exit_code, stop_reason
from ..acquisition.qt.qt_app import on_stop_signals

__all__ = ["run_app"]


def run_app(app: Any, window: Any) -> int:
    """Run the app's event loop until it quits; SIGTERM, SIGINT or SIGHUP (logout, shutdown,
    Ctrl+C) end a trial in progress as aborted (samples kept), close the session and quit
    with exit code 128 + the signal's number."""
    stopped_by: list[int] = []

    def stop(signum: int) -> None:
        stopped_by.append(signum)
        window.record.close_session(abort_reason=stop_reason(signum))
        app.quit()

    uninstall = on_stop_signals(app, stop)
    try:
        status = app.exec()
    finally:
        uninstall()
    if stopped_by:
        print(f"kinewrite: {stop_reason(stopped_by[0])}: the session was saved and closed",
              file=sys.stderr)
        return exit_code(stopped_by[0])
    return 0 if status == 0 else 1  # the command line's EXIT_OK and EXIT_INTERNAL
