"""Read spectra from mzML, mzXML and text files (plain or gzip-compressed).

The kind of file is found from its content, not its name: gzip by its magic bytes, then
mzML/mzXML by the XML root element, else text. What a file may bring into memory is bounded
(:mod:`clusterms.limits`): gzip content is decompressed as a stream with a ceiling, a pipe
or device is read once within it, binary arrays are inflated within their declared length
and the point limit, and a would-be text file with a NUL in its first block is refused there.
Every problem with a file raises
:class:`~clusterms.errors.InputFileError` naming the file (and the line or scan where it
applies); repairs (dropped rows, merged duplicates) are reported as
:class:`~clusterms.errors.ClustermsWarning`. Files are opened read-only.

How scans are chosen and combined: :mod:`clusterms.spectra.scan_select` and
:mod:`clusterms.spectra.scan_combine`.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import re
import stat
import warnings
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import ClustermsWarning, InputFileError, OptionError
from clusterms.limits import BYTES_PER_POINT, Limits
from clusterms.limits import current as current_limits
from clusterms.spectra.read_text import parse_text
from clusterms.spectra.scan_combine import Cleaning, clean, combine, describe_scans
from clusterms.spectra.scan_select import (
    ScanKey,
    ScanRequest,
    common_mode,
    no_level,
    no_spectra,
    pick_matching,
    pick_targets,
)
from clusterms.spectra.spectrum import Spectrum

if TYPE_CHECKING:  # the mzML/mzXML readers (pyteomics, lxml) load only for those files
    from clusterms.spectra.read_mzml import ScanRecord

__all__ = ["read_spectra", "read_spectrum"]

Kind = Literal["mzML", "mzXML", "text"]
PathLike = str | os.PathLike[str]

_HEAD_BYTES = 1 << 20  # the header of an mzML file (instrument, software) fits in this
_GZIP_MAGIC = b"\x1f\x8b"

_BINARY_KINDS = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (mzMLb, mz5?)"),
    (b"SQLite format 3\x00", "an SQLite database (UIMF, mzDB, Bruker .tdf?)"),
    (b"PK\x03\x04", "a zip archive; unpack it"),
    (b"BZh", "bzip2-compressed; decompress it"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive; unpack it"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed; decompress it"),
    (b"\x01\xa1F\x00i\x00n\x00n\x00i\x00g\x00a\x00n\x00", "a Thermo .raw file"),
    (b"%PDF", "a PDF document"),
)


# ----------------------------------------------------------------------------- public API


def read_spectrum(
    path: PathLike,
    /,
    *,
    scan: ScanKey | None = None,
    scans: Sequence[ScanKey] | None = None,
    time_range: tuple[float, float] | None = None,
    combine: str = "sum",
    polarity: str | None = None,
    ms_level: int | None = 1,
) -> Spectrum:
    """Read one spectrum from an mzML, mzXML or text file (gzip-compressed or not).

    For mzML/mzXML files, by default all scans of ``ms_level`` and one polarity are
    combined (see the module notes on how); ``scan``, ``scans`` or ``time_range`` choose
    scans instead (at most one of them).

    Parameters
    ----------
    path
        The file. Its kind is found from the content: the extension does not matter.
    scan
        One scan: an int is its 0-based position in the file; a str is its native id,
        whole (``"controllerType=0 controllerNumber=1 scan=5"``) or by its key=value
        parts (``"scan=5"``); a str of digits is a scan number (``"5"`` = ``"scan=5"``).
    scans
        Several scans (as for ``scan``), combined.
    time_range
        ``(lo, hi)`` retention time in minutes, inclusive: combine the scans in it.
    combine
        ``"sum"`` or ``"mean"`` (the sum divided by the number of scans).
    polarity
        ``"positive"`` or ``"negative"``: use scans of that polarity. ``None``: the
        polarity of the first matching scan, with a warning if the file has both. For a
        text file (which cannot say), the polarity to record.
    ms_level
        MS level of the scans to use; ``None`` for any. A chosen ``scan`` of another level
        is an error (pass ``ms_level=None`` or its level). Not used for text files.

    Returns
    -------
    Spectrum
        With ``polarity`` and ``mode`` from the file, and metadata: ``source_file``,
        ``format``, ``scan_ids``, ``scan_indices``, ``ms_level``, ``time_min``,
        ``instrument`` ... (text files: ``header``, ``columns``, ``delimiter`` ...).

    Raises
    ------
    InputFileError
        Missing, unreadable, empty, damaged or unknown file; no scan as requested; more
        points or content than :mod:`clusterms.limits` allows (``CLUSTERMS_MAX_POINTS``,
        :func:`clusterms.limits.using`; docs/limits.md); an XML file with an internal DTD.
    OptionError
        An option value that is invalid or conflicts with another.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "spectrum.txt"
    >>> _ = p.write_text("m/z\\tintensity\\n1603.25\\t1200\\n1602.5\\t800\\n")
    >>> s = read_spectrum(p)
    >>> s.mz.tolist(), s.intensity.tolist()
    ([1602.5, 1603.25], [800.0, 1200.0])
    """
    request = ScanRequest.build(scan, scans, time_range, combine, polarity, ms_level)
    source = _Source.open(path)
    notes: list[str] = []
    if source.kind == "text":
        if request.targets is not None or request.time_range is not None:
            raise OptionError(
                f"scan, scans and time_range choose scans of mzML/mzXML files; {source.name} "
                "is a text spectrum"
            )
        spectrum = _text_spectrum(source, polarity=request.polarity, notes=notes)
    else:
        spectrum = _xml_spectrum(source, request, notes)
    for note in notes:
        warnings.warn(note, ClustermsWarning, stacklevel=2)
    return spectrum


def read_spectra(path: PathLike, /, *, ms_level: int | None = None) -> list[Spectrum]:
    """Read every scan of a file, in file order (a text file gives one spectrum).

    Parameters
    ----------
    path
        The file (mzML, mzXML or text; gzip-compressed or not).
    ms_level
        Only scans of this MS level; ``None`` for all.

    Returns
    -------
    list of Spectrum
        Each with metadata ``scan_id``, ``scan_index``, ``ms_level``, ``time_min``.

    Raises
    ------
    InputFileError
        As :func:`read_spectrum`, and when no scan has the requested level.
    """
    request = ScanRequest.build(None, None, None, "sum", None, ms_level)
    source = _Source.open(path)
    notes: list[str] = []
    if source.kind == "text":
        spectra = [_text_spectrum(source, polarity=None, notes=notes)]
    else:
        spectra = _xml_spectra(source, request, notes)
    for note in notes:
        warnings.warn(note, ClustermsWarning, stacklevel=2)
    return spectra


# ---------------------------------------------------------------------- opening and kinds


@dataclass(frozen=True)
class _Source:
    """An input file, sniffed; a pipe or device is read once, whole (within the limit), here."""

    path: Path
    kind: Kind
    gzipped: bool
    head: bytes
    limits: Limits
    size: int | None  # bytes on disk of a regular file; None for a pipe or device
    content: bytes | None  # the raw bytes of a pipe or device (it cannot be read twice)

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def open(cls, path: PathLike) -> _Source:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        p = Path(os.fspath(path))
        if "\x00" in str(p):
            raise InputFileError(f"{str(p)!r} is not a valid file name (it holds a NUL byte)")
        limits = current_limits()
        content: bytes | None = None
        size: int | None = None
        with _OSErrors(p):
            if p.is_dir():
                raise InputFileError(
                    f"{p} is a directory, not a file (vendor folders such as Bruker .d or "
                    "Waters .raw must be converted to mzML first, e.g. with msconvert)"
                )
            with open(p, "rb") as fh:
                mode = os.fstat(fh.fileno()).st_mode
                head = fh.read(_HEAD_BYTES)
                gzipped = head.startswith(_GZIP_MAGIC)
                if stat.S_ISREG(mode):
                    size = os.fstat(fh.fileno()).st_size
                elif head:
                    # A pipe or device is read now (it cannot be opened twice), with a ceiling:
                    # /dev/zero or an endless pipe ends here, not in a MemoryError.
                    text = not gzipped and _sniff(head, p.name, False) == "text"
                    if text:
                        _refuse_binary_text(head, p.name)
                    content = _read_bounded([head], fh, p.name, limits, "(a pipe or device) gives",
                                            count_lines=text)
        if not head:
            raise InputFileError(f"{p} is empty (0 bytes)")
        source = cls(p, "text", gzipped, head, limits, size, content)
        if gzipped:
            with _OSErrors(p), source._raw() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                head = gz.read(_HEAD_BYTES)
            if not head:
                raise InputFileError(f"{p} is empty once gzip-decompressed")
        kind = _sniff(head, p.name, gzipped)
        if kind == "text":
            _refuse_binary_text(head, p.name)  # a binary file is refused from its first block
        return dataclasses.replace(source, kind=kind, head=head)

    def _raw(self) -> IO[bytes]:
        """The bytes as stored (gzip-compressed or not)."""
        if self.content is not None:
            return io.BytesIO(self.content)
        return open(self.path, "rb")

    def stream(self) -> IO[bytes]:
        """A fresh read-only binary stream of the (decompressed) content.

        Decompressed content is bounded: reading past :attr:`Limits.max_input_bytes` raises
        :class:`InputFileError` (a gzip bomb is never inflated whole); in mzML/mzXML, so is a
        run of text longer than an array of :attr:`Limits.max_points` values can be.
        """
        raw = self._raw()
        xml = self.kind != "text"
        if not self.gzipped and not xml:
            return raw
        inner: _Readable = gzip.GzipFile(fileobj=raw, mode="rb") if self.gzipped else raw
        return cast(IO[bytes], _BoundedReader(inner, raw, self.name, self.limits, ceiling=self.gzipped,
                                              xml=xml))

    def read_all(self) -> bytes:
        """The whole (decompressed) content, within :attr:`Limits.max_input_bytes`."""
        ceiling = self.limits.max_input_bytes
        if len(self.head) < _HEAD_BYTES:  # the head is the whole (decompressed) content
            data = self.head
        elif self.gzipped:
            with _OSErrors(self.path), self.stream() as fh:
                data = _read_bounded([], fh, self.name, self.limits, "decompresses to", count_lines=True)
        elif self.content is not None:
            data = self.content
        else:  # a regular file: its size is known before it is read
            if self.size is not None and self.size > ceiling:
                raise InputFileError(
                    f"{self.name} is {_size(self.size)}, more than the {_size(ceiling)} a text spectrum may "
                    f"have ({BYTES_PER_POINT} bytes per point); {self.limits.raise_points_hint()}")
            known = ceiling if self.size is None else min(self.size, ceiling)
            with _OSErrors(self.path), open(self.path, "rb") as fh:
                # One read of the size on disk (read(n) reserves n bytes at once: never the
                # ceiling itself); a file that grew meanwhile is read on within the ceiling.
                data = fh.read(known + 1)
                if len(data) > known:
                    data = _read_bounded([data], fh, self.name, self.limits, "holds", count_lines=True)
        _check_text_shape(data, self.name, self.limits)
        return data


_CHUNK = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> int: ...

    def close(self) -> None: ...

_HEADER_LINES = 100_000  # lines allowed beyond one per point (header, blank lines)
_HEADER_BYTES = 1 << 20  # bytes allowed beyond _LINE_BYTES per line
_LINE_BYTES = 1024
_BASE64_PER_VALUE = 12  # base64 of one 8-byte value is 10.7 bytes, with line breaks less than 12


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _over_bytes(name: str, what: str, limits: Limits) -> InputFileError:
    return InputFileError(
        f"{name} {what} more than {_size(limits.max_input_bytes)} ({BYTES_PER_POINT} bytes for each of "
        f"the {limits.max_points:,} points allowed); {limits.raise_points_hint()}")


def _read_bounded(parts: list[bytes], fh: _Readable, name: str, limits: Limits, what: str, *,
                  count_lines: bool) -> bytes:
    """``parts`` and the rest of ``fh``, refused past the byte ceiling (and, for text, as soon
    as it has more lines than points allowed or lines no spectrum has)."""
    ceiling = limits.max_input_bytes
    shape = _TextShape(name, limits)
    total = 0
    for part in parts:
        total += len(part)
        if count_lines:
            shape.feed(part)
    while total <= ceiling:
        chunk = fh.read(min(_CHUNK, ceiling + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if count_lines:
            shape.feed(chunk)
    raise _over_bytes(name, what, limits)


class _TextShape:
    """Lines and bytes of text seen so far; refuses what cannot be a text spectrum of at most
    :attr:`Limits.max_points` rows: more lines than that (plus a header), or lines averaging
    over :data:`_LINE_BYTES` (a spectrum's rows are short; a bomb of blanks has no line ends)."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.bytes = self.lf = self.cr = 0

    def feed(self, data: bytes) -> None:
        self.bytes += len(data)
        self.lf += data.count(b"\n")
        self.cr += data.count(b"\r")  # old Mac exports end lines with CR alone
        lines = max(self.lf, self.cr)
        most = self.limits.max_points + _HEADER_LINES
        if lines > most:
            raise InputFileError(
                f"{self.name} has more than {most:,} lines, more than a text spectrum of at most "
                f"{self.limits.max_points:,} points may have; {self.limits.raise_points_hint()}")
        if self.bytes > _HEADER_BYTES + _LINE_BYTES * lines:
            raise InputFileError(
                f"{self.name} is not a text spectrum: {_size(self.bytes)} hold only {lines:,} line ends "
                f"(rows of m/z and intensity are lines of a few dozen bytes); is it a spectrum export?")


def _check_text_shape(data: bytes, name: str, limits: Limits) -> None:
    _TextShape(name, limits).feed(data)


def _refuse_binary_text(head: bytes, name: str) -> None:
    """Refuse a would-be text file whose first block holds NUL bytes (not UTF-16/32 text)."""
    from clusterms.spectra.read_text import refuse_binary

    refuse_binary(head, name=name)


class _BoundedReader(io.RawIOBase):
    """A read-only stream that refuses content past the limits as it is read.

    ``ceiling``: most bytes (of decompressed content; ``None`` for a plain file on disk).
    ``xml``: also refuse a run of text without markup longer than any array of
    :attr:`Limits.max_points` values can be in base64 (lxml would hold it whole).
    """

    def __init__(self, inner: _Readable, raw: _Readable, name: str, limits: Limits, *,
                 ceiling: bool, xml: bool) -> None:
        super().__init__()
        self._inner = inner
        self._raw = raw
        self._name = name
        self._limits = limits
        self._ceiling = limits.max_input_bytes if ceiling else None
        self._max_run = _BASE64_PER_VALUE * limits.max_points + _HEADER_BYTES if xml else None
        self._run = 0  # bytes since the last '<'
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # pyteomics seeks back to the start; gzip re-reads from there

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._position + offset if whence == io.SEEK_CUR else None
        if target is None:
            raise OSError("seek from the end of the content is not supported")
        if self._ceiling is not None and target > self._ceiling:
            raise _over_bytes(self._name, "decompresses to", self._limits)
        self._position = self._inner.seek(target)
        self._run = 0
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return _read_bounded([], self, self._name, self._limits, "decompresses to", count_lines=False)
        # Short reads of at most one chunk (callers read on until b""): a run of text inside
        # one chunk is then shorter than the run limit, and nothing is inflated far past the
        # ceiling, whatever the caller asks for.
        data = self._inner.read(min(size, _CHUNK))
        self._position += len(data)
        if self._ceiling is not None and self._position > self._ceiling:
            raise _over_bytes(self._name, "decompresses to", self._limits)
        if self._max_run is not None and data:
            self._track_run(data)
        return data

    def _track_run(self, data: bytes) -> None:
        first = data.find(b"<")
        if first < 0:
            self._run += len(data)
        else:
            longest = self._run + first
            self._run = len(data) - 1 - data.rfind(b"<")
            self._run = max(self._run, 0)
            if self._max_run is not None and longest > self._max_run:
                self._over_run()
        if self._max_run is not None and self._run > self._max_run:
            self._over_run()

    def _over_run(self) -> None:
        raise InputFileError(
            f"{self._name} holds a run of more than {_size(self._max_run or 0)} of text without markup, "
            f"longer than an array of {self._limits.max_points:,} points (the limit) can be (a bomb or "
            f"damaged file); {self._limits.raise_points_hint()}")

    def close(self) -> None:
        try:
            self._inner.close()
            self._raw.close()
        finally:
            super().close()


class _OSErrors:
    """Turn OS and gzip errors into InputFileError naming the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, InputFileError):
            return False
        p = self.path
        if isinstance(exc, FileNotFoundError):
            raise InputFileError(f"{p}: no such file") from exc
        if isinstance(exc, IsADirectoryError):
            raise InputFileError(f"{p} is a directory, not a file") from exc
        if isinstance(exc, PermissionError):
            raise InputFileError(f"{p}: permission denied; check the file's permissions") from exc
        if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
            raise InputFileError(
                f"{p}: damaged or truncated gzip data ({exc or type(exc).__name__}); "
                "re-create the .gz file"
            ) from exc
        if isinstance(exc, OSError):
            raise InputFileError(f"cannot read {p}: {exc.strerror or exc}") from exc
        return False


def _sniff(head: bytes, name: str, gzipped: bool) -> Kind:
    inner = " inside gzip" if gzipped else ""
    if head.startswith(_GZIP_MAGIC) and gzipped:
        raise InputFileError(f"{name} is gzip inside gzip; decompress it once first")
    for magic, what in _BINARY_KINDS:
        if head.startswith(magic):
            raise InputFileError(
                f"{name} is {what}{inner}, not a spectrum clusterms reads; "
                "convert it to mzML (e.g. with msconvert) or export it as text"
            )
    text = _xml_prologue(head)
    if text is None:
        return "text"
    if _INTERNAL_DTD.match(text):
        raise InputFileError(
            f"{name} declares an internal DTD (<!DOCTYPE ... [ ... ]>); clusterms refuses DTDs in "
            "XML files for safety (entity expansion can exhaust memory): delete the DOCTYPE "
            "declaration or re-convert the file with msconvert"
        )
    cleaned = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.S)
    root = re.match(r"\s*<([A-Za-z_][\w:.-]*)", cleaned)
    if root is None:
        raise InputFileError(
            f"{name} starts like XML but its first element cannot be found (malformed or "
            "truncated); re-export or re-convert it"
        )
    local = root.group(1).rsplit(":", 1)[-1]
    if local in ("mzML", "indexedmzML"):
        return "mzML"
    if local in ("mzXML", "msRun"):
        return "mzXML"
    raise InputFileError(
        f"{name} is XML with root element <{local}>, not mzML or mzXML; "
        "convert it to mzML (e.g. with msconvert)"
    )


# A DOCTYPE with an internal subset, before the root element (after the XML declaration,
# comments and processing instructions).
_INTERNAL_DTD = re.compile(r"\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*<!DOCTYPE\s[^>\[]*\[", re.S)


def _xml_prologue(head: bytes) -> str | None:
    """The decoded start of ``head`` if it is XML (starts with '<'), else None."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom):][:262_144].decode(encoding, errors="replace")
            break
    else:
        text = head[:262_144].decode("latin-1")
    return text if text.lstrip().startswith("<") else None


# ------------------------------------------------------------------------------ text path


def _text_spectrum(source: _Source, *, polarity: Any, notes: list[str]) -> Spectrum:
    table = parse_text(source.read_all(), name=source.name)
    _PointBudget(source).take(table.mz.size, scans=False)
    notes.extend(table.notes)
    mz, intensity, cleaning = _clean_checked(table.mz, table.intensity, source.name)
    repairs = cleaning.describe(source.name, "rows", table.row_lines)
    if not mz.size:
        raise InputFileError(f"{source.name} has no valid rows: {repairs[0]}")
    notes.extend(repairs)
    metadata = {**_base_metadata(source), **table.metadata, "points": int(mz.size)}
    return Spectrum(mz=mz, intensity=intensity, polarity=polarity, mode=None, metadata=metadata)


def _base_metadata(source: _Source) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source_file": source.name,
        "source_path": str(source.path),
        "format": source.kind,
    }
    if source.gzipped:
        meta["compression"] = "gzip"
    return meta


