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
from clusterms.chem.formula import parse_formula
from clusterms.errors import InputFileError, NotationError, OptionError

_CACHE_VERSION = 1  # bump when the cached form of the parsed library changes

__all__ = [
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
        Electrons withdrawn from the metal core in the superatom count.
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


@dataclass(frozen=True)
class Adduct:
    """A charged species attached to a cluster ion (H+, Na+, PPh4+ ...)."""

    key: str
    composition: Composition
    charge: int
    name: str = ""


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
        """This library with the entries of ``other`` added (``other`` wins)."""
        return LigandLibrary({**self.ligands, **other.ligands}, {**self.adducts, **other.adducts},
                             {**self.aliases, **other.aliases})


def _split_alias(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise OptionError(f"alias must look like NAME=LIGAND (e.g. L=BDT), got {text!r}")
    a, b = text.split("=", 1)
    return a.strip(), b.strip()


def _req(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in entry:
        raise InputFileError(f"{where}: missing field {key!r}")
    val = entry[key]
    if kind is int and (isinstance(val, bool) or not isinstance(val, int)):
        raise InputFileError(f"{where}: field {key!r} must be an integer, got {val!r}")
    if kind is str and not isinstance(val, str):
        raise InputFileError(f"{where}: field {key!r} must be text, got {val!r}")
    return val


def _entry_composition(entry: Any, where: str) -> Composition:
    """The composition of a ligand or adduct table, or an error naming the entry."""
    if not isinstance(entry, Mapping):
        raise InputFileError(f"{where}: must be a table")
    try:
        return parse_formula(_req(entry, "formula", str, where))
    except NotationError as exc:
        raise InputFileError(f"{where}: bad formula: {exc.one_line()}") from exc


def _parse_library(data: Mapping[str, Any], source: str) -> LigandLibrary:
    ligands: dict[str, Ligand] = {}
    aliases: dict[str, str] = {}
    for key, entry in dict(data.get("ligands", {})).items():
        where = f"{source}: ligand {key!r}"
        comp = _entry_composition(entry, where)
        lig = Ligand(
            key=key,
            composition=comp,
            charge=_req(entry, "charge", int, where),
            withdraws=_req(entry, "withdraws", int, where),
            denticity=_req(entry, "denticity", int, where) if "denticity" in entry else 1,
            name=str(entry.get("name", key)),
            aliases=tuple(str(a) for a in entry.get("aliases", ())),
        )
        ligands[key] = lig
        for a in lig.aliases:
            aliases[a] = key
    adducts: dict[str, Adduct] = {}
    for key, entry in dict(data.get("adducts", {})).items():
        where = f"{source}: adduct {key!r}"
        comp = _entry_composition(entry, where)
        adducts[key] = Adduct(key=key, composition=comp, charge=_req(entry, "charge", int, where),
                              name=str(entry.get("name", key)))
    for alias, target in dict(data.get("aliases", {})).items():
        aliases[str(alias)] = str(target)
    return LigandLibrary(ligands, adducts, aliases)


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

    data = cached_json("ligands.json", fingerprint(_CACHE_VERSION, [path]), parse)
    return _parse_library(data["library"], "ligands.toml")


def load_library(path: str | Path, /, *, base: LigandLibrary | None = None) -> LigandLibrary:
    """Read a user ligand file (same TOML format) and merge it over ``base`` (default library).

    Raises
    ------
    InputFileError
        If the file is missing, not TOML or has an invalid entry.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except IsADirectoryError:
        raise InputFileError(f"{p}: is a directory, expected a ligand TOML file") from None
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read ligand file ({exc.strerror})") from None
    try:
        import tomllib

        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(f"{p}: not a valid TOML ligand file ({exc})") from None
    lib = _parse_library(data, str(p))
    return (base or default_library()).merged(lib)
