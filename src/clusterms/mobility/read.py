"""Ion-mobility runs: one mass spectrum per drift bin, whatever the file layout.

Three layouts are read:

- mzML with one scan per drift bin, each carrying an "ion mobility drift time" term
  (MS:1002476), as ProteoWizard writes Waters and UIMF data (MS1 scans only);
- mzML whose spectra carry an ion-mobility array aligned with m/z (MS:1002816 "mean ion
  mobility array", "raw ion mobility array", "mean drift time array" ...);
- text with three columns: m/z, drift time (ms), intensity.

Drift times that jitter from frame to frame (UIMF frames differ by ~1 %) are merged into one
bin when they lie closer than a quarter of the typical bin step.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import InputFileError
from clusterms.limits import current
from clusterms.spectra.spectrum import Spectrum

__all__ = ["MobilityRun", "read_mobility"]

FloatArray = NDArray[np.float64]

#: Above this many distinct mobility values (a continuous array), points are binned evenly.
MAX_BINS = 400
_EVEN_BINS = 200
_MIN_BINS = 3

# Time units of the drift-time term, by name or accession, as factors to milliseconds.
_TO_MS = {"millisecond": 1.0, "UO:0000028": 1.0, "second": 1000.0, "UO:0000010": 1000.0,
          "microsecond": 1e-3, "UO:0000029": 1e-3, "minute": 60_000.0, "UO:0000031": 60_000.0}
_ARRAY_NAME = re.compile(r"(ion mobility|drift time)[a-z ]* array$")


@dataclass(frozen=True, eq=False)
class MobilityRun:
    """The spectra of an ion-mobility run, by drift bin.

    Attributes
    ----------
    drift
        Bin centres, ascending (in ``unit``).
    scans
        The spectra of each bin: one per scan merged into it (frames of a UIMF run, spectra of
        a mobility-array file), each on its own m/z sampling, repeated m/z values summed.
    unit
        ``"ms"`` (drift time) or ``"V s/cm2"`` (inverse reduced mobility 1/K0).
    layout
        ``"drift-time scans"``, ``"mobility array"`` or ``"text"``.
    source
        The file read.
    """

    drift: FloatArray
    scans: tuple[tuple[Spectrum, ...], ...]
    unit: str
    layout: str
    source: str

    @property
    def mode(self) -> str | None:
        """``"profile"`` or ``"centroid"`` when every scan says the same, else ``None``."""
        modes = {s.mode for b in self.scans for s in b}
        return modes.pop() if len(modes) == 1 else None

    @property
    def polarity(self) -> str | None:
        pol = {s.polarity for b in self.scans for s in b} - {None}
        return pol.pop() if len(pol) == 1 else None

    @property
    def spectra(self) -> tuple[Spectrum, ...]:
        """One spectrum per bin: its scans' points together, repeated m/z values summed."""
        return tuple(_merged([s.mz for s in b], [s.intensity for s in b]) for b in self.scans)

    def __len__(self) -> int:
        return int(self.drift.size)


