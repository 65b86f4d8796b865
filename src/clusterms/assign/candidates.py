"""The candidate space of a cluster reaction: which ions ``clusterms assign`` looks for.

:func:`build_space` turns the reactants (two clusters, or any number >= 1) into the species
their mixture can show in ESI MS (SCIENCE.md): each reactant in nearby charge states with
proton and counter-ion adducts, homodimers, the heterodimer and its losses of ligands and
metal-ligand units, metal and ligand exchange products, and small [M_n L_m] fragments.

>>> from clusterms import Ion
>>> space = build_space([Ion.parse("Ag@I"), Ion.parse("Ag@II")])
>>> next(c.label for c in space if c.ion.notation == "[Ag53(BDT)12(DMBT)16]3-")
'dimer - Ag(DMBT)2'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from math import gcd

import numpy as np
from numpy.typing import NDArray

from clusterms.chem.composition import Composition
from clusterms.chem.electrons import METAL_VALENCE, valence
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import Adduct, Ligand, LigandLibrary, default_library
from clusterms.chem.notation import MAX_CHARGE
from clusterms.errors import OptionError

__all__ = [
    "ENVELOPE_COVERAGE",
    "KINDS",
    "MAX_LOSS",
    "Candidate",
    "SpaceOptions",
    "build_space",
    "candidates_table",
    "finalise_space",
    "fit_envelopes",
]

# Dedupe priority: when two families produce the same ion the earlier kind keeps it.
KINDS: tuple[str, ...] = (
    "explicit", "parent", "dimer", "dimer loss", "homodimer", "metal exchange",
    "ligand exchange", "fragment", "search",
)
_PRIORITY = {k: i for i, k in enumerate(KINDS)}
# Probability the candidate envelopes cover, here and in the assignment (which then reuses
# the envelopes computed for the space instead of computing them again).
ENVELOPE_COVERAGE = 0.999
MAX_LOSS = 50  # most ligand units (--max-loss) a heterodimer may lose
MAX_NEUTRAL_LOSS = 4  # most phosphines (neutral ligands) a parent is looked for without


def fit_envelopes(ions: Sequence[Ion], /) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """(m/z, probability summing to 1) of each ion at :data:`ENVELOPE_COVERAGE`: the envelopes the
    joint fits (assignment and quantification) build their profiles from."""
    from clusterms.isotopes.engine import composition_envelopes

    envs = composition_envelopes([(i.composition, i.charge) for i in ions], coverage=ENVELOPE_COVERAGE)
    return [(e.mz, e.probability / e.probability.sum()) for e in envs]


@dataclass(frozen=True)
class Candidate:
    """One species of a candidate space.

    Attributes
    ----------
    ion
        The ion (observed charge, adducts included).
    label
        Human label: ``"parent +H"``, ``"dimer - Ag(DMBT)2"``, ``"metal exchange (Ag->Au x1)"``.
    kind
        One of :data:`KINDS`.
    origin
        The reactant(s) it comes from (notation, ``" + "`` between two), ``"user"`` for
        explicit species or the pattern of a formula search.
    """

    ion: Ion
    label: str
    kind: str
    origin: str = ""
    _mz: float | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.ion, Ion):
            raise OptionError(f"candidate ion must be an Ion, got {type(self.ion).__name__}")
        if self.kind not in _PRIORITY:
            raise OptionError(f"candidate kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def mz(self) -> float:
        """m/z of the most abundant peak of the aggregated envelope."""
        if self._mz is None:  # computed in batch by finalise_space; one by one otherwise
            object.__setattr__(self, "_mz", self.ion.most_abundant_mz)
        assert self._mz is not None
        return self._mz

    @property
    def electrons(self) -> int:
        """Superatom valence electron count of the ion's core."""
        return self.ion.electrons

    @property
    def charge(self) -> int:
        """Observed signed charge."""
        return self.ion.charge


