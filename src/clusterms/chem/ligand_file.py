"""Ligand files: the TOML schema, its limits, and the library a file describes.

A ligand file has up to three tables (see docs/ligands.md)::

    [ligands.MBAd]            # name: non-empty, no spaces or ()[]{}^=, not starting with a digit, + or -
    formula = "C7H4O2S"       # as bound; must parse
    charge = -2               # formal charge as bound, integer, |charge| <= 8
    withdraws = 1             # electrons taken from the metal core, |withdraws| <= 8
    denticity = 1             # optional, 1..6 (default 1)
    name = "4-mercaptobenzoate, carboxylate"   # optional text
    aliases = ["MBA-"]        # optional list of names

    [adducts.Li]              # formula, charge, optional name
    [aliases]                 # NAME = "LIGAND"

Every fault is an :class:`~clusterms.errors.InputFileError` whose one-line message names the
file, the entry and the field. Names are unique within a file (keys, aliases and adducts
together); a file's names override the built-in library's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clusterms.chem.formula import parse_formula
from clusterms.chem.ligands import Adduct, Ligand, LigandLibrary
from clusterms.errors import InputFileError, NotationError

__all__ = [
    "MAX_ABS_CHARGE",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_NESTING",
    "library_from_data",
    "name_fault",
    "read_ligand_file",
]

MAX_FILE_BYTES = 1 << 20  # 1 MiB: the built-in library is 4 KiB
MAX_NESTING = 3  # ligands.NAME.aliases[...] is the deepest the format needs
MAX_ENTRIES = 1_000  # ligands + adducts + aliases of one file
MAX_NAME_LENGTH = 64
MAX_ABS_CHARGE = 8
DENTICITY = (1, 6)
_FORBIDDEN = frozenset("()[]{}^=\"'\\")
_BAD_CHAR = re.compile(r"[\s()\[\]{}^=\"'\\]")

# field -> (kind, required); kind "int", "str" or "names" (a list of names)
_LIGAND_FIELDS: dict[str, tuple[str, bool]] = {
    "formula": ("str", True), "charge": ("int", True), "withdraws": ("int", True),
    "denticity": ("int", False), "name": ("str", False), "aliases": ("names", False)}
_ADDUCT_FIELDS: dict[str, tuple[str, bool]] = {
    "formula": ("str", True), "charge": ("int", True), "name": ("str", False)}
_TOP = ("ligands", "adducts", "aliases")
_MAX_TEXT = 200


def _show(value: Any) -> str:
    """A value for a message: repr-escaped, one line, bounded."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "text", list: "a list",
             dict: "a table"}
    return next((v for k, v in names.items() if type(value) is k), type(value).__name__)


def name_fault(name: Any) -> str | None:
    """Why ``name`` cannot be a ligand, alias or adduct name, or None if it can."""
    if not isinstance(name, str):
        return f"must be text, got {_kind(name)}"
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters, over the limit of {MAX_NAME_LENGTH}"
    if not name.isprintable() or _BAD_CHAR.search(name):
        if any(c.isspace() or not c.isprintable() for c in name):
            return "must not contain spaces or control characters"
        return "must not contain " + " ".join(sorted({c for c in name if c in _FORBIDDEN}))
    if name[0].isdigit() or name[0] in "+-":
        return "must not start with a digit, '+' or '-' (they read as counts and charges)"
    return None


