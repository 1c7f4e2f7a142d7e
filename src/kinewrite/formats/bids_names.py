"""The BIDS vocabulary kinewrite's BIDS writer (:mod:`kinewrite.export.bids`) and reader
(:mod:`kinewrite.formats.bids_reader`) share: the missing-value mark, the subject label of a
patient code, and the one-line error. One place, so the two never disagree
(docs/export.md, BIDS motion dataset)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import InputError

__all__ = ["NA", "BidsError", "subject_label"]

#: What a missing value is in the TSV files.
NA = "n/a"

_LABEL_DROP = re.compile(r"[-_.]")
_LABEL = re.compile(r"[A-Za-z0-9]+")


class BidsError(InputError):
    """The dataset cannot be written or read as asked; the message is one line, and
    `problems` one line per file when several files are at fault."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


def subject_label(code: str) -> str:
    """The BIDS subject label of a patient code: the code without ``_``, ``-`` and ``.``.

    Examples
    --------
    >>> subject_label("SIM-001"), subject_label("wc_17.b")
    ('SIM001', 'wc17b')

    Raises
    ------
    BidsError
        If nothing but letters and digits remains (one line naming the code).
    """
    label = _LABEL_DROP.sub("", code)
    if not _LABEL.fullmatch(label):
        raise BidsError(f"patient code {code!r} cannot be a BIDS subject label (letters and "
                        "digits only, after dropping '_', '-' and '.')")
    return label
