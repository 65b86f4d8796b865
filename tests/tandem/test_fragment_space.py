"""Fragment spaces as arrays: enumeration rules, rows as ions, the envelope-free screen."""

import itertools
from pathlib import Path

import numpy as np
import pytest
from IsoSpecPy import IsoTotalProb, PeriodicTbl
from scipy.constants import physical_constants

from clusterms import Ion
from clusterms.errors import OptionError
from clusterms.spectra.peaks import pick_peaks
from clusterms.spectra.spectrum import Spectrum
from clusterms.tandem import fragment_space
from clusterms.tandem.fragment_space import PREDICTION_DA

ME = physical_constants["electron mass in u"][0]
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-ms"
DIMER = "[AuAg52(BDT)12(DMBT)16]3-"


def _brute_force(prec: Ion, max_sulfur: int, max_protons: int) -> set[tuple]:
    """The rules of fragment_space written out with plain loops."""
    (lig, n_lig), = prec.ligands
    n_ag = prec.metals["Ag"]
    out = set()
    for ag, m, s, h, z in itertools.product(range(n_ag + 1), range(n_lig + 1), range(max_sulfur + 1),
                                            range(max_protons + 1), (-1,)):
        electrons = ag - m * lig.withdraws - s - (z - h)
        if ag >= 1 and m + s >= 1 and s <= n_lig - m and electrons >= 0 and abs(z) <= m + s + h:
            out.add((ag, m, s, h, z))
    return out


def test_space_is_exactly_the_stated_rules():
    prec = Ion.parse("[Ag25(DMBT)18]-")
    fs = fragment_space(prec, max_sulfur=2, max_protons=1)
    rows = {(int(a[0]), int(b[0]), int(s), int(h), int(z)) for a, b, s, h, z in
            zip(fs.metal_counts, fs.ligand_counts, fs.sulfur, fs.protons, fs.charge, strict=True)}
    assert len(rows) == len(fs)
    assert rows == _brute_force(prec, 2, 1)
    assert (25, 18, 0, 0, -1) in rows  # the precursor itself (survival yield needs it)


def _lightest_mass(comp) -> float:
    return sum(n * min(PeriodicTbl.symbol_to_masses[s]) for s, n in comp.items())


def test_rows_are_the_ions_they_claim():
    fs = fragment_space(Ion.parse(DIMER))
    rng = np.random.default_rng(7)
    for i in rng.choice(len(fs), 300, replace=False):
        ion = fs.ion(int(i))
        assert ion.charge == fs.charge[i]
        assert ion.electrons == fs.electrons[i]
        counts = {s: int(n) for s, n in zip(fs.symbols, fs.element_counts[i], strict=True) if n}
        assert counts == dict(ion.composition.items())
        z = ion.charge
        expected = (_lightest_mass(ion.composition) - z * ME) / abs(z)  # IsoSpecPy's table
        assert fs.lightest_mz[i] == pytest.approx(expected, rel=1e-12)
        assert Ion.parse(ion.notation) == ion  # the notation round-trips


def test_prediction_stays_within_its_stated_error():
    fs = fragment_space(Ion.parse(DIMER))
    rng = np.random.default_rng(3)
    small = np.flatnonzero(fs.metal_counts.sum(axis=1) + fs.ligand_counts.sum(axis=1) < 12)
    idx = np.concatenate([rng.choice(len(fs), 150, replace=False), rng.choice(small, 150, replace=False)])
    pred = fs.predicted_mz((-1, 0, 1))[idx]
    for k, i in enumerate(idx):
        z = int(fs.charge[i])
        comp = fs.ion(int(i)).composition
        it = IsoTotalProb(formula=comp.formula, prob_to_cover=0.999999)
        mass, prob = np.asarray(it.np_masses()), np.asarray(it.np_probs())
        shift = np.rint(mass - _lightest_mass(comp)).astype(int)
        peak_mass = np.bincount(shift, prob * mass) / np.maximum(np.bincount(shift, prob), 1e-300)
        peak_mz = (peak_mass[np.bincount(shift, prob) > 0] - z * ME) / abs(z)
        for col in range(3):
            assert np.abs(peak_mz - pred[k, col]).min() <= PREDICTION_DA / abs(z)


