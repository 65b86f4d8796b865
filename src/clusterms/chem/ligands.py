"""The ligand and adduct library (shipped as TOML, extendable by the user)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from clusterms._cache import cached_json, fingerprint
from clusterms.chem.composition import Composition
from clusterms.errors import OptionError

_CACHE_VERSION = 1  # bump when the cached form of the parsed library changes

__all__ = [
    "REMOVED_PROTON",
    "Adduct",
    "Ligand",
    "LigandLibrary",
    "default_library",
    "load_library",
]


@dataclass(frozen=True)
class Ligand:
    """A ligand as bound to a cluster.

    Attributes
    ----------
    key
        Canonical short name used in notation (``"BDT"``).
    composition
        Atoms as bound (a thiolate without its S-H hydrogen).
    charge
        Formal charge as bound (-1 thiolate, -2 dithiolate, 0 phosphine).
    withdraws
        Electrons withdrawn from the metal core in the superatom count (the rest of
        ``charge`` is :attr:`own_charge`, carried by the ligand itself).
    denticity
        Number of binding atoms.
    name
        Full name.
    aliases
        Other names accepted in notation.
    """

    key: str
    composition: Composition
    charge: int
    withdraws: int
    denticity: int = 1
    name: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def own_charge(self) -> int:
        """Charge the ligand carries itself, beyond the electrons it takes from the core.

        ``charge + withdraws``: 0 for a thiolate (-1, withdraws 1), -1 for a thiolate whose
        carboxylic acid is deprotonated (-2, withdraws 1). It is part of the observed charge
        but not of the metal core's, so it does not change the superatom electron count.
        """
        return self.charge + self.withdraws


@dataclass(frozen=True)
class Adduct:
    """A charged species attached to a cluster ion (H+, Na+, PPh4+ ...)."""

    key: str
    composition: Composition
    charge: int
    name: str = ""

    @property
    def is_proton(self) -> bool:
        """Whether this is H+ (the one adduct that can also be removed: ``-4H``)."""
        return self.charge == 1 and self.composition == Composition({"H": 1})


# A proton taken away from the ion (``[Ag44(p-MBA)30-4H]8-``): H-1 with charge -1, counted
# like an adduct (it changes the observed charge, not the core's).
REMOVED_PROTON = Adduct("-H", Composition({"H": -1}), -1, "removed proton")


@dataclass(frozen=True)
class LigandLibrary:
    """Ligands and adducts by name, with aliases (``L=BDT``).

    Lookups are case-sensitive for the canonical keys and aliases as written.
    """

    ligands: Mapping[str, Ligand]
    adducts: Mapping[str, Adduct]
    aliases: Mapping[str, str] = field(default_factory=dict)
    _hash: int = field(init=False, repr=False, compare=False)
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # An empty name matches everywhere without consuming text: refuse it here, for
        # libraries built in code as well as from files.
        for kind, names in (("ligand", self.ligands), ("adduct", self.adducts), ("alias", self.aliases)):
            if any(not isinstance(n, str) or not n for n in names):
                raise OptionError(f"a {kind} name must be non-empty text")
        object.__setattr__(self, "ligands", MappingProxyType(dict(self.ligands)))
        object.__setattr__(self, "adducts", MappingProxyType(dict(self.adducts)))
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        # Immutable: the hash (every Ion.parse looks the library up in a cache) and the
        # greedy-matching order of names are computed once.
        object.__setattr__(self, "_hash", hash((tuple(self.ligands.items()), tuple(self.adducts.items()),
                                                tuple(self.aliases.items()))))
        object.__setattr__(self, "_names", tuple(sorted(set(self.ligands) | set(self.aliases),
                                                        key=lambda s: (-len(s), s))))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LigandLibrary):
            return NotImplemented
        return (dict(self.ligands), dict(self.adducts), dict(self.aliases)) == (
            dict(other.ligands), dict(other.adducts), dict(other.aliases))

    def ligand(self, name: str) -> Ligand | None:
        """The ligand for a key or alias, or ``None``."""
        key = self.aliases.get(name, name)
        return self.ligands.get(key)

    def names(self) -> list[str]:
        """Every ligand key and alias, longest first (for greedy matching)."""
        return list(self._names)

    def with_aliases(self, aliases: Mapping[str, str] | list[str] | tuple[str, ...]) -> LigandLibrary:
        """A library with extra user aliases, from a mapping or ``["L=BDT", "L'=DMBT"]``."""
        pairs: dict[str, str] = {}
        items = aliases.items() if isinstance(aliases, Mapping) else (
            _split_alias(a) for a in aliases)
        for alias, target in items:
            key = self.aliases.get(target, target)
            if key not in self.ligands:
                raise OptionError(
                    f"alias {alias}={target}: unknown ligand {target!r}; known: "
                    + ", ".join(sorted(self.ligands)))
            if not alias or any(c in alias for c in "()[]0123456789+-=^ "):
                raise OptionError(f"alias {alias!r} must not be empty or contain ()[]+-=^, digits or spaces")
            pairs[alias] = key
        return LigandLibrary(self.ligands, self.adducts, {**self.aliases, **pairs})

    def merged(self, other: LigandLibrary) -> LigandLibrary:
        """This library with the entries of ``other`` added (``other`` wins).

        A name of ``other`` replaces what it meant here: an alias of this library that is a
        ligand key of ``other`` is dropped, so that the key reaches ``other``'s ligand.
        """
        aliases = {a: t for a, t in self.aliases.items() if a not in other.ligands}
        return LigandLibrary({**self.ligands, **other.ligands}, {**self.adducts, **other.adducts},
                             {**aliases, **other.aliases})


def _split_alias(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise OptionError(f"alias must look like NAME=LIGAND (e.g. L=BDT), got {text!r}")
    a, b = text.split("=", 1)
    return a.strip(), b.strip()


@cache
def default_library() -> LigandLibrary:
    """The library shipped with clusterms (``clusterms/data/ligands.toml``)."""
    # The package ships as files (src layout, wheel): a path beside this module, without
    # importlib.resources and its zip support (7 ms of every start). The parsed TOML is kept
    # as JSON in the user cache, keyed to the file (tomllib and the parse cost ~8 ms).
    path = Path(__file__).resolve().parent.parent / "data" / "ligands.toml"

    def parse() -> dict[str, Any]:
        import tomllib

        return {"library": tomllib.loads(path.read_text(encoding="utf-8"))}

    from clusterms.chem.ligand_file import library_from_data

    data = cached_json("ligands.json", fingerprint(_CACHE_VERSION, [path]), parse)
    return library_from_data(data["library"], "ligands.toml")


def load_library(path: str | Path, /, *, base: LigandLibrary | None = None) -> LigandLibrary:
    """Read a user ligand file (same TOML format) and merge it over ``base`` (default library).

    The file is validated against the schema of :mod:`clusterms.chem.ligand_file`
    (docs/ligands.md); its names override those of ``base``.

    Raises
    ------
    InputFileError
        If the file is missing, too large, not TOML or has an invalid entry; the message
        names the file, the entry and the field.
    """
    from clusterms.chem.ligand_file import read_ligand_file

    lib = base or default_library()
    return lib.merged(read_ligand_file(path, base=lib))
