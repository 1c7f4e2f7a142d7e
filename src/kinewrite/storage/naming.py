"""Names the format gives: session creation times, session file names, protocol steps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["normalize_created", "protocol_task_of", "session_filename"]


def normalize_created(text: str) -> str:
    """Check a session creation time and return it as ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    It must be ISO 8601 with a UTC offset (``Z`` or ``+00:00``) and not in the future
    (1 minute of clock difference allowed).

    Raises
    ------
    ValueError
        One line saying what is wrong.

    Examples
    --------
    >>> normalize_created("2025-09-08T09:30:00Z")
    '2025-09-08T09:30:00.000Z'
    """
    try:
        t = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"session creation time {text!r} is not ISO 8601 "
                         "(e.g. 2025-09-08T09:30:00Z)") from None
    if t.tzinfo is None or t.utcoffset() != timedelta(0):
        raise ValueError(f"session creation time {text!r} must be UTC (end it with Z)")
    if t > datetime.now(UTC) + timedelta(minutes=1):
        raise ValueError(f"session creation time {text!r} is in the future")
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_filename(created: str, session_id: str) -> str:
    """The file name of a session: ``session-<created, basic format>Z-<8 of session_id>.h5``.

    Examples
    --------
    >>> session_filename("2025-09-08T09:30:00.000Z", "0123456789abcdef")
    'session-20250908T093000Z-01234567.h5'
    """
    stamp = created.replace("-", "").replace(":", "").split(".")[0]
    return f"session-{stamp}Z-{session_id[:8]}.h5"


_PROTOCOL_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def protocol_task_of(task: str, protocol_task: Any = None, guide_shown: Any = None) -> str:
    """The protocol step a trial belongs to: what tells a guided spiral from a free one.

    A protocol may run one analysis task twice with different settings (the standard
    protocol traces a spiral on a guide, then draws one free); progress, report and export
    keep those apart by this key.

    Parameters
    ----------
    task : str
        The trial's analysis task (``task`` attribute).
    protocol_task : str, optional
        The ``protocol_task`` attribute the app stores (the protocol step's key, e.g.
        ``"spiral_guided"``); untrusted: used only if it is 1-64 letters, digits, ``_`` or
        ``-``.
    guide_shown : number, optional
        The ``guide_shown`` attribute (1 if the guide was drawn while recording).

    Returns
    -------
    str
        The stored key; else, for a spiral whose file says whether the guide was shown,
        ``"spiral_guided"`` or ``"spiral_free"`` (the standard protocol's keys); else the
        task itself (an imported trial, a session from before protocols were stored).

    Examples
    --------
    >>> protocol_task_of("spiral", "spiral_free"), protocol_task_of("spiral", None, 1)
    ('spiral_free', 'spiral_guided')
    >>> protocol_task_of("sentence"), protocol_task_of("loops", "bad key!")
    ('sentence', 'loops')
    """
    if isinstance(protocol_task, bytes):
        protocol_task = protocol_task.decode("utf-8", "replace")
    if isinstance(protocol_task, str) and _PROTOCOL_KEY.fullmatch(protocol_task):
        return protocol_task
    if task == "spiral" and guide_shown is not None:
        try:
            shown = float(guide_shown)
        except (TypeError, ValueError):
            return task
        if shown in (0.0, 1.0):
            return "spiral_guided" if shown else "spiral_free"
    return task
