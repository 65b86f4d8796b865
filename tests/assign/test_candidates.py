"""The candidate space of a reaction (clusterms.assign.candidates and space_options)."""

from __future__ import annotations

import argparse
from functools import cache

import pytest

from clusterms import Ion
from clusterms.assign import (
    KINDS,
    Candidate,
    SpaceOptions,
    add_space_arguments,
    build_space,
    candidates_from_args,
    candidates_table,
    options_from_args,
    parse_charges,
)
from clusterms.chem.ligands import default_library
from clusterms.errors import NotationError, OptionError

PAPER = ["L=BDT", "L'=DMBT"]


def ion(text: str) -> Ion:
    return Ion.parse(text, aliases=PAPER)


@cache
def space(*reactants: str, **kw: object) -> tuple[Candidate, ...]:
    opts = SpaceOptions(**kw)  # type: ignore[arg-type]
    return tuple(build_space([Ion.parse(r) for r in reactants], options=opts))


def by_ion(cands) -> dict[Ion, Candidate]:
    return {c.ion: c for c in cands}


# The paper's species -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reactants", "species", "label", "electrons"),
    [
        # Ag@I + Ag@II: the dimer and its losses (Fig. 1)
        (("Ag@I", "Ag@II"), "[Ag54L12L'18]4-", "dimer", 16),
        (("Ag@I", "Ag@II"), "[Ag53L12L'16]3-", "dimer - Ag(DMBT)2", 16),
        (("Ag@I", "Ag@II"), "[Ag52L12L'15]3-", "dimer - Ag2(DMBT)3", 16),
        (("Ag@I", "Ag@II"), "[Ag54L12L'17]3-", "dimer - DMBT", 16),
        (("Ag@I", "Ag@II"), "[Ag54L12L'18H]3-", "dimer +H", 16),
        (("Ag@I", "Ag@II"), "[Ag54L12L'16]3-", "dimer - 2 DMBT", 17),
        (("Ag@I", "Ag@II"), "[Ag54L12L'18H2]2-", "dimer +2H", 16),
        (("Ag@I", "Ag@II"), "[Ag29L12]3-", "parent", 8),
        (("Ag@I", "Ag@II"), "[Ag25L'18]-", "parent", 8),
        (("Ag@I", "Ag@II"), "[Ag29L12H]2-", "parent +H", 8),
        (("Ag@I", "Ag@II"), "[Ag29L12]4-", "parent charge 4-", 9),
        (("Ag@I", "Ag@II"), "[Ag25L'18H]-", "parent charge 2- +H", 9),
        (("Ag@I", "Ag@II"), "[Ag29L12Na]2-", "parent +Na", 8),
        (("Ag@I", "Ag@II"), "[Ag29L12HPPh4]-", "parent +H +PPh4", 8),
        (("Ag@I", "Ag@II"), "[Ag58L24]6-", "homodimer", 16),
        (("Ag@I", "Ag@II"), "[Ag50L'36]2-", "homodimer", 16),
        (("Ag@I", "Ag@II"), "[Ag29L11L'2]3-", "ligand exchange (BDT->2 DMBT)", 8),
        (("Ag@I", "Ag@II"), "[Ag25LL'16]-", "ligand exchange (2 DMBT->BDT)", 8),
        (("Ag@I", "Ag@II"), "[Ag25L4L'10]-", "ligand exchange (8 DMBT->4 BDT)", 8),
        (("Ag@I", "Ag@II"), "[AgL'2]-", "fragment", 0),
        (("Ag@I", "Ag@II"), "[Ag2L'3]-", "fragment", 0),
        (("Ag@I", "Ag@II"), "[Ag6L'7]-", "fragment", 0),
        (("Ag@I", "Ag@II"), "[Ag5L3]-", "fragment", 0),
        (("Ag@I", "Ag@II"), "[Ag2L2]2-", "fragment", 0),
        # Ag@I + Au@II: Au@III and friends, and metal exchange
        (("Ag@I", "Au@II"), "[AuAg52L12L'16]3-", "dimer - Ag(DMBT)2", 16),
        (("Ag@I", "Au@II"), "[AuAg51L12L'15]3-", "dimer - Ag2(DMBT)3", 16),
        (("Ag@I", "Au@II"), "[AuAg53L12L'17]3-", "dimer - DMBT", 16),
        (("Ag@I", "Au@II"), "[AuAg28L12]3-", "metal exchange (Ag->Au x1)", 8),
        (("Ag@I", "Au@II"), "[Ag25L'18]-", "metal exchange (Au->Ag x1)", 8),
        (("Ag@I", "Au@II"), "[Au(DMBT)2]-", "fragment", 0),
        # Ag@I + Pd@II / Pt@II: M@III (15 e) and M@IV (16 e)
        (("Ag@I", "Pd@II"), "Pd@III", "dimer - Ag(DMBT)2", 15),
        (("Ag@I", "Pd@II"), "Pd@IV", "dimer - 2 DMBT", 16),
        (("Ag@I", "Pd@II"), "[PdAg53L12L'18]5-", "dimer", 16),
        (("Ag@I", "Pd@II"), "[PdAg28L12]4-", "metal exchange (Ag->Pd x1)", 8),
        (("Ag@I", "Pd@II"), "[Ag25L'18]-", "metal exchange (Pd->Ag x1)", 8),
        (("Ag@I", "Pt@II"), "Pt@III", "dimer - Ag(DMBT)2", 15),
        (("Ag@I", "Pt@II"), "Pt@IV", "dimer - 2 DMBT", 16),
        (("Ag@I", "Pt@II"), "[PtAg52L12L'15]3-", "dimer - Ag(DMBT)3", 16),
    ],
)
def test_paper_species_in_default_space(reactants, species, label, electrons):
    found = by_ion(space(*reactants)).get(ion(species))
    assert found is not None, f"{species} missing from the space of {reactants}"
    assert found.label == label
    assert found.electrons == electrons


