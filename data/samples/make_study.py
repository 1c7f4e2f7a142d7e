"""Regenerate the bundled SIMULATED sample study ``data/samples/study/`` (deterministic but
for the session ids).

A simulated patient, ``SIM-001``, with writer's cramp of the right hand, seen 6 times over 5
months. After session 2 a botulinum toxin injection (onabotulinumtoxinA, 80 U: 30 U in FCR,
50 U in FDS): tremor and pen pressure fall and the writing rhythm recovers over the following
sessions; pen-grip training starts at session 4. Every trial is made by
:func:`kinewrite.simulate.simulate_trial` and written through
:class:`~kinewrite.storage.writer.SessionWriter` with input ``simulated``; no person wrote
any of it.

Each session is dated to its visit (09:30 UTC) with ``SessionWriter.create(created=...)``,
which sets the root attribute ``created`` and the file name ``session-<created>-<id8>.h5``,
so the progress view spreads them over 5 months. The writer still stamps the trials'
``started``/``ended`` and the features' ``computed`` with the time they are written: the
script back-dates those after writing. Session ids are random (UUID4), so regenerating gives
new file names (same dates, same content otherwise).

Usage::

    python data/samples/make_study.py [OUT_DIR]     # default: data/samples/study
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h5py
import numpy as np

from kinewrite.simulate import simulate_trial
from kinewrite.storage.calibration import Calibration
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

PATIENT = "SIM-001"
#: The standard protocol's steps: (protocol task key, analysis task, guide shown, repeats).
#: The spiral is traced on the guide and drawn free (two protocol tasks of task "spiral");
#: the sentence is written twice, so each visit measures its own trial-to-trial noise.
STEPS = (("spiral_guided", "spiral", 1, 1), ("spiral_free", "spiral", 0, 1),
         ("loops", "loops", 1, 1), ("sentence", "sentence", 1, 2),
         ("circles", "circles", 1, 1), ("lines", "lines", 1, 1))
TASK_ORDER = tuple(dict.fromkeys(task for _, task, _, _ in STEPS))
#: A SIMULATED stylus profile (force_N = 1.0 p^2 + 2.2 p): pen force in newtons.
STYLUS_COEFFS = (1.0, 2.2, 0.0)
TREMOR_HZ = 5.5
#: (visit date, tremor peak amplitude mm, pressure mean 0..1, pressure drift 1/s,
#:  sentence stroke Hz, loop Hz) per session: worse before the injection, better after.
VISITS = (
    ("2025-09-08", 0.45, 0.62, 0.012, 2.2, 1.4),
    ("2025-10-06", 0.50, 0.66, 0.014, 2.0, 1.3),
    ("2025-11-10", 0.22, 0.50, 0.006, 3.1, 1.9),
    ("2025-12-08", 0.14, 0.44, 0.004, 3.7, 2.2),
    ("2026-01-12", 0.10, 0.40, 0.002, 4.1, 2.4),
    ("2026-02-09", 0.09, 0.37, 0.001, 4.4, 2.5),
)
TOXIN = ("2025-10-13", ["flexor carpi radialis", "flexor digitorum superficialis"], 80.0)
TOXIN_PRODUCT = "onabotulinumtoxinA (Botox)"
TOXIN_DOSES_U = {"flexor carpi radialis": 30.0, "flexor digitorum superficialis": 50.0}
TRAINING = "2025-12-08"
#: ADDS activities 0-3 (Fahn) and WCRS movement/speed items per visit.
ADDS_ITEMS = ("writing", "buttoning", "eating", "drinking", "brushing_teeth", "combing_hair",
              "handling_coins")
ADDS = ((3, 1, 1, 0, 1, 0, 1), (3, 1, 1, 1, 1, 0, 1), (2, 1, 0, 0, 1, 0, 0),
        (2, 0, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0, 0))
WCRS = ((7, 2), (8, 2), (5, 1), (4, 1), (3, 1), (2, 0))


def write_session(study: Path, number: int, visit: tuple) -> Path:
    date, tremor_mm, p_mean, p_drift, stroke_hz, loop_hz = visit
    after_toxin = date > TOXIN[0]
    meta = {
        "hand": "right", "handedness": "right", "wc_subtype": "dystonic",
        "pen_grip": "modified" if date >= TRAINING else "conventional",
        "tremor_present": "yes" if tremor_mm > 0.2 else "no",
        "device": "SIMULATED pen (kinewrite data/samples/make_study.py)",
        "protocol": "standard: " + ", ".join(key for key, _, _, _ in STEPS),
        "stylus": "SIMULATED stylus (profile 1.0 p^2 + 2.2 p N)",
        "notes": "SIMULATED patient: no person wrote these trials.",
    }
    if after_toxin:
        meta.update(last_botox_date=TOXIN[0], last_botox_muscles=", ".join(TOXIN[1]))
    start = datetime.fromisoformat(date).replace(hour=9, minute=30, tzinfo=UTC)
    cal = Calibration(pressure_newton_coeffs=STYLUS_COEFFS,
                      source="SIMULATED: positions in mm; pressure: SIMULATED stylus profile")
    writer = SessionWriter.create(study, PATIENT, meta, calibration=cal, created=_iso(start))
    with writer:
        k = 0
        for key, task, guide_shown, repeats in STEPS:
            for _ in range(repeats):
                trial = simulate_trial(
                    task, seed=1000 * number + k, tremor_hz=TREMOR_HZ, tremor_mm=tremor_mm,
                    pressure_mean=p_mean, pressure_drift_per_s=p_drift, stroke_hz=stroke_hz,
                    loop_hz=loop_hz)
                k += 1
                rec = trial.recording
                writer.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                                   channels=("t", "x", "y", "pressure", "state"),
                                   units={"x": "mm", "y": "mm", "pressure": "1"},
                                   attrs={"simulated_truth": trial.truth,
                                          "protocol_task": key, "guide_shown": guide_shown})
                writer.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                              state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
                finish_trial(writer, "complete")
        adds = dict(zip(ADDS_ITEMS, ADDS[number - 1], strict=True))
        writer.add_clinical("ADDS", adds, date, rater="SIM")
        movement, speed = WCRS[number - 1]
        writer.add_clinical("WCRS", {"writing_movement": movement, "writing_speed": speed},
                            date, rater="SIM")
        if number == 2:
            writer.add_event("botulinum_toxin", TOXIN[0], TOXIN[1], TOXIN[2],
                             product=TOXIN_PRODUCT, doses_units=TOXIN_DOSES_U,
                             notes="SIMULATED; EMG-guided")
        if date == TRAINING:
            writer.add_event("pen_grip_training", TRAINING,
                             notes="SIMULATED; weekly sessions, modified pen grip")
    _backdate_trials(writer.path, start)
    return writer.path


def _backdate_trials(path: Path, start: datetime) -> None:
    """The trials' started/ended and the features' computed time, to the visit."""
    with h5py.File(path, "r+") as f:
        for i, name in enumerate(sorted(f["trials"])):
            g = f["trials"][name]
            g.attrs["started"] = _iso(start + timedelta(minutes=2 + 3 * i))
            g.attrs["ended"] = _iso(start + timedelta(minutes=3 + 3 * i))
        for group in ("trials", "clinical", "events"):
            for name in f[group]:  # the features' computed time, the same way
                if "features" in f[group][name]:
                    f[group][name]["features"].attrs["computed"] = _iso(start)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for number, visit in enumerate(VISITS, start=1):
        print(write_session(out, number, visit))
    (out / "SIMULATED.txt").write_text(
        "Every session in this folder is SIMULATED by kinewrite (data/samples/make_study.py):\n"
        "no person wrote these trials. Patient SIM-001 is fictitious.\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "study")
