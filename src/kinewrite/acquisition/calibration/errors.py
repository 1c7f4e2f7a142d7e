"""The error of a calibration input that cannot be right (Qt-free)."""

from __future__ import annotations

from ...errors import InputError

__all__ = ["CalibrationError"]


class CalibrationError(InputError):
    """Calibration input that cannot be right; one-line message saying what and why."""
