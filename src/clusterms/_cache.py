"""Derived data kept as JSON in the user's cache folder, rebuilt when its sources change.

Used for what is slow to produce at every start of the command line and only changes with
the installed files: the element table (IsoSpecPy, scipy.constants) and the parsed built-in
ligand library (TOML). The cache is best effort: an unwritable home only costs speed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "cached_json", "fingerprint"]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/clusterms`` (default ``~/.cache/clusterms``)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "clusterms"


def fingerprint(version: int, files: Iterable[Path]) -> str:
    """A key that changes with ``version`` and with the path, size or mtime of any file."""
    parts = [str(version)]
    for f in files:
        try:
            st = f.stat()
            parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{f}:missing")
    return "|".join(parts)


def cached_json(name: str, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()``, or its copy stored under ``name`` when that was made for ``key``."""
    path = cache_dir() / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("fingerprint") == key:
            return data
    except (OSError, ValueError):
        pass
    data = compute()
    data["fingerprint"] = key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass
    return data
