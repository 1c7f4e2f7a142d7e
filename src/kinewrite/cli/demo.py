"""``kinewrite demo``: the bundled SIMULATED sample recordings analysed (``features.csv``) and
the progress of the bundled sample study's patient (tables and ``report.html``). The printed
tables are :mod:`kinewrite.cli.demo_text`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._atomic import atomic_output, output_problem
from .._version import __version__
from ..analysis.features import FEATURES
from ..errors import InputError
from .analyze import analyze_csv
from .common import EXIT_BAD_INPUT, EXIT_OK, fail, output_folder_problem, qt_library_problem

__all__ = ["add_parser", "cmd_demo", "default_samples_dir", "default_study_dir"]

def default_samples_dir() -> Path:
    """``data/samples`` of the source checkout this package runs from."""
    return Path(__file__).resolve().parents[3] / "data" / "samples"


def default_study_dir() -> Path:
    """``data/samples/study``: the bundled SIMULATED sample study (patient SIM-001)."""
    return default_samples_dir() / "study"


def cmd_demo(args: argparse.Namespace) -> int:
    from ..storage.codes import validate_patient_code

    validate_patient_code(args.patient)  # before anything is written (InvalidCodeError)
    samples = Path(args.samples) if args.samples else default_samples_dir()
    files = sorted(samples.glob("*.csv")) if samples.is_dir() else []
    if not files:
        fail(f"{samples}: no bundled sample recordings (*.csv) found; pass --samples DIR")
        return EXIT_BAD_INPUT
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: cannot write: is a file, not a folder")
        return EXIT_BAD_INPUT
    progress = None
    if not args.samples or args.study:  # the progress part: an unknown patient fails here
        from ..progress.load import load_progress

        study = Path(args.study) if args.study else default_study_dir()
        progress = load_progress(study, args.patient)  # ProgressError: one line, exit 2
    import pandas as pd

    rows = []
    for path in files:
        try:
            (result,) = analyze_csv(str(path), None)
        except InputError as exc:
            fail(str(exc))
            return EXIT_BAD_INPUT
        rows.append({"file": path.name, "task": result["task"], **result["features"]})
    problem = output_folder_problem(out_dir)  # everything checked: now the folder is made
    if problem:
        fail(problem)
        return EXIT_BAD_INPUT
    print(f"kinewrite {__version__} demo: {len(files)} SIMULATED sample trials from {samples}")
    table = pd.DataFrame(rows)
    from .demo_text import trials_table

    print(trials_table(rows))
    out = out_dir / "features.csv"
    try:
        with atomic_output(out) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g")
    except OSError as exc:
        fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    print(f"\nAll {len(FEATURES)} registered features (units in the column names) written to "
          f"{out}")
    if progress is not None:
        return _demo_study(progress, out_dir)
    return EXIT_OK


def _demo_study(progress: Any, out_dir: Path) -> int:
    """The progress part of the demo: a summary per task and the HTML report."""
    from ..report import key_measures

    study, patient = progress.study_dir, progress.patient_code
    label = "SIMULATED " if progress.simulated else ""
    print(f"\nProgress of {label}patient {patient}: {len(progress.sessions)} sessions from "
          f"{progress.table['session_date'].iloc[0]} to "
          f"{progress.table['session_date'].iloc[-1]}\n  (study folder {study})")
    if len(progress.events):
        print("Treatments:")
    for _, ev in progress.events.iterrows():
        print(f"  {ev['date_text']}  {ev['label']}")
    from ..progress.labels import task_label
    from .demo_text import progress_table_text

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
        from ..gui.report_writer import build_report

        build_report(study, patient, report)
    except ImportError as exc:  # Qt cannot load here (e.g. missing system libraries)
        fail(f"report not written: {qt_library_problem(exc)}")
        return EXIT_OK
    except OSError as exc:
        fail(output_problem(report, exc))
        return EXIT_BAD_INPUT
    print(f"\nProgress report (self-contained HTML, A4) written to {report}")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``demo`` on the ``kinewrite`` subcommand parser."""
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
