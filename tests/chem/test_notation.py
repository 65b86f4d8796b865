import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterms import Ion, NotationError
from clusterms.chem.ligands import default_library
from clusterms.chem.notation import preset

PAPER_IONS = [
    ("[Ag29(BDT)12]3-", "C72H48Ag29S24", -3, 8),
    ("[Ag25(DMBT)18]-", "C144H162Ag25S18", -1, 8),
    ("[AuAg24(DMBT)18]-", "C144H162Ag24AuS18", -1, 8),
    ("[PdAg24(DMBT)18]2-", "C144H162Ag24PdS18", -2, 8),
    ("[PtAg24(DMBT)18]2-", "C144H162Ag24PtS18", -2, 8),
    ("[PdAg28(BDT)12]4-", "C72H48Ag28PdS24", -4, 8),
    ("[Ag53(BDT)12(DMBT)16]3-", "C200H192Ag53S40", -3, 16),
    ("[AuAg52(BDT)12(DMBT)16]3-", "C200H192Ag52AuS40", -3, 16),
    ("[PdAg52(BDT)12(DMBT)16]3-", "C200H192Ag52PdS40", -3, 15),
    ("[PtAg52(BDT)12(DMBT)16]3-", "C200H192Ag52PtS40", -3, 15),
    ("[PdAg53(BDT)12(DMBT)16]3-", "C200H192Ag53PdS40", -3, 16),
    ("[PtAg53(BDT)12(DMBT)16]3-", "C200H192Ag53PtS40", -3, 16),
    ("[Ag54(BDT)12(DMBT)18H]3-", "C216H211Ag54S42", -3, 16),
    ("[Ag54(BDT)12(DMBT)18]4-", "C216H210Ag54S42", -4, 16),
    ("[Au25(PET)18Cs]+", "C144H162Au25CsS18", 1, 7),
    ("[Au25(PET)18]-", "C144H162Au25S18", -1, 8),
    ("[Ag(DMBT)2]-", "C16H18AgS2", -1, 0),
    ("[Ag2(DMBT)3]-", "C24H27Ag2S3", -1, 0),
    ("[Ag5(BDT)3]-", "C18H12Ag5S6", -1, 0),
    ("[Au11(PPh3)7Cl3]", "C126H105Au11Cl3P7", 0, 8),
    ("[Ag29(BDT)12(PPh3)4]3-", "C144H108Ag29P4S24", -3, 8),
    ("[Au25(SC2H4Ph)18]-", "C144H162Au25S18", -1, 8),
    ("[Ag25(SBB)18]-", "C180H234Ag25S18", -1, 8),
    ("[Ag44(p-MBA)30]4-", "C210H150Ag44O60S30", -4, 18),
    ("[Ag29(BDT)12PPh4]2-", "C96H68Ag29PS24", -2, 8),
    ("[Ag29(BDT)12Na]2-", "C72H48Ag29NaS24", -2, 8),
    ("Ag25C144H162S18-", "C144H162Ag25S18", -1, 8),
    ("[Ag29(BDT)12]³⁻", "C72H48Ag29S24", -3, 8),
    ("[Ag29(BDT)12]^3-", "C72H48Ag29S24", -3, 8),
    ("[Ag29(BDT)12]-3", "C72H48Ag29S24", -3, 8),
    ("[Ag29(BDT)12]---", "C72H48Ag29S24", -3, 8),
    ("[(Ag(DMBT)2)2]2-", "C32H36Ag2S4", -2, 0),
    ("[Ag25H22(DPPE)8]3+", "C208H214Ag25P16", 3, 0),
    ("[Ag25(hydride)22(DPPE)8]3+", "C208H214Ag25P16", 3, 0),
]


@pytest.mark.parametrize("text, formula, charge, electrons", PAPER_IONS)
def test_parse(text, formula, charge, electrons):
    ion = Ion.parse(text)
    assert ion.formula == formula
    assert ion.charge == charge
    assert ion.electrons == electrons


