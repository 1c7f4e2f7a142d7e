"""ToneOutput: clear "no audio" reporting, and the feedback tone really played.

The playback test runs a private PulseAudio server with a null sink (skipped without
``pulseaudio``/``parec`` or QtMultimedia), plays the feedback from a child process while the
pressure source changes, records the sink's monitor and checks what was heard: silence below
the threshold, then the pitch ``PressureFeedback.tone_hz`` maps the pressure to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from kinewrite.acquisition.feedback import PressureFeedback
from kinewrite.acquisition.qt.audio import ToneOutput, multimedia_status
from kinewrite.acquisition.qt.qt_app import make_application

SR = 44100


def test_without_audio_the_output_says_why_and_stays_silent(qtbot):
    make_application()
    out = ToneOutput(PressureFeedback("tone", 0.3))
    ok, reason = multimedia_status()
    assert (out.available, out.reason) == (ok, reason)
    if ok:
        pytest.skip(f"this machine has audio ({reason}); see the playback test")
    assert reason and "\n" not in reason  # one line: QtMultimedia missing, or no device
    assert out.start() is False and not out.playing
    out.set_pressure(0.9)  # harmless
    out.stop()


def test_mode_off_never_starts(qtbot):
    make_application()
    out = ToneOutput(PressureFeedback("off", 0.3))
    assert out.start() is False and not out.playing


CHILD = r"""
import sys, time
from PyQt6.QtCore import QTimer
from kinewrite.acquisition.qt.audio import ToneOutput
from kinewrite.acquisition.feedback import PressureFeedback
from kinewrite.acquisition.qt.qt_app import make_application

app = make_application([])
pressure = {"p": 0.45}  # 1 s above the threshold, 0.7 s below, 1 s higher
out = ToneOutput(PressureFeedback("tone", threshold=0.3), pressure_source=lambda: pressure["p"])
if not out.start():
    print("unavailable:", out.reason, flush=True)
    sys.exit(3)
changed = []


def set_pressure(p, then_ms, then):
    # each change schedules the next, so a loaded machine cannot fire two of them together
    pressure.update(p=p)
    changed.append(time.monotonic())
    QTimer.singleShot(then_ms, then)


def wait_for_sound(waited_ms=0):
    # the sink's start-up (up to a second on a loaded machine) is not the feedback's latency:
    # the script starts once sound flows
    if out.played_s >= 0.05:
        QTimer.singleShot(1000, lambda: set_pressure(
            0.1, 700, lambda: set_pressure(0.65, 1000, app.quit)))
    elif waited_ms > 10000:
        print("the sink never played", flush=True)
        app.exit(4)
    else:
        QTimer.singleShot(20, lambda: wait_for_sound(waited_ms + 20))


wait_for_sound()
code = app.exec()
out.stop()
if code:
    sys.exit(code)
print("played", flush=True)
print(f"below the threshold for {changed[1] - changed[0]:.3f} s", flush=True)
"""


@pytest.fixture
def pulse(tmp_path):
    if not (shutil.which("pulseaudio") and shutil.which("parec")):
        pytest.skip("pulseaudio and parec are needed for the playback test")
    if multimedia_status()[1].startswith("QtMultimedia cannot be loaded"):
        pytest.skip(multimedia_status()[1])
    run = tmp_path / "pulse"
    run.mkdir()
    env = {**os.environ, "PULSE_RUNTIME_PATH": str(run), "HOME": str(run)}
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         f"--load=module-null-sink sink_name=kwnull rate={SR}",
         f"--load=module-native-protocol-unix socket={run}/native auth-anonymous=1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (run / "native").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("pulseaudio did not start")
        time.sleep(0.05)
    yield {**os.environ, "PULSE_SERVER": f"unix:{run}/native"}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_the_tone_is_played_at_the_mapped_pitch(pulse, tmp_path):
    raw = tmp_path / "heard.raw"
    with raw.open("wb") as sink_file:
        rec = subprocess.Popen(["parec", "-d", "kwnull.monitor", f"--rate={SR}",
                                "--channels=1", "--format=s16le"], env=pulse, stdout=sink_file)
        time.sleep(0.3)
        child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                               env={**pulse, "QT_QPA_PLATFORM": "offscreen"}, timeout=60)
        time.sleep(0.3)
        rec.terminate()
        rec.wait(timeout=10)
    assert child.returncode == 0, child.stdout + child.stderr[-1500:]
    heard = np.fromfile(raw, "<i2").astype(np.float64) / 32767
    loud = np.abs(heard) > 0.05
    # runs of sound: breaks longer than 0.3 s (zero crossings of the tone are far shorter)
    on = np.flatnonzero(loud)
    assert on.size > SR // 2, "no tone reached the sink"
    breaks = np.flatnonzero(np.diff(on) > 0.3 * SR)
    assert breaks.size == 1, f"expected tone, silence, tone; got {breaks.size + 1} runs"
    first = heard[on[0] : on[breaks[0]]]
    second = heard[on[breaks[0] + 1] : on[-1]]
    silence_s = (on[breaks[0] + 1] - on[breaks[0]]) / SR
    fb = PressureFeedback("tone", threshold=0.3)
    heard_hz = [_peak_hz(first), _peak_hz(second)]
    print(f"heard {heard_hz[0]:.1f} Hz, {silence_s:.2f} s silence, {heard_hz[1]:.1f} Hz")
    assert heard_hz[0] == pytest.approx(float(fb.tone_hz(0.45)), abs=3.0)  # 591 Hz
    assert heard_hz[1] == pytest.approx(float(fb.tone_hz(0.65)), abs=3.0)  # 880 Hz
    below_s = float(child.stdout.split("below the threshold for ")[1].split()[0])
    assert below_s >= 0.7
    # silent for the time the pressure was below the threshold, give or take the latency's
    # jitter (one 20 ms block and the sink's period)
    assert below_s - 0.1 < silence_s < below_s + 0.1
    assert np.max(np.abs(second)) == pytest.approx(0.3, rel=0.05)  # the synth's amplitude


def _peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / SR)[np.argmax(spectrum)])
