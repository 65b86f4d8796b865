"""Ion masses, m/z kinds, envelopes and construction from parts, against independent oracles
(molmass for masses, CODATA for the electron and proton, IsoSpecPy through the isotopes tests)."""

import pickle

import numpy as np
import pytest
from molmass import Formula
from scipy.constants import physical_constants

from clusterms import Ion
from clusterms.chem import elements
from clusterms.chem.composition import Composition
from clusterms.chem.ligands import default_library
from clusterms.errors import OptionError

ELECTRON = physical_constants["electron mass in u"][0]


@pytest.mark.parametrize("text, formula, z", [("[Ag29(BDT)12]3-", "C72H48Ag29S24", -3),
                                              ("[Au25(PET)18]-", "C144H162Au25S18", -1),
                                              ("[Ag25H22(DPPE)8]3+", "C208H214Ag25P16", 3),
                                              ("[Au11(PPh3)7Cl3]", "C126H105Au11Cl3P7", 0)])
def test_mz_kinds_against_molmass(text, formula, z):
    ion = Ion.parse(text)
    f = Formula(formula)
    def to_mz(mass):
        return mass if z == 0 else (mass - z * ELECTRON) / abs(z)
    assert ion.mz() == ion.monoisotopic_mz == pytest.approx(to_mz(f.monoisotopic_mass), rel=1e-6)
    assert ion.mz("monoisotopic") == ion.monoisotopic_mz
    assert ion.mz("average") == ion.average_mz == pytest.approx(to_mz(f.mass), rel=2e-5)
    assert ion.mz("most_abundant") == ion.most_abundant_mz
    env = ion.envelope()
    assert ion.most_abundant_mz == env.mz[int(np.argmax(env.probability))]
    # The envelope's mean is the average m/z (the isotope abundances are the natural ones).
    mean = float(np.sum(env.mz * env.probability) / np.sum(env.probability))
    assert mean == pytest.approx(ion.average_mz, abs=2e-3)


def test_electron_sign_for_anions_and_cations():
    neutral = Ion.parse("[Ag29(BDT)12]")
    anion, cation = Ion.parse("[Ag29(BDT)12]3-"), Ion.parse("[Ag29(BDT)12]3+")
    m = neutral.monoisotopic_mz
    assert anion.monoisotopic_mz * 3 - m == pytest.approx(3 * ELECTRON, abs=1e-9)
    assert m - cation.monoisotopic_mz * 3 == pytest.approx(3 * ELECTRON, abs=1e-9)


def test_unknown_mz_kind_names_the_choices():
    with pytest.raises(OptionError, match=r"kind must be one of monoisotopic, average, most_abundant, got 'mono'"):
        Ion.parse("[Ag29(BDT)12]3-").mz("mono")  # type: ignore[arg-type]


def test_fine_envelope_and_profile_options_reach_the_engine():
    ion = Ion.parse("[Ag29(BDT)12]3-")
    coarse, fine = ion.envelope(), ion.envelope(fine=True, coverage=0.99)
    assert fine.probability.sum() == pytest.approx(0.99, abs=2e-3)
    assert fine.mz.size > coarse.mz.size
    assert fine.mz.min() == pytest.approx(coarse.mz.min(), abs=0.01)  # the same charge (m/z ~1600)
    assert ion.envelope(coverage=0.9).mz.size < coarse.mz.size
    # Enriched 109Ag moves both kinds of envelope up by (0.99 - 0.4816) x 2 Da per silver atom.
    heavy = {"Ag": {107: 0.01, 109: 0.99}}
    def mean(env):
        return float(np.sum(env.mz * env.probability) / np.sum(env.probability))

    for kw in ({}, {"fine": True, "coverage": 0.99}):
        shift = mean(ion.envelope(abundances=heavy, **kw)) - mean(ion.envelope(**kw))
        assert shift == pytest.approx(29 * (0.99 - 0.4816) * 1.998 / 3, rel=0.01)  # natural 109Ag: 48.16 %
    prof = ion.profile(resolution=20_000, points_per_fwhm=4.0)
    fwhm = ion.average_mz / 20_000
    assert np.median(np.diff(prof.mz)) == pytest.approx(fwhm / 4.0, rel=0.05)
    assert np.median(np.diff(ion.profile(resolution=20_000).mz)) == pytest.approx(fwhm / 10.0, rel=0.05)
    lorentz = ion.profile(resolution=20_000, points_per_fwhm=4.0, shape="lorentzian")
    assert not np.allclose(lorentz.intensity / lorentz.intensity.max(), prof.intensity / prof.intensity.max())
    assert ion.profile(resolution=20_000, abundances=heavy).mz.mean() > prof.mz.mean() + 8
    # At a resolving power that separates the fine structure, fine and aggregated profiles differ.
    small = Ion.parse("[Ag(DMBT)2]-")
    assert np.array_equal(small.profile(resolution=3e6).intensity, small.profile(resolution=3e6, fine=False).intensity)
    assert small.profile(resolution=3e6, fine=True).intensity.size != small.profile(resolution=3e6).intensity.size


def test_proton_mass_is_codata():
    assert elements.proton_mass() == physical_constants["proton mass in u"][0]


def test_from_parts_equals_the_parsed_ion_and_checks_counts():
    lib = default_library()
    bdt = lib.ligand("BDT")
    ion = Ion.from_parts(metals={"Ag": 29}, ligands={bdt: 12}, charge=-3)
    assert ion == Ion.parse("[Ag29(BDT)12]3-")
    assert Ion.from_parts(metals=Composition({"Ag": 29}), ligands={bdt: 12}, extra=Composition({"H": 1}),
                          charge=-3) == Ion.parse("[Ag29H(BDT)12]3-")
    # Zero counts are dropped, so equal ions compare equal; the charge defaults to 0.
    assert Ion.from_parts(metals={"Ag": 29}, ligands={bdt: 12, lib.ligand("DMBT"): 0},
                          adducts={lib.adducts["Na"]: 0}, charge=-3) == ion
    assert Ion.from_parts(metals={"Ag": 29}, ligands={bdt: 12}) == Ion.parse("[Ag29(BDT)12]")
    for bad in ({"metals": {"Ag": -1}}, {"extra": {"H": -1}}, {"ligands": {bdt: -1}},
                {"adducts": {lib.adducts["H"]: -1}}):
        with pytest.raises(OptionError, match=r"an ion cannot have a negative count of anything"):
            Ion.from_parts(**bad)
    for charge in (True, 1.0, "1"):
        with pytest.raises(OptionError, match=r"charge must be an integer, got"):
            Ion.from_parts(metals={"Ag": 1}, charge=charge)


def test_composition_negation_and_pickling():
    c = Composition({"Ag": 2, "S": 1})
    assert (-c)["Ag"] == -2 and (-c)["S"] == -1
    assert not (-c).is_physical and c.is_physical
    assert pickle.loads(pickle.dumps(c)) == c
    assert pickle.loads(pickle.dumps(Ion.parse("[Ag29(BDT)12]3-"))) == Ion.parse("[Ag29(BDT)12]3-")
