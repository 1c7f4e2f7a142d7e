"""A study: a folder of session files, ``<study>/<patient_code>/session-*.h5``.

The index (patients, sessions, dates, tasks) is derived from the files every time a study is
opened: there is no separate database to get out of step. Opening reads only the root
attributes and trial attributes of each file, not the samples.

:func:`read_session_summary` reads what a progress view needs of one file (session metadata,
each trial's attributes and cached features, clinical scales, treatment events) without any
sample, and :func:`study_summaries` does so for every session of a patient: about 1 ms per
session file instead of ~20 ms for :func:`~kinewrite.storage.reader.load_session`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py

from ..clinical.events import event_from_attrs
from ..clinical.scales import ClinicalEntry
from ..errors import InputError, one_line
from . import study_index as ix
from .attrs import scalar_attr
from .feature_row import read_feature_row
from .naming import protocol_task_of
from .opening import OpenedSession, open_session_file, recovery_note
from .reader import Session, load_session
from .schema import FORMAT, FORMAT_VERSION, SESSION_FIELDS
from .summaries import SessionSummary, TrialSummary
from .trust import refuse_foreign_data

__all__ = ["SessionInfo", "SessionSummary", "Study", "TrialSummary", "open_study",
           "read_session_summary", "study_summaries"]

SESSION_GLOB = "*/session-*.h5"


@dataclass(frozen=True)
class TrialInfo:
    name: str
    task: str
    status: str
    n_samples: int


@dataclass(frozen=True)
class SessionInfo:
    """What the index knows of one session file, without its samples."""

    path: Path
    patient_code: str
    session_id: str
    created: str
    trials: tuple[TrialInfo, ...]

    @property
    def date(self) -> str:
        return self.created[:10]

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(sorted({t.task for t in self.trials}))

    def load(self) -> Session:
        return load_session(self.path)


@dataclass
class Study:
    """The sessions of a study folder; :attr:`problems` lists files that could not be read."""

    folder: Path
    sessions: list[SessionInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def patients(self) -> list[str]:
        return sorted({s.patient_code for s in self.sessions})

    def sessions_of(self, patient_code: str) -> list[SessionInfo]:
        """Sessions of one patient, oldest first."""
        return sorted((s for s in self.sessions if s.patient_code == patient_code),
                      key=lambda s: s.created)

    @property
    def dates(self) -> list[str]:
        return sorted({s.date for s in self.sessions})

    def __len__(self) -> int:
        return len(self.sessions)


def open_study(folder: str | os.PathLike[str]) -> Study:
    """Index a study folder from its session files (through the study index: unchanged
    files are not opened again, see :mod:`kinewrite.storage.study_index`).

    Raises
    ------
    InputError
        If the folder does not exist. Unreadable files inside it are listed in
        :attr:`Study.problems` (one line each), not fatal.
    """
    summaries, problems = study_summaries(folder, brief=True)
    study = Study(Path(folder), problems=problems)
    study.sessions = [
        SessionInfo(path=s.path, patient_code=s.patient_code, session_id=s.session_id,
                    created=s.created,
                    trials=tuple(TrialInfo(t.name, t.task, t.status, t.n_samples)
                                 for t in s.trials))
        for s in summaries]
    study.sessions.sort(key=lambda s: (s.patient_code, s.created))
    return study


def is_session_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is an HDF5 file (a session, or an HDF5 file to be refused as foreign)."""
    try:
        return Path(path).is_file() and h5py.is_hdf5(path)
    except OSError:
        return False


# ------------------------------------------------------------------------ summary reading


