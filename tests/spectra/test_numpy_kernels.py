"""The numpy kernels of clusterms.spectra._kernels against the scipy routines they replace.

scipy is the oracle here (test-only): peaks, prominences, widths and the trapezoid integral
must agree bit for bit, the running minimum and maximum exactly, the running mean to
rounding, connected components label for label. Then the processing steps are run once on
the kernels and once on scipy (the kernels swapped for scipy wrappers) and must agree, and
a fresh interpreter must be able to import the processing modules, and pick peaks, without
importing the slow scipy subpackages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from scipy import ndimage, sparse
from scipy import signal as sps
from scipy.integrate import cumulative_trapezoid
from scipy.sparse import csgraph

from clusterms.spectra import Spectrum, _kernels, baseline, charge, peaks
from clusterms.spectra.processing import detect_charges, estimate_baseline, pick_peaks

# ---------------------------------------------------------------- test signals


def tof_profile(seed, *, n=6000, noise=3.0, clip=True):
    """Gaussian isotope-like peaks on a TOF grid with noise, clipped at zero (flat zeros)."""
    rng = np.random.default_rng(seed)
    mz = 1500.0 * np.exp(np.arange(n) / 200_000.0)
    y = np.zeros(n)
    for centre in rng.uniform(mz[50], mz[-50], 40):
        sigma = centre / 20_000 / 2.3548
        y += rng.uniform(20, 2000) * np.exp(-0.5 * ((mz - centre) / sigma) ** 2)
    y += rng.normal(0.0, noise, n)
    return mz, np.clip(y, 0.0, None) if clip else y


def _signals():
    rng = np.random.default_rng(7)
    n = 3000
    runs = rng.integers(1, 6, 800)
    yield "normal noise", rng.normal(size=n)
    yield "quantised noise (plateaus)", np.round(rng.normal(size=n) * 2.0)
    yield "steps of random length", np.repeat(rng.integers(0, 5, runs.size).astype(float), runs)
    yield "few levels", rng.integers(0, 3, n).astype(float)
    yield "clipped noise (flat zeros)", np.clip(rng.normal(size=n), 0.0, None)
    yield "tof profile", tof_profile(1)[1]
    yield "tof profile unclipped", tof_profile(2, noise=0.5, clip=False)[1]
    yield "random walk", np.cumsum(rng.normal(size=n))
    yield "valley with ripple", np.abs(np.arange(n) - n / 2.0) + 3.0 * (np.arange(n) % 2)
    yield "ramp with ripple", np.arange(n) * 0.1 + np.tile([0.0, 1.0, 0.5], n // 3)
    yield "equal peaks", np.tile([0.0, 1.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0], 200)
    yield "flat", np.full(200, 4.0)
    yield "plateaus at both ends", np.array([3.0, 3.0, 1.0, 2.0, 2.0, 2.0, 0.0, 5.0, 5.0])
    yield "one plateau", np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    yield "tiny", np.array([0.0, 1.0, 0.0])
    yield "too short", np.array([1.0, 2.0])
    yield "empty", np.zeros(0)
    yield "subnormal", np.array([0.0, 5e-324, 1e-323, 5e-324, 0.0, 1e-300, 0.0])


SIGNALS = list(_signals())
IDS = [name for name, _ in SIGNALS]


def _quantile(x, q):
    return float(np.quantile(x, q)) if x.size else 0.0


# ---------------------------------------------------------------- peaks


@pytest.mark.parametrize(("name", "x"), SIGNALS, ids=IDS)
def test_local_maxima_match_scipy(name, x):
    expected = sps.find_peaks(x)[0]
    got = _kernels.local_maxima(x)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.intp
    for q in (0.3, 0.9):
        h = _quantile(x, q)
        np.testing.assert_array_equal(_kernels.local_maxima(x, height=h), sps.find_peaks(x, height=h)[0])


@pytest.fixture(params=[0, 8, 10_000], ids=["tables only", "hybrid", "jumps only"])
def walk(request, monkeypatch):
    """The prominence walk with its sparse tables alone, as shipped, and pointer jumping alone."""
    monkeypatch.setattr(_kernels, "_JUMP_ROUNDS", request.param)


@pytest.mark.parametrize(("name", "x"), SIGNALS, ids=IDS)
def test_prominences_of_all_maxima_match_scipy(walk, name, x):
    found = sps.find_peaks(x)[0]
    expected = sps.peak_prominences(x, found)[0]
    np.testing.assert_array_equal(_kernels.peak_prominences(x, found), expected)


@pytest.mark.parametrize(("name", "x"), SIGNALS, ids=IDS)
@pytest.mark.parametrize("height_q", [None, 0.5, 0.95])
@pytest.mark.parametrize("prominence_q", [None, 0.0, 0.1, 0.5])
def test_find_peaks_matches_scipy(name, x, height_q, prominence_q):
    height = None if height_q is None else _quantile(x, height_q)
    spread = float(np.ptp(x)) if x.size else 0.0
    prominence = None if prominence_q is None else prominence_q * spread
    expected, props = sps.find_peaks(x, height=height, prominence=prominence)
    got, prom = _kernels.find_peaks(x, height=height, prominence=prominence)
    np.testing.assert_array_equal(got, expected)
    if prominence is None:
        assert prom is None
    else:
        np.testing.assert_array_equal(prom, props["prominences"])


@pytest.mark.parametrize("seed", range(25))
def test_find_peaks_matches_scipy_on_random_signals(walk, seed):
    """Random lengths, levels and plateau shares, so ties between peaks are common."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 4000))
    levels = int(rng.integers(2, 50))
    x = rng.integers(0, levels, n).astype(float)
    x = np.repeat(x, rng.integers(1, 4, n))[:n] if seed % 2 else x
    x = x + rng.normal(0, 0.01, x.size) * (seed % 3 == 0)
    for prominence in (0.0, 1.0, levels / 3.0):
        expected, props = sps.find_peaks(x, height=levels / 4.0, prominence=prominence)
        got, prom = _kernels.find_peaks(x, height=levels / 4.0, prominence=prominence)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(prom, props["prominences"])


