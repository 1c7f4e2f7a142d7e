"""The calibration dialog (PyQt6): pixels to mm, and a stylus's pressure curve in newtons.

Two pages over :mod:`kinewrite.acquisition.calibration` (which does every computation),
:mod:`~kinewrite.gui.calibration_geometry` and :mod:`~kinewrite.gui.calibration_pressure`;
this module assembles them into the dialog:

- **Geometry**: the screen's physical size as Qt reports it (editable: monitors often report
  a wrong size), or a tablet's active area and the screen area it is mapped to; a check
  drawing (a 100 mm horizontal line, a 100 mm vertical line, a 50 mm square) drawn with the
  current mapping, and the lengths the therapist measured, which correct the scale.
- **Pressure**: the stylus's name, known weights resting on the pen tip (g, shown in N at
  9.81 m/s²) and the pressure fraction read under each (a *Read* button asks a callable the
  caller passes for the mean pressure of the last second, so the dialog works without a
  tablet in tests), the reading with no weight (tare), a least-squares fit showing its
  coefficients and residual, and saving the profile.

Usage::

    dlg = CalibrationDialog(parent, read_pressure=canvas.mean_pressure_last_second)
    if dlg.exec():
        cal, profile = dlg.calibration(origin_px=...), dlg.profile()
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtGui import QScreen
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from ..acquisition.calibration import CalibrationError, PressureProfile, calibration
from ..storage.calibration import Calibration
from .calibration_geometry import CheckDrawing, GeometryPageMixin
from .calibration_pressure import DEFAULT_WEIGHTS_G, PressurePageMixin
from .text import PlainLabel

__all__ = ["DEFAULT_WEIGHTS_G", "CalibrationDialog", "CheckDrawing"]


class CalibrationDialog(GeometryPageMixin, PressurePageMixin, QDialog):
    """Geometry and pressure calibration; see the module docstring.

    Parameters
    ----------
    parent : QWidget, optional
    screen : QScreen, optional
        The screen whose reported size fills the geometry page (default: the primary one).
    read_pressure : callable, optional
        Returns the mean pen pressure (fraction 0..1) of the last second, NaN if the pen was
        not touching. Without it (and without `with_pad`) the *Read* buttons are disabled and
        readings are typed.
    with_pad : bool, default False
        Put a :class:`~kinewrite.gui.pressure_pad.PressurePad` on the pressure page, which
        the *Read* buttons read (unless `read_pressure` is given). It is a child of the
        dialog, so the pen reaches it while the dialog is open (a modal dialog blocks every
        other window's input).
    profile : PressureProfile, optional
        A profile to start from (its points fill the table).
    profile_dir : path, optional
        Where *Save profile* writes (default ``$KINEWRITE_CONFIG_DIR/styluses``).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        screen: QScreen | None = None,
        read_pressure: Callable[[], float] | None = None,
        profile: PressureProfile | None = None,
        profile_dir: str | os.PathLike[str] | None = None,
        with_pad: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration")
        self.pad = None
        if with_pad:
            from .pressure_pad import PressurePad

            self.pad = PressurePad(self)
            read_pressure = read_pressure or self.pad.mean_pressure_last_second
        self._read_pressure = read_pressure
        self._profile_dir = profile_dir
        self._profile: PressureProfile | None = profile
        self._correction_notes: list[tuple[str, float, float]] = []
        self.saved_path: Path | None = None
        screen = screen or self.screen()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_geometry_page(screen), "Geometry")
        self.tabs.addTab(self._build_pressure_page(), "Pressure")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.status = PlainLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        if profile is not None:
            self._show_profile(profile)
        self._update_geometry()
        hint = self.sizeHint()
        self.resize(max(hint.width(), 1000), max(hint.height(), 720))
        self._fit_on_screen(screen)

    def _fit_on_screen(self, screen: QScreen | None) -> None:
        """Never larger than the screen's free area, and centred on the parent (or the
        screen): never behind or past the edge of the main window's screen."""
        screen = (self.parentWidget().screen() if self.parentWidget() is not None
                  else screen)
        if screen is None:
            return
        free = screen.availableGeometry()
        self.resize(min(self.width(), free.width() - 40), min(self.height(),
                                                             free.height() - 60))
        anchor = (self.parentWidget().frameGeometry() if self.parentWidget() is not None
                  else free)
        x = anchor.center().x() - self.width() // 2
        y = anchor.center().y() - self.height() // 2
        x = max(free.left(), min(x, free.right() - self.width()))
        y = max(free.top(), min(y, free.bottom() - self.height()))
        self.move(x, y)

    # ------------------------------------------------------------------ results
    def calibration(self, *, origin_px: tuple[float, float] = (0.0, 0.0),
                    pressure_max: float = 1.0) -> Calibration:
        """The session :class:`Calibration` from the current mapping and profile (see
        :func:`kinewrite.acquisition.calibration.calibration` for `origin_px`)."""
        return calibration(self.mapping(), self._profile, origin_px=origin_px,
                           pressure_max=pressure_max)

    # ------------------------------------------------------------------ helpers
    def _accept(self) -> None:
        try:
            self.mapping()
        except CalibrationError as exc:
            self.tabs.setCurrentIndex(0)
            self._say(f"The geometry is not usable: {exc}", error=True)
            return
        self.accept()

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020" if error else "")
        self.status.setText(text)