def read_session_summary(path: str | os.PathLike[str], brief: bool = False) -> SessionSummary:
    """Read one session file's metadata, trial attributes, cached features, clinical scales
    and treatment events, never a sample.

    Opens the file once and reads the compact feature row of each trial (two small
    datasets, see :func:`~kinewrite.storage.feature_row.write_features`; older files fall back to
    the feature attributes). Scalar attributes are read through h5py's low-level API.
    With ``brief=True`` the session metadata and the trials' ``started``, ``ended`` and
    ``nominal_rate_hz`` are not read (left empty / NaN): a third fewer reads, for views that
    need only features, scales and events.

    Raises
    ------
    InputError
        One line naming the file: missing, not HDF5, damaged, not a kinewrite session, or of
        a newer format version.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such session file")
    try:
        opened = open_session_file(path)
    except Exception as exc:  # h5py raises OSError or RuntimeError on junk
        raise InputError(f"{path}: cannot open as HDF5 ({one_line(exc)})") from None
    try:
        with opened:
            return _summary(opened, path, brief)
    except InputError:
        raise
    except Exception as exc:  # corrupt internals surface as many h5py/numpy exceptions
        raise InputError(f"{path}: damaged session file ({one_line(exc)})") from None


def _summary(opened: OpenedSession, path: Path, brief: bool) -> SessionSummary:
    f = opened.file
    if scalar_attr(f, "format", str, "") != FORMAT:
        raise InputError(f"{path}: not a kinewrite session (HDF5 without format={FORMAT!r})")
    version = int(scalar_attr(f, "format_version", float, 0.0))
    if version > FORMAT_VERSION:
        raise InputError(f"{path}: session format v{version} is newer than this kinewrite "
                         f"reads (v{FORMAT_VERSION}); upgrade kinewrite")
    refuse_foreign_data(f, path)
    present = () if brief else set(f.attrs)
    metadata = {key: scalar_attr(f, key, str) for key in SESSION_FIELDS if key in present}
    trials, interrupted = [], []
    group = f.get("trials")
    for name in sorted(group) if group is not None else ():
        g = h5py.h5g.open(group.id, name.encode())  # low-level ids: ~25 µs less per object
        features, fversion = read_feature_row(g)
        status = scalar_attr(g, "status", str, "recording")
        n = scalar_attr(g, "n_samples", float) if status != "recording" else None
        if n is None:  # still recording, or a writer that died: the common channel length
            n = min((h5py.h5d.open(g, c.encode()).shape[0] for c in ("t", "x", "y")
                     if g.links.exists(c.encode())), default=0)
        if status == "recording" and not opened.live_writer:
            status = "aborted"
            interrupted.append(name)
        task = scalar_attr(g, "task", str, "free")
        trials.append(TrialSummary(
            name=name, task=task, status=status,
            started="" if brief else scalar_attr(g, "started", str, ""),
            ended="" if brief else scalar_attr(g, "ended", str, ""),
            nominal_rate_hz=(math.nan if brief
                             else scalar_attr(g, "nominal_rate_hz", float, math.nan)),
            input=scalar_attr(g, "input", str, ""),
            superseded_by=scalar_attr(g, "superseded_by", str, ""),
            n_samples=int(n), analysis_error=scalar_attr(g, "analysis_error", str, ""),
            features=features, features_version=fversion,
            protocol_task=protocol_task_of(task, scalar_attr(g, "protocol_task", str),
                                           scalar_attr(g, "guide_shown", float)),
        ))
    clinical = []
    group = f.get("clinical")
    for name in sorted(group) if group is not None else ():
        g = h5py.h5g.open(group.id, name.encode())
        clinical.append(ClinicalEntry(
            scale=scalar_attr(g, "scale", str, ""), date=scalar_attr(g, "date", str, ""),
            rater=scalar_attr(g, "rater", str, ""),
            items=json.loads(scalar_attr(g, "items", str, "{}") or "{}"),
            score=scalar_attr(g, "score", float, math.nan), name=name,
        ))
    events = []
    group = f.get("events")
    for name in sorted(group) if group is not None else ():
        g = h5py.h5g.open(group.id, name.encode())
        events.append(event_from_attrs(
            scalar_attr(g, "kind", str, ""), scalar_attr(g, "date", str, ""),
            scalar_attr(g, "muscles", str, "[]"),
            scalar_attr(g, "dose_units", float, math.nan), scalar_attr(g, "notes", str, ""),
            scalar_attr(g, "product", str),  # None if absent: an older event
            scalar_attr(g, "doses_units", str, "{}"),
        ))
    note = recovery_note(path, opened.left_open, interrupted)
    return SessionSummary(
        path=path, session_id=scalar_attr(f, "session_id", str, ""),
        patient_code=scalar_attr(f, "patient_code", str, ""),
        created=scalar_attr(f, "created", str, ""), format_version=version,
        metadata=metadata, trials=tuple(trials), clinical=tuple(clinical),
        events=tuple(events), recovered_from_crash=bool(note), recovery=note,
    )


def study_summaries(folder: str | os.PathLike[str], patient_code: str | None = None,
                    brief: bool = False, use_index: bool = True,
                    ) -> tuple[list[SessionSummary], list[str]]:
    """Summaries of the session files of a study (of one patient), oldest first.

    Parameters
    ----------
    folder : path-like
        The study folder, ``<folder>/<patient code>/session-*.h5``.
    patient_code : str, optional
        Only this patient's sessions (files in the folder named by the code, and whose
        stored code matches).
    brief : bool, default False
        Passed to :func:`read_session_summary`; a brief request may be answered from a
        complete summary of the index, never the other way round.
    use_index : bool, default True
        Use and update the study's summary cache (:mod:`kinewrite.storage.study_index`):
        unchanged files are not opened at all. The index is untrusted input: an entry is
        used only if the index is a regular file signed with this user's key and the entry
        passes its checks against its file; otherwise the file is read.

    Returns
    -------
    summaries : list of SessionSummary
        Sorted by creation time (``created``, ISO 8601 UTC), then session id.
    problems : list of str
        One line per file that could not be read (never fatal).

    Raises
    ------
    InputError
        If the folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such study folder")
    pattern = SESSION_GLOB if patient_code is None else f"{patient_code}/session-*.h5"
    entries = ix.load_index(folder) if use_index else {}
    kept = {rel: e for rel, e in entries.items()
            if patient_code is not None and not rel.startswith(f"{patient_code}/")}
    changed = False
    summaries, problems = [], []
    for path in sorted(folder.glob(pattern)):
        rel = path.relative_to(folder).as_posix()
        summary = ix.cached_summary(entries, rel, path, brief) if use_index else None
        if summary is not None:
            kept[rel] = entries[rel]
        else:
            try:
                before = ix.file_identity(path) if use_index else None
                summary = read_session_summary(path, brief)
            except (InputError, OSError) as exc:
                problems.append(str(exc).splitlines()[0])
                continue
            if use_index and ix.cacheable(summary):
                try:
                    if ix.file_identity(path) == before:  # not changed while read
                        kept[rel] = {"identity": before, "brief": brief,
                                     "summary": ix.summary_to_json(summary)}
                        changed = True
                except OSError:
                    pass
        if patient_code is not None and summary.patient_code != patient_code:
            problems.append(f"{path}: holds patient {summary.patient_code!r} but lies in "
                            f"folder {patient_code!r}; not read (moved or forged file?)")
            continue
        summaries.append(summary)
    if use_index and (changed or kept.keys() != entries.keys()):
        ix.save_index(folder, kept)
    summaries.sort(key=lambda s: (s.created, s.session_id))
    return summaries, problems
