"""Hostile-file checks: a session file must hold its own data, and no more than it declares.

Every reader of the format (:mod:`kinewrite.storage.reader`, :mod:`kinewrite.storage.study`,
the compact feature row) runs these before it follows a link or allocates a channel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..errors import InputError

__all__ = ["MAX_DECLARED_OVER_STORED", "refuse_foreign_data", "refuse_foreign_dataset",
           "refuse_inflated_dataset"]


def refuse_foreign_data(f: h5py.File, path: Path) -> None:
    """Refuse a session file with links: every object must be stored in the file itself.

    kinewrite never writes links. A soft or external link in a file from elsewhere would
    make the reader open other files: another patient's data passed off as this session's,
    or a named pipe that blocks the reader forever. Checked before anything is followed
    (visiting the links follows none of them).

    Raises
    ------
    InputError
        One line naming the file and the first link found.
    """
    def first_link(name: bytes, info: Any) -> bytes | None:
        # low-level visit (~0.1 ms per file, 20x the high-level one); a value other than
        # None stops it (raising inside it upsets h5py's lock)
        return None if info.type == h5py.h5l.TYPE_HARD else name

    found = f.id.links.visit(first_link, info=True)
    if found is not None:
        name = found.decode(errors="replace")
        link = f.get(name, getlink=True)
        target = (f"another file ({link.filename})" if isinstance(link, h5py.ExternalLink)
                  else getattr(link, "path", type(link).__name__))
        raise InputError(f"{path}: /{name} is a link to {target}, not data stored in the "
                         "file; a session file must hold its own data")


def refuse_foreign_dataset(dataset_id: h5py.h5d.DatasetID, path: Path) -> None:
    """Refuse a dataset whose raw data lives in other files (virtual or external storage),
    before reading it (see :func:`refuse_foreign_data`)."""
    plist = dataset_id.get_create_plist()
    if plist.get_layout() == h5py.h5d.VIRTUAL or plist.get_external_count() > 0:
        name = h5py.h5i.get_name(dataset_id).decode(errors="replace")
        raise InputError(f"{path}: {name} takes its data from other files; a session file "
                         "must hold its own data")


#: A channel may declare at most this many times the bytes it stores (plus 1 MiB): kinewrite
#: writes channels uncompressed, so their storage covers their length (a writer killed
#: between growing a dataset and filling it leaves at most one append uncovered).
MAX_DECLARED_OVER_STORED = 4


def refuse_inflated_dataset(dataset_id: h5py.h5d.DatasetID, path: Path) -> None:
    """Refuse a channel whose declared length far exceeds the bytes the file stores for it.

    HDF5 returns the fill value for chunks never written, so an 800 kB file can declare
    channels of 2e9 samples: reading them would allocate 16 GB each and exhaust memory.
    """
    declared = int(np.prod(dataset_id.shape, dtype=np.int64)) * dataset_id.get_type().get_size()
    stored = int(dataset_id.get_storage_size())
    if declared > MAX_DECLARED_OVER_STORED * stored + (1 << 20):
        name = h5py.h5i.get_name(dataset_id).decode(errors="replace")
        raise InputError(f"{path}: {name} declares {declared:,} bytes of samples but stores "
                         f"{stored:,}: damaged or hostile file")
