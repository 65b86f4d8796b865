"""Two-column text spectra: instrument exports, CSV files, headerless columns.

The reader looks for the numeric block (the first line that, with the two lines after it,
has the same layout of at least two numbers), takes everything above it as header, and
parses the block in bulk with numpy. Only when the bulk parse fails does it walk the lines
one by one, to find the faulty line or a footer after the data.

Recognised layouts: fields separated by a tab, a semicolon, a comma or runs of spaces;
decimal point or decimal comma (``1603,25;1200,5``, ``1603,25<TAB>1200,5``,
``1603,25 1200,5``); quoted numbers; text columns anywhere (the first two numeric columns
are m/z and intensity, later ones are ignored). Encodings: UTF-8 (with or without BOM),
UTF-16/32 with a BOM, UTF-16 without BOM, and Windows-1252/Latin-1 headers.
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import InputFileError

__all__ = ["TextTable", "decode_text", "parse_text", "refuse_binary"]

_CONFIRM = 2  # lines after the first data line that must share its layout
_MAX_HEADER_KEPT = 50

_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
)
_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F or b == 0x7F))
_BYTE_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*(?=\n)")
# A number without a decimal comma, and what separates numbers; used token by token, never as
# one pattern over the field (a repeated pattern of numbers and optional separators takes
# exponential time on a long run of digits: found by fuzzing).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_GAPS = re.compile(r"[\s,]+")
_LONE_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?\s*")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", None: "whitespace"}


@dataclass(frozen=True)
class TextTable:
    """The two numeric columns of a text spectrum, as read (unsorted, unchecked).

    Attributes
    ----------
    mz, intensity
        float64 columns in file order.
    row_lines
        1-based line number of each row, or ``None`` when blank or comment lines inside
        the block make the bulk parser lose count.
    metadata
        Encoding, delimiter, decimal mark, header lines, column names, first data line.
    notes
        Repairs made while reading (ignored footer lines), for the caller to warn about.
    """

    mz: NDArray[np.float64]
    intensity: NDArray[np.float64]
    row_lines: Sequence[int] | None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class _Layout(NamedTuple):  # a NamedTuple: created at import far faster than a dataclass
    delimiter: str | None  # None: runs of blanks
    decimal: str
    nfields: int
    cols: tuple[int, int]
    simple: bool  # every field numeric: the fastest parser applies


def parse_text(data: bytes, /, *, name: str) -> TextTable:
    """Find and parse the m/z and intensity columns of a text spectrum.

    Parameters
    ----------
    data
        The file's bytes (already decompressed).
    name
        File name for messages.

    Raises
    ------
    InputFileError
        Not text, no numeric block, a single column, or a malformed line in the block.
    """
    text, encoding = decode_text(data, name=name)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.rstrip("\x1a")  # DOS end-of-file mark
    _check_controls(text, data if encoding in _BYTE_ENCODINGS else None, name)
    start, first_line, layout, header = _find_block(text, name)
    if header:
        end = text.find("\n", start)
        layout = _named_columns(header[-1], text[start:] if end < 0 else text[start:end], layout)
    body = text[start:]
    parsed = _parse_fast(body, layout, first_line)
    if parsed is None:
        parsed = _parse_lines(body, layout, first_line, name)
    mz, intensity, row_lines, notes = parsed
    metadata: dict[str, Any] = {
        "encoding": encoding,
        "delimiter": _DELIMITER_NAMES[layout.delimiter],
        "decimal": layout.decimal,
        "first_data_line": first_line,
    }
    if header:
        metadata["header"] = tuple(h[:200] for h in header[-_MAX_HEADER_KEPT:])
        names = _column_names(header[-1], layout)
        if names:
            metadata["columns"] = names
    return TextTable(mz, intensity, row_lines, metadata, tuple(notes))


def _check_controls(text: str, data: bytes | None, name: str) -> None:
    """Refuse text with control characters (binary data read as text)."""
    if data is not None:
        # One-byte encodings and UTF-8 keep controls as the same bytes: a C-speed test.
        data = data.rstrip(b"\x1a")
        if not data.translate(None, _NOT_CONTROL):
            return
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise InputFileError(
            f"{name} is not a text spectrum: control byte 0x{ord(control.group()):02x} at "
            f"line {line} (a binary file, or text in an unsupported encoding); export the "
            "spectrum as text (UTF-8, UTF-16 or Latin-1)"
        )


def decode_text(data: bytes, /, *, name: str) -> tuple[str, str]:
    """Decode text bytes; return the text and the encoding used.

    UTF-8 is tried first, then Windows-1252 and Latin-1 (which accept any byte; the
    control-character check of :func:`parse_text` catches binary data).
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    f"{name} starts with a {label} byte-order mark but byte {exc.start} is "
                    f"not valid {label}; re-save it as UTF-8 text"
                ) from exc
    if b"\x00" in data:
        guess = _utf16_without_bom(data)
        if guess:
            try:
                return data.decode(guess), guess
            except UnicodeDecodeError:
                pass
        raise _nul_error(data, name)
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _nul_error(data: bytes, name: str) -> InputFileError:
    offset = data.index(b"\x00")
    return InputFileError(
        f"{name} is not a text spectrum: NUL byte at offset {offset} (a binary file, "
        "or text in an unsupported encoding such as UTF-32 without byte-order mark); "
        "export the spectrum as text (UTF-8, UTF-16 or Latin-1)"
    )


