"""Times and concentrations as chemists write them (``5 min``, ``2 h``, ``48 h``, ``2 d``; ``0.5 eq``)."""

from __future__ import annotations

import re

from clusterms.errors import OptionError

__all__ = ["parse_quantity", "parse_time_h", "time_from_name"]

_UNITS_H = {"s": 1 / 3600, "sec": 1 / 3600, "min": 1 / 60, "m": 1 / 60, "h": 1.0, "hr": 1.0, "hrs": 1.0,
            "hour": 1.0, "hours": 1.0, "d": 24.0, "day": 24.0, "days": 24.0}
_VALUE = re.compile(r"^\s*([+]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*([a-zA-Zµμ/%.]*)\s*$")


def parse_time_h(text: str, /) -> float:
    """``'5 min'``, ``'2 h'``, ``'48h'``, ``'2 d'`` in hours; a bare number is hours."""
    m = _VALUE.match(text)
    if not m:
        raise OptionError(f"time {text!r} not understood; write e.g. '5 min', '2 h' or '2 d'")
    unit = m.group(2).lower() or "h"
    if unit not in _UNITS_H:
        raise OptionError(f"time unit {m.group(2)!r} in {text!r} not understood; use s, min, h or d")
    return float(m.group(1)) * _UNITS_H[unit]


def parse_quantity(text: str, /) -> tuple[float, str]:
    """A number with an optional unit: ``'0.5 eq'`` -> (0.5, 'eq'); ``'10uM'`` -> (10.0, 'uM')."""
    m = _VALUE.match(text)
    if not m:
        raise OptionError(f"value {text!r} not understood; write a number and an optional unit, e.g. '0.5 eq'")
    return float(m.group(1)), m.group(2)


def time_from_name(name: str, /) -> float | None:
    """The time a name carries (``'t_2h'``, ``'48 h'``, ``'mix_30min'``), or None."""
    m = re.search(r"(\d+(?:\.\d+)?)\s*(min|h|hr|hrs|d|days?|s)(?![a-zA-Z])", name)
    if not m:
        return None
    return parse_time_h(m.group(1) + " " + m.group(2))
