"""Charge-state detection (clusterms.spectra.charge) on synthetic silver-cluster envelopes.

Envelopes are built here from first principles: the number of 109Ag atoms is binomial
(109Ag - 107Ag = 2 Da), convolved with a Poisson number of 1-Da steps from the light
elements (13C, 33S), peaks spaced 1.00235 Da / z. Every RNG is seeded.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_clusters import SPACING, profile, tof_grid
from synthetic_clusters import envelope as _envelope

from clusterms.errors import OptionError
from clusterms.spectra import Spectrum
from clusterms.spectra.processing import (
    Envelope,
    baseline,
    detect_charges,
    pick_peaks,
    smooth,
)


def envelope(first_mz, z, *, n_ag=29, **options):
    """A silver-cluster envelope (see synthetic_clusters.envelope), 29 Ag by default."""
    return _envelope(first_mz, z, n_ag=n_ag, **options)


def centroids(*parts, noise_peaks=0, seed=0, jitter_ppm=1.0, lo=1500.0, hi=1700.0):
    """A centroid spectrum from envelope parts, with position jitter and noise peaks."""
    rng = np.random.default_rng(seed)
    mz = np.concatenate([m for m, _ in parts])
    inten = np.concatenate([i for _, i in parts])
    mz = mz * (1 + rng.normal(0, jitter_ppm * 1e-6, mz.size))
    if noise_peaks:
        mz = np.concatenate((mz, rng.uniform(lo, hi, noise_peaks)))
        inten = np.concatenate((inten, rng.uniform(0.0, 0.01, noise_peaks) * inten.max()))
    order = np.argsort(mz)
    return Spectrum(mz[order], inten[order], mode="centroid", polarity="negative")




def hump(grid):
    return 300.0 * np.exp(-0.5 * ((grid - 1550.0) / 250.0) ** 2)


def charges_near(envelopes, mz, width):
    return sorted({e.charge for e in envelopes if abs(e.apex_mz - mz) < width})


# n_ag chosen so that each charge state sits near m/z 1600 (mass ~ 172 Da per Ag with thiolate)
@pytest.mark.parametrize(("z", "n_ag"), [(1, 9), (2, 18), (3, 29), (4, 37), (5, 46), (6, 56)])
def test_isolated_envelope_charge_from_centroids(z, n_ag):
    s = centroids(envelope(1590.0, z, n_ag=n_ag), noise_peaks=40, seed=z)
    found = detect_charges(s)
    assert [e.charge for e in found] == [z]
    env = found[0]
    true_mz, true_i = envelope(1590.0, z, n_ag=n_ag)
    assert env.apex_mz == pytest.approx(true_mz[np.argmax(true_i)], rel=5e-6)
    assert len(env.members) >= 0.9 * true_mz.size
    assert env.spacing_da == pytest.approx(SPACING, abs=2e-3)
    assert 0.8 < env.score <= 1.0


@pytest.mark.parametrize("z", [1, 2, 3, 4, 5, 6])
def test_isolated_envelope_charge_from_noisy_profile(z):
    n_ag = {1: 9, 2: 18, 3: 29, 4: 37, 5: 46, 6: 56}[z]
    rng = np.random.default_rng(100 + z)
    grid = tof_grid(1550.0, 1700.0, 10, 20_000)
    mz, inten = envelope(1590.0, z, n_ag=n_ag, scale=1000.0)
    hump = 80.0 * np.exp(-0.5 * ((grid - 1620.0) / 300.0) ** 2)
    y = profile(grid, mz, inten, 20_000) + hump + rng.normal(0.0, 5.0, grid.size)
    spectrum = Spectrum(grid, y, mode="profile", polarity="negative")
    found = detect_charges(pick_peaks(baseline(spectrum)))
    assert [e.charge for e in found if e.intensity > 1000] == [z]


def merged(*parts, rel=2e-6):
    """One peak list from several envelopes; positions closer than ``rel`` become one peak."""
    mz = np.concatenate([m for m, _ in parts])
    inten = np.concatenate([i for _, i in parts])
    order = np.argsort(mz)
    mz, inten = mz[order], inten[order]
    group = np.r_[0, np.cumsum(np.diff(mz) > rel * mz[1:])]
    total = np.bincount(group, inten)
    return np.bincount(group, inten * mz) / total, total


@pytest.mark.parametrize("share_3", [0.7, 0.5, 0.3])
def test_z_and_2z_on_the_same_mz_are_both_reported(share_3):
    # [Ag29(BDT)12]3- and the homodimer [Ag58(BDT)24]6- share m/z: the 6- adds peaks
    # halfway between the 3- peaks, and every second 6- peak falls on a 3- peak.
    m3, i3 = envelope(1598.0, 3, n_ag=29)
    m6, i6 = envelope(1598.0, 6, n_ag=58)
    mz, inten = merged((m3, i3 * share_3 / i3.sum()), (m6, i6 * (1 - share_3) / i6.sum()))
    found = detect_charges(centroids((mz, inten), noise_peaks=30, seed=7))
    assert sorted(e.charge for e in found) == [3, 6]
    by_charge = {e.charge: e for e in found}
    # The intensity split follows the mixture within a few percent of the total.
    total = by_charge[3].intensity + by_charge[6].intensity
    assert by_charge[3].intensity / total == pytest.approx(share_3, abs=0.05)
    # Where the two envelopes overlap, the 3- peaks are shared: members of both.
    six = by_charge[6].members
    inside = {i for i in by_charge[3].members if six[0] <= i <= six[-1]}
    assert len(inside) >= 10
    assert inside <= set(six)
    assert by_charge[6].mean_mz == pytest.approx(np.average(m6, weights=i6), abs=0.1)
    assert by_charge[3].mean_mz == pytest.approx(np.average(m3, weights=i3), abs=0.1)
    assert by_charge[3].apex_mz == pytest.approx(m3[np.argmax(i3)], abs=1.0)


def test_pure_2z_gives_only_2z():
    found = detect_charges(centroids(envelope(1598.0, 6, n_ag=58), noise_peaks=30, seed=3))
    assert [e.charge for e in found] == [6]


def test_pure_z_gives_only_z():
    found = detect_charges(centroids(envelope(1598.0, 3, n_ag=29), noise_peaks=30, seed=4))
    assert [e.charge for e in found] == [3]


@pytest.mark.parametrize("light", [0.8, 1.0])
def test_intrinsic_even_odd_alternation_is_not_a_second_species(light):
    # Few light-element atoms: odd-mass peaks are weaker (60:40 at 0.8 expected 13C/33S
    # per cluster; [Ag29(BDT)12] has ~1.0) because 107Ag/109Ag differ by 2 Da. A single
    # 6- species must stay a single species.
    mz, inten = envelope(1598.0, 6, n_ag=58, light=light)
    found = detect_charges(centroids((mz, inten), seed=5))
    assert [e.charge for e in found] == [6]


@pytest.mark.parametrize("resolving_power", [20_000, 40_000])
@pytest.mark.parametrize(("scale_3", "scale_6", "expected"), [(600, 500, [3, 6]), (0, 500, [6])])
def test_z_2z_in_noisy_profile_data(resolving_power, scale_3, scale_6, expected):
    rng = np.random.default_rng(11)
    grid = tof_grid(1570.0, 1640.0, 10, resolving_power)
    m3, i3 = envelope(1598.0, 3, n_ag=29, scale=scale_3)
    m6, i6 = envelope(1598.0, 6, n_ag=58, scale=scale_6)
    y = profile(grid, np.r_[m3, m6], np.r_[i3, i6], resolving_power)
    y += hump(grid) + rng.normal(0, 4.0, grid.size)
    spectrum = Spectrum(grid, y, mode="profile")
    found = detect_charges(pick_peaks(smooth(baseline(spectrum))))
    assert sorted(e.charge for e in found) == expected


def test_overlapping_envelopes_of_different_charges_are_each_found():
    parts = [
        envelope(1590.0, 3, n_ag=29, scale=1.0),
        envelope(1596.3, 4, n_ag=37, scale=0.8),
        envelope(1601.1, 5, n_ag=46, scale=0.6),
        envelope(1640.0, 2, n_ag=18, scale=0.5),
    ]
    found = detect_charges(centroids(*parts, noise_peaks=60, seed=9, hi=1680.0))
    for (mz, inten), z in zip(parts, (3, 4, 5, 2), strict=True):
        apex = mz[np.argmax(inten)]
        matches = [e for e in found if e.charge == z and abs(e.apex_mz - apex) < 0.5]
        assert len(matches) == 1, (z, apex, found)
        assert len(matches[0].members) >= 0.7 * mz.size
    assert sorted(e.charge for e in found) == [2, 3, 4, 5]


def test_realistic_isospec_envelopes_of_ag29_and_its_dimer():
    isospec = pytest.importorskip("IsoSpecPy")

    def aggregated(counts, z):
        iso = isospec.IsoTotalProb(formula="".join(f"{e}{n}" for e, n in counts.items()), prob_to_cover=0.9999)
        mass, prob = np.array(list(iso.masses)), np.array(list(iso.probs))
        electron = 0.000_548_579_909
        nominal = np.round(mass - mass.min()).astype(int)
        p = np.bincount(nominal, prob)
        m = np.bincount(nominal, prob * mass)[p > 0] / p[p > 0]
        return (m + z * electron) / z, p[p > 0]

    ag29 = {"Ag": 29, "C": 72, "H": 48, "S": 24}
    m3, p3 = aggregated(ag29, 3)
    m6, p6 = aggregated({k: 2 * v for k, v in ag29.items()}, 6)
    assert 1600 < m3[np.argmax(p3)] < 1610
    for mix, expected in ((0.0, [6]), (1.0, [3]), (0.6, [3, 6])):
        parts = [(m, p / p.sum() * w) for m, p, w in ((m3, p3, mix), (m6, p6, 1 - mix)) if w]
        mz, inten = merged(*parts, rel=3e-6)  # 3-/6- peaks coincide within ~1 ppm
        keep = inten > 1e-3 * inten.max()
        spectrum = Spectrum(mz[keep], inten[keep], mode="centroid")
        assert sorted({e.charge for e in detect_charges(spectrum)}) == expected, mix


def test_members_index_the_peak_list_given():
    s = centroids(envelope(1590.0, 4, n_ag=37), noise_peaks=20, seed=2)
    peaks = pick_peaks(s)
    (env,) = detect_charges(peaks)
    assert isinstance(env, Envelope)
    members = np.array(env.members)
    assert np.all(np.diff(peaks.centroid_mz[members]) > 0)
    assert np.allclose(np.diff(peaks.centroid_mz[members]) * 4, SPACING, atol=0.04)


def test_no_envelopes_in_noise_or_empty_input():
    rng = np.random.default_rng(0)
    mz = np.sort(rng.uniform(1500, 1700, 400))
    assert detect_charges(Spectrum(mz, rng.uniform(0, 1, mz.size), mode="centroid")) == []
    assert detect_charges(Spectrum(np.zeros(0), np.zeros(0), mode="centroid")) == []


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("max_charge", 0, "max_charge"),
        ("tolerance_ppm", -1.0, "tolerance_ppm"),
        ("spacing_da", 0.0, "spacing_da"),
        ("spacing_range_da", (1.01, 1.02), "spacing_range_da"),
        ("min_peaks", 1, "min_peaks"),
        ("min_subcharge_fraction", 1.5, "min_subcharge_fraction"),
    ],
)
def test_invalid_options_name_the_parameter(option, value, needle):
    s = centroids(envelope(1590.0, 3))
    with pytest.raises(OptionError, match=needle):
        detect_charges(s, **{option: value})
