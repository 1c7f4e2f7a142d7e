"""The handwriting of the report: each protocol task's ink at the first and the latest visit,
as inline SVG (vector polylines, no Qt), for the HTML file and the PDF."""

from __future__ import annotations

from .progress.labels import task_label
from .progress.model import Progress

__all__ = ["ink_rows", "ink_svg"]


def ink_svg(x_mm, y_mm, pen_down, width_mm: float = 84.0, height_mm: float = 12.0,
            max_points: int = 2500) -> str:
    """Pen-down ink of a trial as an inline SVG (one polyline per pen-down run), scaled to
    fit width_mm x height_mm with its aspect kept; y up as on the tablet ("" when the pen
    never touched).

    Runs are found with array operations; at most `max_points` points are kept (every k-th
    sample), enough for a printed thumbnail.
    """
    import numpy as np

    x, y, down = (np.asarray(a) for a in (x_mm, y_mm, pen_down))
    keep = down.astype(bool) & np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return ""
    step = max(1, int(np.ceil(keep.sum() / max_points)))
    idx = np.flatnonzero(keep)[::step]
    # a new run where consecutive kept samples were not consecutive pen-down samples
    breaks = np.flatnonzero(np.diff(np.cumsum(~keep)[idx]) > 0) + 1
    px, py = x[idx], y[idx]
    x0, x1, y0, y1 = px.min(), px.max(), py.min(), py.max()
    span = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    scale = min(width_mm / span[0], height_mm / span[1])
    w, h = span[0] * scale, span[1] * scale
    sx = np.round((px - x0) * scale, 2)
    sy = np.round((y1 - py) * scale, 2)
    lines = []
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, idx.size], strict=True):
        pts = " ".join(f"{u:g},{v:g}" for u, v in zip(sx[a:b], sy[a:b], strict=True))
        lines.append(f"<polyline points='{pts}'/>")
    return (f"<svg class='ink' xmlns='http://www.w3.org/2000/svg' width='{w:.1f}mm' "
            f"height='{h:.1f}mm' viewBox='0 0 {w:.2f} {h:.2f}'><g fill='none' stroke='#1e3a8a' "
            f"stroke-width='0.35' stroke-linejoin='round' stroke-linecap='round'>"
            + "".join(lines) + "</g></svg>")


def _ink_of(p: Progress, task: str, i: int) -> tuple[str, str]:
    """The handwriting of `task` at visit `i` (its row's trial): (inline SVG, "") or ("",
    why there is none)."""
    from .storage.reader import load_session

    rows = p.rows(task)
    row = rows.iloc[i]
    session = next((s for s in p.sessions if s.session_id == row["session_id"]), None)
    if session is None:
        return "", "handwriting not shown: its session is not in the report"
    try:
        trial = load_session(session.path).trial(f"{int(row['trial']):03d}")
        rec = trial.recording
    except (OSError, KeyError, ValueError) as exc:
        return "", f"handwriting not shown: {str(exc)[:80]}"
    if rec is None:
        return "", "no ink (the trial has no samples)"
    svg = ink_svg(rec.x, rec.y, rec.pen_down_mask)
    return svg, "" if svg else "no ink (the pen never touched)"


def ink_rows(p: Progress) -> tuple[str, str, list[tuple[str, list[tuple[str, str]]]]]:
    """The handwriting of each protocol task at the first and the latest visit.

    Returns
    -------
    (first date, latest date, rows)
        A row is (task's plain name, [first cell, latest cell]); a cell is (inline SVG or "",
        a note: the visit's date where it is not the column's, "one visit so far", or why
        there is no ink).
    """
    d0, d1 = str(p.table["session_date"].iloc[0]), str(p.table["session_date"].iloc[-1])
    out = []
    for task in p.tasks:
        rows = p.rows(task)
        cells = []
        for i, head in ((0, d0), (-1, d1)):
            if i == -1 and len(rows) == 1:
                cells.append(("", "one visit so far"))
                continue
            date = str(rows.iloc[i]["session_date"])
            svg, problem = _ink_of(p, task, i)
            cells.append((svg, problem or ("" if date == head else date)))
        out.append((task_label(task, p.task_of(task)), cells))
    return d0, d1, out
