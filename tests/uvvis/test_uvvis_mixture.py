"""Mixture fits on synthetic spectra with realistic bands, noise and scattering."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls
from uvvis_synthetic import WL, ag29, mag24, new_species

from clusterms.errors import OptionError
from clusterms.uvvis import UVVisSpectrum, compare_bands, find_bands, fit_mixture, noise_level, series_components

REFS = [UVVisSpectrum("Ag29", WL, ag29()), UVVisSpectrum("AgI", WL, mag24())]
CASES = [  # (w_Ag29, w_AgI, scattering at 400 nm, baseline, new species)
    (0.6, 0.4, 0.02, 0.01, 0.0),
    (0.3, 0.7, 0.0, -0.005, 0.0),
    (0.8, 0.2, 0.05, 0.02, 0.0),
    (0.1, 0.9, 0.01, 0.0, 0.0),
    (0.5, 0.5, 0.0, 0.01, 0.0),
    (0.5, 0.45, 0.01, 0.0, 0.15),
]


def _mixture(k: int, rng: np.random.Generator, noise: float = 0.004) -> UVVisSpectrum:
    wa, wb, sc, b0, ex = CASES[k]
    y = wa * ag29() + wb * mag24() + sc * (WL / 400.0) ** -4 + b0 + ex * new_species()
    return UVVisSpectrum(f"m{k}", WL, y + rng.normal(0.0, noise, WL.size))


@pytest.mark.parametrize("axis", ["nm", "ev"])
def test_weights_within_002_and_flags_only_the_unexplained(axis: str) -> None:
    rng = np.random.default_rng(11)
    fits = [fit_mixture(_mixture(k, rng), REFS, axis=axis) for k in range(len(CASES))]
    for (wa, wb, _sc, _b0, ex), f in zip(CASES, fits, strict=True):
        assert f.flagged == (ex > 0), (f.spectrum, f.systematic_fraction)
        if ex == 0:
            assert f.weights["Ag29"] == pytest.approx(wa, abs=0.02)
            assert f.weights["AgI"] == pytest.approx(wb, abs=0.02)
            assert f.residual_fraction == pytest.approx(np.linalg.norm(f.residual) / np.linalg.norm(f.data))
            assert f.residual_fraction < 0.02
    # Scattering is recovered, not absorbed into the weights.
    assert fits[2].terms["scattering"] == pytest.approx(0.05, abs=0.01)


def test_same_answer_as_scipy_nnls_without_free_terms() -> None:
    rng = np.random.default_rng(5)
    m = _mixture(0, rng)
    f = fit_mixture(m, REFS, baseline="none", scattering=False)
    a = np.column_stack([r.absorbance for r in REFS])
    w, _ = nnls(a, m.absorbance)
    np.testing.assert_allclose([f.weights["Ag29"], f.weights["AgI"]], w, rtol=1e-6)


def test_weights_are_never_negative() -> None:
    # Unconstrained least squares would give Ag29 a weight of -0.1 here (a bleached band).
    bleached = UVVisSpectrum("b", WL, mag24() - 0.1 * ag29() + 0.2)
    f = fit_mixture(bleached, REFS, baseline="none", scattering=False)
    free = np.linalg.lstsq(np.column_stack([ag29(), mag24()]), bleached.absorbance, rcond=None)[0]
    assert free[0] < -0.01
    assert f.weights["Ag29"] == 0.0 and f.weights["AgI"] > 0.5


def test_component_count_of_a_series() -> None:
    rng = np.random.default_rng(3)
    clean = [UVVisSpectrum(f"c{k}", WL, (1 - t) * ag29() + t * mag24() + rng.normal(0, 0.003, WL.size))
             for k, t in enumerate(np.linspace(0.1, 0.9, 6))]
    fits = [fit_mixture(s, REFS, baseline="none", scattering=False) for s in clean]
    c = series_components(fits)
    assert (c.n_data, c.n_unexplained) == (2, 0)
    grown = [UVVisSpectrum(f"g{k}", WL, (1 - t) * ag29() + t * mag24() + g * new_species()
                           + rng.normal(0, 0.003, WL.size))
             for k, (t, g) in enumerate(zip(np.linspace(0.2, 0.8, 6), [0, 0, 0.03, 0.06, 0.1, 0.15], strict=True))]
    c = series_components([fit_mixture(s, REFS, baseline="none", scattering=False) for s in grown])
    assert (c.n_data, c.n_unexplained) == (3, 1)


def test_noise_level_of_white_noise() -> None:
    rng = np.random.default_rng(0)
    assert noise_level(ag29() + rng.normal(0, 0.01, WL.size)) == pytest.approx(0.01, rel=0.15)


def test_window_and_refusals() -> None:
    rng = np.random.default_rng(1)
    f = fit_mixture(_mixture(0, rng), REFS, window=(400.0, 700.0))
    assert f.x[0] >= 400 and f.x[-1] <= 700
    with pytest.raises(OptionError, match="share 0 wavelengths"):
        fit_mixture(_mixture(0, rng), REFS, window=(950.0, 990.0))
    with pytest.raises(OptionError, match="at least one reference"):
        fit_mixture(_mixture(0, rng), [])
    zero = UVVisSpectrum("zero", WL, np.zeros_like(WL))
    with pytest.raises(OptionError, match="'zero' is zero"):
        fit_mixture(_mixture(0, rng), [*REFS, zero])


def test_bands_of_the_references_match_the_paper() -> None:
    found = {s.name: compare_bands(find_bands(s), {}) for s in REFS}
    lit = {s: sorted(b.literature_nm for b in bands if b.literature_nm) for s, bands in found.items()}
    assert lit["Ag29"] == [447.0, 513.0]
    assert lit["AgI"] == [395.0, 485.0, 640.0]
    kinds = {round(b.literature_nm or 0): b.kind for b in found["Ag29"]}
    assert kinds[513] == "shoulder" and kinds[447] == "maximum"
    for b in found["Ag29"] + found["AgI"]:
        if b.literature_nm:
            assert abs(b.wavelength_nm - b.literature_nm) < 8.0


def test_bands_of_a_mixture_point_at_their_reference() -> None:
    m = UVVisSpectrum("m", WL, 0.5 * ag29() + 0.5 * mag24())
    refs = {r.name: find_bands(r) for r in REFS}
    near_640 = [b for b in compare_bands(find_bands(m), refs) if abs(b.wavelength_nm - 640) < 15]
    assert near_640 and near_640[0].reference == "AgI"
