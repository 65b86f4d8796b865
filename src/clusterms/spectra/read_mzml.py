"""Scan records from mzML and mzXML files, read in file order with pyteomics.

The files are read sequentially (``use_index=False``): every scan is visited once anyway
to choose the MS level and polarity, and sequential reading never trusts the byte offsets
of an ``indexList`` (real files have offsets a few bytes short). Binary arrays are kept
encoded until a scan is chosen; mzML arrays are then decoded here by the *accession* of
their compression term (files exist whose term names disagree with their accessions).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import html
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import InputFileError
from clusterms.spectra import numpress

__all__ = [
    "ScanRecord",
    "instrument_from_header",
    "iter_mzml",
    "iter_mzxml",
    "quiet_pyteomics",
]

Polarity = Literal["positive", "negative"] | None
Mode = Literal["profile", "centroid"] | None
Arrays = tuple[NDArray[np.float64], NDArray[np.float64]]


@functools.cache
def _xml_errors() -> tuple[type[BaseException], ...]:
    # lxml and pyteomics are imported here, not at module level, so that reading a text
    # spectrum imports neither (an ``except`` clause evaluates this only when it must).
    from lxml import etree
    from pyteomics.auxiliary import PyteomicsError

    # What a damaged, truncated or odd file can raise from inside pyteomics and lxml.
    return (
        etree.Error,
        PyteomicsError,
        OSError,
        EOFError,
        zlib.error,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        UnicodeError,
        RecursionError,
    )


@dataclass(frozen=True)
class ScanRecord:
    """One scan of an mzML/mzXML file, its arrays still encoded.

    Parameters
    ----------
    position
        0-based position of the scan in the file.
    native_id
        The scan's id (mzML ``id``; ``scan=N`` for mzXML scan number N).
    ms_level, polarity, mode
        From the scan's terms; ``None`` when the file does not say.
    time_min
        Scan start time in minutes, ``None`` when absent.
    declared_length
        The number of points the file declares for the arrays.
    extras
        Cheap per-scan facts (precursor m/z, collision energy, filter string, drift time,
        names of arrays that are not read).
    """

    position: int
    native_id: str
    ms_level: int | None
    polarity: Polarity
    mode: Mode
    time_min: float | None
    declared_length: int | None
    extras: Mapping[str, Any]
    has_mz: bool
    decoder: Callable[[int | None], Arrays] = field(repr=False, compare=False)
    extra_decoder: Callable[[str], NDArray[np.float64]] | None = field(default=None, repr=False, compare=False)

    def arrays(self, *, max_values: int | None = None) -> Arrays:
        """Decode the m/z and intensity arrays (float64, in file order).

        Parameters
        ----------
        max_values
            Most values an array may hold (``None``: no limit); the decompressed data are
            bounded by it before they are made (no zlib bomb is ever inflated whole).

        Raises
        ------
        InputFileError
            Damaged data, or an array larger than ``max_values`` or than a sane multiple of
            the declared length.
        """
        return self.decoder(max_values)

    def array(self, name: str, /) -> NDArray[np.float64]:
        """Decode one of the other arrays by name (e.g. ``"mean ion mobility array"``, listed in
        ``extras["ignored_arrays"]``), float64 in file order (aligned with :meth:`arrays`)."""
        if self.extra_decoder is None:
            raise InputFileError(f"scan {self.native_id!r} has no array {name!r}")
        return self.extra_decoder(name)


@contextlib.contextmanager
def quiet_pyteomics() -> Iterator[None]:
    """Silence pyteomics' own warnings (schema, index), which say nothing to a user.

    Inside this context clusterms only collects notes; it warns after leaving it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"pyteomics(\.|$)")
        warnings.filterwarnings("ignore", category=UserWarning)
        yield


# ---------------------------------------------------------------------------------- mzML


