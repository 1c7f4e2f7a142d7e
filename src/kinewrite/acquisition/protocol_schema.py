"""The protocol file's vocabulary: its fields, the end conditions, the guide kinds and their
parameters, and the rules each value must follow, with one-line errors.

:func:`check_spec` and :func:`guide_params` run on files (through
:mod:`kinewrite.acquisition.protocol_files`) and on specs built in code alike, so a task is
never valid in one and not the other. The format is documented in ``docs/protocols.md``.

Why no schema library: the vocabulary is a dozen task fields and six guide kinds of one to
five parameters (the table :data:`GUIDE_PARAMS`). A JSON-Schema validator (jsonschema, with
its own dependencies) or a model library would be a heavy dependency for that, and neither
gives the message a therapist editing the file needs: one line naming the file, the task and
the field (``file: task N 'key': field: what is wrong``), with the cross-field rules
(``min_duration_s`` within ``duration_s``, the inner radius inside the outer one) next to
the others.

This module never imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from ..errors import InputError
from ..model import TASKS

__all__ = [
    "END_CONDITIONS",
    "GUIDE_KINDS",
    "GUIDE_PARAMS",
    "PROTOCOL_FIELDS",
    "TASK_FIELDS",
    "ProtocolError",
    "check_spec",
    "guide_params",
    "is_number",
    "number_field",
    "text_field",
]

#: What ends a trial: the timer only (``duration_s`` required), the therapist's stop button,
#: or the pen staying up for ``pen_up_s`` once the patient has written something. Whatever
#: the condition, a set ``duration_s`` always stops the trial when it runs out.
END_CONDITIONS: tuple[str, ...] = ("duration", "manual", "pen_up")

_POINT = "point"  # a pair of mm coordinates, or absent (= centre of the writing area)
#: Guide kinds and their parameters: name -> (type, default). Types: "pos" (> 0),
#: "nonneg" (>= 0), "real", "int" (>= 1), "text", "point". A default of None for a length
#: means "derived from the writing area" (see
#: :func:`~kinewrite.acquisition.guide_geometry.guide_polylines_mm`).
GUIDE_PARAMS: dict[str, dict[str, tuple[str, Any]]] = {
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
GUIDE_KINDS: tuple[str, ...] = tuple(GUIDE_PARAMS)

#: The keys of a ``[[tasks]]`` table and of the ``[protocol]`` table.
TASK_FIELDS = ("key", "task", "title", "instructions", "guide", "show_guide", "duration_s",
               "end", "pen_up_s", "min_duration_s", "min_pen_down_s", "repetitions")
PROTOCOL_FIELDS = ("name", "version", "description")


class ProtocolError(InputError):
    """A protocol file or specification is invalid; the message is one line naming the file,
    the task and the field."""


def check_spec(fields: Mapping[str, Any], where: str, guide_type: type[Any]) -> None:
    """The rules of a task's fields (run on files and on specs built in code alike);
    `guide_type` is :class:`~kinewrite.acquisition.protocol.Guide` (passed in: the model
    imports this module)."""
    spec = SimpleNamespace(**fields)
    key = spec.key
    if not isinstance(key, str) or not key or not all(c.isalnum() or c in "_-" for c in key):
        raise ProtocolError(f"{where}: key: must be letters, digits, '_' or '-', got {key!r}")
    if spec.task not in TASKS:
        raise ProtocolError(f"{where}: task: unknown task {spec.task!r} "
                            f"(expected one of {', '.join(TASKS)})")
    if not isinstance(spec.guide, guide_type) or spec.guide.kind not in GUIDE_KINDS:
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


def guide_params(kind: Any, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validated guide parameters with defaults filled in."""
    if not isinstance(kind, str) or kind not in GUIDE_PARAMS:
        raise ProtocolError(f"{where}: guide.kind: unknown guide {kind!r} "
                            f"(expected one of {', '.join(GUIDE_KINDS)})")
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"{where}: guide: parameters must be a table")
    spec = GUIDE_PARAMS[kind]
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
                    or not all(is_number(v) for v in value)):
                raise ProtocolError(f"{field_name}: must be [x_mm, y_mm], got {value!r}")
            params[name] = (float(value[0]), float(value[1]))
        elif kind_of == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ProtocolError(f"{field_name}: must be a whole number >= 1, "
                                    f"got {value!r}")
            params[name] = value
        else:
            if not is_number(value):
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


def is_number(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value))


def number_field(raw: Mapping[str, Any], name: str, where: str, default: float | None) -> Any:
    value = raw.get(name, default)
    if value is None:
        return None
    if not is_number(value):
        raise ProtocolError(f"{where}: {name}: must be a number of seconds, got {value!r}")
    return float(value)


def text_field(raw: Mapping[str, Any], name: str, where: str, required: bool = False) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: {name}: must be text, got {value!r}")
    if required and not value.strip():
        raise ProtocolError(f"{where}: {name}: must not be empty")
    return value
