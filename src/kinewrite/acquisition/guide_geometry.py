"""A task's guide as polylines in mm on the writing area (origin top-left, y down; see
:mod:`kinewrite.acquisition.tasks`).

This module never imports Qt.
"""

from __future__ import annotations

import math

import numpy as np

from .protocol import Guide, TaskSpec

__all__ = ["guide_polylines_mm"]


def guide_polylines_mm(spec: TaskSpec | Guide, area_mm: tuple[float, float]) -> list[np.ndarray]:
    """The guide of a task as polylines in mm on the writing area.

    Parameters
    ----------
    spec : TaskSpec or Guide
    area_mm : (float, float)
        Width and height of the writing area in mm.

    Returns
    -------
    list of ndarray, shape (n, 2)
        Each polyline's vertices ``(x_mm, y_mm)``, origin at the area's top-left corner, x to
        the right, **y down**. Empty for ``kind = "none"``. A spiral starts at its centre and
        winds counter-clockwise as the patient sees it; a circle is closed (last vertex equals
        the first); loops and sentence guides are a baseline and the line ``height_mm`` above
        it, from ``margin_mm`` to ``width - margin_mm``; an absent ``baseline_mm`` puts the
        baseline at 60 % of the height, an absent ``center_mm`` is the area's centre.

    Raises
    ------
    ValueError
        If the area is not positive, or the guide does not fit inside it (a guide is never
        rescaled: its size is part of the task).

    Examples
    --------
    >>> g = Guide.make("circle", radius_mm=10.0)
    >>> (line,) = guide_polylines_mm(g, (100.0, 80.0))
    >>> float(np.hypot(*(line - [50.0, 40.0]).T).max().round(6))
    10.0
    """
    guide = spec.guide if isinstance(spec, TaskSpec) else spec
    name = f"task {spec.key!r}" if isinstance(spec, TaskSpec) else f"{guide.kind} guide"
    w, h = (float(v) for v in area_mm)
    if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
        raise ValueError(f"writing area must be positive in mm, got {w} x {h}")
    p = guide.params
    centre = np.array(p.get("center_mm") or (w / 2, h / 2), dtype=float)
    if guide.kind == "none":
        lines: list[np.ndarray] = []
    elif guide.kind == "spiral":
        turns, r0, r1 = p["turns"], p["inner_radius_mm"], p["outer_radius_mm"]
        theta = np.linspace(0.0, 2 * np.pi * turns, max(int(turns * 180), 2) + 1)
        r = r0 + (r1 - r0) * theta / theta[-1]
        lines = [np.column_stack((centre[0] + r * np.cos(theta), centre[1] - r * np.sin(theta)))]
    elif guide.kind == "circle":
        theta = np.linspace(0.0, 2 * np.pi, 361)
        r = p["radius_mm"]
        ring = np.column_stack((centre[0] + r * np.cos(theta), centre[1] - r * np.sin(theta)))
        ring[-1] = ring[0]
        lines = [ring]
    elif guide.kind in ("loops", "sentence"):
        base = p["baseline_mm"] if p["baseline_mm"] is not None else 0.6 * h
        x0, x1 = p["margin_mm"], w - p["margin_mm"]
        if x1 <= x0:
            raise ValueError(f"{name}: margins of {p['margin_mm']} mm leave no room on a "
                             f"{w:g} mm wide writing area")
        top = base - p["height_mm"]
        lines = [np.array([[x0, base], [x1, base]]), np.array([[x0, top], [x1, top]])]
    elif guide.kind == "lines":
        a = np.radians(p["orientation_deg"])
        along = np.array([np.cos(a), -np.sin(a)])  # y down: a positive angle points up
        across = np.array([np.sin(a), np.cos(a)])
        n = int(p["count"])
        offsets = (np.arange(n) - (n - 1) / 2) * p["spacing_mm"]
        mids = centre + offsets[:, None] * across
        half = 0.5 * p["length_mm"] * along
        ends = np.stack((mids - half, mids + half), axis=1)  # (n, 2, 2)
        lines = list(ends)
    else:  # pragma: no cover - kinds are validated on construction
        raise ValueError(f"{name}: unknown guide kind {guide.kind!r}")
    if lines:
        allv = np.concatenate(lines)
        lo, hi = allv.min(axis=0), allv.max(axis=0)
        tol = 1e-9
        if lo[0] < -tol or lo[1] < -tol or hi[0] > w + tol or hi[1] > h + tol:
            raise ValueError(
                f"{name}: the {guide.kind} guide spans x {lo[0]:.1f}..{hi[0]:.1f} mm, "
                f"y {lo[1]:.1f}..{hi[1]:.1f} mm, outside the {w:g} x {h:g} mm writing area")
    return lines
