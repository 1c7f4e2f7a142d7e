"""What to export (:class:`ExportOptions`), and the export's one-line error
(:class:`ExportError`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..model import TASKS
from ..storage.reader import Trial
from ..storage.schema import SESSION_FIELDS

__all__ = ["ExportError", "ExportOptions"]


class ExportError(InputError):
    """The export cannot run as asked; the message is one line (command-line exit 2)."""



@dataclass(frozen=True)
class ExportOptions:
    """What to export; picklable, shipped with every session file to the workers.

    Parameters
    ----------
    study_dir : str
        The study folder (``session_file`` is relative to it).
    tasks : tuple of str, optional
        Export only trials of these tasks (default: every task).
    include_superseded : bool, default False
        Also export trials marked ``superseded`` by a redo.
    metadata : tuple of str, default ()
        Session metadata fields to export (see ``SESSION_FIELDS``).
    recompute : bool, default False
        Compute every trial's features, ignoring the features cached in the file.
    """

    study_dir: str
    tasks: tuple[str, ...] | None = None
    include_superseded: bool = False
    metadata: tuple[str, ...] = ()
    recompute: bool = False

    def __post_init__(self) -> None:
        if self.tasks is not None:
            unknown = [t for t in self.tasks if t not in TASKS]
            if unknown:
                raise ExportError(f"unknown task(s) {', '.join(unknown)}; "
                                  f"expected some of {', '.join(TASKS)}")
        unknown = [m for m in self.metadata if m not in SESSION_FIELDS]
        if unknown:
            raise ExportError(f"unknown metadata field(s) {', '.join(unknown)}; "
                              f"allowed: {', '.join(SESSION_FIELDS)}")
        if len(set(self.metadata)) != len(self.metadata):
            raise ExportError("a metadata field is named twice")

    def wants(self, trial: Trial) -> bool:
        """Whether `trial` belongs in the export."""
        if trial.status == "superseded" and not self.include_superseded:
            return False
        return self.tasks is None or trial.task in self.tasks
