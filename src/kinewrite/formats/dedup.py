"""Each file imported once: the SHA-256 of a file's bytes (``source_sha256``, stored with
its trial) tells whether a patient's sessions hold it already, or whether the same bytes were
given twice in one import.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py

from ..errors import InputError
from ..storage.reader import load_session
from ..storage.trust import refuse_foreign_data
from .trial import ImportedTrial

__all__ = ["Skipped", "imported_sources", "not_yet_imported"]


@dataclass(frozen=True)
class Skipped:
    """A file not imported because its content (``source_sha256``) is already in the study:
    in trial `trial` of session `session`, or (`session` None) in the file `trial` given
    earlier in the same import."""

    source: str
    session: Path | None
    trial: str

    @property
    def message(self) -> str:
        """One line naming the file and what holds it."""
        if self.session is None:
            return f"{self.source}: same content as {self.trial}, given earlier; skipped"
        return (f"{self.source}: already imported, as trial {self.trial} of {self.session}; "
                "skipped (--reimport imports it again)")


def imported_sources(folder: str | os.PathLike[str]) -> dict[str, tuple[Path, str]]:
    """The ``source_sha256`` of every trial in the session files of a patient folder:
    hash -> (session file, trial name). Files that cannot be read are passed over (they
    hold nothing usable; the study lists them as problems)."""
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted(Path(folder).glob("session-*.h5")):
        if not path.is_file():  # a FIFO or a folder of that name: never opened
            continue
        try:
            digests = _trial_digests(path)
        except (OSError, InputError, KeyError, ValueError, TypeError, RuntimeError):
            continue  # a damaged or foreign file holds no import
        for name, digest in digests:
            found.setdefault(digest, (path, name))
    return found


def _trial_digests(path: Path) -> list[tuple[str, str]]:
    """(trial name, source_sha256) of each trial of session `path` holding one. Only the
    attributes are read; a file h5py does not open plainly (left open by a writer that died)
    is read through :func:`load_session`, which opens such files without changing them."""
    try:
        f = h5py.File(path, "r")
    except OSError:
        session = load_session(path)
        return [(t.name, _digest(t.attrs.get("source_sha256"))) for t in session.trials
                if _digest(t.attrs.get("source_sha256"))]
    with f:
        refuse_foreign_data(f, path)
        group = f.get("trials")
        names = sorted(group) if isinstance(group, h5py.Group) else []
        pairs = [(n, _digest(group[n].attrs.get("source_sha256"))) for n in names]
    return [(n, d) for n, d in pairs if d]


def _digest(value: object) -> str:
    """A stored hash as text ("" if there is none)."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value if isinstance(value, str) else ""


def not_yet_imported(folder: Path, trials: Sequence[ImportedTrial], reimport: bool,
                      ) -> tuple[list[ImportedTrial], list[Skipped]]:
    """The trials to write, and the files skipped: already in the folder's sessions, or the
    same bytes as a file given earlier (with `reimport`, none is skipped)."""
    if reimport:
        return list(trials), []
    known = imported_sources(folder)
    seen: dict[str, str] = {}
    new: list[ImportedTrial] = []
    skipped: list[Skipped] = []
    for trial in trials:
        digest = str(trial.attrs.get("source_sha256", ""))
        if digest in known:
            skipped.append(Skipped(trial.source, *known[digest]))
        elif digest and digest in seen:
            skipped.append(Skipped(trial.source, None, seen[digest]))
        else:
            seen.setdefault(digest, trial.source)
            new.append(trial)
    return new, skipped
