"""Robust estimate of the noise level of a spectrum."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import median, quantile
from clusterms.spectra import _checks
from clusterms.spectra.spectrum import Spectrum

__all__ = ["noise_floor_and_level", "noise_level"]

_PROBS = (0.5, 0.75, 0.9)
_Z = (0.0, 0.674_489_750_196_082, 1.281_551_565_544_601)  # standard normal quantiles
_CENSORED = 0.25  # blocks with this share of exact zeros were clipped at zero
_MIN_BLOCK, _MAX_BLOCK, _TARGET_BLOCKS = 64, 1024, 256
_QUIET_QUANTILE = 0.1  # the quietest tenth of the blocks sets the reference


def noise_level(spectrum: Spectrum, /) -> float:
    """Standard deviation of the noise, robust to peaks and to a clipped baseline.

    Profile spectra (``mode`` ``"profile"`` or ``None``) are cut into blocks of 64-1024
    consecutive points. In each block the spread is measured from the upper half of the
    intensity distribution, ``(q75 - q50) / 0.6745``, which equals the noise sigma in a
    peak-free block. Where a baseline subtraction set the lower half of the noise to zero
    (a quarter or more of the block exactly 0) it is ``(q90 - q75) / 0.6071`` instead, both
    quantiles being above the zeros. Blocks with peaks only spread more, so the estimate
    is the median over the quiet blocks: those within 2.5 statistical scatters of the
    10th percentile of all blocks. It is therefore right as long as about a tenth of the
    spectrum is free of peaks, whatever the rest holds; for a spectrum packed with signal
    from end to end it is an upper bound.

    Centroid spectra have no noise samples, only peaks; their noise level is the median
    intensity of the positive centroids (the level of the most common, weakest peaks),
    as in the usual median signal-to-noise estimators.

    Parameters
    ----------
    spectrum
        Any spectrum.

    Returns
    -------
    float
        The noise level in intensity units; 0.0 for an empty or noise-free spectrum.
    """
    _checks.finite_intensities(spectrum, "noise_level")
    return noise_floor_and_level(spectrum)[1]


def noise_floor_and_level(spectrum: Spectrum, /) -> tuple[float, float]:
    """``(floor, sigma)``: the typical intensity of the quiet parts, and the noise level.

    The floor is the median intensity of the blocks that :func:`noise_level` takes as
    quiet (0 for centroid spectra). It is about 0 after a baseline subtraction, but not
    after a subtraction that clipped the noise at zero followed by smoothing, which lifts
    the noise onto a pedestal of about 0.3 sigma; peak heights are measured above it.
    """
    y = spectrum.intensity
    if y.size == 0:
        return 0.0, 0.0
    if spectrum.mode == "centroid":
        positive = y[y > 0]
        return 0.0, float(median(positive)) if positive.size else 0.0
    spread, level, size = _block_spread(y)
    active = spread > 0
    if not active.any():
        return float(median(level)), 0.0
    spread, level = spread[active], level[active]
    # Relative scatter of one block's spread when the block is pure noise (measured by
    # simulation: 1.8 / sqrt(points)). The 10th percentile of the blocks, unbiased with it,
    # estimates sigma from the quietest blocks; every block within 2.5 scatters of that is
    # taken as quiet, and their median is the answer.
    scatter = 1.8 / np.sqrt(size)
    sigma0 = quantile(spread, _QUIET_QUANTILE) / max(1.0 - 1.28 * scatter, 0.5)
    quiet = spread <= sigma0 * (1.0 + 2.5 * scatter)
    if not quiet.any():
        return float(median(level)), float(sigma0)
    return float(median(level[quiet])), float(median(spread[quiet]))


def _block_spread(
    y: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Noise spread from the upper quantiles of consecutive blocks, their medians, size."""
    size = int(np.clip(y.size // _TARGET_BLOCKS, _MIN_BLOCK, _MAX_BLOCK))
    n_blocks = max(1, y.size // size)
    size = y.size // n_blocks
    blocks = y[: n_blocks * size].reshape(n_blocks, size)
    # Blom plotting positions, so that order statistics estimate quantiles without the
    # bias of small blocks.
    positions = np.clip(np.array(_PROBS) * (size + 0.25) - 0.625, 0, size - 1)
    below, above = np.floor(positions).astype(int), np.ceil(positions).astype(int)
    part = np.partition(blocks, sorted(set(below) | set(above)), axis=1)
    q50, q75, q90 = (
        part[:, b] + (p - b) * (part[:, a] - part[:, b]) for p, b, a in zip(positions, below, above, strict=True)
    )
    spread: NDArray[np.float64] = (q75 - q50) / _Z[1]
    # Where a baseline subtraction set the lower part of the noise to zero, the median sits
    # on that atom; q75 and q90 are still above it.
    censored = (blocks == 0).mean(axis=1) >= _CENSORED
    spread[censored] = (q90 - q75)[censored] / (_Z[2] - _Z[1])
    return spread, q50, size