# ------------------------------------------------------------------------- mzML and mzXML


def _records(source: _Source, stream: IO[bytes]) -> Iterator[ScanRecord]:
    from clusterms.spectra.read_mzml import iter_mzml, iter_mzxml

    if source.kind == "mzML":
        return iter_mzml(stream, name=source.name)
    return iter_mzxml(stream, name=source.name)


def _xml_metadata(source: _Source) -> dict[str, Any]:
    """Where the spectra come from: file, format and the instrument named in the header."""
    from clusterms.spectra.read_mzml import instrument_from_header

    metadata = _base_metadata(source)
    instrument = instrument_from_header(source.head.decode("latin-1"), source.kind)
    if instrument:
        metadata["instrument"] = instrument
    return metadata


class _PointBudget:
    """The points one file may still bring into memory (:attr:`Limits.max_points`, summed over
    the scans read): each scan's arrays are decoded within what is left."""

    def __init__(self, source: _Source) -> None:
        self.limits = source.limits
        self.name = source.name
        self.left = source.limits.max_points

    def take(self, n: int, *, scans: bool = True) -> None:
        if n > self.left:
            if not scans:
                raise InputFileError(f"{self.name} holds {n:,} points; {self.limits.raise_points_hint()}")
            raise InputFileError(
                f"{self.name}: the scans read hold more than {self.limits.max_points:,} points; "
                f"choose fewer scans (--scan, --time-range) or {self.limits.raise_points_hint()}")
        self.left -= n


