"""Writing tasks as data: what the patient is asked to do, the guide drawn for it, when it ends.

A *protocol* is an ordered list of :class:`TaskSpec`, read from a TOML file a therapist can
edit in any text editor (format in ``docs/protocols.md``). The package ships
``protocols/writers_cramp.toml`` (docs/science.md §9: test sentence in a 20 s window, cursive loops
"llll", superimposed circles for 30 s, Archimedes spiral traced on a guide and free, straight
lines); user protocols live in ``$KINEWRITE_CONFIG_DIR/protocols`` (default
``~/.config/kinewrite/protocols``).

Guide geometry is in mm on the writing area, **origin at the area's top-left corner, x to the
right, y down** (the screen convention, so a canvas maps it with one scale factor per axis).
Recorded samples use the same mm after calibration, but with y up (see
:class:`kinewrite.storage.session.Calibration`); flip with ``y_up = area_height - y_down``.

This module never imports Qt.
"""

from __future__ import annotations

import math
import os
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..model import TASKS
from ..storage.csv_recording import InputError

__all__ = [
    "END_CONDITIONS",
    "GUIDE_KINDS",
    "Guide",
    "Protocol",
    "ProtocolError",
    "TaskSpec",
    "available_protocols",
    "config_dir",
    "default_protocol",
    "dump_protocol",
    "guide_polylines_mm",
    "load_protocol",
    "parse_protocol",
]

#: What ends a trial: the timer only (``duration_s`` required), the therapist's stop button,
#: or the pen staying up for ``pen_up_s`` once the patient has written something. Whatever
#: the condition, a set ``duration_s`` always stops the trial when it runs out.
END_CONDITIONS: tuple[str, ...] = ("duration", "manual", "pen_up")

_POINT = "point"  # a pair of mm coordinates, or absent (= centre of the writing area)
#: Guide kinds and their parameters: name -> (type, default). Types: "pos" (> 0),
#: "nonneg" (>= 0), "real", "int" (>= 1), "text", "point". A default of None for a length
#: means "derived from the writing area" (see :func:`guide_polylines_mm`).
_GUIDE_PARAMS: dict[str, dict[str, tuple[str, Any]]] = {
    "none": {},
    "spiral": {"turns": ("pos", 5.0), "outer_radius_mm": ("pos", 40.0),
               "inner_radius_mm": ("nonneg", 0.0), "center_mm": (_POINT, None)},
    "loops": {"height_mm": ("pos", 10.0), "baseline_mm": ("pos", None),
              "margin_mm": ("nonneg", 15.0)},
    "sentence": {"text": ("text", ""), "height_mm": ("pos", 10.0),
                 "baseline_mm": ("pos", None), "margin_mm": ("nonneg", 15.0)},
    "circle": {"radius_mm": ("pos", 10.0), "center_mm": (_POINT, None)},
    "lines": {"length_mm": ("pos", 40.0), "orientation_deg": ("real", 90.0),
              "count": ("int", 5), "spacing_mm": ("pos", 10.0), "center_mm": (_POINT, None)},
}
#: The guide kinds: ``none``, ``spiral`` (Archimedes), ``loops`` (baseline and loop-top
#: line), ``sentence`` (baseline and letter-height line; the text is the ``text`` parameter),
#: ``circle``, ``lines`` (parallel straight lines).
GUIDE_KINDS: tuple[str, ...] = tuple(_GUIDE_PARAMS)

_TASK_FIELDS = ("key", "task", "title", "instructions", "guide", "show_guide", "duration_s",
                "end", "pen_up_s", "min_duration_s", "min_pen_down_s", "repetitions")
_PROTOCOL_FIELDS = ("name", "version", "description")


class ProtocolError(InputError):
    """A protocol file or specification is invalid; the message is one line naming the file,
    the task and the field."""


@dataclass(frozen=True)
class Guide:
    """The guide drawn on the writing area for a task.

    Parameters
    ----------
    kind : str
        One of :data:`GUIDE_KINDS`.
    params : dict
        The kind's parameters (lengths in mm, angles in degrees). They are validated on
        construction and missing ones filled with their defaults; ``center_mm`` /
        ``baseline_mm`` may be None, meaning derived from the writing area
        (:func:`guide_polylines_mm`).

    Raises
    ------
    ProtocolError
        On an unknown kind, unknown parameter or invalid value.
    """

    kind: str = "none"
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _guide_params(self.kind, self.params, "guide"))

    @classmethod
    def make(cls, kind: str = "none", **params: Any) -> Guide:
        """``Guide(kind, params)`` with the parameters as keywords."""
        return cls(kind, params)

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    @property
    def text(self) -> str:
        """The text to copy (sentence guides), else an empty string."""
        return str(self.params.get("text", ""))


