"""``kinewrite export``: one tidy feature table of a study (placeholder, being built)."""

from __future__ import annotations

import argparse

from ._cli_common import EXIT_INTERNAL, fail


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the features of a study as CSV or Parquet")
    p.add_argument("study", metavar="STUDY")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("export is not built yet")
    return EXIT_INTERNAL