@pytest.mark.parametrize(
    ("reactants", "species"),
    [
        (("Ag@I", "Ag@II"), "[Ag54L12L'18H3]-"),   # 4- core + 3 H+: over max_protons
        (("Ag@I", "Ag@II"), "[Ag54L12L'18H2]3-"),  # 5- core: over |zA| + |zB|
        (("Ag@I", "Ag@II"), "[Ag54L12L'18]5-"),
        (("Ag@I", "Ag@II"), "[Ag29L12NaK]-"),      # two counter-ions
        (("Ag@I", "Ag@II"), "[Ag29L12]5-"),        # |z| + 2
        (("Ag@I", "Ag@II"), "[Ag25L'18]3-"),
        (("Ag@I", "Ag@II"), "[Ag7L4]-"),           # over fragment_max_n
        (("Ag@I", "Ag@II"), "[AgL'3]2-"),          # no 2- series for monothiolates
        (("Ag@I", "Ag@II"), "[Ag50L12L'11]3-"),    # Ag4L'7 is not a loss unit
        (("Ag@I", "Ag@II"), "[Ag54L12L'15]3-"),    # 3 L' is not a loss unit
        (("Ag@I", "Au@II"), "[Au2(DMBT)3]-"),      # only one Au atom in the reactants
        (("Ag@I", "Ag@II"), "[Ag29L12]+"),         # wrong polarity
    ],
)
def test_species_not_in_default_space(reactants, species):
    assert ion(species) not in by_ion(space(*reactants))


@pytest.mark.parametrize(
    "reactants",
    [("Ag@I", "Ag@II"), ("Ag@I", "Au@II"), ("Ag@I", "Pd@II"), ("Ag@I", "Pt@II"), ("Ag@I",), ("Pt@II",),
     ("Ag@I", "Ag@II", "Au@II")],
)
def test_space_invariants(reactants):
    cands = space(*reactants)
    ions = [c.ion for c in cands]
    assert len(set(ions)) == len(ions)  # deduped
    mzs = [c.mz for c in cands]
    assert mzs == sorted(mzs)
    assert {c.kind for c in cands} <= set(KINDS)
    assert all(c.ion.charge < 0 for c in cands)  # anionic reactants: anions only
    assert all(isinstance(c.origin, str) and c.origin for c in cands)


@pytest.mark.parametrize("index", [0, 7, -1])
def test_batch_mz_matches_the_ion(index):
    c = space("Ag@I", "Pt@II")[index]
    fresh = Ion.parse(c.ion.notation)
    assert c.mz == pytest.approx(fresh.most_abundant_mz, abs=1e-9)


def test_single_reactant_gives_states_fragments_and_homodimer():
    kinds = {c.kind for c in space("Ag@I")}
    assert kinds == {"parent", "homodimer", "fragment"}


