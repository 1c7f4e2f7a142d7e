"""Tools > Test tablet (offscreen, synthesized tablet events): the dialog runs the test
from the first pen event for its length and shows the report with the verdict. The same
dialog through a real X server's tablet path: ``test_xorg_pen.py``."""

from __future__ import annotations

import numpy as np

from kinewrite import Recording
from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.gui.main_window import MainWindow
from kinewrite.gui.synthetic_pen import SyntheticPen
from kinewrite.gui.tablet_check import TabletCheckDialog


def test_dialog_reports_the_synthetic_pen(qtbot):
    dialog = TabletCheckDialog(seconds=0.3)
    qtbot.addWidget(dialog)
    dialog.resize(700, 500)
    dialog.show()
    qtbot.waitExposed(dialog)
    n = 400
    t = np.arange(n) / 200.0
    rec = Recording(t=t, x=20 * np.cos(t * 3), y=10 * np.sin(t * 3),
                    pressure=np.linspace(0.1, 0.8, n),
                    pen_down=(np.arange(n) >= 40) & (np.arange(n) < 360))
    pen = SyntheticPen(dialog.canvas, ScreenMapping.from_dpi(96.0))
    with qtbot.waitSignal(dialog.reported, timeout=5000) as got:
        pen.write(rec, center_px=(300, 200))
    report = got.args[0]
    assert report.device_name == "kinewrite synthetic pen"
    assert report.pointer_type == "pen" and report.tilt
    assert report.timestamp_source == "host"  # synthesized events carry no timestamp
    assert report.hover and report.pressure_levels > 300
    assert "Verdict: Ready for recording" in dialog.result.text()


def test_tools_menu_has_test_tablet(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    window = MainWindow(None)
    qtbot.addWidget(window)
    tools = next(a.menu() for a in window.menuBar().actions() if "Tools" in a.text())
    labels = [a.text() for a in tools.actions()]
    assert "&Test tablet…" in labels
    monkeypatch.setattr(TabletCheckDialog, "exec", lambda self: 0)  # no modal loop
    next(a for a in tools.actions() if a.text() == "&Test tablet…").trigger()
    assert isinstance(window.tablet_check, TabletCheckDialog)
