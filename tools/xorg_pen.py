"""A virtual pen on a real X server: Xorg with the dummy video driver and an ``inputtest`` stylus.

The path a Linux tablet's events take (input driver -> X server -> XInput2 valuators -> Qt's
xcb tablet code -> ``QTabletEvent``), without a tablet: X.Org's ``inputtest`` input driver
(``man inputtestdrv``, Debian package ``xserver-xorg-core``) turns events written to a Unix
socket into X input events, and ``xserver-xorg-video-dummy`` gives the server a screen
without a GPU. The server stamps every event with its own millisecond clock when the driver
hands it over, so events written at a recording's own timing arrive in Qt with the timing
(to the ms) and the timestamps a real tablet driver gives.

The device is declared as Qt expects a pen: ``DeviceType "PointerAbsoluteProximity"`` (axes
Abs X, Abs Y), ``PointerHasPressure "true"`` (axis 4, Abs Pressure) and an identifier
containing "stylus". Abs X and Abs Y run over the whole screen (:data:`AXIS_MAX` + 1 steps),
pressure 0..:data:`PRESSURE_MAX`; the device has no tilt axes. ``AutoAddDevices`` is off, so
no other input device of the machine is picked up.

Used by ``tests/gui/test_xorg_pen.py`` (the fixture) and the benchmarks; runnable::

    python tools/xorg_pen.py            # start Xorg, draw a circle, print what was sent/stamped
    python tools/xorg_pen.py --hold     # keep the server running (DISPLAY printed) until Ctrl+C

Xorg with ``-config`` must run as root (or the config must be in a standard folder);
:func:`xorg_problem` says in one line why it cannot start here. Never imported by the
kinewrite package itself.

The driver's socket protocol (``xf86-input-inputtest-protocol.h``, version 1.x), packed here
with :mod:`struct`, native byte order and C alignment: every message is a header of two
uint32 (length of the whole message in bytes, type), then its fields. Valuator data is a
uint32 ``has_unaccelerated``, an 8-byte mask (bit i: axis i present), padding to 8 bytes,
then 64 doubles of values and 64 doubles of unaccelerated values.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["AXIS_MAX", "PRESSURE_MAX", "ServerStamps", "VirtualPen", "XorgPen", "xorg_pen",
           "xorg_problem"]

#: Abs X / Abs Y span the screen over 0..AXIS_MAX (the driver's fixed range).
AXIS_MAX = 0xFFFF
#: Abs Pressure range 0..PRESSURE_MAX (Qt normalizes it to 0..1).
PRESSURE_MAX = 1000
#: The device's name as X and Qt see it (Qt needs "stylus" or "pen" in it).
DEVICE_NAME = "kinewrite virtual stylus"

# message types (enum xf86ITEventType / xf86ITResponseType)
_EV_CLIENT_VERSION, _EV_WAIT_FOR_SYNC, _EV_MOTION, _EV_PROXIMITY, _EV_BUTTON = range(5)
_RESP_SERVER_VERSION, _RESP_SYNC_FINISHED = 0, 1
_N_VALUATORS = 64
_HEADER = struct.Struct("=II")
# valuator data: has_unaccelerated, mask[8], 4 bytes padding, 64 + 64 doubles
_VALUATORS = struct.Struct(f"=I8s4x{_N_VALUATORS}d{_N_VALUATORS}d")
_MOTION = struct.Struct("=II I4x")  # header, is_absolute, pad to the doubles' alignment
_PROXIMITY = struct.Struct("=II I4x")  # header, is_prox_in
_BUTTON = struct.Struct("=II iiI4x")  # header, is_absolute, button, is_press
_VERSION = struct.Struct("=IIHH")


def _valuators(x: float, y: float, pressure: float | None) -> bytes:
    """Valuator block: axis 0 Abs X, 1 Abs Y, 4 Abs Pressure (if given)."""
    values = [0.0] * (2 * _N_VALUATORS)
    values[0], values[1] = float(x), float(y)
    mask = 0b11
    if pressure is not None:
        values[4] = float(pressure)
        mask |= 1 << 4
    return _VALUATORS.pack(0, mask.to_bytes(8, "little"), *values)


def motion_message(x: float, y: float, pressure: float | None) -> bytes:
    """An absolute motion (axis units), with pressure (axis units) if given."""
    size = _MOTION.size + _VALUATORS.size
    return _MOTION.pack(size, _EV_MOTION, 1) + _valuators(x, y, pressure)


def proximity_message(inside: bool, x: float, y: float) -> bytes:
    """Proximity in (True) or out at a position."""
    size = _PROXIMITY.size + _VALUATORS.size
    return _PROXIMITY.pack(size, _EV_PROXIMITY, int(inside)) + _valuators(x, y, 0.0)


def button_message(press: bool, x: float, y: float, pressure: float, button: int = 1) -> bytes:
    """Button `button` (1: the tip) pressed or released at a position."""
    size = _BUTTON.size + _VALUATORS.size
    return _BUTTON.pack(size, _EV_BUTTON, 1, button, int(press)) + _valuators(x, y, pressure)


def xorg_problem() -> str | None:
    """Why Xorg with the virtual pen cannot start here (one line), else None."""
    if shutil.which("Xorg") is None:
        return "needs Xorg (Debian package xserver-xorg-core)"
    modules = Path("/usr/lib/xorg/modules")
    if not (modules / "input" / "inputtest_drv.so").exists():
        return "needs the inputtest input driver (xserver-xorg-core >= 21)"
    if not (modules / "drivers" / "dummy_drv.so").exists():
        return "needs the dummy video driver (Debian package xserver-xorg-video-dummy)"
    if os.geteuid() != 0:
        return "Xorg with -config needs root here"
    return None


def _config(socket_path: Path, width: int, height: int) -> str:
    return f"""\
