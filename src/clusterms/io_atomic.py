"""Atomic file output: write to a temporary file beside the target, then rename it.

A reader of the target sees either the old file or the complete new one, never a partial
write; a failure (an exception in the ``with`` body, a full disk) removes the temporary
file and leaves the target as it was.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
>>> with atomic_write(out) as fh:
...     _ = fh.write("mz,intensity\\n")
>>> out.read_text()
'mz,intensity\\n'
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from clusterms.errors import OutputError

__all__ = ["atomic_write"]



@overload
def atomic_write(
    path: str | os.PathLike[str],
    /,
    *,
    binary: Literal[False] = ...,
    overwrite: bool = ...,
    encoding: str = ...,
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_write(
    path: str | os.PathLike[str],
    /,
    *,
    binary: Literal[True],
    overwrite: bool = ...,
    encoding: str = ...,
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def atomic_write(
    path: str | os.PathLike[str],
    /,
    *,
    binary: bool = False,
    overwrite: bool = True,
    encoding: str = "utf-8",
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Open ``path`` for writing so that it appears complete or not at all.

    The handle writes to a temporary file in the target's directory (same file system, so
    the final :func:`os.replace` is atomic); on leaving the ``with`` block without an
    exception the data are flushed to disk and the temporary file takes the target's name.

    Parameters
    ----------
    path
        The file to create or replace.
    binary
        Yield a binary handle (``bytes``) instead of a text handle.
    overwrite
        Replace an existing ``path``; when ``False`` an existing file raises
        :class:`~clusterms.errors.OutputError`, checked before writing and again, atomically,
        when the file is put in place.
    encoding
        Text encoding (text mode only). Text is written as given: no newline translation.

    Returns
    -------
    contextlib.AbstractContextManager
        Yields the open handle.

    Raises
    ------
    OutputError
        The directory does not exist, the target is a directory, exists with
        ``overwrite=False``, or the operating system refuses the write.
    """
    return _atomic_write(Path(os.fspath(path)), binary=binary, overwrite=overwrite,
                         encoding=encoding)


@contextlib.contextmanager
def _atomic_write(
    target: Path, *, binary: bool, overwrite: bool, encoding: str
) -> Iterator[IO[Any]]:
    _check_target(target, overwrite=overwrite)
    from clusterms.outdir import _stem, clean_leftovers

    clean_leftovers(target)  # .NAME.PID.*.tmp of a killed earlier run
    try:
        # short stem + pid: within 255 bytes for any legal name, recognisable by clean_leftovers
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{_stem(target.name)}.{os.getpid()}.",
                                        suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        fh: IO[Any]
        if binary:
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline="")
        with fh:
            yield fh
            if not fh.closed:  # a writer (psims) may close the handle itself
                fh.flush()
                os.fsync(fh.fileno())
        _set_mode(tmp, target)
        _commit(tmp, target, overwrite=overwrite)
    except OSError as exc:
        _discard(tmp)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        _discard(tmp)
        raise


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory")
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {target}: directory {target.parent} does not exist")
    if not overwrite and target.exists():
        raise _exists(target)


def _exists(target: Path) -> OutputError:
    return OutputError(f"{target} exists; pass overwrite=True (--force) to replace it")


def _set_mode(tmp: Path, target: Path) -> None:
    # mkstemp creates 0600 files; give the output the mode a plain open() would have.
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _commit(tmp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails atomically if the target appeared meanwhile
    except FileExistsError as exc:
        raise _exists(target) from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # File systems without hard links: a last check, then a plain rename.
        if target.exists():
            raise _exists(target) from exc
        os.replace(tmp, target)
        return
    _discard(tmp)


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # pragma: no cover - nothing more can be done
        import logging  # only on this rare path: logging costs ~8 ms of every start

        logging.getLogger(__name__).warning("could not remove temporary file %s: %s", tmp, exc)
