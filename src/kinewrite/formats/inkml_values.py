"""InkML trace text to numbers: points separated by commas, values by whitespace or by the
sign or qualifier starting the next one, ``T``/``F`` booleans, and the ``!``, ``'``, ``"``
difference qualifiers (InkML §3.2.1). One linear regular-expression pass per piece of text,
converted by numpy: no Python loop per value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import InputError
from .inkml_context import Channel

__all__ = ["trace_matrix", "undifference"]

# One trace token per match: a comma, a (qualified) value, or up to 40 other characters (an
# error). Quantifiers are possessive and bounded and every non-space character starts some
# match, so the scan is linear in the text (no retry inside a long run of digits).
_TOKEN = re.compile(
    r"(,)"
    r"""|([!'"]?)((?:[+-]?+(?:\d{1,40}+(?:\.\d{0,40}+)?+|\.\d{1,40}+)(?:[eE][+-]?+\d{1,4}+)?+"""
    r"""|[TF])(?=[\s,+\-!'"]|\Z))"""
    r"|([^\s,]{1,40})"
)
_QUALIFIER_CODE = {"!": 1, "'": 2, '"': 3}
#: Trace text is tokenized in pieces of about this many characters (cut at commas), which
#: bounds the memory of the token arrays; no point may be longer.
_CHUNK_CHARS = 1 << 16


def _trace_pieces(text: str, where: str) -> Iterator[str]:
    """Split trace text at commas into pieces of about :data:`_CHUNK_CHARS` characters."""
    pos, n = 0, len(text)
    while pos < n:
        cut = text.find(",", pos + _CHUNK_CHARS)
        stop = n if cut < 0 else cut
        if stop - pos > 2 * _CHUNK_CHARS:
            raise InputError(f"{where}: a point longer than {_CHUNK_CHARS} characters")
        yield text[pos:stop]
        pos = stop + 1


def _piece_matrix(piece: str, channels: Sequence[Channel], where: str,
                  first_point: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and qualifier codes of whole points, as (n_points, n_channels) arrays."""
    nch = len(channels)
    tokens = _TOKEN.findall(piece)
    arr = np.array(tokens, dtype=str).reshape(-1, 4)
    junk = np.flatnonzero(arr[:, 3] != "")
    if junk.size:
        raise InputError(f"{where}: cannot read {str(arr[junk[0], 3])!r} (values are numbers "
                         "separated by spaces, points by commas)")
    comma = arr[:, 0] == ","
    values = arr[~comma]
    n_points = int(np.count_nonzero(comma)) + 1
    counts = np.bincount(np.cumsum(comma)[~comma], minlength=n_points)
    bad = np.flatnonzero(counts != nch)
    if bad.size:
        k = int(bad[0])
        names = " ".join(c.name for c in channels)
        raise InputError(f"{where}: point {first_point + k + 1} has {int(counts[k])} values "
                         f"but the trace format ({names}) has {nch}")
    raw = values[:, 2]
    is_bool = (raw == "T") | (raw == "F")
    numbers = np.where(raw == "T", "1", np.where(raw == "F", "0", raw)).astype(np.float64)
    codes = np.zeros(raw.size, dtype=np.int8)
    for qualifier, code in _QUALIFIER_CODE.items():
        codes[values[:, 1] == qualifier] = code
    numeric = np.array([c.type != "boolean" for c in channels])
    if np.any(is_bool.reshape(-1, nch) & numeric):
        raise InputError(f"{where}: a T/F value in a numeric channel")
    return numbers.reshape(-1, nch), codes.reshape(-1, nch)


def trace_matrix(text: str, channels: Sequence[Channel], name: str,
                 index: int) -> tuple[np.ndarray, np.ndarray]:
    """A trace's values as (n_points, n_channels) arrays: numbers and qualifier codes.

    Points are separated by commas, values by whitespace or by the sign or qualifier that
    starts the next value (InkML §3.2.1); ``T``/``F`` are booleans. Tokenized with one linear
    regular-expression pass per piece and converted by numpy, no Python loop per value.
    """
    where = f"{name}: trace {index}"
    nch = len(channels)
    text = text.strip()
    if not text:
        return np.empty((0, nch)), np.empty((0, nch), dtype=np.int8)
    for char, what in (("*", "'*' (value unchanged)"), ("?", "'?' (value unknown)"),
                       ("#", "'#' (hexadecimal)")):
        if char in text:
            raise InputError(f"{where}: InkML {what} values are not supported")
    if text.endswith(","):
        raise InputError(f"{where}: ends with a comma (an empty point)")
    numbers, codes, done = [], [], 0
    for piece in _trace_pieces(text, where):
        v, c = _piece_matrix(piece, channels, where, done)
        numbers.append(v)
        codes.append(c)
        done += v.shape[0]
    return np.concatenate(numbers), np.concatenate(codes)


def undifference(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Decode one channel's InkML difference encoding.

    ``!`` explicit value, ``'`` first difference (``x[i] = x[i-1] + d``), ``"`` second
    difference (``x[i] = 2 x[i-1] - x[i-2] + d``). A qualifier holds for the channel's later
    values until another one; unqualified values before any qualifier are explicit.

    Raises
    ------
    ValueError
        A difference with no earlier point to refer to.
    """
    n = values.size
    last = np.where(codes != 0, np.arange(n), 0)
    np.maximum.accumulate(last, out=last)
    mode = codes[last]
    mode[mode == 0] = 1
    if np.all(mode == 1):
        return values
    out = np.empty(n)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(mode)) + 1))
    stops = np.concatenate((starts[1:], [n]))
    for s, e in zip(starts.tolist(), stops.tolist(), strict=True):
        if mode[s] == 1:
            out[s:e] = values[s:e]
        elif mode[s] == 2:
            if s < 1:
                raise ValueError("a first difference (') at the first point")
            out[s:e] = out[s - 1] + np.cumsum(values[s:e])
        else:
            if s < 2:
                raise ValueError('a second difference (") needs two earlier points')
            velocity = (out[s - 1] - out[s - 2]) + np.cumsum(values[s:e])
            out[s:e] = out[s - 1] + np.cumsum(velocity)
    return out
