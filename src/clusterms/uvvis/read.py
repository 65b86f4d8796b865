"""Readers for the UV/vis exports chemists have.

* two-column text or CSV (nm, absorbance), any of ``,`` ``;`` tab or blanks as separator,
  decimal commas where the separator allows them;
* multi-column series: the first column the wavelength, one column per spectrum (per time);
* instrument exports with header and footer blocks: Agilent Cary (pairs of wavelength and
  absorbance columns under a row of sample names, a metadata block after the data),
  PerkinElmer and Shimadzu (a few header lines, then the table);
* JCAMP-DX, through the maintained ``jcamp`` parser (nm, micrometres or 1/cm on x;
  absorbance or transmittance on y).

The numeric table is the longest run of rows whose fields are all numbers; the rows just
above it name the columns. Bad files raise :class:`~clusterms.errors.InputFileError` with
the file and what is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clusterms.errors import InputFileError
from clusterms.uvvis.spectrum import UVVisSpectrum

__all__ = ["MAX_FILE_BYTES", "read_uvvis"]

#: A UV/vis export is kilobytes to a few megabytes; larger files are refused before reading.
MAX_FILE_BYTES = 64 * 1024 * 1024

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def read_uvvis(path: str | os.PathLike[str], /) -> list[UVVisSpectrum]:
    """Every spectrum in one file (one for two-column files, one per column or sample otherwise)."""
    p = Path(path)
    text = _read_text(p)
    if text.lstrip().startswith("##"):
        return [_read_jcamp(p, text)]
    return _read_table(p, text)


def _read_text(p: Path) -> str:
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if p.is_dir():
        raise InputFileError(f"{p} is a folder; give a UV/vis file")
    if not p.is_file():
        raise InputFileError(f"{p} is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise InputFileError(f"{p}: {st.st_size:,} bytes; UV/vis exports above {MAX_FILE_BYTES:,} "
                             "bytes are refused")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise InputFileError(f"{p}: the file is empty")
    if b"\x00" in raw[:4096]:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return raw.decode("utf-16")
        raise InputFileError(f"{p}: a binary file, not a text export; export the spectrum as CSV, "
                             "TXT or JCAMP-DX")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Windows instrument software


# ----------------------------------------------------------------------------- JCAMP-DX


def _read_jcamp(p: Path, text: str) -> UVVisSpectrum:
    import jcamp

    try:
        d = jcamp.read(text.splitlines())
    except Exception as exc:  # the parser raises anything from IndexError to ValueError
        raise InputFileError(f"{p}: not a readable JCAMP-DX file ({type(exc).__name__}: {exc})") from None
    if "x" not in d or "y" not in d:
        raise InputFileError(f"{p}: JCAMP-DX file without an XYDATA or PEAK TABLE block")
    x = np.asarray(d["x"], dtype=np.float64)
    y = np.asarray(d["y"], dtype=np.float64)
    xunits = str(d.get("xunits", "nanometers")).strip().lower()
    yunits = str(d.get("yunits", "absorbance")).strip().lower()
    if xunits in {"1/cm", "cm-1", "cm^-1", "wavenumbers"}:
        with np.errstate(divide="ignore"):
            x = 1e7 / x
    elif xunits in {"micrometers", "um", "microns"}:
        x = x * 1e3
    elif xunits not in {"nanometers", "nm"}:
        raise InputFileError(f"{p}: JCAMP-DX x units {xunits!r}; expected nanometers, micrometers or 1/cm")
    if "transmittance" in yunits:
        y = _absorbance_from_transmittance(p, y)
    elif "absorbance" not in yunits:
        raise InputFileError(f"{p}: JCAMP-DX y units {yunits!r}; expected absorbance or transmittance")
    name = str(d.get("title") or p.stem).strip() or p.stem
    return UVVisSpectrum(name, x, y, source=str(p), metadata={"format": "JCAMP-DX"})


def _absorbance_from_transmittance(p: Path, t: np.ndarray) -> np.ndarray:
    if np.nanmax(t) > 1.5:  # percent
        t = t / 100.0
    if np.any(t <= 0):
        raise InputFileError(f"{p}: transmittance <= 0 cannot be turned into absorbance")
    return np.asarray(-np.log10(t))


# ----------------------------------------------------------------------------- text tables


def _separator(lines: Sequence[str]) -> str | None:
    sample = [ln for ln in lines if ln.strip()][:400]
    best: tuple[int, str | None] = (0, None)
    for sep in ("\t", ";", ","):
        n = sum(1 for ln in sample if sep in ln)
        if n > best[0]:
            best = (n, sep)
    return best[1]


def _fields(line: str, sep: str | None) -> list[str]:
    parts = line.split(sep) if sep is not None else line.split()
    parts = [f.strip().strip('"').strip() for f in parts]
    while parts and parts[-1] == "":  # Cary ends every row with a separator
        parts.pop()
    return parts


_NONFINITE = {"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


def _is_number(s: str, decimal_comma: bool) -> bool:
    if s.lower() in _NONFINITE:  # part of the table, refused below with its line
        return True
    if not decimal_comma and "," in s:
        return False
    return bool(_NUMBER.match(s))


def _to_float(s: str) -> float:
    return float(s.replace(",", "."))


def _read_table(p: Path, text: str) -> list[UVVisSpectrum]:
    lines = text.splitlines()
    sep = _separator(lines)
    decimal_comma = sep != ","
    rows = [_fields(ln, sep) for ln in lines]

    def numeric(r: list[str]) -> bool:
        return len(r) >= 2 and all(f == "" or _is_number(f, decimal_comma) for f in r) and _is_number(
            r[0], decimal_comma)

    # The longest run of numeric rows is the table (headers above, metadata footers below).
    best = (0, 0)
    start = None
    for i, r in enumerate([*rows, []]):
        if numeric(r):
            start = i if start is None else start
        elif start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    lo, hi = best
    if hi - lo < 5:
        raise InputFileError(f"{p}: no table of at least 5 numeric rows with two or more columns "
                             "(wavelength, absorbance) was found")
    width = max(len(r) for r in rows[lo:hi])
    table = np.full((hi - lo, width), np.nan)
    for k, r in enumerate(rows[lo:hi]):
        for j, f in enumerate(r):
            if f.lower() in _NONFINITE:
                raise InputFileError(f"{p}: line {lo + k + 1}: non-finite value {f!r}; remove or fix the row")
            if f != "":
                table[k, j] = _to_float(f)
    headers = [r for r in rows[max(0, lo - 3):lo] if any(f for f in r)]
    if width >= 4 and width % 2 == 0 and _paired(table, headers):
        return _paired_spectra(p, table, headers)
    names = _column_names(headers, width, p.stem)
    out = []
    for j in range(1, width):
        ok = np.isfinite(table[:, 0]) & np.isfinite(table[:, j])
        if not np.any(ok):
            continue
        out.append(UVVisSpectrum(names[j - 1], table[ok, 0], table[ok, j], source=str(p),
                                 metadata={"format": "table"}))
    if not out:
        raise InputFileError(f"{p}: the table has no absorbance column with values")
    _unique_names(out, p)
    return out


def _paired(table: np.ndarray, headers: list[list[str]]) -> bool:
    """Cary layout: every even column is a wavelength axis (header says so, or values agree)."""
    if headers and sum("wavelength" in f.lower() or f.lower() in {"nm", "wl"} for f in headers[-1]) >= 2:
        return True
    x = table[:, 0::2]
    both = np.isfinite(x[:, 0:1]) & np.isfinite(x)
    return bool(np.all(np.abs(np.where(both, x - x[:, 0:1], 0.0)) < 1e-6)) and table.shape[1] >= 4 and bool(
        np.nanstd(table[:, 1]) > 0) and bool(np.all(np.nanmin(x, axis=0) > 100))


def _paired_spectra(p: Path, table: np.ndarray, headers: list[list[str]]) -> list[UVVisSpectrum]:
    names_row = headers[0] if len(headers) >= 2 else []
    out = []
    for k in range(table.shape[1] // 2):
        x, y = table[:, 2 * k], table[:, 2 * k + 1]
        ok = np.isfinite(x) & np.isfinite(y)
        if not np.any(ok):
            continue
        name = names_row[2 * k] if 2 * k < len(names_row) and names_row[2 * k] else f"{p.stem}:{k + 1}"
        out.append(UVVisSpectrum(name, x[ok], y[ok], source=str(p), metadata={"format": "paired columns"}))
    if not out:
        raise InputFileError(f"{p}: the table has no absorbance column with values")
    _unique_names(out, p)
    return out


def _column_names(headers: list[list[str]], width: int, stem: str) -> list[str]:
    if headers:
        h = headers[-1]
        if len(h) >= width and all(not _is_number(f, False) for f in h[1:width]) and all(h[1:width]):
            if width == 2 and h[1].lower() in {"abs", "a", "absorbance", "abs.", "od", "y"}:
                return [stem]
            return list(h[1:width])
        if len(h) >= width and all(h[1:width]):  # numeric headers: times or concentrations
            return list(h[1:width])
    if width == 2:
        return [stem]
    return [f"{stem}:{j}" for j in range(1, width)]


def _unique_names(spectra: list[UVVisSpectrum], p: Path) -> None:
    seen: set[str] = set()
    for s in spectra:
        if s.name in seen:
            raise InputFileError(f"{p}: two spectra are named {s.name!r}; rename one column")
        seen.add(s.name)
