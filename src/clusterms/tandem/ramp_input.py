"""The spectra of a CID ramp, from what instruments and chemists write.

* one mzML/mzXML whose MS/MS scans carry their collision energy (activation parameters);
  scans of equal energy are combined, and with several precursors in the file only scans
  whose precursor m/z is that of the chosen precursor are used;
* a folder of spectra with the energy in their names (``trap_ce_25.txt``, ``CE25.mzML``,
  ``25V.txt``, ``ramp_25eV.csv``);
* a manifest CSV with the header ``file,energy``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from clusterms.chem.ion import Ion
from clusterms.errors import InputFileError, OptionError
from clusterms.manifest import manifest_kind, read_manifest
from clusterms.spectra.readers import read_spectra, read_spectrum
from clusterms.spectra.spectrum import Spectrum
from clusterms.tandem.ramp import RampScan
from clusterms.units import parse_quantity

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
    elif p.is_file() and p.suffix.lower() == ".csv" and manifest_kind(p, ("energy",)):
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


def _energy(_kind: str, _unit: str, text: str) -> float:
    value, unit = parse_quantity(text)
    if unit not in ("", "V", "eV"):
        raise OptionError(f"energy {text!r}: give a number, in V or eV")
    return value


def _from_manifest(p: Path) -> list[RampScan]:
    _kind, _unit, rows = read_manifest(p, kinds=("energy",), parse=_energy)
    return [RampScan(e, read_spectrum(f, ms_level=None), str(f)) for f, e in rows]


def _from_file(p: Path, precursor: Ion) -> list[RampScan]:
    spectra = read_spectra(p, ms_level=None)
    target = float(precursor.most_abundant_mz)
    groups: dict[float, list[int]] = defaultdict(list)  # energy -> positions in `kept`
    kept: list[Spectrum] = []
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
        groups[float(ce)].append(len(kept))
        kept.append(s)
    if not groups:
        extra = (f"; its precursors are at m/z {', '.join(f'{v:g}' for v in sorted(other_precursors)[:5])}, "
                 f"not {target:.2f}") if other_precursors else ""
        raise InputFileError(f"{p}: no MS/MS scans with a collision energy for {precursor.notation}{extra}")
    level = levels.pop() if len(levels) == 1 else None
    out = []
    for e, idx in sorted(groups.items()):
        if len(idx) == 1:  # already read: no second pass over the file
            out.append(RampScan(e, kept[idx[0]], str(p)))
        else:  # scans of one energy combined as read_spectrum combines them
            indices = [int(kept[i].metadata["scan_index"]) for i in idx]
            out.append(RampScan(e, read_spectrum(p, scans=indices, ms_level=level), str(p)))
    return out
