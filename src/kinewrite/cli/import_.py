"""``kinewrite import``: recordings from other tools (SVC, kinewrite CSV, InkML, MovAlyzeR HWR,
a kinewrite BIDS motion dataset) into a study; HWR and BIDS are at the end of this module.

One invocation writes one new session for the patient, with one trial per file. Every file is
read and validated first; if any is bad, nothing is written (one line per bad file on stderr,
exit 2). A file already imported for the patient (same SHA-256) is skipped with one line;
when every file is, the sessions holding them are printed and nothing is written (exit 0).
The session is built aside and renamed into place whole, so SIGTERM, SIGINT or SIGKILL at any
moment leaves no partial session, and running the command again imports each file once.
The stored channels keep the file's own values; the unit conversion is the session's
calibration and each trial's ``unit_conversion`` attribute (``docs/import.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

from .._signals import stop_requests
from ..errors import InputError, SessionBusyError
from ..formats import (
    FORMATS,
    SVC_PRESSURE_LEVELS,
    SVC_PRESSURE_MAX,
    SVC_UNITS_PER_MM,
    ImportedTrial,
    ImportOptions,
    ImportResult,
    import_recordings,
    read_recording_file,
    session_calibration,
)
from ..model import TASKS
from ..storage.codes import InvalidCodeError, check_code_collision, validate_patient_code
from ..storage.naming import normalize_created
from .common import EXIT_BAD_INPUT, EXIT_OK, fail, positive, warn_if_name_like

__all__ = ["add_parser", "read_hwr_all", "run", "run_bids"]


def _levels(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 levels, got {text!r}")
    return value


def _created(text: str) -> str:
    """``--date``: YYYY-MM-DD (midnight UTC) or a full ISO 8601 UTC time, not in the future."""
    value = f"{text}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text
    try:
        return normalize_created(value)
    except ValueError as exc:
        msg = str(exc).replace("session creation time", "date").replace(repr(value), repr(text))
        raise argparse.ArgumentTypeError(msg) from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``import`` on the ``kinewrite`` subcommand parser."""
    p = sub.add_parser(
        "import", help="import SVC, CSV, InkML or HWR recordings (or a BIDS dataset) into a "
                       "study",
        description="Import recordings into one new session of a patient (one trial per "
                    "file). Nothing is written unless every file is valid.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--study", required=True, metavar="DIR", help="existing study folder")
    p.add_argument("--patient", required=True, metavar="CODE", help="patient code")
    p.add_argument("--format", choices=(*FORMATS, "hwr", "bids"),
                   help="format of every file (default: by extension, else by content); "
                        "hwr: MovAlyzeR (needs --rate-hz); bids: FILE is a BIDS motion "
                        "dataset written by kinewrite export --format bids")
    p.add_argument("--rate-hz", type=positive, metavar="R",
                   help="HWR: the sampling rate of the recordings in Hz (the file has no "
                        "time column)")
    p.add_argument("--task", choices=TASKS,
                   help="task of every trial (default: the CSV header's, else free)")
    p.add_argument("--x-first", action="store_true",
                   help="SVC: the first column is x (default: y first, as in PaHaW)")
    p.add_argument("--device-units-per-mm", type=positive, metavar="N",
                   help="resolution of coordinates without physical units (SVC default "
                        f"{SVC_UNITS_PER_MM:g}, Wacom Intuos 4; InkML channels without units)")
    p.add_argument("--pressure-levels", type=_levels, metavar="N",
                   help=f"device pressure levels, max level N-1 (SVC default: levels "
                        f"0..{SVC_PRESSURE_MAX}, the Intuos 4's {SVC_PRESSURE_LEVELS} levels "
                        "as its SVC files record them; InkML F channel without max)")
    p.add_argument("--time-unit", choices=("ms", "s"),
                   help="unit of SVC timestamps (default ms) and of an InkML T without units")
    p.add_argument("--date", type=_created, metavar="DATE",
                   help="when the recordings were made: YYYY-MM-DD (UTC) or ISO 8601 UTC, "
                        "e.g. 2024-05-02T14:30:00Z; dates the session (default: now)")
    p.add_argument("--keep-source-name", action="store_true",
                   help="store each file's name (no folder) in its trial; by default only "
                        "its SHA-256 is stored, since file names often hold a patient's name")
    p.add_argument("--reimport", action="store_true",
                   help="import files already in the patient's sessions again (e.g. with "
                        "other options); by default they are skipped")
    p.set_defaults(func=run)