class _NoVocabulary:
    """Stands in for the PSI-MS vocabulary that pyteomics would otherwise load per file.

    pyteomics uses the vocabulary only to type cvParam values (an int-valued term becomes
    an int); without it values are floats or strings, which is all this reader needs.
    Loading the real one costs about a second per file, may try the network, and makes
    pyteomics fail on accessions newer than the copy psims ships.
    """

    class _Term:
        relationship: tuple[()] = ()

        def __init__(self, accession: str) -> None:
            self.name = accession

    def __getitem__(self, accession: str) -> _Term:
        return self._Term(accession)


_NO_VOCABULARY = _NoVocabulary()

_POSITIVE, _NEGATIVE = "MS:1000130", "MS:1000129"
_CENTROID, _PROFILE = "MS:1000127", "MS:1000128"
_MS1_SPECTRUM = "MS:1000579"

# accession -> (zlib applied last when encoding, numpress decoder)
_CODECS: dict[str, tuple[bool, Callable[[bytes], NDArray[np.float64]] | None]] = {
    "MS:1000576": (False, None),  # no compression
    "MS:1000574": (True, None),  # zlib compression
    "MS:1002312": (False, numpress.decode_linear),
    "MS:1002313": (False, numpress.decode_pic),
    "MS:1002314": (False, numpress.decode_slof),
    "MS:1002746": (True, numpress.decode_linear),
    "MS:1002747": (True, numpress.decode_pic),
    "MS:1002748": (True, numpress.decode_slof),
}
_CODEC_NAMES = {
    "no compression": "MS:1000576",
    "zlib compression": "MS:1000574",
    "MS-Numpress linear prediction compression": "MS:1002312",
    "MS-Numpress positive integer compression": "MS:1002313",
    "MS-Numpress short logged float compression": "MS:1002314",
    "MS-Numpress linear prediction compression followed by zlib compression": "MS:1002746",
    "MS-Numpress positive integer compression followed by zlib compression": "MS:1002747",
    "MS-Numpress short logged float compression followed by zlib compression": "MS:1002748",
}
def _undecoded(data: bytes) -> bytes:
    """Placeholder decompressor: clusterms decodes arrays itself (decode_binary=False)."""
    return data


_DTYPES: dict[Any, np.dtype[Any]] = {
    np.float32: np.dtype("<f4"),
    np.float64: np.dtype("<f8"),
    np.int32: np.dtype("<i4"),
    np.int64: np.dtype("<i8"),
}


def iter_mzml(stream: IO[bytes], /, *, name: str) -> Iterator[ScanRecord]:
    """Scan records of an mzML stream, in file order.

    Raises
    ------
    InputFileError
        The XML is malformed or truncated.
    """
    from pyteomics import mzml

    def open_reader() -> Any:
        # huge_tree: one profile spectrum's base64 text can pass lxml's 10 MB node limit.
        reader = mzml.MzML(stream, use_index=False, decode_binary=False, read_schema=False,
                           huge_tree=True, cv=_NO_VOCABULARY)
        # pyteomics knows the MS-Numpress terms only when pynumpress is installed; without them
        # it reports "no compression". We decode numpress ourselves, so register the names.
        reader.compression_type_map = {**reader.compression_type_map,
                                       **{n: _undecoded for n in _CODEC_NAMES}}
        return reader

    yield from _records(open_reader, _mzml_record, name, "mzML")


def _records(open_reader: Callable[[], Iterable[Any]], to_record: Callable[[int, Any, str], ScanRecord],
             name: str, kind: str) -> Iterator[ScanRecord]:
    """Records of a pyteomics reader; a broken file (also while opening) is an InputFileError."""
    position = -1
    try:
        for position, item in enumerate(open_reader()):
            yield to_record(position, item, name)
    except InputFileError:
        raise
    except _xml_errors() as exc:
        raise InputFileError(_broken(name, kind, position, exc)) from exc


