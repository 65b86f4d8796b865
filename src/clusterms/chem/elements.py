"""Element isotope masses and abundances, and the electron mass.

One source everywhere: isotope masses, mass numbers and natural abundances come from
IsoSpecPy's element table (``IsoSpecPy.PeriodicTbl``), the electron mass from CODATA via
``scipy.constants``. Nothing is typed by hand.

Importing IsoSpecPy (cffi) and scipy.constants costs about half a second, more than a whole
``clusterms assign`` run should take, so the table read from them is cached as JSON in the
user's cache directory, keyed by the path, size and modification time of the two source
files. A change of either library rebuilds the cache; the cache is never the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from clusterms._cache import cached_json, fingerprint

__all__ = [
    "Element",
    "electron_mass",
    "element",
    "is_element",
    "proton_mass",
]

_CACHE_VERSION = 2


@dataclass(frozen=True)
class Element:
    """One element: its isotopes sorted by mass number.

    Attributes
    ----------
    symbol
        Element symbol, e.g. ``"Ag"``.
    mass_numbers
        Nucleon numbers of the stable isotopes, ascending.
    masses
        Exact isotope masses in u (same order).
    abundances
        Natural abundances (same order), summing to 1.
    """

    symbol: str
    mass_numbers: tuple[int, ...]
    masses: tuple[float, ...]
    abundances: tuple[float, ...]

    @property
    def monoisotopic_mass(self) -> float:
        """Mass of the most abundant isotope (the usual 'monoisotopic' convention)."""
        i = max(range(len(self.abundances)), key=self.abundances.__getitem__)
        return self.masses[i]

    @property
    def lightest_mass(self) -> float:
        """Mass of the lightest stable isotope."""
        return self.masses[0]

    @property
    def average_mass(self) -> float:
        """Abundance-weighted mean mass."""
        return sum(m * p for m, p in zip(self.masses, self.abundances, strict=True))


def _source_files() -> list[Path]:
    files = []
    for pkg, rel in (("IsoSpecPy", "PeriodicTbl.py"), ("scipy", "constants/_codata.py")):
        spec = find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"clusterms needs the package {pkg!r}; install clusterms with pip")
        files.append(Path(next(iter(spec.submodule_search_locations))) / rel)
    return files


def _read_sources() -> dict[str, object]:
    """Read the table from IsoSpecPy and the electron mass from scipy (slow imports)."""
    from IsoSpecPy import PeriodicTbl
    from scipy.constants import physical_constants

    table: dict[str, list[list[float]]] = {}
    for sym, masses in PeriodicTbl.symbol_to_masses.items():
        probs = PeriodicTbl.symbol_to_probs[sym]
        numbers = PeriodicTbl.symbol_to_massNo[sym]
        rows = sorted(zip(numbers, masses, probs, strict=True))
        table[sym] = [[float(n), float(m), float(p)] for n, m, p in rows]
    me = float(physical_constants["electron mass in u"][0])
    mp = float(physical_constants["proton mass in u"][0])
    return {"elements": table, "electron_mass": me, "proton_mass": mp}


@cache
def _load() -> dict[str, object]:
    return cached_json("elements.json", fingerprint(_CACHE_VERSION, _source_files()), _read_sources)


# Pseudo-elements of IsoSpecPy's table that are not chemical elements.
_NOT_ELEMENTS = frozenset({"E", "Me", "Pn"})


@cache
def _elements() -> dict[str, Element]:
    table = _load()["elements"]
    assert isinstance(table, dict)
    out = {}
    for sym, rows in table.items():
        if sym in _NOT_ELEMENTS:
            continue
        out[sym] = Element(
            symbol=sym,
            mass_numbers=tuple(int(r[0]) for r in rows),
            masses=tuple(float(r[1]) for r in rows),
            abundances=tuple(float(r[2]) for r in rows),
        )
    return out


def element(symbol: str) -> Element:
    """The :class:`Element` for a symbol; ``KeyError`` if IsoSpecPy does not know it."""
    return _elements()[symbol]


def is_element(symbol: str) -> bool:
    """Whether ``symbol`` is an element of the table."""
    return symbol in _elements()


def electron_mass() -> float:
    """Electron mass in u (CODATA, from scipy.constants)."""
    return float(_load()["electron_mass"])  # type: ignore[arg-type]



def proton_mass() -> float:
    """Proton mass in u (CODATA, from scipy.constants)."""
    return float(_load()["proton_mass"])  # type: ignore[arg-type]
