"""``kinewrite record``: one task recorded at the tablet into a new session.

``kinewrite record --study DIR --patient CODE --task TASK [--seconds S] [--mouse]`` opens one
recording window, writes a new session with one trial, and when the trial ends (Esc, closing
the window, or after S seconds) prints the session path and exits 0. A trial in which the pen
never touched the surface is kept (marked ``aborted``), and the command exits 2.

Qt is imported here only inside the command, so ``kinewrite analyze`` and the rest never load
it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..model import TASKS
from ..storage.codes import validate_patient_code
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    fail,
    file_in_path,
    output_folder_problem,
    positive,
    room_problem,
)
from .gui import install_excepthook, no_display, window_size

__all__ = ["add_parser", "cmd_record", "screen_mapping"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``record`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser(
        "record", help="record one task at the tablet into a new session",
        description="Open one recording window; when the trial ends (Esc, or after --seconds) "
                    "save it, print the session path and exit.",
    )
    p.add_argument("--study", required=True, metavar="DIR",
                   help="study folder (created if its parent exists)")
    p.add_argument("--patient", required=True, metavar="CODE", help="patient code (never a name)")
    p.add_argument("--task", required=True, choices=[t for t in TASKS if t != "free"],
                   help="task (its instructions and guide come from --protocol)")
    p.add_argument("--seconds", type=positive, metavar="S",
                   help="stop after S seconds (default: the protocol task's duration; Esc "
                        "always stops)")
    p.add_argument("--mouse", action="store_true",
                   help="record the mouse (fallback input, no pressure), marked as such")
    p.add_argument("--protocol", metavar="FILE", help="protocol file (default: the writer's-"
                   "cramp protocol shipped with kinewrite)")
    p.add_argument("--rate-hz", type=positive, metavar="HZ",
                   help="the tablet's nominal sample rate (for the rate check)")
    p.add_argument("--mm-per-px", type=positive, metavar="MM",
                   help="writing-surface mm per screen pixel (default: the saved calibration, "
                        "else the screen's reported physical size)")
    p.add_argument("--stylus", metavar="NAME", help="saved pressure profile of this stylus")
    p.add_argument("--size", type=window_size, default=(1000, 700), metavar="WxH",
                   help="window size in px (default 1000x700)")
    p.set_defaults(func=cmd_record)


def screen_mapping(app: Any, mm_per_px: float | None = None) -> Any:
    """The px-to-mm mapping: explicit, else the saved one, else the screen's physical size."""
    from ..acquisition.calibration.mapping import ScreenMapping
    from ..gui.settings import load_screen_mapping

    if mm_per_px is not None:
        return ScreenMapping(mm_per_px, mm_per_px, f"{mm_per_px:g} mm per px (command line)")
    saved = load_screen_mapping()
    if saved is not None:
        return saved
    screen = app.primaryScreen()
    phys, geo = screen.physicalSize(), screen.geometry()
    return ScreenMapping.from_screen((phys.width(), phys.height()), (geo.width(), geo.height()))


def _protocol_task(protocol_file: str | None, task: str) -> Any:
    from ..acquisition.tasks import default_protocol, load_protocol

    protocol = load_protocol(protocol_file) if protocol_file else default_protocol()
    for spec in protocol.tasks:
        if spec.task == task:
            return protocol, spec
    where = protocol_file or "the default protocol"
    raise ValueError(f"{where}: has no {task!r} task")


