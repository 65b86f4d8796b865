"""clusterms.outdir at the library level: what check_output_directory refuses, what
atomic_directory leaves at the target on success and on failure, and clean_leftovers.
(The command-line contract is tested in tests/reliability/test_outdir_safety.py.)"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from clusterms import outdir
from clusterms.errors import OutputError
from clusterms.outdir import MARKER, atomic_directory, check_output_directory, clean_leftovers, is_result_folder

DEAD = 2**22 + 4321  # above any pid_max: no such process


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _result(folder: Path, content: str = "old") -> Path:
    folder.mkdir()
    (folder / MARKER).write_text("{}\n")
    (folder / "a.csv").write_text(content)
    return folder


def test_check_output_directory_refusals(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"file exists and is not a folder; choose another --out"):
        check_output_directory(tmp_path / "file", force=True)
    res = _result(tmp_path / "res")
    with pytest.raises(OutputError, match=r"output folder .*res exists; use --force to replace it"):
        check_output_directory(res, force=False)
    assert check_output_directory(res, force=True) == res
    with pytest.raises(OutputError, match=r"refusing to replace .*res: it contains the input .*a.csv"):
        check_output_directory(res, force=True, inputs=[res / "a.csv"])
    with pytest.raises(OutputError, match=r"it contains the input"):
        check_output_directory(res, force=True, inputs=[res])  # the folder itself is an input
    assert check_output_directory(res, force=True, inputs=[tmp_path / "file"]) == res
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("user data")
    with pytest.raises(OutputError, match=rf"not a clusterms result folder \(no {MARKER}\)"):
        check_output_directory(tmp_path / "mine", force=True)
    (tmp_path / "empty").mkdir()
    assert check_output_directory(tmp_path / "empty", force=True) == tmp_path / "empty"
    with pytest.raises(OutputError, match=r"cannot create .*new: folder .*missing does not exist"):
        check_output_directory(tmp_path / "missing" / "new", force=False)
    assert check_output_directory(tmp_path / "new", force=False) == tmp_path / "new"


def test_is_result_folder(tmp_path: Path) -> None:
    assert is_result_folder(_result(tmp_path / "r"))
    (tmp_path / "d").mkdir()
    assert not is_result_folder(tmp_path / "d")
    (tmp_path / "d" / MARKER).mkdir()  # a folder of that name is no marker
    assert not is_result_folder(tmp_path / "d")
    assert not is_result_folder(tmp_path / "absent")


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename fallback"])
def test_replace_leaves_only_the_new_complete_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)
    target = _result(tmp_path / "out")
    umask = os.umask(0o022)
    try:
        with atomic_directory(target, force=True) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".out.") and tmp.name.endswith(".partial")
            assert (target / "a.csv").read_text() == "old"  # the old result stays until the end
            (tmp / "b.csv").write_text("new")
    finally:
        os.umask(umask)
    assert _names(tmp_path) == ["out"]
    assert _names(target) == sorted([MARKER, "b.csv"])
    assert json.loads((target / MARKER).read_text()) == {"tool": "clusterms"}
    assert (target / "b.csv").stat().st_mode & 0o777 == 0o644
    assert target.stat().st_mode & 0o777 == 0o755


def test_new_folder_and_a_failure_inside(tmp_path: Path) -> None:
    with atomic_directory(tmp_path / "fresh") as tmp:
        (tmp / "x.txt").write_text("1")
    assert _names(tmp_path / "fresh") == sorted([MARKER, "x.txt"])
    old = _result(tmp_path / "out")
    with pytest.raises(RuntimeError, match="boom"), atomic_directory(old, force=True) as tmp:
        (tmp / "half.csv").write_text("partial")
        raise RuntimeError("boom")
    assert _names(tmp_path) == ["fresh", "out"]
    assert (old / "a.csv").read_text() == "old"
    with pytest.raises(OutputError, match=r"cannot write .*out: No space left on device; free space or choose"), \
            atomic_directory(old, force=True):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert _names(tmp_path) == ["fresh", "out"]


def test_fallback_rename_failure_restores_the_old_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)
    target = _result(tmp_path / "out")

    def refuse(src, dst):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(OutputError, match=r"cannot write .*out: Input/output error"), \
            atomic_directory(target, force=True) as tmp:
        (tmp / "b.csv").write_text("new")
    assert _names(tmp_path) == ["out"]
    assert (target / "a.csv").read_text() == "old"


def test_a_target_that_appeared_meanwhile_is_judged_again(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(OutputError, match=r"exists; use --force"), atomic_directory(target) as tmp:
        (tmp / "b.csv").write_text("new")
        target.mkdir()
        (target / "theirs.txt").write_text("someone else's")
    assert _names(target) == ["theirs.txt"]
    assert _names(tmp_path) == ["out"]


def test_clean_leftovers_removes_only_dead_runs_entries(tmp_path: Path) -> None:
    (tmp_path / f".out.{DEAD}.abc.partial").mkdir()
    (tmp_path / f".out.{DEAD}.abc.partial" / "f").write_text("x")
    (tmp_path / f".out.{DEAD}.abc.tmp").write_text("x")
    (tmp_path / f".out.{DEAD}.abc.old").mkdir()
    keep = [f".out.{os.getpid()}.abc.partial", f".other.{DEAD}.abc.tmp", f".out.{DEAD}.abc.txt",
            ".out.notapid.abc.tmp", "out"]
    for name in keep:
        (tmp_path / name).write_text("keep")
    removed = clean_leftovers(tmp_path / "out")
    assert sorted(p.name for p in removed) == sorted(
        [f".out.{DEAD}.abc.partial", f".out.{DEAD}.abc.tmp", f".out.{DEAD}.abc.old"])
    assert _names(tmp_path) == sorted(keep)
    assert clean_leftovers(tmp_path / "absent-dir" / "out") == []


def test_a_link_to_a_dead_runs_folder_is_unlinked_not_followed(tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "f").write_text("x")
    (tmp_path / f".out.{DEAD}.abc.old").symlink_to(tmp_path / "precious")
    clean_leftovers(tmp_path / "out")
    assert _names(tmp_path) == ["precious"] and _names(tmp_path / "precious") == ["f"]


def test_long_names_get_a_short_hashed_stem(tmp_path: Path) -> None:
    long = "r" * 200
    stem = outdir._stem(long)
    assert stem.startswith("r" * 24 + "~") and len(stem) == 24 + 1 + 10
    assert outdir._stem("short") == "short" and outdir._stem("x" * 40) == "x" * 40
    assert outdir._stem("x" * 41) != outdir._stem("x" * 40 + "y")
    with atomic_directory(tmp_path / long) as tmp:
        assert tmp.name.startswith(f".{stem}.{os.getpid()}.")
    assert _names(tmp_path) == [long]
