"""Patient codes: the only identity a session holds.

A code names a folder of the study, so it must never escape it: letters, digits and ``_ - .``,
starting with a letter or digit, at most 64 characters, no ``..``. Names are refused by shape
only in the sense that a code with a space is not a code; the app asks for a code, never a
name.
"""

from __future__ import annotations

import re

__all__ = ["InvalidCodeError", "validate_patient_code"]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class InvalidCodeError(ValueError):
    """A patient code that could escape the study folder or is not a code."""


def validate_patient_code(code: str) -> str:
    """Return `code` if it is a safe patient code, else raise :class:`InvalidCodeError`.

    Examples
    --------
    >>> validate_patient_code("WC-017")
    'WC-017'
    >>> validate_patient_code("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kinewrite.storage.codes.InvalidCodeError: patient code '../x' refused: ...
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code) or ".." in code:
        raise InvalidCodeError(
            f"patient code {code!r} refused: use 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (a code, never a name or a path)"
        )
    return code
