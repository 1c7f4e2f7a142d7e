"""The ``kinewrite`` parser (one subcommand per module of :mod:`kinewrite.cli`) and
:func:`main`, which runs a command and turns what it raises into an exit code.

Exit codes (a stable contract, docs/architecture.md §7): 0 success, 2 bad input (one line on
stderr naming the file and the problem), 1 internal failure. A user's mistake never prints a
traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

import numpy as np

from .._allocator import tune_allocator
from .._version import __version__
from ..errors import InputError
from ..model import RecordingError
from . import analyze, demo, export, gui, import_, record, report, simulate
from .common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, fail

__all__ = ["Parser", "build_parser", "main"]


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own contract)
        self.exit(EXIT_BAD_INPUT, f"kinewrite: {message} (see kinewrite --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``kinewrite`` parser with every subcommand (in the order ``--help`` lists them)."""
    parser = Parser(
        prog="kinewrite",
        description="Handwriting kinematics for writer's cramp: record a writing test at a "
                    "graphics tablet, analyze it, and follow a patient across visits.",
        epilog="Run 'kinewrite COMMAND --help' for a command's options (units and defaults "
               "included). Start with 'kinewrite demo'. Exit codes: 0 done, 2 bad input "
               "(one line naming the file and the problem), 1 internal failure.")
    parser.add_argument("--version", action="version", version=f"kinewrite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    analyze.add_parser(sub)
    simulate.add_parser(sub)
    demo.add_parser(sub)
    analyze.add_features_parser(sub)
    import_.add_parser(sub)
    report.add_parser(sub)
    record.add_parser(sub)
    gui.add_parsers(sub)
    export.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kinewrite`` with `argv` (default: the command line); returns the exit code."""
    tune_allocator()  # see kinewrite._allocator: page faults otherwise cost ~40 % at 100k
    if hasattr(signal, "SIGXFSZ"):  # a file-size limit: an error (EFBIG) to report and clean
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # up after, not a kill mid-write
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with np.errstate(all="ignore"):
            return int(args.func(args))
    except (InputError, RecordingError, ValueError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into head or less, closed early: not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except OSError as exc:  # the machine, not the user: disk full, permissions ...
        fail(str(exc))
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal failure: say so, in one line
        fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return EXIT_INTERNAL
