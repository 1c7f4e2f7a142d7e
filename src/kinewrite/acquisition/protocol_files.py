"""Protocol files: read and check a TOML protocol, find the shipped and the user's ones, write
one back.

Reading is :mod:`tomllib` (the standard library); writing is ``tomli-w``, the standard
library's companion writer (TOML escaping of quotes, backslashes and control characters is
its job, not ours). Format in ``docs/protocols.md``; the rules in
:mod:`kinewrite.acquisition.protocol_schema`.

This module never imports Qt.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from ..config import config_dir
from .protocol import Guide, Protocol, TaskSpec
from .protocol_schema import (
    PROTOCOL_FIELDS,
    TASK_FIELDS,
    ProtocolError,
    check_spec,
    guide_params,
    number_field,
    text_field,
)

__all__ = [
    "available_protocols",
    "default_protocol",
    "dump_protocol",
    "load_protocol",
    "parse_protocol",
]


def parse_protocol(data: Mapping[str, Any], source: str = "protocol") -> Protocol:
    """A :class:`Protocol` from parsed TOML (a dict); `source` names it in error messages.

    Raises
    ------
    ProtocolError
        One line: ``source: task N 'key': field: what is wrong``.
    """
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{source}: expected a table at the top level")
    unknown = sorted(set(data) - {"protocol", "tasks"})
    if unknown:
        raise ProtocolError(f"{source}: unknown top-level key {unknown[0]!r} "
                            "(expected [protocol] and [[tasks]])")
    head = data.get("protocol")
    if not isinstance(head, Mapping):
        raise ProtocolError(f"{source}: missing [protocol] table with name and version")
    bad = sorted(set(head) - set(PROTOCOL_FIELDS))
    if bad:
        raise ProtocolError(f"{source}: [protocol]: unknown key {bad[0]!r} "
                            f"(expected {', '.join(PROTOCOL_FIELDS)})")
    name = text_field(head, "name", f"{source}: [protocol]", required=True)
    version = head.get("version", "1")
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        raise ProtocolError(f"{source}: [protocol]: version must be text, got {version!r}")
    description = text_field(head, "description", f"{source}: [protocol]")
    raw_tasks = data.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise ProtocolError(f"{source}: no task: add at least one [[tasks]] table")
    specs: list[TaskSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_tasks, start=1):
        key = raw.get("key") if isinstance(raw, Mapping) else None
        where = f"{source}: task {i}" + (f" {key!r}" if isinstance(key, str) else "")
        spec = _parse_task(raw, where)
        if spec.key in seen:
            raise ProtocolError(f"{where}: key: duplicate of task {seen[spec.key]}")
        seen[spec.key] = i
        specs.append(spec)
    return Protocol(name=name, version=str(version), description=description,
                    tasks=tuple(specs))


def load_protocol(path: str | os.PathLike[str]) -> Protocol:
    """Read a protocol from a TOML file (format in ``docs/protocols.md``).

    Raises
    ------
    ProtocolError
        If the file cannot be read, is not TOML, or any field is invalid; the one-line
        message names the file, the task and the field.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{path}: not a valid TOML file: {exc}") from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path}: not a text file (UTF-8)") from None
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return replace(parse_protocol(data, str(path)), path=path)


def _package_protocol_files() -> list[Path]:
    base = resources.files("kinewrite.acquisition") / "protocols"
    return sorted((Path(str(f)) for f in base.iterdir() if f.name.endswith(".toml")),
                  key=lambda p: p.name)


def default_protocol() -> Protocol:
    """The shipped writer's-cramp protocol (``protocols/writers_cramp.toml``)."""
    base = resources.files("kinewrite.acquisition") / "protocols" / "writers_cramp.toml"
    return load_protocol(Path(str(base)))


