"""Auditory pressure feedback (Qt-free): the pressure -> pitch / click-rate mapping, the
newton threshold, settings stored with a trial, and the rendered sound itself."""

from __future__ import annotations

import numpy as np
import pytest

from kinewrite.acquisition.feedback import FeedbackSynth, PressureFeedback
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.reader import load_session
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

SR = 44100


def test_tone_rises_an_even_pitch_step_per_pressure_step():
    fb = PressureFeedback("tone", threshold=0.4, base_hz=440.0, octaves=2.0)
    p = np.array([0.0, 0.39, 0.4, 0.55, 0.7, 0.85, 1.0, np.nan])
    hz = fb.tone_hz(p)
    assert hz[:2].tolist() == [0.0, 0.0] and hz[-1] == 0.0  # below threshold, no pressure
    assert hz[2] == pytest.approx(440.0) and hz[6] == pytest.approx(1760.0)
    # 0.15 of pressure = a quarter of the range above threshold = half an octave each
    np.testing.assert_allclose(np.diff(np.log2(hz[2:7])), 0.5)
    assert fb.active(p).tolist() == [False, False, True, True, True, True, True, False]
    assert not PressureFeedback("off", 0.4).active(p).any()


def test_click_rate_rises_linearly():
    fb = PressureFeedback("clicks", threshold=0.2, click_min_hz=2.0, click_max_hz=22.0)
    rate = fb.click_rate_hz(np.array([0.1, 0.2, 0.6, 1.0, 1.3]))
    np.testing.assert_allclose(rate, [0.0, 2.0, 12.0, 22.0, 22.0])  # clipped at full scale


def test_threshold_in_newtons_through_the_calibration():
    # a stylus whose force is 6 N * fraction**2 + 2 N * fraction, read 0.2 N high at rest
    cal = Calibration(pressure_max=1023.0, pressure_newton_coeffs=(6.0, 2.0, 0.0), tare_N=0.2)
    fb = PressureFeedback("tone", threshold=1.5, threshold_unit="N", calibration=cal)
    # 6 f^2 + 2 f - 0.2 = 1.5  ->  f = (-2 + sqrt(4 + 24 * 1.7)) / 12
    f = (-2 + np.sqrt(4 + 24 * 1.7)) / 12
    raw = np.array([f - 1e-6, f + 1e-6]) * 1023.0
    assert fb.active(raw).tolist() == [False, True]
    assert fb.level(np.array([1023.0]))[0] == pytest.approx(7.8)  # full scale in N
    assert fb.tone_hz(1023.0) == pytest.approx(1760.0)
    assert fb.trial_attrs()["feedback_threshold_unit"] == "N"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "beep"}, "feedback mode must be one of off, tone, clicks"),
    ({"threshold": 1.2}, r"fraction must be in \[0, 1\)"),
    ({"threshold": 1.5, "threshold_unit": "N"}, "needs a pressure calibration in newtons"),
    ({"threshold_unit": "kg"}, "threshold unit must be"),
    ({"threshold": 9.0, "threshold_unit": "N",
      "calibration": Calibration(pressure_newton_coeffs=(5.0, 0.0))}, "not below"),
    ({"click_min_hz": 30.0, "click_max_hz": 10.0}, "click_min_hz <= click_max_hz"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PressureFeedback(**{"mode": "tone", **kwargs})


def test_settings_are_stored_with_the_trial(tmp_path):
    cal = Calibration(pressure_newton_coeffs=(5.0, 0.0))
    fb = PressureFeedback("clicks", threshold=1.2, threshold_unit="N", calibration=cal,
                          click_max_hz=18.0)
    with SessionWriter.create(tmp_path, "FB-01", calibration=cal) as w:
        w.begin_trial("sentence", 133.0, attrs=fb.trial_attrs())
        w.append(t=np.arange(10) / 133, x=np.arange(10.0), y=np.zeros(10))
        finish_trial(w)
    s = load_session(w.path)
    attrs = s.trials[0].attrs
    assert (attrs["feedback_mode"], attrs["feedback_threshold"],
            attrs["feedback_threshold_unit"]) == ("clicks", 1.2, "N")
    again = PressureFeedback.from_trial_attrs(attrs, s.calibration)
    assert again.trial_attrs() == fb.trial_attrs()


def _peak_hz(signal: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    return float(np.fft.rfftfreq(signal.size, 1 / SR)[np.argmax(spec)])


def test_rendered_tone_has_the_mapped_pitch_and_is_continuous_across_blocks():
    fb = PressureFeedback("tone", threshold=0.3)
    one = FeedbackSynth(fb, SR).render(SR, 0.65)
    assert _peak_hz(one) == pytest.approx(float(fb.tone_hz(0.65)), abs=1.0)
    assert np.max(np.abs(one)) == pytest.approx(0.3, rel=1e-3)
    synth = FeedbackSynth(fb, SR)
    blocks = np.concatenate([synth.render(k, 0.65) for k in [441, 1000, 17, SR - 1458]])
    np.testing.assert_allclose(blocks, one, atol=1e-9)  # no phase jump at block edges
    assert not np.any(FeedbackSynth(fb, SR).render(4410, 0.2))  # below threshold: silence
    assert not np.any(FeedbackSynth(fb, SR).render(4410, np.nan))  # mouse: silence
    pcm = synth.render_int16(100, 0.65)
    assert len(pcm) == 200 and np.abs(np.frombuffer(pcm, "<i2")).max() <= int(0.3 * 32767) + 1


def test_rendered_clicks_come_at_the_mapped_rate():
    fb = PressureFeedback("clicks", threshold=0.3, click_min_hz=2.0, click_max_hz=20.0)
    rate = float(fb.click_rate_hz(0.9))
    seconds = 3
    synth = FeedbackSynth(fb, SR)
    sound = np.concatenate([synth.render(512, 0.9) for _ in range(seconds * SR // 512)])
    onsets = np.flatnonzero(np.diff((np.abs(sound) > 0.05).astype(int)) == 1)
    clicks = onsets[np.concatenate(([True], np.diff(onsets) > SR * 0.01))]  # one per click
    assert clicks.size == pytest.approx(rate * sound.size / SR, abs=1)
    np.testing.assert_allclose(np.diff(clicks) / SR, 1 / rate, atol=2 / SR)
    # clicks spilling over a block edge are finished in the next block
    one = FeedbackSynth(fb, SR).render(sound.size, 0.9)
    np.testing.assert_allclose(sound, one, atol=1e-9)