@pytest.mark.parametrize("text, _f, _z, _e", PAPER_IONS)
def test_canonical_round_trip(text, _f, _z, _e):
    ion = Ion.parse(text)
    assert Ion.parse(ion.notation) == ion


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Ag@I", "[Ag29(BDT)12]3-"),
        ("Au@I", "[AuAg28(BDT)12]3-"),
        ("Pd@I", "[PdAg28(BDT)12]4-"),
        ("Pt@I", "[PtAg28(BDT)12]4-"),
        ("Ag@II", "[Ag25(DMBT)18]-"),
        ("Au@II", "[AuAg24(DMBT)18]-"),
        ("Pd@II", "[PdAg24(DMBT)18]2-"),
        ("Pt@II", "[PtAg24(DMBT)18]2-"),
        ("Ag@III", "[Ag53(BDT)12(DMBT)16]3-"),
        ("Au@III", "[AuAg52(BDT)12(DMBT)16]3-"),
        ("Pd@IV", "[PdAg53(BDT)12(DMBT)16]3-"),
        ("Pt@IV", "[PtAg53(BDT)12(DMBT)16]3-"),
    ],
)
def test_presets(name, expected):
    assert preset(name) == expected
    assert Ion.parse(name) == Ion.parse(expected)


def test_hydride_ligand_withdraws_but_bare_h_is_atoms():
    # In the metal part H is just atoms; as the hydride ligand it withdraws one electron.
    assert Ion.parse("[Ag25(H-)22(DPPE)8]3+").electrons == 25 - 22 - 3


def test_proton_adduct_changes_charge_not_core_count():
    plain = Ion.parse("[Ag54(BDT)12(DMBT)18]4-")
    adduct = Ion.parse("[Ag54(BDT)12(DMBT)18H]3-")
    assert adduct.core_charge == plain.charge == -4
    assert adduct.electrons == plain.electrons == 16


def test_user_aliases():
    ion = Ion.parse("[Ag53L12L'16]3-", aliases=["L=BDT", "L'=DMBT"])
    assert ion == Ion.parse("[Ag53(BDT)12(DMBT)16]3-")
    ion2 = Ion.parse("[Ag53(L)12(L')16]3-", aliases={"L": "BDT", "L'": "DMBT"})
    assert ion2 == ion


@pytest.mark.parametrize(
    "text, position",
    [
        ("[Ag29(BDT", 5),
        ("[Ag29(BDT)12", 0),
        ("Ag29(BDT)12]3-", 11),
        ("[Ag29(XYZ)12]3-", 6),
        ("[Ag29(BDT)12]3", 13),
        ("[Ag29(BDT)12]3-x", 13),
        ("[Ag29 (BDT)12]3-", 5),
        ("[]3-", 0),
        ("[Ag0(BDT)12]3-", 3),
        ("[Ag29()12]3-", 5),
        ("[Ag29(BDT)12]101-", 13),
        ("[Ag10001]-", 0),
        ("[Qq29]-", 1),
        ("", 0),
        ("   ", 0),
        ("[Ag29(BDT)12]0-", 13),
        ("ag29", 0),
        ("[Ag29(BDT)12)3-", 12),
    ],
)
def test_errors_point_at_the_fault(text, position):
    with pytest.raises(NotationError) as info:
        Ion.parse(text)
    assert info.value.position == position
    assert "^" in str(info.value)


def test_overlong_text_is_refused_not_attempted():
    with pytest.raises(NotationError, match="over the limit"):
        Ion.parse("Ag" * 6000)


def test_notation_error_is_value_error_and_clusterms_error():
    from clusterms import ClustermsError

    with pytest.raises(ValueError):
        Ion.parse("[Ag")
    with pytest.raises(ClustermsError):
        Ion.parse("[Ag")


_ALPHABET = [*"[]()AgBDTMPSHCNaKsu0123456789+-^'L @ItV", "Ag", "Au", "BDT", "DMBT", "Pt", "Pd"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=25).map("".join))
def test_parser_never_crashes_on_token_soup(text):
    try:
        ion = Ion.parse(text)
    except NotationError:
        return
    assert Ion.parse(ion.notation) == ion


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parser_never_crashes_on_any_text(text):
    try:
        Ion.parse(text, library=default_library())
    except NotationError:
        pass


def test_ligand_file_with_a_non_integer_denticity_is_refused(tmp_path):
    from clusterms.chem.ligands import load_library
    from clusterms.errors import InputFileError

    f = tmp_path / "lig.toml"
    f.write_text('[ligands.X]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\ndenticity = "two"\n')
    with pytest.raises(InputFileError, match="'denticity' must be an integer"):
        load_library(f)


def _molmass_counts(text):
    from molmass import Formula

    return {k: v.count for k, v in Formula(text).composition().items()}


