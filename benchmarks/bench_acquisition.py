"""Speed of the acquisition path: tablet events ingested per second with the live view
drawing, and the cost of drawing the live ink.

Usage: ``python benchmarks/bench_acquisition.py [--quick] [--xorg] [--json OUT]``. Prints the
machine and the tables and writes them as JSON (default ``benchmarks/results/acquisition.json``,
with ``--xorg`` ``acquisition_xorg.json``). Runs offscreen (``QT_QPA_PLATFORM=offscreen`` unless
set), in about half a minute (``--quick``: a few seconds).

``--xorg``: the *live* measurement through a real X server's tablet path instead (as root,
with xserver-xorg-core and xserver-xorg-video-dummy): Xorg with the ``inputtest`` virtual
stylus (``tools/xorg_pen.py``) and this process as its Qt client on the xcb platform. A
sender thread writes ``n`` pen events (press, touching moves with pressure) to the driver's
socket as fast as it can; the server stamps them, sends XInput2 events, Qt's xcb reader makes
``QTabletEvent`` s of them, the canvas draws live and a ``TrialRecorder`` writes HDF5. Timed
from the first write until every event is in the buffer, drawn and written; events/s =
n / that time. Also reported: the sender's own rate (its upper bound) and whether every
event arrived.

Method
------
Inputs
    Synthesized ``QTabletEvent`` s of one stylus (``QPointingDevice``, pointer type pen):
    a pen-down path of circles 250 px in radius with sub-pixel noise, pressure varying
    0.1..0.9 (so the ink width changes) and tilt. Events are built before any timed region:
    a platform plugin builds them in C++, so their construction in Python is not ours to
    count. The canvas (``TabletCanvas``, 1000 x 750 logical px) is shown in a window.
Ingestion
    *handler*: each event delivered with ``QApplication.sendEvent``: the canvas handler only
    (sample pushed to a ``SampleBuffer``, point queued for drawing), no drawing meanwhile.
    *live*: the full path a recording takes. A ``TrialRecorder`` writes to a session file
    in a temporary folder from its own thread (drain every 50 ms, HDF5 flush every 0.1 s);
    events are posted (``QApplication.postEvent``, as the window system delivers them) in
    chunks of ``chunk`` and the event loop is run after each chunk, so the 60 Hz draw timer
    paints the pending ink and the widget repaints while the stream comes in. Timed from the
    first post until every sample is in the buffer, drawn, and the writer has written it all.
    Events/s = events / that time. Best of ``repeats`` runs (median also reported).
Redraw
    *pending N*: ``TabletCanvas.draw_pending()`` with N touching points pending (the worst
    case: N points arrived while the GUI thread was blocked), best of ``repeats``.
    *tick*: the same with the 3 or 4 points a 200 Hz pen brings per 60 Hz tick, mean over
    2000 ticks. *paint*: one full ``repaint()`` of the window-sized canvas with N points of ink
    already drawn: the blit of the ink image, independent of N by design.
Timing
    ``time.perf_counter_ns``; garbage collector disabled while timing.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PyQt6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info
from kinewrite.acquisition.buffer import SampleBuffer
from kinewrite.acquisition.qt.canvas import TabletCanvas
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.acquisition.recorder import TrialRecorder
from kinewrite.storage.writer import SessionWriter

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "acquisition.json"
TARGET_EVENTS_PER_S = 20_000
MODES = {
    "full": {"n_events": 50_000, "repeats": 5, "chunk": 200, "redraw_sizes": (10_000, 100_000)},
    "quick": {"n_events": 10_000, "repeats": 2, "chunk": 200, "redraw_sizes": (10_000,
                                                                                100_000)},
}
CAPS = (QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
        | QInputDevice.Capability.XTilt | QInputDevice.Capability.YTilt)
_DEVICES: list[QPointingDevice] = []


def pen() -> QPointingDevice:
    """The stylus, made once the application exists."""
    if not _DEVICES:
        _DEVICES.append(QPointingDevice("bench pen", 4242, QInputDevice.DeviceType.Stylus,
                                        QPointingDevice.PointerType.Pen, CAPS, 1, 3))
    return _DEVICES[0]


def pen_path(n: int, seed: int = 0) -> np.ndarray:
    """(n, 4) array of x, y (px), pressure (0..1), x tilt (deg) along circles."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    return np.column_stack([
        500 + 250 * np.cos(k / 120) + rng.uniform(-0.3, 0.3, n),
        375 + 250 * np.sin(k / 120) + rng.uniform(-0.3, 0.3, n),
        0.5 + 0.4 * np.sin(k / 45),
        30 * np.sin(k / 300),
    ])