def test_prominence_walk_handles_long_slopes_quickly():
    """A valley-shaped train of peaks, where each peak's higher neighbour is far away."""
    n = 200_001
    x = np.abs(np.arange(n) - n // 2) + 2.0 * (np.arange(n) % 2)
    found = sps.find_peaks(x)[0]
    # scipy's walk is O(n) per peak here; check a sample against a brute-force walk.
    prom = _kernels.peak_prominences(x, found)
    for k in np.random.default_rng(0).integers(0, found.size, 50):
        p = int(found[k])
        left = p
        while left > 0 and x[left - 1] <= x[p]:
            left -= 1
        right = p
        while right < n - 1 and x[right + 1] <= x[p]:
            right += 1
        assert prom[k] == x[p] - max(x[left : p + 1].min(), x[p : right + 1].min())


def _scipy_widths(x, found, rel_height, prominence_data):
    with warnings.catch_warnings():  # scipy warns about zero widths; the kernel does not
        warnings.filterwarnings("ignore", "some peaks have a width of 0", RuntimeWarning)
        return sps.peak_widths(x, found, rel_height=rel_height, prominence_data=prominence_data)


@pytest.mark.parametrize(("name", "x"), SIGNALS, ids=IDS)
@pytest.mark.parametrize("rel_height", [0.0, 0.25, 0.5, 1.0])
def test_peak_widths_match_scipy_with_scipy_bases(name, x, rel_height):
    found = sps.find_peaks(x)[0]
    prominence, left, right = sps.peak_prominences(x, found)
    expected = _scipy_widths(x, found, rel_height, (prominence, left, right))
    got = _kernels.peak_widths(
        x, found, rel_height=rel_height, prominences=prominence, left_bases=left, right_bases=right
    )
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize(("name", "x"), SIGNALS, ids=IDS)
def test_peak_widths_match_scipy_as_pick_peaks_calls_them(name, x):
    """Half height above zero, bounded by the valleys between neighbouring peaks.

    On a signal shifted to be >= 0, as pick_peaks expects it (for a negative apex the half
    height lies above the apex and scipy divides by zero on a plateau).
    """
    x = x - x.min() if x.size else x
    found = sps.find_peaks(x)[0]
    if found.size == 0:
        return
    height = x[found]
    left, right = peaks._valleys(x, found)
    expected = _scipy_widths(x, found, 0.5, (height, left, right))
    got = _kernels.peak_widths(x, found, rel_height=0.5, prominences=height, left_bases=left, right_bases=right)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_peak_widths_with_the_level_above_the_apex_are_zero():
    """A negative prominence puts the level above the apex: width 0, no warning, no inf."""
    x = np.array([-9.0, -5.0, -5.0, -7.0, -4.0, -8.0])
    found = np.array([1, 4])
    widths, level, left, right = _kernels.peak_widths(
        x, found, rel_height=0.5, prominences=x[found], left_bases=np.array([0, 3]), right_bases=np.array([3, 5])
    )
    np.testing.assert_array_equal(level, [-2.5, -2.0])
    np.testing.assert_array_equal(widths, [0.0, 0.0])
    np.testing.assert_array_equal(left, found)
    np.testing.assert_array_equal(right, found)


def test_peak_widths_follow_crossings_far_from_the_apex():
    """Crossings hundreds of points out, past the first search windows."""
    x = np.concatenate((np.linspace(0, 10, 5000), np.linspace(10, 0, 3000)[1:]))
    found = np.array([4999])
    args = (x[found], np.array([0]), np.array([x.size - 1]))
    expected = _scipy_widths(x, found, 0.5, args)
    got = _kernels.peak_widths(x, found, rel_height=0.5, prominences=args[0], left_bases=args[1], right_bases=args[2])
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    assert got[0][0] == pytest.approx(2500 + 1500, abs=1)


# ---------------------------------------------------------------- integration


@pytest.mark.parametrize("n", [1, 2, 3, 10, 10_000])
def test_cumulative_trapezoid_matches_scipy(n):
    rng = np.random.default_rng(n)
    x = np.sort(rng.uniform(100, 3000, n))
    y = rng.exponential(50.0, n)
    got = _kernels.cumulative_trapezoid(y, x)
    np.testing.assert_array_equal(got, cumulative_trapezoid(y, x, initial=0.0))
    assert got.shape == y.shape


def test_cumulative_trapezoid_of_nothing_is_empty():
    assert _kernels.cumulative_trapezoid(np.zeros(0), np.zeros(0)).shape == (0,)


# ---------------------------------------------------------------- filters


FILTER_CASES = [(n, size) for n in (1, 2, 7, 100, 5000) for size in (1, 2, 3, 4, 5, 17, 64, 101)]


@pytest.mark.parametrize(("n", "size"), FILTER_CASES)
def test_minimum_and_maximum_filters_match_scipy(n, size):
    rng = np.random.default_rng(n * 1000 + size)
    values = np.round(rng.normal(100.0, 30.0, n), 1)  # rounded: ties are common
    np.testing.assert_array_equal(
        _kernels.minimum_filter1d(values, size), ndimage.minimum_filter1d(values, size, mode="nearest")
    )
    np.testing.assert_array_equal(
        _kernels.maximum_filter1d(values, size), ndimage.maximum_filter1d(values, size, mode="nearest")
    )


@pytest.mark.parametrize(("n", "size"), FILTER_CASES)
def test_uniform_filter_matches_scipy(n, size):
    rng = np.random.default_rng(n * 1000 + size)
    values = 1e4 + rng.normal(0.0, 30.0, n)
    expected = ndimage.uniform_filter1d(values, size, mode="nearest")
    np.testing.assert_allclose(_kernels.uniform_filter1d(values, size), expected, rtol=1e-12, atol=0)


def test_filters_of_nothing_are_empty():
    for f in (_kernels.minimum_filter1d, _kernels.maximum_filter1d, _kernels.uniform_filter1d):
        assert f(np.zeros(0), 5).shape == (0,)


# ---------------------------------------------------------------- graphs


def _scipy_components(n, u, v):
    graph = sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return csgraph.connected_components(graph, directed=False)


@pytest.mark.parametrize("seed", range(12))
def test_connected_components_match_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = int(rng.integers(0, 2 * n))  # from nearly isolated nodes to one giant component
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)  # self loops and duplicates included
    count, labels = _kernels.connected_components(n, u, v)
    expected_count, expected = _scipy_components(n, u, v)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("shuffle", [False, True])
