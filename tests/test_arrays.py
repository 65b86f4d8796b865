from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterms._arrays import unique_sorted


@given(arrays(np.float64, st.integers(0, 50), elements=st.floats(-5, 5, allow_nan=False).map(round)))
def test_unique_sorted_matches_numpy(a: np.ndarray) -> None:
    assert np.array_equal(unique_sorted(a), np.unique(a))


def test_unique_sorted_of_integers_and_2d() -> None:
    a = np.array([[3, 1], [3, 2]])
    got = unique_sorted(a)
    assert got.tolist() == [1, 2, 3] and got.dtype == a.dtype
