"""A cache of session summaries in the study folder, so a study opens without reading
every file again.

``<study>/.kinewrite-index.json`` maps each session file (path relative to the study) to its
:class:`~kinewrite.storage.study.SessionSummary` and the file's identity when it was read
(size, modification time in ns, inode). A summary is used only while the file's identity is
unchanged; any other file is read again and the index rewritten (atomically: temporary file,
then rename). The index is derived data: deleting it loses nothing, a damaged or foreign
index is ignored (and rewritten), and a study folder that cannot be written to still opens,
only without the cache. Summaries of sessions still recording (or recovered from a crash)
are never cached: their files change.

Reading 200 five-trial sessions from their HDF5 files takes ~0.5 s here (mostly per-attribute
h5py calls); from the index, ~30 ms (``benchmarks/bench_progress.py``).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from .session import ClinicalEntry, TreatmentEvent, event_from_attrs, session_filename

__all__ = ["INDEX_NAME", "load_index", "save_index", "summary_from_json", "summary_to_json"]

INDEX_NAME = ".kinewrite-index.json"
INDEX_FORMAT = "kinewrite-study-index"
INDEX_VERSION = 1


#: ``created`` as kinewrite stores it (ISO 8601 UTC, ms) and ``session_id`` (UUID4 hex).
_CREATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def name_matches(name: str, created: str, session_id: str) -> bool:
    """Whether `name` is the file name kinewrite gives a session of this creation time and
    id (``session-<YYYYMMDDTHHMMSS>Z-<first 8 hex of the id>.h5``), both well formed.

    Examples
    --------
    >>> name_matches("session-20250908T093000Z-74c68ef0.h5", "2025-09-08T09:30:00.000Z",
    ...              "74c68ef0ff1d49f2bcb811113b2b724c")
    True
    >>> name_matches("session-20250908T093000Z-74c68ef0.h5", "2025-09-08T09:31:00.000Z",
    ...              "74c68ef0ff1d49f2bcb811113b2b724c")
    False
    """
    return (isinstance(created, str) and isinstance(session_id, str)
            and _CREATED.fullmatch(created) is not None
            and _SESSION_ID.fullmatch(session_id) is not None
            and name == session_filename(created, session_id))


def file_identity(path: Path) -> list[int]:
    """What must not change for a cached summary to stay valid: size, mtime (ns), inode."""
    st = path.stat()
    return [int(st.st_size), int(st.st_mtime_ns), int(st.st_ino)]


def summary_to_json(summary: Any) -> dict[str, Any]:
    """A :class:`SessionSummary` as JSON-ready data (NaN kept as JSON's NaN).

    Shallow copies of the dataclasses' fields (``dataclasses.asdict`` deep-copies every
    feature dict: 0.4 s for 200 sessions)."""
    data = dict(vars(summary))
    data.pop("path")
    data["trials"] = [vars(t) for t in summary.trials]
    data["clinical"] = [vars(c) for c in summary.clinical]
    data["events"] = [vars(e) for e in summary.events]
    return data


def summary_from_json(data: dict[str, Any], path: Path) -> Any:
    """The :class:`SessionSummary` back from :func:`summary_to_json` data."""
    from .study import SessionSummary, TrialSummary

    trials = tuple(TrialSummary(**t) for t in data["trials"])
    clinical = tuple(ClinicalEntry(**c) for c in data["clinical"])
    events = tuple(_event(e) for e in data["events"])
    return SessionSummary(
        path=path, session_id=data["session_id"], patient_code=data["patient_code"],
        created=data["created"], format_version=int(data["format_version"]),
        metadata=dict(data["metadata"]), trials=trials, clinical=clinical, events=events,
        recovered_from_crash=bool(data["recovered_from_crash"]),
    )


def _event(e: dict[str, Any]) -> TreatmentEvent:
    """An event of the index; one cached before events had ``product`` is read as its
    session file would be (the product and doses taken out of its notes)."""
    if "product" in e:
        return TreatmentEvent(**e)
    dose = e["dose_units"]
    return event_from_attrs(e["kind"], e["date"], json.dumps(e["muscles"]),
                            math.nan if dose is None else float(dose), e["notes"], None, "{}")


def cacheable(summary: Any) -> bool:
    """Only finished files: no trial still recording, not recovered from a crash."""
    return not summary.recovered_from_crash and all(t.status != "recording"
                                                    for t in summary.trials)


def load_index(folder: Path) -> dict[str, dict[str, Any]]:
    """The index's entries (relative path -> {"identity", "summary"}); empty if there is
    no usable index."""
    path = folder / INDEX_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if (not isinstance(data, dict) or data.get("format") != INDEX_FORMAT
            or data.get("version") != INDEX_VERSION
            or not isinstance(data.get("entries"), dict)):
        return {}
    return data["entries"]


def save_index(folder: Path, entries: dict[str, dict[str, Any]]) -> bool:
    """Write the index atomically; False (nothing written) if the folder is not writable."""
    path = folder / INDEX_NAME
    tmp = folder / f".{INDEX_NAME}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"format": INDEX_FORMAT, "version": INDEX_VERSION,
                                   "entries": entries}, allow_nan=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False
    return True


def cached_summary(entries: dict[str, dict[str, Any]], rel: str, path: Path,
                   brief: bool = False) -> Any | None:
    """The cached summary of `path` if its identity is unchanged (and, unless `brief`, it
    was not read brief), else None."""
    entry = entries.get(rel)
    if not isinstance(entry, dict) or (entry.get("brief", True) and not brief):
        return None
    try:
        if entry.get("identity") != file_identity(path):
            return None
        return summary_from_json(entry["summary"], path)
    except (OSError, KeyError, TypeError, ValueError):
        return None
