"""``kinewrite import --format hwr`` (MovAlyzeR) and ``--format bids`` (a kinewrite BIDS
motion dataset): the parts of ``kinewrite import`` that :mod:`kinewrite.cli_import` hands
over. Same guarantees: everything read and checked first, one line per bad file, exit 2,
each session written whole or not at all."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from ._cli_common import EXIT_BAD_INPUT, EXIT_OK, fail
from .errors import InputError
from .formats.trial import ImportedTrial

__all__ = ["read_hwr_all", "run_bids"]


def read_hwr_all(args: argparse.Namespace) -> list[ImportedTrial] | None:
    """Every HWR file read; None (after one line per bad file) if any is bad."""
    from .formats.hwr import read_hwr_file

    if args.rate_hz is None:
        fail("--format hwr needs --rate-hz R: MovAlyzeR files have no time column (the rate "
             "is the experiment's setting)")
        return None
    if args.x_first or args.time_unit:
        fail("--x-first and --time-unit do not apply to HWR files (columns x y z, no time)")
        return None
    trials, ok = [], True
    for path in args.files:
        try:
            trials.append(read_hwr_file(path, args.rate_hz, args.device_units_per_mm,
                                        args.pressure_levels))
        except InputError as exc:
            fail(str(exc))
            ok = False
    return trials if ok else None


def run_bids(args: argparse.Namespace, study: Path, code: str) -> int:
    """Import the subject of `code` from the BIDS dataset given as the one FILE."""
    from .cli_import import _report, _stop_at_checkpoints, _Terminated
    from .formats.bids_reader import import_bids
    from .storage.codes import InvalidCodeError
    from .storage.session import SessionBusyError

    if len(args.files) != 1:
        fail("--format bids takes one dataset folder, got "
             f"{len(args.files)} paths")
        return EXIT_BAD_INPUT
    given = [name for name, value in (("--task", args.task), ("--date", args.date),
                                      ("--x-first", args.x_first),
                                      ("--device-units-per-mm", args.device_units_per_mm),
                                      ("--pressure-levels", args.pressure_levels),
                                      ("--time-unit", args.time_unit),
                                      ("--rate-hz", args.rate_hz)) if value]
    if given:
        fail(f"{', '.join(given)} do not apply to --format bids (the dataset states tasks, "
             "dates and units)")
        return EXIT_BAD_INPUT
    try:
        with _stop_at_checkpoints() as checkpoint:
            results = import_bids(args.files[0], study, code, reimport=args.reimport,
                                  keep_source_name=args.keep_source_name,
                                  checkpoint=checkpoint)
            for result in results:
                _report(result)
    except (InputError, InvalidCodeError, SessionBusyError) as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except _Terminated as exc:
        fail(f"{study}: import interrupted ({exc.args[0]}); sessions printed above are "
             "whole, the rest was not written: run the same command again")
        return 128 + int(getattr(signal, exc.args[0]))
    except OSError as exc:
        fail(f"{study}: cannot write the session ({exc.strerror or exc})")
        return EXIT_BAD_INPUT
    return EXIT_OK
