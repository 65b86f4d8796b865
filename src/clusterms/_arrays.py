"""Small array helpers shared by several modules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["unique_sorted"]


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
