"""--force never deletes what clusterms did not write; output faults end in one `error:` line.

Issue 9: `assign data/mix.mzML --out data --force` used to delete data/ with its input.
"""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from clusterms.cli import main
from clusterms.outdir import MARKER

ASSIGN = ["--reactant", "Ag@I", "--mz-range", "1590", "1620", "--quiet"]


def _run(argv: list[str], cwd: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(argv)
    finally:
        os.chdir(old)
    return code, capsys.readouterr().err


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    where = tmp_path_factory.mktemp("mix")
    assert main(["simulate", "Ag@I=1", "--resolution", "20000", "--mz-range", "1590", "1620", "--seed", "1",
                 "--out", str(where / "mix.mzML")]) == 0
    return (where / "mix.mzML").read_bytes()


@pytest.fixture
def work(tmp_path: Path, mix: bytes) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mix.mzML").write_bytes(mix)
    (tmp_path / "data" / "notes.txt").write_text("the user's notes\n", encoding="utf-8")
    return tmp_path


def _no_temporaries(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith((".partial", ".tmp", ".old"))]


def test_force_onto_the_folder_holding_the_input_is_refused(work: Path, capsys) -> None:
    before = _tree(work)
    code, err = _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "data", "--force"], work, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: refusing to replace data: it contains the input")
    assert _tree(work) == before


def test_force_onto_a_parent_of_the_input_is_refused(work: Path, capsys) -> None:
    before = _tree(work)
    code, err = _run(["assign", str(work / "data" / "mix.mzML"), *ASSIGN, "--out", str(work), "--force"],
                     work / "data", capsys)
    assert code == 2 and "contains the input" in err
    assert _tree(work) == before


def test_force_onto_a_folder_without_marker_is_refused(work: Path, capsys) -> None:
    (work / "mine").mkdir()
    (work / "mine" / "a.txt").write_text("keep\n", encoding="utf-8")
    before = _tree(work)
    code, err = _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "mine", "--force"], work, capsys)
    assert code == 2 and err.startswith("error: refusing to replace mine: it is not a clusterms result folder")
    assert _tree(work) == before


def test_force_replaces_a_result_folder(work: Path, capsys) -> None:
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res"], work, capsys)[0] == 0
    assert (work / "res" / MARKER).is_file()
    (work / "res" / "assignments.csv").write_text("stale\n", encoding="utf-8")
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res", "--force"], work, capsys)[0] == 0
    assert (work / "res" / "assignments.csv").read_text(encoding="utf-8").startswith("species")
    _no_temporaries(work)


def test_force_onto_a_symlink_replaces_the_linked_result_and_keeps_the_link(work: Path, capsys) -> None:
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "real"], work, capsys)[0] == 0
    (work / "link").symlink_to("real")
    (work / "real" / "assignments.csv").write_text("stale\n", encoding="utf-8")
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "link", "--force"], work, capsys)[0] == 0
    assert (work / "link").is_symlink()
    assert (work / "real" / "assignments.csv").read_text(encoding="utf-8").startswith("species")
    _no_temporaries(work)


def test_output_folder_gets_the_umask(work: Path, capsys) -> None:
    old = os.umask(0o022)
    try:
        assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res"], work, capsys)[0] == 0
    finally:
        os.umask(old)
    assert (work / "res").stat().st_mode & 0o777 == 0o755
    assert (work / "res" / "report.html").stat().st_mode & 0o777 == 0o644


def test_a_250_character_output_name_works(work: Path, capsys) -> None:
    name = "r" * 250
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", name], work, capsys)[0] == 0
    assert (work / name / "assignments.csv").is_file()
    _no_temporaries(work)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_parent_is_an_error_line(work: Path, capsys) -> None:
    ro = work / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, err = _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "ro/res"], work, capsys)
    finally:
        ro.chmod(0o755)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: cannot create ro/res")
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("err", [errno.EROFS, errno.EACCES, errno.ENAMETOOLONG])
def test_folder_creation_faults_are_an_error_line(work: Path, capsys, monkeypatch, err: int) -> None:
    """Works as root too: the failing mkdtemp is injected (root ignores a read-only folder)."""
    import tempfile

    def fail(*args: object, **kwargs: object) -> str:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(tempfile, "mkdtemp", fail)
    before = _tree(work)
    code, msg = _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res"], work, capsys)
    assert code == 2 and msg.count("\n") == 1, msg
    assert msg.startswith(f"error: cannot create res: {os.strerror(err)}")
    assert _tree(work) == before