def test_three_reactants_pairwise():
    cands = by_ion(space("Ag@I", "Ag@II", "Au@II"))
    assert cands[ion("[AuAg52L12L'16]3-")].label == "dimer - Ag(DMBT)2"
    assert cands[ion("[AuAg49L'36]2-")].kind == "dimer"  # Ag@II + Au@II


def test_cationic_reactant():
    cands = by_ion(space("[Au25(PET)18]+"))
    assert all(c.ion.charge > 0 for c in cands.values())
    assert cands[Ion.parse("[Au25(PET)18Cs]+")].label == "parent neutral +Cs"
    assert cands[Ion.parse("[Au2(PET)]+")].kind == "fragment"
    assert Ion.parse("[Au(PET)2]-") not in cands


# Dedupe priority -------------------------------------------------------------------------------
def test_dedupe_keeps_the_higher_priority_kind():
    # [Ag25(DMBT)18]- is both a parent and (from Au@II) a metal exchange product
    three = by_ion(space("Ag@I", "Ag@II", "Au@II"))
    assert three[ion("[Ag25L'18]-")].kind == "parent"
    # an explicit species wins over the dimer loss it duplicates
    cands = by_ion(space("Ag@I", "Ag@II", species=("[Ag53(BDT)12(DMBT)16]3-",)))
    assert cands[ion("[Ag53L12L'16]3-")].kind == "explicit"
    assert cands[ion("[Ag53L12L'16]3-")].origin == "user"


def test_explicit_species_added():
    cands = by_ion(space("Ag@I", "Ag@II", species=("[Ag44(DMBT)30]4-", "Pd@III")))
    assert cands[Ion.parse("[Ag44(DMBT)30]4-")].label == "explicit"
    assert cands[Ion.parse("Pd@III")].kind == "explicit"


def test_explicit_species_bad_notation():
    with pytest.raises(NotationError):
        build_space([Ion.parse("Ag@I")], options=SpaceOptions(species=("[Ag29(BDT)12",)))


# Options narrow and widen the space ------------------------------------------------------------
def test_no_exchange():
    kinds = {c.kind for c in space("Ag@I", "Au@II", exchange=False)}
    assert not kinds & {"metal exchange", "ligand exchange"}
    assert {"metal exchange", "ligand exchange"} <= {c.kind for c in space("Ag@I", "Au@II")}


def test_no_adducts():
    cands = space("Ag@I", "Ag@II", adducts=(), max_protons=0)
    assert all(not c.ion.adducts for c in cands)
    assert len(cands) < len(space("Ag@I", "Ag@II"))


def test_protons_only():
    keys = {a.key for c in space("Ag@I", "Ag@II", adducts=()) for a, _ in c.ion.adducts}
    assert keys == {"H"}


def test_more_protons_widen():
    assert ion("[Ag54L12L'18H3]-") in by_ion(space("Ag@I", "Ag@II", max_protons=3))


@pytest.mark.parametrize(("charges", "expected"), [((3,), {-3}), ((1, 2), {-1, -2}), ((-4, 2), {-4, -2})])
def test_charges_override(charges, expected):
    cands = space("Ag@I", "Ag@II", charges=charges)
    assert {c.ion.charge for c in cands} == expected


def test_charges_override_keeps_core_rules():
    cands = by_ion(space("Ag@I", "Ag@II", charges=(3,)))
    assert cands[ion("[Ag54L12L'18H]3-")].label == "dimer +H"
    assert cands[ion("[Ag25L'18]3-")].label == "parent charge 3-"
    assert ion("[Ag54L12L'18H2]3-") not in cands  # a 5- core


def test_charges_override_widens():
    cands = by_ion(space("Ag@I", "Ag@II", charges=(6,)))
    assert cands[ion("[Ag54L12L'18]6-")].kind == "dimer"


@pytest.mark.parametrize(("max_loss", "n_units"), [(0, 0), (1, 4 + 3 + 1), (4, 4 + 12 + 6)])
def test_max_loss(max_loss, n_units):
    # per heterodimer composition: L', 2L', L, 2L, then Ag_k L'_m (3 per k) and Ag_k L_m
    cands = space("Ag@I", "Ag@II", max_loss=max_loss, adducts=(), max_protons=0, charges=(3,))
    losses = [c for c in cands if c.kind == "dimer loss"]
    assert len(losses) == n_units


