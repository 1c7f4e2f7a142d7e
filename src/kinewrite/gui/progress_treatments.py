"""The treatments on the Progress view's plots: dashed lines, numbered as in the key under the
plots, their labels in the band above the data, and the key's text."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyqtgraph as pg

from .event_labels import EventLabels
from .plots import EVENT_COLOURS, add_event_marker
from .text import plain_tooltip

__all__ = ["add_scale_events", "add_treatments", "event_key_text"]


def add_treatments(plot: pg.PlotItem, events: pd.DataFrame, ev_x: np.ndarray, label: bool,
                   font_pt: float) -> tuple[EventLabels, list[tuple[float, str]]]:
    """Treatment lines; with `label`, their labels in a band above the data
    (:class:`~kinewrite.gui.event_labels.EventLabels`: inside the view, off the
    points, the full text in the tooltip).

    Returns the label layout (keep it while the plot is shown) and the labelled markers
    drawn: (epoch seconds, label)."""
    # the band above the data holds the labels (first plot) and the legend (any plot)
    labels = EventLabels(plot, font_pt - 1)
    markers: list[tuple[float, str]] = []
    number = 0
    for x, kind, text in zip(ev_x, events["kind"], events["label"], strict=True):
        if not math.isfinite(x):
            continue
        number += 1
        line = add_event_marker(plot, x, kind, None)
        line.setToolTip(plain_tooltip(f"{number}: {text}"))
        if label:
            labels.add(float(x), text, EVENT_COLOURS.get(kind, EVENT_COLOURS["other"]),
                       number=number)
            markers.append((float(x), text))
    labels.place()
    return labels, markers


def add_scale_events(plot: pg.PlotItem, events: pd.DataFrame, ev_x: np.ndarray) -> None:
    """The treatment lines of a scale's plot (numbered in their tooltips, as in the
    key)."""
    number = 0
    for x, kind, text in zip(ev_x, events["kind"], events["label"], strict=True):
        if math.isfinite(x):
            number += 1
            line = add_event_marker(plot, x, kind, None)
            line.setToolTip(plain_tooltip(f"{number}: {text}"))


def event_key_text(events: pd.DataFrame, ev_x: np.ndarray) -> str:
    """The key under the plots: each treatment's number (as on its line's label), name
    and date, in full."""
    parts: list[str] = []
    for x, date, text in zip(ev_x, events["date"], events["label"], strict=True):
        if math.isfinite(x):
            parts.append(f"{len(parts) + 1} = {text} ({str(date)[:10]})")
    if not parts:
        return ""
    return "Treatments (dashed lines): " + ";  ".join(parts)
