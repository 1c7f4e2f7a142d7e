"""Building a patient's new session from imported files, all or nothing.

The session is built in a hidden temporary file beside its final name (``.session-...
.import.XXXX.tmp``, mode 0600, never listed by a study) with the ordinary
:class:`~kinewrite.storage.writer.SessionWriter`, read back and compared with the files,
then renamed into place: a failure, SIGTERM or SIGKILL at any moment leaves either no new
session or the whole one. Files already in the patient's sessions are skipped
(:mod:`~kinewrite.formats.dedup`); imports of one patient run one at a time
(:mod:`~kinewrite.formats.import_lock`). File names are not stored unless asked
(``keep_source_name``). See ``docs/import.md``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._atomic import atomic_output, private_folder
from .._version import __version__
from ..analysis.scale import check_scale
from ..errors import InputError, RecordingError
from ..model import TASKS
from ..storage.attrs import now_utc
from ..storage.calibration import Calibration
from ..storage.codes import check_code_collision, validate_patient_code
from ..storage.layout import write_new_session
from ..storage.naming import normalize_created, session_filename
from ..storage.reader import channels_to_recording, load_session
from ..storage.writer import SessionWriter
from ..trial_features import finish_trial
from .dedup import Skipped, not_yet_imported
from .import_lock import TEMP_TAG, import_lock, no_checkpoint, remove_leftovers
from .trial import ImportedTrial, session_calibration

__all__ = [
    "ImportResult",
    "import_into_patient",
    "import_recordings",
    "scale_warning",
    "write_import_session",
]


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_recordings` did.

    Attributes
    ----------
    path : Path or None
        The new session; None when every file was already imported (nothing written).
    skipped : tuple of Skipped
        The files not imported again, in the order given.
    warnings : tuple of str
        One line per imported file whose writing is implausibly sized for its task
        (:func:`~kinewrite.analysis.scale.check_scale`), naming the file, the size, and the
        option that fixes it; also stored as the trial's ``scale_warning`` attribute.
    """

    path: Path | None
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def existing(self) -> tuple[Path, ...]:
        """The sessions already holding skipped files, each once, in the order met."""
        return tuple(dict.fromkeys(s.session for s in self.skipped if s.session is not None))


def write_import_session(
    study_dir: str | os.PathLike[str], patient_code: str, trials: Sequence[ImportedTrial],
    task: str | None = None, created: str | None = None, keep_source_name: bool = False,
) -> Path:
    """Write one new session holding one trial per imported file; all or nothing.

    Every file given becomes a trial, also one already imported
    (:func:`import_recordings` skips those). See :func:`import_recordings` for the
    parameters, the guarantees and the exceptions.

    Returns
    -------
    Path
        The new session file.
    """
    result = import_recordings(study_dir, patient_code, trials, task=task, created=created,
                               keep_source_name=keep_source_name, reimport=True)
    assert result.path is not None  # reimport: nothing is skipped
    return result.path


