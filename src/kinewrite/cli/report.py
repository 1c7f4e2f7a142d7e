"""``kinewrite report --study DIR --patient CODE -o report.html``: a patient's progress report.

Writes one self-contained HTML file (plots embedded as PNG, inline style, no network access,
printable on A4; see :mod:`kinewrite.report`). Errors (no such study, unknown patient, a
study without a complete trial, an output that cannot be written: a missing or read-only
folder, a folder given as the file, a full disk) are one line on stderr naming the path and
exit code 2; nothing is written and no temporary file is left. A session file of the patient
that cannot be read or is damaged in any way (the files ``kinewrite export`` leaves out) is
one line on stderr naming it; the report is written from the other sessions, a last line says
how many were left out, and the exit code is 2. Qt is imported only when the command runs
(to draw the plots).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._atomic import output_problem
from ..storage.codes import validate_patient_code
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    fail,
    output_file_problem,
    qt_library_problem,
)

__all__ = ["add_parser", "cmd_report"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``report`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser(
        "report", help="write a patient's progress report (HTML or PDF, 2-3 A4 pages)",
        description="Write a patient's progress across visits: a plain-language summary, "
                    "treatments and clinical scales, charts per task and the handwriting of "
                    "the first and latest visit. FILE.html is self-contained (vector charts; "
                    "open it in a browser or print it); FILE.pdf is printed directly.",
    )
    p.add_argument("--study", required=True, metavar="DIR", help="study folder")
    p.add_argument("--patient", required=True, metavar="CODE", help="patient code")
    p.add_argument("-o", "--output", required=True, metavar="FILE.html|FILE.pdf",
                   help="file to write: .pdf for a PDF, anything else HTML")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from ..progress import load_progress
    from ..progress.model import ProgressError

    code = validate_patient_code(args.patient)
    out = Path(args.output)
    problem = output_file_problem(out)
    if problem:  # before the study is read and the plots drawn
        fail(problem)
        return EXIT_BAD_INPUT
    problems: list[str] = []
    try:
        progress = load_progress(args.study, code, verify=True)  # no Qt: its errors first
        problems.extend(progress.problems)
        from ..gui.report_writer import write_report  # loads Qt

        path = write_report(progress, out)
    except ProgressError as exc:  # one line, exit 2 (after the files that were left out)
        for problem in exc.problems:
            fail(problem)
        raise
    except ImportError as exc:  # Qt (the plots) cannot load: name the system package
        fail(f"{out}: report not written: {qt_library_problem(exc)}")
        return EXIT_INTERNAL
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename).parent != out.parent:
            raise  # not the output: a session or the temporary plot folder (exit 1)
        fail(output_problem(out, exc))  # a full disk, a file-size limit ...
        return EXIT_BAD_INPUT
    for problem in problems:
        fail(problem)
    print(path)
    if problems:
        fail(f"{len(problems)} session file(s) could not be read and are not in {out}")
        return EXIT_BAD_INPUT
    return EXIT_OK
