"""Messages never carry raw control characters from names, and each stays one line.

A file name is whatever the user's file system allows: an ESC sequence would recolour or
clear the terminal, a CR would rewrite the line, a newline would split one message in two.
Every ``error:``/``warning:`` line prints them repr-style (``\\x1b``, ``\\n``, ``\\r``).
Runs go through ``clusterms.cli.main`` in-process (fast) plus one on the console script.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clusterms.cli import main

CLI = Path(sys.executable).with_name("clusterms")
NASTY = {
    "esc": "a\x1b[31mred\x1b[0m",
    "newline": "two\nlines",
    "cr": "over\rwrite",
    "mixed": "m\x1b]0;title\x07\r\n\x7f\x9b\u2028x",
}
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def run(argv: list[str], cwd: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def check_lines(err: str, name: str, *, kinds: dict[str, int]) -> list[str]:
    """No raw control byte; every message on its own line, the name shown escaped."""
    assert RAW.search(err) is None, repr(err)
    lines = err.splitlines()  # splitlines also splits at \r, \x1c-\x1e, \x85, \u2028
    assert err.endswith("\n") and err.count("\n") == len(lines), repr(err)
    for kind, count in kinds.items():
        assert sum(line.startswith(kind) for line in lines) == count, repr(err)
    escaped = repr(name)[1:-1]
    assert any(escaped in line for line in lines), (escaped, err)
    return lines


@pytest.mark.parametrize("key", list(NASTY))
def test_error_on_an_empty_input_escapes_its_name(tmp_path: Path, key: str) -> None:
    name = NASTY[key] + ".mzML"
    (tmp_path / name).write_bytes(b"")
    code, err = run(["assign", name, "--out", "res", "--search", "Ag25"], tmp_path)
    assert code == 2
    lines = check_lines(err, name, kinds={"error:": 1})
    assert lines[-1].startswith("error:") and "is empty" in lines[-1]


@pytest.mark.parametrize("key", list(NASTY))
def test_error_on_an_existing_output_folder_escapes_its_name(tmp_path: Path, key: str) -> None:
    out = NASTY[key]
    (tmp_path / out).mkdir()
    (tmp_path / "in.txt").write_text("1000 1\n1001 2\n1002 1\n", encoding="utf-8")
    code, err = run(["assign", "in.txt", "--out", out, "--search", "Ag25", "--polarity", "negative"], tmp_path)
    assert code == 2
    lines = check_lines(err, out, kinds={"error:": 1})
    assert "exists" in lines[-1]


@pytest.mark.parametrize("key", list(NASTY))
def test_warnings_of_the_reader_escape_the_name(tmp_path: Path, key: str) -> None:
    name = NASTY[key] + ".txt"
    # one NaN row and one repeated m/z: two reader warnings, each naming the file
    (tmp_path / name).write_text("1000 1\n1001 nan\n1002 3\n1003 4\n1004 2\n1002 3\n", encoding="utf-8")
    code, err = run(["peaks", name, "--polarity", "negative"], tmp_path)
    assert code == 0
    check_lines(err, name, kinds={"warning:": 2, "error:": 0})


def test_notation_error_escapes_the_species_text(tmp_path: Path) -> None:
    text = "[Ag25\x1b[31m\n]-"
    code, err = run(["mass", text], tmp_path)
    assert code == 2
    check_lines(err, text, kinds={"error:": 1})


def test_internal_error_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import clusterms.cli as cli

    def boom(_args: object) -> int:
        raise RuntimeError("bad\nstate \x1b[2J here")

    monkeypatch.setattr(cli, "_cmd_mass", boom)
    code, err = run(["mass", "Ag"], tmp_path)
    assert code == 1
    lines = check_lines(err, "bad\nstate \x1b[2J here", kinds={"clusterms: internal error:": 1})
    assert len(lines) == 1


def test_console_script_stderr_bytes_hold_no_control_byte(tmp_path: Path) -> None:
    name = "c\x1b[31m\n\r.mzML"
    (tmp_path / name).write_bytes(b"")
    proc = subprocess.run([str(CLI), "assign", name, "--out", "res", "--search", "Ag25"], cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert proc.returncode == 2
    raw = proc.stderr
    assert re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", raw) is None, raw
    assert raw.count(b"error:") == 1 and raw.endswith(b"\n")
    assert rb"c\x1b[31m\n\r.mzML is empty" in raw


def test_printable_text_is_kept_as_is(tmp_path: Path) -> None:
    name = "Ü ß é 中 tab.mzML"
    (tmp_path / name).write_bytes(b"")
    code, err = run(["assign", name, "--out", "res", "--search", "Ag25"], tmp_path)
    assert code == 2 and f"error: {name} is empty" in err
