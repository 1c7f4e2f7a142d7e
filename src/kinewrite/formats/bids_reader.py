"""A BIDS motion dataset written by ``kinewrite export --format bids``, read back into a study.

``kinewrite import DATASET --format bids --study STUDY --patient CODE`` imports the
subject of ``CODE`` (its label from the dataset's ``participants.tsv`` column
``patient_code``, else :func:`~kinewrite.export.bids.subject_label` of the code): one new
session per ``ses-<n>`` (dated with its ``acq_time`` in ``sub-<label>_sessions.tsv``), one
trial per ``*_motion.tsv`` in the order of the session's ``scans.tsv``, the task from the
file's ``task-`` entity.

The samples come back as the dataset holds them: ``t`` is the ``device_time`` channel (the
device's stamps; the ``latency`` channel where there is none), x and y the ``pen_x``,
``pen_y`` channels in mm, pressure the ``pen_pressure`` fraction, ``pen_state`` the pen
state (all touching where absent), tilt the ``tilt_x``, ``tilt_y`` channels. The session's
calibration is the identity in mm with the sidecar's ``PenPressureSaturation`` and
``PenForceCalibration``, so features computed from the imported session equal the exported
ones. Each session is imported all or nothing through the machinery of
:mod:`kinewrite.formats.session_build` (hidden temporary file, verified, renamed; files
already imported are skipped by their SHA-256).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import TASKS
from ..storage.calibration import Calibration
from ..storage.codes import check_code_collision, validate_patient_code
from ..storage.naming import normalize_created
from ..storage.schema import STATE_TOUCH
from .bids_names import NA, BidsError, subject_label
from .bounded_read import MAX_BYTES
from .import_lock import no_checkpoint
from .session_build import ImportResult, import_into_patient
from .trial import ImportedTrial, Scale, validate_trial

__all__ = ["BidsSession", "import_bids", "read_bids_subject", "read_motion_file"]

_MOTION = re.compile(r"sub-(?P<sub>[A-Za-z0-9]+)_ses-(?P<ses>[A-Za-z0-9]+)_task-(?P<task>"
                     r"[A-Za-z0-9]+)(?:_[a-z]+-[A-Za-z0-9]+)*_motion\.tsv")


@dataclass
class BidsSession:
    """One ``ses-`` folder read into memory: its trials, date and calibration."""

    label: str
    created: str | None
    trials: list[ImportedTrial]
    calibration: Calibration


def _read_tsv(path: Path, header: bool = True) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", header=0 if header else None, na_values=[NA],
                           keep_default_na=False, dtype=None if not header else str)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read as TSV ({str(exc).splitlines()[0][:120]})"
                         ) from None


def _label_of(root: Path, code: str) -> str:
    participants = root / "participants.tsv"
    if participants.is_file():
        table = _read_tsv(participants)
        if "patient_code" in table and "participant_id" in table:
            hit = table[table["patient_code"] == code]
            if len(hit):
                return str(hit["participant_id"].iloc[0]).removeprefix("sub-")
    return subject_label(code)


def _session_dates(sub: Path, label: str) -> dict[str, str]:
    path = sub / f"sub-{label}_sessions.tsv"
    if not path.is_file():
        return {}
    table = _read_tsv(path)
    if "session_id" not in table or "acq_time" not in table:
        return {}
    return {str(s): str(a) for s, a in zip(table["session_id"], table["acq_time"], strict=True)
            if isinstance(a, str)}


def _motion_files(ses: Path, label: str) -> list[Path]:
    """The session's motion files in scans.tsv order (then by name)."""
    files = sorted((ses / "motion").glob("*_motion.tsv"))
    scans = ses / f"sub-{label}_{ses.name}_scans.tsv"
    if scans.is_file():
        table = _read_tsv(scans)
        if "filename" in table:
            rank = {Path(str(f)).name: i for i, f in enumerate(table["filename"])}
            files.sort(key=lambda p: (rank.get(p.name, len(rank)), p.name))
    return files


def _sidecar(tsv: Path) -> dict[str, Any]:
    path = tsv.with_name(tsv.name.removesuffix("_motion.tsv") + "_motion.json")
    if not path.is_file():
        raise InputError(f"{tsv}: no sidecar {path.name}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object")
    return data


