"""The one ``QApplication`` of kinewrite, with the event delivery a tablet recording needs.

Qt merges ("compresses") high-frequency input events when the GUI thread falls behind, which
silently drops pen samples. ``AA_CompressTabletEvents`` is off by default; the xcb and Windows
platform plugins switch ``AA_CompressHighFrequencyEvents`` *on* inside the ``QApplication``
constructor, so it can only be turned off after the application exists (docs/architecture.md,
Acquisition: with it on, a busy GUI thread received 301 of 2000 mouse motions under X11; with
it off, 2000; ``tests/gui/test_busy_gui.py`` repeats that measurement under Xvfb).
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable, Sequence

from PyQt6.QtCore import QCoreApplication, Qt
from PyQt6.QtWidgets import QApplication

__all__ = ["configure_event_delivery", "make_application", "on_stop_signals"]

APP_NAME = "kinewrite"
ORGANIZATION = "kinewrite"


def configure_event_delivery(app: QCoreApplication) -> None:
    """Turn off Qt's compression of mouse, touch and tablet events on `app`.

    Safe to call repeatedly; call it after the application object exists (the platform
    plugin may have switched compression on in the constructor).
    """
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressTabletEvents, False)


#: Warnings Qt's offscreen platform prints for every window it cannot manage like a desktop
#: would (harmless: offscreen rendering, tests, screenshots, the report's plots).
_OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",
                    "This plugin does not support raise()",
                    # QtMultimedia probing for PipeWire where PulseAudio serves (or no audio)
                    "Couldn't load pipewire-0.3 library",
                    "Couldn't resolve pipewire-0.3 symbols")


def quiet_offscreen_noise(app: QCoreApplication) -> None:
    """On the offscreen platform, drop Qt's harmless "plugin does not support" warnings;
    every other message still reaches stderr."""
    from PyQt6.QtCore import qInstallMessageHandler

    if app.platformName() != "offscreen":  # type: ignore[attr-defined]
        return

    def handler(_kind: object, _context: object, message: str) -> None:
        if message not in _OFFSCREEN_NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def make_application(argv: Sequence[str] | None = None) -> QApplication:
    """Return the running ``QApplication`` or construct one, ready for recording.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments for a new application (default ``sys.argv``); ignored when an
        application already exists.

    Returns
    -------
    QApplication
        With ``AA_CompressHighFrequencyEvents`` and ``AA_CompressTabletEvents`` off and
        application name and organization ``"kinewrite"``.

    Raises
    ------
    TypeError
        If a non-widget ``QCoreApplication``/``QGuiApplication`` already exists (widgets
        cannot be shown in it).
    """
    existing = QCoreApplication.instance()
    if existing is None:
        app = QApplication(list(sys.argv if argv is None else argv))
    elif isinstance(existing, QApplication):
        app = existing
    else:
        raise TypeError(f"a {type(existing).__name__} already exists; kinewrite needs a "
                        "QApplication (widgets)")
    configure_event_delivery(app)
    quiet_offscreen_noise(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    return app


def on_stop_signals(app: QCoreApplication, callback: Callable[[int], None]) -> Callable[[], None]:
    """Call ``callback(signum)`` in the GUI thread when SIGTERM, SIGINT or SIGHUP arrives.

    While Qt's event loop runs, Python sees a signal only when some Python code next runs,
    which may be never in an idle window. The signal's number is therefore written by the C
    handler to a socket (:func:`signal.set_wakeup_fd`) that a ``QSocketNotifier`` watches, so
    the event loop wakes at once and the callback runs there (not inside a writer's call).
    The callback should end the recording as aborted (samples kept), close the session and
    quit. A second signal of a kind while the first is handled takes the default action.

    Returns
    -------
    callable
        Uninstalls the handlers (restores the previous ones).
    """
    from PyQt6.QtCore import QSocketNotifier

    from ..._signals import STOP_SIGNALS

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno())
    seen: set[int] = set()

    def handler(signum: int, _frame: object) -> None:  # runs later, at any bytecode
        if signum in seen:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
        seen.add(signum)

    saved = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def ready() -> None:
        try:
            data = reader.recv(64)
        except BlockingIOError:
            return
        for signum in dict.fromkeys(data):
            callback(int(signum))

    notifier.activated.connect(ready)

    def uninstall() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(previous_fd)
        for s, old in saved.items():
            signal.signal(s, old)
        reader.close()
        writer.close()

    return uninstall
