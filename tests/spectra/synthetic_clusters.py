"""Synthetic silver-cluster isotope envelopes and profile spectra shared by the processing tests."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom, poisson

SPACING = 1.002_35  # average isotope spacing of Ag/S-rich clusters, Da
FWHM_PER_SIGMA = 2 * math.sqrt(2 * math.log(2))
P109 = 0.4816  # 109Ag abundance (rounded: these tests need a realistic shape, not exact masses)


def envelope(first_mz, z, *, n_ag=53, light=1.5, scale=1.0, cutoff=1e-3):
    """Isotope peaks (m/z, intensity) of a silver cluster; the tallest is ``scale``.

    Silver gives a binomial over even shifts; the light atoms (C, H, S) are modelled as a
    Poisson distribution of mean ``light`` over single shifts.
    """
    ag = np.zeros(2 * n_ag + 1)
    ag[::2] = binom.pmf(np.arange(n_ag + 1), n_ag, P109)
    p = np.convolve(ag, poisson.pmf(np.arange(15), light))
    keep = np.flatnonzero(p >= cutoff * p.max())
    return first_mz + keep * SPACING / z, scale * p[keep] / p.max()


def tof_grid(lo, hi, points_per_fwhm, resolving_power):
    """Profile grid with spacing proportional to m/z (as a TOF gives), ``points_per_fwhm``
    points across each peak."""
    step = 1.0 / (resolving_power * points_per_fwhm)
    return lo * np.exp(np.arange(int(np.log(hi / lo) / step) + 1) * step)


def profile(grid, mz, inten, resolving_power):
    """Sum of Gaussian peaks of FWHM m/z / R, evaluated on ``grid`` (vectorised)."""
    sigma = mz / resolving_power / FWHM_PER_SIGMA
    lo = np.searchsorted(grid, mz - 8 * sigma)
    hi = np.searchsorted(grid, mz + 8 * sigma)
    counts = hi - lo
    owner = np.repeat(np.arange(mz.size), counts)
    index = np.repeat(lo - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    values = inten[owner] * np.exp(-0.5 * ((grid[index] - mz[owner]) / sigma[owner]) ** 2)
    return np.bincount(index, values, minlength=grid.size)