def test_max_loss_drops_large_units():
    labels = {c.label for c in space("Ag@I", "Ag@II", max_loss=3)}
    assert "dimer - Ag3(DMBT)5" in labels
    assert not any(label.startswith("dimer - Ag4") for label in labels)


def test_fragments_options():
    assert not any(c.kind == "fragment" for c in space("Ag@I", "Ag@II", fragments=False))
    small = {c.ion for c in space("Ag@I", "Ag@II", fragment_max_n=2) if c.kind == "fragment"}
    assert small == {ion(t) for t in ("[AgL'2]-", "[Ag2L'3]-", "[AgL]-", "[Ag2L2]2-")}


def test_mz_range_uses_envelope_width():
    lo, hi = 3198.5, 3300.0
    cands = by_ion(space("Ag@I", "Ag@II", mz_range=(lo, hi)))
    assert cands  # not empty
    for c in cands.values():
        env = c.ion.envelope()
        assert env.mz[-1] >= lo and env.mz[0] <= hi
    # most-abundant peak below lo, envelope reaching in: kept
    m3 = cands[ion("[Ag53L12L'16]3-")]
    assert m3.mz < lo
    full = space("Ag@I", "Ag@II")
    outside = [c for c in full if c.ion.envelope().mz[-1] < lo or c.ion.envelope().mz[0] > hi]
    assert len(cands) + len(outside) == len(full)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"charges": ()}, "charges"),
        ({"charges": (0,)}, "charges"),
        ({"charges": (1.5,)}, "charges"),
        ({"max_loss": -1}, "max_loss"),
        ({"max_protons": 2.0}, "max_protons"),
        ({"adducts": "Na"}, "adducts"),
        ({"adducts": ("H",)}, "max_protons"),
        ({"exchange": 1}, "exchange"),
        ({"mz_range": (5.0, 1.0)}, "mz_range"),
        ({"mz_range": (0.0, float("inf"))}, "mz_range"),
        ({"mz_range": ("a", 1)}, "mz_range"),
    ],
)
def test_bad_options(kw, match):
    with pytest.raises(OptionError, match=match):
        SpaceOptions(**kw)


def test_bad_inputs():
    with pytest.raises(OptionError, match="at least one reactant"):
        build_space([])
    with pytest.raises(OptionError, match="Ion"):
        build_space(["Ag@I"])  # type: ignore[list-item]
    with pytest.raises(OptionError, match="unknown adduct 'Rb'"):
        build_space([Ion.parse("Ag@I")], options=SpaceOptions(adducts=("Rb",)))
    with pytest.raises(OptionError, match="kind"):
        Candidate(Ion.parse("Ag@I"), "x", "reactant")


def test_candidates_table():
    rows = candidates_table(space("Ag@I", "Ag@II")[:3])
    assert [set(r) for r in rows] == [{"species", "formula", "charge", "mz", "electrons", "label"}] * 3
    first = rows[0]
    assert first["species"] == "[Ag2(BDT)2]2-"
    assert first["formula"] == "C12H8Ag2S4"
    assert first["charge"] == -2
    assert first["mz"] == round(first["mz"], 4)  # type: ignore[call-overload]


def test_default_space_is_the_same_on_every_build():
    # The first build warms caches (envelope and m/z batches); later builds must give the same
    # space, in the same order. (Timing lives in bench/, not in a test.)
    reactants = [Ion.parse("Ag@I"), Ion.parse("Ag@II")]
    first = [(c.ion, c.label, c.kind, c.origin, c.mz) for c in build_space(reactants)]
    assert len(first) > 100
    for _ in range(2):
        assert [(c.ion, c.label, c.kind, c.origin, c.mz) for c in build_space(reactants)] == first


# Command-line options --------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clusterms candidates")
    add_space_arguments(p)
    return p


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1-4", (1, 2, 3, 4)), ("2,3,4", (2, 3, 4)), ("1-2, 4", (1, 2, 4)), ("3-", (-3,)), ("2+", (2,)),
     ("-3", (-3,)), ("3,3", (3,))],
)
def test_parse_charges(text, expected):
    assert parse_charges(text) == expected


