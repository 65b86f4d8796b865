"""Adduct terms (+Cs, -4H), ligand spellings, ligands' own charges and parser termination."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from molmass import Formula

from clusterms import Ion, NotationError
from clusterms.chem.composition import Composition
from clusterms.chem.elements import electron_mass
from clusterms.chem.ligand_file import name_fault
from clusterms.chem.ligands import REMOVED_PROTON, Ligand, LigandLibrary, default_library, load_library
from clusterms.chem.notation import MAX_NESTING
from clusterms.errors import OptionError

# Alias -> the ligand it names and a formula written out for molmass (the independent reading
# of the spelling; for substituted phenyls the shorthand is not a literal formula: SPhMe2 is
# S-C6H3(CH3)2, not S + C6H5 + 2 CH3).
SPELLINGS = [
    ("SPhMe2", "DMBT", "SC6H3(CH3)2"),
    ("SC6H3Me2", "DMBT", "SC6H3(CH3)2"),
    ("SCH2CH2Ph", "PET", "SCH2CH2Ph"),
    ("SC2H4Ph", "PET", "SC2H4Ph"),
    ("PhC2H4S", "PET", "PhC2H4S"),
    ("SPhtBu", "TBBT", "SC6H4C(CH3)3"),
    ("SC6H11", "CHT", "SC6H11"),
    ("SCy", "CHT", "SCy"),
    ("GS", "SG", "SCH2CH(NHCOCH2CH2CH(NH2)COOH)CONHCH2COOH"),
    ("SPhCOOH", "p-MBA", "SC6H4COOH"),
    ("PhS", "SPh", "PhS"),
    ("SPh", "SPh", "SPh"),
    ("SBu", "SC4H9", "SBu"),
    ("SC6H13", "SC6H13", "SC6H13"),
    ("SHex", "SC6H13", "SC6H13"),
    ("SC12H25", "SC12H25", "SC12H25"),
    ("DDT", "SC12H25", "SC12H25"),
    ("SAdm", "SAdm", "SC10H15"),
    ("PhSe", "SePh", "PhSe"),
]


@pytest.mark.parametrize("alias, key, written", SPELLINGS)
def test_common_spellings_name_the_ligand_with_that_formula(alias, key, written):
    ion = Ion.parse(f"[Au25({alias})18]-")
    assert ion == Ion.parse(f"[Au25({key})18]-")
    lig = ion.ligands[0][0]
    assert lig.key == key
    assert lig.composition.formula == Formula(written).formula
    assert ion.electrons == 8  # one-electron thiolates and selenolates


def test_spellings_are_not_ambiguous():
    lib = default_library()
    # C8H9S is both PET and DMBT: no alias may spell that formula literally.
    assert all(lib.ligand(n) is None for n in ("SC8H9", "C8H9S"))
    names = [*lib.ligands, *lib.aliases]
    assert len(names) == len(set(names))


ADDUCT_IONS = [
    # text, formula, charge, core charge, electrons
    ("[Au25(PET)18+Cs]+", "C144H162Au25CsS18", 1, 0, 7),
    ("[Au25(PET)18Cs]+", "C144H162Au25CsS18", 1, 0, 7),
    ("[Au25(PET)18+2Cs]2+", "C144H162Au25Cs2S18", 2, 0, 7),
    ("[Ag29(BDT)12+Na]2-", "C72H48Ag29NaS24", -2, -3, 8),
    ("[Ag29(BDT)12+H+Na]-", "C72H49Ag29NaS24", -1, -3, 8),
    ("[Ag54(BDT)12(DMBT)18+H]3-", "C216H211Ag54S42", -3, -4, 16),
    ("[Ag44(p-MBA)30-4H]8-", "C210H146Ag44O60S30", -8, -4, 18),
    ("[Ag44(p-MBA)30-H]5-", "C210H149Ag44O60S30", -5, -4, 18),
    ("[Ag44(SPhCOOH)30-4H]8-", "C210H146Ag44O60S30", -8, -4, 18),
    ("[Au25(PET)18+2Cs-H]+", "C144H161Au25Cs2S18", 1, 0, 7),
]


@pytest.mark.parametrize("text, formula, z, z_core, electrons", ADDUCT_IONS)
def test_adduct_terms(text, formula, z, z_core, electrons):
    ion = Ion.parse(text)
    assert ion.formula == formula
    assert (ion.charge, ion.core_charge, ion.electrons) == (z, z_core, electrons)
    assert Ion.parse(ion.notation) == ion
    # m/z from molmass's monoisotopic mass of the same formula, electrons removed explicitly
    mono = Formula(formula).monoisotopic_mass
    assert ion.monoisotopic_mz == pytest.approx((mono - z * electron_mass()) / abs(z), abs=2e-4)


@pytest.mark.parametrize("text, canonical", [
    ("(Cs)", "[+Cs]"),  # an adduct with nothing before it would read back as the metal Cs
    ("[Ag2+Cs]+", "[Ag2+Cs]+"),
    ("[Ag29(BDT)12+Na]2-", "[Ag29(BDT)12Na]2-"),
    ("[Ag29(BDT)12+2Na]-", "[Ag29(BDT)12Na2]-"),
])
def test_adducts_are_written_so_they_read_back_as_adducts(text, canonical):
    ion = Ion.parse(text)
    assert ion.notation == canonical
    assert Ion.parse(canonical) == ion and ion.adducts


def test_user_adduct_is_written_as_a_term(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_text('[adducts.Li]\nformula = "Li"\ncharge = 1\n')
    lib = load_library(f)
    ion = Ion.parse("[Ag29(BDT)12+2Li]-", library=lib)
    assert ion.notation == "[Ag29(BDT)12+2Li]-"  # bare "Li2" would read as the metal
    assert Ion.parse(ion.notation, library=lib) == ion


def test_removed_protons_are_written_canonically():
    ion = Ion.parse("[Ag44(p-MBA)30-4H]8-")
    assert ion.notation == "[Ag44(p-MBA)30-4H]8-"
    assert Ion.parse("[Ag44(p-MBA)30-H]5-").notation == "[Ag44(p-MBA)30-H]5-"
    assert Ion.parse("[Ag44(p-MBA)30+H-3H]6-").notation == "[Ag44(p-MBA)30-2H]6-"


def test_removed_protons_are_an_adduct_with_a_positive_count():
    lib = default_library()
    mba = lib.ligand("p-MBA")
    built = Ion.from_parts(metals={"Ag": 44}, ligands={mba: 30}, adducts={REMOVED_PROTON: 4}, charge=-8)
    assert built == Ion.parse("[Ag44(p-MBA)30-4H]8-")
    assert built.composition == Ion.parse("[Ag44(p-MBA)30]4-").composition - Composition({"H": 4})
    with pytest.raises(OptionError, match="negative count"):
        Ion.from_parts(metals={"Ag": 44}, ligands={mba: 30}, adducts={lib.adducts["H"]: -4}, charge=-8)


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("[Au25(PET)18-Cs]", r"only protons can be removed: write -nH, not -Cs", 12),
        ("[Au25(PET)18+X]+", r"after '\+' write an adduct \(Cs, H, K, NH4, Na, PPh4\), e.g. \[Au25\(PET\)18\+Cs", 12),
        ("[Au25(PET)18-X]", r"after '-' inside the brackets write the protons removed, e.g. \[Ag44", 12),
        ("[Au25(PET)18+Cs2]2+", r"write the count before the adduct \(e.g. \+2Cs\)", 12),
        ("[Au25(PET)18]+Cs", r"adducts go inside the brackets.*\(e.g. \[Au25\(PET\)18\+Cs\]\+\)", 13),
        ("[Au25(PET)18]-+Cs", r"adducts go inside the brackets", 13),
        ("C6H4S2Ag2-H", r"adducts go inside the brackets.*\(e.g. \[C6H4S2Ag2-H\]-\)", 9),
        ("[Au25(SPhEt2)18]-", r"unknown ligand 'SPhEt2': define it in a ligand file \(--ligands FILE", 6),
        ("[Au25(S-C6H13)18]-", r"unknown ligand 'S-C6H13'", 6),
        ("[Ag2Cl2-3H]+", r"more protons removed \(3\) than there are H atoms \(0\)", None),
        ("[Ag2(PPh3)Cl2-16H]+", r"more protons removed \(16\) than there are H atoms \(15\)", None),
        ("[Ag29(BDT)12+0Na]2-", r"a count of 0 is not allowed", 13),
        ("(" * (MAX_NESTING + 1) + "Ag" + ")" * (MAX_NESTING + 1), r"brackets nested over 16 deep", MAX_NESTING),
    ],
)
def test_what_is_not_understood_says_what_to_write(text, message, position):
    with pytest.raises(NotationError, match=message) as info:
        Ion.parse(text)
    assert info.value.position == position
    assert "\n" not in info.value.one_line()


def test_deep_but_allowed_nesting_parses():
    text = "(" * MAX_NESTING + "Ag" + ")" * MAX_NESTING
    assert Ion.parse(text).formula == "Ag"
    deep = "[" + "(" * 3000 + "Ag" + ")" * 3000 + "]-"  # a RecursionError before the limit existed
    with pytest.raises(NotationError, match="nested over"):
        Ion.parse(deep)


def test_bare_ligand_name_does_not_swallow_an_element():
    # "PA" (phenylacetylide) must not match the start of "PAu" in a plain formula.
    ion = Ion.parse("[C18H15PAuCl]")
    assert ion.ligands == () and ion.composition == Composition({"C": 18, "H": 15, "P": 1, "Au": 1, "Cl": 1})
    assert Ion.parse("[Ag2PA2]").ligands == ((default_library().ligands["PA"], 2),)


# Ligands that carry a charge of their own --------------------------------------------------
MBAD = '[ligands.MBAd]\nformula = "C7H4O2S"\ncharge = -2\nwithdraws = 1\nname = "4-mercaptobenzoate, carboxylate"\n'
TMA = '[ligands.TMA]\nformula = "C14H31NS"\ncharge = 0\nwithdraws = 1\nname = "11-thioundecyltrimethylammonium"\n'


def test_deprotonated_ligand_from_a_file_counts_18_electrons(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_text(MBAD)
    lib = load_library(f)
    variant = Ion.parse("[Ag44(p-MBA)26(MBAd)4]8-", library=lib)
    removed = Ion.parse("[Ag44(p-MBA)30-4H]8-", library=lib)
    assert variant.composition == removed.composition
    assert variant.monoisotopic_mz == pytest.approx(removed.monoisotopic_mz, abs=1e-9)
    assert variant.ligand_own_charge == -4
    # 44 Ag - 30 thiolates - z_core (-4): the carboxylates' own charge is not the core's.
    assert variant.electrons == removed.electrons == 18
    assert variant.is_closed_shell
    assert Ion.parse("[Ag44(p-MBA)30]4-", library=lib).electrons == 18


def test_cationic_ligand_own_charge(tmp_path):
    # Thiolates ending in a trimethylammonium: each is neutral as bound (thiolate -1,
    # ammonium +1), so [Au25(TMA)18] with an 8-electron 1- core is observed as 17+.
    f = tmp_path / "lig.toml"
    f.write_text(TMA)
    ion = Ion.parse("[Au25(TMA)18]17+", library=load_library(f))
    assert ion.ligand_own_charge == 18
    assert ion.electrons == 8


def test_own_charge_is_charge_plus_withdraws():
    lib = default_library()
    assert {lig.own_charge for lig in lib.ligands.values()} == {0}
    lig = Ligand("MBAd", Composition({"C": 7, "H": 4, "O": 2, "S": 1}), charge=-2, withdraws=1)
    assert lig.own_charge == -1


# Termination --------------------------------------------------------------------------------
@contextmanager
def _deadline(seconds: float):
    def boom(_signum, _frame):
        raise TimeoutError(f"parser still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_NAME_CHARS = st.sampled_from([*"ABHLSXPabhx'-+#1209", "Ag", "Cs", "≡"])
_NAMES = st.lists(st.lists(_NAME_CHARS, min_size=1, max_size=5).map("".join).filter(lambda n: name_fault(n) is None),
                  min_size=1, max_size=6, unique=True)
_TOKENS = [*"[]()+-^0123456789'HLSX", "Ag", "Cs", "(DMBT)", "]3-", "-4H", "+Cs"]


@st.composite
def _library_and_text(draw):
    base = default_library()
    names = draw(_NAMES)
    ligs = {n: Ligand(n, Composition({"C": 2, "H": 5, "S": 1}), -1, 1) for n in names
            if n not in base.adducts and base.ligand(n) is None}
    lib = base.merged(LigandLibrary(ligs, {}, {}))
    pieces = draw(st.lists(st.sampled_from([*_TOKENS, *names]), max_size=20))
    return lib, "".join(pieces)


@settings(max_examples=400, deadline=None)
@given(_library_and_text())
def test_parsing_always_terminates(case):
    lib, text = case
    with _deadline(2.0):
        try:
            ion = Ion.parse(text, library=lib)
        except NotationError:
            return
        assert Ion.parse(ion.notation, library=lib) == ion