def refuse_binary(head: bytes, /, *, name: str) -> None:
    """Refuse a file from its first block when that holds a NUL byte outside UTF-16/32 text.

    The same test as :func:`decode_text`, made before the rest of the file is read: a 1 GB
    binary file (or ``/dev/zero``) is refused after one block, with the same message.

    Raises
    ------
    InputFileError
        ``head`` holds a NUL byte and is neither text with a UTF-16/32 byte-order mark nor
        UTF-16 without one.
    """
    if b"\x00" not in head or any(head.startswith(bom) for bom, _, _ in _BOMS):
        return
    if _utf16_without_bom(head[:len(head) & ~1]) is None:
        raise _nul_error(head, name)


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII text in UTF-16 has a NUL in every other byte and nowhere else.
    half = len(data) // 2
    if half < 2 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= 0.9 * half and even == 0:
        return "utf-16-le"
    if even >= 0.9 * half and odd == 0:
        return "utf-16-be"
    return None


# --------------------------------------------------------------------------- the block


def _field_kind(text: str, decimal: str) -> str:
    if not text:
        return "empty"
    candidate = text.replace(",", ".") if decimal == "," else text
    if _NUMBER.fullmatch(candidate):
        return "number"
    if _LETTER.search(text) and not _numbers_only(text):
        return "text"
    # e.g. "25 1200", "1.603,25", or "0e+01 0" from "5,0e+01 0,0" split at its comma (the
    # exponent's "e" is no word): this layout is not the right one
    return "junk"


def _numbers_only(text: str) -> bool:
    """Whether ``text`` is nothing but numbers (either decimal mark) between blanks/commas."""
    tokens = _NUMBER_GAPS.split(text.strip())
    return all(_PLAIN_NUMBER.fullmatch(t) for t in tokens)


def _split(line: str, delimiter: str | None) -> list[str]:
    fields = line.split() if delimiter is None else line.split(delimiter)
    return [f.strip().strip('"').strip() for f in fields]


