"""A study as a BIDS motion dataset (BIDS >= 1.9, BEP029), and back.

``kinewrite export STUDY --format bids -o DIR`` writes::

    DIR/dataset_description.json  README  participants.tsv  participants.json
    DIR/sub-<label>/sub-<label>_sessions.tsv (+ .json)
    DIR/sub-<label>/ses-<n>/sub-<label>_ses-<n>_scans.tsv (+ .json)
    DIR/sub-<label>/ses-<n>/motion/sub-<label>_ses-<n>_task-<task>_run-<k>_tracksys-tablet_
        motion.tsv   (samples, no header)
        channels.tsv (name, component, type, tracked_point, units, description)
        motion.json  (TaskName, SamplingFrequency, channel counts ...)
    DIR/sub-<label>/ses-<n>/motion/sub-<label>_ses-<n>_task-<task>_run-<k>_events.tsv
    DIR/derivatives/kinewrite/dataset_description.json  features.tsv  features.json

One motion file per trial, one row per stored sample in stored order (nothing is filtered,
resampled or dropped). Its channels (:func:`trial_channels`):

``latency`` (LATENCY, s)
    The rebuilt sample clock (:func:`~kinewrite.analysis.preprocess.rebuild_clock`, as the
    analysis rebuilds it), relative to the trial's first sample: tablets stamp samples in
    whole ms and coalesce some, so the nominal ``SamplingFrequency`` alone does not place
    them. A sample dropped by the analysis as an exact duplicate gets its twin's time.
``pen_x``, ``pen_y`` (POS, mm)
    The pen tip on the writing surface through the session's calibration, y up; raw (not
    low-passed, not rotated).
``pen_pressure`` (MISC, fraction 0..1 of the device range), where the device gives pressure;
``pen_force`` (MISC, N) besides it when the session holds a stylus force calibration.
``tilt_x``, ``tilt_y`` (ORNT, deg), where recorded.
``pen_state`` (MISC) 0 out of range, 1 hovering, 2 touching the surface.
``device_time`` (MISC, s)
    The time stamps as the device delivered them (what the session file stores).

Events (``*_events.tsv``): one ``trial`` row spanning the trial, one ``pen_down`` row per
run of samples touching the surface (onset and duration on the ``latency`` clock; ``sample``
is the 0-based row of the run's first sample in ``motion.tsv``).

Subject labels
--------------
BIDS labels are letters and digits only. A patient code (letters, digits, ``_ - .``,
:mod:`~kinewrite.storage.codes`) becomes its label without its ``_ - .``: ``SIM-001`` is
``sub-SIM001``; ``participants.tsv`` keeps the code (column ``patient_code``), which the
import restores. Two codes of one label (``WC-1`` and ``WC1``) are refused, naming both, as
is a code that does not give a label (:class:`BidsError`). Sessions are numbered ``ses-1``,
``ses-2`` ... in order of creation; trials of one task in one session are ``run-1``,
``run-2`` ... in trial order. Superseded trials and trials without samples are left out.

The export is all or nothing: every session file is read first (any problem: one line per
file, nothing written), the dataset is built in a hidden folder beside ``DIR`` and renamed
into place. ``DIR`` must not exist, or be an empty folder.

References
----------
BIDS specification, "Motion" (modality-specific files), https://bids-specification.
readthedocs.io/en/stable/modality-specific-files/motion.html ; Jeung S. et al. (2024)
"Motion-BIDS: an extension to the brain imaging data structure to organize motion data for
reproducible research", Sci. Data 11:716.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._atomic import fsync_folder
from .._version import __version__
from ..errors import InputError
from ..formats.bids_names import NA, BidsError, subject_label
from ..model import RecordingError
from ..storage.reader import Session, Trial
from .bids_files import (
    EVENTS_JSON,
    PARTICIPANTS_JSON,
    SCANS_JSON,
    SESSIONS_JSON,
    acq_time,
    readme_text,
    write_json,
    write_tsv,
)
from .bids_motion import TRACKSYS, trial_channels, write_trial
from .checks import check_channels, check_session_file, check_trial
from .columns import column_dictionary
from .options import ExportOptions
from .rows import load_with_cache, session_paths, session_rows
from .writers import rows_to_frame

__all__ = [
    "BIDS_VERSION",
    "TRACKSYS",
    "BidsError",
    "BidsSummary",
    "export_bids",
    "subject_label",
    "trial_channels",
]

#: The BIDS version the dataset declares (motion is part of BIDS since 1.9.0).
BIDS_VERSION = "1.10.0"

@dataclass(frozen=True)
class BidsSummary:
    """What :func:`export_bids` wrote."""

    path: Path
    subjects: int
    sessions: int
    motion_files: int
    #: One line per trial left out because its samples are invalid (the rest is written).
    problems: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- the dataset


def _session_sort_key(session: Session) -> tuple[str, str]:
    return session.created, session.session_id


def _read_study(study_dir: Path) -> dict[str, list[Session]]:
    """Every session of the study, checked, by patient code; BidsError if any is bad."""
    problems: list[str] = []
    by_code: dict[str, list[Session]] = {}
    for path in session_paths(study_dir):
        try:
            session = load_with_cache(path)
            check_session_file(session.path, session.patient_code, session.session_id,
                               session.created)
            for trial in session.trials:
                check_trial(session.path, trial.name, trial.task, trial.status)
                check_channels(session.path, trial.name, trial.channels)
        except InputError as exc:
            problems.append(str(exc).splitlines()[0])
            continue
        by_code.setdefault(session.patient_code, []).append(session)
    if problems:
        raise BidsError(problems[0] if len(problems) == 1 else
                        f"{len(problems)} session files cannot be read; nothing written",
                        [*problems, f"{len(problems)} session files cannot be read; no "
                                    "dataset written"] if len(problems) > 1 else problems)
    for sessions in by_code.values():
        sessions.sort(key=_session_sort_key)
    return by_code


def _labels(codes: Iterable[str]) -> dict[str, str]:
    """code -> label; BidsError for two codes of one label."""
    labels: dict[str, str] = {}
    seen: dict[str, str] = {}
    for code in sorted(codes):
        label = subject_label(code)
        if label.lower() in seen:
            raise BidsError(f"patient codes {seen[label.lower()]!r} and {code!r} give the same "
                            f"BIDS subject label sub-{label}; rename one of them")
        seen[label.lower()] = code
        labels[code] = label
    return labels



def _scores(session: Session) -> dict[str, float]:
    """The session's last ADDS (%) and WCRS scores (NaN where none)."""
    out = {"ADDS": math.nan, "WCRS": math.nan}
    for entry in session.clinical:
        if entry.scale in out:
            out[entry.scale] = float(entry.score)
    return out



