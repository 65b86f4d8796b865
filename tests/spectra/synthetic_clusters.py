"""Synthetic silver-cluster isotope envelopes shared by the processing tests."""

from __future__ import annotations

import numpy as np
from scipy.stats import binom, poisson

SPACING = 1.002_35  # average isotope spacing of Ag/S-rich clusters, Da
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
