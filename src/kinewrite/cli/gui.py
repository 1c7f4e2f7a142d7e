"""``kinewrite gui`` and ``kinewrite tablet-check``: the therapist app from the command line,
and the pieces every Qt command shares (the display check, the exception hook, the event loop
that ends a trial on a stop signal; ``kinewrite record`` is :mod:`kinewrite.cli.record`).

``kinewrite gui [--study DIR] [--patient CODE] [--view record|review|progress]
[--screenshot FILE.png]`` opens the app; with ``--screenshot`` it renders the view offscreen
to a PNG and exits (for docs and tests).

Qt is imported here only inside the commands, so ``kinewrite analyze`` and the rest never load
it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_bytes, output_problem
from ..storage.codes import validate_patient_code
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    fail,
    output_file_problem,
    output_folder_problem,
    positive,
)

__all__ = ["add_parsers", "cmd_gui", "cmd_tablet_check", "install_excepthook", "no_display",
           "window_size"]


def window_size(text: str) -> tuple[int, int]:
    """An argparse type: ``WIDTHxHEIGHT`` in px, at least 200x150."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in px, got {text!r}") from None
    if w < 200 or h < 150:
        raise argparse.ArgumentTypeError(f"too small: {text!r} (at least 200x150)")
    return w, h


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``gui`` and ``tablet-check`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser("gui", help="open the therapist app (record, review, progress)")
    p.add_argument("--study", metavar="DIR",
                   help="study folder (created if its parent exists: a new study)")
    p.add_argument("--patient", metavar="CODE", help="patient to show")
    p.add_argument("--view", choices=("record", "review", "progress"), default="record",
                   help="the tab shown first (default record)")
    p.add_argument("--trial", metavar="NNN", help="trial to review (default: the last one)")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the view offscreen to this PNG and exit")
    p.add_argument("--size", type=window_size, default=(1400, 900), metavar="WxH",
                   help="window size for --screenshot (default 1400x900)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser(
        "tablet-check", help="test what the tablet delivers (rate, pressure, hover, tilt)",
        description="Open a test area; write and hover on it for --seconds (from the first "
                    "pen movement); print what the tablet delivered and whether it is ready "
                    "for recording. Exit 0 when ready, 2 when not. Nothing is saved.")
    p.add_argument("--seconds", type=positive, default=10.0, metavar="S",
                   help="length of the test in s (default 10)")
    p.add_argument("--wait", type=positive, default=120.0, metavar="S",
                   help="give up if the pen has not moved after S seconds (default 120)")
    p.add_argument("--rate-hz", type=positive, metavar="HZ",
                   help="the tablet's nominal sample rate (for the lost-event count)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_tablet_check)


def no_display() -> str | None:
    """Why a window cannot open here (Linux without X11/Wayland), else None.

    Qt would abort the process with a multi-line message; we say it in one line."""
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
        return ("no display: DISPLAY and WAYLAND_DISPLAY are not set (run it on the desktop, "
                "under Xvfb, or with --screenshot / QT_QPA_PLATFORM=offscreen)")
    return None


def install_excepthook() -> None:
    """Report an unexpected error in an event handler in one line (and a dialog) instead of
    letting PyQt abort the process: a recording in progress keeps its writer thread."""

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        fail(f"internal error: {kind.__name__}: {exc} (please report this)")
        try:
            from PyQt6.QtWidgets import QApplication

            from ..gui.text import show_message

            app = QApplication.instance()
            if app is not None and app.platformName() not in ("offscreen", "minimal"):
                show_message(None, "critical", "kinewrite: internal error",  # plain text
                             f"{kind.__name__}: {exc}\n\nPlease report this.")
        except Exception:  # the dialog is a courtesy; the line on stderr is the report
            pass

    sys.excepthook = hook


# ------------------------------------------------------------------------------ tablet-check


def cmd_tablet_check(args: argparse.Namespace) -> int:
    reason = no_display()
    if reason:
        fail(reason)
        return EXIT_INTERNAL
    import json

    from PyQt6.QtCore import QTimer

    from ..acquisition.qt.qt_app import make_application
    from ..gui.tablet_check import TabletCheckDialog

    app = make_application([sys.argv[0]])
    install_excepthook()
    dialog = TabletCheckDialog(seconds=args.seconds, nominal_rate_hz=args.rate_hz)
    dialog.reported.connect(lambda _r: app.quit())
    dialog.rejected.connect(app.quit)
    QTimer.singleShot(round(args.wait * 1000),
                      lambda: dialog.finish() if dialog.canvas.sample_count == 0 else None)
    dialog.resize(900, 700)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    print(f"tablet check: write and hover on the test area for {args.seconds:g} s",
          file=sys.stderr, flush=True)
    app.exec()
    report = dialog.finish()
    dialog.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, default=str))
    else:
        print("\n".join(report.lines()))
    return EXIT_OK if report.ready else EXIT_BAD_INPUT


# ------------------------------------------------------------------------------ gui


def _trial_problem(study: Path, patient: str, trial: str) -> str | None:
    """Why ``--trial`` cannot be shown (one line), else None: it must name a trial of the
    patient's latest session, the one the Review view opens."""
    from ..storage.study import study_summaries

    sessions, _ = study_summaries(study, patient, brief=True)
    latest = sessions[-1]
    names = [t.name for t in latest.trials]
    if trial not in names:
        listed = ", ".join(names) if names else "none"
        return (f"{latest.path}: no trial {trial!r} in the latest session of {patient} "
                f"(trials: {listed})")
    return None


def _save_png(window: Any, out: Path) -> str | None:
    """Render `window` to PNG bytes, then write them atomically; one line if it fails."""
    from ..gui.plots import png_bytes

    try:
        data = png_bytes(window, out)
    except OSError:
        return f"{out}: cannot write: the window could not be rendered as PNG"
    try:
        atomic_write_bytes(out, data)
    except OSError as exc:  # full disk, file-size limit: the temporary file is removed
        return output_problem(out, exc)
    return None


def _gui_problem(args: argparse.Namespace, study: Path | None) -> str | None:
    """Why these ``gui`` options cannot be served (one line), before any window or folder."""
    if args.screenshot:
        problem = output_file_problem(args.screenshot)
        if problem:
            return problem
        if args.view in ("review", "progress") and not (study and args.patient):
            return f"--view {args.view} --screenshot needs --study DIR and --patient CODE"
    if args.trial is not None and args.view != "review":
        return "--trial applies to --view review only"
    if args.trial is not None and not args.patient:
        return "--trial needs --study DIR and --patient CODE"
    if study is not None and study.exists() and not study.is_dir():
        return f"{study}: is a file, not a study folder"
    return None


def cmd_gui(args: argparse.Namespace) -> int:
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    study = Path(args.study) if args.study else None
    problem = _gui_problem(args, study)
    if problem:
        fail(problem)
        return EXIT_BAD_INPUT
    if study is not None and not study.is_dir():
        if args.screenshot or args.patient or not study.parent.is_dir():
            fail(f"{study}: no such study folder")
            return EXIT_BAD_INPUT
        reason = no_display()
        if reason:
            fail(reason)
            return EXIT_INTERNAL
        problem = output_folder_problem(study)  # a new study: its first session goes here
        if problem:
            fail(problem)
            return EXIT_BAD_INPUT
    if args.patient:
        validate_patient_code(args.patient)
        from .common import warn_if_name_like  # a name-like code: one warning line
        warn_if_name_like(args.patient)
        if study is None:
            fail("--patient needs --study DIR")
            return EXIT_BAD_INPUT
        from ..storage.study import study_summaries

        if not study_summaries(study, args.patient, brief=True)[0]:
            fail(f"{study}: no session of patient {args.patient}")
            return EXIT_BAD_INPUT
        if args.trial is not None:
            problem = _trial_problem(study, args.patient, args.trial)
            if problem:
                fail(problem)
                return EXIT_BAD_INPUT

    reason = None if args.screenshot else no_display()
    if reason:
        fail(reason)
        return EXIT_INTERNAL
    from ..acquisition.qt.qt_app import make_application
    from ..gui.app_loop import run_app
    from ..gui.main_window import MainWindow

    app = make_application([sys.argv[0]])
    install_excepthook()
    window = MainWindow(study, patient=args.patient)
    window.show_view(args.view, trial=args.trial)
    if args.screenshot:
        out = Path(args.screenshot)
        window.resize(*args.size)
        window.show()
        for _ in range(5):
            app.processEvents()
        problem = _save_png(window, out)
        window.close()
        if problem:
            fail(problem)
            return EXIT_BAD_INPUT
        print(out)
        return EXIT_OK
    window.resize(1400, 900)
    window.show()
    return run_app(app, window)


