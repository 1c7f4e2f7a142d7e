"""The Review view: replay one trial and see what its features were computed from.

:class:`ReviewView` shows one trial of a session: the pen path replayed in time
(:mod:`kinewrite.gui.replay`), linked time series (speed, vertical velocity with the writing-
stroke boundaries, pressure) with a cursor following the replay, the tremor spectrum with its
detection threshold and peak, the unravelled spiral r(θ) for spiral trials, and the trial's
stored features against reference ranges (:mod:`kinewrite.gui.feature_table`).
:func:`render_review_png` renders it offscreen to a PNG.

The parts, one job each:

- :mod:`~kinewrite.gui.review_data` (no Qt): :func:`review_data` turns a stored trial into
  what the plots draw, every array, threshold and exclusion from
  :func:`kinewrite.analysis.review_signals.review_signals` (the analysis the trial's cached
  features were computed with);
- :mod:`~kinewrite.gui.review_plots`: the replay, spectrum, time series and spiral plots;
- :mod:`~kinewrite.gui.review_view`: the view (session and trial pickers, the plots or why
  they cannot be shown, the stored feature table);
- :mod:`~kinewrite.gui.review_png`: the view rendered offscreen to a PNG.

This module re-exports their public names.
"""

from __future__ import annotations

from ..analysis.review_signals import nan_breaks
from .review_data import ReviewData, default_trial, pressure_calibration, review_data
from .review_png import render_review_png
from .review_view import ReviewView

__all__ = ["ReviewData", "ReviewView", "default_trial", "nan_breaks", "pressure_calibration",
           "render_review_png", "review_data"]
