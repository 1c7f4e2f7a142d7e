"""``kinewrite export --format bids`` and ``kinewrite export --strokes``.

::

    kinewrite export STUDY --format bids -o DIR [--include-superseded]
    kinewrite export STUDY --strokes -o OUT.csv|OUT.parquet [--tasks T,...]
                     [--include-superseded]

The BIDS motion dataset is :mod:`kinewrite.export.bids`; the stroke table
:mod:`kinewrite.export.strokes`. Both read the study only, and write all or nothing.
Exit codes: 0 written; 2 bad input (nothing written), each problem in one line on stderr.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._atomic import output_problem
from ._cli_common import EXIT_BAD_INPUT, EXIT_OK, fail

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Run the BIDS or stroke export; returns the exit code."""
    if args.format == "bids" and args.strokes:
        fail("--strokes writes one table; it does not combine with --format bids (the BIDS "
             "dataset's derivatives hold the trial features)")
        return EXIT_BAD_INPUT
    if args.scheduler or args.isolate or args.metadata or args.recompute:
        fail("--scheduler, --isolate, --metadata and --recompute apply to the trial table "
             "only")
        return EXIT_BAD_INPUT
    if args.format == "bids":
        return _bids(args)
    return _strokes(args)


def _bids(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .export.bids import export_bids

    if args.tasks:
        fail("--tasks does not apply to --format bids (a dataset holds every task)")
        return EXIT_BAD_INPUT
    out = Path(args.output)
    try:
        summary = export_bids(args.study, out, include_superseded=args.include_superseded)
    except InputError as exc:
        for line in getattr(exc, "problems", None) or (str(exc),):
            fail(line)
        return EXIT_BAD_INPUT
    except OSError as exc:
        fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    print(f"{out}: BIDS dataset of {summary.subjects} subjects, {summary.sessions} sessions, "
          f"{summary.motion_files} motion files")
    for problem in summary.problems:
        fail(problem)
    if summary.problems:
        fail(f"{len(summary.problems)} trial(s) with invalid samples are not in {out}")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _strokes(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .export import output_format, require_pyarrow, write_table
    from .export.strokes import study_strokes

    out = Path(args.output)
    try:
        kind = output_format(out)
        if kind == "parquet":
            require_pyarrow()
        if not out.parent.is_dir():
            fail(f"{out}: folder {out.parent} does not exist")
            return EXIT_BAD_INPUT
        frame = study_strokes(args.study, tasks=args.tasks,
                              include_superseded=args.include_superseded)
        write_table(frame, out)
    except InputError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except OSError as exc:
        fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    trials = frame[["session_id", "trial"]].drop_duplicates().shape[0]
    print(f"{out}: {len(frame)} strokes of {trials} trials")
    return EXIT_OK