Section "ServerFlags"
    Option "AutoAddDevices" "off"
    Option "AutoEnableDevices" "off"
    Option "DontVTSwitch" "true"
    Option "BlankTime" "0"
    Option "StandbyTime" "0"
    Option "SuspendTime" "0"
    Option "OffTime" "0"
EndSection
Section "Device"
    Identifier "dummy video"
    Driver "dummy"
    VideoRam 65536
EndSection
Section "Monitor"
    Identifier "dummy monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
    Modeline "{width}x{height}" {width * height * 60 / 1e6 * 1.3:.2f} \
{width} {width + 8} {width + 16} {width + 24} {height} {height + 3} {height + 6} {height + 9}
EndSection
Section "Screen"
    Identifier "dummy screen"
    Device "dummy video"
    Monitor "dummy monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Modes "{width}x{height}"
        Virtual {width} {height}
    EndSubSection
EndSection
Section "InputDevice"
    Identifier "{DEVICE_NAME}"
    Driver "inputtest"
    Option "SocketPath" "{socket_path}"
    Option "DeviceType" "PointerAbsoluteProximity"
    Option "PointerHasPressure" "true"
    Option "PointerButtonCount" "3"
EndSection
Section "ServerLayout"
    Identifier "kinewrite virtual pen"
    Screen "dummy screen"
    InputDevice "{DEVICE_NAME}"
