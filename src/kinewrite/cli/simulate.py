"""``kinewrite simulate``: a synthetic trial whose movement is known, written as CSV (``-o
FILE``) or streamed at tablet rate into a new session (``--realtime --study DIR --patient
CODE``). The trial itself is :func:`kinewrite.simulate.simulate_trial`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._atomic import output_problem
from .._version import __version__
from ..formats.csv import write_csv_recording
from ..model import TASKS
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    bounded,
    output_file_problem,
    output_folder_problem,
    room_problem,
)
from .common import fail as _fail  # the names the function bodies below have used since
from .common import format_number as _format  # cli.py, kept for merging their history

__all__ = ["MAX_SIM_SAMPLES", "MAX_SIM_SECONDS", "MIN_FREE_FLOOR_MB", "add_parser",
           "cmd_simulate"]

#: ``simulate --min-free-mb`` may not go below this (MiB). Measured with
#: ``benchmarks/min_free_floor.py`` (a tmpfs the writer fills, RELIABILITY.md): below a
#: reserve of 1 MiB for 2-sample appends, 256 KiB for 500-sample and 4 MiB for 50 000-sample
#: appends, HDF5 met the full disk mid-write and the writer died (SIGSEGV; before the
#: copy-and-replace session writer, the file was lost too); at or above it, every recording
#: stopped cleanly with all its samples. 16 MiB is 4x the largest of those, and leaves room
#: for another program writing ~120 MB/s during one flush interval (0.1 s).
MIN_FREE_FLOOR_MB = 16.0
#: Bounds of a simulated trial: an hour, and the samples a laptop holds easily.
MAX_SIM_SECONDS, MAX_SIM_SAMPLES = 3600.0, 2_000_000


def _simulate_problem(args: argparse.Namespace) -> str | None:
    """Why these simulate options do not fit together (one line), else None."""
    from ..simulate import DEFAULT_SECONDS

    given = {name for name in ("study", "patient", "min_free_mb")
             if getattr(args, name) is not None}
    if not args.realtime and given:
        flags = ", ".join(f"--{n.replace('_', '-')}" for n in sorted(given))
        verb = "apply" if len(given) > 1 else "applies"
        return f"simulate: {flags} {verb} only with --realtime (without it, -o FILE is written)"
    if args.realtime and args.output:
        return "simulate: -o is not used with --realtime (the session goes into --study DIR)"
    if args.realtime and not (args.study and args.patient):
        return "simulate --realtime needs --study DIR and --patient CODE"
    if not args.realtime and not args.output:
        return "simulate needs -o FILE, or --realtime --study DIR --patient CODE"
    if (args.tremor_hz is None) != (args.tremor_mm is None):
        return "simulate: --tremor-hz and --tremor-mm go together (a tremor needs both)"
    if args.tremor_axis_deg is not None and args.tremor_hz is None:
        return "simulate: --tremor-axis-deg needs --tremor-hz and --tremor-mm"
    if args.loop_hz is not None and args.task != "loops":
        return f"simulate: --loop-hz applies to --task loops only, not {args.task}"
    seconds = DEFAULT_SECONDS[args.task] if args.seconds is None else args.seconds
    nyquist = args.rate_hz / 2
    for flag, hz in (("--tremor-hz", args.tremor_hz), ("--loop-hz", args.loop_hz)):
        if hz is not None and hz >= nyquist:
            return (f"simulate: {flag} {hz:g} Hz is not below half the sample rate "
                    f"({nyquist:g} Hz at --rate-hz {args.rate_hz:g}): it cannot be measured")
    if seconds * args.rate_hz > MAX_SIM_SAMPLES:
        return (f"simulate: {seconds:g} s at {args.rate_hz:g} Hz is "
                f"{seconds * args.rate_hz:.3g} samples, at most {MAX_SIM_SAMPLES:,}")
    if args.gaps > int(seconds):
        return (f"simulate: --gaps {args.gaps}: at most one gap per second of recording "
                f"({int(seconds)} in {seconds:g} s)")
    return None


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..simulate import simulate_trial

    problem = _simulate_problem(args)
    if problem:
        _fail(problem)
        return EXIT_BAD_INPUT
    if args.realtime:
        from ..storage.codes import validate_patient_code
        from ..storage.schema import MIN_FREE_BYTES

        validate_patient_code(args.patient)  # InvalidCodeError: one line, exit 2
        if args.min_free_mb is None:
            args.min_free_mb = MIN_FREE_BYTES / (1 << 20)
        problem = (room_problem(args.study, int(args.min_free_mb * (1 << 20)),
                                "a recording (--min-free-mb)")
                   or output_folder_problem(args.study))
        if problem:  # before the session is created: nothing is left behind
            _fail(problem)
            return EXIT_BAD_INPUT
    else:
        problem = output_file_problem(args.output)
        if problem:  # before any work: nothing is computed for a file that cannot be written
            _fail(problem)
            return EXIT_BAD_INPUT
    trial = simulate_trial(
        args.task, args.seconds, seed=args.seed, rate_hz=args.rate_hz,
        tremor_hz=args.tremor_hz, tremor_mm=args.tremor_mm or 0.0,
        tremor_axis_deg=45.0 if args.tremor_axis_deg is None else args.tremor_axis_deg,
        loop_hz=2.5 if args.loop_hz is None else args.loop_hz,
        pressure_mean=args.pressure_mean, pressure_drift_per_s=args.pressure_drift_per_s,
        gaps=args.gaps,
    )
    if args.realtime:
        return _simulate_realtime(args, trial)
    truth = ", ".join(f"{k}={v:.4g}" for k, v in trial.truth.items())
    out = Path(args.output)
    try:
        write_csv_recording(out, trial.recording, task=args.task,
                            comment=f"SIMULATED by kinewrite {__version__}; truth: {truth}")
    except OSError as exc:  # full disk, file-size limit ...: the temporary file is removed
        _fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    print(out)
    return EXIT_OK


def _simulate_realtime(args: argparse.Namespace, trial) -> int:
    from ..acquisition.stream import stream_trial
    from ..errors import DiskSpaceError
    from ..storage.codes import validate_patient_code
    from ..storage.writer import SessionWriter
    from ..trial_features import finish_trial

    if not args.study or not args.patient:
        _fail("simulate --realtime needs --study DIR and --patient CODE")
        return EXIT_BAD_INPUT
    validate_patient_code(args.patient)
    from .common import warn_if_name_like  # a name-like code: one warning line
    warn_if_name_like(args.patient)
    writer = SessionWriter.create(args.study, args.patient,
                                  metadata={"device": "simulated pen (kinewrite simulate)"},
                                  min_free_bytes=int(args.min_free_mb * (1 << 20)))
    print(writer.path, flush=True)  # first line: where the session is, before any sample
    writer.begin_trial(args.task, nominal_rate_hz=args.rate_hz, input_kind="simulated",
                       channels=("t", "host_time", "x", "y", "pressure", "state"),
                       units={"x": "mm", "y": "mm", "pressure": "1"})
    from .._signals import exit_code, stop_reason, stop_requests

    try:
        with stop_requests() as stop:
            n = stream_trial(writer, trial, stop=lambda: bool(stop))
            if stop:  # SIGTERM, SIGINT or SIGHUP: the trial kept as aborted, file closed
                writer.end_trial("aborted", attrs={"abort_reason": stop_reason(stop.signum)})
                _fail(f"{writer.path}: {stop_reason(stop.signum)}; trial kept as aborted "
                      f"with its {n} samples")
                return exit_code(stop.signum)
            features = finish_trial(writer, "complete")
    except DiskSpaceError as exc:  # stopped cleanly: the file is valid, its samples kept
        _fail(str(exc))
        return EXIT_INTERNAL
    finally:
        writer.close()
    print(f"{n} samples written; stroke_frequency_hz="
          f"{_format((features or {}).get('stroke_frequency_hz', float('nan')))}")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``simulate`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser(
        "simulate", help="write a synthetic trial with known truth (CSV), or stream one",
        description="Write a synthetic trial whose movement is known (its truth is in the "
                    "CSV header) to -o FILE, or stream it at tablet rate into a new session "
                    "(--realtime --study DIR --patient CODE). Options a mode does not use "
                    "are refused.",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="CSV file to write (without "
                   "--realtime)")
    p.add_argument("--realtime", action="store_true",
                   help="stream at tablet rate into a new session of --study for --patient")
    p.add_argument("--study", metavar="DIR", help="with --realtime: study folder (created if "
                   "missing)")
    p.add_argument("--patient", metavar="CODE", help="with --realtime: patient code")
    p.add_argument("--min-free-mb", type=bounded(low=MIN_FREE_FLOOR_MB, unit=" MiB"),
                   metavar="MB", help="with --realtime: stop the recording cleanly (samples "
                   f"kept) below this much free disk, MiB (default 64, at least "
                   f"{MIN_FREE_FLOOR_MB:g})")
    p.add_argument("--task", choices=TASKS, default="loops", help="task (default loops)")
    p.add_argument("--seconds", type=bounded(low=0, low_open=True, high=MAX_SIM_SECONDS,
                                              unit=" s"),
                   metavar="S", help="duration, s, at most 3600 (default per task: spiral "
                   "15, loops 10, sentence 20, circles 30, lines 8, free 20)")
    p.add_argument("--seed", type=bounded(low=0, kind=int), metavar="N",
                   help="seed of the random generator, >= 0 (default: a fresh one)")
    p.add_argument("--rate-hz", type=bounded(low=10, high=10_000, unit=" Hz"), default=133.0,
                   metavar="HZ", help="tablet sample rate, Hz, 10..10000 (default 133)")
    p.add_argument("--tremor-hz", type=bounded(low=0, low_open=True, unit=" Hz"),
                   metavar="HZ", help="tremor frequency, Hz, with --tremor-mm (default: no "
                   "tremor)")
    p.add_argument("--tremor-mm", type=bounded(low=0, low_open=True, high=100, unit=" mm"),
                   metavar="MM", help="tremor peak amplitude, mm, with --tremor-hz (default: "
                   "no tremor)")
    p.add_argument("--tremor-axis-deg", type=bounded(low=-360, high=360, unit=" deg"),
                   metavar="DEG", help="tremor axis, degrees from the x axis (default 45)")
    p.add_argument("--loop-hz", type=bounded(low=0, low_open=True, unit=" Hz"), metavar="HZ",
                   help="with --task loops: loops per second, Hz (default 2.5)")
    p.add_argument("--pressure-mean", type=bounded(low=0, high=1), default=0.35,
                   metavar="P", help="mean pen-down pressure at the start, fraction of the "
                   "device range 0..1 (default 0.35)")
    p.add_argument("--pressure-drift-per-s", type=bounded(low=-1, high=1, unit=" per s"),
                   default=0.0, metavar="P",
                   help="linear pressure drift, fraction of the range per s, -1..1; the range "
                   "saturates (default 0)")
    p.add_argument("--gaps", type=bounded(low=0, kind=int), default=0, metavar="N",
                   help="gaps of lost samples (0.08 s each), at most one per s (default 0)")
    p.set_defaults(func=cmd_simulate)
