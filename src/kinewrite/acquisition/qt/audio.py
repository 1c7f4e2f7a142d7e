"""Play the pressure feedback on the default audio output (Qt side, QtMultimedia).

:class:`ToneOutput` pulls sound from a :class:`~kinewrite.acquisition.feedback.FeedbackSynth`
through a ``QAudioSink`` in pull mode: whenever the sink wants more samples, the generator
reads the latest pen pressure (from a callable, typically ``canvas.current_pressure``, or set
with :meth:`ToneOutput.set_pressure`) and renders the next block of at most half the sink's
buffer (``buffer_ms``, 40 ms by default: 20 ms). The tone heard lags the pen by that block and
the sink's buffer: about 55 ms with PulseAudio, measured. (Qt's PulseAudio sink asks for
16 KiB, 186 ms, per read; rendering all of it at once made the tone lag by up to 0.3 s.)

No audio is not an error. When QtMultimedia cannot be imported (its ``libQt6Multimedia``
needs the system's PulseAudio client library, ``libpulse0`` on Debian) or the machine has no
audio output (a headless machine, a server), :attr:`ToneOutput.available` is False,
:attr:`ToneOutput.reason` says why in one line, and :meth:`ToneOutput.start` does nothing:
the recording goes on silently, and the trial still stores its feedback settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QIODevice, QObject

from ..feedback import FeedbackSynth, PressureFeedback

__all__ = ["ToneOutput", "multimedia_status"]

_QM: Any = None  # PyQt6.QtMultimedia, imported on first use (its probing prints messages)
_IMPORT_ERROR: str | None = None


def _multimedia() -> Any:
    """The QtMultimedia module, or None (then :data:`_IMPORT_ERROR` says why)."""
    global _QM, _IMPORT_ERROR
    if _QM is None and _IMPORT_ERROR is None:
        try:  # QtMultimedia's library needs libpulse.so.0 even to be imported
            from PyQt6 import QtMultimedia
        except ImportError as exc:  # pragma: no cover - depends on the machine
            _IMPORT_ERROR = f"QtMultimedia cannot be loaded ({exc})"
        else:
            _QM = QtMultimedia
    return _QM


def multimedia_status() -> tuple[bool, str]:
    """Whether sound can be played here: (True, device name) or (False, reason)."""
    qm = _multimedia()
    if qm is None:
        return False, str(_IMPORT_ERROR)
    device = qm.QMediaDevices.defaultAudioOutput()
    if device.isNull():
        return False, "no audio output device on this machine"
    return True, device.description()


class _Generator(QIODevice):
    """A read-only, endless QIODevice rendering the feedback for the latest pressure."""

    def __init__(self, synth: FeedbackSynth, pressure: Callable[[], float],
                 block_frames: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synth = synth
        self.pressure = pressure
        self.block_frames = max(int(block_frames), 1)
        self.frames_rendered = 0

    def readData(self, maxlen: int) -> bytes:  # Qt's name
        # Qt's PulseAudio sink asks for up to 16 KiB at a time (186 ms at 44.1 kHz) whatever
        # the buffer size: rendering that much at once would play the pressure of 0.19 s ago.
        # Render at most one block, so the pressure is read again every block.
        frames = min(max(int(maxlen) // 2, 0), self.block_frames)
        if frames == 0:
            return b""
        self.frames_rendered += frames
        return self.synth.render_int16(frames, float(self.pressure()))

    def writeData(self, data: bytes) -> int:  # read-only device
        return -1

    def bytesAvailable(self) -> int:  # endless stream
        return (1 << 16) + super().bytesAvailable()

    def isSequential(self) -> bool:
        return True


class ToneOutput(QObject):
    """Auditory pressure feedback on the default audio output.

    Parameters
    ----------
    feedback : PressureFeedback
    pressure_source : callable, optional
        Returns the latest pen pressure (raw, as the canvas records it; 0 or NaN when the pen
        is up). Default: the value given to :meth:`set_pressure`.
    sample_rate_hz : int, default 44100
    buffer_ms : float, default 40
        The sink's buffer in ms; the generator renders half of it per read.
    parent : QObject, optional

    Attributes
    ----------
    available : bool
        Whether sound can be played (QtMultimedia loaded and an output device exists).
    reason : str
        Why not, in one line (or the device's name when available).
    """

    def __init__(self, feedback: PressureFeedback,
                 pressure_source: Callable[[], float] | None = None,
                 sample_rate_hz: int = 44100, buffer_ms: float = 40.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.feedback = feedback
        self.synth = FeedbackSynth(feedback, sample_rate_hz)
        self._pressure = float("nan")
        self._lock = threading.Lock()
        self._source = pressure_source or self._stored_pressure
        self._sink = None
        self._generator: _Generator | None = None
        self.buffer_ms = float(buffer_ms)
        self.available, self.reason = multimedia_status()

    @property
    def playing(self) -> bool:
        """Whether the audio sink is running."""
        return (self._sink is not None
                and self._sink.state() == _multimedia().QAudio.State.ActiveState)

    @property
    def played_s(self) -> float:
        """Seconds of sound the sink has played so far (0 before it starts)."""
        return 0.0 if self._sink is None else self._sink.processedUSecs() * 1e-6

    def set_pressure(self, pressure: float) -> None:
        """Set the latest pen pressure (when no `pressure_source` was given)."""
        with self._lock:
            self._pressure = float(pressure)

    def set_feedback(self, feedback: PressureFeedback) -> None:
        """Change mode or threshold; takes effect with the next audio block."""
        self.feedback = feedback
        self.synth.feedback = feedback

    def start(self) -> bool:
        """Start playing (silence until the pressure passes the threshold).

        Returns False, doing nothing, when sound is not available (:attr:`reason`) or the
        feedback mode is ``"off"``.
        """
        if not self.available or self.feedback.mode == "off" or self._sink is not None:
            return self._sink is not None
        qm = _multimedia()
        fmt = qm.QAudioFormat()
        fmt.setSampleRate(self.synth.sample_rate_hz)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(qm.QAudioFormat.SampleFormat.Int16)
        device = qm.QMediaDevices.defaultAudioOutput()
        if not device.isFormatSupported(fmt):
            self.available = False
            self.reason = f"{device.description()}: 16-bit mono at " \
                          f"{self.synth.sample_rate_hz} Hz is not supported"
            return False
        sink = qm.QAudioSink(device, fmt, self)
        sink.setBufferSize(int(self.synth.sample_rate_hz * self.buffer_ms * 1e-3) * 2)
        gen = _Generator(self.synth, self._source,
                         int(self.synth.sample_rate_hz * self.buffer_ms * 1e-3) // 2, self)
        gen.open(QIODevice.OpenModeFlag.ReadOnly)
        sink.start(gen)
        if sink.error() != qm.QAudio.Error.NoError:
            self.available = False
            self.reason = f"{device.description()}: audio output failed ({sink.error().name})"
            sink.stop()
            gen.close()
            return False
        self._sink, self._generator = sink, gen
        return True

    def stop(self) -> None:
        """Stop playing (safe when not playing)."""
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
            self._sink = None
        if self._generator is not None:
            self._generator.close()
            self._generator.deleteLater()
            self._generator = None

    def _stored_pressure(self) -> float:
        with self._lock:
            return self._pressure
