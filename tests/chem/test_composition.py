import pytest
from molmass import Formula

from clusterms.chem.composition import Composition, CompositionError


def test_value_semantics():
    a = Composition({"Ag": 1, "C": 8, "H": 9, "S": 1})
    b = Composition([("S", 1), ("H", 9), ("C", 8), ("Ag", 1)])
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a + a == a * 2 == 2 * a
    assert (a - a) == Composition()
    assert (Composition({"Ag": 1}) - a).is_physical is False


@pytest.mark.parametrize("bad", [{"Ag": 1.0}, {"Ag": 1.5}, {"Xx": 1}, {"Ag": True}])
def test_rejects_floats_and_unknown_elements(bad):
    with pytest.raises(CompositionError):
        Composition(bad)


@pytest.mark.parametrize(
    "counts, hill",
    [
        ({"Ag": 29, "C": 72, "H": 48, "S": 24}, "C72H48Ag29S24"),
        ({"Ag": 25, "S": 18}, "Ag25S18"),
        ({"H": 2, "O": 1}, "H2O"),
        ({"C": 1, "Cl": 4}, "CCl4"),
    ],
)
def test_hill_formula(counts, hill):
    assert Composition(counts).formula == hill


@pytest.mark.parametrize("formula", ["C72H48Ag29S24", "C144H162Ag25S18", "C200H192Ag52PtS40",
                                     "C216H211Ag54S42", "C480H540Au144S60"])
def test_masses_agree_with_molmass(formula):
    from clusterms.chem.formula import parse_formula

    comp = parse_formula(formula)
    f = Formula(formula)
    # molmass' monoisotopic mass uses each element's most abundant isotope, like ours; its
    # table differs slightly from IsoSpecPy's, hence the 1 ppm tolerance.
    assert comp.monoisotopic_mass == pytest.approx(f.monoisotopic_mass, rel=1e-6)
    assert comp.average_mass == pytest.approx(f.mass, rel=2e-5)


def test_hill_order_does_not_depend_on_insertion_order():
    assert Composition({"H": 4, "C": 1}).formula == "CH4"
    assert Composition({"S": 1, "H": 9, "C": 8, "Ag": 1}).formula == "C8H9AgS"
    assert Composition({"S": 1, "H": 2, "Ag": 2}).formula == "Ag2H2S"  # no carbon: alphabetical


def test_item_access_and_arithmetic_with_absent_elements():
    c = Composition({"Ag": 2, "S": 1})
    assert c.get("Au") == 0 and c.get("Au", None) is None and c.get("Ag") == 2
    with pytest.raises(KeyError, match="Au"):
        c["Au"]
    assert dict((c - Composition({"Au": 1})).items()) == {"Ag": 2, "Au": -1, "S": 1}
    assert dict((Composition({"Au": 1}) - c).items()) == {"Ag": -2, "Au": 1, "S": -1}
    assert dict((c * 3).items()) == {"Ag": 6, "S": 3}
    for bad in (True, 1.5, "2"):
        with pytest.raises((TypeError, CompositionError)):
            c * bad