def _render(species, *, resolution=20000.0, lo=200.0, hi=6000.0):
    """Profile spectrum from IsoSpecPy isotopologues through a Gaussian (not clusterms' simulator)."""
    x = lo * np.exp(np.arange(int(np.log(hi / lo) / 5e-6)) * 5e-6)
    y = np.zeros_like(x)
    for text, abundance in species:
        ion = Ion.parse(text)
        it = IsoTotalProb(formula=ion.formula, prob_to_cover=0.99999)
        mz = (np.asarray(it.np_masses()) - ion.charge * ME) / abs(ion.charge)
        p = np.asarray(it.np_probs())
        p = p / p.max() * abundance
        for m, q in zip(mz[p > 1e-4 * abundance], p[p > 1e-4 * abundance], strict=True):
            s = m / resolution / 2.3548
            i0, i1 = np.searchsorted(x, [m - 5 * s, m + 5 * s])
            y[i0:i1] += q * np.exp(-0.5 * ((x[i0:i1] - m) / s) ** 2)
    y += 0.002 * y.max() * np.abs(np.random.default_rng(0).normal(size=y.size))
    return Spectrum(mz=x, intensity=y)


TRUTH = [(DIMER, 100), ("[AuAg51(BDT)12(DMBT)14]3-", 60), ("[Ag(DMBT)2]-", 40), ("[Ag2(DMBT)3]-", 20),
         ("[AuAg51(BDT)12(DMBT)14]2-", 15), ("[Ag5(BDT)3]-", 10), ("[AuAg50(BDT)12(DMBT)13]3-", 8)]


def test_screen_and_match_find_every_fragment_of_an_independent_spectrum():
    peaks = pick_peaks(_render(TRUTH), min_snr=5)
    fs = fragment_space(Ion.parse(DIMER))
    survivors = fs.screen(peaks.centroid_mz, ppm=10)
    assert 0 < survivors.size < len(fs) / 100  # the screen does the work, not the envelopes
    found = {ion.notation for ion in fs.match(peaks.centroid_mz, peaks.height, ppm=10).ions()}
    assert {str(Ion.parse(t)) for t, _ in TRUTH} <= found


def test_nothing_matches_an_empty_region():
    fs = fragment_space(Ion.parse("[Ag25(DMBT)18]-"))
    far = np.linspace(20000.0, 20100.0, 50)  # far above every fragment
    assert fs.screen(far).size == 0
    assert len(fs.match(far, np.ones(50))) == 0


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files not found at {REAL}")
def test_a_peptide_spectrum_holds_no_cluster_fragment():
    from clusterms.spectra.readers import read_spectrum

    spec = read_spectrum(REAL / "waters_ATEHLSTLSEK_profile_indexed.mzML")
    peaks = pick_peaks(spec, min_snr=5)
    fs = fragment_space(Ion.parse("[Ag25(DMBT)18]-"), charges=(-1,))
    # A positive-mode peptide spectrum read as if it were the cluster's: the strict score
    # leaves nothing, whatever the screen let through.
    assert len(fs.match(peaks.centroid_mz, peaks.height, ppm=10, min_score=0.95)) == 0


def test_refusals_name_the_fault():
    with pytest.raises(OptionError, match="neutral"):
        fragment_space(Ion.parse("[Ag25(DMBT)18]"))
    with pytest.raises(OptionError, match="sign"):
        fragment_space(Ion.parse(DIMER), charges=(1,))
    with pytest.raises(OptionError, match="over the limit"):
        fragment_space(Ion.parse("[Au144(PET)60]2-"), max_candidates=1000)
    with pytest.raises(OptionError, match="non-negative"):
        fragment_space(Ion.parse(DIMER), max_sulfur=-1)
    fs = fragment_space(Ion.parse("[Ag25(DMBT)18]-"))
    with pytest.raises(OptionError, match="ppm"):
        fs.screen([1.0], ppm=0)
    with pytest.raises(OptionError, match="differ"):
        fs.match([1.0, 2.0], [1.0])


def test_arrays_are_read_only():
    fs = fragment_space(Ion.parse("[Ag25(DMBT)18]-"))
    with pytest.raises(ValueError):
        fs.charge[0] = 5
    with pytest.raises(ValueError):
        fs.element_counts[0, 0] = 5


def test_electrons_of_ligands_with_their_own_charge(tmp_path):
    # A deprotonated carboxylate ligand carries -1 itself: it is in the ion's charge but not
    # in the metal core's, in the fragment space as in Ion.electrons.
    from clusterms.chem.ligands import load_library

    path = tmp_path / "mbad.toml"
    path.write_text('[ligands.MBAd]\nformula = "C7H4O2S"\ncharge = -2\nwithdraws = 1\n', encoding="utf-8")
    lib = load_library(path)
    prec = Ion.parse("[Ag44(p-MBA)26(MBAd)4]8-", library=lib)
    assert prec.electrons == 18
    fs = fragment_space(prec, charges=(-1, -2, -3), max_sulfur=0, max_protons=0)
    checked = 0
    for i in range(0, len(fs), max(len(fs) // 400, 1)):
        ion = fs.ion(i)
        assert ion.electrons == fs.electrons[i], ion.notation
        checked += any(lig.own_charge for lig, n in ion.ligands if n)
    assert checked > 50