def test_connected_components_of_chains_match_scipy(shuffle):
    """Disjoint chains of linked peaks, as charge detection builds them."""
    rng = np.random.default_rng(3)
    n = 5000
    order = rng.permutation(n) if shuffle else np.arange(n)
    cut = np.sort(rng.choice(np.arange(1, n), 300, replace=False))
    chains = np.split(order, cut)
    u = np.concatenate([c[:-1] for c in chains])
    v = np.concatenate([c[1:] for c in chains])
    count, labels = _kernels.connected_components(n, u, v)
    expected_count, expected = _scipy_components(n, u, v)
    assert count == expected_count == len(chains)
    np.testing.assert_array_equal(labels, expected)


def test_connected_components_without_edges():
    empty = np.zeros(0, np.intp)
    count, labels = _kernels.connected_components(4, empty, empty)
    assert count == 4
    np.testing.assert_array_equal(labels, np.arange(4))
    count, labels = _kernels.connected_components(0, empty, empty)
    assert count == 0 and labels.size == 0


# ---------------------------------------------------------------- processing on both


def _scipy_find_peaks(x, *, height=None, prominence=None):
    found, props = sps.find_peaks(x, height=height, prominence=prominence)
    return found, props.get("prominences")


def _scipy_peak_widths(x, found, *, rel_height, prominences, left_bases, right_bases):
    return _scipy_widths(x, found, rel_height, (prominences, left_bases, right_bases))


