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
:class:`kinewrite.storage.calibration.Calibration`); flip with ``y_up = area_height - y_down``.

The parts, each with one job: :mod:`~kinewrite.acquisition.protocol` (the model),
:mod:`~kinewrite.acquisition.protocol_schema` (the fields and their rules),
:mod:`~kinewrite.acquisition.protocol_files` (reading, finding and writing files) and
:mod:`~kinewrite.acquisition.guide_geometry` (guides in mm). This module gathers them under
the names used since the first release; :func:`config_dir` lives in :mod:`kinewrite.config`.

This module never imports Qt.
"""

from __future__ import annotations

from ..config import config_dir
from .guide_geometry import guide_polylines_mm
from .protocol import Guide, Protocol, TaskSpec
from .protocol_files import (
    available_protocols,
    default_protocol,
    dump_protocol,
    load_protocol,
    parse_protocol,
)
from .protocol_schema import END_CONDITIONS, GUIDE_KINDS, ProtocolError

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
