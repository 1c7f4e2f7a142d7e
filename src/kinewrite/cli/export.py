"""``kinewrite export``: one tidy feature table of a study, as CSV or Parquet.

::

    kinewrite export STUDY -o OUT.csv|OUT.parquet [--workers N | --scheduler tcp://HOST:PORT]
                     [--tasks T,...] [--include-superseded] [--metadata FIELD,...]
                     [--recompute] [--connect-timeout-s S] [--isolate [--timeout S]]
    kinewrite export STUDY --strokes -o OUT.csv|OUT.parquet     (one row per stroke)
    kinewrite export STUDY --format bids -o DIR                 (a BIDS motion dataset)

``--strokes`` and ``--format bids`` are at the end of this module (``docs/export.md``): the
BIDS motion dataset is :mod:`kinewrite.export.bids`, the stroke table
:mod:`kinewrite.export.strokes`; both read the study only and write all or nothing.

One row per trial; the columns are documented in :mod:`kinewrite.export`. Only the
patient code and the metadata fields named with ``--metadata`` leave the study: no notes, no
absolute paths. The study is only read, never written.

Exit codes: 0 the table was written; 2 bad input: nothing written (bad arguments, no study,
no session file, unreachable scheduler, missing optional package, an output that cannot be
written), or the table was written without the session files that could not be read or were
damaged in any way (whatever the reader raised, out of memory included; a stored patient
code other than the file's folder), each named on stderr in one line, then a last line
saying how many were left out (so that a script notices); 1 internal failure.

With ``--scheduler`` the session files are read by the Dask workers, not by this process:
the study must be on a filesystem every worker mounts at the same path, and the workers must
run the same kinewrite (the analysis version is checked).

With ``--isolate`` every session file is read in a child process of its own, killed after
``--timeout`` seconds: for studies from an untrusted source, where a damaged or hostile file
could hang or crash the HDF5 library. Such a file becomes one problem line (exit 2) and the
other files are exported. Slower (a process per file); local only.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from .._atomic import output_problem
from .common import EXIT_BAD_INPUT, EXIT_OK, fail, positive

__all__ = ["ProgressBar", "add_parser", "run", "run_extra"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``export`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser(
        "export", help="export the features of a study as CSV or Parquet, one row per trial",
        description="One row per trial of a study: patient code, session, trial, status and "
                    "every feature (units in the column names). Columns: see the docstring "
                    "of kinewrite.export.",
    )
    p.add_argument("study", metavar="STUDY", help="study folder (<code>/session-*.h5)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="file to write: .csv or .parquet (Parquet needs pyarrow); with "
                        "--format bids a new (or empty) folder")
    p.add_argument("--format", choices=("table", "bids"), default="table",
                   help="table: one row per trial (default); bids: a BIDS motion dataset "
                        "(samples, channels, events, features; docs/file-format.md)")
    p.add_argument("--strokes", action="store_true",
                   help="one row per writing stroke instead of one per trial (.csv or "
                        ".parquet)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, metavar="N",
                       help="local worker processes (default: one per CPU; 1 = this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster of this scheduler (tcp://HOST:PORT); "
                            "the study must be on a filesystem the workers share")
    p.add_argument("--connect-timeout-s", type=positive, default=5.0, metavar="S",
                   help="how long to try to reach the scheduler (default 5 s)")
    p.add_argument("--tasks", type=_csv_list, metavar="T,...",
                   help="only trials of these tasks (default: all)")
    p.add_argument("--include-superseded", action="store_true",
                   help="also export trials redone later (status superseded)")
    p.add_argument("--metadata", type=_csv_list, default=(), metavar="FIELD,...",
                   help="session metadata fields to export (default none), e.g. hand,device")
    p.add_argument("--recompute", action="store_true",
                   help="compute every feature again instead of using the cached values")
    p.add_argument("--isolate", action="store_true",
                   help="read each file in a child process killed if it hangs or crashes "
                        "(untrusted files; local only)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="with --isolate: seconds a file may take (default 60)")
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


class ProgressBar:
    """A one-line progress bar on a terminal: count, rate and ETA; silent otherwise.

    Not tqdm: this class does all the export needs (one bar, TTY only, a tested line
    format), and a dependency of every installation would buy nothing more.

    Parameters
    ----------
    total : int
        Units of work (trials).
    stream : text stream, default sys.stderr
        Drawn only if this is a TTY.
    label : str, default "trials"
        What is counted.
    min_interval_s : float, default 0.1
        Redraw at most this often (and once at the end).
    """

    WIDTH = 24

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "trials",
                 min_interval_s: float = 0.1) -> None:
        self.total = max(int(total), 0)
        self.stream = sys.stderr if stream is None else stream
        self.label = label
        self.min_interval_s = min_interval_s
        self.done = 0
        self.enabled = _isatty(self.stream)
        self._start = time.monotonic()
        self._drawn = -float("inf")

    def update(self, n: int = 1) -> None:
        """Count `n` more units done; redraw if due."""
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= self.min_interval_s or self.done >= self.total):
            self._drawn = now
            self.stream.write("\r" + self.line(now - self._start))
            self.stream.flush()

    def line(self, elapsed_s: float) -> str:
        """The bar's text after `elapsed_s` seconds."""
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = round(fraction * self.WIDTH)
        rate = self.done / elapsed_s if elapsed_s > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        return (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} "
                f"{self.label}  {rate:.1f}/s  ETA {_clock(eta)} ")

    def close(self) -> None:
        """End the line (only if something was drawn)."""
        if self.enabled and self._drawn > -float("inf"):
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):  # no rate yet
        return "--:--"
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def run(args: argparse.Namespace) -> int:
    """Run ``kinewrite export``; returns the exit code."""
    if args.format == "bids" or args.strokes:
        return run_extra(args)
    from .. import export

    out = Path(args.output)
    kind = export.output_format(out)
    if not out.parent.is_dir():
        fail(f"{out}: folder {out.parent} does not exist")
        return EXIT_BAD_INPUT
    if kind == "parquet":
        export.require_pyarrow()
    if args.isolate and args.scheduler:
        fail("--isolate reads the files on this machine; it does not combine with --scheduler")
        return EXIT_BAD_INPUT
    if args.isolate and not args.timeout > 0:
        fail(f"--timeout must be > 0 s, got {args.timeout:g}")
        return EXIT_BAD_INPUT
    options = export.ExportOptions(
        study_dir=str(Path(args.study).absolute()), tasks=args.tasks,
        include_superseded=args.include_superseded, metadata=tuple(args.metadata),
        recompute=args.recompute,
    )
    paths = export.session_paths(args.study)
    rows, problems = _collect(args, paths, options, export)
    for problem in problems:
        fail(problem)
    for note in dict.fromkeys(row["_recovery"] for row in rows if row.get("_recovery")):
        print(f"kinewrite: note: {note}", file=sys.stderr)  # a file a dead writer left
    if len(problems) == len(paths):
        fail(f"{args.study}: no readable session file; nothing exported")
        return EXIT_BAD_INPUT
    frame = export.rows_to_frame(rows, options.metadata)
    try:
        export.write_table(frame, out)
    except OSError as exc:
        fail(output_problem(out, exc))
        return EXIT_BAD_INPUT
    print(f"{out}: {len(frame)} trials from {len(paths) - len(problems)} session files of "
          f"{frame['patient_code'].nunique()} patients")
    if problems:
        fail(f"{len(problems)} session file(s) could not be read and are not in {out}")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _collect(args: argparse.Namespace, paths: list[Path], options: Any,
             export: ModuleType) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows and problems of every session file, locally or on the cluster."""
    client = None
    if args.scheduler:
        client = export.connect_scheduler(args.scheduler, args.connect_timeout_s)
    progress = ProgressBar(len(paths), label="session files")
    try:
        return export.collect_rows(paths, options, workers=args.workers, client=client,
                                   on_done=progress.update,
                                   isolate_timeout_s=args.timeout if args.isolate else None)
    finally:
        progress.close()
        if client is not None:
            client.close()

# ------------------------------------------------------------------------------ bids, strokes


def run_extra(args: argparse.Namespace) -> int:
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
    from ..errors import InputError
    from ..export.bids import export_bids

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
    from ..errors import InputError
    from ..export import output_format, require_pyarrow, write_table
    from ..export.strokes import study_strokes

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