def _exported_trials(session: Session, include_superseded: bool,
                     problems: list[str] | None = None) -> list[tuple[Trial, int]]:
    """The trials of a session the dataset holds, each with its run number (per task, in
    trial order): those with samples that make a valid recording, superseded ones only if
    asked. A trial whose samples are invalid is left out, its line added to `problems`."""
    runs: dict[str, int] = {}
    out = []
    for trial in session.trials:
        if trial.n_samples == 0 or (trial.status == "superseded" and not include_superseded):
            continue
        try:
            trial.recording  # noqa: B018 - validates the samples
        except RecordingError as exc:
            if problems is not None:
                problems.append(f"{session.path}: trial {trial.name}: {exc}; left out of the "
                                "BIDS dataset")
            continue
        label = bids_task_label(trial.protocol_task)
        runs[label] = runs.get(label, 0) + 1
        out.append((trial, runs[label]))
    return out


def bids_task_label(protocol_task: str) -> str:
    """The BIDS ``task-`` label of a protocol step: its letters and digits (BIDS labels allow
    no others), so a guided and a free spiral are two BIDS tasks.

    >>> bids_task_label("spiral_guided"), bids_task_label("loops")
    ('spiralguided', 'loops')
    """
    return re.sub(r"[^A-Za-z0-9]", "", protocol_task) or "free"


def _write_subject(root: Path, code: str, label: str, sessions: list[Session],
                   include_superseded: bool) -> tuple[int, int]:
    """Write one subject; returns (sessions, motion files)."""
    sub = root / f"sub-{label}"
    sub.mkdir()
    session_rows: list[dict[str, Any]] = []
    n_motion = 0
    for number, session in enumerate(sessions, start=1):
        ses = f"ses-{number}"
        folder = sub / ses / "motion"
        folder.mkdir(parents=True)
        scans: list[dict[str, Any]] = []
        for trial, run in _exported_trials(session, include_superseded):
            stem = f"sub-{label}_{ses}_task-{bids_task_label(trial.protocol_task)}"
            name = write_trial(folder, stem, run, trial, trial.protocol_task)
            scans.append({"filename": f"motion/{name}",
                          "acq_time": acq_time(trial.started or session.created),
                          "kinewrite_trial": int(trial.name), "trial_status": trial.status,
                          "input_kind": trial.input or NA})
            n_motion += 1
        if not scans:
            shutil.rmtree(sub / ses)
            continue
        write_tsv(pd.DataFrame(scans), sub / ses / f"sub-{label}_{ses}_scans.tsv")
        write_json(SCANS_JSON, sub / ses / f"sub-{label}_{ses}_scans.json")
        scores = _scores(session)
        session_rows.append({"session_id": ses, "acq_time": acq_time(session.created),
                             "kinewrite_session_id": session.session_id,
                             "adds_pct": scores["ADDS"], "wcrs": scores["WCRS"]})
    if session_rows:
        write_tsv(pd.DataFrame(session_rows), sub / f"sub-{label}_sessions.tsv")
        write_json(SESSIONS_JSON, sub / f"sub-{label}_sessions.json")
    else:
        shutil.rmtree(sub)
    return len(session_rows), n_motion



