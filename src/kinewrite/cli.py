"""The ``kinewrite`` command line.

Exit codes (a stable contract, docs/architecture.md §7): 0 success, 2 bad input (one line on
stderr naming the file and the problem), 1 internal failure. A user's mistake never prints a
traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import cli_export, cli_gui, cli_import, cli_report
from ._allocator import tune_allocator
from ._atomic import atomic_output, output_problem
from ._cli_common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    fail,
    output_file_problem,
    output_folder_problem,
    room_problem,
)
from ._version import __version__
from .analysis.features import FEATURES, extract_features
from .errors import InputError
from .model import TASKS, RecordingError
from .storage.csv_recording import read_csv_recording, write_csv_recording

_UNITS = {f.name: f.unit for f in FEATURES}

#: The key numbers a therapist looks at first (demo and analyze summaries).
KEY_FEATURES = (
    "duration_s", "sample_rate_hz", "stroke_frequency_hz", "niv_mean", "automation_pct",
    "tremor_detected", "tremor_frequency_hz", "tremor_amplitude_pp_mm", "pressure_mean",
    "pressure_saturation_pct",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own contract)
        self.exit(EXIT_BAD_INPUT, f"kinewrite: {message} (see kinewrite --help)\n")


_fail = fail


def _bounded(low: float | None = None, high: float | None = None, *, low_open: bool = False,
             kind: type = float, unit: str = ""):
    """An argparse type: a finite number of `kind` within [low, high] (low excluded when
    `low_open`); anything else is one line naming the option, exit 2."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if low is not None and (value <= low if low_open else value < low):
            word = "above" if low_open else "at least"
            raise argparse.ArgumentTypeError(f"must be {word} {low:g}{unit}, got {text!r}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}{unit}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _json_value(v: float) -> float | None:
    return None if isinstance(v, float) and math.isnan(v) else v


def _format(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    return f"{v:.4g}"


def _analyze_csv(path: str, task: str | None) -> list[dict]:
    recording, header_task = read_csv_recording(path)
    chosen = task or header_task or "free"
    try:
        features = extract_features(recording, task=chosen)
    except RecordingError as exc:
        raise InputError(f"{path}: {exc}") from None
    return [{"file": path, "trial": None, "task": chosen, "status": "complete",
             "features": features}]


def _analyze_session(path: str, task: str | None, isolate_s: float | None = None,
                     ) -> list[dict]:
    from .analysis.features import ANALYSIS_VERSION
    from .export import check_channels, check_trial, load_with_cache
    from .storage.session import trial_guide_mm

    if isolate_s:  # an untrusted file: read in a child process that is killed if it hangs
        from .storage.isolated import load_isolated

        session = load_isolated(path, timeout_s=isolate_s, reader=load_with_cache)
    else:
        session = load_with_cache(path)
    for trial in session.trials:  # a damaged trial is the file's one line, as in export
        check_trial(path, trial.name, trial.task, trial.status)
        check_channels(path, trial.name, trial.channels)
    rows = []
    for trial in session.trials:
        chosen = task or trial.task
        if trial.features is not None and trial.features_version == ANALYSIS_VERSION \
                and chosen == trial.task:
            features = trial.features  # cached by the same analysis version
        else:
            try:
                rec = trial.recording
                if rec is None:
                    _fail(f"{path}: trial {trial.name} holds no sample; skipped")
                    continue
                guide = trial_guide_mm(trial.attrs, trial.calibration)
                features = extract_features(rec, task=chosen, guide_xy_mm=guide)
            except RecordingError as exc:
                raise InputError(f"{path}: trial {trial.name}: {exc}") from None
        rows.append({"file": path, "trial": trial.name, "task": chosen, "status": trial.status,
                     "patient_code": session.patient_code, "features": features})
    return rows


def _analyze_file(path: str, task: str | None, isolate_s: float | None = None) -> list[dict]:
    from .storage.study import is_session_file

    if is_session_file(path):
        return _analyze_session(path, task, isolate_s)
    return _analyze_csv(path, task)


def cmd_analyze(args: argparse.Namespace) -> int:
    results, status = [], EXIT_OK
    for path in args.files:
        try:
            results.extend(_analyze_file(path, args.task,
                                         args.timeout if args.isolate else None))
        except Exception as exc:  # whatever one file raises is its one line; the rest go on
            from .export import file_problem
            from .storage.study import is_session_file

            _fail(file_problem(path, exc, "session file" if is_session_file(path) else "file"))
            status = EXIT_BAD_INPUT
    if args.json:
        doc = [
            {**r, "features": {k: _json_value(v) for k, v in r["features"].items()}}
            for r in results
        ]
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            trial = f", trial {r['trial']} ({r['status']})" if r["trial"] else ""
            print(f"{r['file']}  (task: {r['task']}{trial})")
            for name, value in r["features"].items():
                print(f"  {name:<32} {_format(value):>12}  {_UNITS.get(name, '')}")
    return status


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
    from .simulate import DEFAULT_SECONDS

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
    from .simulate import simulate_trial

    problem = _simulate_problem(args)
    if problem:
        _fail(problem)
        return EXIT_BAD_INPUT
    if args.realtime:
        from .storage.codes import validate_patient_code
        from .storage.session import MIN_FREE_BYTES

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
    from .acquisition.stream import stream_trial
    from .storage.codes import validate_patient_code
    from .storage.session import DiskSpaceError, SessionWriter

    if not args.study or not args.patient:
        _fail("simulate --realtime needs --study DIR and --patient CODE")
        return EXIT_BAD_INPUT
    validate_patient_code(args.patient)
    from ._cli_common import warn_if_name_like  # a name-like code: one warning line
    warn_if_name_like(args.patient)
    writer = SessionWriter.create(args.study, args.patient,
                                  metadata={"device": "simulated pen (kinewrite simulate)"},
                                  min_free_bytes=int(args.min_free_mb * (1 << 20)))
    print(writer.path, flush=True)  # first line: where the session is, before any sample
    writer.begin_trial(args.task, nominal_rate_hz=args.rate_hz, input_kind="simulated",
                       channels=("t", "host_time", "x", "y", "pressure", "state"),
                       units={"x": "mm", "y": "mm", "pressure": "1"})
    from ._signals import exit_code, stop_reason, stop_requests

    try:
        with stop_requests() as stop:
            n = stream_trial(writer, trial, stop=lambda: bool(stop))
            if stop:  # SIGTERM, SIGINT or SIGHUP: the trial kept as aborted, file closed
                writer.end_trial("aborted", compute_features=False,
                                 attrs={"abort_reason": stop_reason(stop.signum)})
                _fail(f"{writer.path}: {stop_reason(stop.signum)}; trial kept as aborted "
                      f"with its {n} samples")
                return exit_code(stop.signum)
            features = writer.end_trial("complete")
    except DiskSpaceError as exc:  # stopped cleanly: the file is valid, its samples kept
        _fail(str(exc))
        return EXIT_INTERNAL
    finally:
        writer.close()
    print(f"{n} samples written; stroke_frequency_hz="
          f"{_format((features or {}).get('stroke_frequency_hz', float('nan')))}")
    return EXIT_OK


def default_samples_dir() -> Path:
    """``data/samples`` of the source checkout this package runs from."""
    return Path(__file__).resolve().parents[2] / "data" / "samples"


def default_study_dir() -> Path:
    """``data/samples/study``: the bundled SIMULATED sample study (patient SIM-001)."""
    return default_samples_dir() / "study"


def cmd_demo(args: argparse.Namespace) -> int:
    from .storage.codes import validate_patient_code

    validate_patient_code(args.patient)  # before anything is written (InvalidCodeError)
    samples = Path(args.samples) if args.samples else default_samples_dir()
    files = sorted(samples.glob("*.csv")) if samples.is_dir() else []
    if not files:
        _fail(f"{samples}: no bundled sample recordings (*.csv) found; pass --samples DIR")
        return EXIT_BAD_INPUT
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"{out_dir}: cannot write: is a file, not a folder")
        return EXIT_BAD_INPUT
    progress = None
    if not args.samples or args.study:  # the progress part: an unknown patient fails here
        from .progress import load_progress

        study = Path(args.study) if args.study else default_study_dir()
        progress = load_progress(study, args.patient)  # ProgressError: one line, exit 2
    import pandas as pd

    rows = []
    for path in files:
        try:
            (result,) = _analyze_csv(str(path), None)
        except InputError as exc:
            _fail(str(exc))
            return EXIT_BAD_INPUT
        rows.append({"file": path.name, "task": result["task"], **result["features"]})
    problem = output_folder_problem(out_dir)  # everything checked: now the folder is made
    if problem:
        _fail(problem)
        return EXIT_BAD_INPUT
    print(f"kinewrite {__version__} demo: {len(files)} SIMULATED sample trials from {samples}")
    table = pd.DataFrame(rows)
    from ._demo_text import trials_table

    print(trials_table(rows))
    out = out_dir / "features.csv"
    try:
        with atomic_output(out) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g")
    except OSError as exc:
        _fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    print(f"\nAll {len(FEATURES)} registered features (units in the column names) written to "
          f"{out}")
    if progress is not None:
        return _demo_study(progress, out_dir)
    return EXIT_OK


def _demo_study(progress: Any, out_dir: Path) -> int:
    """The progress part of the demo: a summary per task and the HTML report."""
    from .report import key_measures

    study, patient = progress.study_dir, progress.patient_code
    label = "SIMULATED " if progress.simulated else ""
    print(f"\nProgress of {label}patient {patient}: {len(progress.sessions)} sessions from "
          f"{progress.table['session_date'].iloc[0]} to "
          f"{progress.table['session_date'].iloc[-1]}\n  (study folder {study})")
    if len(progress.events):
        print("Treatments:")
    for _, ev in progress.events.iterrows():
        print(f"  {ev['date_text']}  {ev['label']}")
    from ._demo_text import progress_table_text
    from .progress import task_label

    print("\nKey measures per visit (–: does not apply, not measured, or no tremor found):")
    for task in progress.tasks:
        rows = progress.rows(task)
        dates = [str(d) for d in rows["session_date"]]
        series = {name: [float(v) for v in progress.series(task, name)[1]]
                  for name in key_measures(progress, task)}
        print()
        print(progress_table_text(task_label(task, progress.task_of(task)), dates, series))
    report = out_dir / "report.html"
    try:
        from .report import build_report

        build_report(study, patient, report)
    except ImportError as exc:  # Qt cannot load here (e.g. missing system libraries)
        from ._cli_common import qt_library_problem

        _fail(f"report not written: {qt_library_problem(exc)}")
        return EXIT_OK
    except OSError as exc:
        _fail(output_problem(report, exc))
        return EXIT_BAD_INPUT
    print(f"\nProgress report (self-contained HTML, A4) written to {report}")
    return EXIT_OK


def cmd_features(args: argparse.Namespace) -> int:
    from .analysis.features import features_markdown

    sys.stdout.write(features_markdown())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kinewrite",
        description="Handwriting kinematics for writer's cramp: record a writing test at a "
                    "graphics tablet, analyze it, and follow a patient across visits.",
        epilog="Run 'kinewrite COMMAND --help' for a command's options (units and defaults "
               "included). Start with 'kinewrite demo'. Exit codes: 0 done, 2 bad input "
               "(one line naming the file and the problem), 1 internal failure.")
    parser.add_argument("--version", action="version", version=f"kinewrite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("analyze", help="features of session files (.h5) or CSV recordings")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--task", choices=TASKS, help="task of every file (default: from the file)")
    p.add_argument("--json", action="store_true", help="print JSON (NaN as null)")
    p.add_argument("--isolate", action="store_true",
                   help="read session files in a child process, killed if it hangs (for "
                   "files from untrusted sources)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="with --isolate: seconds a file may take (default 60)")
    p.set_defaults(func=cmd_analyze)

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
    p.add_argument("--min-free-mb", type=_bounded(low=MIN_FREE_FLOOR_MB, unit=" MiB"),
                   metavar="MB", help="with --realtime: stop the recording cleanly (samples "
                   f"kept) below this much free disk, MiB (default 64, at least "
                   f"{MIN_FREE_FLOOR_MB:g})")
    p.add_argument("--task", choices=TASKS, default="loops", help="task (default loops)")
    p.add_argument("--seconds", type=_bounded(low=0, low_open=True, high=MAX_SIM_SECONDS,
                                              unit=" s"),
                   metavar="S", help="duration, s, at most 3600 (default per task: spiral "
                   "15, loops 10, sentence 20, circles 30, lines 8, free 20)")
    p.add_argument("--seed", type=_bounded(low=0, kind=int), metavar="N",
                   help="seed of the random generator, >= 0 (default: a fresh one)")
    p.add_argument("--rate-hz", type=_bounded(low=10, high=10_000, unit=" Hz"), default=133.0,
                   metavar="HZ", help="tablet sample rate, Hz, 10..10000 (default 133)")
    p.add_argument("--tremor-hz", type=_bounded(low=0, low_open=True, unit=" Hz"),
                   metavar="HZ", help="tremor frequency, Hz, with --tremor-mm (default: no "
                   "tremor)")
    p.add_argument("--tremor-mm", type=_bounded(low=0, low_open=True, high=100, unit=" mm"),
                   metavar="MM", help="tremor peak amplitude, mm, with --tremor-hz (default: "
                   "no tremor)")
    p.add_argument("--tremor-axis-deg", type=_bounded(low=-360, high=360, unit=" deg"),
                   metavar="DEG", help="tremor axis, degrees from the x axis (default 45)")
    p.add_argument("--loop-hz", type=_bounded(low=0, low_open=True, unit=" Hz"), metavar="HZ",
                   help="with --task loops: loops per second, Hz (default 2.5)")
    p.add_argument("--pressure-mean", type=_bounded(low=0, high=1), default=0.35,
                   metavar="P", help="mean pen-down pressure at the start, fraction of the "
                   "device range 0..1 (default 0.35)")
    p.add_argument("--pressure-drift-per-s", type=_bounded(low=-1, high=1, unit=" per s"),
                   default=0.0, metavar="P",
                   help="linear pressure drift, fraction of the range per s, -1..1; the range "
                   "saturates (default 0)")
    p.add_argument("--gaps", type=_bounded(low=0, kind=int), default=0, metavar="N",
                   help="gaps of lost samples (0.08 s each), at most one per s (default 0)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("demo", help="analyze the bundled (simulated) samples")
    p.add_argument("--samples", metavar="DIR", help="folder of sample CSV recordings")
    p.add_argument("--study", metavar="DIR",
                   help="study for the progress part (default: the bundled simulated study)")
    p.add_argument("--patient", default="SIM-001", metavar="CODE",
                   help="patient of --study (default SIM-001)")
    p.add_argument("-o", "--output", default="demo-output", metavar="DIR",
                   help="folder for features.csv and report.html (default demo-output, "
                   "created if missing)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("features", help="print the feature registry as Markdown")
    p.set_defaults(func=cmd_features)

    cli_import.add_parser(sub)
    cli_report.add_parser(sub)
    cli_gui.add_parsers(sub)
    cli_export.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    tune_allocator()  # see kinewrite._allocator: page faults otherwise cost ~40 % at 100k
    if hasattr(signal, "SIGXFSZ"):  # a file-size limit: an error (EFBIG) to report and clean
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # up after, not a kill mid-write
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with np.errstate(all="ignore"):
            return int(args.func(args))
    except (InputError, RecordingError, ValueError) as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into head or less, closed early: not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except OSError as exc:  # the machine, not the user: disk full, permissions ...
        _fail(str(exc))
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal failure: say so, in one line
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
