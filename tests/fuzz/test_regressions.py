"""Replay the fuzz findings and the seed corpus through the fuzz harness (no atheris needed).

``regressions/*.crash`` are inputs on which atheris found a broken contract, ``*.timeout``
inputs on which it found a hang (both kept as found); ``*.review`` are inputs of the same kind
found by reading the code. Each must now give an InputFileError / NotationError or a valid
result (the harness raises on anything else), a timeout input within a second.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _harness():
    spec = importlib.util.spec_from_file_location("fuzz_readers", HERE / "fuzz_readers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = _harness()
REGRESSIONS = sorted((HERE / "regressions").iterdir())
CORPUS = sorted((HERE / "corpus").iterdir())


def test_there_are_regressions_and_seeds() -> None:
    assert REGRESSIONS and len(CORPUS) >= 20
    assert all(p.stat().st_size <= 4096 for p in CORPUS)


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_regression(path: Path) -> None:
    harness.check_input(path.read_bytes())
    if path.suffix == ".timeout":
        start = time.perf_counter()
        harness.check_input(path.read_bytes())
        assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_seed(path: Path) -> None:
    harness.check_input(path.read_bytes())


def test_every_finding_is_refused_cleanly() -> None:
    # The findings were damaged files: each must now be an InputFileError, not a spectrum.
    for path in REGRESSIONS:
        data = path.read_bytes()
        suffix = harness.SUFFIXES[data[0] % 8]
        if path.suffix != ".timeout":
            assert harness.check_file(data[1:], suffix) is None, path.name


def test_the_harness_flags_a_broken_contract(monkeypatch) -> None:
    import clusterms.spectra.readers as readers

    def raises(_path, **_kw):
        raise KeyError("boom")

    monkeypatch.setattr(readers, "read_spectrum", raises)
    with pytest.raises(KeyError):
        harness.check_input(b"\x00" + b"1603.3\t12\n1604.3\t13\n")
    monkeypatch.setattr(readers, "read_spectrum", lambda _path, **_kw: [1603.3])
    with pytest.raises(AssertionError, match="not a Spectrum"):
        harness.check_input(b"\x00" + b"1603.3\t12\n1604.3\t13\n")


def test_the_harness_imports_without_atheris() -> None:
    source = (HERE / "fuzz_readers.py").read_text(encoding="utf-8")
    top = source.split('if __name__ == "__main__":')[0]
    assert "\nimport atheris" not in top and "\nfrom atheris" not in top
    assert "atheris" not in vars(harness)


def test_make_fuzz_leaves_the_seed_corpus_alone() -> None:
    # `make fuzz` passes tests/fuzz/corpus as the only folder: new inputs must go elsewhere.
    argv = harness._protect_seeds(["fuzz_readers.py", "-atheris_runs=10", str(HERE / "corpus")])
    assert argv[-1] == str(HERE / "corpus") and Path(argv[-2]).is_dir() and Path(argv[-2]) != HERE / "corpus"
    Path(argv[-2]).rmdir()
    mine = ["fuzz_readers.py", "/tmp/work", str(HERE / "corpus")]
    assert harness._protect_seeds(mine) == mine