def import_recordings(
    study_dir: str | os.PathLike[str], patient_code: str, trials: Sequence[ImportedTrial],
    task: str | None = None, created: str | None = None, keep_source_name: bool = False,
    reimport: bool = False, checkpoint: Callable[[], None] | None = None,
) -> ImportResult:
    """Import files into one new session of the patient, each file once; all or nothing.

    The session is built in a hidden temporary file beside its final name (``.session-...
    .import.XXXX.tmp``, mode 0600, never listed by a study), read back and compared with the
    files, then renamed into place: a failure, SIGTERM or SIGKILL at any moment leaves
    either no new session or the whole one. A file whose bytes (``source_sha256``) are in
    one of the patient's sessions already is skipped (:class:`Skipped`), so running an
    interrupted import again imports every file exactly once. Imports for one patient run
    one at a time (an advisory lock in the patient folder, released by the kernel when the
    process dies); what a killed import left there is removed by the next one.

    Parameters
    ----------
    study_dir : path-like
        An existing study folder.
    patient_code : str
        Checked by :func:`~kinewrite.storage.codes.validate_patient_code` and
        :func:`~kinewrite.storage.codes.check_code_collision`.
    trials : sequence of ImportedTrial
        Already read and validated (:func:`~kinewrite.formats.registry.read_recording_file`).
    task : str, optional
        Task of every trial; default the file's own (CSV header), else ``free``.
    created : str, optional
        When the recording was made, ISO 8601 UTC (e.g. ``"2024-05-02T00:00:00Z"``): dates
        the session (its ``created`` attribute and file name). Default: now.
    keep_source_name : bool, default False
        Store each file's name (no folder) as the trial attribute ``source_file``. By
        default only its SHA-256 is stored: a file name often holds a patient's name.
    reimport : bool, default False
        Skip nothing: import files already in the patient's sessions (or given twice) again.
    checkpoint : callable, optional
        Called while waiting for the lock, after each trial and just before the rename; an
        exception it raises abandons the import (nothing written). The CLI's signal
        handling stops the import through it.

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        The files need different calibrations, or ``created`` is unparsable, not UTC or in
        the future (nothing written).
    InvalidCodeError
        The code is refused, or differs only in case from a patient folder of the study.
    SessionBusyError
        Another import for this patient held the lock for longer than
        :data:`~kinewrite.formats.import_lock.IMPORT_LOCK_TIMEOUT_S`.
    Exception
        Whatever writing raised (e.g. OSError, disk full), after the temporary file, and the
        patient folder if this call created it, were removed again.
    """
    code = validate_patient_code(patient_code)
    if not Path(study_dir).is_dir():
        raise InputError(f"{study_dir}: study folder does not exist")
    check_code_collision(study_dir, code)
    if task is not None and task not in TASKS:
        raise InputError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if created is not None:
        try:
            created = normalize_created(created)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    session_calibration(trials)  # all files, before anything is written
    return import_into_patient(study_dir, code, trials, calibration=None, created=created,
                               origin=lambda n: f"{n} file(s)", task=task,
                               keep_source_name=keep_source_name, reimport=reimport,
                               checkpoint=checkpoint or no_checkpoint)


def import_into_patient(
    study_dir: str | os.PathLike[str], code: str, trials: Sequence[ImportedTrial], *,
    calibration: Calibration | None, created: str | None, origin: Callable[[int], str],
    task: str | None = None, keep_source_name: bool = False, reimport: bool = False,
    checkpoint: Callable[[], None] = no_checkpoint,
) -> ImportResult:
    """Write the trials not yet imported into one new session of patient `code`, all or
    nothing, under the patient's import lock (what :func:`import_recordings` does after its
    checks; the BIDS import calls it once per BIDS session).

    Parameters
    ----------
    study_dir : path-like
        An existing study folder.
    code : str
        An already validated patient code.
    trials : sequence of ImportedTrial
        Read and validated.
    calibration : Calibration or None
        The session's calibration; None: :func:`~kinewrite.formats.trial.session_calibration`
        of the trials written.
    created : str or None
        Normalized ISO 8601 UTC date of the session; None: now.
    origin : callable
        Given the number of files written, says where they come from, for the session's
        ``notes`` ("imported by kinewrite <version> import from <origin>").
    task, keep_source_name, reimport, checkpoint
        As for :func:`import_recordings`.

    Returns
    -------
    ImportResult
    """
    folder = Path(study_dir) / code
    folder_existed = folder.is_dir()
    private_folder(folder, parents=False)
    try:
        with import_lock(folder, checkpoint=checkpoint) as exclusive:
            if exclusive:
                remove_leftovers(folder)
            new, skipped = not_yet_imported(folder, trials, reimport)
            path: Path | None = None
            notes: list[str] = []
            if new:
                if calibration is None:
                    calibration = session_calibration(new)
                path = _write_session_file(
                    folder, code, new, calibration, created,
                    f"imported by kinewrite {__version__} import from {origin(len(new))}",
                    task, keep_source_name, checkpoint, notes)
    finally:
        if not folder_existed:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: this import wrote nothing there
    return ImportResult(path, tuple(skipped), tuple(notes))


def _write_session_file(folder: Path, code: str, trials: Sequence[ImportedTrial],
                        calibration: Calibration, created: str | None, notes_attr: str,
                        task: str | None, keep_source_name: bool,
                        checkpoint: Callable[[], None], notes: list[str]) -> Path:
    """Build the session in a temporary file beside its final name, verify, rename; the
    scale warnings of its trials are appended to `notes`."""
    created = created or normalize_created(now_utc())
    session_id = uuid.uuid4().hex
    path = folder / session_filename(created, session_id)
    meta = {"notes": notes_attr}
    import_id = uuid.uuid4().hex  # shared by the trials of this import
    with atomic_output(path, tag=TEMP_TAG) as tmp:
        notes.extend(_write_session_into(tmp, session_id, code, created, meta, calibration,
                                         trials, task, import_id, keep_source_name,
                                         checkpoint))
        _verify(tmp, trials)
        checkpoint()  # the last moment to abandon it: then it is renamed into place
    return path


