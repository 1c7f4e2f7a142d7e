"""The Progress view: a patient's measures across sessions, beside treatments and scales.

Answers the patient's "am I getting better?" and the therapist's "did the toxin or the
training work?". For one task, each chosen feature is plotted over the session dates (one
point per session: the last complete trial of the task, see :mod:`kinewrite.progress`), with
the healthy-writer range of :mod:`kinewrite.analysis.reference` as a green band only where a
source gives one for that task, and treatment events (botulinum toxin, pen-grip training)
as dashed vertical lines, labelled with their number and name in a band above the data
(never over a point, inside the view, shortened with an ellipsis when there is no room, down
to the number) and named in full, with their dates, in a key under the plots. Each plot's
legend sits in that band too, never over a point. On a small screen every plot keeps a
readable height (:data:`PLOT_MIN_PX`) and the plots scroll. The clinical scales (ADDS %,
WCRS points) are plotted beside, on the same dates.

Features carry plain labels ("writing rhythm", "tremor", "pen pressure"); the technical
name, unit, definition and reference are one click away: the details panel under the feature
list shows them for the selected feature (in the palette's text and base colours, readable
in a dark palette), the tooltip too, and "Technical names" switches every label to the
registry's name and unit (:func:`technical_unit`). The numbers are the features cached in
the session files (no recomputation): :meth:`ProgressView.plotted_series` returns exactly
what is drawn, for tests.

The task list holds *protocol tasks* (a spiral traced on a guide and one drawn free are two
entries). Pen pressure is plotted in N where the sessions have a stylus profile, else as a
fraction of the tablet range marked "uncalibrated". A visit without a detected tremor is
marked by a grey cross below the zero line, named in the legend, never drawn as an amplitude
of 0 mm. A visit recorded with a mouse is a hollow point, named in the legend (its timing and
pressure are not comparable with the tablet's). Each plot's title
says whether the change from the first to the last visit is beyond the patient's own
measurement noise (:meth:`kinewrite.progress.Progress.change`).

This module gathers the view's public names; its parts, one job a module:
:mod:`~kinewrite.gui.progress_view` the widget (its layout, the drawing of the chosen plots, a
click opening a trial), :mod:`~kinewrite.gui.progress_choice` the choice of task and measures
(technical names, the definition box), :mod:`~kinewrite.gui.progress_names` what a measure is
called, :mod:`~kinewrite.gui.progress_measure` the plot of one measure with its marks,
:mod:`~kinewrite.gui.progress_treatments` the treatment lines, labels and key,
:mod:`~kinewrite.gui.progress_scales` the scales' plots, and
:mod:`~kinewrite.gui.progress_png` the PNG.
"""

from .progress_measure import MOUSE_TEXT, NO_TREMOR_TEXT, NOT_MEASURED_TEXT, REAL_CHANGE_TEXT
from .progress_names import DEFAULT_FEATURES, technical_unit
from .progress_png import render_progress_png
from .progress_scales import CLINICAL
from .progress_view import AXIS_LABEL_PX, LABEL_ROW_PX, PLOT_MIN_PX, ProgressView

__all__ = [
    "AXIS_LABEL_PX",
    "CLINICAL",
    "DEFAULT_FEATURES",
    "LABEL_ROW_PX",
    "MOUSE_TEXT",
    "NOT_MEASURED_TEXT",
    "NO_TREMOR_TEXT",
    "PLOT_MIN_PX",
    "REAL_CHANGE_TEXT",
    "ProgressView",
    "render_progress_png",
    "technical_unit",
]
