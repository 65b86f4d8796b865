"""Candidate families a cluster chemist expects: full alloy series of isostructural pairs,
phosphine losses; and that they are found in spectra rendered independently."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clusterms import Ion
from clusterms.assign.candidates import SpaceOptions, build_space
from clusterms.assign.pipeline import assign_spectrum

sys.path.insert(0, str(Path(__file__).resolve().parent))
from independent import render


def _names(space) -> set[str]:
    return {c.ion.notation for c in space}


def test_isostructural_pair_gives_the_full_alloy_series():
    au, ag = Ion.parse("[Au25(PET)18]-"), Ion.parse("[Ag25(PET)18]-")
    space = build_space([au, ag])
    alloys = {c.ion.notation for c in space if c.kind == "metal exchange" and not c.ion.adducts}
    for j in range(1, 25):
        assert Ion.parse(f"[Au{25 - j}Ag{j}(PET)18]-").notation in alloys, j
    # not isostructural: exchange stops at max_metal_exchange
    other = build_space([Ion.parse("[Ag29(BDT)12]3-"), au])
    swapped = [c for c in other if c.kind == "metal exchange"]
    assert max(c.ion.metals.get("Au", 0) for c in swapped if c.ion.metals.get("Ag", 0) >= 20) == 3
    deeper = build_space([Ion.parse("[Ag29(BDT)12]3-"), au], options=SpaceOptions(max_metal_exchange=6))
    assert max(c.ion.metals.get("Au", 0) for c in deeper
               if c.kind == "metal exchange" and c.ion.metals.get("Ag", 0) >= 20) == 6


def test_phosphine_clusters_lose_phosphines():
    space = build_space([Ion.parse("[Au11(PPh3)8Cl2]+")], options=SpaceOptions(exchange=False))
    names = _names(space)
    for k in range(1, 5):
        assert f"[Au11Cl2(PPh3){8 - k}]+" in names
    assert "[Au11Cl2(PPh3)3]+" not in names  # at most four
    # a thiolate is not lost this way (it takes an electron)
    assert not any(c.label.startswith("parent - ") for c in build_space([Ion.parse("[Ag25(DMBT)18]-")]))


def test_an_alloy_series_and_phosphine_losses_are_assigned():
    truth = {"[Au25(PET)18]-": 60.0, "[Ag25(PET)18]-": 50.0, "[Au12Ag13(PET)18]-": 40.0, "[Au6Ag19(PET)18]-": 25.0}
    result = assign_spectrum(render(truth, mz_range=(5000.0, 7600.0), seed=3),
                             build_space([Ion.parse("[Au25(PET)18]-"), Ion.parse("[Ag25(PET)18]-")]))
    got = {a.species: a.abundance for a in result.assignments}
    for k, v in truth.items():
        assert got.get(Ion.parse(k).notation) == pytest.approx(100 * v / 60, rel=0.1), got
    truth = {"[Au11Cl2(PPh3)8]+": 100.0, "[Au11Cl2(PPh3)7]+": 40.0, "[Au11Cl2(PPh3)6]+": 15.0}
    result = assign_spectrum(render(truth, mz_range=(2500.0, 4500.0), polarity="positive", seed=2),
                             build_space([Ion.parse("[Au11(PPh3)8Cl2]+")]))
    got = {a.species: a.abundance for a in result.assignments}
    for k, v in truth.items():
        assert got.get(Ion.parse(k).notation) == pytest.approx(v, rel=0.1), got
    assert result.assignments[1].label == "parent - PPh3"