EndSection
"""


class VirtualPen:
    """A client of the ``inputtest`` driver's socket: writes pen events, waits for the server.

    Positions are in screen pixels (floats: the axis has ~51 steps per pixel on a
    1280 px screen, so sub-pixel positions reach Qt), pressure 0..1.
    """

    def __init__(self, socket_path: Path, screen_px: tuple[int, int]) -> None:
        self.screen_px = screen_px
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + 10.0
        while True:
            try:
                self._sock.connect(str(socket_path))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._sock.sendall(_VERSION.pack(_VERSION.size, _EV_CLIENT_VERSION, 1, 0))
        kind, payload = self._read()
        if kind != _RESP_SERVER_VERSION:
            raise RuntimeError(f"inputtest: expected the server version, got message {kind}")
        self.server_version = struct.unpack("=HH", payload[:4])
        self.down = False
        self.in_proximity = False
        self.sent_at: list[float] = []
        self.began_at: list[float] = []

    def _read(self) -> tuple[int, bytes]:
        head = self._recv(_HEADER.size)
        length, kind = _HEADER.unpack(head)
        return kind, self._recv(length - _HEADER.size)

    def _recv(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("inputtest: the X server closed the pen's socket")
            data += chunk
        return data

    def axis(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Screen px to the driver's axis units (Qt maps the axis range onto the screen width)."""
        w, h = self.screen_px
        return x_px * AXIS_MAX / w, y_px * AXIS_MAX / h

    def send(self, message: bytes) -> None:
        self._sock.sendall(message)

    def proximity(self, inside: bool, x_px: float, y_px: float) -> None:
        self.send(proximity_message(inside, *self.axis(x_px, y_px)))
        self.in_proximity = inside

    def move(self, x_px: float, y_px: float, pressure: float = 0.0) -> None:
        """A move: touching if the tip is down (pressure > 0 expected), else hovering."""
        self.send(motion_message(*self.axis(x_px, y_px), pressure * PRESSURE_MAX))

    def tip(self, down: bool, x_px: float, y_px: float, pressure: float) -> None:
        """Tip button 1 pressed (touching) or released, at a position and pressure."""
        self.send(button_message(down, *self.axis(x_px, y_px), pressure * PRESSURE_MAX))
        self.down = down

    def sync(self) -> None:
        """Return once the server has processed every event sent so far."""
        self.send(_HEADER.pack(_HEADER.size, _EV_WAIT_FOR_SYNC))
        kind, _ = self._read()
        if kind != _RESP_SYNC_FINISHED:
            raise RuntimeError(f"inputtest: expected sync finished, got message {kind}")

    def play(self, t_s: np.ndarray, x_px: np.ndarray, y_px: np.ndarray, down: np.ndarray,
             pressure: np.ndarray, proximity: bool = True) -> np.ndarray:
        """Write samples at their own timing (``t_s`` in s, relative to the first).

        Each sample is one event: a tip press where `down` starts, a release where it ends
        (both at the sample's position and pressure), a move otherwise (pressure 0 when
        up: a hover move). A pen still down after the last sample is lifted there (one more
        event). With `proximity` the pen enters proximity before the first sample and leaves
        after the last. Returns the host ``time.monotonic`` at which each event was written
        (read just after the write returned; proximity events not included); :attr:`sent_at`
        grows as they are written, so another thread can follow the progress, and
        :attr:`began_at` holds the ``time.monotonic`` just before each write: the event
        reached the socket between the two (a sender preempted between its write and its
        clock read makes ``sent_at`` late, never ``began_at``).

        The X server stamps an event with its own ms clock (``CLOCK_MONOTONIC``, the clock
        of ``time.monotonic``, truncated to whole ms) when its input thread reads it, so
        its stamp is at least ``floor(began_at)`` in ms; a sender (or a server) running late
        on a busy machine makes stamps late, bunched (duplicates) and apart (gaps).
        :class:`ServerStamps` records the stamps the server gave.
        """
        rel = np.asarray(t_s, dtype=np.float64) - float(t_s[0])
        self.sent_at = []
        self.began_at = []
        if proximity and not self.in_proximity:
            self.proximity(True, float(x_px[0]), float(y_px[0]))
        t0 = time.monotonic() + 0.005
        for i in range(rel.size):  # an event source: one socket write per sample
            wait = t0 + rel[i] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            x, y = float(x_px[i]), float(y_px[i])
            is_down = bool(down[i])
            p = float(pressure[i]) if is_down else 0.0
            self.began_at.append(time.monotonic())
            if is_down != self.down:
                self.tip(is_down, x, y, p)
            else:
                self.move(x, y, p)
            self.sent_at.append(time.monotonic())
        x, y = float(x_px[-1]), float(y_px[-1])
        if self.down:
            self.began_at.append(time.monotonic())
            self.tip(False, x, y, 0.0)
            self.sent_at.append(time.monotonic())
        if proximity:
            self.proximity(False, x, y)
        return np.array(self.sent_at)

    def lateness_s(self, t_s: np.ndarray, sent_at: np.ndarray) -> np.ndarray:
        """How late each of the first ``t_s.size`` events was written, in s, relative to
        the schedule (the first event's lateness is taken as 0)."""
        rel = np.asarray(t_s, dtype=np.float64) - float(t_s[0])
        sent = np.asarray(sent_at[: rel.size]) - float(sent_at[0])
        return sent - rel

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


# ------------------------------------------------------------------ the server's own stamps
# Xlib / XInput2 structures (x86_64 and other LP64 ABIs: C alignment via ctypes)
class _XIEventMask(ctypes.Structure):
    _fields_ = [("deviceid", ctypes.c_int), ("mask_len", ctypes.c_int),
                ("mask", ctypes.POINTER(ctypes.c_ubyte))]


class _XGenericEventCookie(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("extension", ctypes.c_int), ("evtype", ctypes.c_int),
                ("cookie", ctypes.c_uint), ("data", ctypes.c_void_p)]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xcookie", _XGenericEventCookie),
                ("pad", ctypes.c_long * 24)]


