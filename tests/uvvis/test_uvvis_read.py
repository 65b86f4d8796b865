"""UV/vis readers on exports written the way instruments write them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from uvvis_synthetic import WL, ag29

from clusterms.errors import InputFileError
from clusterms.uvvis import read_uvvis


def _rows(wl: np.ndarray, *cols: np.ndarray, sep: str = ",", comma: bool = False) -> str:
    out = []
    for i, w in enumerate(wl):
        fields = [f"{w:.1f}", *(f"{c[i]:.6f}" for c in cols)]
        line = sep.join(fields)
        out.append(line.replace(".", ",") if comma else line)
    return "\n".join(out) + "\n"


def test_two_column_csv_keeps_values_and_sorts(tmp_path: Path) -> None:
    a = ag29()
    f = tmp_path / "ag29.csv"
    f.write_text("Wavelength (nm),Abs\n" + _rows(WL[::-1], a[::-1]))  # scanned red to blue
    (s,) = read_uvvis(f)
    assert s.name == "ag29"
    np.testing.assert_allclose(s.wavelength_nm, WL)
    np.testing.assert_allclose(s.absorbance, a, atol=1e-6)


def test_cary_paired_columns_with_footer(tmp_path: Path) -> None:
    a = ag29()
    body = "".join(f"{w:.1f},{a[i]:.6f},{w:.1f},{2 * a[i]:.6f},\n" for i, w in enumerate(WL))
    f = tmp_path / "cary.csv"
    f.write_text("Ag29 DMF,,mix 2h,\nWavelength (nm),Abs,Wavelength (nm),Abs,\n" + body
                 + "\nMETHOD,\nCollection Time: 12/4/2026 10:00:00 AM\nScan rate (nm/min),600.0\n")
    s1, s2 = read_uvvis(f)
    assert (s1.name, s2.name) == ("Ag29 DMF", "mix 2h")
    np.testing.assert_allclose(s2.absorbance, 2 * a, atol=1e-6)
    assert len(s1) == WL.size


def test_shimadzu_semicolon_decimal_comma(tmp_path: Path) -> None:
    a = ag29()
    f = tmp_path / "shimadzu.txt"
    f.write_bytes(('"Sample name: Ag29"\n"Wavelength nm.";"Abs."\n' + _rows(WL, a, sep=";", comma=True))
                  .encode("cp1252"))
    (s,) = read_uvvis(f)
    np.testing.assert_allclose(s.absorbance, a, atol=1e-6)


def test_multi_column_series_names_from_header(tmp_path: Path) -> None:
    a = ag29()
    f = tmp_path / "series.txt"
    f.write_text("nm\t0 h\t2 h\t48 h\n" + _rows(WL, a, 0.9 * a, 0.5 * a, sep="\t"))
    spectra = read_uvvis(f)
    assert [s.name for s in spectra] == ["0 h", "2 h", "48 h"]
    np.testing.assert_allclose(spectra[2].absorbance, 0.5 * a, atol=2e-6)


def test_jcamp_dx_through_the_jcamp_parser(tmp_path: Path) -> None:
    y = np.round(ag29() * 1000).astype(int)
    lines = [f"{WL[i]:.0f} " + " ".join(str(v) for v in y[i:i + 10]) for i in range(0, WL.size, 10)]
    f = tmp_path / "ag29.jdx"
    f.write_text("\n".join(["##TITLE=Ag29(BDT)12 in DMF", "##JCAMP-DX=4.24", "##DATA TYPE=UV/VIS SPECTRUM",
                            "##XUNITS=NANOMETERS", "##YUNITS=ABSORBANCE", "##XFACTOR=1", "##YFACTOR=0.001",
                            f"##FIRSTX={WL[0]:.0f}", f"##LASTX={WL[-1]:.0f}", f"##NPOINTS={WL.size}",
                            "##XYDATA=(X++(Y..Y))", *lines, "##END="]) + "\n")
    (s,) = read_uvvis(f)
    assert s.name == "Ag29(BDT)12 in DMF"
    np.testing.assert_allclose(s.absorbance, y / 1000)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"nm,A\n300,0.1\n301,0.2\n", "no table of at least 5"),
    (b"nm,A\n" + b"".join(b"%d,%s\n" % (w, b"nan" if w == 303 else b"0.1") for w in range(300, 320)),
     r"line 5: non-finite value 'nan'"),
    (b"cm-1,A\n" + b"".join(b"%d,0.1\n" % w for w in range(20000, 20100)), "not UV/vis-NIR nm"),
    (b"nm,A\n" + b"".join(b"%d,0.1\n" % (300 + (i % 7)) for i in range(20)), "repeated wavelengths"),
])
def test_bad_files_refused_with_the_reason(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_uvvis(f)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_uvvis(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a folder"):
        read_uvvis(tmp_path)