def _scan_arrays(record: ScanRecord, name: str, notes: list[str], budget: _PointBudget
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64], Cleaning]:
    """A scan's decoded, length-checked and cleaned arrays, and what the cleaning did."""
    mz, intensity = record.arrays(max_values=budget.left)
    _check_lengths(record, mz, intensity, name, notes)
    budget.take(mz.size)
    return _clean_checked(mz, intensity, name)


def _xml_spectrum(source: _Source, request: ScanRequest, notes: list[str]) -> Spectrum:
    from clusterms.spectra.read_mzml import quiet_pyteomics

    with _OSErrors(source.path), source.stream() as stream, quiet_pyteomics():
        if request.targets is not None:
            chosen = pick_targets(_records(source, stream), request, source.name)
        else:
            chosen = pick_matching(_records(source, stream), request, source.name, notes)
        parts, cleanings = [], []
        budget = _PointBudget(source)
        for record in chosen:
            mz, intensity, cleaning = _scan_arrays(record, source.name, notes, budget)
            parts.append((mz, intensity))
            cleanings.append(cleaning)
    repairs = describe_scans(cleanings, source.name)
    if not any(p[0].size for p in parts) and any(c.rows for c in cleanings):
        # Points were read but none is valid (an empty scan stays a valid, empty spectrum).
        raise InputFileError(f"{source.name} has no valid points: {repairs[0]}")
    notes.extend(repairs)
    mode = common_mode(chosen, source.name)
    with np.errstate(over="ignore", invalid="ignore"):
        mz, intensity = combine(parts, mode=mode, how=request.combine)
    _check_finite(intensity, source.name, "combined scans")
    polarities = {r.polarity for r in chosen} - {None}
    polarity = polarities.pop() if len(polarities) == 1 else None
    metadata = _xml_metadata(source)
    levels = sorted({r.ms_level for r in chosen if r.ms_level is not None})
    metadata.update(
        ms_level=levels[0] if len(levels) == 1 else (tuple(levels) or None),
        scan_ids=tuple(r.native_id for r in chosen),
        scan_indices=tuple(r.position for r in chosen),
        n_scans=len(chosen),
        points=int(mz.size),
    )
    times = [r.time_min for r in chosen if r.time_min is not None]
    if times:
        metadata["time_min"] = times[0] if len(chosen) == 1 else (min(times), max(times))
    if len(chosen) > 1:
        metadata["combine"] = request.combine
    else:
        metadata.update(chosen[0].extras)
    return Spectrum(mz=mz, intensity=intensity, polarity=polarity, mode=mode, metadata=metadata)


