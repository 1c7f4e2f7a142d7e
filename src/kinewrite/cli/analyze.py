"""``kinewrite analyze`` (the features of session files or CSV recordings) and ``kinewrite
features`` (the feature registry as Markdown). Neither loads Qt.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..analysis.features import FEATURES, extract_features
from ..errors import InputError
from ..formats.csv import read_csv_recording
from ..model import TASKS, RecordingError
from .common import EXIT_BAD_INPUT, EXIT_OK, fail, format_number

__all__ = ["KEY_FEATURES", "add_features_parser", "add_parser", "analyze_csv", "cmd_analyze",
           "cmd_features"]

_UNITS = {f.name: f.unit for f in FEATURES}

#: The key numbers a therapist looks at first (demo and analyze summaries).
KEY_FEATURES = (
    "duration_s", "sample_rate_hz", "stroke_frequency_hz", "niv_mean", "automation_pct",
    "tremor_detected", "tremor_frequency_hz", "tremor_amplitude_pp_mm", "pressure_mean",
    "pressure_saturation_pct",
)


def _json_value(v: float) -> float | None:
    return None if isinstance(v, float) and math.isnan(v) else v


def analyze_csv(path: str, task: str | None) -> list[dict]:
    """The features of the CSV recording `path` (one row; ``task`` overrides its header's)."""
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
    from ..analysis.features import ANALYSIS_VERSION
    from ..export import check_channels, check_trial, load_with_cache
    from ..storage.calibration import trial_guide_mm

    if isolate_s:  # an untrusted file: read in a child process that is killed if it hangs
        from ..storage.isolated import load_isolated

        session = load_isolated(path, timeout_s=isolate_s, reader=load_with_cache)
    else:
        session = load_with_cache(path)
    if session.recovery:  # a file a dead writer left: read unchanged, said in one line
        print(f"kinewrite: note: {session.recovery}", file=sys.stderr)
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
                    fail(f"{path}: trial {trial.name} holds no sample; skipped")
                    continue
                guide = trial_guide_mm(trial.attrs, trial.calibration)
                features = extract_features(rec, task=chosen, guide_xy_mm=guide)
            except RecordingError as exc:
                raise InputError(f"{path}: trial {trial.name}: {exc}") from None
        rows.append({"file": path, "trial": trial.name, "task": chosen, "status": trial.status,
                     "patient_code": session.patient_code, "features": features})
    return rows


def _analyze_file(path: str, task: str | None, isolate_s: float | None = None) -> list[dict]:
    from ..storage.study import is_session_file

    if is_session_file(path):
        return _analyze_session(path, task, isolate_s)
    return analyze_csv(path, task)


def cmd_analyze(args: argparse.Namespace) -> int:
    if args.isolate and not args.timeout > 0:  # the option's fault, not each file's
        fail(f"--timeout must be > 0 s, got {args.timeout:g}")
        return EXIT_BAD_INPUT
    results, status = [], EXIT_OK
    for path in args.files:
        try:
            results.extend(_analyze_file(path, args.task,
                                         args.timeout if args.isolate else None))
        except Exception as exc:  # whatever one file raises is its one line; the rest go on
            from ..export import file_problem
            from ..storage.study import is_session_file

            fail(file_problem(path, exc, "session file" if is_session_file(path) else "file"))
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
                print(f"  {name:<32} {format_number(value):>12}  {_UNITS.get(name, '')}")
    return status


def cmd_features(args: argparse.Namespace) -> int:
    from ..analysis.features import features_markdown

    sys.stdout.write(features_markdown())
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``analyze`` on the ``kinewrite`` subcommand parser."""
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


def add_features_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``features`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser("features", help="print the feature registry as Markdown")
    p.set_defaults(func=cmd_features)