def available_protocols(
    extra_dirs: Iterable[str | os.PathLike[str]] = (), *, errors: list[str] | None = None
) -> list[Protocol]:
    """Every protocol found: the package's, then the user's folder, then `extra_dirs`.

    Parameters
    ----------
    extra_dirs : iterable of paths
        More folders of ``*.toml`` protocol files.
    errors : list, optional
        Invalid files are skipped, their one-line error messages appended here (else issued as
        warnings), so one broken file never hides the others.

    Returns
    -------
    list of Protocol
        In that order, files sorted by name within a folder; each has its ``path``.
    """
    files = list(_package_protocol_files())
    for folder in (config_dir() / "protocols", *map(Path, extra_dirs)):
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.toml")))
    found: list[Protocol] = []
    for f in files:
        try:
            found.append(load_protocol(f))
        except ProtocolError as exc:
            if errors is None:
                warnings.warn(str(exc), stacklevel=2)
            else:
                errors.append(str(exc))
    return found


def dump_protocol(protocol: Protocol) -> str:
    """The protocol as TOML text that :func:`load_protocol` reads back to an equal protocol.

    Fields equal to their defaults are written anyway, so the file documents itself.
    Multi-line text is written as multi-line strings (readable), unless some text holds a
    carriage return: a TOML reader turns a raw CR LF inside a multi-line string into LF, so
    then every string is written on one line with escapes (an exact round trip either way).
    """
    tasks: list[dict[str, Any]] = []
    for spec in protocol.tasks:
        task: dict[str, Any] = {"key": spec.key, "task": spec.task, "title": spec.title,
                                "instructions": spec.instructions,
                                "show_guide": spec.show_guide}
        if spec.duration_s is not None:
            task["duration_s"] = float(spec.duration_s)
        task.update(end=spec.end, pen_up_s=float(spec.pen_up_s),
                    min_duration_s=float(spec.min_duration_s),
                    min_pen_down_s=float(spec.min_pen_down_s), repetitions=spec.repetitions)
        guide: dict[str, Any] = {"kind": spec.guide.kind}
        guide.update({k: _toml_ready(v) for k, v in spec.guide.params.items() if v is not None})
        task["guide"] = guide
        tasks.append(task)
    data = {"protocol": {"name": protocol.name, "version": protocol.version,
                         "description": protocol.description}, "tasks": tasks}
    texts = [protocol.name, protocol.version, protocol.description,
             *(s.instructions for s in protocol.tasks), *(s.title for s in protocol.tasks),
             *(s.guide.text for s in protocol.tasks)]
    multiline = not any("\r" in t for t in texts)
    return ("# kinewrite writing-test protocol (format: docs/protocols.md)\n\n"
            + tomli_w.dumps(data, multiline_strings=multiline))


def _toml_ready(value: Any) -> Any:
    """A guide parameter as tomli-w takes it (a point is a list of two floats)."""
    if isinstance(value, tuple | list):
        return [_toml_ready(v) for v in value]
    if isinstance(value, float):
        return float(value)
    return value


def _parse_task(raw: Any, where: str) -> TaskSpec:
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: expected a [[tasks]] table")
    unknown = sorted(set(raw) - set(TASK_FIELDS))
    if unknown:
        raise ProtocolError(f"{where}: unknown key {unknown[0]!r} "
                            f"(expected {', '.join(TASK_FIELDS)})")
    for required in ("key", "task", "title"):
        if required not in raw:
            raise ProtocolError(f"{where}: {required}: missing")
    key = text_field(raw, "key", where, required=True)
    task = text_field(raw, "task", where, required=True)
    title = text_field(raw, "title", where, required=True)
    instructions = text_field(raw, "instructions", where)
    guide = _parse_guide(raw.get("guide", {"kind": "none"}), where)
    duration = raw.get("duration_s")
    end = raw.get("end", "duration" if duration is not None else "manual")
    values = {name: number_field(raw, name, where, default)
              for name, default in (("duration_s", None), ("pen_up_s", 2.0),
                                    ("min_duration_s", 0.0), ("min_pen_down_s", 0.0))}
    fields = dict(key=key, task=task, title=title, instructions=instructions, guide=guide,
                  show_guide=raw.get("show_guide", True), end=end,
                  repetitions=raw.get("repetitions", 1), **values)
    check_spec(fields, where, Guide)  # first, so that the message names the file
    return TaskSpec(**fields)


def _parse_guide(raw: Any, where: str) -> Guide:
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: guide: expected a [tasks.guide] table")
    kind = raw.get("kind", "none")
    params = {k: v for k, v in raw.items() if k != "kind"}
    return Guide(kind, guide_params(kind, params, where))
