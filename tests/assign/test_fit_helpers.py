"""Small numerical helpers of the fit, against numpy."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from clusterms.assign.fit import _gradient, _window_maxima


@given(st.integers(2, 60), st.integers(0, 2**32 - 1))
def test_gradient_is_numpys(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.01, 1.0, n)) + 500.0  # strictly increasing, uneven steps
    f = rng.normal(size=n)
    np.testing.assert_allclose(_gradient(f, x), np.gradient(f, x), rtol=1e-12, atol=1e-12)


@given(st.integers(1, 300), st.integers(0, 2**32 - 1), st.floats(1e-5, 1e-2))
def test_window_maxima_is_a_brute_force_maximum(n: int, seed: int, half: float) -> None:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(1000.0, 1010.0, n))
    y = rng.random(n)
    centres = rng.uniform(995.0, 1015.0, 20)
    got = _window_maxima(x, y, centres, half)
    between = np.interp(centres, x, y, left=0.0, right=0.0)
    for c, g, b in zip(centres, got, between, strict=True):
        inside = (x >= c * (1 - half)) & (x <= c * (1 + half))
        assert g == (y[inside].max() if inside.any() else b)
