"""Series manifests: ``file,time`` (``5 min``, ``2 h``, ``48 h``, ``2 d``) or ``file,concentration``
(a number with a unit, e.g. ``0.5 eq``); or a folder whose file names carry the times."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clusterms.errors import InputFileError, OptionError
from clusterms.manifest import read_manifest
from clusterms.units import parse_quantity, parse_time_h, time_from_name

__all__ = ["SeriesManifest", "read_series_manifest"]

_SUFFIXES = {".mzml", ".mzxml", ".txt", ".csv", ".tsv", ".xy", ".dat", ".gz"}


@dataclass(frozen=True, slots=True)
class SeriesManifest:
    """``kind`` is ``time`` (values in hours) or ``concentration`` (values in ``unit``)."""

    kind: str
    unit: str
    files: tuple[Path, ...]
    values: tuple[float, ...]


def read_series_manifest(path: str | Path, /) -> SeriesManifest:
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                       and f.suffix.lower() in _SUFFIXES)
        times = [time_from_name(f.name) for f in files]
        bad = [f for f, t in zip(files, times, strict=True) if t is None]
        if not files:
            raise InputFileError(f"{p}: no spectrum files in the folder")
        if bad:
            raise InputFileError(f"{bad[0]}: no time in the name (write e.g. mix_2h.mzML), or give a manifest "
                                 "CSV 'file,time'")
        return _checked(p, SeriesManifest("time", "h", tuple(files), tuple(float(t) for t in times if t is not None)))
    row_unit = ""

    def parse(kind: str, header_unit: str, text: str) -> float:
        nonlocal row_unit
        if kind == "time":
            return parse_time_h(text)
        value, u = parse_quantity(text)
        expected = header_unit or row_unit
        if u and expected and u != expected:
            raise OptionError(f"unit {u!r} differs from {expected!r}")
        row_unit = row_unit or u
        return value

    kind, header_unit, rows = read_manifest(p, kinds=("time", "concentration"), parse=parse)
    unit = "h" if kind == "time" else (header_unit or row_unit)
    return _checked(p, SeriesManifest(kind, unit, tuple(f for f, _ in rows), tuple(v for _, v in rows)))


def _checked(p: Path, m: SeriesManifest) -> SeriesManifest:
    if len(m.files) < 2:
        raise InputFileError(f"{p}: a series needs two or more spectra, found {len(m.files)}")
    if len(set(m.values)) != len(m.values):
        dup = next(v for v in m.values if m.values.count(v) > 1)
        raise InputFileError(f"{p}: two spectra at {m.kind} {dup:g}; give one per point")
    return m