def _depth(value: Any) -> int:
    """Nesting depth of parsed TOML (tables and arrays), without recursion."""
    best = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            best = max(best, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            best = max(best, d)
            stack.extend((x, d + 1) for x in v)
    return best


def _deepest(value: Any) -> str:
    """Where the deepest table or array of parsed TOML is (``'ligands'.'X'.'aliases'[0]``)."""
    best, where = -1, ""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        v, d, path = stack.pop()
        if isinstance(v, dict | list) and d > best:
            best, where = d, path
        if isinstance(v, dict):
            stack.extend((x, d + 1, f"{path}.{_show(k)}" if path else _show(k)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, d + 1, f"{path}[{i}]") for i, x in enumerate(v))
    return where


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.owner: dict[str, str] = {}  # name -> "ligand 'X'" / "adduct 'Y'" / "alias 'Z'"

    def fault(self, where: str, message: str) -> InputFileError:
        return InputFileError(f"{self.source}: {where}: {message}")

    def name(self, name: Any, where: str, what: str, owner: str) -> str:
        why = name_fault(name)
        if why:
            raise self.fault(where, f"{what} {_show(name)} {why}")
        if name in self.owner:
            raise self.fault(where, f"{what} {name!r} is already the name of {self.owner[name]}")
        self.owner[name] = owner
        return str(name)

    def fields(self, entry: Any, where: str, schema: Mapping[str, tuple[str, bool]]) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise self.fault(where, f"must be a table, got {_kind(entry)}")
        unknown = [k for k in entry if k not in schema]
        if unknown:
            raise self.fault(where, f"unknown field {unknown[0]!r} (known: {', '.join(schema)})")
        out: dict[str, Any] = {}
        for key, (kind, required) in schema.items():
            if key not in entry:
                if required:
                    raise self.fault(where, f"missing field {key!r}")
                continue
            val = entry[key]
            field = f"field {key!r}"
            if kind == "int":
                if isinstance(val, bool) or not isinstance(val, int):
                    raise self.fault(where, f"{field} must be an integer, got {_kind(val)} {_show(val)}")
            elif kind == "str":
                if not isinstance(val, str):
                    raise self.fault(where, f"{field} must be text, got {_kind(val)} {_show(val)}")
                if len(val) > _MAX_TEXT:
                    raise self.fault(where, f"{field} is {len(val)} characters, over the limit of {_MAX_TEXT}")
            elif not isinstance(val, list):
                raise self.fault(where, f"{field} must be a list of names, got {_kind(val)} {_show(val)}")
            out[key] = val
        return out

    def small(self, value: int, where: str, key: str, lo: int, hi: int) -> int:
        if not lo <= value <= hi:
            raise self.fault(where, f"field {key!r} must be from {lo} to {hi}, got {_show(value)}")
        return value

    def formula(self, text: str, where: str) -> Any:
        try:
            comp = parse_formula(text)
        except NotationError as exc:
            raise self.fault(where, f"bad formula: {exc.one_line()}") from None
        if not comp:
            raise self.fault(where, "bad formula: field 'formula' is empty")
        return comp


def library_from_data(data: Any, source: str, *, base: LigandLibrary | None = None) -> LigandLibrary:
    """The library a parsed ligand file describes (not merged), validated against the schema.

    ``base`` is the library the file will be merged over: the targets of its ``[aliases]``
    may be ligands of ``base``.

    Raises
    ------
    InputFileError
        Naming ``source``, the entry and the field of the first fault.
    """
    chk = _Checker(source)
    if not isinstance(data, dict):
        raise InputFileError(f"{source}: must be a TOML document of tables")
    depth = _depth(data)
    if depth > MAX_NESTING:
        raise InputFileError(f"{source}: {_deepest(data)}: nested {depth} levels deep; "
                             f"the format needs at most {MAX_NESTING}")
    for top in data:
        if top not in _TOP:
            raise InputFileError(f"{source}: unknown table {top!r} (known: {', '.join(_TOP)})")
        if not isinstance(data[top], dict):
            raise InputFileError(f"{source}: {top!r} must be a table, got {_kind(data[top])}")
    tables = {top: data.get(top, {}) for top in _TOP}
    lists = [e.get("aliases") for e in tables["ligands"].values() if isinstance(e, dict)]
    n = sum(len(t) for t in tables.values()) + sum(len(a) for a in lists if isinstance(a, list))
    if n > MAX_ENTRIES:
        raise InputFileError(f"{source}: {n:,} names, over the limit of {MAX_ENTRIES:,}")
    ligands: dict[str, Ligand] = {}
    aliases: dict[str, str] = {}
    for key, entry in tables["ligands"].items():
        where = f"ligand {key!r}"
        chk.name(key, where, "name", where)
        f = chk.fields(entry, where, _LIGAND_FIELDS)
        lig_aliases: list[str] = []
        for i, a in enumerate(f.get("aliases", [])):
            if not isinstance(a, str):
                raise chk.fault(where, f"field 'aliases' item {i + 1} must be text, got {_kind(a)} {_show(a)}")
            lig_aliases.append(chk.name(a, where, "alias", where))
        ligands[key] = Ligand(
            key=key,
            composition=chk.formula(f["formula"], where),
            charge=chk.small(f["charge"], where, "charge", -MAX_ABS_CHARGE, MAX_ABS_CHARGE),
            withdraws=chk.small(f["withdraws"], where, "withdraws", -MAX_ABS_CHARGE, MAX_ABS_CHARGE),
            denticity=chk.small(f.get("denticity", 1), where, "denticity", *DENTICITY),
            name=f.get("name", key),
            aliases=tuple(lig_aliases),
        )
        aliases.update((a, key) for a in lig_aliases)
    adducts: dict[str, Adduct] = {}
    for key, entry in tables["adducts"].items():
        where = f"adduct {key!r}"
        chk.name(key, where, "name", where)
        f = chk.fields(entry, where, _ADDUCT_FIELDS)
        adducts[key] = Adduct(key=key, composition=chk.formula(f["formula"], where),
                              charge=chk.small(f["charge"], where, "charge", -MAX_ABS_CHARGE, MAX_ABS_CHARGE),
                              name=f.get("name", key))
    for alias, target in tables["aliases"].items():
        where = f"alias {alias!r}"
        chk.name(alias, where, "name", where)
        if not isinstance(target, str):
            raise chk.fault(where, f"must name a ligand as text, got {_kind(target)} {_show(target)}")
        if target in ligands or target in aliases:
            aliases[alias] = aliases.get(target, target)
        elif base is not None and base.ligand(target) is not None:
            aliases[alias] = base.aliases.get(target, target)
        else:
            known = sorted({*ligands, *(base.ligands if base else ())})
            raise chk.fault(where, f"unknown ligand {target!r}; known: {', '.join(known)}")
    if base is not None:
        clash = [a for a in adducts if base.ligand(a) is not None]
        clash += [n for n in (*ligands, *aliases) if n in base.adducts]
        if clash:
            kind = "adduct" if clash[0] in adducts else "ligand"
            raise InputFileError(f"{source}: {kind} {clash[0]!r}: name is already a built-in "
                                 f"{'ligand' if kind == 'adduct' else 'adduct'}; choose another")
    return LigandLibrary(ligands, adducts, aliases)


def read_ligand_file(path: str | Path, /, *, base: LigandLibrary | None = None) -> LigandLibrary:
    """Read and validate a ligand file (at most :data:`MAX_FILE_BYTES`); not merged.

    Raises
    ------
    InputFileError
        If the file is missing, too large, not UTF-8 TOML, nested too deeply, or breaks the
        schema; the message names the file, the entry and the field.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputFileError(f"{p}: is a directory, expected a ligand TOML file") from None
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read ligand file ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputFileError(f"{p}: over {MAX_FILE_BYTES:,} bytes; a ligand file is a few KiB")
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(f"{p}: not a valid TOML ligand file ({exc})") from None
    except RecursionError:  # arrays or inline tables nested hundreds deep
        raise InputFileError(f"{p}: nested too deeply; the format needs at most {MAX_NESTING} levels") from None
    return library_from_data(data, str(p), base=base)
