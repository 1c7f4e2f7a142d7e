"""Screenshots of every screen of the therapist app, for the README.

Runs the real app offscreen and drives it as a therapist would, with a synthetic pen writing
simulated trials through real tablet events::

    .venv/bin/python docs/screenshots/make_screenshots.py [--out docs/screenshots]
        [--only 12-review 13-progress]

``--only`` writes just the named screenshots (the app is still driven through every step,
which the later screens need); the others keep their files, so a change to one screen
regenerates only its pictures.

Uses a temporary study and configuration folder (your settings are not touched); the review
and progress screens show the bundled simulated study (``data/samples/study``) when present.
Every trial shown is SIMULATED.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PyQt6.QtWidgets import QApplication, QWidget

from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.calibration import CalibrationDialog
from kinewrite.gui.clinical import AddsDialog, TreatmentEventDialog, WcrsDialog
from kinewrite.gui.main_window import MainWindow
from kinewrite.gui.synthetic_pen import SyntheticPen
from kinewrite.simulate import simulate_trial

ROOT = Path(__file__).resolve().parents[2]
SIZE = (1400, 900)


def settle(app: QApplication, rounds: int = 8) -> None:
    for _ in range(rounds):
        app.processEvents()


#: The screenshots to write (file stems); empty: all of them.
ONLY: set[str] = set()


def shoot(app: QApplication, widget: QWidget, out: Path, name: str) -> Path:
    settle(app)
    path = out / name
    if ONLY and path.stem not in ONLY:
        return path
    if not widget.grab().save(str(path)):
        raise OSError(f"{path}: could not write the PNG")
    print(path)
    return path


def guide_center(wf) -> tuple[float, float]:
    """Centre of the current task's guide in canvas px (where the pen writes)."""
    lines = wf.panel.guide_polylines_px()
    pts = np.vstack(lines)
    return float((pts[:, 0].min() + pts[:, 0].max()) / 2), float(
        (pts[:, 1].min() + pts[:, 1].max()) / 2)


def live(app: QApplication, wf) -> None:
    """Let the recorder's thread drain the samples, then refresh the live quality line."""
    time.sleep(0.2)
    wf.panel._show_live()
    settle(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="write only these screenshots (e.g. 13-progress; default: all)")
    args = parser.parse_args(argv)
    ONLY.clear()
    ONLY.update(Path(name).stem for name in args.only)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="kinewrite-shots-"))
    os.environ["KINEWRITE_CONFIG_DIR"] = str(tmp / "config")
    try:
        return _shots(out, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _shots(out: Path, tmp: Path) -> int:
    app = make_application([sys.argv[0]])
    mapping = ScreenMapping.from_dpi(96.0)
    study = tmp / "study"
    study.mkdir()
    window = MainWindow(study, mapping=mapping)
    window.resize(*SIZE)
    window.show()
    wf = window.record

    # 1. Session setup: a patient code (never a name), protocol, input, metadata.
    wf.setup.code_edit.setText("WC-017")
    wf.setup.metadata_form.set_values({
        "hand": "right", "handedness": "right", "wc_subtype": "dystonic",
        "pen_grip": "conventional", "eyes": "open", "operator": "therapist 2",
        "device": "Wacom Intuos Pro M", "stylus": "Pro Pen 2",
    })
    shoot(app, window, out, "01-session-setup.png")

    # 2. Recording the cursive loops: the guide, the ink so far, the live quality line.
    wf.start_session()
    protocol_keys = [s.key for s in wf.protocol.tasks]
    wf.task_list.setCurrentRow(protocol_keys.index("loops"))
    settle(app)
    pen = SyntheticPen(wf.panel.canvas, mapping)
    loops = simulate_trial("loops", 10.0, seed=7, rate_hz=200.0, tremor_hz=6.0,
                           tremor_mm=0.15).recording
    wf.start_trial()
    half = loops.t < loops.t[0] + 6.0
    first = _part(loops, half)
    cx, cy = guide_center(wf)
    width_px = (loops.x.max() - loops.x.min()) / mapping.x_mm_per_px
    where = (cx - width_px / 2 + (first.x.max() - first.x.min()) / mapping.x_mm_per_px / 2, cy)
    pen.write(first, center_px=where)
    live(app, wf)
    shoot(app, window, out, "02-recording-loops.png")

    # 3. The trial's key numbers at once, with the checks, and Redo / Next.
    rest = _part(loops, ~half)
    pen.write(rest, center_px=(cx + width_px / 2
                               - (rest.x.max() - rest.x.min()) / mapping.x_mm_per_px / 2, cy))
    wf.panel.stop()
    shoot(app, window, out, "03-trial-result.png")

    # 4. A trial stopped too early: the checks say so, Redo is one click.
    wf.next_task()
    wf.start_trial()
    short = simulate_trial("circles", 3.0, seed=2, rate_hz=200.0).recording
    pen.write(short, center_px=guide_center(wf))
    wf.panel.stop()
    shoot(app, window, out, "04-trial-too-short.png")

    # 5. The spiral traced on its guide, being recorded.
    wf.task_list.setCurrentRow(protocol_keys.index(
        next(s.key for s in wf.protocol.tasks if s.task == "spiral" and s.show_guide)))
    settle(app)
    wf.start_trial()
    spiral = simulate_trial("spiral", 12.0, seed=5, rate_hz=200.0, tremor_hz=6.3,
                            tremor_mm=0.3).recording
    pen.write(_part(spiral, spiral.t < spiral.t[0] + 9.0), center_px=guide_center(wf))
    live(app, wf)
    shoot(app, window, out, "05-recording-spiral.png")
    wf.panel.stop()

    # 6. End of the session: clinical scales and treatment events.
    wf.finish()
    shoot(app, window, out, "06-session-done.png")
    for name, dialog in (("07-adds.png", AddsDialog(window)), ("08-wcrs.png", WcrsDialog(window)),
                         ("09-treatment-event.png", TreatmentEventDialog(window))):
        dialog.show()
        shoot(app, dialog, out, name)
        dialog.close()
    cal = CalibrationDialog(window, with_pad=True)  # the pad on the pressure page
    cal.show()
    shoot(app, cal, out, "10-calibration-geometry.png")
    cal.tabs.setCurrentIndex(1)
    shoot(app, cal, out, "11-calibration-pressure.png")
    cal.close()
    wf.close_session()

    # 7. Review and progress on the bundled simulated study.
    sample = ROOT / "data" / "samples" / "study"
    if sample.is_dir():
        window.set_study(sample)
        patients = window.patient_combo.count()
        if patients:
            window.select_patient(window.patient_combo.itemText(0))
            window.show_view("review")
            shoot(app, window, out, "12-review.png")
            window.show_view("progress")
            shoot(app, window, out, "13-progress.png")
    else:
        print(f"{sample}: no sample study; review and progress screenshots skipped",
              file=sys.stderr)
    window.close()
    return 0


def _part(rec, mask):
    from kinewrite.model import Recording

    return Recording(t=rec.t[mask], x=rec.x[mask], y=rec.y[mask],
                     pressure=None if rec.pressure is None else rec.pressure[mask],
                     pen_down=None if rec.pen_down is None else rec.pen_down[mask])


if __name__ == "__main__":
    sys.exit(main())
