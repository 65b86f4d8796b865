import pytest
from molmass import Formula

from clusterms import NotationError
from clusterms.chem.formula import parse_formula


@pytest.mark.parametrize("text", ["C8H9S", "(C6H4S2)12Ag29", "Ag25(S(C8H9))18", "((CH2)3S)2Ag",
                                  "Au25(SCH2CH2C6H5)18", "(H2O)"])
def test_group_multipliers_match_molmass(text):
    ours = dict(parse_formula(text).items())
    assert ours == {k: v.count for k, v in Formula(text).composition().items()}


@pytest.mark.parametrize("text, position", [("C8H9)", 4), ("(C8H9", 0), ("C8Xx", 2), ("C8-H", 2)])
def test_faults_are_located(text, position):
    with pytest.raises(NotationError) as info:
        parse_formula(text)
    assert info.value.position == position
