"""Manifest CSVs: a ``file`` column and one value column (``time``, ``concentration (eq)``, ``energy``).

One reader for the series, UV/vis and ramp commands: files are resolved against the manifest's
folder, blank rows are skipped, and every fault names the manifest and the line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

from clusterms.errors import InputFileError, OptionError

__all__ = ["manifest_kind", "read_manifest"]


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader([fh.readline(4096)]), [])
    except (OSError, UnicodeDecodeError):
        return []
    return [c.strip().lower() for c in first]


def _kind(cell: str, kinds: Sequence[str]) -> tuple[str, str] | None:
    """(kind, unit) of a value column header such as ``concentration (eq)``."""
    for kind in kinds:
        if cell == kind or (cell.startswith(kind) and not cell[len(kind)].isalnum()):
            return kind, cell[len(kind):].strip(" ()[]_")
    return None


def manifest_kind(path: str | Path, /, kinds: Sequence[str]) -> str | None:
    """The value column of ``path`` if it is a manifest with one of ``kinds``, else None."""
    head = _header(Path(path))
    if len(head) < 2 or head[0] != "file":
        return None
    found = _kind(head[1], kinds)
    return found[0] if found else None


def read_manifest(path: str | Path, /, *, kinds: Sequence[str],
                  parse: Callable[[str, str, str], float]) -> tuple[str, str, list[tuple[Path, float]]]:
    """``(kind, unit, [(file, value), ...])`` of a manifest; ``parse(kind, unit, text)`` reads a
    value, ``unit`` being the one the header gives (``concentration (eq)``: ``eq``), and raises
    :class:`OptionError` on a bad one (reported with the line)."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read the manifest ({exc})") from None
    head = [c.strip().lower() for c in rows[0]] if rows else []
    found = _kind(head[1], kinds) if len(head) >= 2 and head[0] == "file" else None
    if found is None:
        raise InputFileError(f"{p}: a manifest starts with the header "
                             + " or ".join(f"'file,{k}'" for k in kinds))
    kind, unit = found
    out = []
    for k, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) < 2:
            raise InputFileError(f"{p}: line {k}: expected 'file,{kind}'")
        try:
            value = parse(kind, unit, r[1])
        except OptionError as exc:
            raise InputFileError(f"{p}: line {k}: {exc}") from None
        f = Path(r[0].strip())
        out.append((f if f.is_absolute() else p.parent / f, value))
    if not out:
        raise InputFileError(f"{p}: the manifest lists no files")
    return kind, unit, out