def cmd_record(args: argparse.Namespace) -> int:
    code = validate_patient_code(args.patient)
    from .common import warn_if_name_like  # a name-like code: one warning line
    warn_if_name_like(code)
    protocol, spec = _protocol_task(args.protocol, args.task)
    study = Path(args.study)
    if study.exists() and not study.is_dir():
        fail(f"{study}: is a file, not a study folder")
        return EXIT_BAD_INPUT
    blocker = file_in_path(study)
    if not study.exists() and blocker is not None:
        fail(f"{study}: a part of the path is a file, not a folder ({blocker})")
        return EXIT_BAD_INPUT
    if not study.exists() and not study.parent.is_dir():
        fail(f"{study}: folder does not exist, nor does its parent")
        return EXIT_BAD_INPUT
    reason = no_display()
    if reason:  # before anything is created
        fail(reason)
        return EXIT_INTERNAL
    from ..storage.schema import MIN_FREE_BYTES

    problem = (room_problem(study, MIN_FREE_BYTES)  # before an empty session is made
               or output_folder_problem(study))  # created 0700 if new; read-only refused
    if problem:
        fail(problem)
        return EXIT_BAD_INPUT
    if args.seconds is not None:
        from dataclasses import replace

        s = args.seconds  # the protocol's minimum lengths cannot exceed the new duration
        spec = replace(spec, duration_s=s, end="duration",
                       min_duration_s=min(spec.min_duration_s, s),
                       min_pen_down_s=min(spec.min_pen_down_s, s))

    from ..acquisition.calibration.combine import calibration
    from ..acquisition.calibration.profile_files import load_profile
    from ..acquisition.qt.qt_app import make_application, on_stop_signals
    from ..gui.record import RecordWindow
    from ..storage.writer import SessionWriter

    app = make_application([sys.argv[0]])
    install_excepthook()
    mapping = screen_mapping(app, args.mm_per_px)
    profile = load_profile(args.stylus) if args.stylus else None
    window_w, window_h = args.size
    cal = calibration(mapping, profile)
    input_kind = "mouse" if args.mouse else "tablet"
    metadata = {"protocol": protocol.label,
                "device": "mouse (fallback)" if args.mouse else "tablet (Qt tablet events)"}
    if args.stylus:
        metadata["stylus"] = args.stylus
    writer = SessionWriter.create(study, code, metadata=metadata, calibration=cal)
    rate = args.rate_hz if args.rate_hz else float("nan")
    from .._signals import exit_code, stop_reason

    stopped_by: list[int] = []

    def stop(signum: int) -> None:  # SIGTERM, SIGINT, SIGHUP: trial aborted, samples kept
        stopped_by.append(signum)
        window.panel.stop(abort_reason=stop_reason(signum))
        app.quit()

    uninstall = None
    try:
        window = RecordWindow(writer, spec, mapping, input_kind=input_kind,
                              nominal_rate_hz=rate, patient_code=code)
        uninstall = on_stop_signals(app, stop)
        window.resize(window_w, window_h)
        window.finished.connect(lambda _o: app.quit())
        window.show()
        window.raise_()
        window.activateWindow()
        app.processEvents()  # lay out, so the guide is drawn at its final size
        window.begin()
        print(f"recording {spec.title!r} for {code}: write, then press Esc"
              + (f" (stops after {spec.duration_s:g} s)" if spec.duration_s else ""),
              file=sys.stderr, flush=True)
        app.exec()
        outcome = window.outcome or window.panel.stop()
    finally:
        writer.close()
        if uninstall is not None:
            uninstall()
    print(writer.path, flush=True)
    if stopped_by:
        fail(f"{writer.path}: {stop_reason(stopped_by[0])}; trial "
             f"{outcome.trial if outcome else ''} kept as aborted with its "
             f"{outcome.n_samples if outcome else 0} samples")
        return exit_code(stopped_by[0])
    if outcome is None:
        fail(f"{writer.path}: no trial was recorded")
        return EXIT_INTERNAL
    if outcome.error:
        fail(f"{writer.path}: trial {outcome.trial}: {outcome.error}")
        return EXIT_INTERNAL
    if outcome.status != "complete":
        why = next((f.message for f in outcome.findings if f.severity == "error"),
                   "the pen never touched the surface")
        fail(f"{writer.path}: trial {outcome.trial} kept as aborted, not usable: {why}")
        return EXIT_BAD_INPUT
    from ..acquisition.checks import key_numbers

    numbers = ", ".join(f"{k.label} {k.text}"
                        for k in key_numbers(outcome.features or {}, spec.task))
    print(f"trial {outcome.trial}: {outcome.n_samples} samples ({outcome.input_kind}); "
          f"{numbers}")
    for finding in outcome.findings:
        print(f"{finding.severity}: {finding.message}", file=sys.stderr)
    return EXIT_OK

