"""Non-negative least squares (Lawson-Hanson active set) on the normal equations.

scipy.optimize.nnls does the same job, but importing scipy.optimize costs 1.5-2 s on this
class of machine, more than a whole `clusterms assign` run may take. The fitted systems are
tall and thin (thousands of grid points, a few to a few hundred candidates), so working with
``A.T @ A`` (n x n) is both fast and, with columns scaled to unit norm, accurate. The tests
check this implementation against scipy.optimize.nnls.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["nnls"]


def nnls(a: NDArray[np.float64], b: NDArray[np.float64], /, *, max_iter: int | None = None) -> NDArray[np.float64]:
    """Solve ``min ||a x - b||`` subject to ``x >= 0``.

    Parameters
    ----------
    a
        (m, n) design matrix.
    b
        (m,) observations.
    max_iter
        Outer iterations allowed (default ``3 n``).

    Returns
    -------
    x
        (n,) non-negative solution.
    """
    ata = a.T @ a
    atb = a.T @ b
    return nnls_normal(ata, atb, max_iter=max_iter)


def nnls_normal(ata: NDArray[np.float64], atb: NDArray[np.float64], /, *,
                max_iter: int | None = None) -> NDArray[np.float64]:
    """NNLS given the normal equations ``ata = A.T A`` and ``atb = A.T b``."""
    n = atb.size
    x = np.zeros(n)
    if n == 0:
        return x
    if n == 1:  # one column (an isolated envelope): the projection, clipped at zero
        if ata[0, 0] > 0 and atb[0] > 0:
            x[0] = atb[0] / ata[0, 0]
        return x
    passive = np.zeros(n, dtype=bool)
    # The gradient w = A.T (b - A x) carries the units of A.T b: a tolerance relative to it
    # makes the answer invariant to the scale of the data and of the matrix (one fixed by
    # A.T A alone zeroed every component of data scaled by 1e-13).
    tol = 1e-12 * n * float(np.abs(atb).max())
    w = atb - ata @ x
    limit = max_iter if max_iter is not None else 3 * n + 10
    for _ in range(limit):
        free = ~passive
        if not free.any() or np.all(w[free] <= tol):
            break
        j = int(np.argmax(np.where(free, w, -np.inf)))
        passive[j] = True
        while True:
            s = np.zeros(n)
            idx = np.nonzero(passive)[0]
            sub = ata[np.ix_(idx, idx)]
            try:
                s[idx] = np.linalg.solve(sub, atb[idx])
            except np.linalg.LinAlgError:
                s[idx] = np.linalg.lstsq(sub, atb[idx], rcond=None)[0]
            if np.all(s[idx] > 0):
                break
            neg = passive & (s <= 0)
            denom = x[neg] - s[neg]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.where(denom > 0, x[neg] / denom, np.inf)
            alpha = float(min(1.0, ratios.min())) if ratios.size else 0.0
            x = x + alpha * (s - x)
            passive &= x > 1e-15 * (np.abs(x).max() or 1.0)
            x[~passive] = 0.0
            if not passive.any():
                s = np.zeros(n)
                break
        x = s
        w = atb - ata @ x
    return np.maximum(x, 0.0)