@pytest.mark.parametrize(
    "text, plain, charge",
    [
        ("[Ag25(SC8H9)18]-", "Ag25(SC8H9)18", -1),
        ("[Ag25(S(C8H9))18]-", "Ag25(S(C8H9))18", -1),
        ("[Ag25(SCH2CH2C6H5)18]-", "Ag25(SCH2CH2C6H5)18", -1),
        ("(Ag2S)3-", "(Ag2S)3", -1),
        ("[(Ag2(SC8H9)3)2]2-", "(Ag2(SC8H9)3)2", -2),
    ],
)
def test_plain_formula_groups_are_multiplied(text, plain, charge):
    # Groups of bare elements (no ligand name) are counts times their multiplier, at every
    # depth; molmass, which parses the same parenthesised formula, is the oracle.
    ion = Ion.parse(text)
    assert dict(ion.composition.items()) == _molmass_counts(plain)
    assert ion.charge == charge


def test_adduct_group_is_multiplied():
    assert Ion.parse("[Ag29(BDT)12(Na)2]-") == Ion.parse("[Ag29(BDT)12Na2]-")
    assert Ion.parse("[Ag29(BDT)12(Na)2]-").composition["Na"] == 2


@pytest.mark.parametrize(
    "text, charge",
    [("[Au25(PET)18]+++", 3), ("[Au25(PET)18]++", 2), ("[Au25(PET)18]+", 1), ("[Au25(PET)18]^+2", 2),
     ("[Au25(PET)18]+2", 2), ("[Au25(PET)18]2+", 2), ("[Au25(PET)18]^-", -1)],
)
def test_charge_forms(text, charge):
    assert Ion.parse(text).charge == charge


@pytest.mark.parametrize(
    "text, position, message",
    [("[Ag29(BDT)12]^3", 14, "bad charge (write it like 3-, -, 2+ or +)"),
     ("[Ag29(BDT)12]^^3-", 14, "bad charge (write it like 3-, -, 2+ or +)"),
     ("[Ag29(BDT)12]3", 13, "bad charge (write it like 3-, -, 2+ or +)"),
     ("[Ag29(BDT)12]^0-", 14, "a charge of 0 must be written without a sign"),
     ("[Ag29()12]3-", 5, "empty group"),
     ("[Ag29(BDT)123456]3-", 10, "count too large"),
     ("[Ag29(BDT]3-", 9, "expected ')', found ']'"),
     ("[Ag29(BDT)12]]3-", 13, "unbalanced ']'"),
     ("[Ag29 (BDT)12]3-", 5, "unexpected space (write the species without spaces)"),
     ("[Ag29(BDT", 5, "unclosed '('"),
     ("[Ag29(BDT)12", 0, "unclosed '['"),
     ("Ag29(BDT)12]3-", 11, "unbalanced ']'"),
     ("Ag29)", 4, "unbalanced ')'"),
     ("[Ag29(XYZ)12]3-", 6, "unknown element or ligand starting 'XYZ)12'"),
     ("[Ag0(BDT)12]3-", 3, "a count of 0 is not allowed"),
     ("[Ag29(BDT)12]101-", 13, "|charge| 101 is over the limit of 100"),
     ("[Ag10001]-", 0, "10,001 atoms of Ag is over the limit of 10,000"),
     ("ag29", 0, "unexpected character 'a'"),
     ("[]3-", 0, "empty brackets"),
     ("[Ag29(BDT)12)3-", 12, "expected ']', found ')'"),
     ("[Ag29(BDT]12)3-", 9, "expected ')', found ']'"),
     ("", 0, "empty species"),
     ("+", 0, "no atoms in species"),
     ("  +", 2, "no atoms in species"),
     ("[Ag(DMBT)800(BDT)800]", 0, "11,200 atoms of C is over the limit of 10,000"),
     ("[Ag(Cl)10001]", 0, "10,001 atoms of Cl is over the limit of 10,000"),
     ("[Ag(BDT)(Na)10001]", 0, "10,001 atoms of Na is over the limit of 10,000"),
     ("C10001", 0, "10,001 atoms of C is over the limit of 10,000")],
)
def test_error_messages_and_positions(text, position, message):
    with pytest.raises(NotationError) as info:
        Ion.parse(text)
    assert (info.value.position, info.value.message) == (position, message)


def test_largest_charge_is_accepted():
    assert Ion.parse("[Ag29(BDT)12]100-").charge == -100


