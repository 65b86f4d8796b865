import numpy as np
import pytest
from scipy.optimize import nnls as scipy_nnls

from clusterms.assign.nnls import nnls


@pytest.mark.parametrize("seed", range(12))
def test_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(5, 200), rng.integers(1, 30)
    a = rng.normal(size=(m, n))
    if seed % 3 == 0:  # near-collinear columns, as for a species and its protonated form
        a[:, -1] = a[:, 0] + 1e-3 * rng.normal(size=m)
    b = rng.normal(size=m) + a @ np.abs(rng.normal(size=n))
    ours = nnls(a, b)
    ref, _ = scipy_nnls(a, b)
    assert np.all(ours >= 0)
    # Same optimum (the objective is convex; solutions agree where it is strictly convex).
    assert np.linalg.norm(a @ ours - b) == pytest.approx(np.linalg.norm(a @ ref - b), rel=1e-7, abs=1e-9)


def test_exact_recovery_of_non_negative_mixture():
    rng = np.random.default_rng(1)
    a = np.abs(rng.normal(size=(300, 8)))
    truth = np.array([0, 2.0, 0, 0.5, 7.0, 0, 0, 1e-3])
    x = nnls(a, a @ truth)
    np.testing.assert_allclose(x, truth, atol=1e-9)


def test_all_negative_target_gives_zero():
    a = np.eye(4)
    assert np.all(nnls(a, -np.ones(4)) == 0)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("seed", range(4))
def test_one_column_matches_scipy(seed, sign):
    rng = np.random.default_rng(seed)
    a = np.abs(rng.normal(size=(50, 1)))
    b = sign * a[:, 0] * 3.0 + rng.normal(size=50)
    ours, (ref, _) = nnls(a, b), scipy_nnls(a, b)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert nnls(np.zeros((5, 1)), np.ones(5)).tolist() == [0.0]


def test_fit_regions_isolated_and_overlapping_columns():
    from clusterms.assign.fit import Column, fit_regions

    x = np.linspace(0.0, 1.0, 40)
    g = np.exp(-0.5 * ((np.arange(10) - 4.5) / 1.5) ** 2)
    iso = Column(index=0, lo=0, hi=10, values=g)           # alone
    left = Column(index=1, lo=20, hi=30, values=g)         # these two overlap
    right = Column(index=2, lo=24, hi=34, values=g)
    y = np.zeros(40)
    y[0:10] += 2.0 * g
    y[20:30] += 1.0 * g
    y[24:34] += 0.5 * g
    res = fit_regions(x, y, [iso, left, right])
    np.testing.assert_allclose(res.amplitude, [2.0, 1.0, 0.5], rtol=1e-10)
    np.testing.assert_allclose(res.model, y, atol=1e-12)
    assert res.region_of[0] != res.region_of[1] == res.region_of[2]


def _normalised_problem(seed):
    """Unit-norm non-negative columns (as fit_regions builds them), components spanning four
    decades and some inactive, plus noise."""
    rng = np.random.default_rng(seed)
    a = np.abs(rng.normal(size=(200, 8)))
    a /= np.linalg.norm(a, axis=0)
    truth = np.array([0, 2.0, 0, 0.5, 7.0, 0, 0, 1e-3])
    return a, a @ truth + 1e-3 * rng.normal(size=200)


@pytest.mark.parametrize("scale", [10.0**k for k in range(-12, 13, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_scale_invariant_over_24_decades(seed, scale):
    a, b = _normalised_problem(seed)
    ref, _ = scipy_nnls(a, b)
    assert 3 <= np.count_nonzero(ref) < 8  # some components active, some held at zero
    # Data scaled: the solution scales with it.
    np.testing.assert_allclose(nnls(a, scale * b) / scale, ref, rtol=1e-9, atol=1e-9 * ref.max())
    # Matrix scaled: the solution scales inversely.
    np.testing.assert_allclose(nnls(scale * a, b) * scale, ref, rtol=1e-9, atol=1e-9 * ref.max())


def test_small_component_kept_at_tight_tolerance():
    # A component 1e-8 of the largest, on well-separated columns: recoverable in float64; a
    # tolerance loosened a million-fold would hold it at zero.
    a, _ = _normalised_problem(7)
    truth = np.array([0, 1.0, 0, 0, 0, 0, 0, 1e-8])
    x = nnls(a, a @ truth)
    assert x[7] == pytest.approx(1e-8, rel=1e-6)
    np.testing.assert_allclose(x, truth, rtol=1e-6, atol=1e-15)
