import pytest

from clusterms import Ion
from clusterms.chem.electrons import MAGIC_NUMBERS, is_closed_shell, nearest_magic, valence

# Halfway between two neighbouring shells: the smaller shell is reported.
TIES = [(5, 2), (13, 8), (19, 18), (27, 20), (37, 34), (49, 40), (75, 58), (115, 92)]


@pytest.mark.parametrize("electrons, magic", TIES)
def test_ties_go_to_the_smaller_shell(electrons, magic):
    assert nearest_magic(electrons) == magic


@pytest.mark.parametrize("electrons, magic", [(-3, 2), (0, 2), (3, 2), (6, 8), (14, 18), (17, 18),
                                              (21, 20), (39, 40), (57, 58), (100, 92), (116, 138),
                                              (500, 138)])
def test_nearest_off_a_tie(electrons, magic):
    assert nearest_magic(electrons) == magic


@pytest.mark.parametrize("electrons", range(-5, 160))
def test_no_shell_is_closer(electrons):
    m = nearest_magic(electrons)
    assert m in MAGIC_NUMBERS
    assert all(abs(o - electrons) > abs(m - electrons) or (abs(o - electrons) == abs(m - electrons) and o >= m)
               for o in MAGIC_NUMBERS)


def test_magic_counts_are_their_own_nearest_and_closed():
    assert [nearest_magic(m) for m in MAGIC_NUMBERS] == list(MAGIC_NUMBERS)
    assert all(is_closed_shell(m) for m in MAGIC_NUMBERS)
    assert not any(is_closed_shell(m + 1) for m in MAGIC_NUMBERS)


def test_ion_nearest_magic_uses_its_electron_count():
    ion = Ion.parse("[Ag25(DMBT)18]-")  # 25 - 18 + 1 = 8
    assert (ion.electrons, ion.nearest_magic) == (8, 8)
    assert Ion.parse("[PdAg24(DMBT)18]-").nearest_magic == 8  # 7 electrons


@pytest.mark.parametrize("symbol, v", [("Ag", 1), ("Au", 1), ("Pd", 0), ("Pt", 0), ("Ir", -1), ("Zn", 2),
                                       ("Al", 3), ("Bi", 5), ("S", 0), ("C", 0)])
def test_valence(symbol, v):
    assert valence(symbol) == v
