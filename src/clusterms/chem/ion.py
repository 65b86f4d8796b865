"""The Ion value type: a composition with a signed charge, ligands and adducts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Literal

from clusterms.chem.composition import Composition
from clusterms.chem.electrons import WITHDRAWING_ATOMS, is_closed_shell, nearest_magic, valence
from clusterms.chem.elements import electron_mass
from clusterms.chem.ligands import REMOVED_PROTON, Adduct, Ligand, LigandLibrary, default_library
from clusterms.errors import NotationError, OptionError

if TYPE_CHECKING:
    from clusterms.isotopes.abundances import Abundances
    from clusterms.isotopes.envelope import Envelope
    from clusterms.isotopes.profile import Profile, Shape

__all__ = ["Ion", "MzKind"]

MzKind = Literal["monoisotopic", "average", "most_abundant"]
_KINDS = ("monoisotopic", "average", "most_abundant")


def _sorted_counts(d: Mapping[Ligand, int] | Mapping[Adduct, int]) -> tuple:  # type: ignore[type-arg]
    return tuple(sorted(((k, n) for k, n in d.items() if n), key=lambda kn: kn[0].key))


@dataclass(frozen=True)
class Ion:
    """A cluster ion.

    Build one with :meth:`Ion.parse` (``Ion.parse("[Ag29(BDT)12]3-")``) or
    :meth:`Ion.from_parts`. Instances are immutable and hashable; two ions are equal when
    their metals, ligands, adducts, other atoms and charge are equal.

    Attributes
    ----------
    metals
        Metal atoms of the core.
    ligands
        ``(Ligand, count)`` pairs sorted by ligand key.
    adducts
        ``(Adduct, count)`` pairs (H+, Na+, ...) sorted by key.
    extra
        Atoms outside named ligands (plain formulas).
    charge
        Observed signed charge (adducts included).
    """

    metals: Composition
    ligands: tuple[tuple[Ligand, int], ...] = ()
    adducts: tuple[tuple[Adduct, int], ...] = ()
    extra: Composition = field(default_factory=Composition)
    charge: int = 0

    # Construction ---------------------------------------------------------------------
    @classmethod
    def from_parts(
        cls,
        *,
        metals: Mapping[str, int] | Composition | None = None,
        ligands: Mapping[Ligand, int] | None = None,
        adducts: Mapping[Adduct, int] | None = None,
        extra: Mapping[str, int] | Composition | None = None,
        charge: int = 0,
    ) -> Ion:
        """An ion from its parts; counts must be non-negative integers.

        Removed protons (``[Ag44(p-MBA)30-4H]8-``, deprotonated carboxylic acids) are the
        adduct :data:`~clusterms.chem.ligands.REMOVED_PROTON` (H-1, charge -1) with a
        positive count; the ion must keep at least as many H atoms.
        """
        m = metals if isinstance(metals, Composition) else Composition(metals or {})
        x = extra if isinstance(extra, Composition) else Composition(extra or {})
        ligs = dict(ligands or {})
        adds = dict(adducts or {})
        if not m.is_physical or not x.is_physical or any(n < 0 for n in ligs.values()) or any(
            n < 0 for n in adds.values()
        ):
            raise OptionError("an ion cannot have a negative count of anything")
        ion = cls(m, _sorted_counts(ligs), _sorted_counts(adds), x, _checked_charge(charge))
        removed = adds.get(REMOVED_PROTON, 0)
        if removed and not ion.composition.is_physical:
            raise OptionError(f"more protons removed ({removed}) than there are H atoms "
                              f"({ion.composition.get('H', 0) + removed})")
        return ion

    @classmethod
    def parse(
        cls,
        text: str,
        /,
        *,
        library: LigandLibrary | None = None,
        aliases: Iterable[str] | Mapping[str, str] | None = None,
    ) -> Ion:
        """Parse ion notation (see :mod:`clusterms.chem.notation`).

        Raises
        ------
        NotationError
            With the position of the fault.
        """
        lib = library or default_library()
        if aliases:
            lib = lib.with_aliases(aliases if isinstance(aliases, Mapping) else list(aliases))
        return _parse_cached(text, lib)

    # Derived ----------------------------------------------------------------------------
    @cached_property
    def composition(self) -> Composition:
        """Neutral atom composition, adduct atoms included."""
        total = self.metals + self.extra
        for lig, n in self.ligands:
            total = total + lig.composition * n
        for add, n in self.adducts:
            total = total + add.composition * n
        return total

    @property
    def formula(self) -> str:
        """Neutral Hill formula (adduct atoms included)."""
        return self.composition.formula

    @property
    def core_charge(self) -> int:
        """Charge of the cluster without its adducts (a removed proton is an adduct of charge -1)."""
        return self.charge - sum(a.charge * n for a, n in self.adducts)

    @property
    def ligand_own_charge(self) -> int:
        """Charge the ligands carry themselves (:attr:`Ligand.own_charge` times the count).

        0 for thiolates, halides and phosphines; -1 per deprotonated carboxylate of a ligand
        written as such in a ligand file. It is part of :attr:`core_charge` but not of the
        metal core, so it does not enter the electron count.
        """
        return sum(lig.own_charge * k for lig, k in self.ligands)

    @cached_property
    def electrons(self) -> int:
        """Superatom valence electron count (SCIENCE.md).

        ``n = valence - withdrawn - z_core`` with ``z_core`` = :attr:`core_charge` minus
        :attr:`ligand_own_charge`. Metals give their valence, named ligands withdraw what
        the library says (a ligand's charge beyond that is its own), atoms
        outside named ligands withdraw one each if they are S, Se, Te or a halogen. Bare H
        outside ligands is hydride (withdraws one) when there is no carbon outside ligands,
        as in ``[Ag25H22(DPPE)8]3+``; with carbon it is part of a plain organic formula.
        """
        n = sum(valence(s) * k for s, k in self.metals.items())
        n -= sum(lig.withdraws * k for lig, k in self.ligands)
        n -= sum(WITHDRAWING_ATOMS.get(s, 0) * k for s, k in self.extra.items())
        if "C" not in self.extra:
            n -= self.extra.get("H", 0)
        # z_core of SCIENCE.md: without adducts and without the ligands' own charges.
        return n - (self.core_charge - self.ligand_own_charge)

    @property
    def is_closed_shell(self) -> bool:
        """Whether the electron count is a superatom magic number."""
        return is_closed_shell(self.electrons)

    @property
    def nearest_magic(self) -> int:
        """Closest superatom magic number."""
        return nearest_magic(self.electrons)

    @cached_property
    def notation(self) -> str:
        """Canonical text: metals by ascending count, ligands, other atoms, adducts, charge."""
        metals = sorted(self.metals.items(), key=lambda sn: (sn[1], sn[0]))
        parts = [s if n == 1 else f"{s}{n}" for s, n in metals]
        if self.extra:  # before the ligands: written after them, H would read as adducts
            parts.append(self.extra.formula)
        parts += [f"({lig.key})" + ("" if n == 1 else str(n)) for lig, n in self.ligands]
        from clusterms.chem.notation import SUFFIX_ADDUCTS

        for a, n in self.adducts:
            if a == REMOVED_PROTON:
                continue
            # Written bare after the ligands where the parser reads it back as an adduct
            # ([Ag29(BDT)12Na]2-), else as a term: [Ag2+Cs]+, [Ag29(BDT)12+Li]2-.
            bare = bool(self.ligands) and a.key in SUFFIX_ADDUCTS
            count = "" if n == 1 else str(n)
            parts.append(a.key + count if bare else "+" + count + a.key)
        parts += ["-" + ("" if n == 1 else str(n)) + "H" for a, n in self.adducts if a == REMOVED_PROTON]
        z = self.charge
        charge = "" if z == 0 else (("" if abs(z) == 1 else str(abs(z))) + ("-" if z < 0 else "+"))
        return "[" + "".join(parts) + "]" + charge

    def __str__(self) -> str:
        return self.notation

    def __repr__(self) -> str:
        return f"Ion({self.notation!r})"

    # Masses -----------------------------------------------------------------------------
    def _to_mz(self, mass: float) -> float:
        if self.charge == 0:
            return mass
        return (mass - self.charge * electron_mass()) / abs(self.charge)

    @property
    def monoisotopic_mz(self) -> float:
        """m/z with every element's most abundant isotope."""
        return self._to_mz(self.composition.monoisotopic_mass)

    @property
    def average_mz(self) -> float:
        """m/z from natural average element masses."""
        return self._to_mz(self.composition.average_mass)

    @cached_property
    def most_abundant_mz(self) -> float:
        """m/z of the highest peak of the aggregated envelope."""
        return self.envelope().most_abundant_mz

    def mz(self, kind: MzKind = "monoisotopic") -> float:
        """m/z of a given kind: "monoisotopic", "average" or "most_abundant"."""
        if kind == "monoisotopic":
            return self.monoisotopic_mz
        if kind == "average":
            return self.average_mz
        if kind == "most_abundant":
            return self.most_abundant_mz
        raise OptionError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")

    # Envelopes --------------------------------------------------------------------------
    def envelope(
        self,
        *,
        fine: bool = False,
        coverage: float = 0.9999,
        abundances: Abundances | None = None,
    ) -> Envelope:
        """Isotope envelope: aggregated (default) or fine structure (``fine=True``)."""
        from clusterms.isotopes.engine import composition_envelope, fine_envelope

        if fine:
            return fine_envelope(self.composition, self.charge, coverage=coverage,
                                 abundances=abundances)
        # The engine keeps the envelopes it computed: asking again costs a lookup.
        return composition_envelope(self.composition, self.charge, coverage=coverage,
                                    abundances=abundances)

    def profile(
        self,
        *,
        resolution: float,
        shape: Shape = "gaussian",
        fine: bool = False,
        abundances: Abundances | None = None,
        points_per_fwhm: float = 10.0,
    ) -> Profile:
        """Profile of the envelope at resolving power ``resolution`` (FWHM = m/z / R)."""
        from clusterms.isotopes.profile import profile

        env = self.envelope(fine=fine, abundances=abundances)
        return profile(env, resolution=resolution, shape=shape, points_per_fwhm=points_per_fwhm)


def _checked_charge(charge: object) -> int:
    if isinstance(charge, bool) or not isinstance(charge, int):
        raise OptionError(f"charge must be an integer, got {charge!r}")
    return charge


@lru_cache(maxsize=8192)
def _parse_cached(text: str, library: LigandLibrary) -> Ion:
    from clusterms.chem.notation import parse_species

    parts = parse_species(text, library)
    try:
        return Ion.from_parts(metals=parts.metals, ligands=parts.ligands, adducts=parts.adducts,
                              extra=parts.extra, charge=parts.charge)
    except OptionError as exc:  # too many protons removed: [Ag2(PPh3)2-H]
        raise NotationError(str(exc), text, None) from exc