def make_events(path: np.ndarray) -> list[QTabletEvent]:
    events = []
    for i, (x, y, p, tilt) in enumerate(path):
        pos = QPointF(float(x), float(y))
        kind = QEvent.Type.TabletPress if i == 0 else QEvent.Type.TabletMove
        events.append(QTabletEvent(kind, pen(), pos, pos, float(p), float(tilt), 0.0, 0.0, 0.0,
                                   0.0, Qt.KeyboardModifier.NoModifier,
                                   Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton))
    return events


def new_canvas() -> TabletCanvas:
    canvas = TabletCanvas()
    canvas.resize(1000, 750)
    canvas.show()
    QApplication.processEvents()
    return canvas


def bench_handler(n: int, repeats: int) -> dict[str, Any]:
    """sendEvent per event: the handler's own cost (drawing timer not given a chance)."""
    times = []
    for _ in range(repeats):
        events = make_events(pen_path(n))
        canvas = new_canvas()
        canvas.set_sink(SampleBuffer())
        gc.disable()
        start = time.perf_counter_ns()
        for ev in events:
            QApplication.sendEvent(canvas, ev)
        times.append((time.perf_counter_ns() - start) * 1e-9)
        gc.enable()
        assert canvas.sample_count == n
        canvas.set_sink(None)
        canvas.close()
        canvas.deleteLater()
        QApplication.processEvents()
    return _rate_row("handler (sendEvent, no drawing)", n, times)


def bench_live(n: int, repeats: int, chunk: int) -> dict[str, Any]:
    """postEvent in chunks with the live view drawing and the recorder writing to HDF5."""
    times, paints, ticks = [], [], []
    for r in range(repeats):
        path = pen_path(n, seed=r)
        with tempfile.TemporaryDirectory() as tmp:
            writer = SessionWriter.create(tmp, "BENCH-01")
            recorder = TrialRecorder(writer, "circles", nominal_rate_hz=200.0,
                                     compute_features=False)
            canvas = _CountingCanvas()
            canvas.resize(1000, 750)
            canvas.show()
            QApplication.processEvents()
            canvas.set_sink(recorder.buffer)
            recorder.start()
            gc.disable()
            start = time.perf_counter_ns()
            for a in range(0, n, chunk):
                for i in range(a, min(a + chunk, n)):
                    x, y, p, tilt = path[i]
                    pos = QPointF(float(x), float(y))
                    QApplication.postEvent(canvas, QTabletEvent(
                        QEvent.Type.TabletPress if i == 0 else QEvent.Type.TabletMove, pen(),
                        pos, pos, float(p), float(tilt), 0.0, 0.0, 0.0, 0.0,
                        Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
                        Qt.MouseButton.LeftButton))
                QApplication.processEvents()
            while canvas.sample_count < n or canvas._pending or recorder.n_written < n:
                QApplication.processEvents()
                time.sleep(0.001)
            elapsed = (time.perf_counter_ns() - start) * 1e-9
            gc.enable()
            canvas.set_sink(None)
            result = recorder.stop()
            writer.close()
            assert result.n_samples == n
            times.append(elapsed)
            paints.append(canvas.paints)
            ticks.append(canvas.draw_calls)
            canvas.close()
            canvas.deleteLater()
            QApplication.processEvents()
    row = _rate_row(f"live (postEvent x{chunk}, drawing, writing HDF5)", n, times)
    row["note"] = ("includes building each QTabletEvent in Python inside the timed loop "
                   "(posted events are consumed by Qt)")
    row["paints"] = paints
    row["draw_ticks"] = ticks
    return row


