"""Baseline (chemical-noise background) estimation and subtraction.

Both methods work in m/z units, so they behave the same on uniform grids and on the
non-uniform grids of profile TOF data (spacing proportional to m/z):

1. the m/z axis is cut into bins of ``window_mz / 16`` and each bin is reduced to the median
   of its intensities (robust to the isotope peaks inside it, unbiased in peak-free stretches);
2. a background that cannot follow anything narrower than ``window_mz`` is fitted to those
   bin medians, by SNIP clipping (``"snip"``, with Morháč's fourth-order filter so that a
   curved hump is followed without sinking below it) or by a rolling minimum
   (``"minimum"``, a morphological opening followed by a moving average);
3. the background is interpolated back to every point.

``window_mz`` must be wider than the widest isotope envelope that should survive: a 53-atom
silver cluster spans about 20 m/z at z = 3 and 30 m/z at z = 2. The default of 60 m/z keeps
envelopes up to about 60 m/z wide and follows humps a few hundred m/z wide; a wider window
follows a curved hump less closely (the error grows with the square of the window).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import median, theil_sen
from clusterms.spectra import _checks, _kernels
from clusterms.spectra.spectrum import Spectrum

__all__ = ["BASELINE_METHODS", "baseline", "estimate_baseline"]

BASELINE_METHODS = ("snip", "minimum")

# Bins per window: enough to follow a curved hump, few enough to keep each bin's median
# robust (a bin holds a few hundred points in typical profile data).
_BINS_PER_WINDOW = 16
# Upper bound on the number of bins, so a tiny window on a wide range cannot exhaust memory.
_MAX_BINS = 1 << 18


def estimate_baseline(spectrum: Spectrum, /, *, method: str = "snip", window_mz: float = 60.0) -> NDArray[np.float64]:
    """Estimate the slowly varying background under a spectrum.

    Parameters
    ----------
    spectrum
        Profile (or centroid) spectrum.
    method
        ``"snip"`` (statistics-sensitive non-linear iterative peak clipping, with a
        decreasing clipping window) or ``"minimum"`` (rolling minimum, i.e. a morphological
        opening, smoothed by a moving average of the same width).
    window_mz
        Width, in m/z, of the narrowest feature that counts as background; anything narrower
        (peaks, isotope envelopes) is left out of the baseline.

    Returns
    -------
    numpy.ndarray
        The baseline at each point of ``spectrum.mz`` (a new, writable float64 array).

    Examples
    --------
    >>> import numpy as np
    >>> from clusterms.spectra import Spectrum
    >>> mz = np.linspace(1000, 2000, 10_001)
    >>> s = Spectrum(mz, 5 + np.exp(-0.5 * ((mz - 1500) / 2) ** 2) * 100)
    >>> bool(np.allclose(estimate_baseline(s)[::1000], 5, atol=0.1))
    True
    """
    method = _checks.choice("method", method, BASELINE_METHODS)
    window = _checks.positive("window_mz", window_mz, unit="m/z")
    _checks.finite_intensities(spectrum, "estimate_baseline")
    mz, y = spectrum.mz, spectrum.intensity
    if mz.size == 0:
        return np.zeros(0)
    span = float(mz[-1] - mz[0])
    width = max(window / _BINS_PER_WINDOW, span / _MAX_BINS)
    if span <= 0 or width <= 0:
        return np.full(mz.size, float(median(y)))
    knots, medians = _bin_medians(mz, y, width)
    if method == "snip":
        background = _snip(medians, max(1, round(window / width)))
    else:
        background = _rolling_minimum(medians, max(1, round(window / (2 * width))))
    # Continue the first and last segments to the ends of the data (np.interp would hold
    # the end values flat over the half bin beyond the outer knots).
    if knots.size > 1 and knots[1] > knots[0] and knots[-1] > knots[-2]:
        slope_first = (background[1] - background[0]) / (knots[1] - knots[0])
        slope_last = (background[-1] - background[-2]) / (knots[-1] - knots[-2])
        first = background[0] + (mz[0] - knots[0]) * slope_first
        last = background[-1] + (mz[-1] - knots[-1]) * slope_last
        knots = np.concatenate(([min(mz[0], knots[0])], knots, [max(mz[-1], knots[-1])]))
        background = np.concatenate(([first], background, [last]))
    return np.interp(mz, knots, background)


def baseline(spectrum: Spectrum, /, *, method: str = "snip", window_mz: float = 60.0) -> Spectrum:
    """Subtract the estimated baseline; values that fall below zero are set to zero.

    Parameters
    ----------
    spectrum
        Profile (or centroid) spectrum.
    method, window_mz
        As for :func:`estimate_baseline`.

    Returns
    -------
    Spectrum
        A new spectrum on the same m/z grid.
    """
    background = estimate_baseline(spectrum, method=method, window_mz=window_mz)
    return spectrum.replace(intensity=np.clip(spectrum.intensity - background, 0.0, None))


def _bin_medians(
    mz: NDArray[np.float64], y: NDArray[np.float64], width: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Median intensity in consecutive m/z bins, and where it applies; gaps interpolated."""
    bins = ((mz - mz[0]) / width).astype(np.int64)
    n_bins = int(bins[-1]) + 1
    counts = np.bincount(bins, minlength=n_bins)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    # Sort intensities inside each bin (bins are contiguous because m/z is sorted) with one
    # float sort of "bin + scaled intensity", several times faster than a lexsort; the
    # scaled intensity keeps ~1e-11 of the range, plenty for a median.
    low, span = float(y.min()), float(np.ptp(y))
    if 1e-290 < span < 1e290:
        scale = 0.5 / span
        ordered = (np.sort(bins + (y - low) * scale) - bins) / scale + low
    else:  # a range that the scaling would overflow: the slower exact sort
        ordered = y[np.lexsort((y, bins))]
    full = counts > 0
    lo = starts[full] + (counts[full] - 1) // 2
    hi = starts[full] + counts[full] // 2
    # Each median sits at the median m/z of its bin's points (the middle of a partly filled
    # end bin, not its nominal centre); empty bins are interpolated at their centres.
    knots = mz[0] + (np.arange(n_bins) + 0.5) * width
    knots[full] = 0.5 * (mz[lo] + mz[hi])
    medians = np.interp(knots, knots[full], 0.5 * (ordered[lo] + ordered[hi]))
    return knots, medians


