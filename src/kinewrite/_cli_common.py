"""Pieces every ``kinewrite`` subcommand shares: exit codes and the one-line error."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def fail(message: str) -> None:
    """Print one line on stderr, prefixed ``kinewrite:``."""
    first = message.splitlines()[0] if message else "error"
    print(f"kinewrite: {first}", file=sys.stderr)
