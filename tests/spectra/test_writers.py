"""Tests for clusterms.spectra.writers and clusterms.io_atomic.

Round trips are checked against pyteomics (an independent mzML reader) and against
clusterms' own reader.
"""

from __future__ import annotations

import gzip
import os
import warnings
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterms.errors import OutputError
from clusterms.io_atomic import atomic_write
from clusterms.spectra.readers import read_spectrum
from clusterms.spectra.spectrum import Spectrum
from clusterms.spectra.writers import write_csv, write_mzml

MZ = np.array([1000.123456789012, 1001.1, 1502.000000000001, 2999.999])
INTENSITY = np.array([0.0, 12.5, 1e-300, 3.4e12])


@cache
def _psi_ms() -> Any:
    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    resource = files("psims.controlled_vocabulary.vendor") / "psi-ms.obo.gz"
    with resource.open("rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        return ControlledVocabulary.from_obo(fh)


def pyteomics_spectra(path: Path) -> list[dict[str, Any]]:
    from pyteomics import mzml

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with mzml.MzML(str(path), cv=_psi_ms()) as reader:
            return list(reader)


def accessions(info: dict[str, Any]) -> set[str]:
    return {acc for key in info if (acc := getattr(key, "accession", None))}


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------------------- mzML


@pytest.mark.parametrize("mode", ["profile", "centroid", None])
@pytest.mark.parametrize("polarity", ["positive", "negative", None])
def test_mzml_round_trip_through_pyteomics(tmp_path: Path, mode: str | None,
                                           polarity: str | None) -> None:
    spectrum = Spectrum(mz=MZ, intensity=INTENSITY, polarity=polarity, mode=mode)  # type: ignore[arg-type]
    path = tmp_path / "out.mzML"
    write_mzml(spectrum, path)
    (spec,) = pyteomics_spectra(path)
    assert spec["m/z array"].dtype == spec["intensity array"].dtype == np.float64
    np.testing.assert_array_equal(spec["m/z array"], MZ)
    np.testing.assert_array_equal(spec["intensity array"], INTENSITY)
    terms = accessions(spec)
    assert ("MS:1000128" in terms) == (mode == "profile")
    assert ("MS:1000127" in terms) == (mode == "centroid")
    assert ("MS:1000130" in terms) == (polarity == "positive")
    assert ("MS:1000129" in terms) == (polarity == "negative")
    assert spec["ms level"] == 1 and "MS:1000579" in terms
    text = path.read_text()
    assert text.count('name="zlib compression"') == 2
    assert text.count('name="64-bit float"') == 2


@pytest.mark.parametrize("mode", ["profile", "centroid", None])
@pytest.mark.parametrize("polarity", ["positive", "negative", None])
def test_mzml_round_trip_through_read_spectrum(tmp_path: Path, mode: str | None,
                                               polarity: str | None) -> None:
    spectrum = Spectrum(mz=MZ, intensity=INTENSITY, polarity=polarity, mode=mode,  # type: ignore[arg-type]
                        metadata={"time_min": 1.25})
    path = tmp_path / "out.mzML"
    write_mzml(spectrum, path)
    back = read_spectrum(path)
    np.testing.assert_array_equal(back.mz, MZ)
    np.testing.assert_array_equal(back.intensity, INTENSITY)
    assert (back.polarity, back.mode) == (polarity, mode)
    assert back.metadata["time_min"] == 1.25
    assert back.metadata["scan_ids"] == ("scan=1",)


def test_mzml_keeps_ms_level(tmp_path: Path) -> None:
    path = tmp_path / "ms2.mzML"
    write_mzml(Spectrum(mz=MZ, intensity=INTENSITY, metadata={"ms_level": 2}), path)
    (spec,) = pyteomics_spectra(path)
    assert spec["ms level"] == 2 and "MS:1000580" in accessions(spec)
    assert len(read_spectrum(path, ms_level=2)) == MZ.size


def test_mzml_of_an_empty_spectrum(tmp_path: Path) -> None:
    path = tmp_path / "empty.mzML"
    write_mzml(Spectrum(mz=[], intensity=[]), path)
    (spec,) = pyteomics_spectra(path)
    assert spec["defaultArrayLength"] == 0
    assert len(read_spectrum(path)) == 0


def test_mzml_of_a_real_sized_spectrum_is_bit_identical(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    mz = np.sort(rng.uniform(500.0, 20_000.0, 200_000))
    intensity = rng.gamma(1.0, 1e5, mz.size)
    path = tmp_path / "big.mzML"
    write_mzml(Spectrum(mz=mz, intensity=intensity, mode="profile"), path)
    back = read_spectrum(path)
    assert np.array_equal(back.mz, mz) and np.array_equal(back.intensity, intensity)


def test_mzml_writer_needs_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import urllib.request

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the mzML writer tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    write_mzml(Spectrum(mz=MZ, intensity=INTENSITY), tmp_path / "offline.mzML")
    assert len(read_spectrum(tmp_path / "offline.mzML")) == MZ.size


# -------------------------------------------------------------------------------- CSV


def test_csv_layout(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(Spectrum(mz=[1000.1, 1000.2], intensity=[5.0, 1e-300]), path)
    assert path.read_text() == "mz,intensity\n1000.1,5.0\n1000.2,1e-300\n"


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(Spectrum(mz=MZ, intensity=INTENSITY), path)
    back = read_spectrum(path)
    np.testing.assert_array_equal(back.mz, MZ)
    np.testing.assert_array_equal(back.intensity, INTENSITY)
    assert back.metadata["columns"] == ("mz", "intensity")


@settings(max_examples=60, deadline=None)
@given(points=st.lists(
    st.tuples(st.floats(1e-3, 1e6, allow_nan=False), st.floats(0.0, 1e300, allow_nan=False)),
    min_size=1, max_size=50, unique_by=lambda p: p[0],
))
def test_csv_round_trip_is_exact(tmp_path_factory: pytest.TempPathFactory,
                                 points: list[tuple[float, float]]) -> None:
    mz, intensity = (np.array(c, dtype=np.float64) for c in zip(*points, strict=True))
    path = tmp_path_factory.mktemp("csv") / "p.csv"
    write_csv(Spectrum(mz=mz, intensity=intensity), path)
    back = read_spectrum(path)
    order = np.argsort(mz)
    np.testing.assert_array_equal(back.mz, mz[order])
    np.testing.assert_array_equal(back.intensity, intensity[order])


@pytest.mark.parametrize("writer", [write_csv, write_mzml])
def test_writers_refuse_other_objects(tmp_path: Path, writer: Any) -> None:
    with pytest.raises(TypeError, match=r"spectrum must be a Spectrum, got dict"):
        writer({"mz": [1.0]}, tmp_path / "x")
    assert files_in(tmp_path) == []


# ------------------------------------------------------------------------------ atomic


@pytest.mark.parametrize("writer", [write_csv, write_mzml])
def test_overwrite_false_keeps_an_existing_file(tmp_path: Path, writer: Any) -> None:
    path = tmp_path / "keep.out"
    path.write_bytes(b"precious")
    with pytest.raises(OutputError, match=r"keep.out exists; pass overwrite=True"):
        writer(Spectrum(mz=MZ, intensity=INTENSITY), path, overwrite=False)
    assert path.read_bytes() == b"precious"
    assert files_in(tmp_path) == ["keep.out"]


@pytest.mark.parametrize("writer", [write_csv, write_mzml])
def test_overwrite_replaces_an_existing_file(tmp_path: Path, writer: Any) -> None:
    path = tmp_path / "old.out"
    path.write_bytes(b"old")
    path.chmod(0o640)
    writer(Spectrum(mz=MZ, intensity=INTENSITY), path)
    np.testing.assert_array_equal(read_spectrum(path).mz, MZ)
    assert path.stat().st_mode & 0o777 == 0o640  # the replaced file's mode is kept
    assert files_in(tmp_path) == ["old.out"]


def test_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_csv(Spectrum(mz=MZ, intensity=INTENSITY), tmp_path / "new.csv")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644


def test_failure_in_the_mzml_writer_leaves_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from psims.mzml import components

    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    path = tmp_path / "target.mzML"
    path.write_bytes(b"previous version")
    monkeypatch.setattr(components.Spectrum, "write", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_mzml(Spectrum(mz=MZ, intensity=INTENSITY), path)
    assert path.read_bytes() == b"previous version"
    assert files_in(tmp_path) == ["target.mzML"]


def test_atomic_write_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    with pytest.raises(ValueError, match="half way"), atomic_write(path) as fh:
        fh.write("<html>")
        raise ValueError("half way")
    assert files_in(tmp_path) == []


def test_atomic_write_text_and_binary(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "a.txt") as fh:
        fh.write("µ\r\nline\n")
    assert (tmp_path / "a.txt").read_bytes() == "µ\r\nline\n".encode()
    with atomic_write(tmp_path / "b.bin", binary=True) as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert files_in(tmp_path) == ["a.txt", "b.bin"]


def test_atomic_write_is_invisible_until_complete(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("old")
    with atomic_write(path) as fh:
        fh.write("new")
        fh.flush()
        assert path.read_text() == "old"
    assert path.read_text() == "new"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/dir/out.csv", r"directory .*missing/dir does not exist"),
        ("folder", r"folder: it is a directory"),
    ],
)
def test_atomic_write_bad_targets(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match=message), atomic_write(tmp_path / target) as fh:
        fh.write("x")
    assert files_in(tmp_path) == ["folder"]


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root may write into read-only directories")
def test_atomic_write_read_only_directory(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"cannot write .*ro/out.csv"):
            write_csv(Spectrum(mz=MZ, intensity=INTENSITY), folder / "out.csv")
    finally:
        folder.chmod(0o755)