@dataclass(frozen=True, kw_only=True)
class SpaceOptions:
    """What :func:`build_space` enumerates.

    Attributes
    ----------
    charges
        Observed charges that replace every family's default charges (``None``: defaults).
        A positive value is a magnitude that takes the sign of the family (so ``(1, 2, 3, 4)``
        works for anions and cations); a negative value is an anion charge. Adducts are added
        where the core charge is one the family allows by default or a requested charge (so
        ``(3,)`` gives the dimer [Ag54L12L'18]3- and its 4- core + H+, not a 5- core + 2 H+).
        Fragments keep the charge their composition defines and are kept only if it is in the
        set. Explicit species are kept as written.
    max_loss
        Largest number of metal atoms in a unit lost from a heterodimer. The losses are
        ``X`` and ``2 X`` for every ligand X of either reactant, plus ``M_k X_m`` with
        ``k = 1..max_loss`` host-metal atoms and ``m = 1..k+2`` ligands whose formal charge
        ``k + m * q(X)`` (each metal counted +1) is between 0 and -2 (0 and +2 for cations):
        ``m = k..k+2`` for a monothiolate (AgL'..AgL'3 ... Ag4L'4..Ag4L'6), AgL, Ag2L, Ag2L2,
        Ag3L2, Ag4L2, Ag4L3 for a dithiolate. 0 keeps only the intact heterodimer.
    max_protons
        Largest number of H+ adducts (0 disables protons).
    adducts
        Counter-ion adducts (library keys), at most one of them per ion; ``()`` for none.
        Protons are set by ``max_protons``, not here.
    exchange
        Include metal and ligand exchange products.
    max_metal_exchange
        Largest number of metal atoms swapped between two reactants.
    max_ligand_exchange
        Largest number of ligand swaps between two reactants (see :func:`build_space`).
    fragments
        Include small [M_n X_m] fragment ions.
    fragment_max_n
        Largest number of metal atoms in a fragment.
    species
        Extra species texts, parsed with the library (kind ``"explicit"``).
    mz_range
        Keep only candidates whose envelope reaches into ``(lo, hi)``.
    polarity
        ``+1`` (positive mode) or ``-1`` (negative mode): only candidates of that sign are
        kept and neutral reactants are charged that way. ``None``: the sign of the reactants'
        total charge (negative when every reactant is neutral).
    max_neutral_charge
        Largest observed charge of a neutral reactant's family (its core charged 0..this, or
        ionised by H+/Na+/K+/Cs+ adducts, at the polarity's sign).
    """

    charges: tuple[int, ...] | None = None
    max_loss: int = 4
    max_protons: int = 2
    adducts: tuple[str, ...] = ("Na", "K", "Cs", "PPh4")
    exchange: bool = True
    max_metal_exchange: int = 3
    max_ligand_exchange: int = 4
    fragments: bool = True
    fragment_max_n: int = 6
    species: tuple[str, ...] = ()
    mz_range: tuple[float, float] | None = None
    polarity: int | None = None
    max_neutral_charge: int = 4

    def __post_init__(self) -> None:
        if self.polarity not in (None, -1, 1) or isinstance(self.polarity, bool):
            raise OptionError(f"polarity must be +1, -1 or None, got {self.polarity!r}")
        if self.charges is not None:
            charges = tuple(self.charges)
            if not charges:
                raise OptionError("charges must not be empty (use None for the defaults)")
            for z in charges:
                if isinstance(z, bool) or not isinstance(z, int) or z == 0 or abs(z) > MAX_CHARGE:
                    raise OptionError(f"charges must be non-zero integers up to {MAX_CHARGE} in size, got {z!r}")
            object.__setattr__(self, "charges", tuple(dict.fromkeys(charges)))
        for name, top in (("max_loss", MAX_LOSS), ("max_protons", 20), ("max_metal_exchange", 100),
                          ("max_neutral_charge", MAX_CHARGE),
                         ("max_ligand_exchange", 100), ("fragment_max_n", 100)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top:
                raise OptionError(f"{name} must be an integer from 0 to {top}, got {v!r}")
        for name in ("exchange", "fragments"):
            if not isinstance(getattr(self, name), bool):
                raise OptionError(f"{name} must be True or False, got {getattr(self, name)!r}")
        for name in ("adducts", "species"):
            vals = getattr(self, name)
            if isinstance(vals, str) or not all(isinstance(a, str) for a in vals):
                raise OptionError(f"{name} must be a tuple of strings, got {vals!r}")
            object.__setattr__(self, name, tuple(vals))
        if "H" in self.adducts:
            raise OptionError("adducts: protons (H) are set by max_protons, not listed in adducts")
        if self.mz_range is not None:
            try:
                lo, hi = (float(x) for x in self.mz_range)
            except (TypeError, ValueError):
                raise OptionError(f"mz_range must be two numbers (lo, hi), got {self.mz_range!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
                raise OptionError(f"mz_range must satisfy 0 <= lo < hi, got {self.mz_range!r}")
            object.__setattr__(self, "mz_range", (lo, hi))


# Small value helpers ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Core:
    """A cluster without adducts: metals, ligand counts, other atoms and core charge."""

    metals: Composition
    ligands: Mapping[Ligand, int]
    extra: Composition
    charge: int

    @classmethod
    def of(cls, ion: Ion) -> _Core:
        return cls(ion.metals, dict(ion.ligands), ion.extra, ion.core_charge)

    def __add__(self, other: _Core) -> _Core:
        ligs = dict(self.ligands)
        for lig, n in other.ligands.items():
            ligs[lig] = ligs.get(lig, 0) + n
        return _Core(self.metals + other.metals, ligs, self.extra + other.extra, self.charge + other.charge)

    def minus(self, metals: Composition, ligands: Mapping[Ligand, int]) -> _Core | None:
        """The core with atoms removed (charge kept), or None if there are not enough."""
        m = self.metals - metals
        ligs = dict(self.ligands)
        for lig, n in ligands.items():
            ligs[lig] = ligs.get(lig, 0) - n
        if not m.is_physical or any(n < 0 for n in ligs.values()):
            return None
        return _Core(m, {k: n for k, n in ligs.items() if n}, self.extra, self.charge)

    def ion(self, charge: int, adducts: Mapping[Adduct, int]) -> Ion:
        return Ion.from_parts(metals=self.metals, ligands=self.ligands, adducts=adducts,
                              extra=self.extra, charge=charge)


def _sign(z: int) -> int:
    return (z > 0) - (z < 0)


def _charge_text(z: int) -> str:
    return f"{abs(z)}{'-' if z < 0 else '+'}"


def _count_text(n: int, what: str) -> str:
    return what if n == 1 else f"{n} {what}"


def _adduct_suffix(adducts: Mapping[Adduct, int]) -> str:
    # Protons first, as the paper writes them; then the counter-ion.
    items = sorted(adducts.items(), key=lambda an: (an[0].key != "H", an[0].key))
    return "".join(f" +{'' if n == 1 else n}{a.key}" for a, n in items if n)


def _polarity(reactants: Sequence[Ion]) -> int:
    """Sign of the space: of the total reactant charge, else the first charged one, else -1."""
    total = sum(r.core_charge for r in reactants)
    if total:
        return _sign(total)
    return next((_sign(r.core_charge) for r in reactants if r.core_charge), -1)


class _Builder:
    """Collects candidates of one build (shared options, library and charge rules)."""

    def __init__(self, reactants: Sequence[Ion], options: SpaceOptions, library: LigandLibrary) -> None:
        self.reactants = list(reactants)
        self.options = options
        self.library = library
        self.polarity = options.polarity or _polarity(self.reactants)
        self.out: list[Candidate] = []
        proton = library.adducts.get("H")
        if options.max_protons and proton is None:
            raise OptionError("max_protons: the ligand library has no proton adduct 'H'")
        self.proton = proton
        others = []
        for key in options.adducts:
            if key not in library.adducts:
                raise OptionError(f"adducts: unknown adduct {key!r}; known: {', '.join(sorted(library.adducts))}")
            others.append(library.adducts[key])
        self.others = others

    # Charge rules -------------------------------------------------------------------------
    def combos(self, max_protons: int, others: bool) -> list[dict[Adduct, int]]:
        """Adduct sets: 0..max_protons H+, with none or one of the counter-ions."""
        out: list[dict[Adduct, int]] = []
        singles: list[Adduct | None] = [None, *(self.others if others else [])]
        for h in range(max_protons + 1):
            for extra in singles:
                combo: dict[Adduct, int] = {}
                if h and self.proton is not None:
                    combo[self.proton] = h
                if extra is not None:
                    combo[extra] = 1
                out.append(combo)
        return out

    def override(self, sign: int) -> list[int] | None:
        """The user's observed charges for a family of this sign, or None."""
        if self.options.charges is None:
            return None
        return [z if z < 0 else sign * z for z in self.options.charges
                if z > 0 or (z < 0 and sign < 0)]

    def states(
        self,
        cores: Iterable[int],
        combos: list[dict[Adduct, int]],
        sign: int,
        *,
        max_observed: int | None = None,
    ) -> Iterator[tuple[int, dict[Adduct, int], int]]:
        """(core charge, adducts, observed charge) of one family.

        Default: every core charge with every adduct set, the observed charge keeping the
        family's sign (and at most ``max_observed`` in size). With ``options.charges``: every
        requested observed charge with every adduct set whose core charge is one of ``cores``
        or itself a requested charge.
        """
        wanted = self.override(sign)
        seen: set[tuple[int, tuple[tuple[str, int], ...]]] = set()
        if wanted is None:
            for core in cores:
                for combo in combos:
                    obs = core + sum(a.charge * n for a, n in combo.items())
                    if _sign(obs) != sign or (max_observed is not None and abs(obs) > max_observed):
                        continue
                    key = (core, tuple(sorted((a.key, n) for a, n in combo.items())))
                    if key not in seen:
                        seen.add(key)
                        yield core, combo, obs
            return
        allowed = set(cores) | set(wanted)
        for obs in wanted:
            for combo in combos:
                core = obs - sum(a.charge * n for a, n in combo.items())
                if core in allowed:
                    yield core, combo, obs

    def add(self, ion: Ion, label: str, kind: str, origin: str) -> None:
        self.out.append(Candidate(ion, label, kind, origin))

    # Families -----------------------------------------------------------------------------
    def parents(self) -> None:
        combos = self.combos(self.options.max_protons, True)
        for r in self.reactants:
            core = _Core.of(r)
            z = core.charge
            sign = _sign(z) or self.polarity
            wanted = self.override(sign)
            if (wanted is None or r.charge in wanted) and r.charge:
                self.add(r, "parent", "parent", r.notation)
            if z == 0:  # a neutral cluster is seen oxidised/reduced or carried by adducts
                top = self.options.max_neutral_charge
                cores: tuple[int, ...] = tuple(sign * k for k in range(top + 1))
                states = self.states(cores, combos, sign, max_observed=top)
            else:
                states = self.states((z - 1, z, z + 1), combos, sign)
            for c, combo, obs in states:
                label = "parent" + ("" if c == z else f" charge {_charge_text(c)}" if c else " neutral")
                self.add(core.ion(obs, combo), label + _adduct_suffix(combo), "parent", r.notation)
            self.neutral_ligand_losses(r, core, self.combos(min(1, self.options.max_protons), False), sign)

    def neutral_ligand_losses(self, r: Ion, core: _Core, combos: list[dict[Adduct, int]], sign: int) -> None:
        """A phosphine (any ligand that is neutral and withdraws nothing) is lost without
        changing the charge or the electron count: [Au11(PPh3)8Cl2]+ -> [Au11(PPh3)7Cl2]+, up
        to MAX_NEUTRAL_LOSS of them, at the parent's core charge, bare or with one H+."""
        for lig, n in core.ligands.items():
            if lig.withdraws or lig.own_charge:
                continue
            for k in range(1, min(n, MAX_NEUTRAL_LOSS) + 1):
                lost = core.minus(Composition({}), {lig: k})
                if lost is None or not (sum(lost.ligands.values()) or lost.extra):
                    continue
                for _c, combo, obs in self.states((core.charge,), combos, sign):
                    self.add(lost.ion(obs, combo), f"parent - {_count_text(k, lig.key)}" + _adduct_suffix(combo),
                             "parent", r.notation)

    def homodimers(self) -> None:
        for r in self.reactants:
            core = _Core.of(r)
            dimer = core + core
            sign = _sign(dimer.charge) or self.polarity
            for _c, combo, obs in self.states((dimer.charge,), [{}], sign):
                self.add(dimer.ion(obs, combo), "homodimer", "homodimer", r.notation)

    def reactant_pairs(self) -> Iterator[tuple[str, _Core, _Core]]:
        """Each unordered pair of reactants: (origin text, core of the first, of the second)."""
        for i, a in enumerate(self.reactants):
            for b in self.reactants[i + 1:]:
                yield f"{a.notation} + {b.notation}", _Core.of(a), _Core.of(b)

    def heterodimers(self) -> None:
        combos = self.combos(self.options.max_protons, False)
        for origin, ca, cb in self.reactant_pairs():
            dimer = ca + cb
            sign = _sign(dimer.charge) or self.polarity
            zmax = max(1, abs(ca.charge) + abs(cb.charge))
            cores = [sign * k for k in range(1, zmax + 1)]
            states = list(self.states(cores, combos, sign, max_observed=zmax))
            for _c, combo, obs in states:
                self.add(dimer.ion(obs, combo), "dimer" + _adduct_suffix(combo), "dimer", origin)
            for metals, ligands, text in self.loss_units(dimer, sign):
                rest = dimer.minus(metals, ligands)
                if rest is None or not (rest.metals or rest.ligands or rest.extra):
                    continue
                for _c, combo, obs in states:
                    self.add(rest.ion(obs, combo), f"dimer - {text}{_adduct_suffix(combo)}",
                             "dimer loss", origin)

    def loss_units(self, dimer: _Core, sign: int) -> Iterator[tuple[Composition, dict[Ligand, int], str]]:
        """Units lost from a heterodimer (see SpaceOptions.max_loss)."""
        n = self.options.max_loss
        if n == 0:
            return
        host = max(dimer.metals.items(), key=lambda sn: (sn[1], sn[0]))[0] if dimer.metals else None
        for lig in dimer.ligands:
            for m in (1, 2):
                yield Composition(), {lig: m}, _count_text(m, lig.key)
            if host is None:
                continue
            for k in range(1, n + 1):
                for m in range(1, k + 3):
                    unit = k + m * lig.charge
                    if 0 <= unit * sign <= 2:  # 0..-2 for anions, 0..+2 for cations
                        text = f"{host}{'' if k == 1 else k}({lig.key}){'' if m == 1 else m}"
                        yield Composition({host: k}), {lig: m}, text

    def metal_exchange(self) -> None:
        combos = self.combos(min(1, self.options.max_protons), False)
        jmax = self.options.max_metal_exchange
        for origin, ca, cb in self.reactant_pairs():
            # Two clusters of one size and ligand count (Au25(PET)18 + Ag25(PET)18) can trade
            # every metal atom: the full alloy series, whatever max_metal_exchange says.
            full = (sum(ca.metals.values()) == sum(cb.metals.values())
                    and sum(ca.ligands.values()) == sum(cb.ligands.values()))
            for x, nx in ca.metals.items():
                for y, ny in cb.metals.items():
                    if x == y:
                        continue
                    for j in range(1, (min(nx, ny) if full else min(jmax, nx, ny)) + 1):
                        self._exchanged(ca, x, y, j, combos, origin)
                        self._exchanged(cb, y, x, j, combos, origin)

    def _exchanged(self, core: _Core, old: str, new: str, j: int, combos: list[dict[Adduct, int]],
                   origin: str) -> None:
        swapped = _Core(core.metals - Composition({old: j}) + Composition({new: j}), core.ligands,
                        core.extra, core.charge)
        # The parent charge, and the charge that keeps the electron count (a Pd or Pt dopant
        # in place of Ag makes the cluster one charge more negative: Ag@I 3- -> Pt@I 4-).
        kept = core.charge + j * (valence(new) - valence(old))
        sign = _sign(core.charge) or self.polarity
        cores = [core.charge] + ([kept] if kept != core.charge and _sign(kept) == sign else [])
        label = f"metal exchange ({old}->{new} x{j})"
        for _c, combo, obs in self.states(cores, combos, sign):
            self.add(swapped.ion(obs, combo), label + _adduct_suffix(combo), "metal exchange", origin)

    def ligand_exchange(self) -> None:
        combos = self.combos(min(1, self.options.max_protons), False)
        kmax = self.options.max_ligand_exchange
        for origin, ca, cb in self.reactant_pairs():
            for x, nx in ca.ligands.items():
                for y, ny in cb.ligands.items():
                    ratio = _swap_ratio(x, y)
                    if ratio is None:
                        continue
                    p, q = ratio  # p of x from a trade places with q of y from b
                    for k in range(1, kmax + 1):
                        if k * p > nx or k * q > ny:
                            break
                        self._ligands_swapped(ca, x, k * p, y, k * q, combos, origin)
                        self._ligands_swapped(cb, y, k * q, x, k * p, combos, origin)

    def _ligands_swapped(self, core: _Core, old: Ligand, n_old: int, new: Ligand, n_new: int,
                         combos: list[dict[Adduct, int]], origin: str) -> None:
        ligs = dict(core.ligands)
        ligs[old] -= n_old
        ligs[new] = ligs.get(new, 0) + n_new
        swapped = _Core(core.metals, {k: n for k, n in ligs.items() if n}, core.extra, core.charge)
        sign = _sign(core.charge) or self.polarity
        label = f"ligand exchange ({_count_text(n_old, old.key)}->{_count_text(n_new, new.key)})"
        for _c, combo, obs in self.states((core.charge,), combos, sign):
            self.add(swapped.ion(obs, combo), label + _adduct_suffix(combo), "ligand exchange", origin)

    def fragments(self) -> None:
        sign = self.polarity
        nmax = self.options.fragment_max_n
        metal_total: dict[str, int] = {}
        for r in self.reactants:
            for s, n in r.metals.items():
                if METAL_VALENCE.get(s) == 1:
                    metal_total[s] = metal_total.get(s, 0) + n
        ligands: dict[Ligand, list[str]] = {}
        for r in self.reactants:
            for lig, _n in r.ligands:
                ligands.setdefault(lig, []).append(r.notation)
        wanted = self.override(sign)
        for lig, owners in ligands.items():
            origin = " + ".join(dict.fromkeys(owners))
            q = lig.charge
            charges = [sign] + ([2 * sign] if abs(q) >= 2 else [])
            for metal, total in sorted(metal_total.items(), key=lambda sn: (-sn[1], sn[0])):
                for n in range(1, min(nmax, total) + 1):
                    for c in charges:
                        if wanted is not None and c not in wanted:
                            continue
                        for m in _fragment_ligand_counts(n, q, c):
                            ion = Ion.from_parts(metals={metal: n}, ligands={lig: m}, charge=c)
                            self.add(ion, "fragment", "fragment", origin)

    def explicit(self) -> None:
        for text in self.options.species:
            self.add(Ion.parse(text, library=self.library), "explicit", "explicit", "user")


def _swap_ratio(x: Ligand, y: Ligand) -> tuple[int, int] | None:
    """Smallest (p, q) with p x and q y on the same binding sites and charge, or None."""
    if x == y or x.denticity < 1 or y.denticity < 1:
        return None
    g = gcd(x.denticity, y.denticity)
    p, q = y.denticity // g, x.denticity // g
    if p * x.charge != q * y.charge:
        return None
    return p, q


def _fragment_ligand_counts(n: int, q: int, c: int) -> list[int]:
    """Ligand counts m >= 1 with n M(I) + m ligands of charge q having charge c."""
    if q == 0:  # neutral ligands (phosphines): [M(PPh3)m]+ and the like
        return list(range(1, n + 3)) if n == c else []
    if (c - n) % q:
        return []
    m = (c - n) // q
    return [m] if m >= 1 else []


# Public API ---------------------------------------------------------------------------------
def build_space(
    reactants: Sequence[Ion],
    /,
    *,
    options: SpaceOptions | None = None,
    library: LigandLibrary | None = None,
) -> list[Candidate]:
    """The default candidate space of a reaction between ``reactants``, sorted by m/z.

    For each reactant (charge z, adducts stripped to its core):

    - ``parent``: the reactant as given, and its core at charges z-1, z, z+1 with 0 to
      ``max_protons`` H+ and none or one of ``adducts``, the observed charge (core charge +
      adduct charges) keeping the reactant's sign;
    - ``homodimer``: twice the core at charge 2z;
    - ``fragment``: [M_n X_m] ions for each ligand X and each group-11 metal M of the reactants
      (n = 1..``fragment_max_n``, no more M than the reactants hold), formal M(I), with charge
      -1 ([Ag_n L'_n+1]-, [Ag_n L_(n+1)/2]- for a dithiolate L) and -2 for dithiolates
      ([Ag2L2]2-, [Ag4L3]2-, [Ag6L4]2-); for cations +1 ([Ag_n L'_n-1]+, [Ag(PPh3)_m]+) and +2.

    For each pair of reactants A, B:

    - ``dimer``: A + B (core charge zA + zB) at observed charges 1..|zA|+|zB| of its sign,
      with 0 to ``max_protons`` H+ (core charge at most |zA|+|zB|), so [Ag54L12L'18H]3-;
    - ``dimer loss``: A + B minus each loss unit of :attr:`SpaceOptions.max_loss`, at the same
      charges ("dimer - Ag(DMBT)2", "dimer - 2 DMBT +H");
    - ``metal exchange``: j = 1..``max_metal_exchange`` atoms of a metal X of A traded for as
      many atoms of a different metal Y of B, both products, at the parent charge and at the
      charge that keeps the electron count (Ag@I + Pt@II gives [PtAg28(BDT)12]4-), with 0-1 H+;
    - ``ligand exchange``: one swap trades p ligands X of A for q ligands Y of B, (p, q) the
      smallest pair with equal binding sites (p d(X) = q d(Y)) and equal charge; pairs that
      cannot balance both (a phosphine for a thiolate) are not swapped. So one BDT trades for
      two DMBT, and two monothiolates 1:1. k = 1..``max_ligand_exchange`` swaps, both
      products, at the parent charge (the electron count is unchanged), with 0-1 H+.

    ``options.species`` are added as ``explicit``. A ligand or adduct named in the options
    must be in ``library`` (default: the built-in one).

    Returns
    -------
    list of Candidate
        No two with the same formula and charge (the first kind of :data:`KINDS` keeps it), outside
        ``options.mz_range`` dropped, sorted by most-abundant m/z.

    Raises
    ------
    OptionError
        No reactants, a reactant that is not an Ion, an unknown adduct.
    NotationError
        An explicit species that cannot be parsed.
    """
    options = SpaceOptions() if options is None else options
    reactants = list(reactants)
    if not reactants:
        raise OptionError("build_space needs at least one reactant")
    return finalise_space(_collect_space(reactants, options, library), mz_range=options.mz_range)


def _collect_space(reactants: Sequence[Ion], options: SpaceOptions, library: LigandLibrary | None) -> list[Candidate]:
    """The candidates of :func:`build_space` before dedupe, filtering and sorting.

    With no reactants only the explicit species.
    """
    if not isinstance(options, SpaceOptions):
        raise OptionError(f"options must be a SpaceOptions, got {type(options).__name__}")
    for r in reactants:
        if not isinstance(r, Ion):
            raise OptionError(f"reactants must be Ion values, got {type(r).__name__}")
    b = _Builder(reactants, options, library or default_library())
    b.explicit()
    b.parents()
    b.heterodimers()
    b.homodimers()
    if options.exchange:
        b.metal_exchange()
        b.ligand_exchange()
    if options.fragments:
        b.fragments()
    if options.polarity is not None:  # only ions the spectrum's polarity can show
        return [c for c in b.out if _sign(c.ion.charge) == options.polarity]
    return b.out


def finalise_space(
    candidates: Iterable[Candidate],
    /,
    *,
    mz_range: tuple[float, float] | None = None,
) -> list[Candidate]:
    """Dedupe by formula and charge (kind priority of :data:`KINDS`, then first seen), keep those whose
    envelope reaches into ``mz_range``, sort by most-abundant m/z.

    The envelopes of all candidates are computed in one batch; each candidate's ``mz`` is
    filled from it.
    """
    from clusterms import envelopes

    # One candidate per envelope: the same formula at the same charge (e.g. a PET parent and
    # its "exchange" to DMBT, both C8H9S) is one species, labelled by the most direct kind.
    best: dict[tuple[str, int], Candidate] = {}
    for c in candidates:
        key = (c.ion.formula, c.ion.charge)
        old = best.get(key)
        if old is None or _PRIORITY[c.kind] < _PRIORITY[old.kind]:
            best[key] = c
    unique = list(best.values())
    envs = envelopes([c.ion for c in unique], coverage=ENVELOPE_COVERAGE)
    kept: list[Candidate] = []
    for c, env in zip(unique, envs, strict=True):
        if mz_range is not None and (env.mz[-1] < mz_range[0] or env.mz[0] > mz_range[1]):
            continue
        object.__setattr__(c, "_mz", env.most_abundant_mz)
        kept.append(c)
    kept.sort(key=lambda c: (c.mz, _PRIORITY[c.kind], c.ion.notation))
    return kept


def candidates_table(candidates: Iterable[Candidate], /) -> list[dict[str, object]]:
    """Rows for ``clusterms candidates``: species, formula, charge, mz, electrons, label."""
    return [
        {
            "species": c.ion.notation,
            "formula": c.ion.formula,
            "charge": c.ion.charge,
            "mz": round(c.mz, 4),
            "electrons": c.electrons,
            "label": c.label,
        }
        for c in candidates
    ]
