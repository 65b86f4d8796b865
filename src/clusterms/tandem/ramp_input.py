"""The spectra of a CID ramp, from what instruments and chemists write.

* one mzML/mzXML whose MS/MS scans carry their collision energy (activation parameters);
  scans of equal energy are combined, and with several precursors in the file only scans
  whose precursor m/z is that of the chosen precursor are used;
* a folder of spectra with the energy in their names (``trap_ce_25.txt``, ``CE25.mzML``,
  ``25V.txt``, ``ramp_25eV.csv``);
* a manifest CSV with the header ``file,energy``.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from clusterms.chem.ion import Ion
from clusterms.errors import InputFileError
from clusterms.spectra.readers import read_spectra, read_spectrum
from clusterms.tandem.ramp import RampScan

__all__ = ["energy_from_name", "load_ramp"]

_ENERGY = (
    re.compile(r"(?i)(?:trap[_-]?ce|ce|cid|hcd|energy|collision)[_\-= ]?(\d+(?:\.\d+)?)"),
    re.compile(r"(?i)(?<![a-z\d.])(\d+(?:\.\d+)?)[_ ]?(?:v|ev)(?![a-z])"),
)
_SPECTRUM_SUFFIXES = {".mzml", ".mzxml", ".txt", ".csv", ".tsv", ".xy", ".dat", ".gz"}
#: Precursor m/z of a scan and of the chosen precursor must agree within this (isolation window).
PRECURSOR_WINDOW_MZ = 3.0


def energy_from_name(name: str, /) -> float | None:
    """The collision energy a file name carries, or None."""
    stem = Path(name).name
    for pattern in _ENERGY:
        m = pattern.search(stem)
        if m:
            return float(m.group(1))
    return None


def load_ramp(path: str | Path, /, *, precursor: Ion) -> list[RampScan]:
    """The ramp's spectra, one per energy, sorted by energy."""
    p = Path(path)
    if p.is_dir():
        scans = _from_folder(p)
    elif p.is_file() and p.suffix.lower() == ".csv" and _is_manifest(p):
        scans = _from_manifest(p)
    else:
        scans = _from_file(p, precursor)
    energies = [s.energy for s in scans]
    dup = sorted({e for e in energies if energies.count(e) > 1})
    if dup:
        raise InputFileError(f"{p}: two spectra at energy {dup[0]:g}; give one per energy")
    if len(scans) < 2:
        raise InputFileError(f"{p}: a ramp needs spectra at two or more collision energies, found {len(scans)}")
    return sorted(scans, key=lambda s: s.energy)


def _is_manifest(p: Path) -> bool:
    try:
        with open(p, encoding="utf-8-sig") as fh:
            head = fh.readline(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return [c.strip().lower() for c in head.strip().split(",")[:2]] == ["file", "energy"]


def _read_one(f: Path) -> object:
    return read_spectrum(f, ms_level=None)


def _from_folder(p: Path) -> list[RampScan]:
    files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.suffix.lower() in _SPECTRUM_SUFFIXES)
    if not files:
        raise InputFileError(f"{p}: no spectrum files (mzML, mzXML, txt, csv) in the folder")
    out = []
    for f in files:
        e = energy_from_name(f.name)
        if e is None:
            raise InputFileError(f"{f}: no collision energy in the name (write e.g. CE25.txt or trap_ce_25.mzML), "
                                 "or list the files in a manifest CSV 'file,energy'")
        out.append(RampScan(e, read_spectrum(f, ms_level=None), str(f)))
    return out


def _from_manifest(p: Path) -> list[RampScan]:
    with open(p, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    out = []
    for k, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) < 2:
            raise InputFileError(f"{p}: line {k}: expected 'file,energy'")
        try:
            e = float(r[1].strip().removesuffix("eV").removesuffix("V").strip())
        except ValueError:
            raise InputFileError(f"{p}: line {k}: energy {r[1]!r} is not a number") from None
        f = Path(r[0].strip())
        f = f if f.is_absolute() else p.parent / f
        out.append(RampScan(e, read_spectrum(f, ms_level=None), str(f)))
    return out


def _from_file(p: Path, precursor: Ion) -> list[RampScan]:
    spectra = read_spectra(p, ms_level=None)
    target = float(precursor.most_abundant_mz)
    groups: dict[float, list[int]] = defaultdict(list)
    levels = set()
    other_precursors = set()
    for s in spectra:
        md = s.metadata
        ce = md.get("collision_energy")
        if md.get("ms_level") == 1 or ce is None:
            continue
        pmz = md.get("precursor_mz")
        if pmz is not None and abs(float(pmz) - target) > PRECURSOR_WINDOW_MZ:
            other_precursors.add(round(float(pmz), 2))
            continue
        levels.add(md.get("ms_level"))
        groups[float(ce)].append(int(md["scan_index"]))
    if not groups:
        extra = (f"; its precursors are at m/z {', '.join(f'{v:g}' for v in sorted(other_precursors)[:5])}, "
                 f"not {target:.2f}") if other_precursors else ""
        raise InputFileError(f"{p}: no MS/MS scans with a collision energy for {precursor.notation}{extra}")
    level = levels.pop() if len(levels) == 1 else None
    out = []
    for e, idx in sorted(groups.items()):
        out.append(RampScan(e, read_spectrum(p, scans=idx, ms_level=level) if len(idx) > 1 else
                            read_spectrum(p, scan=idx[0], ms_level=level), str(p)))
    return out
