"""Tests for clusterms.spectra.readers (text, mzML, mzXML; plain and gzip).

Real instrument files come from ../shared/data/real-ms (see its MANIFEST.tsv); every fact
asserted about them is read independently with pyteomics (and pynumpress when installed)
in the test itself. The two UniDec text files are used under UniDec's licence: Marty et
al., Anal. Chem. 2015, 87, 4370-4376.
"""

from __future__ import annotations

import base64
import gzip
import os
import tempfile
import warnings
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterms.errors import ClustermsWarning, InputFileError, OptionError
from clusterms.spectra import numpress
from clusterms.spectra.readers import read_spectra, read_spectrum
from clusterms.spectra.scan_combine import combine
from clusterms.spectra.spectrum import Spectrum

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-ms"
real = pytest.mark.skipif(
    not REAL.is_dir(),
    reason=f"real instrument files not found at {REAL} (../shared beside the repo)",
)

WATERS = "waters_ATEHLSTLSEK_profile_indexed.mzML"
WATERS_SRM = "waters_160109_Mix1_calcurve_070_SRM.mzML"
NUMPRESS_SLOF = "openms_FileFilter_37_numpress_linear_slof.mzML"
NUMPRESS_PIC = "pymzml_mini_numpress_linear_pic.chrom.mzML"
BRUKER = "bruker_Hela_PASEF_combineIMS.mzML"
UIMF = "uimf_BSA_10ugml_CID_drifttime.mzML"
QE_MZXML = "thermo_QE_microscans.mzXML"
SWITCHING = "thermo_ginkgotoxin_polarity_switching.mzML"
GROEL_TXT = "unidec_GroEL_native_export.txt"
BSA_TXT = "unidec_BSA_headerless.txt"


# ------------------------------------------------------------------------- the oracle