def test_adduct_at_the_very_end_of_unbracketed_text():
    ion = Ion.parse("Ag29(BDT)12Na")
    assert [(a.key, n) for a, n in ion.adducts] == [("Na", 1)]
    assert ion.charge == 0


def test_repeated_parts_add_up():
    assert Ion.parse("[Ag(DMBT)(Ag(DMBT)2)2]-") == Ion.parse("[Ag3(DMBT)5]-")
    assert Ion.parse("[Ag2S(AgS)2]").composition == Ion.parse("[Ag4S3]").composition


def test_what_counts_as_after_the_ligands():
    # After a ligand group, H is an adduct; after an adduct group or bare atoms it is an atom.
    after_ligands = Ion.parse("[(Ag(DMBT)2)2H]-")
    assert [(a.key, n) for a, n in after_ligands.adducts] == [("H", 1)]
    after_adduct = Ion.parse("[Ag29(Na)H]")
    assert [(a.key, n) for a, n in after_adduct.adducts] == [("Na", 1)]
    assert dict(after_adduct.extra.items()) == {"H": 1}


def test_alias_of_an_alias_and_bad_aliases():
    assert Ion.parse("[Au25(Q)18]-", aliases={"Q": "SC2H4Ph"}) == Ion.parse("[Au25(PET)18]-")
    with pytest.raises(ValueError, match=r"alias 'L1' must not be empty or contain \(\)\[\]\+-=\^, digits or spaces"):
        Ion.parse("[Ag29(L1)12]3-", aliases=["L1=BDT"])
    with pytest.raises(ValueError, match=r"alias '' must not be empty"):
        Ion.parse("[Ag29(BDT)12]3-", aliases={"": "BDT"})
    with pytest.raises(ValueError, match=r"alias Q=XYZ: unknown ligand 'XYZ'; known: BDT, Br, "):
        Ion.parse("[Ag29(Q)12]3-", aliases=["Q=XYZ"])
    with pytest.raises(ValueError, match=r"alias A=B=C: unknown ligand 'B=C'"):
        Ion.parse("[Ag29(A)12]3-", aliases=["A=B=C"])
    with pytest.raises(ValueError, match=r"alias must look like NAME=LIGAND \(e.g. L=BDT\), got 'LBDT'"):
        Ion.parse("[Ag29(L)12]3-", aliases=["LBDT"])


def test_bracket_groups_adducts_and_element_lookalikes():
    assert Ion.parse("[[Ag(DMBT)2]2]2-") == Ion.parse("[(Ag(DMBT)2)2]2-")
    assert Ion.parse("Xe2").formula == "Xe2"  # an element starting with X, unbracketed
    # H followed by a lowercase letter is another element (Hg), not the H adduct.
    hg = Ion.parse("[Ag29(BDT)12Hg]")
    assert dict(hg.metals.items()) == {"Ag": 29, "Hg": 1} and hg.adducts == ()
    assert Ion.parse("[Ag29(BDT)12HNaH]2-") == Ion.parse("[Ag29(BDT)12H2Na]2-")
    assert Ion.parse("[Ag29(LX)12]3-", aliases=["LX=BDT"]) == Ion.parse("[Ag29(BDT)12]3-")


def test_limits_are_inclusive_and_leading_blanks_are_skipped():
    assert Ion.parse("[Ag(Cl)10000]").composition["Cl"] == 10_000
    assert Ion.parse("[Ag(BDT)(Na)10000]").composition["Na"] == 10_000
    assert Ion.parse("C" * 10_000).formula == "C10000"  # 10,000 characters: the longest text
    with pytest.raises(NotationError) as info:
        Ion.parse("C" * 10_001)
    assert info.value.message == "species text is 10,001 characters, over the limit of 10,000"
    assert (info.value.text, info.value.position) == ("C" * 40 + "...", None)
    with pytest.raises(NotationError) as info:
        Ion.parse(29)  # type: ignore[arg-type]
    assert info.value.message == "species must be text, got int"
    assert Ion.parse("  [Ag29(BDT)12]3-") == Ion.parse("[Ag29(BDT)12]3-")


def test_bare_element_symbols_are_atoms_not_the_ligands_of_that_name():
    bare, named = Ion.parse("[Au11(PPh3)7Cl3]"), Ion.parse("[Au11(PPh3)7(Cl)3]")
    assert dict(bare.extra.items()) == {"Cl": 3} and dict(named.extra.items()) == {}
    assert bare != named and bare.composition == named.composition
