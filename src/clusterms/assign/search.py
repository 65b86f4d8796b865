"""Formula-range search: every composition of a pattern like ``"Ag20-60 Au0-1 (BDT)0-12"``.

Like ChemCalc's molecular-formula finder, but with ligands as units: a candidate space for
species no reaction rule predicts.

>>> len(search_space("Ag25 (DMBT)17-18", charges=[1, 2]))
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clusterms.assign.candidates import Candidate
from clusterms.chem.composition import Composition
from clusterms.chem.electrons import METAL_VALENCE
from clusterms.chem.elements import electron_mass, element, is_element
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import Ligand, LigandLibrary, default_library
from clusterms.chem.notation import MAX_CHARGE
from clusterms.errors import NotationError, OptionError
from clusterms.isotopes.aggregated import required_length
from clusterms.limits import ENV_MAX_CANDIDATES, ENV_MAX_SPACE_MB
from clusterms.limits import current as current_limits

__all__ = ["SearchItem", "envelope_bytes", "parse_pattern", "search_space"]

_MAX_COUNT = 10_000


@dataclass(frozen=True)
class SearchItem:
    """One item of a search pattern: an element or a ligand with a count range."""

    name: str
    lo: int
    hi: int
    ligand: Ligand | None = None

    @property
    def composition(self) -> Composition:
        return self.ligand.composition if self.ligand is not None else Composition({self.name: 1})


def parse_pattern(pattern: str, /, *, library: LigandLibrary | None = None) -> list[SearchItem]:
    """Items of a pattern: elements or ``(ligand)`` names/aliases, each with ``n`` or ``lo-hi``.

    Items are separated by spaces (optional between an element and the next item); a missing
    count means 1.

    Raises
    ------
    NotationError
        With the position of the fault.
    """
    if not isinstance(pattern, str):
        raise NotationError(f"search pattern must be text, got {type(pattern).__name__}")
    lib = library or default_library()
    s = pattern
    i = 0
    items: list[SearchItem] = []
    seen: dict[str, int] = {}
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            break
        start = i
        lig: Ligand | None = None
        if s[i] == "(":
            end = s.find(")", i + 1)
            if end < 0:
                raise NotationError("unclosed '('", s, i)
            name = s[i + 1:end]
            if not name.strip():
                raise NotationError("empty ligand name", s, i)
            lig = lib.ligand(name)
            if lig is None:
                raise NotationError(f"unknown ligand {name!r}", s, i + 1)
            key = lig.key
            i = end + 1
        elif s[i].isascii() and s[i].isupper():
            two = s[i:i + 2]
            if len(two) == 2 and two[1].isascii() and two[1].islower() and is_element(two):
                key = two
            elif is_element(s[i]):
                key = s[i]
            else:
                raise NotationError(f"unknown element starting {s[i:i + 3]!r}", s, i)
            i += len(key)
        else:
            raise NotationError(f"unexpected character {s[i]!r} (expected an element or a (ligand))", s, i)
        lo, hi, i = _count_range(s, i)
        if i < len(s) and not (s[i].isspace() or s[i] == "(" or s[i].isupper()):
            raise NotationError(f"unexpected character {s[i]!r} after {key}", s, i)
        if key in seen:
            raise NotationError(f"{key} appears twice in the pattern", s, start)
        seen[key] = start
        items.append(SearchItem(key, lo, hi, lig))
    if not items:
        raise NotationError("empty search pattern", s, 0)
    return items


def _count_range(s: str, i: int) -> tuple[int, int, int]:
    """Count or ``lo-hi`` at ``i`` (1 if none); returns lo, hi and the next index."""
    j = i
    while j < len(s) and s[j].isascii() and s[j].isdigit():
        j += 1
    if j == i:
        if i < len(s) and s[i] == "-":
            raise NotationError("a range needs a lower count (write 0-12)", s, i)
        return 1, 1, i
    lo = hi = int(s[i:j])
    if j < len(s) and s[j] == "-":
        k = j + 1
        while k < len(s) and s[k].isascii() and s[k].isdigit():
            k += 1
        if k == j + 1:
            raise NotationError("a range needs an upper count (write lo-hi)", s, j + 1)
        hi = int(s[j + 1:k])
        if hi < lo:
            raise NotationError(f"range {lo}-{hi} runs backwards", s, i)
        j = k
    if hi > _MAX_COUNT:
        raise NotationError(f"count {hi:,} is over the limit of {_MAX_COUNT:,}", s, i)
    return lo, hi, j


def _isotope_variance(comp: Composition) -> float:
    """Variance of the mass of a composition over its isotopes (Da^2)."""
    var = 0.0
    for sym, n in comp.items():
        el = element(sym)
        mean = el.average_mass
        var += n * sum(p * (m - mean) ** 2 for m, p in zip(el.masses, el.abundances, strict=True))
    return var


def search_space(
    pattern: str,
    /,
    *,
    charges: Sequence[int],
    polarity: int = -1,
    library: LigandLibrary | None = None,
    mz_range: tuple[float, float] | None = None,
    limit: int | None = None,
    max_bytes: int | None = None,
) -> list[Candidate]:
    """Every composition of ``pattern`` at every charge, as ``search`` candidates.

    Parameters
    ----------
    pattern
        Space-separated items, each an element or a parenthesised ligand name or alias with
        a count or a range ``lo-hi``: ``"Ag20-60 Au0-1 (BDT)0-12 (DMBT)0-20"``. Elements with
        a superatom valence (Ag, Au, Pd ...) are metals, others are atoms outside ligands.
    charges
        Charge magnitudes (a negative value is accepted for ``polarity=-1``).
    polarity
        -1 (anions) or +1 (cations).
    mz_range
        Keep only compositions whose envelope, estimated from the average mass and the
        isotope spread (no envelope computed), reaches into ``(lo, hi)``.
    limit
        Largest number of (composition, charge) combinations enumerated (before the
        ``mz_range`` filter); default :attr:`~clusterms.limits.Limits.max_candidates`
        (``CLUSTERMS_MAX_CANDIDATES``).
    max_bytes
        Largest estimated memory of the candidates' isotope envelopes (after the filter),
        estimated before any is built: see :func:`envelope_bytes`. Default
        :attr:`~clusterms.limits.Limits.max_space_bytes` (``CLUSTERMS_MAX_SPACE_MB``).

    Returns
    -------
    list of Candidate
        Kind ``"search"``, label ``"search"``, origin the pattern, sorted by average m/z. The
        all-zero composition is skipped. ``mz`` is computed per candidate when first read;
        :func:`~clusterms.assign.candidates.finalise_space` computes it in one batch.

    Raises
    ------
    NotationError
        A malformed pattern (with the position).
    OptionError
        Bad charges or polarity, more than ``limit`` combinations, or a space estimated
        larger than ``max_bytes``; the message says how to narrow it or raise the limit.
    """
    if polarity not in (-1, 1) or isinstance(polarity, bool):
        raise OptionError(f"polarity must be -1 or 1, got {polarity!r}")
    limits = current_limits()
    limit = limits.max_candidates if limit is None else limit
    max_bytes = limits.max_space_bytes if max_bytes is None else max_bytes
    for label, value in (("limit", limit), ("max_bytes", max_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionError(f"{label} must be a positive integer, got {value!r}")
    zs: list[int] = []
    for z in charges:
        if isinstance(z, bool) or not isinstance(z, int) or z == 0 or abs(z) > MAX_CHARGE:
            raise OptionError(f"charges must be non-zero integers up to {MAX_CHARGE} in size, got {z!r}")
        if z < 0 and polarity > 0:
            raise OptionError(f"charge {z} does not match polarity +1")
        if polarity * abs(z) not in zs:
            zs.append(polarity * abs(z))
    if not zs:
        raise OptionError("charges must not be empty")
    lo_hi: tuple[float, float] | None = None
    if mz_range is not None:
        lo_hi = (float(mz_range[0]), float(mz_range[1]))
        if not (math.isfinite(lo_hi[0]) and math.isfinite(lo_hi[1]) and 0 <= lo_hi[0] < lo_hi[1]):
            raise OptionError(f"mz_range must satisfy 0 <= lo < hi, got {mz_range!r}")
    lib = library or default_library()
    items = parse_pattern(pattern, library=lib)
    sizes = [it.hi - it.lo + 1 for it in items]
    total = math.prod(sizes) * len(zs)
    if total > limit:
        raise OptionError(
            f"search pattern {pattern.strip()!r} enumerates {total:,} species "
            f"({' x '.join(map(str, sizes))} counts x {len(zs)} charges), over the limit of {limit:,}; "
            f"narrow the count ranges or the charges, or raise the environment variable {ENV_MAX_CANDIDATES}")
    lows = np.array([it.lo for it in items], dtype=np.int64)
    counts = np.indices(sizes, dtype=np.int64).reshape(len(items), -1).T + lows
    counts = counts[counts.any(axis=1)]
    comps = [it.composition for it in items]
    mass = counts @ np.array([c.average_mass for c in comps])
    sigma = np.sqrt(counts @ np.array([_isotope_variance(c) for c in comps]))
    me = electron_mass()
    found: list[tuple[float, int, int]] = []  # (estimated m/z, row, charge)
    for z in zs:
        mz = (mass - z * me) / abs(z)
        rows = np.arange(counts.shape[0])
        if lo_hi is not None:
            # Covers the aggregated envelope (about +-4 sigma) with a dalton to spare.
            half = (4.0 * sigma + 1.0) / abs(z)
            rows = rows[(mz + half >= lo_hi[0]) & (mz - half <= lo_hi[1])]
        found.extend((float(mz[r]), int(r), z) for r in rows)
    _check_memory(pattern, items, counts, found, max_bytes)
    found.sort()
    origin = pattern.strip()
    metal_cols = [j for j, it in enumerate(items) if it.ligand is None and it.name in METAL_VALENCE]
    extra_cols = [j for j, it in enumerate(items) if it.ligand is None and it.name not in METAL_VALENCE]
    # Ligand columns in key order: Ion keeps its (ligand, count) pairs sorted by key.
    lig_cols = sorted((j for j, it in enumerate(items) if it.ligand is not None),
                      key=lambda j: items[j].name)
    metals_of = _Parts(items, metal_cols)
    extra_of = _Parts(items, extra_cols)
    table = counts.tolist()
    out: list[Candidate] = []
    for _mz, r, z in found:
        row = table[r]
        ligands = tuple((items[j].ligand, row[j]) for j in lig_cols if row[j])
        # Built directly (not with Ion.from_parts, 20x slower here): the parts are already in
        # Ion's canonical form, non-negative counts, zero counts dropped, ligands by key.
        ion = Ion(metals_of(row), ligands, (), extra_of(row), z)  # type: ignore[arg-type]
        out.append(Candidate(ion, "search", "search", origin))
    return out


# Python objects of one candidate (Candidate, Ion, Envelope, cache entries), measured.
_OBJECT_BYTES = 2_000
# Each aggregated envelope keeps its m/z and probability rows of the FFT grid it was computed
# on (float64 each): the envelope engine returns views on its batch arrays.
_GRID_BYTES = 16


def envelope_bytes(items: Sequence[SearchItem], counts: np.ndarray, /) -> np.ndarray:
    """Estimated memory (bytes) of each count row's candidate, its isotope envelope built.

    The envelope engine computes a composition on an FFT grid of
    :func:`~clusterms.isotopes.aggregated.required_length` points and the envelope keeps
    its rows of that grid; with the candidate's Python objects this is within 15 % of the
    measured peak memory of ``finalise_space`` (40,000 to 1,000,000 candidates).
    """
    symbols = sorted({s for it in items for s, _ in it.composition.items()})
    per_item = np.array([[it.composition[s] if s in it.composition else 0 for s in symbols] for it in items],
                        dtype=np.int64)
    grid = required_length(symbols, counts @ per_item)
    return grid.astype(np.int64) * _GRID_BYTES + _OBJECT_BYTES


def _amount(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1_000_000 else f"{n / 1e3:.0f} kB"


def _check_memory(pattern: str, items: Sequence[SearchItem], counts: np.ndarray,
                  found: list[tuple[float, int, int]], max_bytes: int) -> None:
    """Refuse a space whose envelopes would take more than ``max_bytes``, before building it."""
    if not found:
        return
    rows = np.fromiter((r for _, r, _ in found), dtype=np.int64, count=len(found))
    per_row = envelope_bytes(items, counts)
    total = int(per_row[rows].sum())
    if total <= max_bytes:
        return
    kept = per_row[rows]
    biggest = int(rows[np.flatnonzero(kept == kept.max())[-1]])  # the heaviest of the largest
    largest = " ".join(f"{it.name}{n}" if it.ligand is None else f"({it.name}){n}"
                       for it, n in zip(items, counts[biggest].tolist(), strict=True) if n)
    raise OptionError(
        f"search pattern {pattern.strip()!r} would take about {_amount(total)} of memory for the "
        f"isotope envelopes of its {len(found):,} candidates (the largest, {largest}, "
        f"alone {_amount(int(per_row[biggest]))}), over the budget of {_amount(max_bytes)}; "
        "narrow the count ranges or the charges, give an m/z range, or raise the environment "
        f"variable {ENV_MAX_SPACE_MB} (megabytes)")


class _Parts:
    """Composition of some columns of a count row, cached by their counts."""

    def __init__(self, items: list[SearchItem], cols: list[int]) -> None:
        self.names = [items[j].name for j in cols]
        self.cols = cols
        self.cache: dict[tuple[int, ...], Composition] = {}

    def __call__(self, row: list[int]) -> Composition:
        key = tuple(row[j] for j in self.cols)
        comp = self.cache.get(key)
        if comp is None:
            comp = self.cache[key] = Composition(dict(zip(self.names, key, strict=True)))
        return comp