def _xml_spectra(source: _Source, request: ScanRequest, notes: list[str]) -> list[Spectrum]:
    from clusterms.spectra.read_mzml import quiet_pyteomics

    spectra: list[Spectrum] = []
    cleanings = []
    total = 0
    levels: Counter[int | None] = Counter()
    common = _xml_metadata(source)
    budget = _PointBudget(source)
    with _OSErrors(source.path), source.stream() as stream, quiet_pyteomics():
        for record in _records(source, stream):
            total += 1
            levels[record.ms_level] += 1
            if not record.has_mz or (
                request.ms_level is not None and record.ms_level != request.ms_level
            ):
                continue
            mz, intensity, cleaning = _scan_arrays(record, source.name, notes, budget)
            cleanings.append(cleaning)
            metadata = {
                **common,
                "scan_id": record.native_id,
                "scan_index": record.position,
                "ms_level": record.ms_level,
                "time_min": record.time_min,
                **record.extras,
            }
            spectra.append(
                Spectrum(mz=mz, intensity=intensity, polarity=record.polarity,
                         mode=record.mode, metadata=metadata)
            )
    if not total:
        raise InputFileError(no_spectra(source.name))
    if not spectra:
        raise InputFileError(no_level(source.name, request.ms_level, levels))
    notes.extend(describe_scans(cleanings, source.name))
    return spectra


