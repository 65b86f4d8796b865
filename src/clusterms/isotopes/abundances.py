"""Per-element isotope abundances, natural or user-chosen (enriched 107Ag, 109Ag ...)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from clusterms.chem.elements import Element, element
from clusterms.errors import OptionError

__all__ = ["Abundances", "element_with", "normalise_abundances"]

# {"Ag": {107: 0.99, 109: 0.01}}: mass number -> fraction, per element.
Abundances = Mapping[str, Mapping[int, float]]
# The hashable form used as a cache key.
AbundanceKey = tuple[tuple[str, tuple[tuple[int, float], ...]], ...]


def normalise_abundances(abundances: Abundances | None, /) -> AbundanceKey:
    """Validate user abundances and return a hashable, normalised key.

    Fractions must be non-negative with a positive sum; a sum within 1 % of 1 (or exactly a
    percentage scale of 100) is rescaled to 1. Isotopes not given get 0.
    """
    if not abundances:
        return ()
    out = []
    for sym, fracs in sorted(abundances.items()):
        try:
            el = element(sym)
        except KeyError:
            raise OptionError(f"abundances: unknown element {sym!r}") from None
        given = {int(k): float(v) for k, v in fracs.items()}
        unknown = sorted(set(given) - set(el.mass_numbers))
        if unknown:
            raise OptionError(
                f"abundances: {sym} has no stable isotope {unknown[0]}; known: "
                + ", ".join(str(a) for a in el.mass_numbers))
        if any(v < 0 or v != v for v in given.values()):
            raise OptionError(f"abundances: {sym} fractions must be non-negative numbers")
        total = sum(given.values())
        if not (abs(total - 1) <= 0.01 or abs(total - 100) <= 1):
            raise OptionError(
                f"abundances: {sym} fractions sum to {total:g}; they must sum to 1 (or 100 %)")
        out.append((sym, tuple((a, given.get(a, 0.0) / total) for a in el.mass_numbers)))
    return tuple(out)


@cache
def element_with(symbol: str, key: AbundanceKey = ()) -> Element:
    """The element with natural or custom abundances (cached)."""
    el = element(symbol)
    for sym, fracs in key:
        if sym == symbol:
            return Element(symbol, el.mass_numbers, el.masses, tuple(p for _, p in fracs))
    return el
