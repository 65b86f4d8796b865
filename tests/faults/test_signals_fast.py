"""Fast fault cases (run in `make test`): signals and closed streams on the console script."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("clusterms")
STRAY = (".partial", ".tmp", ".old")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _strays(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(STRAY)]


@pytest.fixture(scope="module")
def spectrum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("in") / "in.mzML"
    subprocess.run([str(CLI), "simulate", "[Ag25(SC2H4Ph)18]-=1", "--resolution", "100000",
                    "--mz-range", "3000", "9000", "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize("delay", [0.03, 0.08, 0.3, 0.6])
def test_signal_gives_one_error_line_and_no_temporaries(tmp_path: Path, spectrum: Path,
                                                          sig: int, delay: float) -> None:
    before = _sha(spectrum)
    out = tmp_path / "res"
    with subprocess.Popen([str(CLI), "assign", str(spectrum), "--out", str(out), "--search",
                           "Ag25(SC2H4Ph)18"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        time.sleep(delay)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    err = stderr.decode()
    assert "Traceback" not in err
    if proc.returncode == -sig:  # still in the interpreter's own start-up (site): nothing of ours ran
        assert err == "" and not out.exists()
    elif proc.returncode == 0:  # finished before the signal: the result must be complete
        assert (out / "report.html").is_file()
    else:
        assert proc.returncode == 128 + sig, err
        assert err.count("error:") == 1 and err.rstrip("\n").endswith("error: interrupted")
        assert not out.exists()
    assert _strays(tmp_path) == [] and _sha(spectrum) == before


def test_closed_stderr_and_stdout_never_succeed_without_outputs(tmp_path: Path, spectrum: Path) -> None:
    out = tmp_path / "res"
    cmd = f"'{CLI}' assign '{spectrum}' --out '{out}' --search 'Ag25(SC2H4Ph)18' 2>&1 | head -1"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, timeout=120)
    assert proc.returncode != 0 or (out / "report.html").is_file()
    assert _strays(tmp_path) == []


def test_closed_stderr_only_drops_progress_and_completes(tmp_path: Path, spectrum: Path) -> None:
    out = tmp_path / "res"
    r, w = os.pipe()
    os.close(r)  # every write to stderr now fails with EPIPE
    try:
        proc = subprocess.run([str(CLI), "assign", str(spectrum), "--out", str(out), "--search",
                               "Ag25(SC2H4Ph)18"], stdout=subprocess.DEVNULL, stderr=w, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == 0 and (out / "report.html").is_file()


@pytest.mark.parametrize("args", [["mass", "Ag25"], ["pattern", "[Ag29(BDT)12]3-", "--fine"]],
                         ids=["small", "large"])
@pytest.mark.parametrize("env", [{}, {"CLUSTERMS_FULL_EXIT": "1"}], ids=["fast exit", "full exit"])
def test_stdout_to_dev_full_is_one_error_line_exit_2(args: list[str], env: dict[str, str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(CLI), *args], stdout=full, stderr=subprocess.PIPE, timeout=60,
                              env={**os.environ, **env}, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: cannot write the standard output")
