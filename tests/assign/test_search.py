"""Formula-range search (clusterms.assign.search)."""

from __future__ import annotations

import math

import pytest

from clusterms import Ion, envelopes
from clusterms.assign import finalise_space, parse_pattern, search_space
from clusterms.assign.candidates import ENVELOPE_COVERAGE
from clusterms.chem.ligands import default_library
from clusterms.errors import NotationError, OptionError


@pytest.mark.parametrize(
    ("pattern", "charges", "sizes"),
    [
        ("Ag25-27 (DMBT)17-18 (BDT)0-1", [1, 2, 3], (3, 2, 2)),
        ("Ag29 (BDT)12", [3], (1, 1)),
        ("Ag20-60 Au0-1 (BDT)0-12 (DMBT)0-20", [2], (41, 2, 13, 21)),
        ("Ag25-26(DMBT)18Au0-1", [1, 2], (2, 1, 2)),  # spaces are optional between items
        ("Ag25 C144 H162 S18", [1], (1, 1, 1, 1)),
    ],
)
def test_count_is_product_of_ranges_times_charges(pattern, charges, sizes):
    got = search_space(pattern, charges=charges)
    assert len(got) == math.prod(sizes) * len(charges)
    assert len({c.ion for c in got}) == len(got)
    assert {c.kind for c in got} == {"search"}
    assert {c.label for c in got} == {"search"}
    assert {c.ion.charge for c in got} == {-z for z in charges}


def test_all_zero_composition_skipped():
    got = search_space("Ag0-1 (DMBT)0-1", charges=[1])
    assert sorted(c.ion.notation for c in got) == ["[(DMBT)]-", "[Ag(DMBT)]-", "[Ag]-"]


def test_parts_of_the_ions():
    (c,) = search_space("Ag25 C144 H162 S18", charges=[1])
    assert c.ion == Ion.parse("Ag25C144H162S18-")
    (d,) = search_space("Au (PET)18 Ag24", charges=[1], polarity=1)
    assert d.ion == Ion.parse("[AuAg24(PET)18]+")
    assert d.origin == "Au (PET)18 Ag24"
    # items in any order give the canonical ion (equal and hashing equal to a parsed one)
    (e,) = search_space("(DMBT)16 S2 Pd (BDT)12 Ag52", charges=[3])
    ref = Ion.parse("[PdAg52S2(BDT)12(DMBT)16]3-")
    assert e.ion == ref and hash(e.ion) == hash(ref)
    assert e.ion.notation == ref.notation


def test_aliases():
    lib = default_library().with_aliases(["L=BDT", "L'=DMBT"])
    (c,) = search_space("Ag53 (L)12 (L')16", charges=[3], library=lib)
    assert c.ion == Ion.parse("Ag@III")


def test_sorted_by_estimated_mz_and_mz_is_exact():
    got = search_space("Ag50-54 (BDT)12 (DMBT)15-18", charges=[2, 3])
    est = [c.ion.average_mz for c in got]
    assert est == sorted(est)
    assert got[0].mz == pytest.approx(got[0].ion.envelope().most_abundant_mz)


def test_mz_range_estimate_never_drops_an_overlapping_envelope():
    pattern, charges, lo, hi = "Ag45-58 (BDT)10-12 (DMBT)12-18", [2, 3, 4], 3150.0, 3260.0
    every = search_space(pattern, charges=charges)
    envs = envelopes([c.ion for c in every])  # 99.99 %: wider than the assignment's envelopes
    exact = {c.ion for c, e in zip(every, envs, strict=True) if e.mz[-1] >= lo and e.mz[0] <= hi}
    kept = {c.ion for c in search_space(pattern, charges=charges, mz_range=(lo, hi))}
    assert exact <= kept
    assert len(kept) < len(every) / 3  # and it does narrow
    # finalise_space keeps what reaches the range with the envelopes the assignment uses
    used = envelopes([c.ion for c in every], coverage=ENVELOPE_COVERAGE)
    reach = {c.ion for c, e in zip(every, used, strict=True) if e.mz[-1] >= lo and e.mz[0] <= hi}
    assert reach <= exact
    assert {c.ion for c in finalise_space(search_space(pattern, charges=charges, mz_range=(lo, hi)),
                                          mz_range=(lo, hi))} == reach


def test_polarity_and_charges():
    assert {c.ion.charge for c in search_space("Ag25 (PET)18", charges=[1, 2], polarity=1)} == {1, 2}
    assert {c.ion.charge for c in search_space("Ag25 (PET)18", charges=[-1, 1])} == {-1}
    with pytest.raises(OptionError, match="polarity"):
        search_space("Ag25", charges=[1], polarity=0)
    with pytest.raises(OptionError, match="polarity"):
        search_space("Ag25", charges=[-1], polarity=1)
    with pytest.raises(OptionError, match="charges"):
        search_space("Ag25", charges=[0])
    with pytest.raises(OptionError, match="charges"):
        search_space("Ag25", charges=[])


def test_refuses_huge_enumeration():
    with pytest.raises(OptionError, match=r"2,004,002 species .*narrow"):
        search_space("Ag0-1000 (DMBT)0-1000", charges=[1, 2])
    with pytest.raises(OptionError, match="over the limit of 10"):
        search_space("Ag1-4 (DMBT)1-3", charges=[1], limit=10)
    assert len(search_space("Ag1-4 (DMBT)1-3", charges=[1], limit=12)) == 12


@pytest.mark.parametrize(
    ("pattern", "position", "match"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("Ag20-", 5, "upper count"),
        ("Ag-3", 2, "lower count"),
        ("Ag5-2", 2, "backwards"),
        ("Ag(BDT", 2, "unclosed"),
        ("Ag ()", 3, "empty ligand"),
        ("Ag (XYZ)3", 4, "unknown ligand 'XYZ'"),
        ("Ag Ag", 3, "twice"),
        ("(DMBT)2 (DMBT)", 8, "twice"),
        ("ag3", 0, "unexpected character"),
        ("Ag3x", 3, "unexpected character"),
        ("Qq3", 0, "unknown element"),
        ("Ag3 , Au", 4, "unexpected character"),
        ("Ag99999", 2, "over the limit"),
    ],
)
def test_malformed_patterns(pattern, position, match):
    with pytest.raises(NotationError, match=match) as info:
        parse_pattern(pattern)
    assert info.value.position == position
    with pytest.raises(NotationError):
        search_space(pattern, charges=[1])