def _channel_names(tsv: Path) -> list[str]:
    path = tsv.with_name(tsv.name.removesuffix("_motion.tsv") + "_channels.tsv")
    if not path.is_file():
        raise InputError(f"{tsv}: no channels file {path.name}")
    table = _read_tsv(path)
    if "name" not in table:
        raise InputError(f"{path}: no 'name' column")
    return [str(n) for n in table["name"]]


def read_motion_file(tsv: Path) -> tuple[ImportedTrial, dict[str, Any]]:
    """One ``*_motion.tsv`` with its channels and sidecar as an ImportedTrial (mm, s, 0..1),
    and its sidecar.

    Raises
    ------
    InputError
        One line naming the file.
    """
    m = _MOTION.fullmatch(tsv.name)
    if not m:
        raise InputError(f"{tsv}: not a BIDS motion file name")
    names = _channel_names(tsv)
    sidecar = _sidecar(tsv)
    try:
        if tsv.stat().st_size > MAX_BYTES:
            raise InputError(f"{tsv}: file is larger than {MAX_BYTES // 2**20} MB")
        data = tsv.read_bytes()
    except OSError as exc:
        raise InputError(f"{tsv}: cannot read file ({exc.strerror or exc})") from None
    try:
        values = pd.read_csv(io.BytesIO(data), sep="\t", header=None, na_values=[NA],
                             keep_default_na=False, dtype=np.float64).to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{tsv}: samples must be numbers or n/a "
                         f"({str(exc).splitlines()[0][:100]})") from None
    if values.shape[1] != len(names):
        raise InputError(f"{tsv}: {values.shape[1]} columns but its channels file lists "
                         f"{len(names)} channels")
    col = dict(zip(names, values.T, strict=True))
    for needed in ("pen_x", "pen_y"):
        if needed not in col:
            raise InputError(f"{tsv}: no {needed} channel (kinewrite reads pen_x and pen_y "
                             "in mm)")
    t = col.get("device_time", col.get("latency"))
    if t is None:
        raise InputError(f"{tsv}: no device_time or latency channel: no time for the samples")
    state = col.get("pen_state")
    if state is not None and not np.isin(state, (0.0, 1.0, 2.0)).all():
        row = int(np.flatnonzero(~np.isin(state, (0.0, 1.0, 2.0)))[0])
        raise InputError(f"{tsv}: pen_state must be 0, 1 or 2, got {state[row]:g} in row "
                         f"{row + 1}")
    channels: dict[str, np.ndarray] = {
        "t": t, "x": col["pen_x"], "y": col["pen_y"],
        "state": (np.full(t.size, STATE_TOUCH, dtype=np.uint8) if state is None
                  else state.astype(np.uint8)),
    }
    units = {"t": "s", "x": "mm", "y": "mm", "state": "code"}
    if "pen_pressure" in col:
        channels["pressure"], units["pressure"] = col["pen_pressure"], "1"
    for tilt in ("tilt_x", "tilt_y"):
        if tilt in col:
            channels[tilt], units[tilt] = col[tilt], "deg"
    # the analysis task and protocol step kinewrite wrote in the sidecar, else the file's label
    task = sidecar.get("KinewriteTask")
    if task not in TASKS:
        task = m["task"] if m["task"] in TASKS else "free"
    protocol_task = sidecar.get("KinewriteProtocolTask")
    rate = sidecar.get("SamplingFrequency")
    scale = Scale(1.0, 1.0, "identity: BIDS positions in mm",
                  1.0 if "pressure" in channels else None,
                  "pressure already a fraction 0..1" if "pressure" in channels else "")
    trial = ImportedTrial(
        source=str(tsv), fmt="bids", channels=channels, units=units, scale=scale, task=task,
        nominal_rate_hz=float(rate) if isinstance(rate, int | float) else float("nan"),
        attrs={"source_format": "bids",
               "unit_conversion": "none: pen_x, pen_y in mm, device_time in s, pen_pressure "
                                  "0..1 (BIDS motion written by kinewrite)",
               "nominal_rate_hz_source": "SamplingFrequency of the BIDS sidecar",
               "source_sha256": hashlib.sha256(data).hexdigest(),
               **({"bids_task": m["task"]} if task != m["task"] else {}),
               **({"protocol_task": protocol_task}
                  if isinstance(protocol_task, str) and protocol_task != task else {})},
    )
    validate_trial(trial)
    return trial, sidecar


