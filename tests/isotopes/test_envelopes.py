"""Envelopes against IsoSpecPy, for the fast engine and the plain reference alike."""

import numpy as np
import pytest
from IsoSpecPy import IsoTotalProb
from scipy.constants import physical_constants

import clusterms
from clusterms import Ion
from clusterms.isotopes.engine import (
    clear_envelope_cache,
    composition_envelope,
    composition_envelopes,
    fine_envelope,
)

ME = physical_constants["electron mass in u"][0]

PAPER = (
    ["[Ag29(BDT)12]3-", "[Ag25(DMBT)18]-"]
    + [f"{m}@{k}" for m in ("Ag", "Au", "Pd", "Pt") for k in ("I", "II", "III", "IV")]
    + [f"[Ag{n}(DMBT){n + 1}]-" for n in range(1, 7)]
    + ["[Ag54(BDT)12(DMBT)18H]3-", "[Ag58(BDT)24]6-", "[Ag24(BDT)9]2-", "[Ag5(BDT)3]-"]
)
HEAVY = ["[Au144(PET)60]", "[Au144(PET)60]2-", "[Au25(PET)18]-", "[Cd4Se3Te2]2-", "[Hg6Se3]-",
         "[Pt5Pd4Cu6]3+", "[Pt3Pd3Cu4Cd2]+"]
METHODS = ["fft", "reference"]


def _compare(ion, env, oracle):
    shift, mz, prob = oracle(dict(ion.composition.items()), ion.charge)
    base = prob.max()
    lightest = sum(n * ion_el_light(s) for s, n in ion.composition.items())
    mass0 = lightest if ion.charge == 0 else (lightest - ion.charge * ME) / abs(ion.charge)
    z = max(abs(ion.charge), 1)
    ours_shift = np.rint((env.mz - mass0) * z).astype(int)
    table = dict(zip(shift.tolist(), zip(mz.tolist(), (prob / base).tolist(), strict=True), strict=True))
    # Every oracle peak above 0.01 % of the base must be in our envelope, and vice versa.
    # Highest-first selection to 99.99 %: every peak holding over 0.01 % must be kept.
    big = set(shift[prob > 1e-4].tolist())
    assert big <= set(ours_shift.tolist())
    for s, m, inten in zip(ours_shift, env.mz, env.intensity, strict=True):
        om, oi = table[int(s)]
        assert abs(m - om) / om * 1e6 < 0.1, f"shift {s}: {m} vs {om}"
        assert abs(inten - oi) < 1e-3, f"shift {s}: {inten} vs {oi}"
    assert env.probability.sum() >= 0.9999 - 1e-9


def ion_el_light(sym):
    from clusterms.chem.elements import element

    return element(sym).masses[0]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", PAPER + HEAVY)
def test_aggregated_matches_isospecpy(text, method, oracle):
    ion = Ion.parse(text)
    clear_envelope_cache()  # computed here by this method, not served from another test
    env = composition_envelope(ion.composition, ion.charge, method=method)
    _compare(ion, env, oracle)


