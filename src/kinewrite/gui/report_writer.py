"""Writing a patient's progress report to a file: the charts painted by Qt, then the
self-contained HTML page (:mod:`kinewrite.report_html`) or the PDF laid out directly
(:mod:`kinewrite.gui.report_pdf`). The report's content is :mod:`kinewrite.report`'s, which
imports no Qt; this module is the Qt side that draws it (docs/architecture.md)."""

from __future__ import annotations

import os
from pathlib import Path

from .._atomic import atomic_write_text
from ..progress.load import load_progress
from ..progress.model import Progress
from ..report_html import report_html
from .report_charts import render_plots
from .report_pdf import CHART_HEIGHT_PX as PDF_CHART_HEIGHT_PX
from .report_pdf import write_pdf

__all__ = ["build_report", "write_report"]


def build_report(study_dir: str | os.PathLike[str], patient: str,
                 out_html: str | os.PathLike[str], problems: list[str] | None = None) -> Path:
    """Write the report of `patient` to `out_html`: a PDF if it ends in ``.pdf``, else the
    self-contained HTML file.

    The numbers are ``kinewrite export``'s rows of each session file
    (:func:`~kinewrite.progress.load_progress` with ``verify=True``): a session file that
    cannot be read or is damaged in any way is left out of the report, as the export
    leaves it out, and its one-line problem is appended to `problems`.

    Raises
    ------
    ProgressError
        Unknown patient, empty study, or no readable session (one line; its ``problems``
        name the files left out).
    OSError
        If the file cannot be written.
    """
    p = load_progress(study_dir, patient, verify=True)
    if problems is not None:
        problems.extend(p.problems)
    return write_report(p, out_html)


def write_report(p: Progress, out_html: str | os.PathLike[str]) -> Path:
    """Write the report of the loaded progress `p` (:func:`build_report` without the
    reading): a PDF if `out_html` ends in ``.pdf``, else the self-contained HTML file."""
    out = Path(out_html)
    if out.suffix.lower() == ".pdf":
        return write_pdf(p, render_plots(p, height_px=PDF_CHART_HEIGHT_PX), out)
    images = render_plots(p)
    atomic_write_text(out, report_html(p, images))  # a unique temporary name, removed if
    return out  # the write fails
