"""Write the seed corpus of tests/fuzz/fuzz_readers.py (small files, a few hundred bytes).

    .venv/bin/python tests/fuzz/make_corpus.py [FOLDER]   # default: tests/fuzz/corpus

Each file is one selector byte (the harness target: 0-6 a file suffix, 7 species text)
followed by the payload: text exports in the layouts and encodings the reader knows, a
minimal mzML (plain, zlib, inside gzip, truncated), a minimal mzXML, gzip (whole and cut)
and species texts.
"""

from __future__ import annotations

import base64
import gzip
import struct
import sys
import zlib
from pathlib import Path

MZ = [1602.98, 1603.31, 1603.65, 1603.98]
INTENSITY = [812.5, 1200.0, 1105.25, 640.0]
ROWS = list(zip(MZ, INTENSITY, strict=True))
TAB = "m/z\tintensity\n" + "".join(f"{m}\t{i}\n" for m, i in ROWS)
CV = '<cvParam cvRef="MS" accession="{}" name="{}"{}/>'


def _b64(values: list[float], *, compress: bool) -> str:
    raw = b"".join(struct.pack("<d", v) for v in values)
    return base64.b64encode(zlib.compress(raw) if compress else raw).decode()


def _array(accession: str, name: str, values: list[float], compress: bool) -> str:
    codec = CV.format("MS:1000574", "zlib compression", "") if compress else CV.format(
        "MS:1000576", "no compression", "")
    return ('<binaryDataArray encodedLength="0">' + CV.format("MS:1000523", "64-bit float", "") + codec
            + CV.format(accession, name, "") + f"<binary>{_b64(values, compress=compress)}</binary>"
            + "</binaryDataArray>")


def mzml(compress: bool) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0"><run id="r"><spectrumList count="1">'
            '<spectrum index="0" id="scan=1" defaultArrayLength="4">'
            + CV.format("MS:1000511", "ms level", ' value="1"')
            + CV.format("MS:1000129", "negative scan", "")
            + CV.format("MS:1000128", "profile spectrum", "")
            + '<binaryDataArrayList count="2">'
            + _array("MS:1000514", "m/z array", MZ, compress)
            + _array("MS:1000515", "intensity array", INTENSITY, compress)
            + "</binaryDataArrayList></spectrum></spectrumList></run></mzML>\n").encode()


def mzxml() -> bytes:
    peaks = base64.b64encode(b"".join(struct.pack(">ff", m, i) for m, i in ROWS)).decode()
    return ('<?xml version="1.0"?>\n<mzXML xmlns="http://sashimi.sourceforge.net/schema_revision/mzXML_3.2">'
            '<msRun scanCount="1">'
            '<scan num="1" msLevel="1" peaksCount="4" polarity="-" centroided="0" retentionTime="PT1.5S">'
            '<peaks precision="32" byteOrder="network" contentType="m/z-int" compressionType="none" '
            f'compressedLen="0">{peaks}</peaks></scan></msRun></mzXML>\n').encode()


def seeds() -> dict[str, bytes]:
    semicolon = "m/z;intensity\n" + "".join(f"{m};{i}\n".replace(".", ",") for m, i in ROWS)
    spaces = "# exported by MassLynx\n# Range: 1600 - 1610\n\n" + "".join(f"  {m}   {i:.1f}\n" for m, i in ROWS)
    latin1 = "Probe: caf\xe9 \xb5L, 25 \xb0C\r\n" + TAB.replace("\n", "\r\n")
    repaired = TAB + "1603.0\tnan\n1604.0\t-inf\n1605.0\t-3\n1603.31\t7\n1601.0\t9\nEND\n"
    quoted = '"index","m/z","intensity","note"\n' + "".join(
        f'{k},"{m}","{i}",ok\n' for k, (m, i) in enumerate(ROWS))
    return {
        "text_tab.txt": b"\x00" + TAB.encode(),
        "text_semicolon_decimal_comma.csv": b"\x01" + semicolon.encode(),
        "text_comma.csv": b"\x01" + ("mz,intensity\n" + "".join(f"{m},{i}\n" for m, i in ROWS)).encode(),
        "text_spaces_header.txt": b"\x06" + spaces.encode(),
        "text_latin1_header.txt": b"\x00" + latin1.encode("latin-1"),
        "text_utf16.txt": b"\x00" + TAB.encode("utf-16"),
        "text_nan_negative_duplicate.txt": b"\x00" + repaired.encode(),
        "text_quoted_columns.csv": b"\x01" + quoted.encode(),
        "text_one_column.txt": b"\x00" + "".join(f"{m}\n" for m in MZ).encode(),
        "text.gz": b"\x04" + gzip.compress(TAB.encode(), mtime=0),
        "text_truncated.gz": b"\x04" + gzip.compress(TAB.encode(), mtime=0)[:40],
        "mzml_plain.mzML": b"\x02" + mzml(False),
        "mzml_zlib.mzML": b"\x02" + mzml(True),
        "mzml_in_gzip.mzML.gz": b"\x05" + mzml(True),  # selector 5: the harness gzips it
        "mzml_truncated.mzML": b"\x02" + mzml(False)[:500],
        "mzxml.mzXML": b"\x03" + mzxml(),
        "species_paper.txt": b"\x07[AuAg52(BDT)12(DMBT)16]3-",
        "species_adduct.txt": b"\x07[Ag54(BDT)12(DMBT)18H]3-",
        "species_nested_alias.txt": b"\x07[(Ag(DMBT)2)2]^2-",
        "species_formula.txt": "\x07Ag25C144H162S18⁻".encode(),
        "species_preset.txt": b"\x07Pt@IV",
        "species_bad.txt": b"\x07[Ag29(BDT)12)3-",
    }


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("corpus")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (out / name).write_bytes(data)
        print(f"{len(data):5d} {name}")


if __name__ == "__main__":
    main(sys.argv)
