"""InkML contexts: which ``<traceFormat>`` and ``<channelProperties>`` apply to each
``<trace>`` (W3C Ink Markup Language, Recommendation 20 September 2011,
https://www.w3.org/TR/2011/REC-InkML-20110920/ , §3.1 and §4), and the channels a trace
format declares. References are followed inside the file only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import InputError
from .inkml_xml import Node

__all__ = [
    "Channel",
    "all_formats",
    "all_nodes",
    "channel_properties_of",
    "collect_traces",
    "format_of",
    "lookup",
    "resolutions",
    "trace_channels",
]


@dataclass(frozen=True)
class Channel:
    """One channel a ``<traceFormat>`` declares (InkML §3.1.2)."""

    name: str
    type: str
    units: str
    max: float | None
    orientation: str
    respect_to: str


def lookup(ref: str, ids: Mapping[str, Node], name: str, wanted: tuple[str, ...]) -> Node:
    if ("#" in ref and not ref.startswith("#")) or ref.startswith(("http:", "https:", "file:")):
        raise InputError(f"{name}: reference {ref[:60]!r} points outside the file; "
                         "external references are not followed")
    node = ids.get(ref.lstrip("#"))
    if node is None or node.tag not in wanted:
        raise InputError(f"{name}: reference {ref[:60]!r} names no <{'/'.join(wanted)}> "
                         "in the file")
    return node


def format_of(node: Node, ids: Mapping[str, Node], name: str, depth: int = 0) -> Node | None:
    """The ``<traceFormat>`` a context (or inkSource) applies: its own child, its
    traceFormatRef, its inkSource, then the context it refers to."""
    if depth > 16:
        raise InputError(f"{name}: context references nest more than 16 deep (a cycle?)")
    if node.tag == "traceFormat":
        return node
    for child in node.children:
        if child.tag == "traceFormat":
            return child
    if "traceFormatRef" in node.attrs:
        return lookup(node.attrs["traceFormatRef"], ids, name, ("traceFormat",))
    for child in node.children:
        if child.tag == "inkSource":
            found = format_of(child, ids, name, depth + 1)
            if found is not None:
                return found
    for attr, wanted in (("inkSourceRef", ("inkSource",)), ("contextRef", ("context",))):
        if attr in node.attrs:
            target = lookup(node.attrs[attr], ids, name, wanted)
            return format_of(target, ids, name, depth + 1)
    return None


def channel_properties_of(node: Node, ids: Mapping[str, Node], name: str,
                          depth: int = 0) -> Node | None:
    """The ``<channelProperties>`` a context (or inkSource) applies, found along the same
    path as its trace format (:func:`format_of`): its own child, its inkSource, then the
    inkSource or context it refers to (InkML §4.1.2: channelProperties sit in an
    inkSource beside its traceFormat)."""
    if depth > 16:
        raise InputError(f"{name}: context references nest more than 16 deep (a cycle?)")
    for child in node.children:
        if child.tag == "channelProperties":
            return child
    for child in node.children:
        if child.tag == "inkSource":
            found = channel_properties_of(child, ids, name, depth + 1)
            if found is not None:
                return found
    for attr, wanted in (("inkSourceRef", ("inkSource",)), ("contextRef", ("context",))):
        if attr in node.attrs:
            target = lookup(node.attrs[attr], ids, name, wanted)
            return channel_properties_of(target, ids, name, depth + 1)
    return None


def resolutions(props: Node | None, name: str) -> dict[str, tuple[float, str]]:
    """Channel -> (resolution value, its units) from ``<channelProperty name="resolution">``
    (e.g. ``channel="X" value="1000" units="1/cm"``: 1000 units per cm)."""
    out: dict[str, tuple[float, str]] = {}
    for child in props.children if props is not None else ():
        a = child.attrs
        if child.tag != "channelProperty" or a.get("name", "").strip() != "resolution":
            continue
        try:
            value = float(a.get("value", ""))
        except ValueError:
            raise InputError(f"{name}: channelProperty resolution of channel "
                             f"{a.get('channel', '?')[:20]} has value "
                             f"{a.get('value', '')[:30]!r}, not a number") from None
        out[a.get("channel", "").strip()] = (value, a.get("units", "").strip())
    return out


def all_nodes(node: Node, tag: str) -> list[Node]:
    found = [node] if node.tag == tag else []
    for child in node.children:
        found.extend(all_nodes(child, tag))
    return found


def collect_traces(root: Node, ids: Mapping[str, Node],
                   name: str) -> list[tuple[Node, Node | None]]:
    """Every ``<trace>`` in document order (also inside ``<traceGroup>``), with the context
    (or top-level traceFormat) that applies to it: the trace's contextRef, else its group's,
    else the last ``<context>``/``<traceFormat>`` directly under ``<ink>`` before it."""
    out: list[tuple[Node, Node | None]] = []
    current: list[Node | None] = [None]

    def ref_of(node: Node) -> Node | None:
        ref = node.attrs.get("contextRef")
        return lookup(ref, ids, name, ("context",)) if ref else None

    def visit(node: Node, group_ctx: Node | None) -> None:
        for child in node.children:
            if node is root and child.tag in ("context", "traceFormat"):
                current[0] = child
            elif child.tag == "traceGroup":
                visit(child, ref_of(child) or group_ctx)
            elif child.tag == "trace":
                out.append((child, ref_of(child) or group_ctx or current[0]))

    visit(root, None)
    return out


def all_formats(node: Node) -> list[Node]:
    return all_nodes(node, "traceFormat")


def trace_channels(fmt: Node | None, name: str) -> tuple[Channel, ...]:
    """The regular channels of a traceFormat, in order (default X Y, InkML §3.1.2)."""
    if fmt is None:
        return (Channel("X", "decimal", "", None, "+ve", ""),
                Channel("Y", "decimal", "", None, "+ve", ""))
    nodes: list[Node] = []
    for child in fmt.children:
        if child.tag == "channel":
            nodes.append(child)
        elif child.tag == "regularChannels":
            nodes.extend(c for c in child.children if c.tag == "channel")
        elif child.tag == "intermittentChannels" and any(c.tag == "channel"
                                                         for c in child.children):
            raise InputError(f"{name}: InkML intermittent channels are not supported")
    if not nodes:
        raise InputError(f"{name}: a <traceFormat> declares no channel")
    channels = tuple(_channel_of(n, name) for n in nodes)
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise InputError(f"{name}: a <traceFormat> declares a channel twice ({' '.join(names)})")
    return channels


def _channel_of(node: Node, name: str) -> Channel:
    a = node.attrs
    cname = a.get("name", "").strip()
    if not cname:
        raise InputError(f"{name}: a <channel> has no name")
    maximum = None
    if "max" in a:
        try:
            maximum = float(a["max"])
        except ValueError:
            raise InputError(f"{name}: channel {cname} has max={a['max'][:30]!r}, not a "
                             "number") from None
    return Channel(cname, a.get("type", "decimal").strip() or "decimal",
                    a.get("units", "").strip(), maximum,
                    a.get("orientation", "+ve").strip() or "+ve", a.get("respectTo", "").strip())


# One trace token per match: a comma, a (qualified) value, or up to 40 other characters (an
# error). Quantifiers are possessive and bounded and every non-space character starts some
