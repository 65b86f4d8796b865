"""Plain chemical formulas: ``C8H9S``, ``(C6H4S2)12Ag29``."""

from __future__ import annotations

from clusterms.chem.composition import Composition, CompositionError
from clusterms.chem.elements import is_element
from clusterms.errors import NotationError

__all__ = ["parse_formula"]

MAX_ATOMS_PER_ELEMENT = 10_000


def _count(text: str, i: int) -> tuple[int, int]:
    j = i
    while j < len(text) and text[j].isdigit() and text[j].isascii():
        j += 1
    if j == i:
        return 1, i
    if j - i > 6:
        raise NotationError("count too large", text, i)
    return int(text[i:j]), j


def parse_formula(text: str) -> Composition:
    """Parse an element formula with optional parenthesised groups.

    Raises
    ------
    NotationError
        With the position of the first character that is not part of a formula.
    """
    stack: list[dict[str, int]] = [{}]
    opens: list[int] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "(":
            stack.append({})
            opens.append(i)
            i += 1
        elif c == ")":
            if len(stack) == 1:
                raise NotationError("unbalanced ')'", text, i)
            group = stack.pop()
            opens.pop()
            n, i = _count(text, i + 1)
            for s, k in group.items():
                stack[-1][s] = stack[-1].get(s, 0) + k * n
        elif c.isascii() and c.isupper():
            sym = c
            if i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].islower():
                if is_element(c + text[i + 1]):
                    sym = c + text[i + 1]
            if not is_element(sym):
                raise NotationError(f"unknown element {sym!r}", text, i)
            n, i = _count(text, i + len(sym))
            stack[-1][sym] = stack[-1].get(sym, 0) + n
        else:
            raise NotationError(f"unexpected character {c!r} in formula", text, i)
    if len(stack) != 1:
        raise NotationError("unclosed '('", text, opens[-1])
    for s, n in stack[0].items():
        if n > MAX_ATOMS_PER_ELEMENT:
            raise NotationError(
                f"{n} atoms of {s} is over the limit of {MAX_ATOMS_PER_ELEMENT:,}", text, 0
            )
    try:
        return Composition(stack[0])
    except CompositionError as exc:  # pragma: no cover - guarded above
        raise NotationError(str(exc), text, 0) from exc
