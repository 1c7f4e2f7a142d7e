"""A small, safe XML reader for InkML: expat builds a tree of :class:`Node` (local tag
names, attributes by local name, the text of ``<trace>`` elements only), with any DOCTYPE or
entity declaration refused and the depth and element count bounded.

Why expat by hand and not ``defusedxml``: defusedxml guards the standard library's expat
parsers by installing handlers that raise on a DOCTYPE, an entity declaration and an external
entity reference, which is what :func:`parse_xml` does in five lines, with a one-line message
naming the file. The bounds it does not give (nesting depth, element count) and the small tree
built in the same pass would stay ours, so the dependency would replace five lines and add a
package to audit (decided for issue 16; the refusals are tested in tests/formats/test_import.py
and tests/fuzz/test_import_fuzz.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn
from xml.parsers import expat

from ..errors import InputError

__all__ = ["MAX_XML_DEPTH", "MAX_XML_ELEMENTS", "Node", "parse_xml"]

#: XML limits: nesting depth and element count (an InkML file is shallow).
MAX_XML_DEPTH = 64
MAX_XML_ELEMENTS = 2_000_000


@dataclass
class Node:
    """An XML element: local tag name, attributes by local name, children, and (for
    ``<trace>`` only) its text."""

    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] | None = None


def _local(qname: str) -> str:
    return qname.rsplit(" ", 1)[-1]


def parse_xml(data: bytes, name: str) -> tuple[Node, dict[str, Node]]:
    """Parse XML safely: expat, no DOCTYPE or entity declaration, bounded depth and size.

    Raises only :class:`InputError` (one line naming the file).

    Returns
    -------
    root : Node
        The document element.
    ids : dict
        Elements by ``xml:id`` (or ``id``).
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True

    def refuse(*_args: object) -> NoReturn:
        raise InputError(f"{name}: XML with a DOCTYPE or entity declaration is refused "
                         "(entity expansion and external entities are unsafe)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    stack: list[Node] = []
    ids: dict[str, Node] = {}
    holder: list[Node] = []
    count = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        count[0] += 1
        if len(stack) >= MAX_XML_DEPTH or count[0] > MAX_XML_ELEMENTS:
            raise InputError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} or with more "
                             f"than {MAX_XML_ELEMENTS} elements; refused")
        local = _local(tag)
        node = Node(local, {_local(k): v for k, v in attrs.items()},
                     text=[] if local == "trace" else None)
        if stack:
            stack[-1].children.append(node)
        else:
            holder.append(node)
        if "id" in node.attrs:
            ids[node.attrs["id"]] = node
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack and stack[-1].text is not None:
            stack[-1].text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InputError(f"{name}: not well-formed XML ({expat.ErrorString(exc.code)}, "
                         f"line {exc.lineno})") from None
    except (LookupError, UnicodeError, ValueError) as exc:  # e.g. encoding="nonsense"
        raise InputError(f"{name}: unreadable XML encoding ({str(exc)[:80]})") from None
    except RecursionError:  # pragma: no cover - depth is bounded above
        raise InputError(f"{name}: XML nested too deeply") from None
    if not holder:
        raise InputError(f"{name}: no XML element")
    return holder[0], ids

