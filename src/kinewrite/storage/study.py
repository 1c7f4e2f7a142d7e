"""A study: a folder of session files, ``<study>/<patient_code>/session-*.h5``.

The index (patients, sessions, dates, tasks) is derived from the files every time a study is
opened: there is no separate database to get out of step. Opening reads only the root
attributes and trial attributes of each file, not the samples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py

from .csv_recording import InputError
from .session import FORMAT, Session, _attr_str, _open_for_read, load_session

__all__ = ["SessionInfo", "Study", "open_study"]

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


def _index_file(path: Path) -> SessionInfo:
    try:
        f, _ = _open_for_read(path)
    except Exception as exc:  # h5py raises OSError or RuntimeError on junk
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot open as HDF5 ({first})") from None
    with f:
        if _attr_str(f.attrs, "format") != FORMAT:
            raise InputError(f"{path}: not a kinewrite session")
        trials = []
        for name in sorted(f.get("trials", {})):
            g = f["trials"][name]
            n = g["t"].shape[0] if "t" in g else 0
            trials.append(TrialInfo(name, _attr_str(g.attrs, "task", "free"),
                                    _attr_str(g.attrs, "status", "recording"), int(n)))
        return SessionInfo(path=path, patient_code=_attr_str(f.attrs, "patient_code"),
                           session_id=_attr_str(f.attrs, "session_id"),
                           created=_attr_str(f.attrs, "created"), trials=tuple(trials))


def open_study(folder: str | os.PathLike[str]) -> Study:
    """Index a study folder from its session files.

    Raises
    ------
    InputError
        If the folder does not exist. Unreadable files inside it are listed in
        :attr:`Study.problems` (one line each), not fatal.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such study folder")
    study = Study(folder)
    for path in sorted(folder.glob(SESSION_GLOB)):
        try:
            study.sessions.append(_index_file(path))
        except Exception as exc:  # a damaged file is a problem to list, never a crash
            if not isinstance(exc, InputError):
                exc = InputError(f"{path}: damaged session file ({type(exc).__name__}: {exc})")
            study.problems.append(str(exc).splitlines()[0])
    study.sessions.sort(key=lambda s: (s.patient_code, s.created))
    return study


def is_session_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is an HDF5 file (a session, or an HDF5 file to be refused as foreign)."""
    try:
        return Path(path).is_file() and h5py.is_hdf5(path)
    except OSError:
        return False
