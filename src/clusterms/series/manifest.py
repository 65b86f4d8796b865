"""Series manifests: ``file,time`` (``5 min``, ``2 h``, ``48 h``, ``2 d``) or ``file,concentration``
(a number with a unit, e.g. ``0.5 eq``); or a folder whose file names carry the times."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from clusterms.errors import InputFileError, OptionError
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
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read the manifest ({exc})") from None
    head = [c.strip().lower() for c in rows[0][:2]] if rows else []
    if len(head) < 2 or head[0] != "file" or not (head[1] == "time" or head[1].startswith("concentration")):
        raise InputFileError(f"{p}: a series manifest starts with the header 'file,time' or 'file,concentration'")
    kind = "time" if head[1] == "time" else "concentration"
    unit = "h" if kind == "time" else head[1].removeprefix("concentration").strip(" ()[]_")
    files, values = [], []
    for k, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) < 2:
            raise InputFileError(f"{p}: line {k}: expected 'file,{kind}'")
        try:
            if kind == "time":
                v = parse_time_h(r[1])
            else:
                v, u = parse_quantity(r[1])
                if u and unit and u != unit:
                    raise OptionError(f"unit {u!r} differs from {unit!r}")
                unit = unit or u
        except OptionError as exc:
            raise InputFileError(f"{p}: line {k}: {exc}") from None
        f = Path(r[0].strip())
        files.append(f if f.is_absolute() else p.parent / f)
        values.append(v)
    return _checked(p, SeriesManifest(kind, unit, tuple(files), tuple(values)))


def _checked(p: Path, m: SeriesManifest) -> SeriesManifest:
    if len(m.files) < 2:
        raise InputFileError(f"{p}: a series needs two or more spectra, found {len(m.files)}")
    if len(set(m.values)) != len(m.values):
        dup = next(v for v in m.values if m.values.count(v) > 1)
        raise InputFileError(f"{p}: two spectra at {m.kind} {dup:g}; give one per point")
    return m
