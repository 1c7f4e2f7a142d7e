"""HDF5's file consistency flags: read them, and read a file as if they were clear.

A file HDF5 opens for writing carries "open for write" flags in its superblock until it is
closed (format spec, superblock versions 2 and 3: one byte after the field sizes; bit 0 write
access, bit 2 single-writer/multiple-reader (SWMR) write access). A writer killed before it
closes leaves them set, and HDF5 then refuses to open the file (``file is already open for
write (may use <h5clear file> to clear file consistency flags)``), even when every byte of
it is consistent, as a file is between two writes of kinewrite. This module does what
``h5clear -s`` does, in Python: the flags byte zeroed and the superblock checksum (Jenkins'
lookup3 ``hashlittle``, the checksum the HDF5 format uses) recomputed, either in a view
that leaves the file untouched (:class:`FlagsClearedView`, for readers) or in a copy
(:func:`clear_flags`, for the writer's repair).

References
----------
The HDF Group, *HDF5 File Format Specification Version 3.0*, section II.A "Disk Format:
Level 0A - Format Signature and Superblock".
Bob Jenkins, lookup3.c (2006), public domain: ``hashlittle``.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SWMR_WRITE_ACCESS",
    "WRITE_ACCESS",
    "FlagsClearedView",
    "Superblock",
    "clear_flags",
    "hashlittle",
    "read_superblock",
]

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Bits of the file consistency flags (superblock versions 2 and 3).
WRITE_ACCESS, SWMR_WRITE_ACCESS = 0x01, 0x04
_FLAGS_OFFSET = 11  # signature 8, version, size of offsets, size of lengths
_MASK = 0xFFFFFFFF


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def hashlittle(data: bytes, initval: int = 0) -> int:
    """Jenkins' lookup3 ``hashlittle`` of `data` (the HDF5 metadata checksum).

    Examples
    --------
    >>> hex(hashlittle(b""))  # lookup3.c's self-test value for the empty key
    '0xdeadbeef'
    >>> hex(hashlittle(b"Four score and seven years ago"))  # lookup3.c's self-test
    '0x17770551'
    """
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & _MASK
    i = 0
    while n - i > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & _MASK
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & _MASK
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & _MASK
        a = (a - c) & _MASK
        a ^= _rot(c, 4)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 6)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 8)
        b = (b + a) & _MASK
        a = (a - c) & _MASK
        a ^= _rot(c, 16)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 19)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 4)
        b = (b + a) & _MASK
        i += 12
    if i == n:  # only the empty key: lookup3 returns c unmixed
        return c
    tail = data[i:] + bytes(12 - (n - i))
    a = (a + int.from_bytes(tail[0:4], "little")) & _MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & _MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & _MASK
    c ^= b
    c = (c - _rot(b, 14)) & _MASK
    a ^= c
    a = (a - _rot(c, 11)) & _MASK
    b ^= a
    b = (b - _rot(a, 25)) & _MASK
    c ^= b
    c = (c - _rot(b, 16)) & _MASK
    a ^= c
    a = (a - _rot(c, 4)) & _MASK
    b ^= a
    b = (b - _rot(a, 14)) & _MASK
    c ^= b
    c = (c - _rot(b, 24)) & _MASK
    return c


@dataclass(frozen=True)
class Superblock:
    """Where a file's superblock is and what its consistency flags say."""

    offset: int
    version: int
    flags: int
    raw: bytes  # the superblock up to and including its checksum

    @property
    def open_for_write(self) -> bool:
        return bool(self.flags & (WRITE_ACCESS | SWMR_WRITE_ACCESS))

    @property
    def swmr(self) -> bool:
        return bool(self.flags & SWMR_WRITE_ACCESS)

    def cleared(self) -> bytes:
        """The superblock with its flags zeroed and its checksum recomputed."""
        body = bytearray(self.raw[:-4])
        body[_FLAGS_OFFSET] = 0
        return bytes(body) + hashlittle(bytes(body)).to_bytes(4, "little")


def read_superblock(path: str | os.PathLike[str]) -> Superblock | None:
    """The superblock of an HDF5 file of superblock version 2 or 3 (what kinewrite writes),
    found where HDF5 looks for it (offset 0, 512, 1024, 2048 ...); None if there is none,
    it is of an older version (no flags to clear), or its checksum does not match."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        offset = 0
        while offset + 48 <= size:
            fh.seek(offset)
            head = fh.read(12)
            if head[:8] == SIGNATURE:
                version, size_of_offsets = head[8], head[9]
                if version not in (2, 3) or size_of_offsets not in (2, 4, 8):
                    return None
                raw = head + fh.read(4 * size_of_offsets + 4)
                if len(raw) != 16 + 4 * size_of_offsets:
                    return None
                if hashlittle(raw[:-4]) != int.from_bytes(raw[-4:], "little"):
                    return None
                return Superblock(offset, version, raw[_FLAGS_OFFSET], raw)
            offset = 512 if offset == 0 else offset * 2
    return None


def clear_flags(path: str | os.PathLike[str]) -> bool:
    """Zero the consistency flags of the file at `path` in place (``h5clear -s``); False if
    it has no version 2/3 superblock. Use it on a copy, never on the only file."""
    sb = read_superblock(path)
    if sb is None:
        return False
    with open(path, "r+b") as fh:
        fh.seek(sb.offset)
        fh.write(sb.cleared())
        fh.flush()
        os.fsync(fh.fileno())
    return True


class FlagsClearedView(io.RawIOBase):
    """A read-only view of an HDF5 file in which its consistency flags read as clear.

    ``h5py.File(FlagsClearedView(path), "r")`` reads a file left "open for write" by a
    writer that died, without writing a byte of it: every read goes to the file, except
    the superblock's, which comes from :meth:`Superblock.cleared`.
    """

    def __init__(self, path: str | os.PathLike[str], superblock: Superblock) -> None:
        super().__init__()
        self.name = str(path)
        self._fh = open(Path(path), "rb")  # closed with the view
        self._start = superblock.offset
        self._patch = superblock.cleared()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        pos = self._fh.tell()
        n = self._fh.readinto(buffer)
        lo, hi = max(pos, self._start), min(pos + (n or 0), self._start + len(self._patch))
        if lo < hi:
            view = memoryview(buffer).cast("B")
            view[lo - pos:hi - pos] = self._patch[lo - self._start:hi - self._start]
        return n or 0

    def close(self) -> None:
        self._fh.close()
        super().close()
