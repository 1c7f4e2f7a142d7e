"""The Progress view rendered to a PNG, offscreen."""

from __future__ import annotations

import os
from pathlib import Path

from ..progress.model import ProgressError
from .plots import ensure_app, save_png
from .progress_view import ProgressView

__all__ = ["render_progress_png"]




def render_progress_png(study_dir: str | os.PathLike[str], patient: str,
                        out_png: str | os.PathLike[str], size: tuple[int, int] = (1400, 900),
                        task: str | None = None,
                        features: list[str] | None = None) -> Path:
    """Render the Progress view of `patient` to a PNG, offscreen.

    Parameters
    ----------
    study_dir : path-like
    patient : str
    out_png : path-like
    size : (int, int), default (1400, 900)
        Width and height in logical pixels.
    task : str, optional
        Task to show (default: the sentence if recorded, else the first task).
    features : list of str, optional
        Features to plot (default :data:`DEFAULT_FEATURES` of the task).

    Raises
    ------
    ProgressError
        Unknown patient, empty study (one line).
    OSError
        If the image cannot be written.
    """
    ensure_app()
    view = ProgressView()
    view.study_dir = Path(study_dir)
    view.patient = patient
    view.reload()
    if view.progress is None:
        raise ProgressError(view.message.text() or f"{study_dir}: nothing to show")
    if task is not None:
        view.set_task(task)
    if features is not None:
        view.set_features(features)
    try:
        return save_png(view, out_png, size)
    finally:
        view.close()
        view.deleteLater()
