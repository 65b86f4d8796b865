"""Spectrum processing: baseline, smoothing, noise, peaks, resolution, calibration.

Synthetic spectra are built here: silver-cluster isotope envelopes (binomial 107Ag/109Ag at
2 Da, convolved with Poisson 1-Da light-element steps, spacing 1.00235 Da / z) rendered as
Gaussian peaks with FWHM = m/z / R on a TOF-like grid (spacing proportional to m/z), plus a
chemical-noise hump and Gaussian noise. Every RNG is seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.integrate import trapezoid
from synthetic_clusters import FWHM_PER_SIGMA, profile, tof_grid
from synthetic_clusters import envelope as _envelope

from clusterms.errors import ClustermsError, InputFileError, OptionError
from clusterms.spectra import Spectrum
from clusterms.spectra.processing import (
    Calibration,
    baseline,
    centroid,
    detect_charges,
    estimate_baseline,
    estimate_resolution,
    fit_calibration,
    noise_level,
    pick_peaks,
    recalibrate,
    smooth,
)

# ---------------------------------------------------------------- synthetic spectra


def envelope(first_mz, z, *, n_ag=53, **options):
    """A silver-cluster envelope (see synthetic_clusters.envelope), 53 Ag by default."""
    return _envelope(first_mz, z, n_ag=n_ag, **options)


def spec(mz, intensity, **options):
    """A Spectrum from lists (the constructor is typed for arrays)."""
    return Spectrum(np.asarray(mz, dtype=float), np.asarray(intensity, dtype=float), **options)






def hump(grid, height=300.0, center=1550.0, width=250.0, slope=0.05):
    """Slowly varying chemical-noise background."""
    return height * np.exp(-0.5 * ((grid - center) / width) ** 2) + slope * (grid - grid[0])


def cluster_spectrum(*, resolving_power=20_000, noise=5.0, height=2000.0, z=3, seed=0):
    """A 53-Ag envelope (about 20 m/z wide at z = 3) on a hump, with noise."""
    rng = np.random.default_rng(seed)
    grid = tof_grid(1450.0, 1750.0, 10, resolving_power)
    mz, inten = envelope(1590.0, z, scale=height)
    signal = profile(grid, mz, inten, resolving_power)
    background = hump(grid)
    y = signal + background + rng.normal(0.0, noise, grid.size)
    return Spectrum(grid, y, mode="profile", polarity="negative"), signal, background, mz


# ---------------------------------------------------------------- baseline


@pytest.mark.parametrize("method", ["snip", "minimum"])
@pytest.mark.parametrize(("resolving_power", "z"), [(20_000, 3), (8_000, 6), (40_000, 2)])
def test_baseline_removes_hump_and_keeps_the_envelope_area(method, resolving_power, z):
    spectrum, signal, background, mz = cluster_spectrum(resolving_power=resolving_power, z=z, noise=3.0)
    corrected = baseline(spectrum, method=method)
    grid = spectrum.mz
    inside = (grid > mz[0] - 1.0) & (grid < mz[-1] + 1.0)
    true_area = trapezoid(signal[inside], grid[inside])
    area = trapezoid(corrected.intensity[inside], grid[inside])
    assert area == pytest.approx(true_area, rel=0.03)
    # Away from the envelope only noise is left: 0.4 sigma (1.2) on average once clipped.
    outside = (grid < mz[0] - 5.0) | (grid > mz[-1] + 5.0)
    assert 0.0 < corrected.intensity[outside].mean() < 3.0
    # The estimate follows the hump (300 high) to within about a noise sigma.
    estimate = estimate_baseline(spectrum, method=method)
    assert np.abs(estimate - background)[outside].max() < 5.0
    assert np.abs(estimate - background)[inside].mean() < 3.0


@pytest.mark.parametrize("method", ["snip", "minimum"])
def test_baseline_follows_a_slope_to_the_ends_of_a_narrow_window(method):
    # 70 m/z of data, about one window: the ends must not sag below a steep background.
    rng = np.random.default_rng(6)
    grid = tof_grid(1570.0, 1640.0, 10, 20_000)
    mz, inten = envelope(1598.0, 3, scale=2000.0)
    background = 1000.0 - 6.0 * (grid - 1570.0)
    y = profile(grid, mz, inten, 20_000) + background + rng.normal(0.0, 3.0, grid.size)
    estimate = estimate_baseline(spec(grid, y), method=method)
    assert np.abs(estimate - background).max() < 10.0


def test_baseline_recovers_an_area_the_hump_inflates_by_a_fifth():
    # The test above has teeth: without baseline removal the hump adds far more than 3 %,
    # and baseline() takes it away again on the same data.
    spectrum, signal, _, mz = cluster_spectrum()
    grid = spectrum.mz
    inside = (grid > mz[0] - 1.0) & (grid < mz[-1] + 1.0)
    true_area = trapezoid(signal[inside], grid[inside])
    assert trapezoid(spectrum.intensity[inside], grid[inside]) / true_area > 1.2
    assert trapezoid(baseline(spectrum).intensity[inside], grid[inside]) == pytest.approx(true_area, rel=0.03)


def test_baseline_window_narrower_than_the_envelope_eats_it():
    spectrum, signal, _, mz = cluster_spectrum(resolving_power=8_000, z=6)
    grid = spectrum.mz
    inside = (grid > mz[0] - 1.0) & (grid < mz[-1] + 1.0)
    area = trapezoid(baseline(spectrum, window_mz=2.0).intensity[inside], grid[inside])
    assert area < 0.8 * trapezoid(signal[inside], grid[inside])


def test_baseline_returns_new_values_and_keeps_the_rest():
    spectrum, *_ = cluster_spectrum()
    before = spectrum.intensity.copy()
    out = baseline(spectrum)
    assert out is not spectrum
    assert np.array_equal(spectrum.intensity, before)
    assert np.array_equal(out.mz, spectrum.mz)
    assert out.polarity == "negative" and out.mode == "profile"
    assert out.intensity.min() >= 0.0
    estimate = estimate_baseline(spectrum)
    assert estimate.shape == spectrum.mz.shape and estimate.flags.writeable


# ---------------------------------------------------------------- smoothing


@pytest.mark.parametrize(
    ("method", "width_mz"), [("savgol", None), ("savgol", 0.04), ("gaussian", None), ("gaussian", 0.03)]
)
def test_smoothing_preserves_area_and_position_and_lowers_noise(method, width_mz):
    spectrum, signal, background, mz = cluster_spectrum(noise=5.0, seed=3)
    out = smooth(spectrum, method=method, width_mz=width_mz)
    grid = spectrum.mz
    assert trapezoid(out.intensity, grid) == pytest.approx(trapezoid(spectrum.intensity, grid), rel=1e-3)
    quiet = grid < mz[0] - 10.0
    residual_before = spectrum.intensity - signal - background
    residual_after = out.intensity - signal - background
    assert residual_after[quiet].std() < 0.8 * residual_before[quiet].std()
    # The strongest isotope peaks do not move.
    clean = Spectrum(grid, signal, mode="profile")
    picked = pick_peaks(smooth(clean, method=method, width_mz=width_mz), noise=1.0)
    strong = picked.height > 0.3 * picked.height.max()
    nearest = mz[np.abs(picked.centroid_mz[strong][:, None] - mz[None, :]).argmin(axis=1)]
    assert np.abs(picked.centroid_mz[strong] / nearest - 1).max() < 1e-6


def test_smoothing_refuses_centroid_data_and_bad_options():
    s = spec([1.0, 2.0, 3.0], [1.0, 2.0, 1.0], mode="centroid")
    with pytest.raises(OptionError, match="profile"):
        smooth(s)
    p = spec([1.0, 2.0, 3.0], [1.0, 2.0, 1.0])
    with pytest.raises(OptionError, match=r"method must be 'savgol' or 'gaussian', got 'box'"):
        smooth(p, method="box")
    with pytest.raises(OptionError, match="width_mz"):
        smooth(p, width_mz=-0.1)


# ---------------------------------------------------------------- noise


def crowded_spectrum(sigma, *, seed, clip_baseline=False):
    """Eighteen envelopes over 1500-1700 m/z: most of the range carries peaks."""
    rng = np.random.default_rng(seed)
    grid = tof_grid(1500.0, 1700.0, 8, 20_000)
    parts = [
        envelope(start, int(z), n_ag=int(n), scale=float(h))
        for start, z, n, h in zip(
            np.linspace(1505.0, 1680.0, 18),
            rng.integers(2, 7, 18),
            rng.integers(25, 60, 18),
            rng.uniform(200.0, 5000.0, 18),
            strict=True,
        )
    ]
    mz = np.concatenate([p[0] for p in parts])
    inten = np.concatenate([p[1] for p in parts])
    y = profile(grid, mz, inten, 20_000) + rng.normal(0.0, sigma, grid.size)
    if clip_baseline:
        y = np.clip(y, 0.0, None)
    return Spectrum(grid, y, mode="profile")


@pytest.mark.parametrize("sigma", [1.0, 5.0, 20.0])
@pytest.mark.parametrize("clip_baseline", [False, True])
def test_noise_level_is_not_fooled_by_many_peaks(sigma, clip_baseline):
    spectrum = crowded_spectrum(sigma, seed=int(sigma), clip_baseline=clip_baseline)
    assert noise_level(spectrum) == pytest.approx(sigma, rel=0.2)


def test_naive_noise_estimates_are_fooled_by_the_same_peaks():
    # So that the test above has teeth: the global MAD of differences or of the
    # intensities is far off on the same data.
    spectrum = crowded_spectrum(5.0, seed=5)
    y = spectrum.intensity
    mad_diff = np.median(np.abs(np.diff(y))) / 0.6745 / math.sqrt(2)
    mad = np.median(np.abs(y - np.median(y))) / 0.6745
    assert abs(mad_diff / 5.0 - 1) > 0.2 or abs(mad / 5.0 - 1) > 0.2
    assert np.std(y) > 10 * 5.0
    assert noise_level(spectrum) == pytest.approx(5.0, rel=0.2)  # where noise_level is not


def test_noise_level_of_centroid_and_trivial_spectra():
    c = spec([1.0, 2.0, 3.0, 4.0], [0.0, 2.0, 3.0, 100.0], mode="centroid")
    assert noise_level(c) == 3.0
    assert noise_level(spec([], [])) == 0.0
    assert noise_level(Spectrum(np.arange(50.0), np.zeros(50))) == 0.0


# ---------------------------------------------------------------- peaks


@pytest.mark.parametrize("method", ["gaussian", "parabola", "weighted"])
def test_centroids_are_within_2_ppm_in_noise_free_data(method):
    grid = tof_grid(1550.0, 1650.0, 10, 20_000)
    mz, inten = envelope(1590.0, 3, scale=1000.0)
    spectrum = Spectrum(grid, profile(grid, mz, inten, 20_000), mode="profile")
    peaks = pick_peaks(spectrum, centroid_method=method, noise=0.1)
    strong = inten > 0.01 * inten.max()
    found = np.abs(peaks.centroid_mz[:, None] - mz[None, strong]).argmin(axis=0)
    error_ppm = (peaks.centroid_mz[found] / mz[strong] - 1) * 1e6
    assert np.abs(error_ppm).max() < 2.0
    # Apex m/z is a grid point, so it is off by up to half a sampling step (~5 ppm).
    assert np.abs(peaks.apex_mz[found] / mz[strong] - 1).max() < 1e-5
    assert np.all(np.diff(peaks.centroid_mz) > 0)
    if method == "gaussian":
        assert np.abs(error_ppm).max() < 0.01  # exact for Gaussian peaks
        fwhm = mz[strong] / 20_000
        assert peaks.fwhm[found] == pytest.approx(fwhm, rel=0.02)
        assert peaks.height[found] == pytest.approx(inten[strong], rel=0.01)
        area = inten[strong] * fwhm / FWHM_PER_SIGMA * math.sqrt(2 * math.pi)
        assert peaks.area[found] == pytest.approx(area, rel=0.01)
        assert np.all(peaks.resolved[found])


def test_picked_peaks_respect_min_snr_and_report_snr():
    spectrum, _, _, mz = cluster_spectrum(noise=5.0, seed=8)
    corrected = baseline(spectrum)
    peaks = pick_peaks(corrected, min_snr=5.0)
    assert peaks.noise == pytest.approx(5.0, rel=0.2)
    assert np.all(peaks.snr >= 5.0)
    assert abs(peaks.floor) < 0.5 * peaks.noise
    assert np.allclose(peaks.snr, (peaks.height - peaks.floor) / peaks.noise)
    # Nearly every picked peak is a real isotope peak (noise wiggles are rejected by
    # the prominence test), and strong peaks are centred within 3 ppm.
    distance = np.abs(peaks.centroid_mz[:, None] - mz[None, :]).min(axis=1)
    assert np.mean(distance < 0.02) > 0.95
    strong = peaks.snr > 50
    assert strong.sum() > 20
    assert (distance[strong] / peaks.centroid_mz[strong]).max() < 3e-6
    fewer = pick_peaks(corrected, min_snr=20.0)
    assert 0 < len(fewer) < len(peaks)


def test_centroid_mode_is_thresholded_and_centroid_makes_centroid_spectra():
    c = spec([100.0, 101.0, 102.0, 103.0], [1.0, 1.0, 10.0, 2.5], mode="centroid")
    peaks = pick_peaks(c, min_snr=2.0, noise=1.0)
    assert list(peaks.centroid_mz) == [102.0, 103.0]
    assert np.isnan(peaks.fwhm).all()
    spectrum, *_ = cluster_spectrum(seed=4)
    corrected = baseline(spectrum)
    by_height = centroid(corrected)
    by_area = centroid(corrected, intensity="area")
    assert by_height.mode == "centroid" and by_height.polarity == "negative"
    assert len(by_height) == len(pick_peaks(corrected))
    assert np.array_equal(by_height.mz, by_area.mz)
    assert np.all(by_area.intensity < by_height.intensity)  # FWHM ~ 0.08 m/z


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda s: pick_peaks(s, min_snr=0.0), "min_snr must be a finite number > 0"),
        (lambda s: pick_peaks(s, min_snr=-1), "min_snr"),
        (lambda s: pick_peaks(s, centroid_method="mean"), "'gaussian', 'parabola' or 'weighted'"),
        (lambda s: pick_peaks(s, noise=-1.0), "noise"),
        (lambda s: centroid(s, intensity="sum"), "intensity must be 'height' or 'area'"),
        (lambda s: baseline(s, method="als"), "method must be 'snip' or 'minimum', got 'als'"),
        (lambda s: baseline(s, window_mz=0), "window_mz"),
        (lambda s: estimate_baseline(s, window_mz=float("nan")), "window_mz"),
        (lambda s: estimate_resolution(s, min_snr=0), "min_snr"),
    ],
)
def test_invalid_options_raise_option_error_naming_the_parameter(call, needle):
    s = spec([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], mode="profile")
    with pytest.raises(OptionError, match=needle):
        call(s)


def test_non_finite_intensities_are_refused():
    s = spec([1.0, 2.0, 3.0], [0.0, np.nan, 0.0])
    with pytest.raises(ClustermsError, match="non-finite"):
        pick_peaks(s)


# ---------------------------------------------------------------- resolution


@pytest.mark.parametrize("resolving_power", [8_000, 20_000, 40_000])
def test_estimate_resolution_within_10_percent(resolving_power):
    # A 3- envelope (resolved isotopes) and a stronger 4- envelope whose isotopes, 0.25 m/z
    # apart, merge at R = 8000 and would make the instrument look worse than it is.
    rng = np.random.default_rng(1)
    grid = tof_grid(1550.0, 1700.0, 10, resolving_power)
    m3, i3 = envelope(1590.0, 3, scale=1000.0)
    m4, i4 = envelope(1640.0, 4, scale=3000.0)
    y = profile(grid, np.r_[m3, m4], np.r_[i3, i4], resolving_power)
    y += hump(grid) + rng.normal(0.0, 5.0, grid.size)
    spectrum = Spectrum(grid, y, mode="profile")
    estimate = estimate_resolution(smooth(baseline(spectrum)))
    assert estimate == pytest.approx(resolving_power, rel=0.1)


def test_estimate_resolution_without_peaks_is_nan():
    flat = Spectrum(np.linspace(1000, 1001, 100), np.zeros(100), mode="profile")
    assert math.isnan(estimate_resolution(flat))
    assert math.isnan(estimate_resolution(flat.replace(mode="centroid")))


# ---------------------------------------------------------------- calibration


def calibrants(*, offset, drift, n=60, outliers=0.1, noise_ppm=0.3, seed=0):
    rng = np.random.default_rng(seed)
    theoretical = np.sort(rng.uniform(500.0, 5000.0, n))
    error = offset + drift * theoretical / 1000.0 + rng.normal(0.0, noise_ppm, n)
    bad = rng.choice(n, round(outliers * n), replace=False)
    error[bad] += rng.choice([-1, 1], bad.size) * rng.uniform(20.0, 200.0, bad.size)
    return theoretical * (1 + error * 1e-6), theoretical, bad


def test_fit_calibration_recovers_offset_and_drift_despite_outliers():
    observed, theoretical, bad = calibrants(offset=15.0, drift=5.0)
    cal = fit_calibration(observed, theoretical, model="linear")
    assert cal.ppm_offset == pytest.approx(15.0, abs=0.5)
    assert cal.ppm_slope_per_kmz == pytest.approx(5.0, abs=0.5)
    assert cal.n_points == observed.size - bad.size
    assert cal.rms_ppm == pytest.approx(0.3, abs=0.15)
    corrected = cal.apply(observed)
    good = np.setdiff1d(np.arange(observed.size), bad)
    assert np.abs(corrected[good] / theoretical[good] - 1).max() < 1.5e-6


def test_fit_calibration_is_robust_where_least_squares_is_thrown_off():
    observed, theoretical, _ = calibrants(offset=15.0, drift=5.0, seed=4)
    error = (observed - theoretical) / theoretical * 1e6
    slope, offset = np.polyfit(theoretical / 1000.0, error, 1)
    assert abs(offset - 15.0) > 0.5 or abs(slope - 5.0) > 0.5  # the outliers matter here
    cal = fit_calibration(observed, theoretical, model="linear")
    assert cal.ppm_offset == pytest.approx(15.0, abs=0.5)
    assert cal.ppm_slope_per_kmz == pytest.approx(5.0, abs=0.5)


def test_fit_calibration_offset_model_and_weights():
    observed, theoretical, bad = calibrants(offset=15.0, drift=0.0, seed=2)
    cal = fit_calibration(observed, theoretical)
    assert cal.ppm_offset == pytest.approx(15.0, abs=0.5)
    assert cal.ppm_slope_per_kmz == 0.0
    weights = np.ones(observed.size)
    weights[bad] = 0.0
    weighted = fit_calibration(observed, theoretical, weights=weights)
    assert weighted.n_points == observed.size - bad.size
    assert weighted.ppm_offset == pytest.approx(15.0, abs=0.3)


def test_calibration_apply_inverts_the_model_and_recalibrate_moves_the_spectrum():
    cal = Calibration(ppm_offset=15.0, ppm_slope_per_kmz=5.0)
    true = np.array([500.0, 1604.2, 3198.7, 5000.0])
    observed = true * (1 + cal.ppm_error(true) * 1e-6)
    assert np.allclose(cal.apply(observed), true, rtol=1e-12, atol=0)
    spectrum = spec(observed, [1.0, 2.0, 3.0, 4.0], mode="centroid", metadata={"a": 1})
    moved = recalibrate(spectrum, cal)
    assert np.allclose(moved.mz, true, rtol=1e-12, atol=0)
    assert np.array_equal(moved.intensity, spectrum.intensity)
    assert moved.metadata["a"] == 1 and moved.mode == "centroid"
    assert np.array_equal(cal.apply_spectrum(spectrum).mz, moved.mz)
    with pytest.raises(dataclasses_frozen_error()):
        cal.ppm_offset = 0.0  # type: ignore[misc]


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


@pytest.mark.parametrize(
    ("args", "kwargs", "needle"),
    [
        (([1000.0], [1000.0, 2000.0]), {}, "differ in length"),
        (([1000.0], [1000.0]), {"model": "linear"}, "at least 2 calibrants"),
        (([1000.0, 2000.0], [1000.0, 1000.0]), {"model": "linear"}, "different m/z"),
        (([1000.0], [1000.0]), {"model": "cubic"}, "model must be 'offset' or 'linear'"),
        (([1000.0], [1000.0]), {"weights": [-1.0]}, "weights"),
        (([1000.0], [0.0]), {}, "theoretical_mz must be finite and > 0"),
        (([np.nan], [1000.0]), {}, "observed_mz"),
        (([1000.0], [1000.0]), {"weights": [0.0]}, "at least 1 calibrant"),
    ],
)
def test_fit_calibration_bad_input(args, kwargs, needle):
    with pytest.raises(OptionError, match=needle):
        fit_calibration(*args, **kwargs)


def test_recalibrate_needs_a_calibration():
    with pytest.raises(OptionError, match="calibration must be a Calibration"):
        recalibrate(spec([1.0], [1.0]), 15.0)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties

finite = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


MODES = st.sampled_from(["profile", "centroid", None])


@st.composite
def spectra(draw):
    n = draw(st.integers(0, 80))
    mz = draw(arrays(np.float64, n, elements=st.floats(1.0, 5000.0)))
    intensity = draw(arrays(np.float64, n, elements=finite))
    return Spectrum(mz, intensity, mode=draw(MODES), polarity="positive")


def check_spectrum(out, original):
    assert len(out) == len(original)
    assert np.all(np.diff(out.mz) >= 0)
    assert np.all(np.isfinite(out.intensity)) and np.all(out.intensity >= 0)
    assert out.polarity == original.polarity


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spectrum=spectra(),
    method=st.sampled_from(["snip", "minimum"]),
    window=st.floats(1e-3, 1e4),
    smoothing=st.sampled_from(["savgol", "gaussian"]),
    width=st.none() | st.floats(1e-4, 1e3),
    min_snr=st.floats(0.1, 100.0),
)
def test_processing_never_fails_on_valid_input(spectrum, method, window, smoothing, width, min_snr):
    corrected = baseline(spectrum, method=method, window_mz=window)
    check_spectrum(corrected, spectrum)
    if spectrum.mode != "centroid":
        smoothed = smooth(corrected, method=smoothing, width_mz=width)
        check_spectrum(smoothed, spectrum)
    level = noise_level(spectrum)
    assert math.isfinite(level) and level >= 0
    peaks = pick_peaks(corrected, min_snr=min_snr)
    assert np.all(np.diff(peaks.centroid_mz) >= 0)
    assert np.all(peaks.height > 0) and np.all(peaks.snr >= min_snr * (1 - 1e-9))
    assert np.all(np.isfinite(peaks.centroid_mz))
    cen = centroid(corrected, min_snr=min_snr)
    assert cen.mode == "centroid" and np.all(cen.intensity > 0)
    resolution = estimate_resolution(spectrum)
    assert math.isnan(resolution) or resolution > 0
    for env in detect_charges(peaks):
        assert 1 <= env.charge <= 8 and env.intensity > 0 and 0 <= env.score <= 1


@settings(max_examples=60, deadline=None)
@given(
    option=st.sampled_from(["window_mz", "width_mz", "min_snr", "tolerance_ppm"]),
    value=st.floats(max_value=0.0) | st.just(float("nan")) | st.just(float("inf")),
)
def test_invalid_numeric_options_always_raise_option_error(option, value):
    s = spec([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], mode="profile")
    call = {
        "window_mz": lambda: baseline(s, window_mz=value),
        "width_mz": lambda: smooth(s, width_mz=value),
        "min_snr": lambda: pick_peaks(s, min_snr=value),
        "tolerance_ppm": lambda: detect_charges(s, tolerance_ppm=value),
    }[option]
    with pytest.raises(OptionError, match=option):
        call()


@settings(max_examples=40, deadline=None)
@given(
    offset=st.floats(-50, 50),
    drift=st.floats(-20, 20),
    seed=st.integers(0, 2**16),
)
def test_calibration_round_trip(offset, drift, seed):
    observed, theoretical, _ = calibrants(offset=offset, drift=drift, n=30, outliers=0.0, noise_ppm=0.0, seed=seed)
    cal = fit_calibration(observed, theoretical, model="linear")
    assert cal.ppm_offset == pytest.approx(offset, abs=1e-3)
    assert cal.ppm_slope_per_kmz == pytest.approx(drift, abs=1e-3)
    assert np.allclose(cal.apply(observed), theoretical, rtol=1e-10, atol=0)


def test_spectrum_replace_keeps_values_immutable_and_checks_fields() -> None:
    s = Spectrum([3.0, 1.0, 2.0], [30.0, 10.0, 20.0], mode="profile", polarity="negative", metadata={"a": 1})
    y = np.array([1.0, 2.0, 3.0])
    t = s.replace(intensity=y)
    y[0] = 99.0  # the caller's array is copied, not kept
    assert t.intensity.tolist() == [1.0, 2.0, 3.0] and not t.intensity.flags.writeable
    assert t.mz is s.mz and (t.polarity, t.mode, dict(t.metadata)) == ("negative", "profile", {"a": 1})
    assert s.intensity.tolist() == [10.0, 20.0, 30.0]
    assert s.replace(intensity=[5, 6, 7], mode="centroid").mode == "centroid"
    moved = s.replace(mz=[4.0, 5.0, 6.0])
    assert moved.mz.tolist() == [4.0, 5.0, 6.0] and moved.intensity is not s.intensity
    with pytest.raises(InputFileError, match="differ in length"):
        s.replace(intensity=[1.0, 2.0])
    with pytest.raises(InputFileError, match="mode"):
        s.replace(intensity=[1.0, 2.0, 3.0], mode="bad")
    for bad in ({"intensity": [1.0, 2.0, 3.0], "colour": 1}, {"colour": 1}):
        with pytest.raises(TypeError, match="colour"):
            s.replace(**bad)


def test_spectrum_pickles() -> None:
    import pickle

    s = Spectrum([1.0, 2.0], [3.0, 4.0], polarity="negative", mode="profile", metadata={"scan": "1"})
    t = pickle.loads(pickle.dumps(s))
    assert t.mz.tolist() == [1.0, 2.0] and t.intensity.tolist() == [3.0, 4.0]
    assert (t.polarity, t.mode, dict(t.metadata)) == ("negative", "profile", {"scan": "1"})
    assert not t.mz.flags.writeable
