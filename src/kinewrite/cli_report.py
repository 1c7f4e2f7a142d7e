"""``kinewrite report --study DIR --patient CODE -o report.html``: a patient's progress report.

Writes one self-contained HTML file (plots embedded as PNG, inline style, no network access,
printable on A4; see :mod:`kinewrite.report`). Errors (no such study, unknown patient, a
study without a complete trial, an output folder that does not exist) are one line on
stderr and exit code 2, nothing written. A session file of the patient that cannot be read
or is damaged in any way (the files ``kinewrite export`` leaves out) is one line on stderr
naming it; the report is written from the other sessions, a last line says how many were
left out, and the exit code is 2. Qt is imported only when the command runs (to draw the
plots).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._cli_common import EXIT_BAD_INPUT, EXIT_OK, fail
from .storage.codes import validate_patient_code


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write a patient's progress report (self-contained HTML, A4)",
        description="Write a patient's progress across sessions as one self-contained HTML "
                    "file: plots per task, treatments, clinical scales, the last session's "
                    "trials, plain-language captions. Open it in a browser or print it.",
    )
    p.add_argument("--study", required=True, metavar="DIR", help="study folder")
    p.add_argument("--patient", required=True, metavar="CODE", help="patient code")
    p.add_argument("-o", "--output", required=True, metavar="FILE.html",
                   help="HTML file to write")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from .progress import ProgressError
    from .report import build_report

    code = validate_patient_code(args.patient)
    out = Path(args.output)
    if not out.parent.is_dir():
        fail(f"{out}: directory {out.parent} does not exist")
        return EXIT_BAD_INPUT
    if out.is_dir():
        fail(f"{out}: is a folder; give a file name such as report.html")
        return EXIT_BAD_INPUT
    problems: list[str] = []
    try:
        path = build_report(args.study, code, out, problems)
    except ProgressError as exc:  # one line, exit 2 (after the files that were left out)
        for problem in exc.problems:
            fail(problem)
        raise
    for problem in problems:
        fail(problem)
    print(path)
    if problems:
        fail(f"{len(problems)} session file(s) could not be read and are not in {out}")
        return EXIT_BAD_INPUT
    return EXIT_OK
