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
