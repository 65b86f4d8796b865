"""Bad inputs through the real command line, one table (mirrored in docs/reliability.md).

Every row runs ``clusterms.cli.main([...])`` (a few run the installed ``clusterms`` script in a
subprocess) in a fresh folder and checks the whole contract:

- a refusal exits with 2 and writes exactly one stderr line, ``error: ...``, matching the
  row's pattern (plus exactly the expected ``warning:`` lines, none in practice), nothing on
  stdout, no traceback, and leaves the folder exactly as it was (no partial output, no
  temporary folder left, input files byte-identical with the same mtime);
- a repairable input exits with 0, prints exactly the expected ``warning:`` lines, finds the
  [Ag29(BDT)12]3- envelope where it is, and changes no input file.

The table is written to docs/reliability.md by the last test: normal runs check that the
committed file is exactly what this run observed (so it cannot rot);
``CLUSTERMS_WRITE_RELIABILITY_DOC=1 pytest tests/reliability`` rewrites it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from clusterms.chem.ion import Ion
from clusterms.cli import main
from clusterms.simulate import simulate_spectrum
from clusterms.spectra.writers import write_mzml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
_SCRIPT = Path(sys.executable).with_name("clusterms")  # the console script pip installed
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from clusterms.cli import entry; entry()"]
ION = "[Ag29(BDT)12]3-"
APEX = 1603.315  # most intense point of the simulated [Ag29(BDT)12]3- envelope
PROGRESS = re.compile(r"^\[\s*\d+\.\d+ s\] ")


# ------------------------------------------------------------------------------ inputs


@cache
def _spectrum():
    return simulate_spectrum({Ion.parse(ION): 1.0}, resolution=20_000, mz_range=(1590, 1620),
                             noise=0.01, seed=1)


def _rows() -> list[tuple[float, float]]:
    s = _spectrum()
    return list(zip(s.mz.tolist(), s.intensity.tolist(), strict=True))


def _table(rows=None, sep="\t", header="m/z\tintensity\n") -> str:
    rows = _rows() if rows is None else rows
    return header + "".join(f"{m!r}{sep}{i!r}\n" for m, i in rows)


@cache
def _mzml() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "good.mzML"
        write_mzml(_spectrum(), path)
        return path.read_bytes()


Content = bytes | Callable[[], bytes]
FILES: dict[str, Content] = {
    "good.txt": lambda: _table().encode(),
    "good.mzML": _mzml,
    "empty.txt": b"",
    "binary.txt": lambda: bytes(range(256)) * 8,
    "truncated.mzML": lambda: _mzml()[:3000],
    "truncated.txt.gz": lambda: gzip.compress(_table().encode(), mtime=0)[:600],
    "not_gzip.gz": b"\x1f\x8b\x08\x00 this is not deflate data",
    "one_column.txt": lambda: "".join(f"{m!r}\n" for m, _ in _rows()).encode(),
    "no_numbers.txt": b"Sample: cluster mixture\nOperator: someone\nno data were exported\n",
    "not_mzml.mzML": b"<?xml version='1.0'?>\n<html><body>a web page saved as .mzML</body></html>\n",
    "report.pdf.txt": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "utf32_no_bom.txt": lambda: _table(_rows()[:50]).encode("utf-32-le"),
    "ebcdic.txt": lambda: _table(_rows()[:50]).encode("cp500"),
    "bad_line.txt": lambda: (_table(_rows()[:40]) + "1603.3\tn/a\n" + _table(_rows()[40:], header="")).encode(),
    "all_nan.txt": b"m/z\tintensity\nnan\tnan\ninf\t1\n-inf\tnan\n",
    "latin1_header.txt": lambda: ("Probe: caf\xe9 25 \xb0C \xb5L/min\n" + _table()).encode("latin-1"),
    "utf16_bom.txt": lambda: _table().encode("utf-16"),
    "utf16le_no_bom.txt": lambda: _table().encode("utf-16-le"),
    "utf8_bom_crlf.txt": lambda: _table().replace("\n", "\r\n").encode("utf-8-sig"),
    "nan_inf_negative.txt": lambda: (_table() + "1600.5\tnan\n1601.5\tinf\n1602.5\t-12\n-3\t5\n").encode(),
    "unsorted.txt": lambda: _table(list(reversed(_rows()))).encode(),
    "duplicated_mz.txt": lambda: (_table() + _table(_rows()[1000:1010], header="")).encode(),
    "decimal_comma.csv": lambda: ("m/z;intensity\n" + "".join(
        f"{m:.6f};{i:.4f}\n".replace(".", ",") for m, i in _rows())).encode(),
    "footer.txt": lambda: (_table() + "\nEND OF SPECTRUM\n").encode(),
    "spectrum.dat": lambda: _table().encode(),
    "mzml_named.txt": _mzml,
    "gzipped.txt.gz": lambda: gzip.compress(_table().encode(), mtime=0),
    "agilent.csv": lambda: ('#"-ESI Scan (0.1-0.5 min, 20 scans) Frag=175.0V mix.d "\n#Point,X(Thompsons),Y(Counts)\n'
                            + "".join(f"{k},{m!r},{i!r}\n" for k, (m, i) in enumerate(_rows()))).encode(),
    "overflow.txt": b"m/z\tintensity\n1600.0\t1e308\n1600.0\t1e308\n1601.0\t5\n1602.0\t7\n",
    "no_signal.txt": lambda: _table([(m, 0.0) for m, _ in _rows()]).encode(),
    "existing.mzML": b"an earlier result\n",
    "existing.csv": b"species\nan earlier table\n",
    "lig_invalid.toml": b"[ligands.XY\nformula = C2H3S\n",
    "lig_no_formula.toml": b'[ligands.MPA]\ncharge = -1\nwithdraws = 1\n',
    "lig_bad_formula.toml": b'[ligands.MPA]\nformula = "C3H5O2S!"\ncharge = -1\nwithdraws = 1\n',
    "lig_not_utf8.toml": b'[ligands.MPA]\nformula = "C3H5O2S"\nname = "\xe9"\ncharge = -1\nwithdraws = 1\n',
}
DIRS = ("a_folder", "old_out", "existing_dir.mzML")


# ------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Case:
    """One kind of bad input. ``error``: regex for the text after ``error: `` (None: must
    succeed); ``warnings``: one regex per expected ``warning:`` line, in order."""

    key: str
    input: str
    argv: tuple[str, ...]
    expect: str
    error: str | None = None
    warnings: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    out: str | None = None  # the folder/file a successful run may create
    finds_envelope: bool = False  # stdout is `peaks --json`: the 3- envelope at APEX
    subprocess: bool = False
    shown: str | None = None  # the command as written in the doc (long or invisible args)


def C(key, input, argv, expect, error=None, **kw) -> Case:
    return Case(key, input, tuple(argv), expect, error, **kw)


LONG = "Ag" * 5000 + "C"
NEG = ("--polarity", "negative")

CASES: list[Case] = [
    # --- species text (mass, pattern) ---------------------------------------------------
    C("unclosed-bracket", "species with an unclosed [", ["mass", "[Ag29(BDT)12"],
      "refused, caret at the open bracket", r"^unclosed '\[' at position 0 in '\[Ag29\(BDT\)12'$"),
    C("unclosed-paren", "species with an unclosed (", ["mass", "[Ag29(BDT"],
      "refused, points at the open parenthesis", r"^unclosed '\(' at position 5 "),
    C("unclosed-subprocess", "unclosed [", ["mass", "[Ag29(BDT)12"],
      "refused by the console script too", r"^unclosed '\[' at position 0 ", subprocess=True),
    C("mismatched", "brackets closed in the wrong order", ["mass", "[Ag29(BDT]12)3-"],
      "refused, names both brackets", r"^expected '\)', found '\]' at position 9 "),
    C("unbalanced-close", "a stray closing bracket", ["mass", "Ag29(BDT)12]3-"],
      "refused", r"^unbalanced '\]' at position 11 "),
    C("unknown-ligand", "unknown ligand name", ["mass", "[Ag29(XYZ)12]3-"],
      "refused, names the text", r"^unknown element or ligand starting 'XYZ\)12' at position 6 "),
    C("unknown-element", "unknown element symbol", ["mass", "[Qq29]-"],
      "refused", r"^unknown element or ligand starting 'Qq29\]-' at position 1 "),
    C("lowercase", "lower-case element", ["mass", "ag29"], "refused", r"^unexpected character 'a' at position 0 "),
    C("unknown-preset", "preset of an unknown metal", ["mass", "Zz@I"], "refused",
      r"^unknown element or ligand starting 'Zz@I' at position 0 "),
    C("charge-no-sign", "charge without a sign", ["mass", "[Ag29(BDT)12]3"],
      "refused, says how to write a charge", r"^bad charge \(write it like 3-, -, 2\+ or \+\) at position 13 "),
    C("charge-junk", "text after the charge", ["mass", "[Ag29(BDT)12]3-x"], "refused", r"^bad charge .* position 13 "),
    C("charge-zero", "charge 0 with a sign", ["mass", "[Ag29(BDT)12]0-"], "refused",
      r"^a charge of 0 must be written without a sign at position 13 "),
    C("charge-over-100", "|charge| > 100", ["mass", "[Ag29(BDT)12]101-"], "refused, names the limit",
      r"^\|charge\| 101 is over the limit of 100 at position 13 "),
    C("count-zero", "a count of zero", ["mass", "[Ag0(BDT)12]3-"], "refused",
      r"^a count of 0 is not allowed at position 3 "),
    C("count-digits", "a count of six digits", ["mass", "[Ag999999]-"], "refused, not attempted",
      r"^count too large at position 3 "),
    C("too-many-atoms", "10,001 atoms of an element", ["mass", "[Ag10001]-"], "refused, names the limit",
      r"^10,001 atoms of Ag is over the limit of 10,000 "),
    C("too-many-via-ligand", "over 10,000 atoms through a ligand count", ["pattern", "[Ag(BDT)5000]-"],
      "refused before any envelope is computed", r"^30,000 atoms of C is over the limit of 10,000 "),
    C("too-long", "a 10,001-character species", ["mass", LONG], "refused, not parsed",
      r"^species text is 10,001 characters, over the limit of 10,000",
      shown="clusterms mass 'AgAg…AgC' (10,001 chars)"),
    C("empty", "empty species", ["mass", ""], "refused", r"^empty species at position 0 in ''$"),
    C("blank", "species of spaces", ["mass", "   "], "refused", r"^empty species at position 0 "),
    C("inner-space", "a space inside the species", ["mass", "[Ag29 (BDT)12]3-"], "refused, says to remove it",
      r"^unexpected space .* at position 5 "),
    C("unicode-junk", "a snowman as the charge", ["mass", "[Ag29(BDT)12]☃"], "refused", r"^bad charge .* position 13 "),
    C("unicode-letters", "Greek letters", ["pattern", "[Ag29(ΒDT)12]3-"], "refused",
      r"^unexpected character 'Β' at position 6 "),
    C("nul", "a NUL character", ["mass", "[Ag29\x00(BDT)12]3-"], "refused, the NUL shown escaped",
      r"^unexpected character '\\x00' at position 5 in '\[Ag29\\x00\(BDT\)12\]3-'$"),
    C("escape-sequence", "a terminal escape sequence", ["mass", "\x1b[31m"], "refused, shown escaped",
      r"^unexpected character '\\x1b' at position 0 "),
    C("only-charge", "only a charge", ["mass", "3-"], "refused", r"^unexpected character '3' at position 0 "),
    C("only-sign", "only a sign", ["mass", "-"], "refused", r"^no atoms in species at position 0 "),
    C("empty-group", "an empty ligand group", ["mass", "[Ag29()12]3-"], "refused", r"^empty group at position 5 "),
    C("third-bad", "the last of three species is bad", ["mass", "Ag@I", "[Ag29(BDT)12]3-", "[Qq]-"],
      "refused, names the bad one", r"in '\[Qq\]-'$"),
    C("pattern-species", "pattern of a malformed species", ["pattern", "[Ag29(BDT"], "refused",
      r"^unclosed '\(' at position 5 "),
    # --- pattern options ----------------------------------------------------------------
    C("profile-no-resolution", "--profile without --resolution", ["pattern", "Ag@I", "--profile"],
      "refused, says what to add", r"^--profile needs --resolution R"),
    C("resolution-negative", "negative --resolution", ["pattern", "Ag@I", "--profile", "--resolution", "-5"],
      "refused", r"^--resolution must be positive, got -5"),
    C("resolution-nan", "--resolution nan", ["pattern", "Ag@I", "--profile", "--resolution", "nan"],
      "refused", r"^--resolution must be positive, got nan$"),
    C("resolution-text", "--resolution not a number", ["pattern", "Ag@I", "--resolution", "high"],
      "refused by the option parser",
      r"^argument --resolution: invalid float value: 'high' \(see 'clusterms pattern --help'\)$"),
    C("coverage-high", "--coverage above 1", ["pattern", "Ag@I", "--coverage", "1.5"], "refused",
      r"^--coverage must be between 0 and 1, got 1.5$"),
    C("coverage-zero", "--coverage 0", ["pattern", "Ag@I", "--coverage", "0"], "refused",
      r"^--coverage must be between 0 and 1, got 0.0$"),
    C("abundance-format", "--abundance not NAME=NUMBER", ["pattern", "Ag@I", "--abundance", "Ag107=lots"],
      "refused, shows the form", r"^--abundance must look like 107Ag=0.99 or Ag107=0.99, got 'Ag107=lots'$"),
    C("abundance-element", "--abundance of an unknown element", ["pattern", "Ag@I", "--abundance", "Xx107=1"],
      "refused", r"^abundances: unknown element 'Xx'$"),
    C("abundance-isotope", "--abundance of a missing isotope", ["pattern", "Ag@I", "--abundance", "Ag108=1"],
      "refused, lists the isotopes", r"^abundances: Ag has no stable isotope 108; known: 107, 109$"),
    C("abundance-sum", "--abundance not summing to 1", ["pattern", "Ag@I", "--abundance", "Ag107=0.5"],
      "refused", r"^abundances: Ag fractions sum to 0.5; they must sum to 1"),
    C("abundance-negative", "negative --abundance", ["pattern", "Ag@I", "--abundance", "107Ag=-0.5",
                                                     "--abundance", "109Ag=1.5"],
      "refused", r"^abundances: Ag fractions must be non-negative"),
    # --- simulate ----------------------------------------------------------------------
    C("sim-no-equals", "species without =ABUNDANCE", ["simulate", "Ag@I", "--resolution", "20000", "--out", "s.mzML"],
      "refused, shows the form", r"^species must be given as SPECIES=ABUNDANCE, got 'Ag@I'$"),
    C("sim-not-number", "abundance not a number", ["simulate", "Ag@I=much", "--resolution", "20000", "--out", "s.mzML"],
      "refused", r"^abundance in 'Ag@I=much' is not a number: 'much'$"),
    C("sim-negative", "negative abundance", ["simulate", "Ag@I=-1", "--resolution", "20000", "--out", "s.mzML"],
      "refused", r"^abundance in 'Ag@I=-1' must be a non-negative number$"),
    C("sim-nan", "abundance nan", ["simulate", "Ag@I=nan", "--resolution", "20000", "--out", "s.mzML"],
      "refused", r"^abundance in 'Ag@I=nan' must be a non-negative number$"),
    C("sim-neutral", "a neutral species", ["simulate", "[Ag29(BDT)12]=1", "--resolution", "20000", "--out", "s.mzML"],
      "refused: only ions are seen", r"has no charge: only ions appear in a mass spectrum$"),
    C("sim-bad-species", "a malformed species", ["simulate", "[Ag29(BDT=1", "--resolution", "20000", "--out", "s.mzML"],
      "refused", r"^unclosed '\(' at position 5 "),
    C("sim-extension", "--out with an unknown extension", ["simulate", "Ag@I=1", "--resolution", "20000", "--out",
                                                           "s.png"],
      "refused before simulating", r"^--out must end in .mzML, .txt or .csv, got 's.png'$"),
    C("sim-missing-folder", "--out inside a missing folder", ["simulate", "Ag@I=1", "--resolution", "20000", "--out",
                                                              "nowhere/s.mzML"],
      "refused", r"^cannot write nowhere/s.mzML: folder nowhere does not exist$"),
    C("sim-exists", "--out exists, no --force", ["simulate", "Ag@I=1", "--resolution", "20000", "--out",
                                                 "existing.mzML"],
      "refused, file untouched", r"^existing.mzML exists; use --force to overwrite it$", files=("existing.mzML",)),
    C("sim-out-folder", "--out is a folder", ["simulate", "Ag@I=1", "--resolution", "20000", "--out",
                                              "existing_dir.mzML", "--force"],
      "refused even with --force", r"^--out existing_dir.mzML is a folder", dirs=("existing_dir.mzML",)),
    C("sim-resolution", "--resolution 0", ["simulate", "Ag@I=1", "--resolution", "0", "--out", "s.mzML"],
      "refused", r"^--resolution must be positive, got 0.0$"),
    C("sim-noise", "negative --noise", ["simulate", "Ag@I=1", "--resolution", "20000", "--noise", "-1", "--out",
                                        "s.mzML"],
      "refused", r"^noise must be >= 0, got -1.0$"),
    C("sim-mz-range", "reversed --mz-range", ["simulate", "Ag@I=1", "--resolution", "20000", "--mz-range", "1700",
                                              "1500", "--out", "s.mzML"],
      "refused", r"^mz_range must satisfy 0 < LO < HI"),
    # --- input files (assign, peaks) ---------------------------------------------------
    C("missing-file", "input file does not exist", ["assign", "absent.mzML", "--reactant", "Ag@I", "--out", "out",
                                                    "--quiet"],
      "refused, names the file", r"^absent.mzML: no such file$"),
    C("missing-subprocess", "missing file", ["peaks", "absent.txt"],
      "refused by the console script too", r"^absent.txt: no such file$", subprocess=True),
    C("directory", "a folder instead of a file", ["peaks", "a_folder", *NEG], "refused, suggests msconvert",
      r"^a_folder is a directory, not a file \(vendor folders", dirs=("a_folder",)),
    C("empty-file", "empty file", ["peaks", "empty.txt", *NEG], "refused", r"^empty.txt is empty \(0 bytes\)$",
      files=("empty.txt",)),
    C("binary", "binary garbage", ["assign", "binary.txt", "--reactant", "Ag@I", "--out", "out", "--quiet"],
      "refused: not a text spectrum", r"^binary.txt is not a text spectrum: NUL byte at offset 0 ",
      files=("binary.txt",)),
    C("truncated-mzml", "truncated mzML", ["peaks", "truncated.mzML"], "refused, says re-export",
      r"^truncated.mzML is not a readable mzML file: it is malformed or truncated before the first spectrum",
      files=("truncated.mzML",)),
    C("truncated-gzip", "truncated gzip", ["peaks", "truncated.txt.gz", *NEG], "refused",
      r"^truncated.txt.gz: damaged or truncated gzip data", files=("truncated.txt.gz",)),
    C("not-deflate", "gzip magic, then junk", ["peaks", "not_gzip.gz", *NEG], "refused",
      r"^not_gzip.gz: damaged or truncated gzip data", files=("not_gzip.gz",)),
    C("one-column", "text with one column", ["peaks", "one_column.txt", *NEG], "refused: needs two columns",
      r"^one_column.txt has a single numeric column \(line 1: '1590.0'\)", files=("one_column.txt",)),
    C("no-numbers", "text with no numbers", ["peaks", "no_numbers.txt", *NEG], "refused",
      r"^no_numbers.txt has no rows of two numbers", files=("no_numbers.txt",)),
    C("xml-not-mzml", "XML that is not mzML", ["peaks", "not_mzml.mzML"], "refused, names the root element",
      r"^not_mzml.mzML is XML with root element <html>, not mzML or mzXML", files=("not_mzml.mzML",)),
    C("pdf", "a PDF renamed .txt", ["peaks", "report.pdf.txt", *NEG], "refused, says what it is",
      r"^report.pdf.txt is a PDF document, not a spectrum", files=("report.pdf.txt",)),
    C("utf32-no-bom", "UTF-32 text without a byte-order mark", ["peaks", "utf32_no_bom.txt", *NEG],
      "refused, names the encodings read", r"^utf32_no_bom.txt is not a text spectrum: NUL byte at offset 1 ",
      files=("utf32_no_bom.txt",)),
    C("ebcdic", "EBCDIC (cp500) text", ["peaks", "ebcdic.txt", *NEG], "refused: names the encodings read",
      r"^ebcdic.txt is not a text spectrum: control byte 0x05 at line 1 .* \(UTF-8, UTF-16 or Latin-1\)$",
      files=("ebcdic.txt",)),
    C("bad-line", "a non-numeric line inside the data", ["peaks", "bad_line.txt", *NEG], "refused, names the line",
      r"^bad_line.txt, line 42: expected numbers in columns 1 and 2 .* found '1603.3\\tn/a'",
      files=("bad_line.txt",)),
    C("all-nan", "only NaN/inf rows", ["peaks", "all_nan.txt", *NEG], "refused, says what was dropped",
      r"^all_nan.txt has no valid rows: dropped 3 of 3 rows", files=("all_nan.txt",)),
    C("no-signal", "a spectrum of zeros, through assign", ["assign", "no_signal.txt", "--reactant", "Ag@I", "--out",
                                                           "out", "--quiet"],
      "refused: nothing to assign", r"^the spectrum holds no signal \(every intensity is zero\): nothing to assign$",
      files=("no_signal.txt",)),
    C("sum-overflow", "repeated m/z whose intensities sum past 1e308", ["peaks", "overflow.txt", *NEG],
      "refused: not plausible", r"^overflow.txt: summing rows that repeat an m/z value overflows",
      files=("overflow.txt",)),
    C("scan-out-of-range", "--scan past the last scan", ["peaks", "good.mzML", "--scan", "7"], "refused",
      r"^scan index 7 is out of range: good.mzML has 1 spectra", files=("good.mzML",)),
    C("scan-text", "--scan on a text file", ["peaks", "good.txt", "--scan", "1", *NEG], "refused",
      r"^scan, scans and time_range choose scans of mzML/mzXML files; good.txt is a text spectrum$",
      files=("good.txt",)),
    C("time-range-nan", "--time-range nan", ["peaks", "good.mzML", "--time-range", "nan", "2"], "refused",
      r"^time_range must be finite with lo <= hi", files=("good.mzML",)),
    C("no-polarity", "text file, no --polarity", ["peaks", "good.txt"], "refused, says what to add",
      r"^good.txt does not say its polarity: give --polarity negative\|positive$", files=("good.txt",)),
    C("min-snr", "--min-snr -1", ["peaks", "good.mzML", "--min-snr", "-1"], "refused",
      r"^min_snr must be a finite number > 0, got -1.0$", files=("good.mzML",)),
    C("min-peaks", "--min-peaks 1", ["peaks", "good.mzML", "--min-peaks", "1"], "refused",
      r"^--min-peaks must be at least 2, got 1$", files=("good.mzML",)),
    # --- repairable exports: read, with warnings for what was dropped --------------------
    C("latin1", "Latin-1 header (é, °, µ)", ["peaks", "latin1_header.txt", *NEG, "--json"], "read",
      files=("latin1_header.txt",), finds_envelope=True),
    C("latin1-subprocess", "Latin-1 header", ["peaks", "latin1_header.txt", *NEG,
                                                                             "--json"],
      "read", files=("latin1_header.txt",), finds_envelope=True, subprocess=True),
    C("utf16-bom", "UTF-16 with byte-order mark", ["peaks", "utf16_bom.txt", *NEG, "--json"], "read",
      files=("utf16_bom.txt",), finds_envelope=True),
    C("utf16-no-bom", "UTF-16-LE without byte-order mark", ["peaks", "utf16le_no_bom.txt", *NEG, "--json"], "read",
      files=("utf16le_no_bom.txt",), finds_envelope=True),
    C("utf8-bom-crlf", "UTF-8 with BOM and CRLF line ends", ["peaks", "utf8_bom_crlf.txt", *NEG, "--json"], "read",
      files=("utf8_bom_crlf.txt",), finds_envelope=True),
    C("nan-inf-negative", "rows with NaN, inf, negative intensity and m/z", ["peaks", "nan_inf_negative.txt", *NEG,
                                                                             "--json"],
      "read; one warning counting each kind dropped",
      warnings=(r"^dropped 4 of 2249 rows of nan_inf_negative.txt: 2 with NaN or infinite values \(first at line "
                r"2247\), 1 with negative intensity \(first at line 2249\), 1 with m/z <= 0 \(first at line 2250\)$",),
      files=("nan_inf_negative.txt",), finds_envelope=True),
    C("nan-assign", "rows with NaN/inf/negative, through assign", ["assign", "nan_inf_negative.txt", "--reactant",
                                                                   "Ag@I", "--mz-range", "1590", "1620", "--out",
                                                                   "out", "--quiet"],
      "assigned, with the same warning", warnings=(r"^dropped 4 of 2249 rows of nan_inf_negative.txt",),
      files=("nan_inf_negative.txt",), out="out"),
    C("unsorted", "rows in decreasing m/z", ["peaks", "unsorted.txt", *NEG, "--json"], "read (sorted)",
      files=("unsorted.txt",), finds_envelope=True),
    C("duplicated", "duplicated m/z rows", ["peaks", "duplicated_mz.txt", *NEG, "--json"], "read; warns of the merge",
      warnings=(r"^merged 20 rows of duplicated_mz.txt that repeat an m/z value into 10 \(intensities summed\)$",),
      files=("duplicated_mz.txt",), finds_envelope=True),
    C("decimal-comma", "decimal comma and semicolons", ["peaks", "decimal_comma.csv", *NEG, "--json"], "read",
      files=("decimal_comma.csv",), finds_envelope=True),
    C("footer", "a footer line after the data", ["peaks", "footer.txt", *NEG, "--json"], "read; warns of the footer",
      warnings=(r"^ignored 1 non-numeric line\(s\) after the data in footer.txt \(from line 2248: "
                r"'END OF SPECTRUM'\)$",),
      files=("footer.txt",), finds_envelope=True),
    C("extension-dat", "valid text named .dat", ["peaks", "spectrum.dat", *NEG, "--json"], "read (content decides)",
      files=("spectrum.dat",), finds_envelope=True),
    C("extension-mzml-as-txt", "mzML named .txt", ["peaks", "mzml_named.txt", "--json"], "read as mzML (negative)",
      files=("mzml_named.txt",), finds_envelope=True),
    C("gzip-text", "gzip-compressed text", ["peaks", "gzipped.txt.gz", *NEG, "--json"], "read",
      files=("gzipped.txt.gz",), finds_envelope=True),
    C("agilent-index", "Agilent CSV: #Point,X(Thompsons),Y(Counts)", ["peaks", "agilent.csv", *NEG, "--json"],
      "read; the named columns, not the point index", files=("agilent.csv",), finds_envelope=True),
    # --- assign: output and options ------------------------------------------------------
    C("out-exists", "existing --out folder, no --force", ["assign", "good.mzML", "--reactant", "Ag@I", "--out",
                                                          "old_out", "--quiet"],
      "refused before reading; folder untouched", r"^output folder old_out exists; use --force to replace it$",
      files=("good.mzML",), dirs=("old_out",)),
    C("out-exists-subprocess", "existing --out folder",
      ["assign", "good.mzML", "--reactant", "Ag@I", "--out", "old_out"],
      "refused; folder untouched", r"^output folder old_out exists; use --force to replace it$",
      files=("good.mzML",), dirs=("old_out",), subprocess=True),
    C("out-missing-parent", "--out inside a missing folder", ["assign", "good.mzML", "--reactant", "Ag@I", "--out",
                                                              "nowhere/out", "--quiet"],
      "refused", r"^cannot create nowhere/out: folder <tmp>/nowhere does not exist$", files=("good.mzML",)),
    C("out-is-file", "--out is an existing file", ["assign", "good.mzML", "--reactant", "Ag@I", "--out", "good.txt",
                                                   "--force", "--quiet"],
      "refused even with --force", r"^good.txt exists and is not a folder", files=("good.mzML", "good.txt")),
    C("no-reactant", "assign without --reactant", ["assign", "good.mzML", "--out", "out", "--quiet"],
      "refused, says what to add", r"^assign needs --reactant \(repeatable\), --species or --search$",
      files=("good.mzML",)),
    C("bad-reactant", "malformed --reactant", ["assign", "good.mzML", "--reactant", "[Ag29(BDT)12", "--out", "out",
                                               "--quiet"],
      "refused, names the option", r"^--reactant: unclosed '\[' at position 0 ", files=("good.mzML",)),
    C("charges-text", "--charges abc", ["assign", "good.mzML", "--reactant", "Ag@I", "--charges", "abc", "--out",
                                        "out", "--quiet"],
      "refused, shows the form", r"^--charges: expected charges like 1-4 or 2,3,4, got 'abc'$", files=("good.mzML",)),
    C("charges-zero", "--charges 0", ["candidates", "--reactant", "Ag@I", "--charges", "0"], "refused",
      r"^--charges: charge '0' must be from 1 to 100 in size$"),
    C("charges-range", "--charges 4-1", ["candidates", "--reactant", "Ag@I", "--charges", "4-1"], "refused",
      r"^--charges: range '4-1' must run upwards"),
    C("mz-range-reversed", "--mz-range HI LO", ["assign", "good.mzML", "--reactant", "Ag@I", "--mz-range", "1700",
                                                "1500", "--out", "out", "--quiet"],
      "refused", r"^--mz-range: expected 0 <= LO < HI, got 1700 1500$", files=("good.mzML",)),
    C("mz-range-text", "--mz-range not numbers", ["candidates", "--reactant", "Ag@I", "--mz-range", "low", "high"],
      "refused", r"^--mz-range: expected two numbers LO HI"),
    C("ligands-missing", "--ligands file missing", ["candidates", "--reactant", "Ag@I", "--ligands", "absent.toml"],
      "refused, names the file", r"^absent.toml: cannot read ligand file \(No such file or directory\)$"),
    C("ligands-folder", "--ligands is a folder", ["candidates", "--reactant", "Ag@I", "--ligands", "a_folder"],
      "refused", r"^a_folder: is a directory, expected a ligand TOML file$", dirs=("a_folder",)),
    C("ligands-invalid", "--ligands not TOML", ["assign", "good.mzML", "--reactant", "Ag@I", "--ligands",
                                                "lig_invalid.toml", "--out", "out", "--quiet"],
      "refused, names file, line and column", r"^lig_invalid.toml: not a valid TOML ligand file \(.*line 1",
      files=("good.mzML", "lig_invalid.toml")),
    C("ligands-no-formula", "--ligands entry without 'formula'", ["candidates", "--reactant", "Ag@I", "--ligands",
                                                                  "lig_no_formula.toml"],
      "refused, names the entry", r"^lig_no_formula.toml: ligand 'MPA': missing field 'formula'$",
      files=("lig_no_formula.toml",)),
    C("ligands-bad-formula", "--ligands entry with a bad formula", ["candidates", "--reactant", "Ag@I", "--ligands",
                                                                    "lig_bad_formula.toml"],
      "refused, names the entry", r"^lig_bad_formula.toml: ligand 'MPA': bad formula: ",
      files=("lig_bad_formula.toml",)),
    C("ligands-not-utf8", "--ligands not UTF-8", ["candidates", "--reactant", "Ag@I", "--ligands",
                                                  "lig_not_utf8.toml"],
      "refused", r"^lig_not_utf8.toml: not a valid TOML ligand file", files=("lig_not_utf8.toml",)),
    C("alias-malformed", "--alias without =", ["assign", "good.mzML", "--reactant", "Ag@I", "--alias", "L",
                                               "--out", "out", "--quiet"],
      "refused, shows the form", r"^alias must look like NAME=LIGAND \(e.g. L=BDT\), got 'L'$", files=("good.mzML",)),
    C("alias-unknown", "--alias to an unknown ligand", ["candidates", "--reactant", "Ag@I", "--alias", "L=XYZ"],
      "refused, lists the known ligands", r"^alias L=XYZ: unknown ligand 'XYZ'; known: BDT, "),
    C("alias-digit", "--alias name with a digit", ["candidates", "--reactant", "Ag@I", "--alias", "L1=BDT"],
      "refused", r"^alias 'L1' must not be empty or contain"),
    C("adducts-unknown", "--adducts Xx", ["candidates", "--reactant", "Ag@I", "--adducts", "Xx"], "refused, lists them",
      r"^--adducts: unknown adduct 'Xx'; known: H, "),
    C("max-loss", "--max-loss 99", ["candidates", "--reactant", "Ag@I", "--max-loss", "99"], "refused",
      r"^--max-loss: expected an integer from 0 to 50, got '99'$"),
    C("search-bad", "malformed --search", ["candidates", "--reactant", "Ag@I", "--search", "Ag20-(BDT"], "refused",
      r"^--search: "),
    C("min-score", "--min-score 2", ["assign", "good.mzML", "--reactant", "Ag@I", "--min-score", "2", "--out", "out",
                                     "--quiet"],
      "refused", r"^min_score must be between 0 and 1, got 2.0$", files=("good.mzML",)),
    C("snr-nan", "--snr nan", ["assign", "good.mzML", "--reactant", "Ag@I", "--snr", "nan", "--out", "out", "--quiet"],
      "refused", r"^snr must be a positive number, got nan$", files=("good.mzML",)),
    C("csv-missing-folder", "candidates --csv in a missing folder", ["candidates", "--reactant", "Ag@I", "--csv",
                                                                     "nowhere/c.csv"],
      "refused", r"^cannot write nowhere/c.csv: directory nowhere does not exist$"),
    C("csv-exists", "candidates --csv exists, no --force", ["candidates", "--reactant", "Ag@I", "--csv",
                                                            "existing.csv"],
      "refused before building; file untouched", r"^existing.csv exists; use --force to overwrite it$",
      files=("existing.csv",)),
    # --- the command line itself ---------------------------------------------------------
    C("no-command", "no command", [], "refused, lists the commands", r"^a command is needed: mass, pattern, "),
    C("unknown-command", "unknown command", ["asign"], "refused, lists the commands",
      r"^argument COMMAND: invalid choice: 'asign'"),
    C("unknown-option", "unknown option", ["mass", "Ag@I", "--jsn"], "refused", r"^unrecognized arguments: --jsn"),
    C("bad-choice", "--combine median", ["peaks", "good.mzML", "--combine", "median"], "refused, lists the choices",
      r"^argument --combine: invalid choice: 'median'", files=("good.mzML",)),
    C("demo-out-file", "demo --out is a file", ["demo", "--out", "good.txt"], "refused before any work",
      r"^--out good.txt exists and is not a folder", files=("good.txt",)),
]


# ------------------------------------------------------------------------------ running


@dataclass
class Observed:
    code: int
    stdout: str
    stderr: list[str] = field(default_factory=list)


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every file and folder under root: content hash, size, mtime (ns)."""
    snap: dict[str, tuple] = {}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        rel = p.relative_to(root).as_posix()
        if p.is_dir():
            snap[rel + "/"] = ("dir",)
        else:
            snap[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns)
    return snap


