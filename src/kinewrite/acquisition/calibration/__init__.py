"""Calibration: widget pixels to mm, and a stylus's pressure reading to newtons.

Two steps, combined by :func:`calibration` into the
:class:`~kinewrite.storage.calibration.Calibration` stored with every session:

1. **Geometry** (:class:`ScreenMapping`): how many mm of writing surface one logical pixel of
   the recording widget stands for, per axis.

   - A pen display, or a mouse: the screen's physical size over its size in logical pixels
     (Qt: ``QScreen.physicalSize()`` in mm and ``QScreen.geometry()`` in logical px), or
     25.4 / ``QScreen.physicalDotsPerInch()``. Monitors often report a wrong size (EDID), so
     the therapist measures a drawn line with a ruler and corrects it
     (:meth:`ScreenMapping.corrected`).
   - A tablet beside the screen, mapped to a screen area: the tablet's active area in mm over
     the mapped area in px, per axis (they differ when the driver does not keep proportions).

   Widget y grows downwards; the stored calibration has a negative ``y_mm_per_unit`` so that
   y grows upwards in mm, as the analysis expects.
2. **Pressure** (:class:`PressureProfile`): per stylus, known weights rest on the pen tip and
   the pressure fraction (0..1) it reports is read; a least-squares polynomial maps the
   fraction to newtons (stylus profiling). Pen pressure is axial tip force, a proxy of grip
   (docs/science.md §1).

Profiles are JSON files in ``$KINEWRITE_CONFIG_DIR/styluses/`` (default
``~/.config/kinewrite/styluses/``), written atomically. This package never imports Qt.

The rooms: :mod:`.mapping` (geometry), :mod:`.pressure` (stylus profiles and their JSON
form), :mod:`.profile_files` (the profile files), :mod:`.combine` (the session
calibration), :mod:`.errors` (:class:`CalibrationError`).
"""

from .combine import calibration
from .errors import CalibrationError
from .mapping import ScreenMapping
from .pressure import (
    GRAVITY_M_S2,
    PROFILE_FORMAT,
    PressureProfile,
    fit_pressure_profile,
    grams_to_newtons,
)
from .profile_files import list_profiles, load_profile, profile_path, save_profile, styluses_dir

__all__ = [
    "GRAVITY_M_S2",
    "PROFILE_FORMAT",
    "CalibrationError",
    "PressureProfile",
    "ScreenMapping",
    "calibration",
    "fit_pressure_profile",
    "grams_to_newtons",
    "list_profiles",
    "load_profile",
    "profile_path",
    "save_profile",
    "styluses_dir",
]
