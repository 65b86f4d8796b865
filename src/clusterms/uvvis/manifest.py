"""Times of a UV/vis series: manifests (``file,time``) and values in names."""

from __future__ import annotations

from pathlib import Path

from clusterms.manifest import manifest_kind
from clusterms.manifest import read_manifest as _read
from clusterms.units import parse_time_h, time_from_name

__all__ = ["is_manifest", "parse_time_h", "read_manifest", "time_from_name"]


def read_manifest(path: Path, /) -> list[tuple[Path, float]]:
    """Rows ``file,time`` of a manifest CSV (files relative to the manifest's folder), times in hours."""
    return _read(path, kinds=("time",), parse=lambda _kind, _unit, text: parse_time_h(text))[2]


def is_manifest(path: Path, /) -> bool:
    """Whether ``path`` is a CSV whose header is ``file,time``."""
    return manifest_kind(path, ("time",)) == "time"