def _prepare(case: Case, where: Path) -> None:
    for name in case.files:
        content = FILES[name]
        (where / name).write_bytes(content() if callable(content) else content)
    for name in case.dirs:
        (where / name).mkdir()
        if name == "old_out":  # a previous result that must survive
            (where / name / "assignments.csv").write_text("species\nkeep me\n", encoding="utf-8")


def _run(case: Case, where: Path) -> Observed:
    if case.subprocess:
        proc = subprocess.run([*CLI, *case.argv], cwd=where, capture_output=True, text=True, timeout=120)
        return Observed(proc.returncode, proc.stdout, proc.stderr.splitlines())
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(where), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(case.argv))
    return Observed(code, out.getvalue(), err.getvalue().splitlines())


def _sanitise(text: str, where: Path) -> str:
    for p in {str(where.resolve()), str(where)}:
        text = text.replace(p, "<tmp>")
    return text


def _check(case: Case, where: Path) -> Observed:
    _prepare(case, where)
    before = _snapshot(where)
    seen = _run(case, where)
    after = _snapshot(where)
    lines = [_sanitise(line, where) for line in seen.stderr]
    text = "\n".join(lines) + seen.stdout
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert len(warnings) == len(case.warnings), lines
    for line, pattern in zip(warnings, case.warnings, strict=True):
        assert re.search(pattern, line.removeprefix("warning: ")), (pattern, line)
    # Only warning lines and the error: no progress lines (assign runs with --quiet), no noise.
    rest = [line for line in lines if not line.startswith("warning: ")]
    if case.error is not None:
        assert seen.code == 2, (seen.code, lines)
        assert len(rest) == 1 and rest[0].startswith("error: "), lines
        assert re.search(case.error, rest[0].removeprefix("error: ")), (case.error, rest[0])
        assert seen.stdout == "", seen.stdout
        assert after == before, "a refused command changed the folder"
    else:
        assert seen.code == 0, (seen.code, lines)
        assert rest == [], lines
        for key, value in before.items():  # inputs unchanged, bytes and mtime
            assert after.get(key) == value, f"{key} changed"
        new = {k for k in after if k not in before}
        allowed = {k for k in new if case.out and (k == case.out + "/" or k.startswith(case.out + "/"))}
        assert new == allowed, f"unexpected new files: {sorted(new - allowed)}"
        if case.out:
            assert {"assignments.csv", "unassigned.csv", "params.json", "report.html"} <= {
                p.name for p in (where / case.out).iterdir()}
            assert ION in (where / case.out / "assignments.csv").read_text(encoding="utf-8")
        if case.finds_envelope:
            rows = json.loads(seen.stdout)
            assert [r["charge"] for r in rows] == [3], rows
            assert abs(rows[0]["apex_mz"] - APEX) < 0.02, rows
    return Observed(seen.code, seen.stdout, lines)


