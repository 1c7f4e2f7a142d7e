"""Stylus profile files: one JSON file per stylus in ``$KINEWRITE_CONFIG_DIR/styluses/``
(default ``~/.config/kinewrite/styluses/``), written atomically, listed and read back. Qt-free.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..._atomic import atomic_write_text, private_folder
from ..tasks import config_dir
from .errors import CalibrationError
from .pressure import PressureProfile

__all__ = ["list_profiles", "load_profile", "profile_path", "save_profile", "styluses_dir"]


def styluses_dir() -> Path:
    """Folder of stylus profiles: ``<config dir>/styluses`` (see
    :func:`kinewrite.acquisition.tasks.config_dir`)."""
    return config_dir() / "styluses"


def profile_path(stylus: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The file of a stylus's profile: its name with each run of characters other than
    letters, digits, ``.``, ``-`` and ``_`` replaced by one ``_``, plus ``.json``."""
    if not stylus.strip():
        raise CalibrationError("a stylus profile needs a stylus name")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stylus.strip()).lstrip(".")
    return Path(directory if directory is not None else styluses_dir()) / f"{safe}.json"


def save_profile(profile: PressureProfile,
                 directory: str | os.PathLike[str] | None = None) -> Path:
    """Write the profile atomically (temporary file, fsync, rename); returns its path.

    An earlier profile of the same stylus is replaced only once the new one is whole on disk.
    """
    path = profile_path(profile.stylus, directory)
    private_folder(path.parent)
    atomic_write_text(path, profile.to_json())  # unique temporary name, fsync, rename
    return path


def load_profile(stylus_or_path: str | os.PathLike[str],
                 directory: str | os.PathLike[str] | None = None) -> PressureProfile:
    """A saved profile, by stylus name (looked up in `directory`, default
    :func:`styluses_dir`) or by the path of a ``.json`` file."""
    candidate = Path(stylus_or_path)
    path = candidate if candidate.suffix == ".json" else profile_path(str(stylus_or_path),
                                                                      directory)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: not a text file") from None
    return PressureProfile.from_json(text, str(path))


def list_profiles(directory: str | os.PathLike[str] | None = None,
                  errors: list[str] | None = None) -> list[PressureProfile]:
    """Every readable profile in `directory` (default :func:`styluses_dir`), sorted by
    stylus name; unreadable files are skipped, their messages appended to `errors`."""
    folder = Path(directory if directory is not None else styluses_dir())
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            found.append(load_profile(path))
        except CalibrationError as exc:
            if errors is not None:
                errors.append(str(exc))
    return sorted(found, key=lambda p: p.stylus.lower())
