"""The pressure pad the calibration reads, and the stylus profile reaching the session."""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import Qt

from kinewrite import Recording, load_session
from kinewrite.acquisition.calibration import (
    ScreenMapping,
    fit_pressure_profile,
    save_profile,
)
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.pressure_pad import PressurePad
from kinewrite.gui.synthetic_pen import SyntheticPen
from kinewrite.gui.workflow import RecordWorkflow
from kinewrite.simulate import simulate_trial


def _rest(t_s: np.ndarray, pressure: np.ndarray, down: np.ndarray) -> Recording:
    return Recording(t=t_s, x=np.full(t_s.size, 10.0), y=np.full(t_s.size, 10.0),
                     pressure=pressure, pen_down=down)


def test_pad_reads_the_mean_of_the_last_second(qtbot) -> None:
    make_application()
    pad = PressurePad()
    qtbot.addWidget(pad)
    pad.show()
    pen = SyntheticPen(pad.canvas, ScreenMapping.from_dpi(96.0))
    t = np.arange(0, 3.0, 0.005)
    # A weight put on: 0.2 for 2 s, then 0.6 for the last second.
    pressure = np.where(t < 2.0, 0.2, 0.6)
    pen.write(_rest(t, pressure, np.ones(t.size, bool)))
    # write() lifts the pen at the end: the last second then holds a release, so NaN.
    assert math.isnan(pad.mean_pressure_last_second())
    samples = pad.samples
    samples._rows.pop()  # the release sample: as if the pen were still resting
    assert abs(pad.mean_pressure_last_second() - 0.6) < 0.01


def test_stylus_profile_goes_into_the_session(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    fractions = np.array([0.1, 0.25, 0.45, 0.7, 0.9])
    newtons = 2 * fractions**2 + 4 * fractions
    profile = fit_pressure_profile(fractions, newtons, degree=2, stylus="Pro Pen 2")
    save_profile(profile)
    make_application()
    study = tmp_path / "study"
    study.mkdir()
    w = RecordWorkflow(study, ScreenMapping.from_dpi(100.0))
    qtbot.addWidget(w)
    w.show()
    w.setup.code_edit.setText("PP-01")
    w.setup.metadata_form.set_values({"stylus": "pro pen 2", "hand": "right"})
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.start_trial()
    rec = simulate_trial("loops", 10.0, seed=1, rate_hz=200.0).recording
    SyntheticPen(w.panel.canvas, ScreenMapping.from_dpi(100.0)).write(rec)
    w.panel.stop()
    cal = load_session(w.writer.path).calibration
    assert np.allclose(cal.pressure_newton_coeffs, profile.coeffs)
    assert "Pro Pen 2" in cal.source
    force_n = np.polyval(cal.pressure_newton_coeffs, 0.5) - cal.tare_N
    assert abs(force_n - 2.5) < 0.05  # 2·0.5² + 4·0.5 N
