"""Every error kinewrite raises on purpose, in one tree, and the one-line formatter.

Two families:

- **The input is wrong** (:class:`ValueError`): :class:`RecordingError` (arrays that cannot be
  analysed), :class:`InputError` (a file that cannot be read as what it claims to be; its
  message names the file), :class:`InvalidCodeError` (a patient code that is not a code) and
  :class:`ClinicalInputError` (a scale entry, event or metadata value the forms refuse).
  Subclasses in their own modules narrow these (``ProtocolError``, ``CalibrationError``,
  ``ExportError``, ``BidsError``, ``ProgressError`` are :class:`InputError`).
- **The machine says no** (:class:`OSError`): :class:`SessionBusyError` (another process
  writes the session) and :class:`DiskSpaceError` (the disk is full; the trial was saved).

Every message is one line that says what is wrong; :func:`one_line` makes any exception so.
The command line prints it behind ``kinewrite:`` and exits 2 (docs/architecture.md §7).
"""

from __future__ import annotations

__all__ = [
    "ClinicalInputError",
    "DiskSpaceError",
    "InputError",
    "InvalidCodeError",
    "RecordingError",
    "SessionBusyError",
    "one_line",
]


class RecordingError(ValueError):
    """The documented validation error: the input cannot be analyzed as it is.

    Its message is one line that says what is wrong, so that a command-line tool can print
    ``file: message`` and exit with code 2.
    """


class InputError(ValueError):
    """A file cannot be read as a recording; the message is one line naming the file."""


class InvalidCodeError(ValueError):
    """A patient code that could escape the study folder or is not a code."""


class ClinicalInputError(ValueError):
    """A scale entry, event or metadata value the forms must refuse (message says why)."""


class SessionBusyError(OSError):
    """Another process is writing this session (it holds the session's writer lock)."""


class DiskSpaceError(OSError):
    """The disk is (almost) full: the recording was stopped and saved before HDF5 broke it."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of `exc`'s message (its type's name if it has none), at most `limit`
    characters.

    Examples
    --------
    >>> one_line(ValueError("bad value\\nsecond line"))
    'bad value'
    >>> one_line(KeyError())
    'KeyError'
    """
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:limit]
