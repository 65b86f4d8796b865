"""Arrival-time distributions and conformers of an independently simulated IMS run (ims_sim)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ims_sim import (
    ABSENT,
    AG25,
    DIMER,
    MONOMER,
    TRUTH,
    Conformer,
    simulate,
    simulate_centroids,
    write_mzml,
    write_mzml_arrays,
    write_text,
)
from scipy.constants import Boltzmann, elementary_charge

from clusterms.chem.ion import Ion
from clusterms.mobility import (
    arrival_distributions,
    diffusion_resolving_power,
    fit_conformers,
    min_fwhm,
    read_mobility,
)

SPECIES = [MONOMER, DIMER, AG25, ABSENT]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ims")
    bins = simulate()
    return write_mzml(d / "run.mzML", bins), write_text(d / "run.txt", bins)


@pytest.fixture(scope="module")
def fitted(files):
    run = read_mobility(files[0])
    fit = arrival_distributions(run, [Ion.parse(s) for s in SPECIES])
    return run, fit, {d.species: (d, fit_conformers(d)) for d in fit.distributions}


def test_reads_one_bin_per_drift_scan(files) -> None:
    run = read_mobility(files[0])
    assert run.layout == "drift-time scans" and run.unit == "ms"
    assert len(run) == 101
    np.testing.assert_allclose(run.drift, np.arange(3.0, 9.0001, 0.06), atol=1e-9)
    assert run.mode == "profile" and run.polarity == "negative"


@pytest.mark.parametrize("species", [MONOMER, DIMER, AG25])
def test_conformer_counts_and_centres(fitted, species) -> None:
    _run, _fit, by = fitted
    atd, conf = by[species]
    truth = TRUTH[species][1]
    assert atd.detected
    assert conf.n_conformers == len(truth)
    for got, want in zip(conf.centres, sorted(c.centre for c in truth), strict=True):
        assert abs(got - want) < 0.1
    for got, want in zip(conf.widths, [c.fwhm for c in sorted(truth, key=lambda c: c.centre)], strict=True):
        assert got == pytest.approx(want, rel=0.15)


def test_dimer_conformer_shares(fitted) -> None:
    conf = fitted[2][DIMER][1]
    shares = np.array(conf.areas) / sum(conf.areas)
    np.testing.assert_allclose(shares, [0.6, 0.4], atol=0.05)


def test_z_and_2z_on_one_mz_get_separate_atds(fitted) -> None:
    """The 3- monomer's ATD shows nothing where only the 6- dimer arrives (4.8 ms) and the dimer's
    nothing of the monomer's single peak beyond its own two conformers."""
    run, _fit, by = fitted
    mono, dimer = by[MONOMER][0], by[DIMER][0]
    at = int(np.argmin(np.abs(run.drift - 4.8)))
    assert mono.intensity[at] < 0.02 * mono.intensity.max()
    assert dimer.intensity[at] > 0.5 * dimer.intensity.max()
    # Fitted alone, the monomer takes up the dimer's even isotope peaks: its ATD gains the dimer's peak.
    alone = arrival_distributions(run, [Ion.parse(MONOMER)]).distributions[0]
    assert alone.intensity[at] > 0.2 * alone.intensity.max()


def test_absent_species_is_not_fitted(fitted) -> None:
    _run, _fit, by = fitted
    atd, conf = by[ABSENT]
    assert not atd.detected and atd.snr < 5
    assert conf.n_conformers == 0 and conf.centres == () and "not detected" in conf.note
    present = by[AG25][0]  # its neighbour in m/z
    assert atd.intensity.max() < 0.01 * present.intensity.max()


def test_text_export_gives_the_same_atds(files, fitted) -> None:
    run = read_mobility(files[1])
    assert run.layout == "text" and len(run) == 101
    fit = arrival_distributions(run, [Ion.parse(s) for s in SPECIES], resolution=fitted[1].resolution)
    for a, b in zip(fit.distributions, fitted[1].distributions, strict=True):
        np.testing.assert_allclose(a.intensity, b.intensity, rtol=1e-3, atol=1e-6 * b.intensity.max() + 1e-12)


def test_one_conformer_without_its_dimer(tmp_path) -> None:
    """A run of the monomer alone: one conformer, and the 6- dimer asked for on the same m/z is absent."""
    truth = {MONOMER: (2.0e6, (Conformer(6.2, 0.4, 1.0),))}
    run = read_mobility(write_mzml(tmp_path / "mono.mzML", simulate(truth, seed=11)))
    fit = arrival_distributions(run, [Ion.parse(MONOMER), Ion.parse(DIMER)])
    mono, dimer = (fit_conformers(d) for d in fit.distributions)
    assert mono.n_conformers == 1 and abs(mono.centres[0] - 6.2) < 0.1
    assert dimer.n_conformers == 0
    assert not fit.distributions[1].detected


def test_diffusion_limit_formula() -> None:
    # sqrt(z e V / (16 k T ln 2)) written out with CODATA constants.
    want = math.sqrt(3 * elementary_charge * 1000.0 / (16 * Boltzmann * 300.0 * math.log(2)))
    assert diffusion_resolving_power(charge=-3, drift_voltage=1000.0, temperature_k=300.0) == pytest.approx(want)
    assert want == pytest.approx(102.3, abs=0.1)
    np.testing.assert_allclose(min_fwhm(np.array([1.0, 10.0]), resolving_power=50.0, bin_width=0.06), [0.06, 0.2])


