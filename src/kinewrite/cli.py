"""The ``kinewrite`` command line.

Exit codes (a stable contract, DESIGN.md): 0 success, 2 bad input (one line on stderr naming
the file and the problem), 1 internal failure. A user's mistake never prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import cli_export, cli_gui, cli_import, cli_report
from ._allocator import tune_allocator
from ._cli_common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, fail
from ._version import __version__
from .analysis.features import FEATURES, extract_features
from .model import TASKS, RecordingError
from .storage.csv_recording import InputError, read_csv_recording, write_csv_recording

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
    from .storage.session import load_session

    if isolate_s:  # an untrusted file: read in a child process that is killed if it hangs
        from .storage.isolated import load_isolated

        session = load_isolated(path, timeout_s=isolate_s)
    else:
        session = load_session(path)
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
                features = extract_features(rec, task=chosen)
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
        except InputError as exc:
            _fail(str(exc))
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


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate_trial

    trial = simulate_trial(
        args.task, args.seconds, seed=args.seed, rate_hz=args.rate_hz,
        tremor_hz=args.tremor_hz, tremor_mm=args.tremor_mm, tremor_axis_deg=args.tremor_axis_deg,
        loop_hz=args.loop_hz, pressure_mean=args.pressure_mean,
        pressure_drift_per_s=args.pressure_drift_per_s, gaps=args.gaps,
    )
    if args.realtime:
        return _simulate_realtime(args, trial)
    if not args.output:
        _fail("simulate needs -o FILE, or --realtime --study DIR --patient CODE")
        return EXIT_BAD_INPUT
    truth = ", ".join(f"{k}={v:.4g}" for k, v in trial.truth.items())
    out = Path(args.output)
    if not out.parent.is_dir():
        _fail(f"{out}: directory {out.parent} does not exist")
        return EXIT_BAD_INPUT
    write_csv_recording(out, trial.recording, task=args.task,
                        comment=f"SIMULATED by kinewrite {__version__}; truth: {truth}")
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
    try:
        n = stream_trial(writer, trial)
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
    samples = Path(args.samples) if args.samples else default_samples_dir()
    files = sorted(samples.glob("*.csv")) if samples.is_dir() else []
    if not files:
        _fail(f"{samples}: no bundled sample recordings (*.csv) found; pass --samples DIR")
        return EXIT_BAD_INPUT
    import pandas as pd

    print(f"kinewrite {__version__} demo: {len(files)} SIMULATED sample trials from {samples}")
    rows = []
    for path in files:
        try:
            (result,) = _analyze_csv(str(path), None)
        except InputError as exc:
            _fail(str(exc))
            return EXIT_BAD_INPUT
        rows.append({"file": path.name, "task": result["task"], **result["features"]})
    table = pd.DataFrame(rows)
    shown = table[["file", "task", *KEY_FEATURES]].copy()
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(shown.to_string(index=False))
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "features.csv"
    table.to_csv(out, index=False, float_format="%.6g")
    print(f"\nAll {len(FEATURES)} registered features (units in the column names) written to "
          f"{out}")
    study = Path(args.study) if args.study else default_study_dir()
    if not args.samples or args.study:
        return _demo_study(study, args.patient, out_dir)
    return EXIT_OK


def _demo_study(study: Path, patient: str, out_dir: Path) -> int:
    """The progress part of the demo: a summary per task and the HTML report."""
    from .progress import load_progress
    from .report import KEY_MEASURES

    progress = load_progress(study, patient)  # ProgressError: one line, exit 2
    label = "SIMULATED " if progress.simulated else ""
    print(f"\nProgress of {label}patient {patient}: {len(progress.sessions)} sessions from "
          f"{progress.table['session_date'].iloc[0]} to "
          f"{progress.table['session_date'].iloc[-1]} ({study})")
    for _, ev in progress.events.iterrows():
        print(f"  {ev['date_text']}  {ev['label']}")
    print("  values per session, oldest first (n/a: not measured or no tremor detected)")
    for task in progress.tasks:
        print(f"  {task}:")
        for name in KEY_MEASURES.get(task, ()):
            values = progress.series(task, name)[1]
            text = "  ".join(_format(float(v)) for v in values)
            print(f"    {name:<28} {text}  {_UNITS.get(name, '')}")
    report = out_dir / "report.html"
    try:
        from .report import build_report

        build_report(study, patient, report)
    except ImportError as exc:  # Qt cannot load here (e.g. missing system libraries)
        _fail(f"report not written: the plots need Qt ({exc})")
        return EXIT_OK
    print(f"\nProgress report (self-contained HTML, A4) written to {report}")
    return EXIT_OK


def cmd_features(args: argparse.Namespace) -> int:
    from .analysis.features import features_markdown

    sys.stdout.write(features_markdown())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kinewrite", description=__doc__.splitlines()[0])
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

    p = sub.add_parser("simulate", help="write a synthetic trial with known truth (CSV)")
    p.add_argument("-o", "--output", metavar="FILE", help="CSV file to write")
    p.add_argument("--realtime", action="store_true",
                   help="stream at tablet rate into a session of --study for --patient")
    p.add_argument("--study", metavar="DIR")
    p.add_argument("--min-free-mb", type=float, default=64.0,
                   help="stop a realtime recording cleanly below this much free disk")
    p.add_argument("--patient", metavar="CODE")
    p.add_argument("--task", choices=TASKS, default="loops")
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--rate-hz", type=float, default=133.0)
    p.add_argument("--tremor-hz", type=float, default=None)
    p.add_argument("--tremor-mm", type=float, default=0.0, help="peak amplitude, mm")
    p.add_argument("--tremor-axis-deg", type=float, default=45.0)
    p.add_argument("--loop-hz", type=float, default=2.5)
    p.add_argument("--pressure-mean", type=float, default=0.35)
    p.add_argument("--pressure-drift-per-s", type=float, default=0.0)
    p.add_argument("--gaps", type=int, default=0)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("demo", help="analyze the bundled (simulated) samples")
    p.add_argument("--samples", metavar="DIR", help="folder of sample CSV recordings")
    p.add_argument("--study", metavar="DIR",
                   help="study for the progress part (default: the bundled simulated study)")
    p.add_argument("--patient", default="SIM-001", metavar="CODE",
                   help="patient of --study (default SIM-001)")
    p.add_argument("-o", "--output", default="demo-output", metavar="DIR")
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