OBSERVED: dict[str, Observed] = {}


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    OBSERVED[case.key] = _check(case, tmp_path)


def test_table_is_large_and_keys_unique() -> None:
    assert len({c.key for c in CASES}) == len(CASES)
    assert sum(c.error is not None for c in CASES) >= 45


# ------------------------------------------------------------------------------ the rest of
# the error model: unexpected exceptions, --debug, --help/--version


def test_unexpected_exception_is_one_line_exit_1(monkeypatch, capsys) -> None:
    import clusterms.cli as cli

    def boom(_args):
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(cli, "_cmd_mass", boom)
    assert main(["mass", "Ag@I"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines == ["clusterms: internal error: RuntimeError: something unforeseen (rerun with --debug for "
                     "the traceback and report it)"]
    assert "Traceback" not in captured.err + captured.out
    # --debug, before or after the command: the exception propagates (the traceback is shown).
    for argv in (["--debug", "mass", "Ag@I"], ["mass", "Ag@I", "--debug"]):
        with pytest.raises(RuntimeError, match="unforeseen"):
            main(argv)


def test_unexpected_exception_traceback_only_with_debug(tmp_path) -> None:
    # A real process whose mass command fails unexpectedly: one line without --debug, the
    # traceback with it.
    code = ("import sys, clusterms.cli as c\n"
            "def boom(a): raise RuntimeError('unforeseen')\n"
            "c._cmd_mass = boom\n"
            "sys.exit(c.main(sys.argv[1:]))\n")
    plain = subprocess.run([sys.executable, "-c", code, "mass", "Ag@I"], capture_output=True, text=True,
                           timeout=120, cwd=tmp_path)
    assert plain.returncode == 1
    assert plain.stderr.splitlines() == ["clusterms: internal error: RuntimeError: unforeseen (rerun with --debug "
                                         "for the traceback and report it)"]
    debug = subprocess.run([sys.executable, "-c", code, "mass", "Ag@I", "--debug"], capture_output=True, text=True,
                           timeout=120, cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith("RuntimeError: unforeseen")


def test_help_and_version_return_zero(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("clusterms ")
    assert main(["assign", "--help"]) == 0
    assert "--reactant" in capsys.readouterr().out


# ------------------------------------------------------------------------------ the doc

def _text(text: str) -> str:
    return text.replace("|", "\\|")


def _cell(text: str) -> str:
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return "`" + shown.replace("|", "\\|") + "`"


def _command(case: Case) -> str:
    import shlex

    if case.shown:
        return case.shown
    return " ".join(["clusterms", *(shlex.quote(a) if a else "''" for a in case.argv)])


def render_doc(observed: dict[str, Observed]) -> str:
    head = [
        "# Reliability: bad inputs through the command line",
        "",
        "Generated by `tests/reliability/test_bad_inputs.py` from what the command line actually did;",
        "do not edit by hand. Regenerate with",
        "`CLUSTERMS_WRITE_RELIABILITY_DOC=1 .venv/bin/python -m pytest tests/reliability`;",
        "a normal test run fails when this file differs from what it observes.",
        "",
        "Every refusal exits with code 2 and prints exactly one line `error: ...` on stderr (nothing",
        "on stdout, no traceback), and leaves the folder as it was: input files byte-identical with",
        "the same mtime, no partial output, no temporary folder. Repairable exports exit with 0 and",
        "print one `warning: ...` line per kind of repair. Unexpected exceptions exit with 1 and one",
        "line `clusterms: internal error: ...` (the traceback only with `--debug`). Inputs are made",
        "in a fresh folder per row (`<tmp>`); `subprocess` rows run the installed `clusterms` script.",
        "",
        f"{sum(c.error is not None for c in CASES)} refusals and {sum(c.error is None for c in CASES)} "
        "repaired or accepted inputs.",
        "",
        "| # | input | command | expected behaviour | observed first stderr line | exit code |",
        "|---|---|---|---|---|---|",
    ]
    body = []
    for k, case in enumerate(CASES, start=1):
        seen = observed[case.key]
        first = seen.stderr[0] if seen.stderr else "(none)"
        how = " (subprocess)" if case.subprocess else ""
        body.append(f"| {k} | {_text(case.input)}{how} | {_cell(_command(case))} | {_text(case.expect)} | "
                    f"{_cell(first) if seen.stderr else first} | {seen.code} |")
    return "\n".join(head + body) + "\n"


def _mask_observed(doc: str) -> str:
    import re

    out = []
    for line in doc.splitlines():
        if re.match(r"^\| \d+ \|", line):
            cells = re.split(r"(?<!\\)\|", line)
            cells[5] = " (observed) "
            line = "|".join(cells)
        out.append(line)
    return "\n".join(out)


def test_reliability_doc_is_current(tmp_path_factory) -> None:
    for case in CASES:  # rows not run in this session (-k, a single test ...) are run now
        if case.key not in OBSERVED:
            OBSERVED[case.key] = _check(case, tmp_path_factory.mktemp(case.key))
    text = render_doc(OBSERVED)
    if os.environ.get("CLUSTERMS_WRITE_RELIABILITY_DOC") == "1":
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        return
    assert DOC.is_file(), f"{DOC} is missing: run CLUSTERMS_WRITE_RELIABILITY_DOC=1 pytest tests/reliability"
    # The observed stderr line quotes messages of argparse, lxml, zlib and tomllib, which may
    # change wording between library versions; each row's behaviour is asserted by its own
    # test above, so the doc comparison ignores that one column and checks everything else.
    committed = _mask_observed(DOC.read_text(encoding="utf-8"))
    text = _mask_observed(text)
    if committed != text:
        import difflib

        diff = "\n".join(difflib.unified_diff(committed.splitlines(), text.splitlines(), "committed", "observed",
                                              lineterm="", n=0))
        pytest.fail(f"docs/reliability.md is out of date (regenerate with CLUSTERMS_WRITE_RELIABILITY_DOC=1 "
                    f"pytest tests/reliability):\n{diff}")