def _calibration(tsv: Path, sidecar: dict[str, Any]) -> Calibration:
    saturation = sidecar.get("PenPressureSaturation", 1.0)
    force = sidecar.get("PenForceCalibration") or {}
    try:
        saturation = float(saturation)
        coeffs = tuple(float(c) for c in force.get("CoefficientsHighestPowerFirst", ()))
        tare = float(force.get("TareN", 0.0))
    except (TypeError, ValueError, AttributeError):
        raise InputError(f"{tsv}: PenPressureSaturation or PenForceCalibration of its sidecar "
                         "is not numeric") from None
    if not 0.0 < saturation <= 1.0:
        raise InputError(f"{tsv}: PenPressureSaturation must be in (0, 1], got {saturation:g}")
    return Calibration(pressure_max=1.0, pressure_saturation=saturation,
                       pressure_newton_coeffs=coeffs, tare_N=tare,
                       source="kinewrite import of a BIDS motion dataset: identity, mm")


def read_bids_subject(root: str | os.PathLike[str], code: str) -> list[BidsSession]:
    """Every session of the subject of patient `code` in the dataset at `root`, read and
    checked in memory (nothing written).

    Raises
    ------
    InputError
        One line: not a BIDS dataset, no such subject, a file that cannot be read, two
        trials of one session with different calibrations.
    """
    root = Path(root)
    if not (root / "dataset_description.json").is_file():
        raise BidsError(f"{root}: not a BIDS dataset (no dataset_description.json)")
    label = _label_of(root, code)
    sub = root / f"sub-{label}"
    if not sub.is_dir():
        raise BidsError(f"{root}: no subject sub-{label} (patient {code!r})")
    dates = _session_dates(sub, label)

    def number(p: Path) -> tuple[int, str]:
        tail = p.name.removeprefix("ses-")
        return (int(tail) if tail.isdigit() else 1 << 30, tail)

    sessions = []
    for ses in sorted((p for p in sub.glob("ses-*") if p.is_dir()), key=number):
        files = _motion_files(ses, label)
        if not files:
            continue
        trials, cals = [], []
        for tsv in files:
            trial, sidecar = read_motion_file(tsv)
            trials.append(trial)
            cals.append((tsv, _calibration(tsv, sidecar)))
        first = cals[0]
        for tsv, cal in cals[1:]:
            if cal != first[1]:
                raise BidsError(f"{tsv}: pressure calibration differs from {first[0].name}; "
                                "one kinewrite session holds one calibration")
        created = dates.get(ses.name)
        if created is not None:
            try:
                created = normalize_created(created)
            except ValueError as exc:
                raise BidsError(f"{sub}: {ses.name}: acq_time {created!r}: {exc}") from None
        sessions.append(BidsSession(ses.name, created, trials, first[1]))
    if not sessions:
        raise BidsError(f"{sub}: no motion file in any session")
    return sessions


def import_bids(root: str | os.PathLike[str], study_dir: str | os.PathLike[str], code: str,
                reimport: bool = False, keep_source_name: bool = False,
                checkpoint: Callable[[], None] | None = None) -> list[ImportResult]:
    """Import the subject of `code`: one new session per BIDS session, each all or nothing.

    Every session is read and checked before the first is written. Returns one
    :class:`~kinewrite.formats.session_build.ImportResult` per BIDS session, in order.
    """
    code = validate_patient_code(code)
    if not Path(study_dir).is_dir():
        raise InputError(f"{study_dir}: study folder does not exist")
    check_code_collision(study_dir, code)
    sessions = read_bids_subject(root, code)
    return [_import_session(Path(study_dir), code, s, reimport, keep_source_name,
                            checkpoint or no_checkpoint) for s in sessions]


def _import_session(study: Path, code: str, session: BidsSession, reimport: bool,
                    keep_source_name: bool, check: Callable[[], None]) -> ImportResult:
    """:func:`~kinewrite.formats.session_build.import_recordings` with the session's own
    calibration (saturation, force) rather than one derived from the files' scales. The
    trials' scale warnings are stored with them (``scale_warning``), not returned."""
    result = import_into_patient(
        study, code, session.trials, calibration=session.calibration,
        created=session.created, origin=lambda n: f"BIDS {session.label} ({n} file(s))",
        keep_source_name=keep_source_name, reimport=reimport, checkpoint=check)
    return ImportResult(result.path, result.skipped)
