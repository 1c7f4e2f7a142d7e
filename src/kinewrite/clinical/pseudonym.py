"""The soft check of pseudonymity: a patient code that looks like a name or a date of birth.

The same rule for the CLI (a warning line) and the GUI (a note under the field); what refuses
a code is :func:`kinewrite.storage.codes.validate_patient_code`.
"""

from __future__ import annotations

import re

__all__ = ["name_like_reason"]

_ADVICE = "use a pseudonymous code such as WC-017, never a name"
_YEAR = r"(?:19|20)\d\d"
_DATE_SEPARATED = (
    re.compile(rf"(?<!\d)({_YEAR})([-._])(\d{{1,2}})\2(\d{{1,2}})(?!\d)"),  # 1961-04-12
    re.compile(rf"(?<!\d)(\d{{1,2}})([-._])(\d{{1,2}})\2({_YEAR})(?!\d)"),  # 12.04.1961
)
_EIGHT_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")
#: dd.mm.yy, two digits each and dots only (12.04.61): "-", "_" and single digits ("V1.2.03")
#: join plain numbers too often.
_DATE_SHORT_YEAR = re.compile(r"(?<![\d.])(\d\d)\.(\d\d)\.(\d\d)(?![\d.])")
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_MONTH_NAME = (  # 12-Apr-1961, 12Apr1961, Apr-12-1961, 1961-Apr-12
    re.compile(rf"(?<!\d)(\d{{1,2}})[-._]?({_MONTHS})[a-z]*[-._]?({_YEAR})(?!\d)", re.I),
    re.compile(rf"(?<![a-z])({_MONTHS})[a-z]*[-._]?(\d{{1,2}})[-._]?({_YEAR})(?!\d)", re.I),
    re.compile(rf"(?<!\d)({_YEAR})[-._]?({_MONTHS})[a-z]*[-._]?(\d{{1,2}})(?!\d)", re.I),
)
#: Letter runs: "JohnSmith" -> John, Smith; "MUELLERHans" -> MUELLER, Hans.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]+|[a-z]+")


def _is_day_month(a: int, b: int) -> bool:
    """Whether (a, b) is (day, month) or (month, day)."""
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _date_in(code: str) -> str | None:
    """The first part of `code` that reads as a calendar date of 1900-2099, if any."""
    for k, pattern in enumerate(_DATE_SEPARATED):
        for m in pattern.finditer(code):
            a, b = (int(m[3]), int(m[4])) if k == 0 else (int(m[1]), int(m[3]))
            if (k == 0 and 1 <= a <= 12 and 1 <= b <= 31) or (k == 1 and _is_day_month(a, b)):
                return m[0]
    for m in _EIGHT_DIGITS.finditer(code):
        s = m[0]
        if re.fullmatch(_YEAR, s[:4]) and 1 <= int(s[4:6]) <= 12 and 1 <= int(s[6:]) <= 31:
            return s  # 19610412
        if re.fullmatch(_YEAR, s[4:]) and _is_day_month(int(s[:2]), int(s[2:4])):
            return s  # 12041961
    for m in _DATE_SHORT_YEAR.finditer(code):
        if 1 <= int(m[1]) <= 31 and 1 <= int(m[2]) <= 12:
            return m[0]  # 12.04.61
    for k, pattern in enumerate(_DATE_MONTH_NAME):
        for m in pattern.finditer(code):
            if 1 <= int(m[(1, 2, 3)[k]]) <= 31:
                return m[0]
    return None


def name_like_reason(code: str) -> str | None:
    """Why a (valid) patient code looks like a name or a date of birth, or None.

    The rule, the same for the CLI (a warning line) and the GUI (a note under the field):

    - a **date** of 1900-2099 anywhere: ``1961-04-12``, ``12.04.1961``, ``4-12-1961``,
      ``19610412``, ``12041961`` (separators ``-``, ``.``, ``_``), with the month's name
      (``12-Apr-1961``, ``12Apr1961``, ``Apr-12-1961``), or day.month.year of two digits
      with dots (``12.04.61``);
    - **two capitalised words** of 3+ letters, even with digits: ``John-Smith``,
      ``Anna_Meyer``, ``JohnSmith``, ``Anna-Meyer-01``; or two **all-caps words** of 4+
      letters, even with digits: ``SMITH-JOHN-01``;
    - in a code **without any digit**: an **all-caps word** of 4+ letters (``MUELLER``), or
      a word of 3+ letters with a lower-case letter (``Smith``, ``pilot``, ``J.Doe``).

    Codes such as ``WC-017``, ``SIM-001``, ``P03``, ``S0001``, ``A0001``, ``DRILL-1``,
    ``FAULT-1``, ``ABC`` or ``sub-01`` pass. It only warns:
    :func:`~kinewrite.storage.codes.validate_patient_code`
    is what refuses.

    Examples
    --------
    >>> name_like_reason("WC-017") is None
    True
    >>> name_like_reason("Anna_Meyer")  # doctest: +ELLIPSIS
    'looks like a name (two capitalised words): use a pseudonymous code such as WC-017, ...'
    >>> name_like_reason("P-1961-04-12")  # doctest: +ELLIPSIS
    "looks like a date of birth ('1961-04-12'): use a pseudonymous code ..."
    """
    date = _date_in(code)
    if date:
        return f"looks like a date of birth ({date!r}): {_ADVICE}"
    words = _WORD.findall(code)
    if sum(1 for w in words if len(w) >= 3 and w[0].isupper() and w[1:].islower()) >= 2:
        return f"looks like a name (two capitalised words): {_ADVICE}"
    if sum(1 for w in words if len(w) >= 4 and w.isupper()) >= 2:
        return f"looks like a name (all-caps words): {_ADVICE}"
    if any(c.isdigit() for c in code):
        return None
    if any(len(w) >= 4 and w.isupper() for w in words):
        return f"looks like a name (an all-caps word): {_ADVICE}"
    if any(len(w) >= 3 and not w.isupper() for w in words):
        return f"looks like a name or a word: {_ADVICE}"
    return None