@cache
def _psi_ms() -> Any:
    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    resource = files("psims.controlled_vocabulary.vendor") / "psi-ms.obo.gz"
    with resource.open("rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        return ControlledVocabulary.from_obo(fh)


@contextmanager
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@cache
def oracle(name: str) -> tuple[dict[str, Any], ...]:
    """Every spectrum of a real mzML/mzXML file as pyteomics reads it (arrays decoded
    when pyteomics can: not for numpress without pynumpress)."""
    from pyteomics import mzml, mzxml

    path = str(REAL / name)
    with _quiet():
        if name.endswith(".mzXML"):
            with mzxml.MzXML(path) as reader:
                return tuple(reader)
        decode = name != NUMPRESS_SLOF or _has_pynumpress()
        with mzml.MzML(path, cv=_psi_ms(), decode_binary=decode) as reader:
            return tuple(reader)


def _has_pynumpress() -> bool:
    try:
        import pynumpress  # noqa: F401
    except ImportError:
        return False
    return True


def _polarity(spec: dict[str, Any]) -> str | None:
    if "positive scan" in spec:
        return "positive"
    if "negative scan" in spec:
        return "negative"
    return None


def _sorted_arrays(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    mz = np.asarray(spec["m/z array"], dtype=np.float64)
    intensity = np.asarray(spec["intensity array"], dtype=np.float64)
    order = np.argsort(mz, kind="stable")
    return mz[order], intensity[order]


def write(tmp_path: Path, content: bytes, name: str = "spectrum.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# -------------------------------------------------------------------------- text files

TEXT_VARIANTS = [
    # (label, content, expected m/z, expected intensity)
    ("tab", b"1603.25\t1200.5\n1604.25\t100\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("comma with header", b"m/z,intensity\n1603.25,1200.5\n1604.25,100\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("comma and space", b"1603.25, 1200.5\n1604.25, 100\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("semicolon", b"1603.25;1200.5\n1604.25;100\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("spaces", b"  1603.25   1200.5\n  1604.25   100\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("scientific", b"1.60325e+03 1.2005E3\n1.60425e3 1e2\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("decimal comma, semicolon", b"1603,25;1200,5\n1604,25;100\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("decimal comma, tab", b"1603,25\t1200,5\n1604,25\t100\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("decimal comma, space", b"1603,25 1200,5\n1604,25 100\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("decimal comma after integer rows", b"1600\t0\n1601\t0\n1602\t0\n1603,5\t2,5\n",
     [1600.0, 1601.0, 1602.0, 1603.5], [0.0, 0.0, 0.0, 2.5]),
    ("quoted decimal comma", b'"m/z";"I"\n"1603,25";"1200,5"\n"1604,25";"100"\n',
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("thermo-like header", b"SPECTRUM - MS\nx.RAW\nScan #: 4-98\nRT: 0.05-1.29\nAV: 95\n"
     b"Data points: 2\nMass\tIntensity\n1603.25\t1200.5\n1604.25\t100", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("header with two numbers", b"Range 2000 40000\nm/z\tI\n1603.25\t1200.5\n1604.25\t100\n",
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("latin-1 header", "m/z (µ);Intensität\n1603,25;1200,5\n1604,25;100\n".encode("latin-1"),
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("utf-8 BOM", "\ufeffm/z (µ),Intensität\n1603.25,1200.5\n1604.25,100\n".encode(),
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("utf-16 BOM", "m/z\tI\n1603.25\t1200.5\n1604.25\t100\n".encode("utf-16"),
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("utf-16 without BOM", "m/z\tI\n1603.25\t1200.5\n1604.25\t100\n".encode("utf-16-le"),
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("CRLF", b"m/z\tI\r\n1603.25\t1200.5\r\n1604.25\t100\r\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("CR only", b"m/z\tI\r1603.25\t1200.5\r1604.25\t100\r", [1603.25, 1604.25], [1200.5, 100.0]),
    ("no trailing newline", b"1603.25\t1200.5\n1604.25\t100", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("extra columns", b"1603.25\t1200.5\t3\tpeak a\n1604.25\t100\t4\tpeak b\n",
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("text column first", b"A1,1603.25,1200.5\nA2,1604.25,100\n", [1603.25, 1604.25],
     [1200.5, 100.0]),
    ("blank and comment lines", b"# m/z I\n1603.25\t1200.5\n\n# note\n1604.25\t100\n  \n",
     [1603.25, 1604.25], [1200.5, 100.0]),
    ("one row", b"m/z\tI\n1603.25\t1200.5\n", [1603.25], [1200.5]),
    ("descending", b"1604.25\t100\n1603.25\t1200.5\n", [1603.25, 1604.25], [1200.5, 100.0]),
    ("DOS end-of-file mark", b"1603.25\t1200.5\n1604.25\t100\n\x1a", [1603.25, 1604.25],
     [1200.5, 100.0]),
]


@pytest.mark.parametrize(("label", "content", "mz", "intensity"), TEXT_VARIANTS,
                         ids=[v[0] for v in TEXT_VARIANTS])
def test_text_variants(tmp_path: Path, label: str, content: bytes, mz: list[float],
                       intensity: list[float]) -> None:
    spectrum = read_spectrum(write(tmp_path, content))
    assert spectrum.mz.tolist() == mz
    assert spectrum.intensity.tolist() == intensity
    assert spectrum.metadata["format"] == "text"
    assert spectrum.polarity is None and spectrum.mode is None


@pytest.mark.parametrize("label", ["tab", "decimal comma, semicolon", "thermo-like header"])
def test_gzip_text_by_content_not_name(tmp_path: Path, label: str) -> None:
    _, content, mz, intensity = next(v for v in TEXT_VARIANTS if v[0] == label)
    path = write(tmp_path, gzip.compress(content), "no_extension")
    spectrum = read_spectrum(path)
    assert spectrum.mz.tolist() == mz and spectrum.intensity.tolist() == intensity
    assert spectrum.metadata["compression"] == "gzip"


def test_text_metadata(tmp_path: Path) -> None:
    content = "Sample: Au25\nm/z (µ);Intensität\n1603,25;1200,5\n1604,25;100\n".encode("latin-1")
    meta = read_spectrum(write(tmp_path, content)).metadata
    assert meta["columns"] == ("m/z (µ)", "Intensität")
    assert meta["header"] == ("Sample: Au25", "m/z (µ);Intensität")
    assert (meta["delimiter"], meta["decimal"], meta["first_data_line"]) == ("semicolon", ",", 3)
    assert meta["source_file"] == "spectrum.txt"


def test_polarity_option_labels_a_text_spectrum(tmp_path: Path) -> None:
    path = write(tmp_path, b"1603.25\t1200.5\n1604.25\t100\n")
    assert read_spectrum(path, polarity="negative").polarity == "negative"


@pytest.mark.parametrize(
    ("content", "kept_mz", "message"),
    [
        (b"1603.25\t1200.5\n1604.25\tnan\n1605\t3\n", [1603.25, 1605.0],
         r"dropped 1 of 3 rows of spectrum.txt: 1 with NaN or infinite values \(first at line 2\)"),
        (b"m/z\tI\n1603.25\t1200.5\n1604.25\tinf\n1605\t-inf\n", [1603.25],
         r"dropped 2 of 3 rows .*2 with NaN or infinite values \(first at line 3\)"),
        (b"1603.25\t1200.5\n1604.25\t-3\n1605\t3\n", [1603.25, 1605.0],
         r"1 with negative intensity \(first at line 2\)"),
        (b"1603.25\t1200.5\nNaN\t3\n-5\t3\n1605\t3\n", [1603.25, 1605.0],
         r"dropped 2 of 4 rows.*NaN or infinite.*m/z <= 0"),
    ],
)
def test_bad_rows_are_dropped_with_a_warning(tmp_path: Path, content: bytes,
                                             kept_mz: list[float], message: str) -> None:
    with pytest.warns(ClustermsWarning, match=message):
        spectrum = read_spectrum(write(tmp_path, content))
    assert spectrum.mz.tolist() == kept_mz


def test_unsorted_rows_are_sorted_silently(tmp_path: Path) -> None:
    spectrum = read_spectrum(write(tmp_path, b"1605\t3\n1603.25\t1200.5\n1604.25\t100\n"))
    assert spectrum.mz.tolist() == [1603.25, 1604.25, 1605.0]
    assert spectrum.intensity.tolist() == [1200.5, 100.0, 3.0]


def test_duplicated_mz_are_summed_with_a_warning(tmp_path: Path) -> None:
    content = b"1604.25\t100\n1603.25\t1200.5\n1604.25\t50\n1603.25\t0.5\n1605\t1\n"
    with pytest.warns(ClustermsWarning, match=r"merged 4 rows .* into 2 \(intensities summed\)"):
        spectrum = read_spectrum(write(tmp_path, content))
    assert spectrum.mz.tolist() == [1603.25, 1604.25, 1605.0]
    assert spectrum.intensity.tolist() == [1201.0, 150.0, 1.0]


def test_footer_after_the_data_is_ignored_with_a_warning(tmp_path: Path) -> None:
    content = b"1603.25\t1200.5\n1604.25\t100\n1605\t3\nEnd of spectrum\n"
    with pytest.warns(ClustermsWarning, match=r"ignored 1 non-numeric line.*line 4"):
        spectrum = read_spectrum(write(tmp_path, content))
    assert spectrum.mz.tolist() == [1603.25, 1604.25, 1605.0]


def test_large_text_file_is_parsed_in_bulk(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    mz = np.sort(rng.uniform(500.0, 5000.0, 300_000))
    mz = mz[np.concatenate(([True], np.diff(mz) > 0))]
    intensity = rng.uniform(0.0, 1e6, mz.size)
    body = "".join(f"{a!r}\t{b!r}\n" for a, b in zip(mz.tolist(), intensity.tolist(), strict=True))
    spectrum = read_spectrum(write(tmp_path, ("Mass\tIntensity\n" + body).encode()))
    np.testing.assert_array_equal(spectrum.mz, mz)
    np.testing.assert_array_equal(spectrum.intensity, intensity)


# ------------------------------------------------------------------------------ errors

TEXT_ERRORS = [
    ("empty", b"", r"is empty \(0 bytes\)"),
    ("blank", b"  \n\n\t\n", r"no rows of two numbers"),
    ("header only", b"m/z\tintensity\n", r"no rows of two numbers"),
    ("prose", b"This is not a spectrum.\nJust words, 1 number.\n", r"no rows of two numbers"),
    ("single column", b"m/z\n1603.25\n1604.25\n1605\n", r"single numeric column \(line 2"),
    ("bad line inside the block", b"1603.25\t1200.5\n1604.25\t100\n16x05\t3\n1606\t2\n",
     r"spectrum.txt, line 3: expected numbers in columns 1 and 2.*'16x05\\t3'"),
    ("missing intensity", b"1603.25\t1200.5\n1604.25\t100\n1605\n1606\t2\n1607\t1\n",
     r"line 3: expected numbers"),
    ("binary garbage", bytes(range(256)) * 4, r"not a text spectrum: NUL byte at offset 0"),
    ("control bytes", b"1603.25\t1200.5\n\x03\x04\x05\x06\n", r"control byte 0x03 at line 2"),
    ("utf-32 without BOM", "1603.25\t1200.5\n".encode("utf-32-le"), r"NUL byte"),
    ("bad utf-16 after BOM", b"\xff\xfe1\x00\x00\xd8", r"UTF-16 byte-order mark but byte"),
    ("HDF5", b"\x89HDF\r\n\x1a\n" + bytes(100), r"an HDF5 file"),
    ("SQLite", b"SQLite format 3\x00" + bytes(100), r"SQLite database"),
    ("zip", b"PK\x03\x04" + bytes(100), r"zip archive"),
    ("bzip2", b"BZh91AY&SY" + bytes(100), r"bzip2-compressed"),
    ("thermo raw", b"\x01\xa1" + "Finnigan".encode("utf-16-le") + bytes(100), r"Thermo \.raw"),
    ("html", b"<!DOCTYPE html><html><body>404</body></html>", r"root element <html>"),
    ("mzData", b"<?xml version='1.0'?>\n<mzData version='1.05'></mzData>", r"<mzData>"),
    ("xml without element", b"<?xml version='1.0'?>", r"first element cannot be found"),
    ("truncated mzML", b"<?xml version='1.0'?><mzML><run><spectrumList><spectrum id='a'>",
     r"not a readable mzML file: it is malformed or truncated"),
    ("truncated mzXML", b"<?xml version='1.0'?><mzXML><msRun><scan num='1'",
     r"not a readable mzXML file"),
    ("mzML without spectra", b"<?xml version='1.0'?><mzML><run></run></mzML>",
     r"contains no spectra"),
    ("gzip in gzip", gzip.compress(gzip.compress(b"1 2\n")), r"gzip inside gzip"),
    ("empty gzip", gzip.compress(b""), r"empty once gzip-decompressed"),
    ("truncated gzip", gzip.compress(b"1603.25\t1200.5\n" * 1000)[:-20],
     r"damaged or truncated gzip data"),
]


@pytest.mark.parametrize(("label", "content", "message"), TEXT_ERRORS,
                         ids=[e[0] for e in TEXT_ERRORS])
def test_bad_files_raise_input_file_error(tmp_path: Path, label: str, content: bytes,
                                          message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InputFileError, match=message) as info:
        read_spectrum(path)
    assert "\n" not in str(info.value)  # one line, for the command line
    assert path.name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.mzML: no such file"):
        read_spectrum(tmp_path / "nope.mzML")


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "run.d"
    folder.mkdir()
    with pytest.raises(InputFileError, match=r"run\.d is a directory.*msconvert"):
        read_spectrum(folder)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"1 2\n3 4\n")
    path.chmod(0)
    with pytest.raises(InputFileError, match=r"permission denied"):
        read_spectrum(path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"combine": "median"}, r"combine must be 'sum' or 'mean', got 'median'"),
        ({"polarity": "+"}, r"polarity must be 'positive', 'negative' or None, got '\+'"),
        ({"ms_level": 0}, r"ms_level must be a positive int or None, got 0"),
        ({"ms_level": True}, r"ms_level must be"),
        ({"scan": 1, "time_range": (0, 1)}, r"at most one of scan, scans and time_range"),
        ({"scan": -1}, r"scan index must be >= 0"),
        ({"scan": 1.5}, r"scan must name scans by int index or str id"),
        ({"scans": "scan=1"}, r"scans must be a list"),
        ({"scans": []}, r"scans is empty"),
        ({"time_range": (2, 1)}, r"lo <= hi"),
        ({"time_range": (0, float("nan"))}, r"finite"),
        ({"time_range": 5}, r"time_range must be \(lo, hi\)"),
    ],
)
def test_bad_options_raise_option_error(tmp_path: Path, options: dict[str, Any],
                                        message: str) -> None:
    path = write(tmp_path, b"1603.25\t1200.5\n")
    with pytest.raises(OptionError, match=message):
        read_spectrum(path, **options)


def test_scan_options_do_not_apply_to_text(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"spectrum.txt is a text spectrum"):
        read_spectrum(write(tmp_path, b"1603.25\t1200.5\n"), scan=0)


def test_nul_in_file_name(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"not a valid file name"):
        read_spectrum(str(tmp_path / "a\x00b.txt"))


def test_path_must_be_a_path() -> None:
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike, got int"):
        read_spectrum(3)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(
    st.binary(max_size=600),
    st.text(alphabet="0123456789.,;\t \n-+eEaN#\r\"", max_size=400).map(str.encode),
    st.binary(max_size=300).map(gzip.compress),
    st.binary(max_size=200).map(lambda b: b"<?xml version='1.0'?><mzML>" + b),
))
def test_any_bytes_give_a_spectrum_or_input_file_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.bin"
        path.write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClustermsWarning)
            try:
                spectrum = read_spectrum(path)
            except InputFileError:
                return
    assert isinstance(spectrum, Spectrum)
    assert len(spectrum) > 0
    assert np.all(np.isfinite(spectrum.mz)) and np.all(spectrum.intensity >= 0)
    assert np.all(np.diff(spectrum.mz) > 0)


# ----------------------------------------------------------------------------- numpress

#: Agreement with pynumpress for SLOF: a few ulp of exp(), CPU-independent; the format itself
#: only guarantees ~1e-4 relative, so a wrong decoder is still caught by many orders of magnitude.
SLOF_RTOL = 1e-12


def test_numpress_decoders_match_pynumpress() -> None:
    pynumpress = pytest.importorskip("pynumpress")
    rng = np.random.default_rng(3)
    for n in (2, 3, 17, 1000):
        mz = np.sort(rng.uniform(100.0, 4000.0, n))
        encoded = bytes(pynumpress.encode_linear(mz, pynumpress.optimal_linear_fixed_point(mz)))
        expected = pynumpress.decode_linear(np.frombuffer(encoded, dtype=np.uint8))
        np.testing.assert_array_equal(numpress.decode_linear(encoded), expected)
        counts = np.round(rng.uniform(0.0, 1e6, n)) * (rng.uniform(size=n) > 0.5)
        encoded = bytes(pynumpress.encode_pic(counts))
        np.testing.assert_array_equal(numpress.decode_pic(encoded), counts)
        encoded = bytes(pynumpress.encode_slof(counts, pynumpress.optimal_slof_fixed_point(counts)))
        expected = pynumpress.decode_slof(np.frombuffer(encoded, dtype=np.uint8))
        # SLOF decodes exp(k / fixed_point) - 1: libm and numpy may round exp differently by an
        # ulp on some CPUs. The format quantises to ~1/fixed_point relative, far above 1e-12.
        np.testing.assert_allclose(numpress.decode_slof(encoded), expected, rtol=SLOF_RTOL, atol=0)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80))
def test_numpress_decoders_reject_damaged_streams_cleanly(data: bytes) -> None:
    for decoder in (numpress.decode_linear, numpress.decode_pic, numpress.decode_slof):
        try:
            values = decoder(data)
        except numpress.NumpressError:
            continue
        assert values.dtype == np.float64


@real
def test_numpress_pic_accession_wins_over_a_wrong_name() -> None:
    from lxml import etree

    tree = etree.parse(str(REAL / NUMPRESS_PIC))
    ns = {"m": "http://psi.hupo.org/ms/mzml"}
    chromatogram = tree.find(".//m:chromatogram", ns)
    length = int(chromatogram.get("defaultArrayLength"))
    arrays = chromatogram.findall(".//m:binaryDataArray", ns)
    terms = [{p.get("accession"): p.get("name") for p in a.findall("m:cvParam", ns)}
             for a in arrays]
    # The file names both arrays "linear prediction"; the accessions say linear and pic.
    assert terms[0]["MS:1002312"] == terms[1]["MS:1002313"] == (
        "MS-Numpress linear prediction compression"
    )
    times = numpress.decode_linear(base64.b64decode(arrays[0].findtext("m:binary", namespaces=ns)))
    counts = numpress.decode_pic(base64.b64decode(arrays[1].findtext("m:binary", namespaces=ns)))
    assert times.size == counts.size == length == 176
    assert np.all(np.diff(times) > 0)
    assert np.all(counts >= 0) and np.all(counts == np.round(counts))


# ------------------------------------------------------------------------ real mzML files


@real
def test_waters_profile_single_scan_matches_pyteomics() -> None:
    spectra = oracle(WATERS)
    spec = spectra[1]
    assert spec["ms level"] == 1
    spectrum = read_spectrum(REAL / WATERS, scan=1)
    mz, intensity = _sorted_arrays(spec)
    assert len(spectrum) == spec["defaultArrayLength"] == mz.size == 172_540
    np.testing.assert_array_equal(spectrum.mz, mz)
    np.testing.assert_array_equal(spectrum.intensity, intensity)
    assert spectrum.polarity == _polarity(spec) == "positive"
    assert spectrum.mode == "profile" and "profile spectrum" in spec
    meta = spectrum.metadata
    assert meta["scan_ids"] == (spec["id"],) == ("function=1 process=0 scan=1",)
    assert meta["instrument"] == "Waters instrument model"
    assert meta["time_min"] == pytest.approx(spec["scanList"]["scan"][0]["scan start time"])


@real
def test_waters_scan_by_native_id_and_by_parts() -> None:
    whole = read_spectrum(REAL / WATERS, scan="function=1 process=0 scan=1")
    parts = read_spectrum(REAL / WATERS, scan="function=1 scan=1")
    np.testing.assert_array_equal(whole.mz, parts.mz)
    with pytest.raises(InputFileError, match=r"scan 'scan=1' matches 3 spectra.*give the whole id"):
        read_spectrum(REAL / WATERS, scan="scan=1", ms_level=None)


@real
def test_waters_default_sums_every_ms1_scan() -> None:
    spectra = oracle(WATERS)
    ms1 = [s for s in spectra if s["ms level"] == 1]
    spectrum = read_spectrum(REAL / WATERS)
    assert spectrum.metadata["scan_ids"] == tuple(s["id"] for s in ms1)
    assert spectrum.metadata["n_scans"] == len(ms1) == 3
    assert spectrum.metadata["combine"] == "sum" and spectrum.mode == "profile"
    # Every scan's own samples are on the combined grid, each at least that scan's value.
    for spec in ms1:
        mz, intensity = _sorted_arrays(spec)
        at = np.searchsorted(spectrum.mz, mz)
        np.testing.assert_array_equal(spectrum.mz[at], mz)
        assert np.all(spectrum.intensity[at] >= intensity)
    mean = read_spectrum(REAL / WATERS, combine="mean")
    np.testing.assert_allclose(mean.intensity * 3, spectrum.intensity, rtol=1e-12)


@real
def test_no_scan_of_the_requested_polarity() -> None:
    ms1 = [s for s in oracle(WATERS) if s["ms level"] == 1]
    assert {_polarity(s) for s in ms1} == {"positive"}
    with pytest.raises(InputFileError, match=rf"has no negative MS1 spectra \({len(ms1)} positive\)"):
        read_spectrum(REAL / WATERS, polarity="negative")


@real
def test_waters_ms2_scan_carries_precursor_and_collision_energy() -> None:
    spectra = oracle(WATERS)
    index = next(i for i, s in enumerate(spectra) if s["ms level"] == 2)
    precursor = spectra[index]["precursorList"]["precursor"][0]
    with pytest.raises(InputFileError, match=r"is MS2, not MS1; pass ms_level=2"):
        read_spectrum(REAL / WATERS, scan=index)
    spectrum = read_spectrum(REAL / WATERS, scan=index, ms_level=2)
    ion = precursor["selectedIonList"]["selectedIon"][0]["selected ion m/z"]
    assert spectrum.metadata["precursor_mz"] == pytest.approx(ion)
    assert spectrum.metadata["collision_energy"] == precursor["activation"]["collision energy"]
    assert spectrum.metadata["ms_level"] == 2


@real
def test_waters_srm_file_has_no_ms1() -> None:
    spectra = oracle(WATERS_SRM)
    assert {s["ms level"] for s in spectra} == {2}
    with pytest.raises(InputFileError, match=rf"no MS1 spectra \(it has {len(spectra)} MS2\); "
                                             r"choose it with --ms-level 2 \(ms_level=2 in Python\)"):
        read_spectrum(REAL / WATERS_SRM)
    spectrum = read_spectrum(REAL / WATERS_SRM, ms_level=2, scans=[0, 1])
    assert spectrum.metadata["scan_ids"] == (spectra[0]["id"], spectra[1]["id"])


@real
def test_numpress_slof_file() -> None:
    spectra = oracle(NUMPRESS_SLOF)
    ms1 = [s for s in spectra if s["ms level"] == 1]
    first = read_spectrum(REAL / NUMPRESS_SLOF, scan=0)
    assert len(first) == ms1[0]["defaultArrayLength"] == 787
    assert first.polarity == _polarity(ms1[0]) == "positive"
    assert first.mode is None  # the file says only "spectrum representation"
    if _has_pynumpress():
        mz, intensity = _sorted_arrays(ms1[0])
        np.testing.assert_array_equal(first.mz, mz)
        # The intensities are SLOF (exp-based): equal to the rounding of exp, not bit for bit.
        np.testing.assert_allclose(first.intensity, intensity, rtol=SLOF_RTOL, atol=0)
    # Values decoded with pyteomics + pynumpress when this test was written:
    np.testing.assert_allclose(first.mz[:3], [500.1458, 501.0566, 501.264], atol=5e-5)
    combined = read_spectrum(REAL / NUMPRESS_SLOF)
    assert combined.metadata["n_scans"] == len(ms1) == 4
    # Unknown mode: peaks are pooled, so the total ion current is kept exactly.
    singles = [read_spectrum(REAL / NUMPRESS_SLOF, scan=s["index"]) for s in ms1]
    assert combined.tic == pytest.approx(sum(s.tic for s in singles), rel=1e-12)


@real
def test_chromatogram_only_file_is_a_clear_error() -> None:
    assert oracle(NUMPRESS_PIC) == ()
    with pytest.raises(InputFileError, match=r"contains no spectra .*chromatograms"):
        read_spectrum(REAL / NUMPRESS_PIC)
    with pytest.raises(InputFileError, match=r"contains no spectra"):
        read_spectra(REAL / NUMPRESS_PIC)


@real
def test_bruker_ion_mobility_file() -> None:
    spectra = oracle(BRUKER)
    (ms1,) = [s for s in spectra if s["ms level"] == 1]  # one MS1 frame, the rest MS2
    assert "mean ion mobility array" in ms1
    with pytest.warns(ClustermsWarning, match=r"repeat an m/z value"):
        spectrum = read_spectrum(REAL / BRUKER)
    meta = spectrum.metadata
    assert meta["scan_ids"] == (ms1["id"],)
    assert meta["instrument"] == "Bruker Daltonics instrument model"
    assert meta["ignored_arrays"] == ("mean ion mobility array",)
    assert spectrum.polarity == _polarity(ms1) == "positive"
    assert spectrum.mode is None  # no profile/centroid term in the file
    # The same m/z at several mobilities: merged, so the total ion current is kept.
    np.testing.assert_array_equal(spectrum.mz, np.unique(ms1["m/z array"]))
    expected_tic = float(np.sum(ms1["intensity array"], dtype=np.float64))
    assert spectrum.tic == pytest.approx(expected_tic, rel=1e-12)
    start = ms1["scanList"]["scan"][0]["scan start time"]
    assert start.unit_info == "second"
    assert meta["time_min"] == pytest.approx(start / 60)


@real
def test_uimf_drift_time_file_without_polarity() -> None:
    spectra = oracle(UIMF)
    ms1 = [s for s in spectra if s["ms level"] == 1]
    assert all(_polarity(s) is None for s in spectra)
    spectrum = read_spectrum(REAL / UIMF)
    assert spectrum.polarity is None and spectrum.mode == "profile"
    assert spectrum.metadata["n_scans"] == len(ms1)
    single = read_spectrum(REAL / UIMF, scan=0)
    drift = spectra[0]["scanList"]["scan"][0]["ion mobility drift time"]
    assert single.metadata["drift_time_ms"] == pytest.approx(drift)
    assert len(single) == spectra[0]["defaultArrayLength"]
    # Scans that record no polarity cannot contradict the polarity asked for: read, still unrecorded
    # (the caller, e.g. assign --polarity, says which polarity it assumes).
    asked = read_spectrum(REAL / UIMF, polarity="positive")
    assert asked.polarity is None and np.array_equal(asked.intensity, spectrum.intensity)


@real
def test_thermo_mzxml() -> None:
    scans = oracle(QE_MZXML)
    assert [s["msLevel"] for s in scans] == [1, 1, 1, 1]
    spectrum = read_spectrum(REAL / QE_MZXML, scan="210")
    first = scans[0]
    assert first["num"] == "210"
    mz, intensity = _sorted_arrays(first)
    assert len(spectrum) == first["peaksCount"] == 2926
    np.testing.assert_array_equal(spectrum.mz, mz)
    np.testing.assert_array_equal(spectrum.intensity, intensity)
    assert spectrum.polarity == "positive" and first["polarity"] == "+"
    assert spectrum.mode == "profile" and first["centroided"] is False
    assert spectrum.metadata["time_min"] == pytest.approx(first["retentionTime"])
    assert spectrum.metadata["instrument"] == "Thermo Scientific Q Exactive"
    assert read_spectrum(REAL / QE_MZXML, scan="scan=210").metadata["scan_ids"] == ("scan=210",)
    combined = read_spectrum(REAL / QE_MZXML)
    assert combined.metadata["n_scans"] == 4


@real
def test_polarity_switching_with_bad_index_offsets() -> None:
    spectra = oracle(SWITCHING)
    text = (REAL / SWITCHING).read_text()
    first_offset = int(text.split('<offset idRef="')[1].split(">")[1].split("<")[0])
    assert text[first_offset: first_offset + 9] != "<spectrum"  # the index is off
    polarities = [_polarity(s) for s in spectra]
    with pytest.warns(ClustermsWarning, match=r"both polarities.*polarity='positive'"):
        default = read_spectrum(REAL / SWITCHING)
    assert default.polarity == polarities[0] == "negative"
    assert default.metadata["n_scans"] == polarities.count("negative") == 16
    assert default.mode == "centroid"
    positive = read_spectrum(REAL / SWITCHING, polarity="positive")
    assert positive.metadata["n_scans"] == polarities.count("positive") == 16
    expected = sum(float(np.sum(s["intensity array"], dtype=np.float64))
                   for s, p in zip(spectra, polarities, strict=True) if p == "positive")
    assert positive.tic == pytest.approx(expected, rel=1e-12)
    for index in (0, 1, 30, 31):
        single = read_spectrum(REAL / SWITCHING, scan=index)
        assert single.polarity == polarities[index]
        assert single.metadata["scan_ids"] == (spectra[index]["id"],)
        assert len(single) == len(spectra[index]["m/z array"])
    with pytest.raises(InputFileError, match=r"has negative polarity, not positive"):
        read_spectrum(REAL / SWITCHING, scan=0, polarity="positive")
    with pytest.raises(OptionError, match=r"mix positive and negative"):
        read_spectrum(REAL / SWITCHING, scans=[0, 1])


@real
def test_time_range_selects_scans() -> None:
    spectra = oracle(SWITCHING)
    times = [s["scanList"]["scan"][0]["scan start time"] for s in spectra]
    lo, hi = 2.9, 3.0
    expected = [s["id"] for s, t in zip(spectra, times, strict=True)
                if lo <= t <= hi and _polarity(s) == "negative"]
    with pytest.warns(ClustermsWarning, match="both polarities"):
        spectrum = read_spectrum(REAL / SWITCHING, time_range=(lo, hi))
    assert spectrum.metadata["scan_ids"] == tuple(expected) and expected
    with pytest.raises(InputFileError, match=r"no MS1 spectra between 10 and 11 min .*span"):
        read_spectrum(REAL / SWITCHING, time_range=(10, 11))


@real
def test_scan_out_of_range_and_unknown_id() -> None:
    count = len(oracle(SWITCHING))
    with pytest.raises(InputFileError, match=rf"scan index {count} is out of range: "
                                             rf".* has {count} spectra \(indices 0-{count - 1}\)"):
        read_spectrum(REAL / SWITCHING, scan=count)
    with pytest.raises(InputFileError, match=r"no spectrum with id 'scan=999' .*ids look like"):
        read_spectrum(REAL / SWITCHING, scan="scan=999")


@real
def test_read_spectra_gives_every_scan() -> None:
    spectra = oracle(SWITCHING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        every = read_spectra(REAL / SWITCHING)
    assert [s.metadata["scan_id"] for s in every] == [s["id"] for s in spectra]
    assert [s.polarity for s in every] == [_polarity(s) for s in spectra]
    with pytest.raises(InputFileError, match=r"no MS2 spectra \(it has 32 MS1\)"):
        read_spectra(REAL / SWITCHING, ms_level=2)


@real
def test_gzip_mzml_and_wrong_extension(tmp_path: Path) -> None:
    source = (REAL / SWITCHING).read_bytes()
    gz = write(tmp_path, gzip.compress(source), "run.mzML.gz")
    txt = write(tmp_path, source, "run.txt")
    reference = read_spectrum(REAL / SWITCHING, polarity="positive")
    for path in (gz, txt):
        spectrum = read_spectrum(path, polarity="positive")
        np.testing.assert_array_equal(spectrum.mz, reference.mz)
        np.testing.assert_array_equal(spectrum.intensity, reference.intensity)


@real
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_real_mzml_is_an_input_file_error(tmp_path: Path, fraction: float) -> None:
    source = (REAL / SWITCHING).read_bytes()
    path = write(tmp_path, source[: int(len(source) * fraction)], "cut.mzML")
    with pytest.raises(InputFileError, match=r"cut.mzML is not a readable mzML file.*truncated"):
        read_spectrum(path, polarity="negative")


@real
def test_damaged_binary_array_is_an_input_file_error(tmp_path: Path) -> None:
    text = (REAL / SWITCHING).read_text()
    start = text.index("<binary>") + len("<binary>")
    damaged = text[:start] + "AAAA" + text[start + 4:]  # breaks the zlib stream
    path = write(tmp_path, damaged.encode(), "damaged.mzML")
    with pytest.raises(InputFileError, match=r"damaged.mzML: spectrum .* cannot be decoded"):
        read_spectrum(path, scan=0)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0), flips=st.lists(st.tuples(st.floats(0.0, 1.0),
                                                        st.integers(0, 255)), max_size=4))
def test_damaged_mzml_gives_a_spectrum_or_input_file_error(small_mzml: bytes, cut: float,
                                                           flips: list[tuple[float, int]]) -> None:
    data = bytearray(small_mzml[: max(1, int(len(small_mzml) * cut))] if cut < 0.999
                     else small_mzml)
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.mzML"
        path.write_bytes(bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClustermsWarning)
            try:
                read_spectrum(path)
            except InputFileError:
                pass


@pytest.fixture(scope="module")
def small_mzml(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from clusterms.spectra.writers import write_mzml

    path = tmp_path_factory.mktemp("small") / "small.mzML"
    rng = np.random.default_rng(5)
    mz = np.sort(rng.uniform(500.0, 3000.0, 40))
    write_mzml(Spectrum(mz=mz, intensity=rng.uniform(0, 1e4, 40), polarity="negative",
                        mode="centroid"), path)
    return path.read_bytes()


# ----------------------------------------------------------------------- real text files


@real
def test_thermo_text_export() -> None:
    path = REAL / GROEL_TXT
    raw = path.read_bytes()
    assert not raw.endswith(b"\n")
    expected = np.loadtxt(path, skiprows=8)
    spectrum = read_spectrum(path)
    assert len(spectrum) == expected.shape[0] == 4935
    np.testing.assert_array_equal(spectrum.mz, expected[:, 0])
    np.testing.assert_array_equal(spectrum.intensity, expected[:, 1])
    meta = spectrum.metadata
    assert meta["columns"] == ("Mass", "Intensity")
    assert len(meta["header"]) == 8 and "Data points: 4935" in meta["header"]
    assert meta["first_data_line"] == 9
    assert spectrum.mz[-1] == 40456.915317


@real
def test_headerless_space_separated_text() -> None:
    path = REAL / BSA_TXT
    expected = np.loadtxt(path)
    spectrum = read_spectrum(path)
    assert len(spectrum) == expected.shape[0] == 41_503
    np.testing.assert_array_equal(spectrum.mz, expected[:, 0])
    np.testing.assert_array_equal(spectrum.intensity, expected[:, 1])
    assert np.mean(spectrum.intensity == 0) > 0.5
    assert read_spectra(path)[0].metadata["delimiter"] == "whitespace"


# ---------------------------------------------------------------------- files stay intact


@pytest.mark.parametrize("kind", ["text", "gzip text", "mzML"])
def test_reading_never_modifies_the_file(tmp_path: Path, kind: str,
                                         small_mzml: bytes) -> None:
    content = {
        "text": b"1603.25\t1200.5\n1604.25\tnan\n1603.25\t3\n",
        "gzip text": gzip.compress(b"1603.25\t1200.5\n1604.25\t100\n"),
        "mzML": small_mzml,
    }[kind]
    path = write(tmp_path, content, "input.dat")
    past = 1_600_000_000
    os.utime(path, (past, past))
    path.chmod(0o444)
    before = path.stat()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClustermsWarning)
        read_spectrum(path)
        read_spectra(path)
    after = path.stat()
    assert path.read_bytes() == content
    assert after.st_mtime_ns == before.st_mtime_ns and after.st_size == before.st_size
    assert after.st_mode == before.st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.dat"]


def test_text_with_no_valid_row_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"no valid rows: dropped 2 of 2 rows"):
        read_spectrum(write(tmp_path, b"1603.25\tnan\n0\t5\n"))


# ------------------------------------------------------------------------ combining scans


def _scan(mz: list[float], intensity: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(mz, dtype=np.float64), np.asarray(intensity, dtype=np.float64)


def test_profile_scans_on_one_grid_add_exactly() -> None:
    a = _scan([100.0, 100.1, 100.2], [1.0, 2.0, 3.0])
    b = _scan([100.0, 100.1, 100.2], [0.5, 0.25, 0.0])
    mz, total = combine([a, b], mode="profile", how="sum")
    assert mz.tolist() == [100.0, 100.1, 100.2] and total.tolist() == [1.5, 2.25, 3.0]
    _, mean = combine([a, b], mode="profile", how="mean")
    assert mean.tolist() == [0.75, 1.125, 1.5]


def test_profile_scans_on_shifted_grids_use_the_union_grid() -> None:
    a = _scan([100.0, 100.2, 100.4], [0.0, 4.0, 0.0])
    b = _scan([100.1, 100.3], [2.0, 2.0])
    mz, total = combine([a, b], mode="profile", how="sum")
    assert mz.tolist() == [100.0, 100.1, 100.2, 100.3, 100.4]
    # a interpolated at 100.1 and 100.3 (2.0 each); b is zero outside 100.1-100.3 and
    # interpolated at 100.2 (2.0).
    np.testing.assert_allclose(total, [0.0, 4.0, 6.0, 4.0, 0.0])


def test_profile_interpolation_never_bridges_a_gap() -> None:
    # Zero-intensity points were stripped between 100.2 and 105.0 in scan a.
    a = _scan([100.0, 100.1, 100.2, 105.0, 105.1, 105.2], [1.0, 5.0, 1.0, 2.0, 6.0, 2.0])
    b = _scan([102.0, 102.1, 102.2], [3.0, 3.0, 3.0])
    mz, total = combine([a, b], mode="profile", how="sum")
    inside = (mz > 100.2) & (mz < 105.0)
    np.testing.assert_array_equal(total[inside], [3.0, 3.0, 3.0])  # b alone: nothing of a


def test_centroid_scans_are_pooled_and_identical_mz_merged() -> None:
    a = _scan([100.0, 200.0], [1.0, 2.0])
    b = _scan([150.0, 200.0], [4.0, 8.0])
    for mode in ("centroid", None):
        mz, total = combine([a, b], mode=mode, how="sum")
        assert mz.tolist() == [100.0, 150.0, 200.0] and total.tolist() == [1.0, 4.0, 10.0]
    _, mean = combine([a, b], mode="centroid", how="mean")
    assert mean.tolist() == [0.5, 2.0, 5.0]


def test_profile_grids_shifted_by_a_hair_are_merged() -> None:
    grid = np.linspace(30.0, 40.0, 1001) ** 2  # TOF-like sampling
    signal = np.exp(-0.5 * ((grid - 1225.0) / 0.5) ** 2)
    a = (grid, signal)
    b = (grid * (1 + 1e-9), signal)  # recalibrated by a thousandth of a ppm
    mz, total = combine([a, b], mode="profile", how="sum")
    assert mz.size == grid.size  # not 2002 points
    np.testing.assert_allclose(total, 2 * signal, atol=1e-6)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
def test_bulk_numbers_are_the_same_whatever_the_chunk_size(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    from clusterms.spectra import read_text

    text = "1603.25\t1200.5\n1604.25 100\n\n-3e2\t.5\n7\t8"  # last line without a newline
    monkeypatch.setattr(read_text, "_CHUNK_CHARS", chunk)
    got = read_text._numbers(text)
    np.testing.assert_array_equal(got, [1603.25, 1200.5, 1604.25, 100.0, -300.0, 0.5, 7.0, 8.0])
    with pytest.raises(ValueError):
        read_text._numbers(text.replace("100", "1O0"))


@pytest.mark.parametrize("delimiter", [";", "\t", " "], ids=["semicolon", "tab", "space"])
def test_footer_after_decimal_comma_data_is_ignored(tmp_path: Path, delimiter: str) -> None:
    # A footer sends the block to the line-by-line parser, which must read decimal commas too.
    rows = [("1603,25", "1200,5"), ("1604,5", "100"), ("1605,75", "3,125")]
    body = "".join(f"{a}{delimiter}{b}\n" for a, b in rows) + "Ende des Spektrums\n"
    with pytest.warns(ClustermsWarning, match=r"ignored 1 non-numeric line.*line 4"):
        spectrum = read_spectrum(write(tmp_path, body.encode()))
    assert spectrum.mz.tolist() == [1603.25, 1604.5, 1605.75]
    assert spectrum.intensity.tolist() == [1200.5, 100.0, 3.125]
    assert spectrum.metadata["decimal"] == ","
