"""Superatom electron counting.

n = sum of metal valence electrons - electrons withdrawn by ligands - z_core, where z_core is
the charge of the cluster without its adducts (see SCIENCE.md). The metal valence convention
follows the superatom literature: group 11 (Cu, Ag, Au) gives 1, group 10 (Ni, Pd, Pt) 0 as
d10 dopants, group 9 (Co, Rh, Ir) -1, group 12 (Zn, Cd, Hg) 2; s- and p-block metals give
their group valence.
"""

from __future__ import annotations

__all__ = ["MAGIC_NUMBERS", "METAL_VALENCE", "is_closed_shell", "nearest_magic", "valence"]

# Chemical convention (not physics): valence electrons a metal atom gives to the superatom.
METAL_VALENCE: dict[str, int] = {
    "Cu": 1, "Ag": 1, "Au": 1,
    "Ni": 0, "Pd": 0, "Pt": 0,
    "Co": -1, "Rh": -1, "Ir": -1,
    "Fe": -2, "Ru": -2, "Os": -2,
    "Zn": 2, "Cd": 2, "Hg": 2,
    "Li": 1, "Na": 1, "K": 1, "Rb": 1, "Cs": 1,
    "Be": 2, "Mg": 2, "Ca": 2, "Sr": 2, "Ba": 2,
    "Al": 3, "Ga": 3, "In": 3, "Tl": 3,
    "Sn": 4, "Pb": 4, "Bi": 5,
}

# Closed electronic shells of the spherical jellium / superatom model.
MAGIC_NUMBERS: tuple[int, ...] = (2, 8, 18, 20, 34, 40, 58, 92, 138)

# Atoms outside named ligands that withdraw one electron each (thiolate S, halides).
WITHDRAWING_ATOMS: dict[str, int] = {"S": 1, "Se": 1, "Te": 1, "F": 1, "Cl": 1, "Br": 1, "I": 1}


def valence(symbol: str) -> int:
    """Valence electrons a metal atom contributes (0 for elements not in the table)."""
    return METAL_VALENCE.get(symbol, 0)


def is_closed_shell(electrons: int) -> bool:
    """Whether an electron count is a superatom magic number."""
    return electrons in MAGIC_NUMBERS


def nearest_magic(electrons: int) -> int:
    """The closest magic number (the smaller one on a tie)."""
    return min(MAGIC_NUMBERS, key=lambda m: (abs(m - electrons), m))