def _classify(line: str) -> _Layout | None:
    s = line.strip()
    if not s:
        return None
    candidates: tuple[tuple[str | None, str], ...]
    if "\t" in s:
        candidates = (("\t", "."), ("\t", ","))
    elif ";" in s:
        candidates = ((";", "."), (";", ","))
    elif "," in s:
        candidates = ((",", "."), (None, ","))
    else:
        candidates = ((None, "."),)
    found: list[_Layout] = []
    for delimiter, decimal in candidates:
        fields = _split(s, delimiter)
        kinds = [_field_kind(f, decimal) for f in fields]
        if "junk" in kinds:
            continue
        numeric = [i for i, k in enumerate(kinds) if k == "number"]
        if len(numeric) >= 2:
            simple = len(numeric) == len(kinds) and '"' not in s
            found.append(_Layout(delimiter, decimal, len(fields), (numeric[0], numeric[1]), simple))
    # A layout in which every field is a number beats one that needs a text column.
    return next((f for f in found if f.simple), found[0] if found else None)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, line) without splitting the whole text."""
    pos, end = 0, len(text)
    while pos < end:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = end
        yield pos, text[pos:nl]
        pos = nl + 1


def _find_block(text: str, name: str) -> tuple[int, int, _Layout, list[str]]:
    """Offset, line number and layout of the numeric block, and the header lines above it."""
    # Non-blank, non-comment lines as (offset, line number, layout, line), read lazily.
    rows = (
        (offset, number, _classify(line), line)
        for number, (offset, line) in enumerate(_lines(text), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    window: list[tuple[int, int, _Layout | None, str]] = []
    passed: list[tuple[int, int, _Layout | None, str]] = []  # lines taken as header
    for row in rows:
        window.append(row)
        if len(window) <= _CONFIRM:
            continue
        if (found := _confirmed(window, text)) is not None:
            return _no_data_above(found, passed, name)
        passed.append(window.pop(0))
    while window:  # fewer than _CONFIRM lines follow the candidate: the file ends
        if (found := _confirmed(window, text)) is not None:
            return _no_data_above(found, passed, name)
        passed.append(window.pop(0))
    lone = next((r for r in passed if _LONE_NUMBER.fullmatch(r[3])), None)
    if lone is not None:
        raise InputFileError(
            f"{name} has a single numeric column (line {lone[1]}: {lone[3].strip()!r}); "
            "a spectrum needs two columns, m/z and intensity"
        )
    raise InputFileError(
        f"{name} has no rows of two numbers (m/z and intensity separated by tab, comma, "
        "semicolon or spaces); is it a spectrum export?"
    )


def _no_data_above(
    found: tuple[int, int, _Layout, list[str]],
    passed: list[tuple[int, int, _Layout | None, str]],
    name: str,
) -> tuple[int, int, _Layout, list[str]]:
    """Refuse a block whose own kind of rows also appear above it, cut off by a bad line."""
    layout = found[2]
    first = next((k for k, r in enumerate(passed) if _same_columns(r[2], layout)), None)
    if first is not None:
        bad = next((r for r in passed[first:] if not _same_columns(r[2], layout)), None)
        if bad is not None:
            raise _bad_line(name, bad[1], layout, bad[3].strip())
    return found


def _bad_line(name: str, number: int, layout: _Layout, line: str) -> InputFileError:
    i, j = layout.cols
    return InputFileError(
        f"{name}, line {number}: expected numbers in columns {i + 1} and {j + 1} "
        f"like the rows around it, found {line[:80]!r}; fix or delete that line"
    )


def _confirmed(
    window: list[tuple[int, int, _Layout | None, str]], text: str
) -> tuple[int, int, _Layout, list[str]] | None:
    offset, number, layout, _ = window[0]
    if layout is None or not all(_same_columns(w[2], layout) for w in window[1:]):
        return None
    if any(w[2] is not None and w[2].decimal == "," for w in window):
        layout = layout._replace(decimal=",")
    elif layout.delimiter != "," and text.find(",", offset) >= 0 and text.find(".", offset) < 0:
        layout = layout._replace(decimal=",")  # integers first, decimal commas later
    header = [h.strip() for h in text[:offset].split("\n") if h.strip()]
    return offset, number, layout, header


def _same_columns(a: _Layout | None, b: _Layout) -> bool:
    # A row of integers ("0<TAB>0") reads with either decimal mark: ignore the mark here.
    return a is not None and (a.delimiter, a.nfields, a.cols, a.simple) == (
        b.delimiter,
        b.nfields,
        b.cols,
        b.simple,
    )


_MZ_NAME = re.compile(r"m\s*/\s*z|\bmz\b|\bmass\b|thomson|^x\b", re.IGNORECASE)
_INTENSITY_NAME = re.compile(r"intens|abund|counts?\b|signal|^y\b", re.IGNORECASE)


def _named_columns(names_line: str, data_line: str, layout: _Layout) -> _Layout:
    """The m/z and intensity columns by name, when the header names them unambiguously.

    Without names the first two numeric columns are m/z and intensity; names win when they
    say otherwise: Agilent MassHunter writes ``#Point,X(Thompsons),Y(Counts)`` (a point index
    first), some exports put the intensity before the m/z.
    """
    fields = _split(data_line.strip(), layout.delimiter)
    names = _split(names_line.strip().lstrip("#"), layout.delimiter)
    if len(names) != len(fields):
        return layout
    numeric = [i for i, f in enumerate(fields) if _field_kind(f, layout.decimal) == "number"]
    mz = [i for i in numeric if _MZ_NAME.search(names[i])]
    intensity = [i for i in numeric if _INTENSITY_NAME.search(names[i]) and i not in mz]
    if len(mz) != 1 or len(intensity) != 1 or (mz[0], intensity[0]) == layout.cols:
        return layout
    return layout._replace(cols=(mz[0], intensity[0]))


def _column_names(line: str, layout: _Layout) -> tuple[str, str] | None:
    fields = _split(line.lstrip("#"), layout.delimiter)
    i, j = layout.cols
    if len(fields) > max(i, j) and fields[i] and fields[j]:
        return fields[i][:80], fields[j][:80]
    return None


# ------------------------------------------------------------------------------ parsing

_Parsed = tuple[NDArray[np.float64], NDArray[np.float64], Sequence[int] | None, list[str]]


# Split and convert 64 KiB of text at a time: the few thousand temporary strings of a chunk
# stay in cache and their memory is reused (1.5x faster than 4 MiB chunks on a 7 MB file).
_CHUNK_CHARS = 1 << 16


def _numbers(text: str) -> NDArray[np.float64]:
    """All whitespace-separated numbers of ``text``, in order.

    fastnumbers (fast_float) converts the tokens about four times faster than
    ``np.fromstring`` (C ``strtod``), with the same correctly rounded results; the text is
    split in small chunks at line ends so the temporary token lists stay small. Raises
    ``ValueError`` at the first token that is not a number.
    """
    from fastnumbers import try_array

    # ASCII text (nearly every export) is split as bytes, chunk by chunk: bytes.split is
    # ~1.3x faster than str.split, and a 64 KiB chunk encodes in cache.
    ascii_text = text.isascii()
    parts = []
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + _CHUNK_CHARS)
        if end < n:
            nl = text.find("\n", end)
            end = n if nl < 0 else nl + 1
        chunk = text[start:end]
        tokens = (chunk.encode("ascii") if ascii_text else chunk).split()
        values = np.empty(len(tokens), dtype=np.float64)
        try_array(tokens, values)  # ValueError at a token that is not a number
        parts.append(values)
        start = end
    return np.concatenate(parts) if parts else np.zeros(0)


def _parse_fast(body: str, layout: _Layout, first_line: int) -> _Parsed | None:
    """Bulk parse of the block; ``None`` when it does not hold (then parse line by line)."""
    norm = body.replace(",", ".") if layout.decimal == "," else body
    if layout.simple and layout.delimiter in (",", ";"):
        norm = norm.replace(layout.delimiter, " ")
    end = len(norm)
    while end and norm[end - 1] in " \t\n\f\v":  # trailing blank lines (no copy)
        end -= 1
    lines = norm.count("\n", 0, end) + 1
    table: NDArray[np.float64] | None = None
    blank = 0
    with warnings.catch_warnings():
        # numpy < 2.3 only warns when fromstring stops early; make that an error too.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            if layout.simple:
                flat = _numbers(norm)
                if flat.size != lines * layout.nfields:
                    # Blank lines are skipped by the parser; count them only when needed.
                    # (A blank line balanced by a row with nfields extra numbers would
                    # pass unseen and add one point: a malformed file only.)
                    blank = len(_BLANK_LINE.findall(norm, 0, end))
                if flat.size == (lines - blank) * layout.nfields:
                    table = flat.reshape(lines - blank, layout.nfields)[:, list(layout.cols)]
            else:
                blank = len(_BLANK_LINE.findall(norm, 0, end))
                table = np.loadtxt(
                    io.StringIO(norm),
                    dtype=np.float64,
                    delimiter=layout.delimiter,
                    usecols=layout.cols,
                    comments=None,
                    quotechar='"' if layout.delimiter else None,
                    ndmin=2,
                )
                if table.shape[0] != lines - blank:
                    table = None
        except (ValueError, DeprecationWarning):
            return None
    if table is None:
        return None
    rows = lines - blank
    row_lines = None if blank else range(first_line, first_line + rows)
    return np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1]), row_lines, []


def _parse_lines(body: str, layout: _Layout, first_line: int, name: str) -> _Parsed:
    """Line-by-line parse: finds the faulty line, or drops a footer after the data."""
    i, j = layout.cols
    mz: list[float] = []
    intensity: list[float] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    for k, line in enumerate(body.split("\n")):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        fields = _split(s, layout.delimiter)
        ok = len(fields) > max(i, j) and all(
            _field_kind(fields[c], layout.decimal) == "number" for c in (i, j)
        )
        if not ok:
            bad.append((first_line + k, s))
            continue
        if bad:
            number, shown = bad[0]
            raise _bad_line(name, number, layout, shown)
        a, b = fields[i], fields[j]
        if layout.decimal == ",":
            a, b = a.replace(",", "."), b.replace(",", ".")
        mz.append(float(a))
        intensity.append(float(b))
        numbers.append(first_line + k)
    notes = []
    if bad:
        number, shown = bad[0]
        notes.append(
            f"ignored {len(bad)} non-numeric line(s) after the data in {name} "
            f"(from line {number}: {shown[:60]!r})"
        )
    return (
        np.asarray(mz, dtype=np.float64),
        np.asarray(intensity, dtype=np.float64),
        numbers,
        notes,
    )