class _CountingCanvas(TabletCanvas):
    """Counts repaints and draw-timer ticks."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0
        self.draw_calls = 0

    def paintEvent(self, event) -> None:
        self.paints += 1
        super().paintEvent(event)

    def draw_pending(self, max_points: int | None = None) -> int:
        self.draw_calls += 1
        return super().draw_pending(max_points)


def bench_redraw(sizes: tuple[int, ...], repeats: int) -> list[dict[str, Any]]:
    rows = []
    canvas = new_canvas()
    for n in sizes:
        events = make_events(pen_path(n, seed=1))
        best, paint = [], []
        for _ in range(repeats):
            canvas.clear_ink()
            canvas.draw_pending()
            canvas._timer.stop()  # drawn only by the timed call
            for ev in events:
                QApplication.sendEvent(canvas, ev)
            assert len(canvas._pending) == n
            gc.disable()
            start = time.perf_counter_ns()
            canvas.draw_pending()
            best.append((time.perf_counter_ns() - start) * 1e-9)
            start = time.perf_counter_ns()
            canvas.repaint()
            paint.append((time.perf_counter_ns() - start) * 1e-9)
            gc.enable()
            canvas._timer.start()
        rows.append({"what": f"draw {n} pending points", "n": n,
                     "best_ms": min(best) * 1e3, "median_ms": float(np.median(best)) * 1e3,
                     "paint_best_ms": min(paint) * 1e3,
                     "paint_median_ms": float(np.median(paint)) * 1e3})
    # the steady state: a 200 Hz pen brings 3-4 points per 60 Hz tick (3, 3, 4, ...)
    sizes = np.resize([3, 3, 4], 2000)
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    events = make_events(pen_path(int(bounds[-1]), seed=2))
    canvas.clear_ink()
    canvas.draw_pending()
    canvas._timer.stop()
    total, k = 0, 0
    for a, b in itertools.pairwise(bounds.tolist()):
        for ev in events[a:b]:
            QApplication.sendEvent(canvas, ev)
        gc.disable()
        start = time.perf_counter_ns()
        canvas.draw_pending()
        total += time.perf_counter_ns() - start
        gc.enable()
        k += 1
    rows.append({"what": "draw one 60 Hz tick of a 200 Hz pen (3-4 points)", "n": 4,
                 "best_ms": None, "median_ms": total / k * 1e-6,
                 "paint_best_ms": None, "paint_median_ms": None})
    canvas._timer.start()
    canvas.close()
    return rows


def _rate_row(what: str, n: int, times: list[float]) -> dict[str, Any]:
    best = min(times)
    return {"what": what, "n_events": n, "best_s": best,
            "median_s": float(np.median(times)), "events_per_s_best": n / best,
            "events_per_s_median": n / float(np.median(times)), "k": len(times),
            "us_per_event_best": best / n * 1e6,
            "meets_target": n / best >= TARGET_EVENTS_PER_S}


def bench_xorg_live(xp: Any, n: int, repeats: int) -> dict[str, Any]:
    """The live path fed by the X server: pen events written to the inputtest socket."""
    import threading

    times, send_times, received, paints = [], [], [], []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            writer = SessionWriter.create(tmp, "BENCH-01")
            recorder = TrialRecorder(writer, "circles", nominal_rate_hz=None,
                                     compute_features=False)
            canvas = _CountingCanvas()
            canvas.setGeometry(100, 100, 1000, 750)
            canvas.show()
            for _ in range(20):
                QApplication.processEvents()
                time.sleep(0.02)
            origin = canvas.mapToGlobal(canvas.rect().topLeft())
            path = pen_path(n, seed=r)
            x = path[:, 0] + origin.x()
            y = path[:, 1] + origin.y()
            pressure = np.clip(path[:, 2], 0.01, 1.0)
            canvas.set_sink(recorder.buffer)
            recorder.start()
            pen = xp.pen
            msgs = [None] * n
            import xorg_pen as xpm

            for i in range(n):  # built before timing, as the offscreen benchmark does
                ax, ay = pen.axis(float(x[i]), float(y[i]))
                msgs[i] = (xpm.button_message(True, ax, ay, pressure[i] * xpm.PRESSURE_MAX)
                           if i == 0 else
                           xpm.motion_message(ax, ay, pressure[i] * xpm.PRESSURE_MAX))
            sent: list[float] = []

            def send(msgs=msgs, pen=pen, sent=sent) -> None:
                t0 = time.perf_counter_ns()
                for m in msgs:
                    pen.send(m)
                sent.append((time.perf_counter_ns() - t0) * 1e-9)

            gc.disable()
            start = time.perf_counter_ns()
            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            deadline = time.monotonic() + 60
            last, still = -1, time.monotonic()
            while time.monotonic() < deadline:
                QApplication.processEvents()
                c = canvas.sample_count
                if c >= n and not canvas._pending and recorder.n_written >= c:
                    break
                if c != last:
                    last, still = c, time.monotonic()
                elif not sender.is_alive() and time.monotonic() - still > 2.0:
                    break  # nothing more arrives: events were lost
                time.sleep(0.0005)
            elapsed = (time.perf_counter_ns() - start) * 1e-9
            gc.enable()
            sender.join(10)
            canvas.set_sink(None)
            pen.send(xpm.button_message(False, *pen.axis(float(x[-1]), float(y[-1])), 0.0))
            pen.sync()
            for _ in range(10):
                QApplication.processEvents()
            result = recorder.stop()
            writer.close()
            times.append(elapsed)
            send_times.append(sent[0] if sent else float("nan"))
            received.append(int(result.n_samples))
            paints.append(canvas.paints)
            canvas.close()
            canvas.deleteLater()
            QApplication.processEvents()
    row = _rate_row("live via Xorg (inputtest -> XI2 -> xcb, drawing, HDF5)", n, times)
    row["received"] = received
    row["all_received"] = all(k >= n for k in received)
    row["sender_events_per_s"] = [n / t for t in send_times]
    row["paints"] = paints
    row["note"] = ("events written to the inputtest socket as fast as the sender can; "
                   "timed until all are received, drawn and written")
    return row


def report(out: dict[str, Any]) -> None:
    m = out["machine"]
    print(f"machine: {m['cpu']}, {m['logical_cpus']} CPUs, Python {m['python']}, "
          f"PyQt6 {m['versions'].get('PyQt6')}, commit {m['commit']}")
    print(f"platform plugin: {out['settings']['platform']}\n")
    print(f"{'ingestion':52s} {'events':>8s} {'events/s best':>14s} {'median':>10s} "
          f"{'us/event':>9s}")
    for r in out["ingestion"]:
        print(f"{r['what']:52s} {r['n_events']:8d} {r['events_per_s_best']:14,.0f} "
              f"{r['events_per_s_median']:10,.0f} {r['us_per_event_best']:9.1f}")
        if "draw_ticks" in r:
            print(f"{'':52s} paints {r['paints']}, draw ticks {r['draw_ticks']}")
        if "received" in r:
            print(f"{'':52s} received {r['received']} of {r['n_events']}; sender "
                  + ", ".join(f"{v:,.0f}" for v in r["sender_events_per_s"]) + " events/s")
    print(f"\ntarget: >= {TARGET_EVENTS_PER_S:,} events/s\n")
    if not out.get("redraw"):
        return
    print(f"{'live ink':52s} {'best ms':>8s} {'median ms':>10s} {'repaint ms':>11s}")
    for r in out["redraw"]:
        best = "-" if r["best_ms"] is None else f"{r['best_ms']:.2f}"
        paint = "-" if r["paint_best_ms"] is None else f"{r['paint_best_ms']:.2f}"
        print(f"{r['what']:52s} {best:>8s} {r['median_ms']:10.3f} {paint:>11s}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events and repeats")
    parser.add_argument("--xorg", action="store_true",
                        help="the live path through Xorg's inputtest pen (as root)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT",
                        help=f"where to write the results (default {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    policy = MODES[mode]
    if args.xorg:
        return main_xorg(policy, mode, args.json or DEFAULT_JSON.with_name(
            "acquisition_xorg.json"))
    args.json = args.json or DEFAULT_JSON
    app = make_application([])
    wall = time.perf_counter()
    out: dict[str, Any] = {
        "machine": machine_info(("numpy", "h5py", "PyQt6", "PyQt6-Qt6")),
        "settings": {"mode": mode, **policy, "platform": app.platformName(),
                     "target_events_per_s": TARGET_EVENTS_PER_S},
    }
    out["ingestion"] = [bench_handler(policy["n_events"], policy["repeats"]),
                        bench_live(policy["n_events"], policy["repeats"], policy["chunk"])]
    out["redraw"] = bench_redraw(policy["redraw_sizes"], policy["repeats"])
    out["wall_s"] = time.perf_counter() - wall
    report(out)
    print(f"\nwall time {out['wall_s']:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(f"wrote {args.json}")
    return 0


def main_xorg(policy: dict[str, Any], mode: str, json_out: Path) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from xorg_pen import xorg_pen, xorg_problem

    problem = xorg_problem()
    if problem:
        print(f"bench_acquisition --xorg: {problem}", file=sys.stderr)
        return 1
    with xorg_pen() as xp:
        os.environ.update(DISPLAY=xp.display, QT_QPA_PLATFORM="xcb")
        app = make_application([])
        wall = time.perf_counter()
        out: dict[str, Any] = {
            "machine": machine_info(("numpy", "h5py", "PyQt6", "PyQt6-Qt6")),
            "settings": {"mode": mode, **policy, "platform": app.platformName(),
                         "target_events_per_s": TARGET_EVENTS_PER_S, "xorg": True},
        }
        out["ingestion"] = [bench_xorg_live(xp, policy["n_events"], policy["repeats"])]
        out["redraw"] = []
        out["wall_s"] = time.perf_counter() - wall
        report(out)
    print(f"\nwall time {out['wall_s']:.0f} s")
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(f"wrote {json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