@pytest.mark.parametrize(
    ("argv", "fields"),
    [
        ([], {}),
        (["--charges", "1-4"], {"charges": (1, 2, 3, 4)}),
        (["--max-loss", "2"], {"max_loss": 2}),
        (["--adducts", "none"], {"adducts": (), "max_protons": 0}),
        (["--adducts", "H"], {"adducts": (), "max_protons": 2}),
        (["--adducts", "h,na,pph4"], {"adducts": ("Na", "PPh4"), "max_protons": 2}),
        (["--adducts", "Cs"], {"adducts": ("Cs",), "max_protons": 0}),
        (["--no-exchange"], {"exchange": False}),
        (["--species", "Pd@III", "--species", "[Ag(DMBT)2]-"], {"species": ("Pd@III", "[Ag(DMBT)2]-")}),
        (["--mz-range", "3000", "3500"], {"mz_range": (3000.0, 3500.0)}),
    ],
)
def test_options_from_args(argv, fields):
    opts = options_from_args(parser().parse_args(argv))
    default = SpaceOptions()
    for name in ("charges", "max_loss", "max_protons", "adducts", "exchange", "species", "mz_range"):
        assert getattr(opts, name) == fields.get(name, getattr(default, name)), name


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--charges", "x"], "--charges"),
        (["--charges", "0"], "--charges"),
        (["--charges", "4-1"], "--charges"),
        (["--charges", "1-200"], "--charges"),
        (["--max-loss", "-1"], "--max-loss"),
        (["--max-loss", "two"], "--max-loss"),
        (["--adducts", "Na,,K"], "--adducts"),
        (["--adducts", "none,Na"], "--adducts"),
        (["--mz-range", "5", "1"], "--mz-range"),
        (["--mz-range", "a", "1"], "--mz-range"),
    ],
)
def test_bad_option_values(argv, option):
    with pytest.raises(OptionError) as info:
        options_from_args(parser().parse_args(argv))
    assert str(info.value).startswith(option + ":")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("argv", "option", "error"),
    [
        (["--adducts", "Zz"], "--adducts", OptionError),
        (["--reactant", "[Ag29(BDT)12"], "--reactant", NotationError),
        (["--species", "[Ag(XX)2]-"], "--species", NotationError),
        (["--search", "Ag(Q)"], "--search", NotationError),
        (["--search", "Ag0-1000 (DMBT)0-1000"], "--search", OptionError),
    ],
)
def test_bad_values_in_candidates_from_args(argv, option, error):
    args = parser().parse_args(["--reactant", "Ag@I", *argv])
    with pytest.raises(error) as info:
        candidates_from_args(args, default_library())
    assert str(info.value).startswith(option + ":")


def test_candidates_from_args_default_equals_build_space():
    args = parser().parse_args(["--reactant", "Ag@I", "--reactant", "Ag@II"])
    got = candidates_from_args(args, default_library())
    assert [(c.ion, c.label) for c in got] == [(c.ion, c.label) for c in space("Ag@I", "Ag@II")]


def test_candidates_from_args_with_search():
    args = parser().parse_args([
        "--reactant", "Ag@I", "--reactant", "Ag@II", "--charges", "3", "--mz-range", "3000", "3500",
        "--search", "Ag53-54 (BDT)12 (DMBT)16-18",
    ])
    got = by_ion(candidates_from_args(args, default_library()))
    assert got[ion("[Ag53L12L'18]3-")].kind == "search"   # new from the search
    assert got[ion("[Ag53L12L'16]3-")].kind == "dimer loss"  # the rule's label wins
    assert all(c.ion.charge == -3 for c in got.values())
    mzs = [c.mz for c in got.values()]
    assert mzs == sorted(mzs)


def test_candidates_from_args_species_only():
    args = parser().parse_args(["--species", "Ag@I"])
    got = candidates_from_args(args, default_library())
    assert [(c.ion, c.kind) for c in got] == [(Ion.parse("Ag@I"), "explicit")]


def test_aliases_from_the_library():
    lib = default_library().with_aliases(PAPER)
    args = parser().parse_args(["--reactant", "[Ag29L12]3-", "--reactant", "[Ag25L'18]-", "--species", "[Ag44L'30]4-"])
    got = by_ion(candidates_from_args(args, lib))
    assert got[ion("[Ag53L12L'16]3-")].label == "dimer - Ag(DMBT)2"
    assert got[ion("[Ag44L'30]4-")].kind == "explicit"