def _mzml_record(position: int, spec: Mapping[str, Any], name: str) -> ScanRecord:
    native_id = str(spec.get("id", f"index={position}"))
    accessions = _accessions(spec)
    scan_list = spec.get("scanList")
    scans = scan_list.get("scan", [{}]) if isinstance(scan_list, Mapping) else [{}]
    scan: Mapping[str, Any] = {}
    if isinstance(scans, list) and scans and isinstance(scans[0], Mapping):
        scan = scans[0]
    accessions |= _accessions(scan)
    level = spec.get("ms level")
    ms_level = level if isinstance(level, int) else (1 if _MS1_SPECTRUM in accessions else None)
    polarity: Polarity = None
    if _POSITIVE in accessions and _NEGATIVE not in accessions:
        polarity = "positive"
    elif _NEGATIVE in accessions and _POSITIVE not in accessions:
        polarity = "negative"
    mode: Mode = None
    if _CENTROID in accessions and _PROFILE not in accessions:
        mode = "centroid"
    elif _PROFILE in accessions and _CENTROID not in accessions:
        mode = "profile"
    mz_rec, int_rec = spec.get("m/z array"), spec.get("intensity array")
    declared = spec.get("defaultArrayLength")
    if "arrayLength" in spec:  # a per-array length overrides the spectrum's
        declared = None
    extras = _mzml_extras(spec, scan)

    declared_count = _count(declared)

    def decode(max_values: int | None) -> Arrays:
        where = f"{name}: spectrum {native_id!r}"
        if mz_rec is None or int_rec is None:
            missing = "m/z" if mz_rec is None else "intensity"
            raise InputFileError(f"{where} has no {missing} array")
        bound = _Bound(declared_count, max_values)
        return (_decode_mzml_array(mz_rec, where, "m/z array", bound),
                _decode_mzml_array(int_rec, where, "intensity array", bound))

    def decode_extra(key: str) -> NDArray[np.float64]:
        if key not in spec:
            raise InputFileError(f"{name}: spectrum {native_id!r} has no {key}")
        from clusterms.limits import current

        return _decode_mzml_array(spec[key], f"{name}: spectrum {native_id!r}", key,
                                  _Bound(declared_count, current().max_points))

    return ScanRecord(
        position=position,
        native_id=native_id,
        ms_level=ms_level,
        polarity=polarity,
        mode=mode,
        time_min=_minutes(scan.get("scan start time")),
        declared_length=declared_count,
        extras=extras,
        has_mz=mz_rec is not None,
        decoder=decode,
        extra_decoder=decode_extra,
    )


def _accessions(info: Mapping[str, Any]) -> set[str]:
    return {acc for key in info if (acc := getattr(key, "accession", None))}