def _read_all(args: argparse.Namespace) -> list[ImportedTrial] | None:
    """Every file read into memory; None (after one line per bad file) if any is bad."""
    options = ImportOptions(
        x_first=args.x_first, device_units_per_mm=args.device_units_per_mm,
        pressure_levels=args.pressure_levels, time_unit=args.time_unit,
    )
    if args.rate_hz is not None and args.format != "hwr":
        fail("--rate-hz applies to --format hwr only (other formats carry their time stamps)")
        return None
    if args.format == "hwr":
        return read_hwr_all(args)
    trials, ok = [], True
    for path in args.files:
        try:
            trials.append(read_recording_file(path, args.format, options))
        except InputError as exc:
            fail(str(exc))
            ok = False
    return trials if ok else None


class _Terminated(BaseException):
    """SIGTERM, SIGHUP or SIGINT arrived while the session was being written (a
    BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way
    swallows it)."""


@contextlib.contextmanager
def _stop_at_checkpoints() -> Iterator[Callable[[], None]]:
    """While writing, SIGTERM, SIGHUP (logout, shutdown) and SIGINT only note the signal
    (:func:`kinewrite._signals.stop_requests`); the import stops at its next checkpoint
    (between trials, before the rename) by raising :class:`_Terminated`, and removes its
    temporary file as on any failure. An exception raised by the handler itself could land
    inside h5py or the reader and be mistaken for a damaged file. SIGKILL cannot be caught;
    the next import removes what it left."""
    with stop_requests() as stop:
        def checkpoint() -> None:
            if stop:
                raise _Terminated(signal.Signals(stop.signum).name)

        yield checkpoint


def _report(result: ImportResult) -> None:
    """The skipped files and the scale warnings on stderr, then the new session (or, if
    every file was already
    imported, the sessions holding them) on stdout, flushed: the import is done."""
    for skipped in result.skipped:
        fail(skipped.message)
    for note in result.warnings:
        fail(f"warning: {note}")
    paths = [result.path] if result.path is not None else list(result.existing)
    if paths:
        print("\n".join(map(str, paths)), flush=True)


def run(args: argparse.Namespace) -> int:
    """Validate everything, then write one session (of the files not yet imported); print
    its path."""
    try:
        code = validate_patient_code(args.patient)
    except InvalidCodeError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    warn_if_name_like(code)
    study = Path(args.study)
    if not study.is_dir():
        fail(f"{study}: study folder does not exist (import never creates a study; "
             "create the folder first)")
        return EXIT_BAD_INPUT
    try:
        check_code_collision(study, code)
    except InvalidCodeError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except OSError as exc:  # e.g. a study folder that cannot be listed
        fail(f"{study}: cannot read the study folder ({exc.strerror or exc})")
        return EXIT_BAD_INPUT
    if args.format == "bids":
        return run_bids(args, study, code)
    trials = _read_all(args)
    if trials is None:
        return EXIT_BAD_INPUT
    try:
        session_calibration(trials)
        with _stop_at_checkpoints() as checkpoint:
            result = import_recordings(study, code, trials, task=args.task, created=args.date,
                                       keep_source_name=args.keep_source_name,
                                       reimport=args.reimport, checkpoint=checkpoint)
            _report(result)  # said (flushed) before a signal that came too late can end it
    except (InputError, InvalidCodeError, SessionBusyError) as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except _Terminated as exc:
        fail(f"{study}: import interrupted ({exc.args[0]}); nothing was written: run the same "
             "command again (files already imported are skipped)")
        return 128 + int(getattr(signal, exc.args[0]))
    except OSError as exc:
        fail(f"{study}: cannot write the session ({exc.strerror or exc}); the study is "
             "unchanged")
        return EXIT_BAD_INPUT
    return EXIT_OK

# ------------------------------------------------------------------------------ hwr, bids
# ``kinewrite import --format hwr`` (MovAlyzeR) and ``--format bids`` (a kinewrite BIDS motion
# dataset). Same guarantees: everything read and checked first, one line per bad file, exit 2,
# each session written whole or not at all.


def read_hwr_all(args: argparse.Namespace) -> list[ImportedTrial] | None:
    """Every HWR file read; None (after one line per bad file) if any is bad."""
    from ..formats.hwr import read_hwr_file

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
    from ..formats.bids_reader import import_bids

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
