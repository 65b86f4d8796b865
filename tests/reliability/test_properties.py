"""Property tests of the text readers and the species parser (Hypothesis).

- any bytes, under any file name: :func:`read_spectrum` returns a valid Spectrum or raises
  InputFileError, warns only with ClustermsWarning, and leaves the file as it was;
- well-formed two-column exports in every separator, decimal mark, header, line end and
  encoding the reader supports read back exactly the numbers written;
- species built from parts (metals, ligands, an adduct, a charge in any accepted spelling)
  parse to those parts and round-trip through ``Ion.parse(ion.notation)``; any edit of such
  a text parses or raises NotationError pointing inside the text; absurd sizes are refused.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterms.chem.composition import Composition
from clusterms.chem.electrons import METAL_VALENCE
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import default_library
from clusterms.chem.notation import MAX_ATOMS
from clusterms.errors import NotationError

SUFFIXES = [".txt", ".csv", ".tsv", ".dat", ".mzML", ".mzXML", ".gz", ""]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _harness():
    where = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_readers", where)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The reader's contract, as the fuzz harness checks it: a valid Spectrum or an InputFileError
# with a one-line message, only ClustermsWarnings, and the file unchanged.
_read = _harness().check_read


# ------------------------------------------------------------------------------ any bytes

_TEXTISH = st.text(alphabet="0123456789.,;\t \n\r-+eE#\"nanifNAINF/mzMZ", max_size=300)
_PREFIXES = [b"", b"\x1f\x8b", b"\xef\xbb\xbf", b"\xff\xfe", b"<?xml version='1.0'?>\n<mzML>", b"<mzXML><msRun>",
             b"m/z\tintensity\n", b"%PDF", b"PK\x03\x04"]

_ANY_BYTES = st.one_of(
    st.binary(max_size=600),
    _TEXTISH.map(lambda t: t.encode("utf-8")),
    st.tuples(st.sampled_from(_PREFIXES), st.binary(max_size=300)).map(b"".join),
    st.tuples(st.sampled_from(_PREFIXES), _TEXTISH).map(lambda pt: pt[0] + pt[1].encode("latin-1", "replace")),
    _TEXTISH.map(lambda t: gzip.compress(t.encode(), mtime=0)),
    st.tuples(_TEXTISH, st.sampled_from(["utf-16", "utf-16-le", "utf-32", "cp1252"])).map(
        lambda te: te[0].encode(te[1])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_ANY_BYTES, suffix=st.sampled_from(SUFFIXES))
def test_any_bytes_give_a_spectrum_or_an_input_file_error(folder, data, suffix):
    path = folder / f"any{suffix}"
    path.write_bytes(data)
    _read(path)


# ------------------------------------------------------------------------------ exports


@st.composite
def _number(draw, low: int, high: int) -> str:
    """A positive decimal number as an export writes it (fixed, repr or scientific)."""
    style = draw(st.sampled_from(["fixed", "repr", "sci", "int"]))
    value = draw(st.floats(low, high, allow_nan=False, allow_infinity=False))
    if style == "fixed":
        return f"{value:.{draw(st.integers(1, 6))}f}"
    if style == "sci":
        return f"{value:.{draw(st.integers(1, 8))}e}"
    if style == "int":
        return str(round(value))
    return repr(value)


@st.composite
def _exports(draw):
    """(bytes, m/z list, intensity list): a two-column export and the values it holds."""
    sep = draw(st.sampled_from(["\t", ",", ";", " ", "   "]))
    decimal = "." if sep == "," else draw(st.sampled_from([".", ","]))
    mz_texts = draw(st.lists(_number(50, 20_000), min_size=1, max_size=40, unique_by=float))
    y_texts = draw(st.lists(_number(0, 10**9), min_size=len(mz_texts), max_size=len(mz_texts)))
    quote = '"' if sep in ",;" and draw(st.booleans()) else ""
    header = draw(st.sampled_from([
        [],
        [f"m/z{sep}intensity"],
        ["# exported spectrum", "# Scan: 1", f"mass{sep}counts"],
        ["Sample: cluster mix (Ag@I + Au@II)", "Date: 2024-05-01", ""],
    ]))
    lines = [*header]
    for m, y in zip(mz_texts, y_texts, strict=True):
        if decimal == ",":
            m, y = m.replace(".", ","), y.replace(".", ",")
        lines.append(f"{quote}{m}{quote}{sep}{quote}{y}{quote}")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    mz = [float(m) for m in mz_texts]
    y = [float(v) for v in y_texts]
    return text.encode(encoding), mz, y


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export=_exports(), suffix=st.sampled_from([".txt", ".csv", ".dat"]))
def test_exports_round_trip(folder, export, suffix):
    data, mz, y = export
    path = folder / f"export{suffix}"
    path.write_bytes(data)
    spectrum = _read(path)
    assert spectrum is not None, data[:200]
    order = np.argsort(mz, kind="stable")
    np.testing.assert_array_equal(spectrum.mz, np.asarray(mz)[order])
    np.testing.assert_array_equal(spectrum.intensity, np.asarray(y)[order])


# ------------------------------------------------------------------------------ notation

LIB = default_library()
METALS = ["Ag", "Au", "Cu", "Pd", "Pt"]
LIGANDS = ["BDT", "DMBT", "PET", "TBBT", "CHT", "SG", "p-MBA", "PPh3", "DPPE", "DPPM", "Cl", "Br", "I", "SBB",
           "SC2H4Ph"]
ADDUCTS = ["H", "Na", "K", "Cs", "NH4", "PPh4"]
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _charge_text(z: int, style: str) -> str:
    n, sign = abs(z), "-" if z < 0 else "+"
    if style == "sup":
        return ("" if n == 1 else str(n).translate(_SUPERSCRIPT)) + ("⁻" if z < 0 else "⁺")
    if style == "caret":
        return f"^{n}{sign}"
    if style == "sign-first":
        return f"{sign}{n}"
    if style == "repeat" and n <= 4:
        return sign * n
    if style == "unicode-minus" and z < 0:
        return f"{n}−"
    return ("" if n == 1 else str(n)) + sign


@st.composite
def _species(draw):
    """(text, expected parts) of a species written from parts."""
    metals = draw(st.dictionaries(st.sampled_from(METALS), st.integers(1, 120), min_size=1, max_size=3))
    ligands = draw(st.dictionaries(st.sampled_from(LIGANDS), st.integers(1, 40), max_size=3))
    adduct = draw(st.sampled_from([None, *ADDUCTS])) if ligands else None
    n_adduct = draw(st.integers(1, 3)) if adduct else 0
    z = draw(st.integers(1, 100)) * draw(st.sampled_from([-1, 1]))
    style = draw(st.sampled_from(["plain", "sup", "caret", "sign-first", "repeat", "unicode-minus"]))
    text = "[" + "".join(m + ("" if n == 1 else str(n)) for m, n in metals.items())
    text += "".join(f"({lig})" + ("" if n == 1 else str(n)) for lig, n in ligands.items())
    if adduct:
        text += adduct + ("" if n_adduct == 1 else str(n_adduct))
    text += "]" + _charge_text(z, style)
    return text, metals, ligands, adduct, n_adduct, z


def _expected_composition(metals, ligands, adduct, n_adduct) -> Composition:
    total = Composition(metals)
    for name, n in ligands.items():
        total = total + LIB.ligand(name).composition * n
    if adduct:
        total = total + LIB.adducts[adduct].composition * n_adduct
    return total


@settings(max_examples=400, deadline=None)
@given(_species())
def test_species_from_parts_parse_and_round_trip(species):
    text, metals, ligands, adduct, n_adduct, z = species
    ion = Ion.parse(text)
    assert ion.charge == z
    assert ion.composition == _expected_composition(metals, ligands, adduct, n_adduct)
    adduct_charge = LIB.adducts[adduct].charge * n_adduct if adduct else 0
    assert ion.core_charge == z - adduct_charge
    valence = sum(METAL_VALENCE[m] * n for m, n in metals.items())
    withdrawn = sum(LIB.ligand(name).withdraws * n for name, n in ligands.items())
    assert ion.electrons == valence - withdrawn - ion.core_charge
    assert Ion.parse(ion.notation) == ion
    assert Ion.parse(ion.notation).notation == ion.notation


_EDITS = st.sampled_from(list("[]()^+-−⁻³0123456789 \t\x00\u200b☃ÅgAgSHLé'@,;=/\\\"<>"))


@settings(max_examples=400, deadline=None)
@given(_species(), st.integers(0, 10_000), st.sampled_from(["insert", "delete", "replace"]), _EDITS)
def test_edited_species_parse_or_point_at_the_fault(species, where, how, char):
    text = species[0]
    k = where % (len(text) + 1)
    if how == "insert":
        text = text[:k] + char + text[k:]
    elif how == "delete":
        text = text[:k] + text[k + 1:]
    else:
        text = text[:k] + char + text[k + 1:]
    try:
        ion = Ion.parse(text)
    except NotationError as exc:
        if exc.position is not None:
            assert 0 <= exc.position <= len(text)
            assert "^" in str(exc)
        assert "\n" not in exc.one_line()
        return
    assert Ion.parse(ion.notation) == ion


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(METALS + LIGANDS), st.integers(MAX_ATOMS + 1, 99_999))
def test_absurd_counts_are_refused(part, count):
    text = f"[{part}{count}]-" if part in METALS else f"[Ag({part}){count}]-"
    with pytest.raises(NotationError, match=r"over the limit|count too large"):
        Ion.parse(text)