def _snip(values: NDArray[np.float64], reach: int) -> NDArray[np.float64]:
    """SNIP clipping, decreasing window, fourth-order filter (Morháč and Matoušek, 2008).

    At clipping distance k a value is replaced by the smaller of itself and the larger of
    two background predictions: the mean of the values k away (exact for straight lines)
    and ``(4 (y[i-k/2] + y[i+k/2]) - (y[i-k] + y[i+k])) / 6`` (exact for parabolas). The
    second keeps the estimate on a curved hump, where plain SNIP sinks below it by about
    ``curvature * window**2``; in exchange a peak is only removed when both k and k/2 reach
    past it, hence ``reach`` = the full window.
    """
    n = values.size
    work = _extend(values, reach)
    core = slice(reach, reach + n)
    for k in range(reach, 0, -1):
        half = k // 2
        mean = 0.5 * (work[reach - k : reach - k + n] + work[reach + k : reach + k + n])
        far = work[reach - 2 * half : reach - 2 * half + n] + work[reach + 2 * half : reach + 2 * half + n]
        near = work[reach - half : reach - half + n] + work[reach + half : reach + half + n]
        predicted = np.maximum(mean, (4.0 * near - far) / 6.0)
        work[core] = np.minimum(work[core], predicted)
    return work[core]


def _rolling_minimum(values: NDArray[np.float64], half: int) -> NDArray[np.float64]:
    """Morphological opening (rolling minimum, then maximum) smoothed by a moving average."""
    size = 2 * half + 1
    work = _extend(values, size)
    opened = _kernels.maximum_filter1d(_kernels.minimum_filter1d(work, size), size)
    smoothed = _kernels.uniform_filter1d(opened, size)[size : size + values.size]
    return np.minimum(smoothed, values)


def _extend(values: NDArray[np.float64], reach: int) -> NDArray[np.float64]:
    """``values`` with ``reach`` points added at each end along a robust straight line.

    The line (Theil-Sen, through the last ``reach + 1`` values at that end) continues a
    sloping background past the ends, so the ends are neither pulled down (as padding with
    a minimum would do) nor held up by a peak (as repeating the end value would do).
    """
    m = min(values.size, reach + 1)
    steps = np.arange(1, reach + 1, dtype=np.float64)
    index = np.arange(m, dtype=np.float64)
    left = theil_sen(index, values[:m][::-1])  # walking outwards from the first value
    right = theil_sen(index, values[-m:])
    return np.concatenate((left[0] + left[1] * (m - 1 + steps[::-1]), values, right[0] + right[1] * (m - 1 + steps)))
