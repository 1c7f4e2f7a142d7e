"""Pieces every ``kinewrite`` subcommand shares: exit codes and the one-line error."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def warn_if_name_like(code: str) -> None:
    """One ``kinewrite: warning:`` line on stderr if a (valid) patient code looks like a name
    or a date of birth (:func:`kinewrite.storage.codes.name_like_reason`, the GUI's rule
    too); it never refuses."""
    from .storage.codes import name_like_reason

    reason = name_like_reason(code)
    if reason:
        print(f"kinewrite: warning: patient code {code!r} {reason}", file=sys.stderr)


def fail(message: str) -> None:
    """Print one line on stderr, prefixed ``kinewrite:``."""
    first = message.splitlines()[0] if message else "error"
    print(f"kinewrite: {first}", file=sys.stderr)
