"""Immutable elemental compositions with exact arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from clusterms.chem.elements import element, is_element
from clusterms.errors import ClustermsError

__all__ = ["Composition", "CompositionError"]


class CompositionError(ClustermsError, ValueError):
    """An invalid composition (unknown element, non-integer or negative count)."""


def _hill_key(symbol: str, has_carbon: bool) -> tuple[int, str]:
    if has_carbon:
        if symbol == "C":
            return (0, "")
        if symbol == "H":
            return (1, "")
    return (2, symbol)


class Composition(Mapping[str, int]):
    """An immutable multiset of elements: ``{"Ag": 29, "C": 72, ...}``.

    Counts are Python ints; floats are rejected, not rounded. Zero counts are dropped.
    Compositions compare and hash by value and support ``+``, ``-`` and ``* int``.
    Negative counts are allowed (a composition can be a difference, such as a loss);
    :attr:`is_physical` tells whether all counts are non-negative.

    Examples
    --------
    >>> Composition({"Ag": 1}) + Composition({"C": 8, "H": 9, "S": 1}) * 2
    Composition('C16H18AgS2')
    """

    __slots__ = ("__dict__", "_items")

    def __init__(self, counts: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        items = counts.items() if isinstance(counts, Mapping) else counts
        acc: dict[str, int] = {}
        for sym, n in items:
            if isinstance(n, bool) or not isinstance(n, int):
                raise CompositionError(f"count of {sym!r} must be an integer, got {n!r}")
            if not is_element(sym):
                raise CompositionError(f"unknown element {sym!r}")
            acc[sym] = acc.get(sym, 0) + n
        self._items: tuple[tuple[str, int], ...] = tuple(
            sorted(((s, n) for s, n in acc.items() if n != 0))
        )

    # Mapping protocol -------------------------------------------------------------------
    def __getitem__(self, symbol: str) -> int:
        for s, n in self._items:
            if s == symbol:
                return n
        raise KeyError(symbol)

    def get(self, symbol: str, default: Any = 0) -> Any:  # type: ignore[override]
        for s, n in self._items:
            if s == symbol:
                return n
        return default

    def __iter__(self) -> Iterator[str]:
        return (s for s, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, symbol: object) -> bool:
        return any(s == symbol for s, _ in self._items)

    # Value semantics --------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Composition):
            return self._items == other._items
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    @classmethod
    def _trusted(cls, counts: dict[str, int]) -> Composition:
        """From counts of known elements with int values (arithmetic on compositions)."""
        new = cls.__new__(cls)
        new._items = tuple(sorted((s, n) for s, n in counts.items() if n != 0))
        return new

    def __add__(self, other: Composition) -> Composition:
        if not isinstance(other, Composition):
            return NotImplemented
        acc = dict(self._items)
        for s, n in other._items:
            acc[s] = acc.get(s, 0) + n
        return Composition._trusted(acc)

    def __sub__(self, other: Composition) -> Composition:
        if not isinstance(other, Composition):
            return NotImplemented
        acc = dict(self._items)
        for s, n in other._items:
            acc[s] = acc.get(s, 0) - n
        return Composition._trusted(acc)

    def __mul__(self, k: int) -> Composition:
        if isinstance(k, bool) or not isinstance(k, int):
            return NotImplemented
        return Composition._trusted({s: n * k for s, n in self._items})

    __rmul__ = __mul__

    def __neg__(self) -> Composition:
        return self * -1

    def __repr__(self) -> str:
        return f"Composition({self.formula!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Composition, (dict(self._items),))

    # Derived quantities -----------------------------------------------------------------
    @property
    def is_physical(self) -> bool:
        """True when no count is negative."""
        return all(n >= 0 for _, n in self._items)

    @cached_property
    def formula(self) -> str:
        """Hill-order formula (C, H, then alphabetical; alphabetical without carbon)."""
        has_c = "C" in self
        parts = []
        for s, n in sorted(self._items, key=lambda it: _hill_key(it[0], has_c)):
            parts.append(s if n == 1 else f"{s}{n}")
        return "".join(parts)

    @cached_property
    def monoisotopic_mass(self) -> float:
        """Sum of the masses of each element's most abundant isotope (IUPAC convention)."""
        return sum(n * element(s).monoisotopic_mass for s, n in self._items)

    @cached_property
    def average_mass(self) -> float:
        """Sum of the natural average element masses."""
        return sum(n * element(s).average_mass for s, n in self._items)

    @property
    def atom_count(self) -> int:
        """Total number of atoms."""
        return sum(n for _, n in self._items)

    def items(self) -> Any:
        """(symbol, count) pairs, sorted by symbol, as a tuple."""
        return self._items
