"""Auditory pen-pressure feedback for grip-force training (no Qt).

Writer's-cramp patients press the pen too hard (docs/science.md §6: healthy < 1 N, >= 1.5 N
elevated); learning to write with less force is a therapy in its own right (docs/architecture.md,
Acquisition). While the pen pressure is above a threshold the patient hears it:

* ``"tone"``: a sine whose pitch rises with the pressure above the threshold, from
  ``base_hz`` at the threshold by ``octaves`` up to full scale (pitch is heard
  logarithmically, so the frequency rises exponentially for an even rise in pitch);
* ``"clicks"``: clicks whose rate rises linearly from ``click_min_hz`` to ``click_max_hz``;
* ``"off"``: silence (the settings are still stored with the trial).

Below the threshold, without pressure (a mouse: NaN) or with the pen up, it is silent.

The threshold is a fraction of the device's pressure range (0..1), or a force in N when a
newton calibration is given (:class:`~kinewrite.storage.calibration.Calibration`,
``force_N = polyval(pressure_newton_coeffs, pressure / pressure_max) - tare_N``). The choice
of these mappings is ours; their parameters are stored with each trial
(:meth:`PressureFeedback.trial_attrs`). :class:`FeedbackSynth` renders the sound as sample
blocks (numpy), for :class:`kinewrite.acquisition.qt.audio.ToneOutput` or a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..analysis.force import pressure_to_newtons
from ..storage.calibration import Calibration

__all__ = ["FEEDBACK_MODES", "FeedbackSynth", "PressureFeedback"]

FEEDBACK_MODES = ("off", "tone", "clicks")
THRESHOLD_UNITS = ("fraction", "N")


class PressureFeedback:
    """What the patient hears at a given pen pressure.

    Parameters
    ----------
    mode : {"off", "tone", "clicks"}, default "off"
    threshold : float, default 0.3
        Pressure above which feedback sounds: a fraction 0..1 of the device range, or a
        force in N if ``threshold_unit="N"``.
    threshold_unit : {"fraction", "N"}, default "fraction"
        ``"N"`` needs a `calibration` with ``pressure_newton_coeffs``.
    calibration : Calibration, optional
        Maps raw pressure to a fraction (``pressure_max``) and to N.
    base_hz : float, default 440
        Tone frequency at the threshold, in Hz.
    octaves : float, default 2
        Pitch rise from the threshold to full scale (fraction 1, or the force at fraction 1).
    click_min_hz, click_max_hz : float, default 2 and 25
        Click rate at the threshold and at full scale, in Hz.

    Raises
    ------
    ValueError
        For an unknown mode or unit, a threshold outside 0..1 (fraction) or not positive (N),
        an N threshold without a newton calibration, or non-positive frequencies.

    Examples
    --------
    >>> fb = PressureFeedback("tone", threshold=0.5)
    >>> fb.tone_hz([0.2, 0.5, 1.0]).tolist()
    [0.0, 440.0, 1760.0]
    >>> PressureFeedback("clicks", 0.5).click_rate_hz([0.75]).tolist()
    [13.5]
    """

    def __init__(
        self,
        mode: str = "off",
        threshold: float = 0.3,
        threshold_unit: str = "fraction",
        calibration: Calibration | None = None,
        base_hz: float = 440.0,
        octaves: float = 2.0,
        click_min_hz: float = 2.0,
        click_max_hz: float = 25.0,
    ) -> None:
        if mode not in FEEDBACK_MODES:
            raise ValueError(f"feedback mode must be one of {', '.join(FEEDBACK_MODES)}, "
                             f"got {mode!r}")
        if threshold_unit not in THRESHOLD_UNITS:
            raise ValueError(f"threshold unit must be 'fraction' or 'N', got {threshold_unit!r}")
        threshold = float(threshold)
        cal = calibration or Calibration()
        if threshold_unit == "fraction" and not 0.0 <= threshold < 1.0:
            raise ValueError(f"a pressure threshold as a fraction must be in [0, 1), "
                             f"got {threshold}")
        if threshold_unit == "N":
            if not cal.pressure_newton_coeffs:
                raise ValueError("a threshold in N needs a pressure calibration in newtons "
                                 "(calibration.pressure_newton_coeffs is empty)")
            if not (np.isfinite(threshold) and threshold > 0):
                raise ValueError(f"a force threshold must be > 0 N, got {threshold}")
        if not (base_hz > 0 and octaves >= 0 and 0 < click_min_hz <= click_max_hz):
            raise ValueError("base_hz and click rates must be > 0 Hz, octaves >= 0 and "
                             "click_min_hz <= click_max_hz")
        if not cal.pressure_max > 0:
            raise ValueError(f"calibration.pressure_max must be > 0, got {cal.pressure_max}")
        self.mode = mode
        self.threshold = threshold
        self.threshold_unit = threshold_unit
        self.calibration = cal
        self.base_hz = float(base_hz)
        self.octaves = float(octaves)
        self.click_min_hz = float(click_min_hz)
        self.click_max_hz = float(click_max_hz)
        self._full_scale = float(self.level(np.array([cal.pressure_max]))[0])
        if not self._full_scale > threshold:
            unit = "N" if threshold_unit == "N" else ""
            raise ValueError(f"threshold {threshold} {unit} is not below the device's full "
                             f"scale ({self._full_scale:.3g} {unit})".replace("  ", " "))

    def level(self, pressure: np.ndarray | float) -> np.ndarray:
        """Raw pressure as the threshold's unit: fraction of range, or force in N.

        NaN stays NaN (no pressure channel).
        """
        frac = np.asarray(pressure, dtype=np.float64) / self.calibration.pressure_max
        if self.threshold_unit == "fraction":
            return frac
        cal = self.calibration
        return pressure_to_newtons(frac, cal.pressure_newton_coeffs, cal.tare_N)

    def excess(self, pressure: np.ndarray | float) -> np.ndarray:
        """How far above the threshold, 0 at the threshold to 1 at full scale; NaN below it
        (and for NaN pressure)."""
        lv = self.level(pressure)
        x = (lv - self.threshold) / (self._full_scale - self.threshold)
        with np.errstate(invalid="ignore"):
            return np.where(lv >= self.threshold, np.clip(x, 0.0, 1.0), np.nan)

    def active(self, pressure: np.ndarray | float) -> np.ndarray:
        """Whether the feedback sounds at `pressure` (bool array; False when mode is off)."""
        if self.mode == "off":
            return np.zeros(np.shape(pressure), dtype=bool)
        return np.isfinite(self.excess(pressure))

    def tone_hz(self, pressure: np.ndarray | float) -> np.ndarray:
        """Tone frequency in Hz at `pressure`; 0 where silent (below threshold, NaN)."""
        e = self.excess(pressure)
        hz = self.base_hz * np.exp2(self.octaves * np.nan_to_num(e))
        return np.where(np.isfinite(e), hz, 0.0)

    def click_rate_hz(self, pressure: np.ndarray | float) -> np.ndarray:
        """Click rate in Hz at `pressure`; 0 where silent."""
        e = self.excess(pressure)
        rate = self.click_min_hz + (self.click_max_hz - self.click_min_hz) * np.nan_to_num(e)
        return np.where(np.isfinite(e), rate, 0.0)

    def trial_attrs(self) -> dict[str, Any]:
        """The settings to store with a trial (``feedback_*`` attributes)."""
        return {
            "feedback_mode": self.mode,
            "feedback_threshold": self.threshold,
            "feedback_threshold_unit": self.threshold_unit,
            "feedback_base_hz": self.base_hz,
            "feedback_octaves": self.octaves,
            "feedback_click_min_hz": self.click_min_hz,
            "feedback_click_max_hz": self.click_max_hz,
        }

    @classmethod
    def from_trial_attrs(cls, attrs: Mapping[str, Any],
                         calibration: Calibration | None = None) -> PressureFeedback:
        """Rebuild the settings a trial was recorded with (mode off if none stored)."""
        return cls(
            mode=str(attrs.get("feedback_mode", "off")),
            threshold=float(attrs.get("feedback_threshold", 0.3)),
            threshold_unit=str(attrs.get("feedback_threshold_unit", "fraction")),
            calibration=calibration,
            base_hz=float(attrs.get("feedback_base_hz", 440.0)),
            octaves=float(attrs.get("feedback_octaves", 2.0)),
            click_min_hz=float(attrs.get("feedback_click_min_hz", 2.0)),
            click_max_hz=float(attrs.get("feedback_click_max_hz", 25.0)),
        )


class FeedbackSynth:
    """Renders the feedback sound block by block, continuous across blocks.

    Parameters
    ----------
    feedback : PressureFeedback
    sample_rate_hz : int, default 44100
    amplitude : float, default 0.3
        Peak amplitude, 0..1 of full scale.
    click_ms : float, default 4
        Length of one click (a decaying 2 kHz burst), in ms.

    Notes
    -----
    The frequency of a block is that of the pressure given for it; the phase carries over, so
    a pitch change makes no click. Clicks fall where the running click phase (the integral of
    the click rate) crosses a whole number.
    """

    CLICK_HZ = 2000.0

    def __init__(self, feedback: PressureFeedback, sample_rate_hz: int = 44100,
                 amplitude: float = 0.3, click_ms: float = 4.0) -> None:
        if not 0 < amplitude <= 1:
            raise ValueError(f"amplitude must be in (0, 1], got {amplitude}")
        if sample_rate_hz < 8000:
            raise ValueError(f"sample rate must be >= 8000 Hz, got {sample_rate_hz}")
        self.feedback = feedback
        self.sample_rate_hz = int(sample_rate_hz)
        self.amplitude = float(amplitude)
        n_click = max(round(click_ms * 1e-3 * self.sample_rate_hz), 2)
        k = np.arange(n_click) / self.sample_rate_hz
        self._click = np.sin(2 * np.pi * self.CLICK_HZ * k) * np.exp(-k / (click_ms * 2.5e-4))
        self._phase = 0.0  # tone phase, cycles
        self._click_phase = 0.0  # click phase, clicks
        self._tail = np.zeros(0)  # the part of a click that spills into the next block

    def render(self, n_frames: int, pressure: float) -> np.ndarray:
        """The next `n_frames` samples (float64 in -1..1) for the latest `pressure`."""
        out = np.zeros(int(n_frames))
        if n_frames <= 0:
            return out
        tail, self._tail = self._tail, np.zeros(0)
        m = min(tail.size, out.size)
        out[:m] = tail[:m]
        if tail.size > m:
            self._tail = tail[m:]
        fb = self.feedback
        sr = self.sample_rate_hz
        if fb.mode == "tone":
            hz = float(fb.tone_hz(pressure))
            if hz > 0:
                cycles = self._phase + hz * np.arange(n_frames) / sr
                out += self.amplitude * np.sin(2 * np.pi * cycles)
                self._phase = (self._phase + hz * n_frames / sr) % 1.0
            else:
                self._phase = 0.0
        elif fb.mode == "clicks":
            rate = float(fb.click_rate_hz(pressure))
            if rate > 0:
                start = self._click_phase
                ph = start + rate * np.arange(1, n_frames + 1) / sr
                at = np.flatnonzero(np.diff(np.floor(np.concatenate(([start], ph)))) > 0)
                self._click_phase = float(ph[-1] % 1.0)
                self._add_clicks(out, at)
            else:
                self._click_phase = 0.0
        return out

    def render_int16(self, n_frames: int, pressure: float) -> bytes:
        """:meth:`render` as little-endian signed 16-bit mono PCM bytes."""
        return (np.clip(self.render(n_frames, pressure), -1, 1) * 32767).astype("<i2").tobytes()

    def _add_clicks(self, out: np.ndarray, at: np.ndarray) -> None:
        c = self.amplitude * self._click
        for i in at:  # a handful of clicks per block (<= 25 Hz), not a loop over samples
            end = min(i + c.size, out.size)
            out[i:end] += c[: end - i]
            if i + c.size > out.size:
                spill = c[end - i:]
                tail = np.zeros(max(self._tail.size, spill.size))
                tail[: self._tail.size] += self._tail
                tail[: spill.size] += spill
                self._tail = tail
