"""InkML recordings: W3C Ink Markup Language, Recommendation 20 September 2011,
https://www.w3.org/TR/2011/REC-InkML-20110920/ . Each ``<trace>`` is one stroke; the XML is
read by :func:`~kinewrite.formats.inkml_xml.parse_xml` (no DOCTYPE, no entity, bounded), the
contexts resolved by :mod:`~kinewrite.formats.inkml_context`, the trace text decoded by
:mod:`~kinewrite.formats.inkml_values`, the units by :mod:`~kinewrite.formats.inkml_units`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..storage.schema import STATE_HOVER, STATE_OUT, STATE_TOUCH
from .inkml_context import (
    Channel,
    all_formats,
    all_nodes,
    channel_properties_of,
    collect_traces,
    format_of,
    resolutions,
    trace_channels,
)
from .inkml_units import InkUnits, ink_units
from .inkml_values import trace_matrix, undifference
from .inkml_xml import Node, parse_xml
from .trial import (
    MAX_EXACT_INT,
    ImportedTrial,
    ImportOptions,
    Scale,
    estimated_rate_attrs,
    estimated_rate_hz,
)

__all__ = ["parse_inkml"]


@dataclass
class _Stroke:
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    force: np.ndarray | None
    state: np.ndarray
    joins_previous: bool  # continuation of the previous trace: no pen lift between them


def _decode_trace(node: Node, channels: Sequence[Channel], units: InkUnits, name: str,
                  index: int) -> _Stroke | None:
    text = "".join(node.text or [])
    numbers, codes = trace_matrix(text, channels, name, index)
    if numbers.shape[0] == 0:
        return None
    cols: dict[str, np.ndarray] = {}
    for j, ch in enumerate(channels):
        if ch.name in ("X", "Y", "T", "F", "S"):
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    cols[ch.name] = undifference(numbers[:, j], codes[:, j])
            except ValueError as exc:
                raise InputError(f"{name}: trace {index}, channel {ch.name}: {exc}") from None
    for key, values in cols.items():
        if not np.all(np.isfinite(values)):
            raise InputError(f"{name}: trace {index}, channel {key}: value out of range")
        big = np.flatnonzero(np.abs(values) >= MAX_EXACT_INT)
        if big.size:
            raise InputError(f"{name}: trace {index}, channel {key}: value "
                             f"{values[big[0]]:.17g} is beyond 2**53, which a float64 cannot "
                             "hold exactly")
    kind = node.attrs.get("type", "penDown")
    if kind not in ("penDown", "penUp", "indeterminate"):
        raise InputError(f"{name}: trace {index} has type={kind[:20]!r}; expected penDown, "
                         "penUp or indeterminate")
    state = np.full(numbers.shape[0], STATE_HOVER if kind == "penUp" else STATE_TOUCH, np.uint8)
    if "S" in cols and kind != "penUp":  # tip switch: touching where true
        state = np.where(cols["S"] != 0, STATE_TOUCH, STATE_HOVER).astype(np.uint8)
    force = cols.get("F")
    if force is not None and units.pressure_max is not None:
        bad = np.flatnonzero((force < 0) | (force > units.pressure_max))
        if bad.size:
            raise InputError(f"{name}: trace {index}: F value {force[bad[0]]:g} outside "
                             f"0..{units.pressure_max:g} (the channel max)")
    return _Stroke(cols["T"] * units.t_s, cols["X"], cols["Y"], force, state,
                   node.attrs.get("continuation", "") in ("middle", "end"))


def _join_strokes(strokes: Sequence[_Stroke], respect_to: bool, name: str) -> dict[str, Any]:
    """Concatenate traces; between two pen-down traces insert one pen-lift marker sample
    (state 0, halfway in time and space, pressure 0) so the lift is not lost."""
    parts: list[list[np.ndarray]] = [[], [], [], [], []]
    markers = 0
    has_force = strokes[0].force is not None
    for k, s in enumerate(strokes):
        if (s.force is not None) != has_force:
            raise InputError(f"{name}: some traces have an F channel and some have none")
        if k and not respect_to and s.t[0] < strokes[k - 1].t[-1]:
            raise InputError(f"{name}: T restarts in trace {k + 1} and the T channel has no "
                             "respectTo, so the traces' relative timing is unknown")
        prev = strokes[k - 1] if k else None
        if (prev is not None and not s.joins_previous and prev.state[-1] == STATE_TOUCH
                and s.state[0] == STATE_TOUCH):
            mid = [(prev.t[-1] + s.t[0]) / 2, (prev.x[-1] + s.x[0]) / 2,
                   (prev.y[-1] + s.y[0]) / 2, 0.0, STATE_OUT]
            for part, value in zip(parts, mid, strict=True):
                part.append(np.array([value]))
            markers += 1
        force = s.force if s.force is not None else np.full(s.t.size, np.nan)
        for part, value in zip(parts, (s.t, s.x, s.y, force, s.state), strict=True):
            part.append(value)
    t, x, y, force, state = (np.concatenate(p) for p in parts)
    return {"t": t, "x": x, "y": y, "force": force if has_force else None,
            "state": state.astype(np.uint8), "markers": markers}


def parse_inkml(data: bytes, name: str, options: ImportOptions) -> ImportedTrial:
    """Parse a W3C InkML file: each ``<trace>`` is one stroke.

    Channels X, Y and T are required, F (force) is read as pressure and S (tip switch) as pen
    state; others are parsed and ignored. The trace format comes from the trace's context
    (``contextRef`` of the trace or its ``<traceGroup>``, else the last ``<context>`` or
    ``<traceFormat>`` directly under ``<ink>``); a document with no applicable context but
    exactly one ``<traceFormat>`` uses that one; otherwise the default is ``X Y``
    (InkML §3.1.2). ``penDown`` traces are on the surface, ``penUp`` traces in the air;
    between two consecutive pen-down traces a pen lift happened, marked by one inserted
    sample (see :func:`_join_strokes`). Values may be explicit or use the ``!``, ``'`` and
    ``"`` qualifiers (§3.2.1).

    Raises
    ------
    InputError
        Unsafe or malformed XML, not InkML, no trace, unsupported trace syntax, missing
        X/Y/T, units unknown, inconsistent formats between traces.
    """
    root, ids = parse_xml(data, name)
    if root.tag != "ink":
        raise InputError(f"{name}: root element is <{root.tag[:30]}>, not <ink>; not InkML")
    pairs = collect_traces(root, ids, name)
    if not pairs:
        raise InputError(f"{name}: no <trace> element")
    formats = all_formats(root)
    fallback = formats[0] if len(formats) == 1 else None
    all_props = all_nodes(root, "channelProperties")
    fallback_props = all_props[0] if len(all_props) == 1 else None
    strokes: list[_Stroke] = []
    seen: InkUnits | None = None
    respect_to = True
    empty = 0
    for index, (trace, ctx) in enumerate(pairs, start=1):
        fmt = format_of(ctx, ids, name) if ctx is not None else None
        props = channel_properties_of(ctx, ids, name) if ctx is not None else None
        channels = trace_channels(fmt or fallback, name)
        units = ink_units(channels, options, name, resolutions(props or fallback_props, name))
        if seen is not None and units != seen:
            raise InputError(f"{name}: traces use different units or trace formats "
                             f"({seen.note} vs {units.note})")
        seen = units
        respect_to &= bool(next(c for c in channels if c.name == "T").respect_to)
        stroke = _decode_trace(trace, channels, units, name, index)
        if stroke is None:
            empty += 1
        else:
            strokes.append(stroke)
    if not strokes or seen is None:
        raise InputError(f"{name}: every <trace> is empty")
    joined = _join_strokes(strokes, respect_to, name)
    t0 = float(joined["t"][0])
    t_s = joined["t"] - t0
    stored = {"t": t_s, "x": joined["x"], "y": joined["y"], "state": joined["state"]}
    units_out = {"t": "s", "x": seen.x_unit, "y": seen.y_unit, "state": "code"}
    if joined["force"] is not None:
        stored["pressure"] = joined["force"]
        units_out["pressure"] = "level"
    scale = Scale(seen.x_mm, seen.y_mm, f"InkML: {seen.note}", seen.pressure_max,
                   seen.pressure_note)
    return ImportedTrial(
        source=name, fmt="inkml", channels=stored, units=units_out, scale=scale,
        nominal_rate_hz=estimated_rate_hz(np.concatenate([s.t for s in strokes])),
        attrs={"source_format": "inkml",
               "unit_conversion": (f"{seen.note} (x {seen.x_mm:g} mm/unit, y "
                                   f"{seen.y_mm:g} mm/unit); t minus the first sample time"
                                   + (f"; {seen.pressure_note}" if seen.pressure_note
                                      else "")),
               "inkml_traces": len(strokes), "inkml_empty_traces_skipped": empty,
               "inkml_lift_markers": int(joined["markers"]),
               "inkml_lift_marker_rule": "one sample with state 0 and pressure 0 inserted "
                                         "halfway between consecutive pen-down traces",
               "source_first_time_s": t0, **estimated_rate_attrs()},
    )
