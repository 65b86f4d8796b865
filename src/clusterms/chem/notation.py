"""Parser for the ion notation cluster chemists write.

Accepted forms (see SCIENCE.md):

- ``[AuAg52(BDT)12(DMBT)16]3-``: metals, then ligand groups with counts, charge after the
  bracket. Ligand names and aliases come from the ligand library.
- ``[Ag54(BDT)12(DMBT)18H]3-``: H, Na, K, Cs, NH4 or PPh4 written after the ligands are
  adducts (they change the observed charge, not the core electron count).
- ``[Au25(PET)18+Cs]+``, ``[Ag29(BDT)12+2Na]-``: adduct terms inside the brackets, any adduct
  of the library; ``[Ag44(p-MBA)30-4H]8-`` removes protons (deprotonated carboxylic acids:
  the observed charge is 8-, the core's 4-, so the count stays 18 e). Only H can be removed.
- ``[Au25(PET)18Cs]+``, nested groups ``[Ag(DMBT)2]-``, ``(Ag(DMBT)2)2``, bare ligand names
  and aliases ``[Ag53L12L'16]3-`` (with ``L=BDT``, ``L'=DMBT`` defined by the user).
- plain element formulas with a charge: ``C6H4S2Ag2-``, ``Ag25C144H162S18-``.
- the paper's presets ``M@I`` ... ``M@IV`` (``Ag@I``, ``Au@II``, ``Pt@IV``).
- charges ``3-``, ``-``, ``2+``, ``^3-``, ``-3``, Unicode ``³⁻`` and ``−``.

Every malformed string raises :class:`~clusterms.errors.NotationError` with the position
of the fault and, where the intent is guessable, what to write instead. Every step of the
parser consumes text, so parsing ends on any input and any library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clusterms.chem.electrons import METAL_VALENCE
from clusterms.chem.elements import is_element
from clusterms.chem.ligands import REMOVED_PROTON, Adduct, Ligand, LigandLibrary
from clusterms.errors import NotationError

__all__ = ["MAX_ATOMS", "MAX_CHARGE", "MAX_LENGTH", "MAX_NESTING", "SUFFIX_ADDUCTS", "ParsedSpecies", "parse_species",
           "preset"]

MAX_LENGTH = 10_000
MAX_CHARGE = 100
MAX_ATOMS = 10_000
MAX_NESTING = 16  # brackets inside brackets; (Ag(DMBT)2)2 inside [...] is 3

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻−–", "0123456789+---")
_PRESET = re.compile(r"^([A-Z][a-z]?)@(IV|III|II|I)$")
SUFFIX_ADDUCTS = ("PPh4", "NH4", "Cs", "Na", "K", "H")  # written bare after ligands: ...18H]3-
# Elements treated as the metal part of a cluster when they appear outside ligands.
_METALS = frozenset(METAL_VALENCE) | frozenset(
    {"Sc", "Ti", "V", "Cr", "Mn", "Y", "Zr", "Nb", "Mo", "Tc", "Hf", "Ta", "W", "Re",
     "Ge", "Sb", "La", "Ce"})


@dataclass
class ParsedSpecies:
    """The parts of a species, as counted from its text."""

    metals: dict[str, int] = field(default_factory=dict)
    ligands: dict[Ligand, int] = field(default_factory=dict)
    adducts: dict[Adduct, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)
    charge: int = 0

    def scaled(self, n: int) -> ParsedSpecies:
        return ParsedSpecies(
            {k: v * n for k, v in self.metals.items()},
            {k: v * n for k, v in self.ligands.items()},
            {k: v * n for k, v in self.adducts.items()},
            {k: v * n for k, v in self.extra.items()},
        )

    def add(self, other: ParsedSpecies) -> None:
        pairs: tuple[tuple[dict[Any, int], dict[Any, int]], ...] = (
            (self.metals, other.metals), (self.ligands, other.ligands),
            (self.adducts, other.adducts), (self.extra, other.extra))
        for mine, theirs in pairs:
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v


class _Parser:
    def __init__(self, text: str, original: str, library: LigandLibrary) -> None:
        self.s = text
        self.original = original
        self.i = 0
        self.lib = library
        # Bare ligand names by first character, longest first (greedy); an empty name
        # would match everywhere without consuming anything, so it is never a candidate.
        self.names: dict[str, list[str]] = {}
        for n in library.names():
            if n and not is_element(n):
                self.names.setdefault(n[0], []).append(n)
        self.adduct_keys = sorted(library.adducts, key=lambda k: (-len(k), k))

    def fail(self, msg: str, pos: int | None = None) -> NotationError:
        return NotationError(msg, self.original, self.i if pos is None else pos)

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def count(self) -> int:
        j = self.i
        while j < len(self.s) and self.s[j].isdigit() and self.s[j].isascii():
            j += 1
        if j == self.i:
            return 1
        if j - self.i > 5:
            raise self.fail("count too large")
        n = int(self.s[self.i:j])
        if n == 0:
            raise self.fail("a count of 0 is not allowed")
        self.i = j
        return n

    def body(self, closer: str) -> ParsedSpecies:
        """Parse items until ``closer`` (or the end / a charge when closer is '')."""
        out = ParsedSpecies()
        seen_ligand = False
        while True:
            c = self.peek()
            if c == closer and closer:
                return out
            if c == "" or (not closer and c in "+-^"):
                if closer:
                    raise self.fail(f"missing '{closer}'")
                return out
            start = self.i
            seen_ligand = self.item(out, closer, seen_ligand)
            # Every item consumes text; a parser that did not would loop forever.
            if self.i <= start:
                raise self.fail("cannot read the species here", start)

    def item(self, out: ParsedSpecies, closer: str, seen_ligand: bool) -> bool:
        """Parse one item into ``out``; returns whether a ligand has been seen."""
        c = self.peek()
        start = self.i
        if c in "([":
            close = ")" if c == "(" else "]"
            self.i += 1
            part, is_lig = self.group(close, start)
            self.i += 1  # past the closer
            n = self.count()
            out.add(part.scaled(n))
            return seen_ligand or is_lig
        if c == ")" or c == "]":
            raise self.fail(f"unbalanced '{c}'")
        if c.isspace():
            raise self.fail("unexpected space (write the species without spaces)")
        if c in "+-":  # [Au25(PET)18+Cs]+, [Ag44(p-MBA)30-4H]8-
            self.adduct_term(out)
            return seen_ligand
        # Adducts written after the ligands: [Ag54(BDT)12(DMBT)18H]3-
        if seen_ligand:
            matched = next((a for a in SUFFIX_ADDUCTS if self.s.startswith(a, self.i)
                            and a in self.lib.adducts and self._token_ends(self.i + len(a))), None)
            if matched:
                self.i += len(matched)
                n = self.count()
                add = self.lib.adducts[matched]
                out.adducts[add] = out.adducts.get(add, 0) + n
                return seen_ligand
        name = next((nm for nm in self.names.get(c, ()) if self.s.startswith(nm, self.i)
                     and self._token_ends(self.i + len(nm))), None)
        if name is not None:
            self.i += len(name)
            lig = self.lib.ligand(name)
            if lig is None:  # pragma: no cover - names() lists only keys and aliases of ligands
                raise self.fail(f"unknown ligand {name!r}", start)
            n = self.count()
            out.ligands[lig] = out.ligands.get(lig, 0) + n
            return True
        sym = self.element()
        n = self.count()
        target = out.metals if sym in _METALS else out.extra
        target[sym] = target.get(sym, 0) + n
        return seen_ligand

    def adduct_term(self, out: ParsedSpecies) -> None:
        """``+Cs``, ``+2Na``, ``-H``, ``-4H`` inside the brackets (after the ligands)."""
        pos = self.i
        sign = self.peek()
        self.i += 1
        n = self.count()
        key = next((k for k in self.adduct_keys if self.s.startswith(k, self.i)
                    and self._token_ends(self.i + len(k))), None)
        if key is None:
            if sign == "-":
                raise self.fail("after '-' inside the brackets write the protons removed, "
                                "e.g. [Ag44(p-MBA)30-4H]8-", pos)
            raise self.fail(f"after '+' write an adduct ({', '.join(sorted(self.lib.adducts))}), "
                            "e.g. [Au25(PET)18+Cs]+", pos)
        add = self.lib.adducts[key]
        if sign == "-" and not add.is_proton:
            raise self.fail(f"only protons can be removed: write -nH, not -{key}", pos)
        self.i += len(key)
        if self.peek().isdigit():
            raise self.fail(f"write the count before the adduct (e.g. {sign}2{key})", pos)
        if sign == "-":
            add = REMOVED_PROTON
        out.adducts[add] = out.adducts.get(add, 0) + n

    def _token_ends(self, j: int) -> bool:
        # An adduct token must not run into a lowercase letter (Cs vs C + s ...).
        return j >= len(self.s) or not self.s[j].islower()

    def element(self) -> str:
        c = self.peek()
        if not (c.isascii() and c.isupper()):
            raise self.fail(f"unexpected character {c!r}")
        two = self.s[self.i:self.i + 2]
        if len(two) == 2 and two[1].islower() and two[1].isascii() and is_element(two):
            self.i += 2
            return two
        if is_element(c):
            self.i += 1
            return c
        raise self.fail(f"unknown element or ligand starting {self.s[self.i:self.i + 6]!r}")

    def group(self, close: str, start: int) -> tuple[ParsedSpecies, bool]:
        """Content of (...) or [...]; returns the parts and whether it was a ligand."""
        end = self._matching(close, start)
        inner = self.s[self.i:end]
        if close == ")":
            lig = self.lib.ligand(inner)
            if lig is not None:
                self.i = end
                return ParsedSpecies(ligands={lig: 1}), True
            if inner in self.lib.adducts:
                self.i = end
                return ParsedSpecies(adducts={self.lib.adducts[inner]: 1}), False
        if not inner:
            raise self.fail("empty group", start)
        try:
            part = self.body(close)
        except NotationError as exc:
            # (SPhMe2): the fault is inside a name that was read as elements; say so.
            pos = exc.position if exc.position is not None else start
            if pos > start + 1 and _name_like(inner):
                raise self.fail(f"unknown ligand {inner!r}: define it in a ligand file (--ligands FILE, "
                                "see docs/ligands.md) or write a known name", start + 1) from None
            raise
        return part, bool(part.ligands)

    def _matching(self, close: str, start: int) -> int:
        stack: list[int] = []
        for j in range(start, len(self.s)):
            ch = self.s[j]
            if ch in "([":
                stack.append(j)
            elif ch in ")]":
                opener = self.s[stack.pop()]
                if (opener == "(") != (ch == ")"):
                    raise self.fail(f"expected {')' if opener == '(' else ']'!r}, found {ch!r}", j)
                if not stack:
                    return j
        # Point at the innermost bracket left open.
        pos = stack[-1]
        raise self.fail(f"unclosed {self.s[pos]!r}", pos)

    def charge(self) -> int:
        rest = self.s[self.i:]
        if rest == "":
            return 0
        pos = self.i
        if rest.startswith("^"):
            rest = rest[1:]
            pos += 1
        m = re.fullmatch(r"(\d{1,4})([+-])|([+-])(\d{1,4})?|(\++|-+)", rest)
        if not m:
            late = re.search(r"[+-]\d*([A-Z][A-Za-z0-9]*)", rest)
            if late and late.group(1) in self.lib.adducts:
                body = self.s[:self.i].strip()
                inside = (body[:-1] if body.endswith("]") else "[" + body) + late.group(0) + "]"
                raise NotationError(f"adducts go inside the brackets, the charge of the whole ion after "
                                    f"them (e.g. {inside}{late.group(0)[0]})", self.original, pos)
            raise NotationError(
                "bad charge (write it like 3-, -, 2+ or +)", self.original, pos)
        if m.group(1):
            z = int(m.group(1)) * (1 if m.group(2) == "+" else -1)
        elif m.group(3):
            z = int(m.group(4) or 1) * (1 if m.group(3) == "+" else -1)
        else:
            z = len(m.group(5)) * (1 if m.group(5)[0] == "+" else -1)
        if z == 0:
            raise NotationError("a charge of 0 must be written without a sign", self.original, pos)
        if abs(z) > MAX_CHARGE:
            raise NotationError(f"|charge| {abs(z)} is over the limit of {MAX_CHARGE}",
                                self.original, pos)
        return z


def _net_protons(adducts: dict[Adduct, int]) -> None:
    """``+H-3H`` is ``-2H``: protons added and removed cancel (in place)."""
    proton = next((a for a in adducts if a.is_proton), None)
    if proton is None or REMOVED_PROTON not in adducts:
        return
    both = min(adducts[proton], adducts[REMOVED_PROTON])
    for a in (proton, REMOVED_PROTON):
        adducts[a] -= both
        if not adducts[a]:
            del adducts[a]


def _name_like(text: str) -> bool:
    return bool(text) and not any(c in "()[] " for c in text) and not text[0].isdigit()


def _nesting_fault(text: str) -> int | None:
    """Position of the first bracket nested deeper than MAX_NESTING, or None."""
    depth = 0
    for j, ch in enumerate(text):
        if ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                return j
        elif ch in ")]":
            depth = max(0, depth - 1)
    return None


def preset(name: str) -> str | None:
    """The ion text of a paper preset (``Ag@I`` -> ``[Ag29(BDT)12]3-``), or None."""
    m = _PRESET.match(name)
    if not m:
        return None
    metal, kind = m.groups()
    if metal not in METAL_VALENCE:
        return None
    v = METAL_VALENCE[metal]

    def core(n: int) -> str:
        return f"Ag{n + 1}" if metal == "Ag" else f"{metal}Ag{n}"

    if kind == "I":
        p = 3 + (1 - v)
        return f"[{core(28)}(BDT)12]{p}-"
    if kind == "II":
        q = 1 + (1 - v)
        return f"[{core(24)}(DMBT)18]{'' if q == 1 else q}-"
    if kind == "III":
        return f"[{core(52)}(BDT)12(DMBT)16]3-"
    return f"[{core(53)}(BDT)12(DMBT)16]3-"


def parse_species(text: str, library: LigandLibrary) -> ParsedSpecies:
    """Parse species text into its parts; raises NotationError on any fault."""
    if not isinstance(text, str):
        raise NotationError(f"species must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise NotationError(f"species text is {len(text):,} characters, over the limit of "
                            f"{MAX_LENGTH:,}", text[:40] + "...", None)
    original = text
    stripped = text.strip()
    if not stripped:
        raise NotationError("empty species", text, 0)
    lead = len(text) - len(text.lstrip())
    expanded = preset(stripped)
    if expanded is not None:
        return parse_species(expanded, library)
    norm = " " * lead + stripped.translate(_SUPER)
    deep = _nesting_fault(norm)
    if deep is not None:
        raise NotationError(f"brackets nested over {MAX_NESTING} deep", original, deep)
    p = _Parser(norm, original, library)
    p.i = lead
    if p.peek() == "[":
        start = p.i
        end = p._matching("]", start)
        p.i = start + 1
        if end == start + 1:
            raise p.fail("empty brackets", start)
        parts = p.body("]")
        p.i = end + 1
        if p.peek() == "]":
            raise p.fail("unbalanced ']'")
    else:
        parts = p.body("")
    parts.charge = p.charge()
    _net_protons(parts.adducts)
    if not (parts.metals or parts.ligands or parts.extra or parts.adducts):
        raise NotationError("no atoms in species", original, lead)
    totals: dict[str, int] = {}
    for d in (parts.metals, parts.extra):
        for s, n in d.items():
            totals[s] = totals.get(s, 0) + n
    for lig, n in parts.ligands.items():
        for s, k in lig.composition.items():
            totals[s] = totals.get(s, 0) + k * n
    for add, n in parts.adducts.items():
        for s, k in add.composition.items():
            totals[s] = totals.get(s, 0) + k * n
    for s, n in totals.items():
        if n > MAX_ATOMS:
            raise NotationError(f"{n:,} atoms of {s} is over the limit of {MAX_ATOMS:,}",
                                original, lead)
    return parts
