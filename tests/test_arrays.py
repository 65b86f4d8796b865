from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterms._arrays import median, quantile, unique_sorted


@given(arrays(np.float64, st.integers(0, 50), elements=st.floats(-5, 5, allow_nan=False).map(round)))
def test_unique_sorted_matches_numpy(a: np.ndarray) -> None:
    assert np.array_equal(unique_sorted(a), np.unique(a))


def test_unique_sorted_of_integers_and_2d() -> None:
    a = np.array([[3, 1], [3, 2]])
    got = unique_sorted(a)
    assert got.tolist() == [1, 2, 3] and got.dtype == a.dtype


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(arrays(np.float64, st.integers(1, 60), elements=finite), st.floats(0.0, 1.0))
def test_quantile_and_median_match_numpy(a: np.ndarray, q: float) -> None:
    assert quantile(a, q) == pytest.approx(float(np.quantile(a, q)), rel=1e-12, abs=1e-9)
    assert median(a) == pytest.approx(float(np.median(a)), rel=1e-12, abs=1e-9)


def test_median_edge_cases() -> None:
    assert median(np.array([3.0, 1.0, 2.0, 10.0])) == 2.5
    assert median(np.array([[5.0]])) == 5.0
    assert np.isnan(median(np.zeros(0)))
    assert np.isnan(median(np.array([1.0, np.nan, 2.0])))
    with pytest.raises(ValueError, match="quantile"):
        quantile(np.ones(3), 1.5)