@dataclass(frozen=True)
class TaskSpec:
    """One task of a protocol.

    Parameters
    ----------
    key : str
        Identifier, unique within a protocol (letters, digits, ``_`` and ``-``).
    task : str
        The analysis task, one of :data:`kinewrite.model.TASKS` (features depend on it).
    title : str
        Short name shown to the therapist.
    instructions : str
        Plain-language text the therapist reads to the patient.
    guide : Guide
        Geometry of the guide (used for display when `show_guide`, and for review overlays).
    show_guide : bool, default True
        Draw the guide while recording (a spiral traced on a guide) or not (a free spiral).
    duration_s : float or None
        The trial stops after this many seconds from its start; None: no time limit.
    end : {"duration", "manual", "pen_up"}
        What else ends the trial (see :data:`END_CONDITIONS`).
    pen_up_s : float, default 2
        For ``end = "pen_up"``: seconds the pen must stay up, after writing began.
    min_duration_s, min_pen_down_s : float, default 0
        Consistency check after the trial: shorter trials (first to last sample) or less
        pen-down time are flagged (:func:`kinewrite.acquisition.checks.check_trial`).
    repetitions : int, default 1
        How many times the task is recorded in a session.
    """

    key: str
    task: str
    title: str
    instructions: str = ""
    guide: Guide = field(default_factory=Guide)
    show_guide: bool = True
    duration_s: float | None = None
    end: str = "manual"
    pen_up_s: float = 2.0
    min_duration_s: float = 0.0
    min_pen_down_s: float = 0.0
    repetitions: int = 1

    def __post_init__(self) -> None:
        _check_spec(vars(self), f"task {self.key!r}")


