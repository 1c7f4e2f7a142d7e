"""A cache of session summaries in the study folder: a study opens without reading every file.

``<study>/.kinewrite-index.json`` maps each session file (path relative to the study) to its
:class:`~kinewrite.storage.summaries.SessionSummary` and the file's identity when it was read
(size, modification and status-change times in ns, inode). A summary is used only while the
file's identity is unchanged; any other file is read again and the index rewritten
(atomically, through :mod:`kinewrite._atomic`: a temporary file of a unique name, 0600, then
a rename). The index is derived data: deleting it loses nothing, and a study folder that
cannot be written to still opens, only without the cache. Summaries of sessions still
recording (or recovered from a crash) are never cached: their files change.

The index is untrusted input (anyone who can write the study folder can write it), so it is
used only if all of this holds, else ignored (and rewritten):

- it is a regular file, opened without following a symlink (``O_NOFOLLOW``) and without
  blocking (``O_NONBLOCK``: a named pipe in its place is never waited on), of at most
  :data:`MAX_INDEX_BYTES` (64 MiB, ~6,800 sessions of 5 trials); a larger index is not
  written either;
- it carries an HMAC-SHA256 of its entries made with this user's key
  (``<config>/index-key``, 0600, created on first use; ``<config>``:
  :func:`kinewrite.config.config_dir`): entries written or edited by anyone without the key
  are refused, so the index shows only numbers this user's kinewrite read
  from the session files. A study shared by users with different keys still opens; each
  user's kinewrite then reads the files and rewrites the index;
- each entry is checked field by field (the types of every
  :class:`~kinewrite.storage.summaries.SessionSummary` field, trial, scale and event; a known
  task and status; nothing still recording), and against the file it names: the path is
  ``<code>/session-<created>-<id8>.h5`` with a valid patient code equal to the stored one
  and a name equal to the one the stored creation time and id give, and the file's identity
  is unchanged. A bad entry is dropped alone.

Reading 200 five-trial sessions from their HDF5 files takes ~0.5 s here (mostly per-attribute
h5py calls); from the index, ~30 ms (``benchmarks/bench_progress.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_bytes, private_folder
from ..clinical.events import TreatmentEvent, event_from_attrs
from ..clinical.scales import ClinicalEntry
from ..config import config_dir
from ..model import TASKS
from .codes import validate_patient_code
from .naming import session_filename
from .schema import TRIAL_STATUSES
from .summaries import SessionSummary, TrialSummary

__all__ = ["INDEX_NAME", "MAX_INDEX_BYTES", "load_index", "name_matches", "save_index",
           "summary_from_json", "summary_to_json"]

INDEX_NAME = ".kinewrite-index.json"
INDEX_FORMAT = "kinewrite-study-index"
#: 2: identity with the status-change time, entries signed with the user's key.
#: 3: trials carry their protocol step (``protocol_task``).
INDEX_VERSION = 3
#: Largest index read or written (bytes): parsing takes ~2.7 times its size in memory.
MAX_INDEX_BYTES = 64 << 20
#: The user's index key, in the configuration folder.
KEY_NAME = "index-key"

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
    """What must not change for a cached summary to stay valid: size, mtime (ns), status
    change time (ns: changes when the file is rewritten in place and its mtime set back),
    inode."""
    st = path.stat()
    return [int(st.st_size), int(st.st_mtime_ns), int(st.st_ctime_ns), int(st.st_ino)]


def summary_to_json(summary: SessionSummary) -> dict[str, Any]:
    """A :class:`SessionSummary` as JSON-ready data (NaN kept as JSON's NaN).

    Shallow copies of the dataclasses' fields (``dataclasses.asdict`` deep-copies every
    feature dict: 0.4 s for 200 sessions)."""
    data = dict(vars(summary))
    data.pop("path")
    data["trials"] = [vars(t) for t in summary.trials]
    data["clinical"] = [vars(c) for c in summary.clinical]
    data["events"] = [vars(e) for e in summary.events]
    return data


def summary_from_json(data: dict[str, Any], path: Path) -> SessionSummary:
    """The :class:`SessionSummary` back from :func:`summary_to_json` data (checked first by
    :func:`load_index` when it comes from an index file)."""
    trials = tuple(TrialSummary(**t) for t in data["trials"])
    clinical = tuple(ClinicalEntry(**c) for c in data["clinical"])
    events = tuple(_event(e) for e in data["events"])
    extra = {name: data[name] for name in _OPTIONAL_SUMMARY
             if name in data and name in _fields(SessionSummary)}
    return SessionSummary(
        path=path, session_id=data["session_id"], patient_code=data["patient_code"],
        created=data["created"], format_version=int(data["format_version"]),
        metadata=dict(data["metadata"]), trials=trials, clinical=clinical, events=events,
        recovered_from_crash=bool(data["recovered_from_crash"]), **extra,
    )


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


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
    return (not summary.recovered_from_crash and not getattr(summary, "recovery", "")
            and all(t.status != "recording" for t in summary.trials))


# ------------------------------------------------------------------------------- schema


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _is_opt_num(v: Any) -> bool:
    return v is None or _is_num(v)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_map(check: Any) -> Any:  # a dict of str -> values that pass `check`
    return lambda v: isinstance(v, dict) and all(isinstance(k, str) and check(x)
                                                 for k, x in v.items())


def _is_numbers(v: Any) -> bool:
    """A dict of str -> numbers (one set of the value types: ~10x a check per value)."""
    return (isinstance(v, dict) and set(map(type, v.values())) <= {float, int}
            and all(isinstance(k, str) for k in v))


def _is_features(v: Any) -> bool:
    return v is None or _is_numbers(v)


_TRIAL = {"name": lambda v: isinstance(v, str) and v.isascii() and v.isdigit(),
          "task": lambda v: v in TASKS,
          "status": lambda v: v in TRIAL_STATUSES and v != "recording",
          "started": _is_str, "ended": _is_str, "nominal_rate_hz": _is_num, "input": _is_str,
          "superseded_by": _is_str, "n_samples": lambda v: _is_int(v) and v >= 0,
          "analysis_error": _is_str, "features": _is_features,
          "features_version": _is_opt_str,
          "protocol_task": lambda v: isinstance(v, str) and 0 < len(v) <= 64}
_CLINICAL = {"scale": _is_str, "date": _is_str, "rater": _is_str,
             "items": _is_numbers, "score": _is_num}
#: ``name``: the entry's group in the file (absent in indexes written before it was kept).
_CLINICAL_OPTIONAL = {"name": _is_str}
_EVENT = {"kind": _is_str, "date": _is_str, "muscles": _is_str_list,
          "dose_units": _is_opt_num, "notes": _is_str}
_EVENT_OPTIONAL = {"product": _is_str, "doses_units": _is_map(_is_opt_num)}
_SUMMARY = {"session_id": _is_str, "patient_code": _is_str, "created": _is_str,
            "format_version": _is_int, "metadata": _is_map(_is_str),
            "recovered_from_crash": lambda v: v is False}
#: Summary fields an entry may hold or not (``recovery``: a one-line note, empty when the
#: file was not left open by a writer that died; such a file is never cached).
_OPTIONAL_SUMMARY = {"recovery": lambda v: v == ""}


def _record_ok(data: Any, required: dict, optional: dict | None = None) -> bool:
    """Whether `data` is a dict with exactly the `required` keys (plus any of `optional`),
    every value passing its check."""
    if not isinstance(data, dict):
        return False
    optional = optional or {}
    keys = set(data)
    if not set(required) <= keys or not keys <= set(required) | set(optional):
        return False
    checks = {**required, **optional}
    return all(checks[k](v) for k, v in data.items())


def _records_ok(items: Any, required: dict, optional: dict | None = None) -> bool:
    return isinstance(items, list) and all(_record_ok(x, required, optional) for x in items)


def summary_ok(data: Any) -> bool:
    """Whether `data` is a summary as :func:`summary_to_json` writes it: every field of the
    summary, its trials, scales and events present and of its type, nothing unknown."""
    if not isinstance(data, dict):
        return False
    head = {k: v for k, v in data.items() if k not in ("trials", "clinical", "events")}
    return (_record_ok(head, _SUMMARY, _OPTIONAL_SUMMARY)
            and _records_ok(data.get("trials"), _TRIAL)
            and _records_ok(data.get("clinical"), _CLINICAL, _CLINICAL_OPTIONAL)
            and _records_ok(data.get("events"), _EVENT, _EVENT_OPTIONAL))


def entry_ok(rel: Any, entry: Any) -> bool:
    """Whether one index entry is well formed and names its file as kinewrite names it:
    ``<code>/session-<created>-<id8>.h5``, the code valid and equal to the stored one."""
    if not (isinstance(rel, str) and isinstance(entry, dict)
            and set(entry) == {"identity", "brief", "summary"}
            and isinstance(entry["brief"], bool)):
        return False
    identity = entry["identity"]
    if not (isinstance(identity, list) and len(identity) == 4
            and all(_is_int(v) and v >= 0 for v in identity)):
        return False
    parts = rel.split("/")
    if len(parts) != 2 or "\\" in rel or ".." in rel or rel.startswith("/"):
        return False
    code, name = parts
    try:
        validate_patient_code(code)
    except ValueError:
        return False
    summary = entry["summary"]
    return (summary_ok(summary) and summary["patient_code"] == code
            and name_matches(name, summary["created"], summary["session_id"]))


# ---------------------------------------------------------------------------- the key


def _read_small_file(path: Path, limit: int) -> tuple[bytes, os.stat_result] | None:
    """The bytes and status of `path` if it is a regular file (not a symlink, never waited
    on) of at most `limit` bytes, else None."""
    flags = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        if path.is_symlink():  # also where O_NOFOLLOW does not exist
            return None
        fd = os.open(path, flags)
    except OSError:  # missing, a symlink (ELOOP), no permission ...
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else (b"".join(chunks), st)
    except OSError:
        return None
    finally:
        os.close(fd)


def _private(st: os.stat_result) -> bool:
    """Readable by its owner only, and owned by this user (POSIX; elsewhere True)."""
    if os.name != "posix":
        return True
    return st.st_mode & 0o077 == 0 and st.st_uid == os.getuid()


def _index_key(create: bool) -> bytes | None:
    """This user's index key (32 random bytes, stored as hex); with `create`, a new one
    replaces a missing, malformed or not private one (readable by others, or not theirs).
    None if there is no usable key."""
    path = config_dir() / KEY_NAME
    found = _read_small_file(path, 64)
    if found is not None and _private(found[1]):
        try:
            key = bytes.fromhex(found[0].decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            key = b""
        if len(key) == 32:
            return key
    if not create:
        return None
    key = secrets.token_bytes(32)
    try:
        private_folder(path.parent)
        atomic_write_bytes(path, key.hex().encode("ascii"))  # 0600; replaces a symlink
    except OSError:
        return None
    return key


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def load_index(folder: Path) -> dict[str, dict[str, Any]]:
    """The index's usable entries (relative path -> {"identity", "brief", "summary"});
    empty if there is no usable index (see the module's docstring for what is checked; an
    entry that fails its checks is left out alone)."""
    key = _index_key(create=False)
    found = _read_small_file(folder / INDEX_NAME, MAX_INDEX_BYTES) if key else None
    if key is None or found is None:
        return {}
    head, _, payload = found[0].partition(b"\n")
    try:
        header = json.loads(head)
        if (not isinstance(header, dict) or header.get("format") != INDEX_FORMAT
                or header.get("version") != INDEX_VERSION
                or not isinstance(header.get("hmac_sha256"), str)
                or not hmac.compare_digest(header["hmac_sha256"].encode("utf-8"),
                                           _mac(key, payload).encode("ascii"))):
            return {}  # not written by this user's kinewrite, or changed since
        entries = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: a deeply nested forgery
        return {}
    if not isinstance(entries, dict):
        return {}
    return {rel: entry for rel, entry in entries.items() if entry_ok(rel, entry)}


def save_index(folder: Path, entries: dict[str, dict[str, Any]]) -> bool:
    """Write the index atomically (:func:`kinewrite._atomic.atomic_write_bytes`: unique
    temporary name, 0600, rename); False (nothing written) if the folder is not writable,
    there is no key, or the index would exceed :data:`MAX_INDEX_BYTES`."""
    key = _index_key(create=True)
    if key is None:
        return False
    payload = json.dumps(entries, allow_nan=True, separators=(",", ":")).encode("utf-8")
    header = json.dumps({"format": INDEX_FORMAT, "version": INDEX_VERSION,
                         "hmac_sha256": _mac(key, payload)}).encode("ascii")
    data = header + b"\n" + payload
    if len(data) > MAX_INDEX_BYTES:
        return False
    try:
        atomic_write_bytes(folder / INDEX_NAME, data, durable=False)  # a cache: no fsync
    except OSError:
        return False
    return True


def cached_summary(entries: dict[str, dict[str, Any]], rel: str, path: Path,
                   brief: bool = False) -> SessionSummary | None:
    """The cached summary of `path` if its identity is unchanged (and, unless `brief`, it
    was not read brief), else None. `entries` come from :func:`load_index` (checked)."""
    entry = entries.get(rel)
    if not isinstance(entry, dict) or (entry.get("brief", True) and not brief):
        return None
    try:
        if entry.get("identity") != file_identity(path):
            return None
        return summary_from_json(entry["summary"], path)
    except (OSError, KeyError, TypeError, ValueError):
        return None