def read_mobility(path: str | Path, /) -> MobilityRun:
    """Read an ion-mobility run (mzML drift-time scans, mzML mobility arrays or 3-column text).

    Raises
    ------
    InputFileError
        Missing, unreadable or damaged file; no drift-time information; fewer than 3 bins.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ims.txt"
    >>> _ = p.write_text("mz,drift_ms,intensity\\n1603.2,5.0,10\\n1603.2,5.1,30\\n1603.2,5.2,12\\n")
    >>> run = read_mobility(p)
    >>> run.drift.tolist(), run.unit
    ([5.0, 5.1, 5.2], 'ms')
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(4096)
        gzipped = head.startswith(b"\x1f\x8b")
        if gzipped:
            with gzip.open(p, "rb") as gz:
                head = gz.read(4096)
    except IsADirectoryError:
        raise InputFileError(f"{p} is a directory, not an ion-mobility file") from None
    except (OSError, EOFError) as exc:
        raise InputFileError(f"cannot read {p}: {getattr(exc, 'strerror', None) or exc}") from None
    if not head.strip():
        raise InputFileError(f"{p} is empty")
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_head.startswith(b"<"):
        if b"<mzML" not in head and b"<indexedmzML" not in head:
            raise InputFileError(f"{p.name} is XML but not mzML; ion mobility is read from mzML or "
                                 "three-column text (m/z, drift time, intensity)")
        return _read_mzml(p, gzipped)
    return _read_text(p, gzipped)


# ---------------------------------------------------------------------------------- mzML


def _open(p: Path, gzipped: bool) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(p, "rb")) if gzipped else open(p, "rb")


def _drift_ms(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    unit = str(getattr(value, "unit_info", None) or "millisecond")
    factor = _TO_MS.get(unit)
    if factor is None:
        raise InputFileError(f"drift time unit {unit!r} is not a time unit clusterms knows")
    return v * factor if np.isfinite(v) else None


def _finite(mz: FloatArray, inten: FloatArray, *more: FloatArray) -> list[FloatArray]:
    keep = np.isfinite(mz) & np.isfinite(inten) & (mz > 0)
    for m in more:
        keep &= np.isfinite(m)
    return [a[keep] for a in (mz, inten, *more)]


def _records(p: Path, gzipped: bool) -> Iterator[Any]:
    from clusterms.spectra.read_mzml import iter_mzml, quiet_pyteomics

    try:
        with _open(p, gzipped) as stream, quiet_pyteomics():
            yield from iter_mzml(stream, name=p.name)
    except (OSError, EOFError) as exc:
        raise InputFileError(f"cannot read {p}: {getattr(exc, 'strerror', None) or exc}") from None


def _read_mzml(p: Path, gzipped: bool) -> MobilityRun:
    scans: list[tuple[float, FloatArray, FloatArray, Any, Any]] = []
    points: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    array_name: str | None = None
    modes: set[Any] = set()
    polarities: set[Any] = set()
    for rec in _records(p, gzipped):
        if not rec.has_mz or rec.ms_level not in (1, None):
            continue
        drift = rec.extras.get("drift_time_ms")
        arrays = [a for a in rec.extras.get("ignored_arrays", ()) if _ARRAY_NAME.search(a)]
        if drift is not None:
            t = _drift_ms(drift)
            if t is None:
                continue
            mz, inten = _finite(*rec.arrays(max_values=current().max_points))
            scans.append((t, mz, inten, rec.mode, rec.polarity))
        elif arrays:
            array_name = array_name or arrays[0]
            mz, inten = rec.arrays(max_values=current().max_points)
            mob = rec.array(array_name)
            if not mz.size == inten.size == mob.size:
                raise InputFileError(f"{p.name}: spectrum {rec.native_id!r} has arrays of different "
                                     f"lengths (m/z {mz.size}, {array_name} {mob.size})")
            points.append(tuple(_finite(mz, inten, mob)))  # type: ignore[arg-type]
            modes.add(rec.mode)
            polarities.add(rec.polarity)
    if scans:
        drift = np.array([s[0] for s in scans])
        groups = _group(drift)
        bins, centres = [], []
        for members in groups:
            centres.append(float(drift[members].mean()))
            bins.append(tuple(_merged([scans[i][1]], [scans[i][2]], mode=scans[i][3], polarity=scans[i][4],
                                      drift=float(scans[i][0])) for i in members))
        return _run(np.array(centres), bins, "ms", "drift-time scans", p)
    if points:
        mz = np.concatenate([a[0] for a in points])
        inten = np.concatenate([a[1] for a in points])
        mob = np.concatenate([a[2] for a in points])
        owner = np.concatenate([np.full(a[0].size, k) for k, a in enumerate(points)])
        unit = "ms" if "drift time" in (array_name or "") or _array_unit_is_ms(p, gzipped, array_name) else "V s/cm2"
        run_mode = modes.pop() if len(modes) == 1 else None
        pol = polarities - {None}
        return _from_points(mz, mob, inten, owner, unit=unit, layout="mobility array", source=p,
                            mode=run_mode, polarity=pol.pop() if len(pol) == 1 else None)
    raise InputFileError(f"{p.name} holds no ion-mobility data: no MS1 scan carries an 'ion mobility drift "
                         "time' term and no spectrum has an ion-mobility array")


def _array_unit_is_ms(p: Path, gzipped: bool, name: str | None) -> bool:
    """Whether the file gives the mobility array in milliseconds (its unitName, a cheap text search)."""
    if name is None:
        return False
    with _open(p, gzipped) as fh:
        text = fh.read(1 << 22).decode("latin-1")
    m = re.search(rf'name="{re.escape(name)}"[^>]*unitName="([^"]*)"', text)
    return bool(m and m.group(1) == "millisecond")


# ---------------------------------------------------------------------------------- text

_SPLIT = re.compile(r"[,;\t ]+")


def _read_text(p: Path, gzipped: bool) -> MobilityRun:
    try:
        with _open(p, gzipped) as fh:
            raw = fh.read()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{p.name} is neither mzML nor UTF-8 text") from None
    except (OSError, EOFError) as exc:
        raise InputFileError(f"cannot read {p}: {getattr(exc, 'strerror', None) or exc}") from None
    rows: list[tuple[float, float, float]] = []
    started = False
    for number, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        fields = [f for f in _SPLIT.split(s) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not started:
                continue  # a header line before the data
            raise InputFileError(f"{p.name} line {number}: not three numbers (m/z, drift time, intensity): "
                                 f"{s[:60]!r}") from None
        if len(values) != 3:
            raise InputFileError(f"{p.name} line {number}: {len(values)} columns; an ion-mobility text file "
                                 "has three (m/z, drift time in ms, intensity)")
        started = True
        rows.append((values[0], values[1], values[2]))
    if not rows:
        raise InputFileError(f"{p.name} has no data rows (m/z, drift time in ms, intensity)")
    a = np.array(rows)
    mz, inten, mob = _finite(a[:, 0], a[:, 2], a[:, 1])
    if not mz.size:
        raise InputFileError(f"{p.name} has no finite rows with m/z > 0")
    return _from_points(mz, mob, inten, np.zeros(mz.size, dtype=np.intp), unit="ms", layout="text", source=p,
                        mode=None, polarity=None)


# ------------------------------------------------------------------------------- binning


def _group(values: FloatArray) -> list[NDArray[np.intp]]:
    """Indices of ``values`` grouped into bins: neighbours closer than a quarter step merge."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    gaps = np.diff(v)
    span = float(v[-1] - v[0]) if v.size else 0.0
    steps = gaps[gaps > 0.01 * span] if span > 0 else gaps[:0]
    tol = 0.25 * float(np.median(steps)) if steps.size else 0.0
    cuts = np.flatnonzero(gaps > tol) + 1
    return [order[g] for g in np.split(np.arange(v.size), cuts)]


