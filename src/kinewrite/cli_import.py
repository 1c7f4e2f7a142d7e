"""``kinewrite import``: recordings from other tools into a study (placeholder, being built)."""

from __future__ import annotations

import argparse

from ._cli_common import EXIT_INTERNAL, fail


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import SVC, CSV or InkML recordings into a study")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("import is not built yet")
    return EXIT_INTERNAL
