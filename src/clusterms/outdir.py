"""Output folders that appear complete or not at all, and never replace what clusterms did not write.

Files are written into a hidden temporary folder beside the target; on success it takes the
target's place. An existing target is replaced only with ``force`` and only if it holds a
clusterms result (the marker file :data:`MARKER`, written into every result folder) and contains
no input of the run. Where Linux offers ``renameat2(RENAME_EXCHANGE)`` the old and new folders
are exchanged in one step (at every instant one complete result is at the target path); the
fallback renames the old folder aside and the new one in, restoring the old one on failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from clusterms.errors import OutputError

__all__ = ["MARKER", "atomic_directory", "check_output_directory", "clean_leftovers", "is_result_folder"]

MARKER = ".clusterms-result"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _stem(name: str) -> str:
    """Short temporary-name stem for ``name`` (stays far below 255 bytes for any legal name)."""
    if len(os.fsencode(name)) <= 40:
        return name
    return name[:24].encode("utf-8", "ignore")[:24].decode("utf-8", "ignore") + "~" + \
        hashlib.sha1(os.fsencode(name)).hexdigest()[:10]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(path: str | os.PathLike[str], /) -> list[Path]:
    """Remove ``.NAME.PID.*.partial|.tmp|.old`` entries beside ``path`` left by a dead clusterms run."""
    target = Path(path)
    parent = target.parent if target.parent != Path("") else Path(".")
    prefix = f".{_stem(target.name)}."
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or not name.endswith((".partial", ".tmp", ".old")):
            continue
        pid_text = name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


def is_result_folder(path: Path, /) -> bool:
    """True if ``path`` is a folder holding the clusterms result marker."""
    return path.is_dir() and (path / MARKER).is_file()


def _contains(folder: Path, item: Path) -> bool:
    return item == folder or folder in item.parents


def check_output_directory(path: str | os.PathLike[str], /, *, force: bool,
                           inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Refuse early (before any work) an output folder that cannot or must not be written."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{p} exists and is not a folder; choose another --out")
    if p.exists():
        if not force:
            raise OutputError(f"output folder {p} exists; use --force to replace it")
        real = p.resolve()
        for item in inputs:
            if _contains(real, Path(item).resolve()):
                raise OutputError(f"refusing to replace {p}: it contains the input {item}; "
                                  "choose another --out")
        if any(real.iterdir()) and not is_result_folder(real):
            raise OutputError(f"refusing to replace {p}: it is not a clusterms result folder "
                              f"(no {MARKER}); choose another --out or remove it yourself")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"cannot create {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot create {p}: no permission to write in {parent}")
    return p


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange ``a`` and ``b`` (Linux renameat2); False where unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], /, *, force: bool = False,
                     inputs: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``path``."""
    inputs = tuple(inputs)
    target = check_output_directory(path, force=force, inputs=inputs)
    if target.is_symlink():
        target = target.resolve()  # replace the folder the link points to, keep the link
    parent = target.resolve().parent
    clean_leftovers(parent / target.name)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{_stem(target.name)}.{os.getpid()}.", suffix=".partial",
                                    dir=parent))
        os.chmod(tmp, 0o777 & ~_umask())
    except OSError as exc:
        raise OutputError(f"cannot create {target}: {exc.strerror or exc}") from None
    try:
        yield tmp
        (tmp / MARKER).write_text(json.dumps({"tool": "clusterms"}) + "\n", encoding="utf-8")
        for f in tmp.iterdir():
            if f.is_file():
                os.chmod(f, 0o666 & ~_umask())
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; "
                          "free space or choose another --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        # re-check under the final state: a folder that appeared meanwhile is judged again
        check_output_directory(target, force=force, inputs=inputs)
        if target.exists() and _exchange(tmp, target):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old result
            return
        old: Path | None = None
        try:
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{_stem(target.name)}.{os.getpid()}.",
                                            suffix=".old", dir=parent))
                os.rmdir(old)
                os.replace(target, old)
            os.rename(tmp, target)
        except OSError as exc:
            if old is not None and not target.exists():
                os.replace(old, target)
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