def _tiny_fsize() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_disk_full_while_writing_is_an_error_line(work: Path) -> None:
    exe = str(Path(sys.executable).with_name("clusterms"))
    proc = subprocess.run([exe, "assign", "data/mix.mzML", *ASSIGN, "--out", "res"], cwd=work,
                          capture_output=True, text=True, preexec_fn=_tiny_fsize, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: cannot write res")
    assert "Traceback" not in proc.stderr
    assert not (work / "res").exists()
    assert not [p.name for p in work.iterdir() if p.name.startswith(".")]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_a_dead_run_are_removed_by_the_next_run(work: Path, capsys) -> None:
    dead = _dead_pid()
    partial = work / f".res.{dead}.abc.partial"
    partial.mkdir()
    (partial / "report.html").write_text("trunc", encoding="utf-8")
    old = work / f".res.{dead}.xyz.old"
    old.mkdir()
    alive = work / f".res.{os.getpid()}.live.partial"  # a running process's folder is left alone
    alive.mkdir()
    foreign = work / ".res.notapid.partial"  # not a name clusterms gives
    foreign.mkdir()
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res"], work, capsys)[0] == 0
    assert not partial.exists() and not old.exists()
    assert alive.exists() and foreign.exists()


def test_clean_leftovers_for_a_long_name(work: Path) -> None:
    from clusterms.outdir import _stem, clean_leftovers

    name = "x" * 250
    dead = _dead_pid()
    left = work / f".{_stem(name)}.{dead}.q.partial"
    left.mkdir()
    assert len(left.name) < 100
    assert clean_leftovers(work / name) == [left] and not left.exists()


KILLER = """
import os, signal, sys
import clusterms.outdir as od
real = od._exchange
def exchange(a, b):
    if sys.argv[1] == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    done = real(a, b)
    os.kill(os.getpid(), signal.SIGKILL)
    return done
od._exchange = exchange
from clusterms.cli import main
main(["assign", "data/mix.mzML", "--reactant", "Ag@I", "--mz-range", "1590", "1620", "--quiet",
      "--out", "res", "--force"])
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_kill_9_around_the_swap_leaves_a_complete_result(work: Path, capsys, moment: str) -> None:
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res"], work, capsys)[0] == 0
    (work / "res" / "assignments.csv").write_text("old result\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", KILLER, moment], cwd=work, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    res = work / "res"
    assert sorted(p.name for p in res.iterdir()) == [MARKER, "assignments.csv", "params.json", "report.html",
                                                     "unassigned.csv"]
    text = (res / "assignments.csv").read_text(encoding="utf-8")
    assert (text == "old result\n") == (moment == "before")
    # the next run on that path removes what the killed run left beside it
    assert _run(["assign", "data/mix.mzML", *ASSIGN, "--out", "res", "--force"], work, capsys)[0] == 0
    assert not [p.name for p in work.iterdir() if p.name.startswith(".")]


def test_demo_does_not_replace_an_assign_folder_without_force(tmp_path: Path, capsys) -> None:
    out = tmp_path / "d"
    (out / "assign").mkdir(parents=True)
    (out / "assign" / "mine.txt").write_text("keep\n", encoding="utf-8")
    (out / "assign" / MARKER).write_text("{}\n", encoding="utf-8")  # even an earlier result stays
    code = main(["demo", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "error: output folder" in err and "assign exists" in err
    assert sorted(p.name for p in (out / "assign").iterdir()) == [MARKER, "mine.txt"]


def test_a_250_character_file_name_and_tmp_leftovers(tmp_path: Path, capsys) -> None:
    from clusterms.outdir import _stem

    name = "s" * 245 + ".mzML"
    dead = _dead_pid()
    left = tmp_path / f".{_stem(name)}.{dead}.abc.tmp"
    left.write_text("truncated", encoding="utf-8")
    code = main(["simulate", "Ag@I=1", "--resolution", "20000", "--mz-range", "1590", "1620",
                 "--out", str(tmp_path / name)])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("force", [False, True])
def test_concurrent_runs_onto_one_out(work: Path, force: bool) -> None:
    exe = str(Path(sys.executable).with_name("clusterms"))
    argv = [exe, "assign", "data/mix.mzML", *ASSIGN, "--out", "res", *(["--force"] if force else [])]
    procs = [subprocess.Popen(argv, cwd=work, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.returncode, err) for p in procs for _, err in [p.communicate(timeout=120)]]
    codes = sorted(code for code, _ in results)
    assert codes == ([0, 0] if force else [0, 2]), results
    for code, err in results:
        assert "Traceback" not in err and (code == 0 or err.startswith("error: "))
    assert sorted(p.name for p in (work / "res").iterdir()) == [MARKER, "assignments.csv", "params.json",
                                                                "report.html", "unassigned.csv"]
    assert not [p.name for p in work.iterdir() if p.name.startswith(".")]