def _mzml_extras(spec: Mapping[str, Any], scan: Mapping[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for key, label in (
        ("filter string", "filter"),
        ("ion mobility drift time", "drift_time_ms"),
        ("inverse reduced ion mobility", "inverse_ion_mobility"),
    ):
        if key in scan:
            extras[label] = scan[key]
    with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
        precursor = spec["precursorList"]["precursor"][0]
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            ion = precursor["selectedIonList"]["selectedIon"][0]
            extras["precursor_mz"] = float(ion["selected ion m/z"])
        with contextlib.suppress(KeyError, TypeError, ValueError):
            extras["collision_energy"] = float(precursor["activation"]["collision energy"])
    read = ("m/z array", "intensity array")
    other = sorted(str(k) for k in spec if str(k).endswith(" array") and k not in read)
    if other:
        extras["ignored_arrays"] = tuple(other)
    return extras


# An array may decompress to this many times the 8 bytes per point its spectrum declares (a
# declared length a little off is repaired with a note; a thousandfold one is a bomb), and to
# at least this many bytes whatever it declares.
_DECLARED_SLACK = 4
_SMALLEST_CAP = 1 << 20
_VALUE_BYTES = 8  # the widest value an array holds (float64, int64; numpress is smaller)


@dataclass(frozen=True)
class _Bound:
    """How large the arrays of one scan may be: from its declared length and the point limit."""

    declared: int | None
    max_values: int | None

    def cap(self) -> int | None:
        """Most decompressed bytes an array may have (``None``: no bound)."""
        caps = [c for c in (self._declared_cap(), self._limit_cap()) if c is not None]
        return min(caps) if caps else None

    def _declared_cap(self) -> int | None:
        if not self.declared:  # 0 or not said: only the point limit applies
            return None
        return max(_SMALLEST_CAP, _DECLARED_SLACK * _VALUE_BYTES * self.declared)

    def _limit_cap(self) -> int | None:
        return None if self.max_values is None else _VALUE_BYTES * self.max_values + 64  # + numpress header

    def too_large(self, where: str, label: str, what: str) -> InputFileError:
        declared = self._declared_cap()
        limit = self._limit_cap()
        if limit is not None and (declared is None or limit <= declared):
            return self._over_limit(where, label, what)
        return InputFileError(
            f"{where}: its {label} {what}, more than {_DECLARED_SLACK} times the {self.declared:,} "
            "points the spectrum declares (a zlib bomb or damaged data); re-convert the file")

    def _over_limit(self, where: str, label: str, what: str) -> InputFileError:
        from clusterms.limits import current

        return InputFileError(f"{where}: its {label} {what}, more than the {self.max_values:,} points "
                              f"left under the limit; {current().raise_points_hint()}")

    def check_values(self, n: int, where: str, label: str) -> None:
        if self.max_values is not None and n > self.max_values:
            raise self._over_limit(where, label, f"holds {n:,} values")


def _inflate(raw: bytes, cap: int | None) -> bytes | None:
    """zlib-decompress ``raw`` to at most ``cap`` bytes; ``None`` when it holds more.

    Raises ``zlib.error`` for damaged or truncated data, as :func:`zlib.decompress` does.
    """
    inflater = zlib.decompressobj()
    if cap is None:
        out = inflater.decompress(raw)
    else:
        out = inflater.decompress(raw, cap)
        if not inflater.eof and inflater.decompress(inflater.unconsumed_tail, 1):
            return None
    if not inflater.eof:
        raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
    return out


def _decode_mzml_array(record: Any, where: str, name: str, bound: _Bound) -> NDArray[np.float64]:
    if not hasattr(record, "data"):
        # e.g. a lone <cvParam name="m/z array"/> outside any <binaryDataArray>
        raise InputFileError(f"{where}: its {name} is a bare term, not a binary data array (damaged file)")
    label = str(getattr(record, "key", name))
    codec = getattr(record, "compression", None)
    accession = getattr(codec, "accession", None) or _CODEC_NAMES.get(str(codec))
    if codec is None:
        accession = "MS:1000576"
    if accession not in _CODECS:
        raise InputFileError(
            f"{where}: {label} uses compression {str(codec)!r} ({accession}), which clusterms "
            "cannot decode; convert the file with msconvert (zlib or no compression)"
        )
    zlib_first, numpress_decoder = _CODECS[accession]
    try:
        raw = base64.b64decode(record.data or "")
        cap = bound.cap()
        if zlib_first:
            inflated = _inflate(raw, cap)
            if inflated is None:
                raise bound.too_large(where, label, f"decompresses to more than {cap:,} bytes")
            raw = inflated
        # Data without zlib are in memory already (no bomb): only the point limit applies.
        if numpress_decoder is not None:
            values = numpress_decoder(raw)
            bound.check_values(values.size, where, label)
            return values
        dtype = _DTYPES.get(getattr(record, "dtype", None))
        if dtype is None:
            raise InputFileError(f"{where}: {label} has no known binary data type term")
        if len(raw) % dtype.itemsize:
            raise InputFileError(
                f"{where}: {label} holds {len(raw)} bytes, not a whole number of "
                f"{dtype.itemsize}-byte values (damaged data or a wrong data type term)"
            )
        bound.check_values(len(raw) // dtype.itemsize, where, label)
        return np.frombuffer(raw, dtype=dtype).astype(np.float64)
    except InputFileError:  # a ValueError too: already says what is wrong
        raise
    except (binascii.Error, zlib.error, numpress.NumpressError, TypeError, ValueError) as exc:
        # ValueError: base64 text with non-ASCII characters (binascii.Error is one too).
        raise InputFileError(f"{where}: {label} cannot be decoded ({exc})") from exc


# --------------------------------------------------------------------------------- mzXML


def iter_mzxml(stream: IO[bytes], /, *, name: str) -> Iterator[ScanRecord]:
    """Scan records of an mzXML stream, in scan-number order (as pyteomics yields them).

    Raises
    ------
    InputFileError
        The XML is malformed or truncated.
    """
    from pyteomics import mzxml

    def open_reader() -> Any:
        return mzxml.MzXML(stream, use_index=False, decode_binary=False, read_schema=False, huge_tree=True)

    yield from _records(open_reader, _mzxml_record, name, "mzXML")


def _mzxml_record(position: int, scan: Mapping[str, Any], name: str) -> ScanRecord:
    num = scan.get("num", scan.get("id", position))
    native_id = f"scan={num}"
    polarity: Polarity = {"+": "positive", "-": "negative"}.get(str(scan.get("polarity")))  # type: ignore[assignment]
    centroided = scan.get("centroided")
    mode: Mode = None
    if centroided in (True, "1", "true"):
        mode = "centroid"
    elif centroided in (False, "0", "false"):
        mode = "profile"
    level = scan.get("msLevel")
    count = scan.get("peaksCount")
    mz_rec, int_rec = scan.get("m/z array"), scan.get("intensity array")
    extras: dict[str, Any] = {}
    if scan.get("filterLine"):
        extras["filter"] = str(scan["filterLine"])
    with contextlib.suppress(KeyError, IndexError, TypeError, ValueError):
        extras["precursor_mz"] = float(scan["precursorMz"][0]["precursorMz"])
    if scan.get("collisionEnergy") is not None:
        with contextlib.suppress(TypeError, ValueError):
            extras["collision_energy"] = float(scan["collisionEnergy"])

    declared = _count(count)

    def decode(max_values: int | None) -> Arrays:
        where = f"{name}: scan {num}"
        if mz_rec is None or int_rec is None:
            return np.empty(0), np.empty(0)  # peaksCount 0: pyteomics gives no arrays
        bound = _Bound(declared, max_values)
        try:
            return _mzxml_arrays(mz_rec, int_rec, bound, where)
        except InputFileError:
            raise
        except (binascii.Error, zlib.error, ValueError, TypeError, KeyError, IndexError) as exc:
            raise InputFileError(f"{where}: peaks cannot be decoded ({exc})") from exc

    return ScanRecord(
        position=position,
        native_id=native_id,
        ms_level=int(level) if isinstance(level, int | float) else None,
        polarity=polarity,
        mode=mode,
        time_min=_minutes(scan.get("retentionTime")),
        declared_length=_count(count),
        extras=extras,
        has_mz=True,
        decoder=decode,
    )


def _mzxml_arrays(mz_rec: Any, int_rec: Any, bound: _Bound, where: str) -> Arrays:
    """The m/z and intensity arrays of an mzXML scan, decompressed within ``bound``.

    mzXML interleaves the two arrays in one ``<peaks>`` block: pyteomics hands both records
    the same encoded data and a structured dtype; it is decoded once, here.
    """
    dtype = getattr(mz_rec, "dtype", None)
    data = getattr(mz_rec, "data", None)
    keys = ("m/z array", "intensity array")
    if not (isinstance(dtype, np.dtype) and dtype.names and all(k in dtype.names for k in keys)
            and isinstance(data, str | bytes) and getattr(int_rec, "data", None) is data):
        # Arrays pyteomics has already decoded (or another layout): it decodes them.
        arrays = (np.asarray(_mzxml_array(mz_rec), dtype=np.float64),
                  np.asarray(_mzxml_array(int_rec), dtype=np.float64))
        bound.check_values(arrays[0].size, where, "peak list")
        return arrays
    raw = base64.b64decode(cast(str | bytes, data))
    cap = bound.cap()
    cap = None if cap is None else 2 * cap  # two interleaved arrays
    if getattr(mz_rec, "compression", None) == "zlib compression":
        inflated = _inflate(raw, cap)
        if inflated is None:
            raise bound.too_large(where, "peak list", f"decompresses to more than {cap:,} bytes")
        raw = inflated
    if len(raw) % dtype.itemsize:
        raise ValueError(f"{len(raw)} bytes are not a whole number of {dtype.itemsize}-byte (m/z, intensity) pairs")
    bound.check_values(len(raw) // dtype.itemsize, where, "peak list")
    pairs = np.frombuffer(raw, dtype=dtype)
    return (np.asarray(pairs[keys[0]], dtype=np.float64), np.asarray(pairs[keys[1]], dtype=np.float64))


def _mzxml_array(record: Any) -> Any:
    return record.decode() if hasattr(record, "decode") else record


# ------------------------------------------------------------------------------- helpers

_TIME_UNITS = {  # by name, or by accession when a file gives no unitName
    "minute": 1.0,
    "UO:0000031": 1.0,
    "second": 1 / 60,
    "UO:0000010": 1 / 60,
    "millisecond": 1 / 60_000,
    "UO:0000028": 1 / 60_000,
    "hour": 60.0,
    "UO:0000032": 60.0,
}


def _minutes(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    unit = getattr(value, "unit_info", None)
    # mzML requires a unit; an mzXML bare number ("duration" without ISO form) is seconds.
    factor = _TIME_UNITS.get(str(unit), 1 / 60 if unit == "duration" else 1.0)
    minutes = float(value) * factor
    return minutes if np.isfinite(minutes) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _broken(name: str, kind: str, position: int, exc: BaseException) -> str:
    where = "before the first spectrum" if position < 0 else f"after spectrum #{position}"
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return (
        f"{name} is not a readable {kind} file: it is malformed or truncated {where} "
        f"({detail}); re-export or re-convert it"
    )


_INSTRUMENT_BLOCK = re.compile(r"<instrumentConfiguration\b.*?</instrumentConfiguration>", re.S)
_COMPONENTS = re.compile(r"<componentList\b.*?</componentList>", re.S)
_PARAM_NAME = re.compile(r"<cvParam\b[^>]*?\bname=\"([^\"]*)\"")
_GROUP_REF = re.compile(r"<referenceableParamGroupRef\b[^>]*?\bref=\"([^\"]*)\"")
_MZXML_MODEL = re.compile(r"<msModel\b[^>]*?\bvalue=\"([^\"]*)\"")
_MZXML_MAKER = re.compile(r"<msManufacturer\b[^>]*?\bvalue=\"([^\"]*)\"")
_GENERIC = {"instrument model", "instrument serial number"}


def instrument_from_header(head: str, kind: str) -> str | None:
    """The instrument model named in the file header, if any (cheap text search).

    Parameters
    ----------
    head
        The start of the file, decoded (the header precedes the first spectrum).
    kind
        ``"mzML"`` or ``"mzXML"``.
    """
    if kind == "mzXML":
        model, maker = _MZXML_MODEL.search(head), _MZXML_MAKER.search(head)
        parts = [_xml_text(m.group(1)) for m in (maker, model) if m and m.group(1)]
        return " ".join(parts) or None
    names: list[str] = []
    for block in _INSTRUMENT_BLOCK.findall(head):
        block = _COMPONENTS.sub("", block)
        names += _PARAM_NAME.findall(block)
        for ref in _GROUP_REF.findall(block):
            group = re.search(
                rf"<referenceableParamGroup\b[^>]*?\bid=\"{re.escape(ref)}\".*?</referenceableParamGroup>",
                head,
                re.S,
            )
            if group:
                names += _PARAM_NAME.findall(group.group(0))
    models = [n for n in dict.fromkeys(_xml_text(n) for n in names) if n and n not in _GENERIC]
    return models[0] if models else None


def _xml_text(value: str) -> str:
    # The header is searched as raw text: undo the XML escapes of an attribute value
    # ("&lt;", "&amp;", "&#233;" ...) so that the name is what the file says, once.
    return html.unescape(value)
