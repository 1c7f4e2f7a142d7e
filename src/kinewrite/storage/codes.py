"""Patient codes: the only identity a session holds.

A code names a folder of the study, so it must never escape it, and must name the same
folder on every disk the study may be copied to: letters, digits and ``_ - .``, starting with
a letter or digit, at most 64 characters, no ``..``, not ending in ``.``, and not a Windows
device name (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9``, with or
without an extension, in any case: Windows opens the device instead of the folder).
:func:`validate_patient_code` refuses anything else; :func:`check_code_collision` refuses a
new code that equals a patient folder of the study but for the case (``wc-017`` beside
``WC-017`` is one folder on Windows and macOS disks).

:func:`~kinewrite.clinical.pseudonym.name_like_reason` (re-exported here) is a soft check,
the same in the CLI and the GUI: a code that looks like a person's name or a date of birth
is warned about, never refused (the app asks for a code, never a name; this catches the slip).
"""

from __future__ import annotations

import os
import re

from ..clinical.pseudonym import name_like_reason
from ..errors import InvalidCodeError

__all__ = [
    "InvalidCodeError",
    "check_code_collision",
    "name_like_reason",
    "validate_patient_code",
]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

#: Windows device names: a file or folder of such a name (also "aux.txt") is the device.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL"}
                             | {f"{p}{d}" for p in ("COM", "LPT") for d in "123456789"})


def validate_patient_code(code: str) -> str:
    """Return `code` if it is a safe patient code, else raise :class:`InvalidCodeError`.

    Examples
    --------
    >>> validate_patient_code("WC-017")
    'WC-017'
    >>> validate_patient_code("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kinewrite.errors.InvalidCodeError: patient code '../x' refused: ...
    >>> validate_patient_code("aux.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kinewrite.errors.InvalidCodeError: patient code 'aux.txt' refused: 'AUX' is ...
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code) or ".." in code:
        raise InvalidCodeError(
            f"patient code {code!r} refused: use 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (a code, never a name or a path)"
        )
    if code.endswith("."):
        raise InvalidCodeError(f"patient code {code!r} refused: it ends in '.', which Windows "
                               "drops from folder names (another folder there)")
    stem = code.split(".", 1)[0].upper()
    if stem in WINDOWS_RESERVED:
        raise InvalidCodeError(
            f"patient code {code!r} refused: {stem!r} is a device name on Windows (CON, PRN, "
            "AUX, NUL, COM1-9, LPT1-9, with any extension), never a folder there")
    return code


def check_code_collision(study_dir: str | os.PathLike[str], code: str) -> None:
    """Refuse a code that differs only in case from a patient folder of the study.

    Call it where a session is created: ``wc-017`` beside ``WC-017`` is two patients on a
    case-sensitive disk and one folder on Windows or macOS (two patients' sessions mixed,
    or one patient split in two). The exact same code is fine; a missing study is fine.

    Raises
    ------
    InvalidCodeError
        One line naming the existing folder.
    OSError
        If the study folder exists but cannot be listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> study = pathlib.Path(tempfile.mkdtemp())
    >>> (study / "WC-017").mkdir()
    >>> check_code_collision(study, "WC-017")
    >>> check_code_collision(study, "wc-017")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kinewrite.errors.InvalidCodeError: patient code 'wc-017' refused: ... 'WC-017' ...
    """
    folded = code.lower()
    try:
        with os.scandir(study_dir) as entries:
            clash = sorted(e.name for e in entries if e.name != code and e.name.lower() == folded)
    except (FileNotFoundError, NotADirectoryError):
        return
    if clash:
        raise InvalidCodeError(
            f"patient code {code!r} refused: the study already has patient {clash[0]!r}, "
            "which differs only in case (one folder on Windows and macOS disks); use "
            f"{clash[0]!r} or another code")
