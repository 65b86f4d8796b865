"""Aggregated isotope envelopes: one peak per nominal isotope shift.

Two implementations share one contract and one test suite:

- :func:`reference_distribution`: plain repeated convolution of per-atom distributions
  (exponentiation by squaring). Slow, obviously right.
- :func:`fft_distributions`: the fast engine. Each element's one-atom distribution over the
  nucleon shift ``s`` (mass number minus that of the lightest isotope) has a generating
  function ``G_e``; a composition's distribution is ``prod_e G_e**n_e``. In the Fourier
  domain that is ``exp(sum_e n_e log G_e)``: with the per-element log-spectra tabulated once,
  a whole batch is one matrix product ``counts @ logG`` and one inverse real FFT. Integer
  exponents make the branch of the complex log irrelevant.

The mean mass of each shift comes from a second generating function ``H_e`` (probabilities
weighted by the mass offset from the lightest isotope): the mass-weighted distribution of a
composition is ``P * sum_e n_e H_e / G_e``, again a matrix product. Masses are therefore
exact probability-weighted means, not ``shift * 1.00335``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray

from clusterms.isotopes.abundances import AbundanceKey, element_with

__all__ = ["fft_distributions", "reference_distribution", "required_length"]

FloatArray = NDArray[np.float64]
# How many standard deviations past the mean the FFT grid must reach so that the aliased
# tail is far below double precision.
_SIGMAS = 16.0


@cache
def _atom(symbol: str, key: AbundanceKey) -> tuple[FloatArray, FloatArray, float, float, float]:
    """One atom: probabilities and mass-offset weights by shift; lightest mass, mean, var."""
    el = element_with(symbol, key)
    a0 = el.mass_numbers[0]
    width = el.mass_numbers[-1] - a0 + 1
    p = np.zeros(width)
    h = np.zeros(width)
    for a, m, q in zip(el.mass_numbers, el.masses, el.abundances, strict=True):
        p[a - a0] += q
        h[a - a0] += q * (m - el.masses[0])
    s = np.arange(width, dtype=np.float64)
    mean = float(p @ s)
    var = float(p @ (s - mean) ** 2)
    return p, h, el.masses[0], mean, var


@cache
def _moments(symbols: tuple[str, ...], key: AbundanceKey) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-element mean, variance and span of the one-atom shift distribution."""
    mu = np.empty(len(symbols))
    var = np.empty(len(symbols))
    span = np.empty(len(symbols))
    for j, sym in enumerate(symbols):
        p, _, _, mu[j], var[j] = _atom(sym, key)
        span[j] = p.size - 1
    return mu, var, span


def required_length(symbols: Sequence[str], counts: NDArray[np.int64], key: AbundanceKey = ()) -> NDArray[np.int64]:
    """FFT length (power of two) that holds each composition's distribution without aliasing."""
    c = np.atleast_2d(counts).astype(np.float64)
    mu, var, span = _moments(tuple(symbols), key)
    need = np.minimum(c @ span + 1, c @ mu + _SIGMAS * np.sqrt(c @ var) + 32)
    return np.maximum(16, 2 ** np.ceil(np.log2(np.maximum(need, 1)))).astype(np.int64)