def test_ion_envelope_and_batch_are_the_same():
    ions = [Ion.parse(t) for t in PAPER + HEAVY]
    clear_envelope_cache()
    batch = clusterms.envelopes(ions)
    clear_envelope_cache()  # the single path computes each one itself
    for ion, b in zip(ions, batch, strict=True):
        e = ion.envelope()
        assert e is not b
        # Same peaks; values equal to floating-point round-off (grouping changes FFT sizes).
        np.testing.assert_allclose(e.mz, b.mz, rtol=1e-13)
        np.testing.assert_allclose(e.intensity, b.intensity, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_envelope_shifts_by_one_over_z_per_neutron(method):
    env = composition_envelope(Ion.parse("[Ag25(DMBT)18]-").composition, -3, method=method)
    steps = np.diff(env.mz) * 3
    assert np.all((steps > 0.99) & (steps < 1.01))


@pytest.mark.parametrize("method", METHODS)
def test_adding_a_ligand_adds_its_exact_mass(method):
    a = Ion.parse("[Ag25(DMBT)18]")
    b = Ion.parse("[Ag25(DMBT)19]")
    lig = Ion.parse("[(DMBT)]")
    ea = composition_envelope(a.composition, method=method)
    eb = composition_envelope(b.composition, method=method)
    assert eb.mean_mz - ea.mean_mz == pytest.approx(lig.composition.average_mass, abs=5e-4)
    assert b.monoisotopic_mz - a.monoisotopic_mz == pytest.approx(lig.composition.monoisotopic_mass, abs=1e-9)


def test_probabilities_cover_and_sum_to_at_most_one():
    for cov in (0.9, 0.99, 0.9999, 0.999999):
        env = Ion.parse("Ag@III").envelope(coverage=cov)
        assert cov - 1e-9 <= env.probability.sum() <= 1 + 1e-12
        assert env.intensity.max() == 1.0


def test_average_mz_matches_envelope_mean():
    ion = Ion.parse("[Ag29(BDT)12]3-")
    env = ion.envelope(coverage=0.999_999_9)
    assert env.mean_mz == pytest.approx(ion.average_mz, abs=2e-3)
    assert ion.average_mz == pytest.approx(1603.6, abs=0.05)
    assert Ion.parse("[Ag25(DMBT)18]-").average_mz == pytest.approx(5166.7, abs=0.05)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("enrich", [{107: 0.99, 109: 0.01}, {107: 0.02, 109: 0.98}])
def test_custom_abundances_match_isospecpy(method, enrich):
    from IsoSpecPy import PeriodicTbl

    ion = Ion.parse("[Ag25(DMBT)18]-")
    env = composition_envelope(ion.composition, ion.charge, abundances={"Ag": enrich}, method=method)
    comp = dict(ion.composition.items())
    syms = sorted(comp)
    probs = [[enrich[a] for a in PeriodicTbl.symbol_to_massNo[s]] if s == "Ag"
             else list(PeriodicTbl.symbol_to_probs[s]) for s in syms]
    iso = IsoTotalProb(prob_to_cover=0.9999999, atomCounts=[comp[s] for s in syms],
                       isotopeMasses=[list(PeriodicTbl.symbol_to_masses[s]) for s in syms],
                       isotopeProbabilities=probs)
    m = np.asarray(iso.np_masses())
    p = np.asarray(iso.np_probs())
    mz = (m + ME)
    # The most abundant aggregated peak is where IsoSpecPy puts most probability.
    grid = np.rint(mz - mz.min()).astype(int)
    agg = np.bincount(grid, p)
    top = np.argmax(agg)
    mean_top = np.bincount(grid, p * mz)[top] / agg[top]
    assert env.most_abundant_mz == pytest.approx(mean_top, rel=1e-7)


def test_bad_abundances_are_refused():
    from clusterms.errors import OptionError

    ion = Ion.parse("[Ag25(DMBT)18]-")
    with pytest.raises(OptionError, match="no stable isotope 108"):
        ion.envelope(abundances={"Ag": {108: 1.0}})
    with pytest.raises(OptionError, match="sum to"):
        ion.envelope(abundances={"Ag": {107: 0.5, 109: 0.2}})


def test_fine_structure_is_isospecpy():
    ion = Ion.parse("[Ag5(BDT)3]-")
    fine = ion.envelope(fine=True, coverage=0.99)
    iso = IsoTotalProb(formula=ion.formula, prob_to_cover=0.99)
    assert len(fine) == len(iso)
    assert fine.probability.sum() == pytest.approx(sum(iso.probs), rel=1e-9)
    assert fine.mz.max() == pytest.approx((max(iso.masses) + ME), rel=1e-12)
    agg = ion.envelope()
    assert len(fine) > len(agg)
    # At the same (high) coverage both give the same mean m/z: the aggregation keeps masses.
    fine5 = ion.envelope(fine=True, coverage=0.999999)
    agg5 = ion.envelope(coverage=0.999999)
    assert abs(fine5.mean_mz - agg5.mean_mz) < 2e-4


def test_fine_envelope_coverage_option():
    ion = Ion.parse("[Ag(DMBT)2]-")
    small = fine_envelope(ion.composition, -1, coverage=0.9)
    big = fine_envelope(ion.composition, -1, coverage=0.999)
    assert len(small) < len(big)
    assert small.probability.sum() >= 0.9


def test_batch_of_mixed_sizes_keeps_order():
    items = [(Ion.parse(t).composition, Ion.parse(t).charge) for t in ["[Ag(DMBT)2]-", "Ag@III", "[Au144(PET)60]"]]
    out = composition_envelopes(items)
    assert [round(e.most_abundant_mz) for e in out] == [
        round(composition_envelope(c, z).most_abundant_mz) for c, z in items]


def test_negative_composition_is_refused():
    from clusterms.chem.composition import Composition
    from clusterms.errors import OptionError

    with pytest.raises(OptionError):
        composition_envelope(Composition({"Ag": 1}) - Composition({"Ag": 2}))


@pytest.mark.parametrize("charge", [0, -3, 2])
@pytest.mark.parametrize("enrich", [None, {"Ag": {107: 0.99, 109: 0.01}}])
def test_single_path_equals_batch_for_charge_and_abundances(charge, enrich):
    comps = [Ion.parse(t).composition for t in ("[Ag29(BDT)12]3-", "[PtAg24(DMBT)18]2-", "[Ag(DMBT)2]-",
                                                "[Au144(PET)60]")]
    clear_envelope_cache()
    batch = composition_envelopes([(c, charge) for c in comps], abundances=enrich)
    clear_envelope_cache()
    for c, b in zip(comps, batch, strict=True):
        e = composition_envelope(c, charge, abundances=enrich)
        assert e.charge == charge
        np.testing.assert_allclose(e.mz, b.mz, rtol=1e-13)
        np.testing.assert_allclose(e.probability, b.probability, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(e.intensity, b.intensity, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("text", ["[Au144(PET)60]2-", "[PtAg24(DMBT)18]2-", "[Ag(DMBT)2]-"])
def test_far_tail_peaks_keep_sane_masses(text):
    # Far into the tail (1e-12 of the probability left out) peak masses stay on 1 u steps:
    # the mass-weighted ratio is still above the FFT round-off there.
    ion = Ion.parse(text)
    clear_envelope_cache()
    env = composition_envelope(ion.composition, ion.charge, coverage=1 - 1e-12)
    step = np.diff(env.mz) * abs(ion.charge)
    assert np.all(np.isfinite(env.mz))
    assert np.all((step > 0.9) & (step < 1.1)), step[(step <= 0.9) | (step >= 1.1)]
