"""The unit conversion of an InkML trace format: X and Y to mm (channel units, a
``channelProperty`` resolution, or ``--device-units-per-mm``), T to s, F to the 0..1
pressure fraction; axes flipped so y points up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from .inkml_context import Channel
from .trial import TIME_UNITS_S, ImportOptions

__all__ = ["InkUnits", "ink_units"]

# InkML units (lower case) -> mm, and -> s. "himetric" (0.01 mm) is what Microsoft Office
# writes; "dev" or no units means device units (--device-units-per-mm).
_LENGTH_MM = {"m": 1000.0, "cm": 10.0, "mm": 1.0, "um": 1e-3, "µm": 1e-3, "in": 25.4,
              "pt": 25.4 / 72.0, "pc": 25.4 / 6.0, "himetric": 0.01}
_TIME_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_DEVICE_UNITS = ("", "dev")


@dataclass(frozen=True)
class InkUnits:
    """The unit conversion of one trace format (all traces of a file must share it)."""

    x_mm: float
    y_mm: float
    t_s: float
    pressure_max: float | None
    note: str  # coordinates and time
    pressure_note: str = ""
    x_unit: str = "device"  # unit of the stored X values
    y_unit: str = "device"


def _length_mm(ch: Channel, options: ImportOptions, name: str,
               resolution: tuple[float, str] | None = None) -> tuple[float, str, str]:
    """mm per stored unit of an X or Y channel, a note, and the stored unit's name.

    A ``channelProperty`` resolution wins (InkML §4.1.2.1): ``units="cm"`` with resolution
    1000 per cm (what Microsoft Office writes) means a stored value of 1000 is 1 cm, so
    0.01 mm per unit. Its units are ``1/<length>`` (or, without units, per the channel's
    unit); a resolution of 0 or per device unit says nothing physical and is passed over.
    """
    unit = ch.units.lower()
    if resolution is not None and resolution[0] > 0:
        value, res_units = resolution
        per = res_units.lower().removeprefix("1/").strip() if res_units else unit
        if per in _LENGTH_MM:
            return (_LENGTH_MM[per] / value,
                    f"{ch.name} at {value:g} per {per} (channelProperty resolution)", "device")
        if per not in (*_DEVICE_UNITS, "dev"):
            raise InputError(f"{name}: unsupported resolution units {res_units[:20]!r} on "
                             f"InkML channel {ch.name}; expected 1/<length unit>")
    if unit in _LENGTH_MM:
        return _LENGTH_MM[unit], f"{ch.name} in {ch.units}", unit
    if unit in _DEVICE_UNITS:
        if not options.device_units_per_mm:
            raise InputError(f"{name}: InkML channel {ch.name} has no physical units "
                             f"(units={ch.units!r}); pass --device-units-per-mm N")
        return (1.0 / options.device_units_per_mm,
                f"{ch.name} in device units, {options.device_units_per_mm:g}/mm "
                "(--device-units-per-mm)", "device")
    raise InputError(f"{name}: unsupported units {ch.units[:20]!r} on InkML channel {ch.name}; "
                     f"expected one of {', '.join(_LENGTH_MM)} or dev")


def ink_units(channels: Sequence[Channel], options: ImportOptions, name: str,
              resolutions: Mapping[str, tuple[float, str]] | None = None) -> InkUnits:
    """The conversion of a trace format's channels (X, Y and T required; F optional).

    Raises
    ------
    InputError
        A channel missing, units unknown or not given where no option supplies them.
    """
    by_name = {c.name: c for c in channels}
    resolutions = resolutions or {}
    missing = [c for c in ("X", "Y", "T") if c not in by_name]
    if missing:
        what = "time (T)" if missing == ["T"] else " and ".join(missing)
        raise InputError(f"{name}: the InkML trace format ({' '.join(by_name)}) has no "
                         f"{what} channel; kinematics need X, Y and T")
    x_mm, x_note, x_unit = _length_mm(by_name["X"], options, name, resolutions.get("X"))
    y_mm, y_note, y_unit = _length_mm(by_name["Y"], options, name, resolutions.get("Y"))
    # InkML §3.1.2: X increases to the right, Y downward, for orientation "+ve". The session
    # wants y up, so a "+ve" Y is flipped (negative mm per unit), a "-ve" X too.
    x_mm *= -1.0 if by_name["X"].orientation == "-ve" else 1.0
    y_mm *= 1.0 if by_name["Y"].orientation == "-ve" else -1.0
    t_ch = by_name["T"]
    t_unit = t_ch.units.lower()
    if t_unit in _TIME_S:
        t_s, t_note = _TIME_S[t_unit], f"T in {t_ch.units}"
    elif not t_unit and options.time_unit:
        t_s, t_note = TIME_UNITS_S[options.time_unit], f"T in {options.time_unit} (--time-unit)"
    elif not t_unit:
        raise InputError(f"{name}: the InkML T channel declares no units; pass --time-unit "
                         "ms or s")
    else:
        raise InputError(f"{name}: unsupported time units {t_ch.units[:20]!r} on InkML channel "
                         "T; expected s or ms")
    pressure_max, f_note = None, ""
    flips = [a for a, mm in (("X", x_mm), ("Y", y_mm)) if mm < 0]
    note = f"{x_note}, {y_note}, {t_note}; {' and '.join(flips) or 'no axis'} flipped"
    if "F" in by_name:
        f_ch = by_name["F"]
        if f_ch.max is not None and f_ch.max > 0:
            pressure_max = f_ch.max
            f_note = f"pressure: F / {f_ch.max:g} (channel max)"
        elif options.pressure_levels:
            pressure_max = float(options.pressure_levels - 1)
            f_note = (f"pressure: F / {pressure_max:g} "
                      f"(--pressure-levels {options.pressure_levels})")
        else:
            raise InputError(f"{name}: the InkML F channel declares no max; pass "
                             "--pressure-levels N")
    return InkUnits(x_mm, y_mm, t_s, pressure_max, note, f_note, x_unit, y_unit)
