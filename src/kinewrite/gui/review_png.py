"""The Review view of one trial rendered offscreen to a PNG (:func:`render_review_png`)."""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import Qt

from .._atomic import atomic_write_bytes, output_problem
from ..errors import InputError
from .plots import ensure_app, png_bytes
from .review_view import ReviewView

__all__ = ["render_review_png"]


def render_review_png(session_path: str | os.PathLike[str], trial: str | None,
                      out_png: str | os.PathLike[str],
                      size: tuple[int, int] = (1400, 900)) -> Path:
    """Render the Review view of one trial to a PNG, offscreen.

    Parameters
    ----------
    session_path : path
        A session file.
    trial : str or None
        Trial name (``"003"``); None for the last complete trial.
    out_png : path
        Where to write the image.
    size : (int, int), default (1400, 900)
        Width and height in logical pixels.

    Returns
    -------
    Path
        `out_png`.

    Raises
    ------
    InputError
        If the session cannot be read, has no trial of that name, or the image cannot be
        written (one line naming the file).
    """
    app = ensure_app()
    view = ReviewView()
    try:
        try:
            view.load(session_path, trial)
        except KeyError:
            raise InputError(f"{session_path}: no trial {trial!r} in this session") from None
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.resize(*size)
        view.show()
        for _ in range(3):
            app.processEvents()
        out = Path(out_png)
        try:
            atomic_write_bytes(out, png_bytes(view, out))  # never half an image
        except OSError as exc:
            raise InputError(output_problem(out, exc)) from None
    finally:
        view.close()
        view.deleteLater()
    return out
