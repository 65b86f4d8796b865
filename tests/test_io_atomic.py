"""clusterms.io_atomic: the commit paths (rename, hard link, no hard link) and what is left
behind on each failure. (Writers' use of it is tested in tests/spectra/test_writers.py.)"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from clusterms.errors import OutputError
from clusterms.io_atomic import atomic_write


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _no_hard_links(code: int):
    def link(src, dst, *args, **kwargs):
        raise OSError(code, os.strerror(code))
    return link


@pytest.mark.parametrize("code", [errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK])
def test_without_hard_links_the_file_is_renamed_into_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          code: int) -> None:
    monkeypatch.setattr(os, "link", _no_hard_links(code))
    path = tmp_path / "out.csv"
    umask = os.umask(0o022)
    try:
        with atomic_write(path, overwrite=False) as fh:
            fh.write("mz,intensity\n1,2\n")
    finally:
        os.umask(umask)
    assert path.read_text() == "mz,intensity\n1,2\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert _names(tmp_path) == ["out.csv"]


def test_without_hard_links_a_target_that_appeared_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", _no_hard_links(errno.EPERM))
    path = tmp_path / "out.csv"
    with pytest.raises(OutputError, match=r"out.csv exists; pass overwrite=True"), \
            atomic_write(path, overwrite=False) as fh:
        fh.write("new")
        path.write_text("written meanwhile by someone else")
    assert path.read_text() == "written meanwhile by someone else"
    assert _names(tmp_path) == ["out.csv"]


def test_with_hard_links_a_target_that_appeared_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(OutputError, match=r"out.csv exists"), atomic_write(path, overwrite=False) as fh:
        fh.write("new")
        path.write_text("theirs")
    assert path.read_text() == "theirs"
    assert _names(tmp_path) == ["out.csv"]


def test_with_hard_links_the_temporary_name_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    with atomic_write(path, binary=True, overwrite=False) as fh:
        fh.write(b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    assert path.stat().st_nlink == 1
    assert _names(tmp_path) == ["out.bin"]


def test_another_link_failure_is_an_output_error_and_leaves_nothing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", _no_hard_links(errno.EIO))
    path = tmp_path / "out.csv"
    with pytest.raises(OutputError, match=r"cannot write .*out.csv: Input/output error"), \
            atomic_write(path, overwrite=False) as fh:
        fh.write("x")
    assert _names(tmp_path) == []


def test_overwrite_false_refuses_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "keep.txt"
    path.write_text("precious")
    with pytest.raises(OutputError, match=r"keep.txt exists"), atomic_write(path, overwrite=False):
        pytest.fail("the body must not run")
    assert path.read_text() == "precious"
    assert _names(tmp_path) == ["keep.txt"]


def test_encoding_and_no_newline_translation(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    with atomic_write(path, encoding="latin-1") as fh:
        fh.write("Intensität\r\n")
    assert path.read_bytes() == "Intensität\r\n".encode("latin-1")


def test_a_killed_runs_temporary_file_is_cleaned(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # above the default pid_max: no such process
    stale = tmp_path / f".out.csv.{dead}.abc.tmp"
    stale.write_text("half")
    live = tmp_path / f".out.csv.{os.getpid()}.abc.tmp"  # a run still going: left alone
    live.write_text("busy")
    with atomic_write(tmp_path / "out.csv") as fh:
        fh.write("ok")
    assert _names(tmp_path) == sorted([live.name, "out.csv"])


def test_a_temporary_file_that_cannot_be_removed_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    real_unlink = Path.unlink

    def stuck(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", stuck)
    with caplog.at_level("WARNING", logger="clusterms.io_atomic"), \
            pytest.raises(ValueError, match="half way"), atomic_write(tmp_path / "out.csv") as fh:
        fh.write("x")
        raise ValueError("half way")
    [record] = [r for r in caplog.records if r.name == "clusterms.io_atomic"]
    [left] = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert record.getMessage() == f"could not remove temporary file {left}: [Errno 13] Permission denied"
    assert record.levelname == "WARNING"