def _clean_checked(
    mz: NDArray[np.float64], intensity: NDArray[np.float64], name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], Cleaning]:
    """Drop invalid points, sort, merge repeated m/z; refuse sums that overflow float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        mz, intensity, cleaning = clean(mz, intensity)
    _check_finite(intensity, name, "rows that repeat an m/z value")
    return mz, intensity, cleaning


def _check_finite(intensity: NDArray[np.float64], name: str, what: str) -> None:
    if not np.all(np.isfinite(intensity)):
        raise InputFileError(
            f"{name}: summing {what} overflows (intensities near 1e308); the intensities are "
            "not plausible: re-export the spectrum"
        )


def _check_lengths(
    record: ScanRecord,
    mz: NDArray[np.float64],
    intensity: NDArray[np.float64],
    name: str,
    notes: list[str],
) -> None:
    if mz.size != intensity.size:
        raise InputFileError(
            f"{name}: spectrum {record.native_id!r} has {mz.size} m/z values but "
            f"{intensity.size} intensities (damaged file or mislabelled compression)"
        )
    if record.declared_length and not mz.size:
        # e.g. mzXML peaks in a contentType pyteomics does not decode: nothing is left
        raise InputFileError(
            f"{name}: spectrum {record.native_id!r} declares {record.declared_length} points but "
            "none could be decoded (damaged data or an unsupported encoding); re-convert it to mzML"
        )
    if record.declared_length is not None and record.declared_length != mz.size:
        notes.append(
            f"{name}: spectrum {record.native_id!r} declares {record.declared_length} points "
            f"but holds {mz.size}; using the {mz.size}"
        )