def _merged(mzs: list[FloatArray], ys: list[FloatArray], *, mode: Any = None, polarity: Any = None,
            drift: float | None = None) -> Spectrum:
    """One spectrum of these points, repeated m/z values summed."""
    mz, y = np.concatenate(mzs), np.concatenate(ys)
    uniq, inv = np.unique(mz, return_inverse=True)
    if uniq.size < mz.size:
        mz, y = uniq, np.asarray(np.bincount(inv, weights=y, minlength=uniq.size), dtype=np.float64)
    return Spectrum(mz, y, polarity=polarity, mode=mode, metadata={} if drift is None else {"drift": drift})


def _from_points(mz: FloatArray, mob: FloatArray, inten: FloatArray, owner: NDArray[np.intp], *, unit: str,
                 layout: str, source: Path, mode: Any, polarity: Any) -> MobilityRun:
    groups = _group(mob)
    if len(groups) > MAX_BINS:  # a continuous mobility array: even bins over its range
        edges = np.linspace(mob.min(), mob.max(), _EVEN_BINS + 1)
        which = np.clip(np.searchsorted(edges, mob, side="right") - 1, 0, _EVEN_BINS - 1)
        groups = [np.flatnonzero(which == k) for k in range(_EVEN_BINS)]
        centres = 0.5 * (edges[:-1] + edges[1:])
        keep = [k for k, g in enumerate(groups) if g.size]
        groups, centre_list = [groups[k] for k in keep], [float(centres[k]) for k in keep]
    else:
        centre_list = [float(mob[g].mean()) for g in groups]
    bins = []
    for g, c in zip(groups, centre_list, strict=True):
        # Points of one source spectrum stay one scan (its own m/z sampling).
        bins.append(tuple(_merged([mz[g][owner[g] == o]], [inten[g][owner[g] == o]], mode=mode, polarity=polarity,
                                  drift=c) for o in np.unique(owner[g])))
    return _run(np.array(centre_list), bins, unit, layout, source)


def _run(drift: FloatArray, bins: list[tuple[Spectrum, ...]], unit: str, layout: str, source: Path) -> MobilityRun:
    if drift.size < _MIN_BINS:
        raise InputFileError(f"{source.name} has {drift.size} drift bin(s); an arrival-time distribution needs "
                             f"at least {_MIN_BINS}")
    order = np.argsort(drift, kind="stable")
    d = np.array(drift[order], dtype=np.float64)
    d.flags.writeable = False
    return MobilityRun(drift=d, scans=tuple(bins[i] for i in order), unit=unit, layout=layout,
                       source=str(source))
