"""Smoothing of profile spectra with a kernel whose width is given in m/z.

Profile grids are rarely uniform (TOF spacing grows in proportion to m/z), so the spectrum
is processed in blocks of a few thousand points; inside a block the spacing is taken as its
median and the kernel width converted to points, with a margin of overlap so that the
blocks join without seams. Gaps (stretches where the instrument dropped zeros) count as
one sampling interval.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import median
from clusterms.errors import OptionError
from clusterms.spectra import _checks
from clusterms.spectra.spectrum import Spectrum

__all__ = ["SMOOTH_METHODS", "smooth"]

SMOOTH_METHODS = ("savgol", "gaussian")

_BLOCK = 4096  # points; TOF spacing changes by ~3 % over a block of a 300k-point spectrum
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
# Defaults when width_mz is None, in local sampling intervals.
_AUTO_SAVGOL_POINTS = 7
_AUTO_GAUSSIAN_POINTS = 3


def smooth(
    spectrum: Spectrum,
    /,
    *,
    method: str = "savgol",
    width_mz: float | None = None,
    polyorder: int = 2,
) -> Spectrum:
    """Smooth a profile spectrum.

    Parameters
    ----------
    spectrum
        Profile spectrum (``mode`` ``"profile"`` or ``None``).
    method
        ``"savgol"`` (Savitzky-Golay, keeps peak heights and widths best) or ``"gaussian"``.
    width_mz
        Savitzky-Golay window length, or full width at half maximum of the Gaussian kernel,
        in m/z. ``None`` picks 7 (savgol) or 3 (gaussian) local sampling intervals, which
        suits data sampled with about ten points per peak width. Keep it below half the
        peak width to avoid broadening the peaks.
    polyorder
        Polynomial order of the Savitzky-Golay filter.

    Returns
    -------
    Spectrum
        A new spectrum on the same grid. Both filters preserve the area under the
        spectrum; when the input is non-negative the (small) Savitzky-Golay undershoots
        next to sharp peaks are set to zero.

    Raises
    ------
    OptionError
        For an unknown method, a width that is not > 0, or a centroid spectrum.
    """
    method = _checks.choice("method", method, SMOOTH_METHODS)
    width = _checks.optional_positive("width_mz", width_mz, unit="m/z")
    order = _checks.count("polyorder", polyorder, minimum=0)
    _checks.finite_intensities(spectrum, "smooth")
    if spectrum.mode == "centroid":
        raise OptionError("smooth needs a profile spectrum, got spectrum.mode='centroid'")
    mz, y = spectrum.mz, spectrum.intensity
    n = mz.size
    if n < 3:
        return spectrum.replace()
    # Kernel size in points for each block; runs of blocks with the same size are
    # filtered in one call (with the auto width, that is the whole spectrum).
    starts = list(range(0, n, _BLOCK))
    # The sampling interval of each block matters only for a width given in m/z.
    steps = (np.array([_spacing(mz, a, min(n, a + _BLOCK)) for a in starts]) if width is not None
             else np.zeros(len(starts)))
    sizes: NDArray[np.float64] = (
        _savgol_windows(steps, width).astype(np.float64) if method == "savgol" else _gaussian_sigmas(steps, width)
    )
    out = np.empty(n)
    first = 0
    for k in range(1, len(starts) + 1):
        if k < len(starts) and sizes[k] == sizes[first]:
            continue
        lo, hi = starts[first], starts[k] if k < len(starts) else n
        if method == "savgol":
            out[lo:hi] = _savgol_run(y, lo, hi, int(sizes[first]), order)
        else:
            out[lo:hi] = _gaussian_run(y, lo, hi, float(sizes[first]))
        first = k
    if y.min() >= 0:
        np.clip(out, 0.0, None, out=out)
    return spectrum.replace(intensity=out)


def _spacing(mz: NDArray[np.float64], start: int, stop: int) -> float:
    """Median positive sampling interval around a block (0 when there is none)."""
    d = np.diff(mz[max(0, start - 1) : min(mz.size, stop + 1)])
    d = d[d > 0]
    return float(median(d)) if d.size else 0.0


def _points(steps: NDArray[np.float64], width: float) -> NDArray[np.float64]:
    """``width`` in sampling intervals of each block (0 where a block has no spacing)."""
    safe = np.where(steps > 0, steps, 1.0)
    return np.where(steps > 0, np.minimum(width / safe, 1e9), 0.0)


def _savgol_windows(steps: NDArray[np.float64], width: float | None) -> NDArray[np.int64]:
    """Odd Savitzky-Golay window, in points, not wider than ``width``."""
    if width is None:
        return np.full(steps.size, _AUTO_SAVGOL_POINTS, dtype=np.int64)
    return _points(steps, width).astype(np.int64) // 2 * 2 + 1


def _gaussian_sigmas(steps: NDArray[np.float64], width: float | None) -> NDArray[np.float64]:
    """Gaussian sigma in points, rounded to 1 % so that neighbouring blocks share it."""
    if width is None:
        return np.full(steps.size, _AUTO_GAUSSIAN_POINTS / _FWHM_PER_SIGMA)
    sigma = _points(steps, width) / _FWHM_PER_SIGMA
    rounded = np.exp(np.round(np.log(np.where(sigma > 0, sigma, 1.0)), 2))
    return np.where(sigma > 0, rounded, 0.0)


def _savgol_run(y: NDArray[np.float64], start: int, stop: int, window: int, order: int) -> NDArray[np.float64]:
    margin = window // 2 + 1
    lo, hi = max(0, start - margin), min(y.size, stop + margin)
    length = hi - lo
    window = min(window, length if length % 2 else length - 1)
    if window <= order + 1 or window < 3:
        return y[start:stop].copy()
    from scipy.signal import savgol_filter  # slow to import: only when smoothing

    smoothed = savgol_filter(y[lo:hi], window, order, mode="interp")
    return smoothed[start - lo : stop - lo]


def _gaussian_run(y: NDArray[np.float64], start: int, stop: int, sigma: float) -> NDArray[np.float64]:
    if sigma < 0.25:  # narrower than a quarter of a point: nothing to do
        return y[start:stop].copy()
    margin = math.ceil(4.0 * sigma) + 1
    lo, hi = max(0, start - margin), min(y.size, stop + margin)
    from scipy.ndimage import gaussian_filter1d  # slow to import: only when smoothing

    smoothed = gaussian_filter1d(y[lo:hi], sigma, mode="nearest", truncate=4.0)
    return smoothed[start - lo : stop - lo]
