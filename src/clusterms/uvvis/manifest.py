"""Times and concentrations of a series: manifests (``file,time``) and values in names."""

from __future__ import annotations

import csv
from pathlib import Path

from clusterms.errors import InputFileError, OptionError
from clusterms.units import parse_time_h, time_from_name

__all__ = ["is_manifest", "parse_time_h", "read_manifest", "time_from_name"]

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
