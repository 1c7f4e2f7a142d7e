"""Settings the app keeps between runs, as small JSON files in the configuration folder.

The folder is :func:`kinewrite.acquisition.tasks.config_dir` (``$KINEWRITE_CONFIG_DIR`` or
``~/.config/kinewrite``). Only device settings live here (screen mapping, last study folder,
tablet rate): never anything about a patient. Files are written atomically
(:mod:`kinewrite._atomic`); an unreadable file is reported in one line and ignored, never
fatal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text, private_folder
from ..acquisition.calibration.errors import CalibrationError
from ..acquisition.calibration.mapping import ScreenMapping
from ..acquisition.tasks import config_dir

__all__ = ["load_screen_mapping", "load_settings", "save_screen_mapping", "save_settings"]

SCREEN_FILE = "screen.json"
SETTINGS_FILE = "settings.json"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` whole (a temporary file of a unique name, never a fixed one a planted
    link could redirect; removed if the write fails)."""
    private_folder(path.parent)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"kinewrite: {path}: ignored, not readable JSON ({exc})", file=sys.stderr)
        return None
    if not isinstance(data, dict):
        print(f"kinewrite: {path}: ignored, not a JSON object", file=sys.stderr)
        return None
    return data


def save_screen_mapping(mapping: ScreenMapping, directory: Path | None = None) -> Path:
    """Store the calibrated px-to-mm mapping of this machine's screen or tablet."""
    path = (directory or config_dir()) / SCREEN_FILE
    _write_json(path, {"x_mm_per_px": mapping.x_mm_per_px, "y_mm_per_px": mapping.y_mm_per_px,
                       "source": mapping.source})
    return path


def load_screen_mapping(directory: Path | None = None) -> ScreenMapping | None:
    """The saved mapping, or None if none was saved (or the file is unusable)."""
    path = (directory or config_dir()) / SCREEN_FILE
    data = _read_json(path)
    if data is None:
        return None
    try:
        return ScreenMapping(float(data["x_mm_per_px"]), float(data["y_mm_per_px"]),
                             str(data.get("source", "")) + f" (saved in {path})")
    except (KeyError, TypeError, ValueError, CalibrationError) as exc:
        print(f"kinewrite: {path}: ignored ({exc})", file=sys.stderr)
        return None


def load_settings(directory: Path | None = None) -> dict[str, Any]:
    """App settings (last study folder, tablet rate, input kind ...); empty if none."""
    return _read_json((directory or config_dir()) / SETTINGS_FILE) or {}


def save_settings(settings: dict[str, Any], directory: Path | None = None) -> Path:
    """Store app settings (device settings only: never patient data)."""
    path = (directory or config_dir()) / SETTINGS_FILE
    _write_json(path, settings)
    return path
