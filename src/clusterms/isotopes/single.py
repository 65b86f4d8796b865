"""One aggregated envelope at a time, with the fewest numpy calls.

The batch engine (:func:`clusterms.isotopes.aggregated.fft_distributions`) is built for
many compositions: matrix products, chunking, grouping by FFT length. For one composition
most of its cost is fixed per call (array set-up, grouping, a second inverse FFT, m/z of
every shift of the grid). This path does the same mathematics for one composition:

- the FFT length and the per-element log-spectra come from the same cached tables;
- the distribution and its mass-weighted twin go through one inverse FFT of two rows;
- the coverage selection is made on the probabilities first, and the peak masses and m/z
  are computed only for the kept shifts.

Results equal the batch engine's to round-off (tested against it and against IsoSpecPy).
"""

from __future__ import annotations

from functools import cache
from math import ceil, log2, sqrt

import numpy as np
from numpy.typing import NDArray

from clusterms.chem.composition import Composition
from clusterms.chem.elements import electron_mass
from clusterms.isotopes.abundances import AbundanceKey
from clusterms.isotopes.aggregated import _LOG_NEGLIGIBLE, _SIGMAS, _moments, _table
from clusterms.isotopes.envelope import Envelope

__all__ = ["single_envelope"]

FloatArray = NDArray[np.float64]


@cache
def _scalars(symbols: tuple[str, ...], key: AbundanceKey) -> tuple[tuple[float, ...], ...]:
    """Per-element (span, mean, variance) of the one-atom shift distribution, as floats."""
    mu, var, span = _moments(symbols, key)
    return tuple((float(s), float(m), float(v)) for s, m, v in zip(span, mu, var, strict=True))


def _length(counts: tuple[int, ...], scal: tuple[tuple[float, ...], ...]) -> int:
    """FFT length (as :func:`~clusterms.isotopes.aggregated.required_length`, for one row)."""
    span = mean = var = 0.0
    for n, (s, m, v) in zip(counts, scal, strict=True):
        span += n * s
        mean += n * m
        var += n * v
    need = max(min(span + 1, mean + _SIGMAS * sqrt(var) + 32), 1.0)
    return max(16, 2 ** ceil(log2(need)))


def single_envelope(composition: Composition, charge: int, coverage: float, key: AbundanceKey) -> Envelope:
    """Aggregated envelope of one (checked) composition; see :mod:`clusterms.isotopes.engine`."""
    items = sorted(composition.items())
    symbols = tuple(s for s, _ in items)
    counts = tuple(n for _, n in items)
    n = _length(counts, _scalars(symbols, key))
    log_re, log_im, rat_re, rat_im, light_el = _table(symbols, key, n)
    c = np.array(counts, dtype=np.float64)
    mag = c @ log_re
    alive = np.flatnonzero(mag > _LOG_NEGLIGIBLE)
    f = int(alive[-1]) + 1 if alive.size else 1
    spec = np.exp(mag[:f] + 1j * (c @ log_im[:, :f]))
    both = np.empty((2, f), dtype=np.complex128)
    both[0] = spec
    both[1].real = c @ rat_re[:, :f]
    both[1].imag = c @ rat_im[:, :f]
    both[1] *= spec
    prob, weighted = np.fft.irfft(both, n, axis=1)
    np.maximum(prob, 0.0, out=prob)
    probn = prob / prob.sum()
    # Fewest highest peaks holding `coverage` (ties may add a peak), as the batch engine.
    desc = np.sort(probn)[::-1]
    csum = np.cumsum(desc)
    k = min(int(np.count_nonzero(csum < coverage * csum[-1])), n - 1)
    kept = np.flatnonzero((probn >= desc[k]) & (probn > 0))
    lo, hi = int(kept[0]), int(kept[-1]) + 1
    p = probn[lo:hi]
    shifts = np.arange(lo, hi, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = weighted[lo:hi] / prob[lo:hi]
    # Where round-off makes the ratio meaningless, fall back to shift * 1 u.
    bad = ~np.isfinite(offset) | (np.abs(offset - shifts) > 0.5 + 0.01 * shifts) | (prob[lo:hi] <= 0)
    if bad.any():
        offset[bad] = shifts[bad]
    mass = float(c @ light_el) + offset
    z = int(charge)
    mz = mass if z == 0 else (mass - z * electron_mass()) / abs(z)
    return Envelope.trusted(mz, p / desc[0], p, z)
