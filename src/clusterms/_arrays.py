"""Small array helpers shared by several modules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["median", "quantile", "theil_sen", "unique_sorted"]


def unique_sorted(a: NDArray[Any], /) -> NDArray[Any]:
    """Sorted distinct values of ``a`` (what ``np.unique(a)`` returns).

    numpy >= 2.3's ``np.unique`` imports ``numpy.ma`` on first use (about 20 ms), a cost
    the command line should not pay for a sort.
    """
    s = np.sort(np.ravel(a))
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def median(a: NDArray[Any], /) -> float:
    """Median of all values of ``a`` (NaN if empty or if any value is NaN), as ``np.median``.

    ``np.median`` and ``np.quantile`` import ``numpy.ma`` on first use (about 15 ms of every
    command-line run); a partition does the same work.
    """
    return quantile(a, 0.5)


def quantile(a: NDArray[Any], q: float, /) -> float:
    """The ``q`` quantile of all values of ``a`` with linear interpolation (numpy's default)."""
    v = np.asarray(a, dtype=np.float64).ravel()
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {q!r}")
    if v.size == 0 or np.isnan(v).any():
        return float("nan")
    pos = q * (v.size - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, v.size - 1)
    part = np.partition(v, [lo, hi]) if hi != lo else np.partition(v, lo)
    low, high, t = float(part[lo]), float(part[hi]), pos - lo
    # numpy's lerp: exact at both ends, monotonic in t
    return high - (high - low) * (1.0 - t) if t >= 0.5 else low + (high - low) * t


_THEIL_SEN_MAX_POINTS = 1500  # pairwise slopes on at most this many points


def theil_sen(x: NDArray[np.float64], y: NDArray[np.float64], /) -> NDArray[np.float64]:
    """Robust straight line ``[intercept, slope]`` of ``y`` against ``x`` (Theil-Sen): the
    median of the pairwise slopes (over at most 1500 evenly taken points), and the median
    of the residuals as intercept. One point gives slope 0."""
    step = max(1, x.size // _THEIL_SEN_MAX_POINTS)
    xs, ys = x[::step], y[::step]
    i, j = np.triu_indices(xs.size, k=1)
    dx = xs[j] - xs[i]
    keep = dx != 0
    slope = median((ys[j] - ys[i])[keep] / dx[keep]) if keep.any() else 0.0
    return np.array([median(y - slope * x), slope])