@cache
def _spectra(symbol: str, key: AbundanceKey, n: int) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Per-element log-spectrum log G and mass ratio H/G on an rfft grid of length n."""
    p, h, _, _, _ = _atom(symbol, key)
    g = np.fft.rfft(p, n)
    hf = np.fft.rfft(h, n)
    mag = np.abs(g)
    tiny = mag < 1e-300
    g = np.where(tiny, 1e-300, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        logg = np.log(g)
        ratio = np.where(tiny, 0, hf / g)
    return logg, ratio


@cache
def _table(
    symbols: tuple[str, ...], key: AbundanceKey, n: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Real and imaginary parts of the log-spectra and mass ratios, and lightest masses.

    Kept as separate real arrays: a real matrix product goes through BLAS, a real-by-complex
    one does not (100x slower here).
    """
    logs = np.empty((len(symbols), n // 2 + 1), dtype=np.complex128)
    ratios = np.empty_like(logs)
    light = np.empty(len(symbols))
    for j, sym in enumerate(symbols):
        logs[j], ratios[j] = _spectra(sym, key, n)
        light[j] = _atom(sym, key)[2]
    parts = [np.ascontiguousarray(a) for a in (logs.real, logs.imag, ratios.real, ratios.imag)]
    return parts[0], parts[1], parts[2], parts[3], light


# Fourier components whose magnitude is below exp(-45) (3e-20) in every row are dropped:
# they cannot change a probability by more than that.
_LOG_NEGLIGIBLE = -45.0


def fft_distributions(
    symbols: Sequence[str], counts: NDArray[np.int64], n: int, key: AbundanceKey = ()
) -> tuple[FloatArray, FloatArray]:
    """Aggregated distributions of many compositions on one FFT grid.

    Parameters
    ----------
    symbols
        Element symbols (columns of ``counts``).
    counts
        (B, E) non-negative integer atom counts.
    n
        FFT length; every composition's distribution must fit (see :func:`required_length`).

    Returns
    -------
    prob, mass
        ``prob[b, s]`` probability of nucleon shift ``s``; ``mass[b, s]`` its mean mass (u).
    """
    c = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    log_re, log_im, rat_re, rat_im, light_el = _table(tuple(symbols), key, n)
    mag = c @ log_re
    alive = np.nonzero((mag > _LOG_NEGLIGIBLE).any(axis=0))[0]
    f = int(alive[-1]) + 1 if alive.size else 1
    # prod_e G_e**n_e. A large batch repeats few distinct counts per element, so the powers
    # are computed once per distinct count and gathered; a small batch exponentiates directly.
    # Components past f are negligible and left out: irfft zero-pads the spectrum to n.
    if c.shape[0] <= 8:
        spec = np.exp(mag[:, :f] + 1j * (c @ log_im[:, :f]))
    else:
        ints = np.atleast_2d(np.asarray(counts, dtype=np.int64))
        spec = np.ones((c.shape[0], f), dtype=np.complex128)
        for j in range(len(symbols)):
            uniq, inv = np.unique(ints[:, j], return_inverse=True)
            spec *= np.exp(uniq[:, None] * (log_re[j, :f] + 1j * log_im[j, :f])[None, :])[inv]
    ratio = np.empty((c.shape[0], f), dtype=np.complex128)
    ratio.real = c @ rat_re[:, :f]
    ratio.imag = c @ rat_im[:, :f]
    weighted_spec = spec * ratio
    prob = np.fft.irfft(spec, n, axis=1)
    weighted = np.fft.irfft(weighted_spec, n, axis=1)
    np.maximum(prob, 0.0, out=prob)
    light = c @ light_el
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(prob > 0, weighted / prob, 0.0)
    # Where round-off makes the ratio meaningless (prob ~ 1e-17), fall back to shift * 1.
    shifts = np.arange(n, dtype=np.float64)
    bad = ~np.isfinite(offset) | (np.abs(offset - shifts) > 0.5 + 0.01 * shifts)
    offset = np.where(bad, shifts, offset)
    return prob, light[:, None] + offset


def reference_distribution(
    composition: dict[str, int], key: AbundanceKey = ()
) -> tuple[FloatArray, FloatArray]:
    """Plain-convolution reference: (probability by shift, mean mass by shift).

    Tracks the probability and the probability-weighted mass offset of every shift through
    exponentiation by squaring; exact up to floating-point round-off.
    """
    prob = np.ones(1)
    wmass = np.zeros(1)  # sum of prob * mass offset
    light = 0.0
    for sym, count in sorted(composition.items()):
        p, h, m0, _, _ = _atom(sym, key)
        light += count * m0
        # (P, W) pairs combine like (P1*P2, W1*P2 + P1*W2) under convolution.
        bp, bw = p, h
        rp, rw = np.ones(1), np.zeros(1)
        k = count
        while k:
            if k & 1:
                rp, rw = np.convolve(rp, bp), np.convolve(rw, bp) + np.convolve(rp, bw)
                rp, rw = _trim(rp, rw)
            k >>= 1
            if k:
                bp, bw = np.convolve(bp, bp), 2 * np.convolve(bw, bp)
                bp, bw = _trim(bp, bw)
        prob, wmass = np.convolve(prob, rp), np.convolve(wmass, rp) + np.convolve(prob, rw)
        prob, wmass = _trim(prob, wmass)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass = light + np.where(prob > 0, wmass / prob, np.arange(prob.size))
    return prob, mass


def _trim(p: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Drop the far tail (below 1e-30 of the total): it only costs time.
    keep = np.nonzero(p > 1e-30 * p.sum())[0]
    if keep.size == 0:
        return p, w
    end = keep[-1] + 1
    return p[:end], w[:end]
