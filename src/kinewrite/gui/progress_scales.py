"""The clinical scales' plots of the Progress view: ADDS (%) and WCRS (points) over the same
dates as the measures, with the treatment lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg

from .plots import epoch_seconds, new_plot
from .progress_measure import Timeline, read_back
from .progress_treatments import add_scale_events

__all__ = ["CLINICAL", "draw_scales"]

#: The clinical scales plotted: (scale, what it rates, unit, which way is better); the
#: title says what it rates and its direction, the axis the scale and unit (short enough
#: for the height of a plot on a small screen).
CLINICAL = (("ADDS", "arm disability", "%", "higher is better"),
            ("WCRS", "cramp rating", "points", "lower is better"))


def draw_scales(grid: pg.GraphicsLayoutWidget, clinical: pd.DataFrame, timeline: Timeline,
                *, columns: int, font_pt: float
                ) -> tuple[dict[str, pg.PlotItem], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """One plot per scale of :data:`CLINICAL` in `grid`, of the dated entries `clinical`
    (:attr:`~kinewrite.progress.Progress.clinical`); "no ... entry" on a scale without one.

    Returns the plots and what they draw (dates ``datetime64[ms]``, scores) by scale."""
    plots: dict[str, pg.PlotItem] = {}
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    x_range = timeline.x_range
    first_scale: pg.PlotItem | None = None
    for row, (scale, rates, unit, hint) in enumerate(CLINICAL):
        entries = clinical[clinical["scale"] == scale]
        plot = new_plot(grid, row // columns, row % columns,
                        title=f"{rates}, {hint}", font_pt=font_pt,
                        left=(scale, unit), date_axis=True,
                        bottom=(("date", "UTC") if row // columns
                                == (len(CLINICAL) - 1) // columns else None))
        cx = epoch_seconds(entries["date"].to_numpy())
        cy = entries["score"].to_numpy(dtype=np.float64)
        curve = plot.plot(cx, cy, pen=pg.mkPen((90, 90, 90), width=2), symbol="s",
                          symbolSize=8, symbolBrush=pg.mkBrush(90, 90, 90),
                          connect="finite")
        if scale == "ADDS":
            plot.setYRange(0, 100, padding=0.05)
        else:
            top = float(np.nanmax(cy)) if cy.size and np.isfinite(cy).any() else 1.0
            plot.setYRange(0, max(top, 1.0), padding=0.1)
        add_scale_events(plot, timeline.events, timeline.ev_x)
        plot.setXRange(*x_range, padding=0)
        # linked only to the scales' own first plot: pyqtgraph lines linked views up by
        # their screen position where they overlap, and the scales' grid is a widget of
        # its own (the report draws it where the measures' plots were: the dates shifted)
        if first_scale is None:
            first_scale = plot
        else:
            plot.setXLink(first_scale)
        if cy.size == 0:
            text = pg.TextItem(f"no {scale} entry", color=(120, 120, 120),
                               anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos(sum(x_range) / 2, 50 if scale == "ADDS" else 0.5)
        plots[scale] = plot
        series[scale] = read_back(curve)
    return plots, series