@dataclass(frozen=True)
class Protocol:
    """An ordered set of tasks with a name and a version (stored with each session).

    ``path`` is the file it was read from (None if built in code); it takes no part in
    equality.
    """

    name: str
    version: str = "1"
    description: str = ""
    tasks: tuple[TaskSpec, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = f"protocol {self.name!r}"
        if not self.name.strip():
            raise ProtocolError("protocol: name must not be empty")
        if not self.tasks:
            raise ProtocolError(f"{where}: has no task")
        seen: set[str] = set()
        for spec in self.tasks:
            if spec.key in seen:
                raise ProtocolError(f"{where}: duplicate task key {spec.key!r}")
            seen.add(spec.key)

    def task(self, key: str) -> TaskSpec:
        """The task with this key (KeyError if none)."""
        for spec in self.tasks:
            if spec.key == key:
                return spec
        raise KeyError(f"protocol {self.name!r} has no task {key!r}")

    @property
    def label(self) -> str:
        """``name (version)``, as stored in a session's ``protocol`` field."""
        return f"{self.name} ({self.version})"

    def without_minimums(self) -> Protocol:
        """This protocol with no minimum duration or pen-down time: for scripted or replayed
        trials (a drill, a round trip of a 5-s recording) that are not clinical trials."""
        from dataclasses import replace

        return replace(self, tasks=tuple(replace(t, min_duration_s=0.0, min_pen_down_s=0.0)
                                         for t in self.tasks))


# --------------------------------------------------------------------------------------
# geometry


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


# --------------------------------------------------------------------------------------
# files


def config_dir() -> Path:
    """The user's kinewrite configuration folder: ``$KINEWRITE_CONFIG_DIR`` if set, else
    ``~/.config/kinewrite``. Not created here."""
    env = os.environ.get("KINEWRITE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path.home() / ".config" / "kinewrite"


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
    bad = sorted(set(head) - set(_PROTOCOL_FIELDS))
    if bad:
        raise ProtocolError(f"{source}: [protocol]: unknown key {bad[0]!r} "
                            f"(expected {', '.join(_PROTOCOL_FIELDS)})")
    name = _text(head, "name", f"{source}: [protocol]", required=True)
    version = head.get("version", "1")
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        raise ProtocolError(f"{source}: [protocol]: version must be text, got {version!r}")
    description = _text(head, "description", f"{source}: [protocol]")
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
    """
    out = ["# kinewrite writing-test protocol (format: docs/protocols.md)", "", "[protocol]",
           f"name = {_toml_str(protocol.name)}", f"version = {_toml_str(protocol.version)}",
           f"description = {_toml_str(protocol.description)}"]
    for spec in protocol.tasks:
        out += ["", "[[tasks]]", f"key = {_toml_str(spec.key)}",
                f"task = {_toml_str(spec.task)}", f"title = {_toml_str(spec.title)}",
                f"instructions = {_toml_str(spec.instructions)}",
                f"show_guide = {'true' if spec.show_guide else 'false'}"]
        if spec.duration_s is not None:
            out.append(f"duration_s = {_toml_value(spec.duration_s)}")
        out += [f"end = {_toml_str(spec.end)}", f"pen_up_s = {_toml_value(spec.pen_up_s)}",
                f"min_duration_s = {_toml_value(spec.min_duration_s)}",
                f"min_pen_down_s = {_toml_value(spec.min_pen_down_s)}",
                f"repetitions = {spec.repetitions}", "", "[tasks.guide]",
                f"kind = {_toml_str(spec.guide.kind)}"]
        out += [f"{k} = {_toml_value(v)}" for k, v in spec.guide.params.items() if v is not None]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# validation helpers


def _check_spec(fields: Mapping[str, Any], where: str) -> None:
    """The rules of a task's fields (run on files and on specs built in code alike)."""
    spec = SimpleNamespace(**fields)
    key = spec.key
    if not isinstance(key, str) or not key or not all(c.isalnum() or c in "_-" for c in key):
        raise ProtocolError(f"{where}: key: must be letters, digits, '_' or '-', got {key!r}")
    if spec.task not in TASKS:
        raise ProtocolError(f"{where}: task: unknown task {spec.task!r} "
                            f"(expected one of {', '.join(TASKS)})")
    if not isinstance(spec.guide, Guide) or spec.guide.kind not in GUIDE_KINDS:
        raise ProtocolError(f"{where}: guide: must be a Guide of kind "
                            f"{', '.join(GUIDE_KINDS)}")
    if spec.end not in END_CONDITIONS:
        raise ProtocolError(f"{where}: end: unknown end condition {spec.end!r} "
                            f"(expected one of {', '.join(END_CONDITIONS)})")
    for name in ("duration_s", "pen_up_s", "min_duration_s", "min_pen_down_s"):
        value = getattr(spec, name)
        if value is None and name == "duration_s":
            continue
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or value < 0
                or (value == 0 and name in ("duration_s", "pen_up_s"))):
            need = "positive" if name in ("duration_s", "pen_up_s") else "zero or positive"
            raise ProtocolError(f"{where}: {name}: must be a {need} number of seconds, "
                                f"got {value!r}")
    if spec.end == "duration" and spec.duration_s is None:
        raise ProtocolError(f"{where}: duration_s: required when end = \"duration\"")
    if spec.duration_s is not None and spec.min_duration_s > spec.duration_s:
        raise ProtocolError(f"{where}: min_duration_s: {spec.min_duration_s:g} s is longer "
                            f"than the trial's duration_s of {spec.duration_s:g} s")
    if spec.min_pen_down_s > max(spec.min_duration_s, spec.duration_s or math.inf):
        raise ProtocolError(f"{where}: min_pen_down_s: {spec.min_pen_down_s:g} s is longer "
                            "than the trial can last")
    if (isinstance(spec.repetitions, bool) or not isinstance(spec.repetitions, int)
            or spec.repetitions < 1):
        raise ProtocolError(f"{where}: repetitions: must be a whole number >= 1, "
                            f"got {spec.repetitions!r}")
    if not isinstance(spec.show_guide, bool):
        raise ProtocolError(f"{where}: show_guide: must be true or false, "
                            f"got {spec.show_guide!r}")
    for name in ("title", "instructions"):
        if not isinstance(getattr(spec, name), str):
            raise ProtocolError(f"{where}: {name}: must be text")


def _parse_task(raw: Any, where: str) -> TaskSpec:
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: expected a [[tasks]] table")
    unknown = sorted(set(raw) - set(_TASK_FIELDS))
    if unknown:
        raise ProtocolError(f"{where}: unknown key {unknown[0]!r} "
                            f"(expected {', '.join(_TASK_FIELDS)})")
    for required in ("key", "task", "title"):
        if required not in raw:
            raise ProtocolError(f"{where}: {required}: missing")
    key = _text(raw, "key", where, required=True)
    task = _text(raw, "task", where, required=True)
    title = _text(raw, "title", where, required=True)
    instructions = _text(raw, "instructions", where)
    guide = _parse_guide(raw.get("guide", {"kind": "none"}), where)
    duration = raw.get("duration_s")
    end = raw.get("end", "duration" if duration is not None else "manual")
    values = {name: _number(raw, name, where, default)
              for name, default in (("duration_s", None), ("pen_up_s", 2.0),
                                    ("min_duration_s", 0.0), ("min_pen_down_s", 0.0))}
    fields = dict(key=key, task=task, title=title, instructions=instructions, guide=guide,
                  show_guide=raw.get("show_guide", True), end=end,
                  repetitions=raw.get("repetitions", 1), **values)
    _check_spec(fields, where)  # first, so that the message names the file
    return TaskSpec(**fields)


def _parse_guide(raw: Any, where: str) -> Guide:
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: guide: expected a [tasks.guide] table")
    kind = raw.get("kind", "none")
    params = {k: v for k, v in raw.items() if k != "kind"}
    return Guide(kind, _guide_params(kind, params, where))


def _guide_params(kind: Any, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validated guide parameters with defaults filled in."""
    if not isinstance(kind, str) or kind not in _GUIDE_PARAMS:
        raise ProtocolError(f"{where}: guide.kind: unknown guide {kind!r} "
                            f"(expected one of {', '.join(GUIDE_KINDS)})")
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: guide: parameters must be a table")
    spec = _GUIDE_PARAMS[kind]
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        allowed = ", ".join(spec) or "no parameter"
        raise ProtocolError(f"{where}: guide.{unknown[0]}: not a parameter of a {kind} guide "
                            f"(expected {allowed})")
    params: dict[str, Any] = {}
    for name, (kind_of, default) in spec.items():
        value = raw.get(name, default)
        field_name = f"{where}: guide.{name}"
        if value is None:
            params[name] = None
        elif kind_of == "text":
            if not isinstance(value, str):
                raise ProtocolError(f"{field_name}: must be text, got {value!r}")
            params[name] = value
        elif kind_of == _POINT:
            if (not isinstance(value, list | tuple) or len(value) != 2
                    or not all(_is_number(v) for v in value)):
                raise ProtocolError(f"{field_name}: must be [x_mm, y_mm], got {value!r}")
            params[name] = (float(value[0]), float(value[1]))
        elif kind_of == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ProtocolError(f"{field_name}: must be a whole number >= 1, "
                                    f"got {value!r}")
            params[name] = value
        else:
            if not _is_number(value):
                raise ProtocolError(f"{field_name}: must be a finite number, got {value!r}")
            value = float(value)
            if (kind_of == "pos" and value <= 0) or (kind_of == "nonneg" and value < 0):
                raise ProtocolError(f"{field_name}: must be "
                                    f"{'positive' if kind_of == 'pos' else '>= 0'}, "
                                    f"got {value:g}")
            params[name] = value
    if kind == "spiral" and params["inner_radius_mm"] >= params["outer_radius_mm"]:
        raise ProtocolError(f"{where}: guide.inner_radius_mm: must be smaller than "
                            f"outer_radius_mm ({params['outer_radius_mm']:g})")
    return params


def _is_number(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value))


def _number(raw: Mapping[str, Any], name: str, where: str, default: float | None) -> Any:
    value = raw.get(name, default)
    if value is None:
        return None
    if not _is_number(value):
        raise ProtocolError(f"{where}: {name}: must be a number of seconds, got {value!r}")
    return float(value)


def _text(raw: Mapping[str, Any], name: str, where: str, required: bool = False) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: {name}: must be text, got {value!r}")
    if required and not value.strip():
        raise ProtocolError(f"{where}: {name}: must not be empty")
    return value


_ESCAPES = {**{c: f"\\u{c:04X}" for c in (*range(32), 127)},
            ord("\\"): "\\\\", ord('"'): '\\"', ord("\b"): "\\b", ord("\t"): "\\t",
            ord("\f"): "\\f", ord("\r"): "\\r", ord("\n"): "\\n"}
_ESCAPES_MULTILINE = {**_ESCAPES, ord("\n"): "\n"}


def _toml_str(text: str) -> str:
    """A TOML basic string; multi-line text as a multi-line basic string (readable)."""
    if "\n" not in text:
        return '"' + text.translate(_ESCAPES) + '"'
    return '"""\n' + text.translate(_ESCAPES_MULTILINE) + '"""'


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))
