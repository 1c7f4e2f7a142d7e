"""The model of one trial's samples.

A :class:`Recording` is a struct of 1-D numpy arrays with fixed units: time in s, positions in
mm, pressure as a fraction 0..1 of the device range, tilt in degrees, and a boolean pen state.
It validates what it is given and nothing more: cleaning, sorting and rebuilding the sample
clock belong to :mod:`kinewrite.analysis.preprocess`, so the stored data stay what the device
delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import RecordingError

__all__ = ["TASKS", "Recording", "RecordingError"]

#: The standard writing tasks (docs/science.md §9); ``free`` is anything else.
TASKS: tuple[str, ...] = ("spiral", "loops", "sentence", "circles", "lines", "free")


def _as_float_array(name: str, values: object) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{name} is not numeric ({exc})") from None
    if arr.ndim != 1:
        raise RecordingError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class Recording:
    """One trial's samples.

    Parameters
    ----------
    t : array_like of float
        Sample times in s. May be irregular, ms-quantized, duplicated or unsorted, as tablets
        deliver them; must be finite.
    x, y : array_like of float
        Pen position on the writing surface in mm (y pointing up). Must be finite.
    pressure : array_like of float, optional
        Axial pen pressure as a fraction 0..1 of the device range. ``None`` when the device
        gives none (mouse); pressure features are then NaN.
    pen_down : array_like of bool, optional
        True where the pen touches the surface, False while it hovers. Default all True.
    tilt_x, tilt_y : array_like of float, optional
        Pen tilt in degrees.
    pressure_ceiling : float, default 1.0
        The device's saturation level on the pressure scale (1.0 is the device maximum).
    pressure_newton_coeffs : tuple of float, default ()
        The stylus profile's force curve, ``force_N = polyval(coeffs, pressure) - tare_N``
        (:func:`kinewrite.analysis.force.pressure_to_newtons`); empty when the stylus was
        not calibrated (force features are then NaN).
    tare_N : float, default 0
        The profile's tare, N.

    Raises
    ------
    RecordingError
        If the recording is empty, the arrays differ in length, or a value is not finite
        (NaN or inf in t, x, y, pressure or tilt), or pressure is outside 0..1.

    Examples
    --------
    >>> import numpy as np
    >>> rec = Recording(t=np.arange(5) / 100, x=np.arange(5.0), y=np.zeros(5))
    >>> rec.n_samples, bool(rec.pen_down.all())
    (5, True)
    """

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    pressure: np.ndarray | None = None
    pen_down: np.ndarray | None = None
    tilt_x: np.ndarray | None = None
    tilt_y: np.ndarray | None = None
    pressure_ceiling: float = 1.0
    pressure_newton_coeffs: tuple[float, ...] = ()
    tare_N: float = 0.0
    units: dict[str, str] = field(
        default_factory=lambda: {
            "t": "s", "x": "mm", "y": "mm", "pressure": "1", "tilt_x": "deg", "tilt_y": "deg",
        }
    )

    @property
    def pen_down_mask(self) -> np.ndarray:
        """:attr:`pen_down` as a boolean array: construction fills it (all True when it was
        not given), so this is it, typed without ``None``."""
        if self.pen_down is None:  # pragma: no cover (__post_init__ always fills it)
            return np.ones(self.t.size, dtype=bool)
        return self.pen_down

    def __post_init__(self) -> None:
        setter = object.__setattr__
        t = _as_float_array("t", self.t)
        n = t.size
        if n == 0:
            raise RecordingError("recording is empty (no samples)")
        setter(self, "t", t)
        for name in ("x", "y"):
            setter(self, name, _as_float_array(name, getattr(self, name)))
        for name in ("pressure", "tilt_x", "tilt_y"):
            value = getattr(self, name)
            if value is not None:
                setter(self, name, _as_float_array(name, value))
        if self.pen_down is None:
            setter(self, "pen_down", np.ones(n, dtype=bool))
        else:
            pen = np.asarray(self.pen_down)
            if pen.ndim != 1:
                raise RecordingError(f"pen_down must be 1-D, got shape {pen.shape}")
            if pen.dtype != bool:
                try:
                    pen_f = pen.astype(np.float64)
                except (TypeError, ValueError):
                    raise RecordingError("pen_down must hold booleans or 0/1") from None
                if not np.all(np.isin(pen_f, (0.0, 1.0))):
                    raise RecordingError("pen_down must hold booleans or 0/1")
                pen = pen_f.astype(bool)
            setter(self, "pen_down", pen)
        for name in ("x", "y", "pressure", "pen_down", "tilt_x", "tilt_y"):
            value = getattr(self, name)
            if value is not None and value.size != n:
                raise RecordingError(
                    f"{name} has {value.size} samples but t has {n}: lengths differ"
                )
        for name in ("t", "x", "y", "pressure", "tilt_x", "tilt_y"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(value)):
                bad = int(np.count_nonzero(~np.isfinite(value)))
                raise RecordingError(f"{name} has {bad} non-finite value(s) (NaN or inf)")
        if self.pressure is not None and (
            self.pressure.min() < 0.0 or self.pressure.max() > 1.0
        ):
            raise RecordingError(
                "pressure must be a fraction 0..1 of the device range, "
                f"got {self.pressure.min():g}..{self.pressure.max():g}"
            )
        ceiling = float(self.pressure_ceiling)
        if not 0.0 < ceiling <= 1.0:
            raise RecordingError(f"pressure_ceiling must be in (0, 1], got {ceiling:g}")
        setter(self, "pressure_ceiling", ceiling)
        coeffs = tuple(float(c) for c in np.atleast_1d(
            np.asarray(self.pressure_newton_coeffs, dtype=np.float64)))
        if not all(np.isfinite(coeffs)) or not np.isfinite(self.tare_N):
            raise RecordingError("pressure_newton_coeffs and tare_N must be finite")
        setter(self, "pressure_newton_coeffs", coeffs)
        setter(self, "tare_N", float(self.tare_N))

    @property
    def n_samples(self) -> int:
        """Number of samples, pen down and up."""
        return int(self.t.size)

    @property
    def has_pressure(self) -> bool:
        """Whether the device reported pen pressure."""
        return self.pressure is not None
