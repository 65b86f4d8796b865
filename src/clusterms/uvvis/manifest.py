"""Times and concentrations of a series: manifests (``file,time``) and values in names."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from clusterms.errors import InputFileError, OptionError

__all__ = ["is_manifest", "parse_time_h", "read_manifest", "time_from_name"]

_UNITS_H = {"s": 1 / 3600, "sec": 1 / 3600, "min": 1 / 60, "m": 1 / 60, "h": 1.0, "hr": 1.0, "hrs": 1.0,
            "hour": 1.0, "hours": 1.0, "d": 24.0, "day": 24.0, "days": 24.0}
_TIME = re.compile(r"^\s*([+]?\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")


def parse_time_h(text: str, /) -> float:
    """``'5 min'``, ``'2 h'``, ``'48h'``, ``'2 d'`` in hours; a bare number is hours."""
    m = _TIME.match(text)
    if not m:
        raise OptionError(f"time {text!r} not understood; write e.g. '5 min', '2 h' or '2 d'")
    unit = m.group(2).lower() or "h"
    if unit not in _UNITS_H:
        raise OptionError(f"time unit {m.group(2)!r} in {text!r} not understood; use s, min, h or d")
    return float(m.group(1)) * _UNITS_H[unit]


def time_from_name(name: str, /) -> float | None:
    """The time a name carries (``'t_2h'``, ``'48 h'``, ``'mix_30min'``), or None."""
    m = re.search(r"(\d+(?:\.\d+)?)\s*(min|h|hr|hrs|d|days?|s)(?![a-zA-Z])", name)
    if not m:
        return None
    return parse_time_h(m.group(1) + " " + m.group(2))


def read_manifest(path: Path, /) -> list[tuple[Path, float]]:
    """Rows ``file,time`` of a manifest CSV (files relative to the manifest's folder)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the manifest ({exc})") from None
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["file", "time"]:
        raise InputFileError(f"{path}: a manifest starts with the header 'file,time'")
    out = []
    for k, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) < 2:
            raise InputFileError(f"{path}: line {k}: expected 'file,time'")
        try:
            t = parse_time_h(r[1])
        except OptionError as exc:
            raise InputFileError(f"{path}: line {k}: {exc}") from None
        f = Path(r[0].strip())
        out.append((f if f.is_absolute() else path.parent / f, t))
    if not out:
        raise InputFileError(f"{path}: the manifest lists no files")
    return out


def is_manifest(path: Path, /) -> bool:
    """Whether ``path`` is a CSV whose header is ``file,time``."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return [c.strip().strip('"').lower() for c in first.strip().split(",")[:2]] == ["file", "time"]