def _write_session_into(tmp: Path, session_id: str, code: str, created: str,
                        meta: Mapping[str, str], calibration: Calibration,
                        trials: Sequence[ImportedTrial], task: str | None, import_id: str,
                        keep_source_name: bool, checkpoint: Callable[[], None]) -> list[str]:
    """Write a whole session into the (hidden, temporary) file `tmp` with the ordinary
    :class:`SessionWriter`, changing it in place (no reader lists it; it is verified before
    it is renamed into place); its writer lock is the temporary file's, removed on close.
    Returns the scale warnings of the trials written."""
    writer = SessionWriter(tmp, in_place=True)
    notes: list[str] = []
    try:
        write_new_session(tmp, session_id, code, created, meta, calibration)
        for trial in trials:
            checkpoint()
            note = _write_trial(writer, trial, task, import_id, keep_source_name)
            if note:
                notes.append(note)
    finally:
        writer.close()  # also removes the writer lock of the temporary file
    return notes


def _write_trial(writer: SessionWriter, trial: ImportedTrial, task: str | None,
                 import_id: str, keep_source_name: bool) -> str:
    """Write one trial; returns its scale warning ("" if its size is plausible)."""
    attrs = {"import_id": import_id, **trial.attrs}
    if keep_source_name:
        attrs["source_file"] = Path(trial.source).name
    task = task or trial.task or "free"
    name = writer.begin_trial(
        task, nominal_rate_hz=trial.nominal_rate_hz,
        input_kind="import", channels=tuple(trial.channels), units=trial.units, attrs=attrs,
    )
    writer.append(**trial.channels)
    features = finish_trial(writer, "complete")
    note = scale_warning(trial, task, features)
    if note:
        writer.set_trial_attrs(name, {"scale_warning": note})
    return note


def scale_warning(trial: ImportedTrial, task: str,
                  features: Mapping[str, float] | None) -> str:
    """One line if the trial's writing is implausibly sized for `task` (""), naming the file,
    the size, and the option that fixes it (:func:`kinewrite.analysis.scale.check_scale`)."""
    try:
        recording = channels_to_recording(trial.channels, trial.calibration)
    except RecordingError:
        return ""
    found = check_scale(recording, task, features)
    if found is None:
        return ""
    if trial.units.get("x") == "device":
        units_per_mm = 1.0 / abs(trial.scale.x_mm_per_unit)
        fix = (f"with {units_per_mm:g} device units/mm this is probably the wrong "
               f"resolution: import again with --reimport --device-units-per-mm N (about "
               f"{units_per_mm / found.factor:.3g} for a typical size)")
    else:
        fix = ("the file's own units may be wrong (x, y are taken in "
               f"{trial.units.get('x', 'mm')}); check them before trusting mm measures")
    return (f"{trial.source}: implausible size for the task {task}: {found.sentence()}; "
            f"{fix}")


def _verify(tmp: Path, trials: Sequence[ImportedTrial]) -> None:
    """Read the written session back: one complete trial per file, holding its hash and
    exactly its samples. Raises RuntimeError (a bug, never the user's input) otherwise."""
    session = load_session(tmp)
    problem = "" if len(session.trials) == len(trials) else (
        f"{len(session.trials)} trials for {len(trials)} files")
    for stored, trial in zip(session.trials, trials, strict=False):
        if problem:
            break
        if (stored.status != "complete"
                or stored.attrs.get("source_sha256") != trial.attrs.get("source_sha256")):
            problem = f"trial {stored.name} is not {trial.source}"
        for c, values in trial.channels.items():
            held = stored.channels.get(c)
            if held is None or not np.array_equal(
                    held, np.asarray(values).astype(held.dtype), equal_nan=True):
                problem = problem or f"channel {c} of trial {stored.name} differs"
    if problem:
        raise RuntimeError(f"{tmp}: the session read back differs from the files imported "
                           f"({problem}); nothing was imported")