class _XIRawEvent(ctypes.Structure):  # the leading fields of XIRawEvent
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("extension", ctypes.c_int), ("evtype", ctypes.c_int),
                ("time", ctypes.c_ulong), ("deviceid", ctypes.c_int),
                ("sourceid", ctypes.c_int), ("detail", ctypes.c_int), ("flags", ctypes.c_int)]


_GENERIC_EVENT = 35
_XI_RAW_BUTTON_PRESS, _XI_RAW_BUTTON_RELEASE, _XI_RAW_MOTION = 15, 16, 17


class ServerStamps:
    """The X server's timestamp of every pen event, as any X client sees it.

    A second client of the server (libX11 and libXi through :mod:`ctypes`, in a thread)
    selects XInput2 *raw* events on the root window: the server sends one per device event
    (``XI_RawMotion``, ``XI_RawButtonPress``/``Release``) to every client asking, with the
    very ms timestamp it gives the device event Qt receives. Only the slave devices' raw
    events are kept (the master pointer repeats each). So :attr:`stamps_ms` is what the
    server did with the pen's events - stamped each when its input thread read it from the
    socket, late and in bunches when the sender or the server ran late - independent of
    kinewrite: the expectation a recording's ``t`` is judged against.

    Use as a context manager; :meth:`mark` and :meth:`since` select the events of one replay.
    """

    def __init__(self, display: str) -> None:
        try:
            x11, xi = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXi.so.6")
        except OSError as exc:
            raise RuntimeError(f"ServerStamps needs libX11 and libXi (Debian packages "
                               f"libx11-6, libxi6): {exc}") from None
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self._x11 = x11
        self._dpy = ctypes.c_void_p(x11.XOpenDisplay(display.encode()))
        if not self._dpy.value:
            raise RuntimeError(f"ServerStamps: cannot open display {display}")
        opcode, first_event, first_error = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if not x11.XQueryExtension(self._dpy, b"XInputExtension", ctypes.byref(opcode),
                                   ctypes.byref(first_event), ctypes.byref(first_error)):
            raise RuntimeError("ServerStamps: the server has no XInputExtension")
        self._opcode = opcode.value
        major, minor = ctypes.c_int(2), ctypes.c_int(2)
        xi.XIQueryVersion(self._dpy, ctypes.byref(major), ctypes.byref(minor))
        bits = (ctypes.c_ubyte * 4)()
        for e in (_XI_RAW_BUTTON_PRESS, _XI_RAW_BUTTON_RELEASE, _XI_RAW_MOTION):
            bits[e >> 3] |= 1 << (e & 7)
        mask = _XIEventMask(0, len(bits), bits)  # deviceid 0: XIAllDevices
        root = ctypes.c_ulong(x11.XDefaultRootWindow(self._dpy))
        xi.XISelectEvents(self._dpy, root, ctypes.byref(mask), 1)
        x11.XSync(self._dpy, 0)  # selected before any pen event is written
        self._fd = x11.XConnectionNumber(self._dpy)
        self._stamps: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        x11, dpy, event = self._x11, self._dpy, _XEvent()
        while not self._stop.is_set():
            if not x11.XPending(dpy):
                select.select([self._fd], [], [], 0.05)
                continue
            x11.XNextEvent(dpy, ctypes.byref(event))
            cookie = event.xcookie
            if cookie.type != _GENERIC_EVENT or cookie.extension != self._opcode:
                continue
            if x11.XGetEventData(dpy, ctypes.byref(event.xcookie)):
                raw = ctypes.cast(event.xcookie.data, ctypes.POINTER(_XIRawEvent)).contents
                if raw.deviceid == raw.sourceid:  # the slave device, not its master's copy
                    self._stamps.append(int(raw.time))
                x11.XFreeEventData(dpy, ctypes.byref(event.xcookie))

    def mark(self) -> int:
        """How many stamps were seen so far (pass to :meth:`since`)."""
        return len(self._stamps)

    def since(self, mark: int = 0, settle_s: float = 0.3) -> np.ndarray:
        """The server's ms stamps of the pen events after `mark`, in order (uint32 ms),
        once no new one arrived for `settle_s`."""
        n = -1
        while n != len(self._stamps):
            n = len(self._stamps)
            time.sleep(settle_s)
        return np.array(self._stamps[mark:n], dtype=np.int64)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._x11.XCloseDisplay(self._dpy)

    def __enter__(self) -> ServerStamps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class XorgPen:
    """A running Xorg with its virtual pen: ``display`` (":N"), ``pen``, ``log`` path."""

    display: str
    pen: VirtualPen
    log: Path
    screen_px: tuple[int, int]
    process: subprocess.Popen

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a Qt client of this server (xcb platform)."""
        env = dict(os.environ, DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        env.update(extra)
        return env


@contextlib.contextmanager
def xorg_pen(screen_px: tuple[int, int] = (1280, 1024), workdir: Path | None = None,
             timeout_s: float = 20.0) -> Iterator[XorgPen]:
    """Start Xorg (dummy video, inputtest stylus) on a free display; stop it on exit.

    Parameters
    ----------
    screen_px : (int, int)
        Screen size in px.
    workdir : Path, optional
        Where the config, socket and log go (a new temporary folder by default, removed
        afterwards unless Xorg failed, when its log is named in the error).
    timeout_s : float
        How long Xorg may take to start.

    Raises
    ------
    RuntimeError
        If Xorg cannot start (see :func:`xorg_problem`), with the log's path and last line.
    """
    problem = xorg_problem()
    if problem:
        raise RuntimeError(problem)
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="kinewrite-xorg-")) if own else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    sock = work / "pen.sock"
    conf = work / "xorg.conf"
    log = work / "Xorg.log"
    (work / "conf.d").mkdir(exist_ok=True)  # an empty config folder: no system snippets
    conf.write_text(_config(sock, *screen_px))
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xorg", "-displayfd", str(write_fd), "-config", str(conf),
         "-configdir", str(work / "conf.d"), "-logfile", str(log), "-noreset",
         "-nolisten", "tcp", "-novtswitch", "-sharevts", "-keeptty", "-quiet"],
        pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write_fd)
    pen = None
    failed = True
    try:
        number = _read_display(read_fd, proc, timeout_s)
        if number is None:
            raise RuntimeError(f"Xorg did not start: {_last_error(log)} (log {log})")
        pen = VirtualPen(sock, screen_px)
        failed = False
        yield XorgPen(f":{number}", pen, log, screen_px, proc)
    finally:
        if pen is not None:
            pen.close()
        _stop(proc)
        if own and not failed:
            shutil.rmtree(work, ignore_errors=True)


def _read_display(fd: int, proc: subprocess.Popen, timeout_s: float) -> str | None:
    """The display number Xorg writes on -displayfd, or None if it died or timed out."""
    import select

    deadline = time.monotonic() + timeout_s
    data = b""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([pipe], [], [], 0.1)
            if ready:
                chunk = pipe.read(64)
                if not chunk:
                    break
                data += chunk
                if b"\n" in data:
                    return data.split(b"\n")[0].decode().strip() or None
            elif proc.poll() is not None:
                break
    return None


def _last_error(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log written"
    errors = [ln for ln in lines if "(EE)" in ln and ln.strip() != "(EE)"]
    return (errors[-1] if errors else (lines[-1] if lines else "empty log")).strip()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", action="store_true",
                        help="keep the server running until Ctrl+C (DISPLAY printed)")
    args = parser.parse_args(argv)
    problem = xorg_problem()
    if problem:
        print(f"xorg_pen: {problem}", file=sys.stderr)
        return 1
    with xorg_pen() as xp:
        print(f"DISPLAY={xp.display} (log {xp.log}); pen protocol {xp.pen.server_version}",
              flush=True)
        a = np.linspace(0, 2 * np.pi, 200)
        t = np.arange(a.size) / 200.0
        x, y = 640 + 200 * np.cos(a), 512 + 200 * np.sin(a)
        down = np.r_[np.zeros(10, bool), np.ones(180, bool), np.zeros(10, bool)]
        with ServerStamps(xp.display) as server:
            n = xp.pen.play(t, x, y, down, np.full(a.size, 0.5)).size
            xp.pen.sync()
            stamps = server.since()
        steps = np.diff(stamps)
        print(f"sent {n} events (a circle at 200 Hz) and the server processed them; it "
              f"stamped {stamps.size}: median step {np.median(steps):g} ms, "
              f"{np.count_nonzero(steps == 0)} duplicate stamps")
        if args.hold:
            with contextlib.suppress(KeyboardInterrupt):
                while xp.process.poll() is None:
                    time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