def _write_derivatives(root: Path, study_dir: Path, labels: dict[str, str],
                       sessions: dict[str, list[Session]], include_superseded: bool) -> None:
    """derivatives/kinewrite: the feature table, keyed by BIDS subject, session, task, run."""
    folder = root / "derivatives" / "kinewrite"
    folder.mkdir(parents=True)
    write_json({"Name": "kinewrite handwriting features", "BIDSVersion": BIDS_VERSION,
           "DatasetType": "derivative",
           "GeneratedBy": [{"Name": "kinewrite", "Version": __version__}]},
          folder / "dataset_description.json")
    options = ExportOptions(study_dir=str(study_dir.absolute()),
                            include_superseded=include_superseded)
    rows: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for code, ss in sorted(sessions.items()):
        for number, session in enumerate(ss, start=1):
            file_rows = {r["trial"]: r for r in session_rows(session.path, options)}
            for trial, run in _exported_trials(session, include_superseded):
                rows.append(file_rows[int(trial.name)])
                keys.append({"participant_id": f"sub-{labels[code]}", "session": f"ses-{number}",
                             "run": run})
    frame = rows_to_frame(rows)
    table = pd.concat([pd.DataFrame(keys, index=frame.index), frame], axis=1)
    write_tsv(table, folder / "features.tsv")

    described = {row["column"]: {"Description": row["description"],
                                 **({"Units": row["unit"]} if row["unit"] else {})}
                 for row in column_dictionary()}
    described["participant_id"] = {"Description": "BIDS subject"}
    described["session"] = {"Description": "BIDS session"}
    described["run"] = {"Description": "BIDS run (trials of one task in one session)"}
    write_json(described, folder / "features.json")
    (folder / "README").write_text(
        "kinewrite features: features.tsv holds one row per trial of the raw dataset (keys "
        "participant_id, session, task, run), one column per feature with its unit in the "
        "name; features.json describes every column.\n", encoding="utf-8")
    # a study-wide table has no BIDS file name: the validator is told to pass it over
    (folder / ".bidsignore").write_text("features.tsv\nfeatures.json\n", encoding="utf-8")


def export_bids(study_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                include_superseded: bool = False) -> BidsSummary:
    """Write the study as a BIDS motion dataset; all or nothing (see the module docstring).

    Parameters
    ----------
    study_dir : path-like
        A study folder (``<code>/session-*.h5``); only read.
    out_dir : path-like
        The dataset's folder: must not exist, or be empty; its parent must exist.
    include_superseded : bool, default False
        Also export trials redone later.

    Returns
    -------
    BidsSummary

    Raises
    ------
    BidsError
        One line: no study, a session file that cannot be read, a patient code without a
        label or two codes of one label, an output folder that exists and is not empty.
    OSError
        If the dataset cannot be written (nothing is left at `out_dir`).
    """
    study = Path(study_dir)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BidsError(f"{out}: exists and is not an empty folder; give a new folder")
    if not out.parent.is_dir():
        raise BidsError(f"{out}: folder {out.parent} does not exist")
    sessions = _read_study(study)
    labels = _labels(sessions)
    problems: list[str] = []
    for code in sorted(sessions):
        for session in sessions[code]:
            _exported_trials(session, include_superseded, problems)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".bids.tmp", dir=out.parent))
    try:
        n_ses = n_files = n_sub = 0
        participants = []
        for code in sorted(sessions):
            s, f = _write_subject(tmp, code, labels[code], sessions[code], include_superseded)
            if s:
                n_sub += 1
                n_ses += s
                n_files += f
                participants.append({"participant_id": f"sub-{labels[code]}",
                                     "patient_code": code})
        if not participants:
            raise BidsError(f"{study}: no trial with samples to export")
        write_tsv(pd.DataFrame(participants), tmp / "participants.tsv")
        write_json(PARTICIPANTS_JSON, tmp / "participants.json")
        write_json({"Name": f"kinewrite study {study.absolute().name}", "BIDSVersion": BIDS_VERSION,
               "DatasetType": "raw",
               "GeneratedBy": [{"Name": "kinewrite", "Version": __version__}]},
              tmp / "dataset_description.json")
        for task in sorted({p.name.split("_task-")[1].split("_")[0]
                            for p in tmp.glob("sub-*/ses-*/motion/*_events.tsv")}):
            write_json(EVENTS_JSON, tmp / f"task-{task}_events.json")
        (tmp / "README").write_text(readme_text(study, (n_sub, n_ses, n_files)), encoding="utf-8")
        _write_derivatives(tmp, study, labels, sessions, include_superseded)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    fsync_folder(out.parent)
    return BidsSummary(out, n_sub, n_ses, n_files, tuple(problems))
