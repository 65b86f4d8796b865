"""Spectra rendered without clusterms' simulator: IsoSpecPy isotopologues through a Gaussian.

Fine-structure isotopologues (IsoTotalProb, 0.9999 coverage) are binned at 1 mDa and drawn as
area-normalised Gaussians (FWHM = m/z / R) on a log grid of 6 points per FWHM. Used by the
tandem, series and acceptance tests as the oracle that clusterms did not write.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from IsoSpecPy import IsoTotalProb
from scipy.constants import physical_constants

ME = physical_constants["electron mass in u"][0]


def grid(lo: float = 250.0, hi: float = 5000.0, resolution: float = 20000.0) -> np.ndarray:
    step = 1.0 / resolution / 6.0
    return lo * np.exp(np.arange(int(np.log(hi / lo) / step)) * step)


@cache
def sticks(formula: str, charge: int) -> tuple[np.ndarray, np.ndarray]:
    """(m/z, probability) of the ion's isotopologues, binned at 1 mDa, probabilities summing to 1."""
    it = IsoTotalProb(formula=formula, prob_to_cover=0.9999)
    m = np.asarray(it.np_masses())
    p = np.asarray(it.np_probs())
    b = np.rint(m * 1000).astype(np.int64)
    _u, inv = np.unique(b, return_inverse=True)
    pm = np.bincount(inv, p)
    mm = np.bincount(inv, p * m) / pm
    mz = (mm - charge * ME) / abs(charge)
    return mz, pm / pm.sum()


def profile(x: np.ndarray, formula: str, charge: int, resolution: float) -> np.ndarray:
    """Unit-area profile of one ion on ``x``."""
    mz, p = sticks(formula, charge)
    y = np.zeros_like(x)
    keep = p > 1e-6
    for m, q in zip(mz[keep], p[keep], strict=True):
        s = m / resolution / 2.354820045
        i0, i1 = np.searchsorted(x, [m - 5 * s, m + 5 * s])
        y[i0:i1] += q / (s * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x[i0:i1] - m) / s) ** 2)
    return y
