"""Output folders that appear complete or not at all.

Files are written into a hidden temporary folder beside the target; on success it is renamed
onto the target. An existing target is replaced only with ``force`` (the old folder is moved
aside first and removed after the swap), so a crash never leaves a half-written result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clusterms.errors import OutputError

__all__ = ["atomic_directory", "check_output_directory"]


def check_output_directory(path: str | os.PathLike[str], /, *, force: bool) -> Path:
    """Refuse early (before any work) an output folder that cannot be written."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{p} exists and is not a folder; choose another --out")
    if p.exists() and not force:
        raise OutputError(f"output folder {p} exists; use --force to replace it")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"cannot create {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot create {p}: no permission to write in {parent}")
    return p


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], /, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``path``."""
    target = check_output_directory(path, force=force)
    parent = target.resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    try:
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.replace(target, old)
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not target.exists():
            os.replace(old, target)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