def test_widths_respect_the_floor(fitted) -> None:
    """With a resolving-power ceiling of 15 no conformer may be narrower than t/15 (binding for the
    monomer: 0.35 ms simulated, 0.37 ms allowed at 5.5 ms)."""
    _run, _fit, by = fitted
    for species in (MONOMER, AG25):
        conf = fit_conformers(by[species][0], max_resolving_power=15.0)
        assert conf.n_conformers >= 1
        for c, w in zip(conf.centres, conf.widths, strict=True):
            assert w >= c / 15.0 - 1e-9
    assert fit_conformers(by[MONOMER][0], max_resolving_power=15.0).widths[0] > 0.36
    # The drift-tube limit at 60 V for a 1- ion: R = sqrt(e 60 V / (16 k T ln 2)) ~ 14.5, above the
    # simulated 0.40 ms at 7.6 ms.
    conf = fit_conformers(by[AG25][0], drift_voltage=60.0, temperature_k=298.15)
    rp = diffusion_resolving_power(charge=-1, drift_voltage=60.0, temperature_k=298.15)
    assert conf.n_conformers == 1
    assert conf.widths[0] >= conf.centres[0] / rp - 1e-9 > 0.5


def test_mobility_arrays_over_two_frames(tmp_path) -> None:
    """Two frames (half the ions each, own noise) as spectra with a 'mean drift time array':
    each bin keeps the frames apart and the conformers come out as from one run."""
    half = {s: (total / 2, confs) for s, (total, confs) in TRUTH.items()}
    path = write_mzml_arrays(tmp_path / "arrays.mzML", [simulate(half, seed=1), simulate(half, seed=2)])
    run = read_mobility(path)
    assert run.layout == "mobility array" and run.unit == "ms" and len(run) == 101
    assert all(len(b) == 2 for b in run.scans)
    fit = arrival_distributions(run, [Ion.parse(s) for s in SPECIES])
    got = {d.species: fit_conformers(d) for d in fit.distributions}
    for species, (_total, confs) in TRUTH.items():
        assert got[species].n_conformers == len(confs)
        np.testing.assert_allclose(got[species].centres, sorted(c.centre for c in confs), atol=0.1)
    assert got[ABSENT].n_conformers == 0


@pytest.mark.parametrize("seed", [1, 3, 6, 9])
def test_counts_hold_over_noise_realisations(seed) -> None:
    """Half the ions, other noise: the plain BIC minimum found 3 dimer or 2 monomer conformers on
    these seeds; the selection rules must not."""
    half = {s: (total / 2, confs) for s, (total, confs) in TRUTH.items()}
    from clusterms.mobility.read import MobilityRun
    from clusterms.spectra.spectrum import Spectrum

    bins = simulate(half, seed=seed)
    run = MobilityRun(drift=np.array([b[0] for b in bins]), scans=tuple((Spectrum(b[1], b[2], mode="profile"),)
                                                                       for b in bins), unit="ms", layout="test",
                      source="memory")
    fit = arrival_distributions(run, [Ion.parse(s) for s in SPECIES], resolution=20_000)
    assert [fit_conformers(d).n_conformers for d in fit.distributions] == [1, 2, 1, 0]


def test_jacobian_matches_finite_differences() -> None:
    from clusterms.mobility.conformers import _jacobian, _model

    t = np.linspace(3, 9, 101)
    p = [0.5, 100.0, 5.5, 0.2, 50.0, 6.3, 0.01]
    for rp, bw in [(100.0, 0.06), (5.0, 0.06), (1000.0, 0.2)]:
        jac = _jacobian(t, *p, rp=rp, bw=bw)
        for i in range(len(p)):
            h = 1e-6 * max(1.0, abs(p[i]))
            up, down = list(p), list(p)
            up[i] += h
            down[i] -= h
            num = (_model(t, *up, rp=rp, bw=bw) - _model(t, *down, rp=rp, bw=bw)) / (2 * h)
            np.testing.assert_allclose(jac[:, i], num, atol=1e-5 * np.abs(num).max() + 1e-9)


def test_centroided_run(tmp_path) -> None:
    """Centroids (one stick per isotope peak): no Gaussian spill-over between the 1/6-spaced windows
    of the z/2z pair, so no ghost of the monomer in the dimer's ATD."""
    run = read_mobility(write_mzml(tmp_path / "c.mzML", simulate_centroids(), centroided=True))
    assert run.mode == "centroid"
    fit = arrival_distributions(run, [Ion.parse(s) for s in SPECIES])
    got = {d.species: fit_conformers(d) for d in fit.distributions}
    for species, (_total, confs) in TRUTH.items():
        assert got[species].n_conformers == len(confs)
        np.testing.assert_allclose(got[species].centres, sorted(c.centre for c in confs), atol=0.1)
    assert got[ABSENT].n_conformers == 0


def test_gzipped_mzml_reads_the_same(files, tmp_path) -> None:
    import gzip

    packed = tmp_path / "run.mzML.gz"
    packed.write_bytes(gzip.compress(files[0].read_bytes()))
    a, b = read_mobility(packed), read_mobility(files[0])
    np.testing.assert_array_equal(a.drift, b.drift)
    for x, y in zip(a.spectra, b.spectra, strict=True):
        np.testing.assert_array_equal(x.intensity, y.intensity)
