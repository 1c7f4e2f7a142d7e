"""Where the user's kinewrite settings live (protocols, stylus profiles, screen scale, the
study-index key): one folder, ``$KINEWRITE_CONFIG_DIR`` or ``~/.config/kinewrite``.

This module never imports Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["config_dir"]


def config_dir() -> Path:
    """The user's kinewrite configuration folder: ``$KINEWRITE_CONFIG_DIR`` if set, else
    ``~/.config/kinewrite``. Not created here."""
    env = os.environ.get("KINEWRITE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path.home() / ".config" / "kinewrite"