SCIPY_KERNELS = types.SimpleNamespace(
    find_peaks=_scipy_find_peaks,
    peak_widths=_scipy_peak_widths,
    cumulative_trapezoid=lambda y, x: cumulative_trapezoid(y, x, initial=0.0),
    minimum_filter1d=lambda v, size: ndimage.minimum_filter1d(v, size, mode="nearest"),
    maximum_filter1d=lambda v, size: ndimage.maximum_filter1d(v, size, mode="nearest"),
    uniform_filter1d=lambda v, size: ndimage.uniform_filter1d(v, size, mode="nearest"),
    connected_components=lambda n, u, v: _scipy_components(n, u, v),
)


@pytest.fixture
def on_scipy(monkeypatch):
    """Run a call with the processing modules wired to scipy instead of the kernels."""

    def run(call, *args, **kwargs):
        with monkeypatch.context() as patch:
            for module in (peaks, baseline, charge):
                patch.setattr(module, "_kernels", SCIPY_KERNELS)
            return call(*args, **kwargs)

    return run


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("noise", [None, 0.0, 1.0])
def test_pick_peaks_is_the_same_on_scipy(on_scipy, seed, noise):
    mz, y = tof_profile(seed, noise=3.0 + seed)
    spectrum = Spectrum(mz, y, mode="profile")
    got = pick_peaks(spectrum, noise=noise)
    expected = on_scipy(pick_peaks, spectrum, noise=noise)
    assert len(got) == len(expected) > 0
    for field in ("centroid_mz", "apex_mz", "height", "area", "fwhm", "snr", "index", "resolved"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field), err_msg=field)


@pytest.mark.parametrize("method", ["minimum", "snip"])
def test_baseline_is_the_same_on_scipy(on_scipy, method):
    mz, y = tof_profile(5, n=20_000, clip=False)
    spectrum = Spectrum(mz, y + 300.0 * np.exp(-0.5 * ((mz - mz.mean()) / 5.0) ** 2), mode="profile")
    for window in (0.5, 3.0, 60.0):
        got = estimate_baseline(spectrum, method=method, window_mz=window)
        expected = on_scipy(estimate_baseline, spectrum, method=method, window_mz=window)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_detect_charges_is_the_same_on_scipy(on_scipy):
    rng = np.random.default_rng(11)
    parts = []
    for first, z in ((1510.0, 3), (1540.0, 2), (1580.0, 6), (1600.0, 1)):
        n = 30
        parts.append((first + np.arange(n) * 1.002_35 / z, np.exp(-0.5 * ((np.arange(n) - 15) / 5.0) ** 2)))
    mz = np.concatenate([p[0] for p in parts] + [rng.uniform(1500, 1650, 150)])
    inten = np.concatenate([p[1] for p in parts] + [rng.uniform(0.01, 0.3, 150)])
    spectrum = Spectrum(mz, inten, mode="centroid")
    got = detect_charges(spectrum)
    assert {e.charge for e in got} >= {1, 2, 3, 6}
    assert got == on_scipy(detect_charges, spectrum)


# ---------------------------------------------------------------- imports

SLOW_SCIPY = ("scipy.signal", "scipy.integrate", "scipy.ndimage", "scipy.sparse", "scipy.optimize", "scipy.stats")
XML = ("pyteomics", "lxml", "psims")

_PROBE = """
import json, sys
import numpy as np
from clusterms.spectra import processing, readers
from clusterms.spectra.processing import baseline, detect_charges, pick_peaks
from clusterms.spectra import Spectrum

path = sys.argv[1]
mz = 1500.0 * np.exp(np.arange(20_000) / 200_000.0)
y = 5.0 + 1000.0 * np.exp(-0.5 * ((mz % 1.0 - 0.5) / 0.01) ** 2)
with open(path, "w") as fh:
    fh.write("\\n".join(f"{a} {b}" for a, b in zip(mz, y)))
spectrum = readers.read_spectrum(path)
peaks = pick_peaks(baseline(spectrum))
detect_charges(peaks)
detect_charges(spectrum)
print(json.dumps(sorted(sys.modules)))
"""


def test_processing_and_text_reading_import_no_slow_scipy_or_xml_modules(tmp_path):
    """The path of ``clusterms assign`` / ``clusterms peaks`` stays fast to import."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "spectrum.txt")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    loaded = json.loads(done.stdout)
    slow = [m for m in loaded if m.startswith(SLOW_SCIPY) or m.split(".")[0] in XML]
    assert slow == []
    assert "clusterms.spectra._kernels" in loaded  # the probe did run the kernels
