"""Peak picking, centroiding and the resolving power of profile spectra.

:func:`pick_peaks` expects a baseline-corrected spectrum (heights and half heights are
measured from zero): compose it as ``pick_peaks(smooth(baseline(s)))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import median
from clusterms.errors import OptionError
from clusterms.spectra import _checks, _kernels
from clusterms.spectra.noise import noise_floor_and_level
from clusterms.spectra.spectrum import Polarity, Spectrum

__all__ = [
    "CENTROID_METHODS",
    "PeakList",
    "centroid",
    "estimate_resolution",
    "pick_peaks",
]

CENTROID_METHODS = ("gaussian", "parabola", "weighted")
_INTENSITY_CHOICES = ("height", "area")
# Peak area is integrated over centroid +- this many FWHM (99.96 % of a Gaussian), but never
# past the valley towards a neighbouring peak.
_AREA_HALF_SPAN_FWHM = 1.5


_ARRAY_FIELDS = ("centroid_mz", "apex_mz", "height", "area", "fwhm", "snr", "index", "resolved")


def _frozen(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class PeakList:
    """Peaks picked from a spectrum, sorted by m/z; every array is read-only.

    Attributes
    ----------
    centroid_mz
        Refined peak position (see ``centroid_method`` of :func:`pick_peaks`).
    apex_mz
        m/z of the highest data point of the peak.
    height
        Intensity of the highest data point.
    area
        Area under the profile (intensity x m/z) around the peak, up to 1.5 FWHM from the
        centroid or to the valley towards the neighbouring peak, whichever is nearer.
        For centroid input it is the centroid intensity.
    fwhm
        Full width at half height in m/z (NaN for centroid input).
    snr
        Height above the noise floor over the noise, ``(height - floor) / noise``
        (infinite when the noise is 0); the floor is the typical intensity of the quiet
        parts of a profile spectrum (see :func:`~clusterms.spectra.noise.
        noise_floor_and_level`), about 0 after a baseline subtraction, and 0 for centroid
        input or when ``noise`` is given.
    index
        Index of the apex in the source spectrum.
    resolved
        True when the valleys on both sides of the peak drop below half its height, so its
        FWHM is measured without help from a neighbour (False for centroid input).
    noise
        The noise level that the signal-to-noise ratios refer to.
    polarity
        Polarity of the source spectrum.
    floor
        The noise floor that heights were measured above for ``snr``.
    """

    centroid_mz: NDArray[np.float64]
    apex_mz: NDArray[np.float64]
    height: NDArray[np.float64]
    area: NDArray[np.float64]
    fwhm: NDArray[np.float64]
    snr: NDArray[np.float64]
    index: NDArray[np.intp]
    resolved: NDArray[np.bool_]
    noise: float
    polarity: Polarity = None
    floor: float = 0.0

    def __post_init__(self) -> None:
        for name in _ARRAY_FIELDS:
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def __len__(self) -> int:
        return int(self.centroid_mz.size)

    def select(self, keep: NDArray[np.bool_], /) -> PeakList:
        """The peaks where ``keep`` (a boolean array, one value per peak) is true."""
        mask = np.asarray(keep)
        if mask.dtype != np.bool_ or mask.shape != (len(self),):
            raise OptionError(f"select needs {len(self)} booleans, got an array of {mask.dtype} {mask.shape}")
        arrays = {name: getattr(self, name)[mask] for name in _ARRAY_FIELDS}
        return PeakList(**arrays, noise=self.noise, polarity=self.polarity, floor=self.floor)


def pick_peaks(
    spectrum: Spectrum,
    /,
    *,
    min_snr: float = 3.0,
    noise: float | None = None,
    centroid_method: str = "gaussian",
) -> PeakList:
    """Find the peaks of a spectrum and measure them.

    Profile data (``mode`` ``"profile"`` or ``None``): local maxima (as :func:`scipy.signal.
    find_peaks` finds them, a plateau at its middle) that rise ``min_snr * noise`` above the
    noise floor and whose topographic prominence reaches ``min_snr * noise``, so that noise
    wiggles on top of a peak are not taken as peaks. Centroid data: the centroids whose
    intensity reaches ``min_snr * noise``.

    Parameters
    ----------
    spectrum
        A baseline-corrected spectrum.
    min_snr
        Minimum signal-to-noise ratio (> 0).
    noise
        Noise level to use (the floor is then 0); ``None`` estimates both with
        :func:`~clusterms.spectra.noise.noise_floor_and_level`.
    centroid_method
        ``"gaussian"``: vertex of a Gaussian through the top three points (a parabola
        through their logarithms; exact for Gaussian peaks; falls back to ``"parabola"``
        where a point is not positive); ``"parabola"``: vertex of a parabola through the top
        three points; ``"weighted"``: intensity-weighted mean m/z of the points above half
        height.

    Returns
    -------
    PeakList

    Examples
    --------
    >>> import numpy as np
    >>> from clusterms.spectra import Spectrum
    >>> mz = np.linspace(1600, 1601, 2001)
    >>> s = Spectrum(mz, np.exp(-0.5 * ((mz - 1600.4321) / 0.034) ** 2), mode="profile")
    >>> round(float(pick_peaks(s, noise=0.001).centroid_mz[0]), 4)
    1600.4321
    """
    snr_min = _checks.positive("min_snr", min_snr)
    method = _checks.choice("centroid_method", centroid_method, CENTROID_METHODS)
    given = None if noise is None else _checks.non_negative("noise", noise)
    _checks.finite_intensities(spectrum, "pick_peaks")
    floor, sigma = noise_floor_and_level(spectrum) if given is None else (0.0, given)
    if spectrum.mode == "centroid":
        return _threshold_centroids(spectrum, snr_min * sigma, sigma)
    return _pick_profile(spectrum, floor, snr_min, sigma, method)


def centroid(
    spectrum: Spectrum,
    /,
    *,
    min_snr: float = 3.0,
    noise: float | None = None,
    centroid_method: str = "gaussian",
    intensity: str = "height",
) -> Spectrum:
    """Centroid a profile spectrum (threshold a centroid one).

    Parameters
    ----------
    spectrum, min_snr, noise, centroid_method
        As for :func:`pick_peaks`.
    intensity
        ``"height"`` or ``"area"``: which measure of each peak becomes its intensity.

    Returns
    -------
    Spectrum
        ``mode="centroid"``, one point per peak at its centroid m/z; polarity and metadata
        are kept.
    """
    which = _checks.choice("intensity", intensity, _INTENSITY_CHOICES)
    peaks = pick_peaks(spectrum, min_snr=min_snr, noise=noise, centroid_method=centroid_method)
    values = peaks.height if which == "height" else peaks.area
    return spectrum.replace(mz=peaks.centroid_mz, intensity=values, mode="centroid")


def estimate_resolution(spectrum: Spectrum, /, *, min_snr: float = 20.0, peaks: PeakList | None = None) -> float:
    """Resolving power m/z / FWHM of the instrument, from the spectrum's own peaks.

    The median of m/z / FWHM over the stronger half of the peaks that are resolved
    (valleys on both sides below half height), reach ``min_snr`` and span at least three
    sampling points at half height.

    Parameters
    ----------
    spectrum
        A baseline-corrected profile spectrum.
    min_snr
        Minimum signal-to-noise ratio of the peaks used (> 0).
    peaks
        The spectrum's peaks when they were picked already (with a threshold at or below
        ``min_snr``); those reaching ``min_snr`` are used instead of picking again.

    Returns
    -------
    float
        The resolving power, or NaN when no peak qualifies (centroid data included).
    """
    snr_min = _checks.positive("min_snr", min_snr)
    if isinstance(spectrum, Spectrum) and spectrum.mode == "centroid":
        return math.nan
    if peaks is None:
        peaks = pick_peaks(spectrum, min_snr=snr_min)
    elif not isinstance(peaks, PeakList):
        raise OptionError(f"peaks must be a PeakList, got {type(peaks).__name__}")
    else:
        peaks = peaks.select(peaks.snr >= snr_min)
    if len(peaks) == 0:
        return math.nan
    mz = spectrum.mz
    # The local sampling interval at each apex (np.gradient's central difference, taken at
    # the apexes only instead of along the whole spectrum).
    if mz.size > 1:
        i = peaks.index
        before, after = np.maximum(i - 1, 0), np.minimum(i + 1, mz.size - 1)
        step = (mz[after] - mz[before]) / (after - before)
    else:
        step = np.zeros(len(peaks))
    ok = peaks.resolved & (peaks.fwhm >= 3.0 * step) & (peaks.fwhm > 0)
    if not ok.any():
        return math.nan
    height = peaks.height[ok]
    strong = height >= median(height)
    power = peaks.centroid_mz[ok][strong] / peaks.fwhm[ok][strong]
    return float(median(power))


def _empty(sigma: float, polarity: Polarity) -> PeakList:
    none = np.zeros(0)
    return PeakList(none, none, none, none, none, none, np.zeros(0, np.intp), np.zeros(0, bool), sigma, polarity)


def _snr(height: NDArray[np.float64], sigma: float) -> NDArray[np.float64]:
    if sigma > 0:
        with np.errstate(over="ignore"):  # a subnormal noise level gives inf, as 0 does
            return height / sigma
    return np.where(height > 0, np.inf, 0.0)


def _threshold_centroids(spectrum: Spectrum, threshold: float, sigma: float) -> PeakList:
    y = spectrum.intensity
    keep = np.flatnonzero((y >= threshold) & (y > 0))
    mz, h = spectrum.mz[keep], y[keep]
    return PeakList(
        centroid_mz=mz,
        apex_mz=mz,
        height=h,
        area=h,
        fwhm=np.full(keep.size, np.nan),
        snr=_snr(h, sigma),
        index=keep,
        resolved=np.zeros(keep.size, bool),
        noise=sigma,
        polarity=spectrum.polarity,
    )


def _pick_profile(spectrum: Spectrum, floor: float, snr_min: float, sigma: float, method: str) -> PeakList:
    mz, y = spectrum.mz, spectrum.intensity
    n = mz.size
    if n < 3:
        return _empty(sigma, spectrum.polarity)
    threshold = snr_min * sigma
    lowest = floor + threshold
    if threshold <= 0:  # no noise: any point above the floor counts (snr = inf)
        lowest = float(np.nextafter(max(lowest, 0.0), np.inf))
    peaks, _ = _kernels.find_peaks(y, height=lowest, prominence=threshold if threshold > 0 else None)
    if peaks.size == 0:
        return _empty(sigma, spectrum.polarity)
    height = y[peaks]
    left_base, right_base = _valleys(y, peaks)
    # Half height measured from zero (prominence = height), not past the valleys; a zero
    # width (e.g. a subnormal height) is reported as 0.
    _, _, left_ip, right_ip = _kernels.peak_widths(
        y, peaks, rel_height=0.5, prominences=height, left_bases=left_base, right_bases=right_base
    )
    grid = np.arange(n, dtype=np.float64)
    left_mz, right_mz = np.interp(left_ip, grid, mz), np.interp(right_ip, grid, mz)
    fwhm = right_mz - left_mz
    half = 0.5 * height
    resolved = (y[left_base] < half) & (y[right_base] < half)
    if method == "weighted":
        center = _weighted_centroid(mz, y, left_ip, right_ip)
    else:
        center = _vertex(mz, y, peaks, log=(method == "gaussian"))
    reach = _AREA_HALF_SPAN_FWHM * fwhm
    lo = np.maximum(mz[left_base], center - reach)
    hi = np.minimum(mz[right_base], center + reach)
    cumulative = _kernels.cumulative_trapezoid(y, mz)
    area = np.interp(hi, mz, cumulative) - np.interp(lo, mz, cumulative)
    return PeakList(
        centroid_mz=center,
        apex_mz=mz[peaks],
        height=height,
        area=area,
        fwhm=fwhm,
        snr=_snr(height - floor, sigma),
        index=peaks,
        resolved=resolved,
        noise=sigma,
        polarity=spectrum.polarity,
        floor=floor,
    )


def _valleys(y: NDArray[np.float64], peaks: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index of the lowest point between consecutive peaks (and towards each end)."""
    first, last = int(peaks[0]), int(peaks[-1])
    inner = np.zeros(0, np.intp)
    if peaks.size > 1:
        segment = y[first:last]
        seg_id = np.repeat(np.arange(peaks.size - 1), np.diff(peaks))
        lowest = np.minimum.reduceat(segment, peaks[:-1] - first)
        hit = np.flatnonzero(segment == lowest[seg_id])
        starts = np.flatnonzero(np.diff(seg_id[hit], prepend=-1) != 0)
        inner = (hit[starts] + first).astype(np.intp)
    head = np.intp(np.argmin(y[: first + 1]))
    tail = np.intp(last + np.argmin(y[last:]))
    left = np.concatenate(([head], inner)).astype(np.intp)
    right = np.concatenate((inner, [tail])).astype(np.intp)
    return left, right


def _vertex(
    mz: NDArray[np.float64], y: NDArray[np.float64], peaks: NDArray[np.intp], *, log: bool
) -> NDArray[np.float64]:
    """Vertex of the parabola through the three points around each apex."""
    x0, x1, x2 = mz[peaks - 1], mz[peaks], mz[peaks + 1]
    y0, y1, y2 = y[peaks - 1], y[peaks], y[peaks + 1]
    if log:
        ok = (y0 > 0) & (y1 > 0) & (y2 > 0)
        with np.errstate(divide="ignore"):
            ly0, ly1, ly2 = (np.log(np.where(ok, v, 1.0)) for v in (y0, y1, y2))
        y0, y1, y2 = np.where(ok, ly0, y0), np.where(ok, ly1, y1), np.where(ok, ly2, y2)
    # Local coordinates around the apex keep the arithmetic exact to ~1e-12 m/z.
    a, b = x0 - x1, x2 - x1
    da, db = y0 - y1, y2 - y1
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = a * b * (a - b)
        curvature = (b * da - a * db) / denom
        slope = (a * a * db - b * b * da) / denom
        shift = -slope / (2.0 * curvature)
    good = np.isfinite(shift) & (curvature < 0) & (shift >= a) & (shift <= b)
    return np.where(good, x1 + np.where(good, shift, 0.0), x1)


def _weighted_centroid(
    mz: NDArray[np.float64],
    y: NDArray[np.float64],
    left_ip: NDArray[np.float64],
    right_ip: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Intensity-weighted mean m/z of the points inside the half-height crossings."""
    lo = np.ceil(left_ip).astype(np.intp)
    hi = np.floor(right_ip).astype(np.intp) + 1
    w = np.concatenate(([0.0], np.cumsum(y)))
    wx = np.concatenate(([0.0], np.cumsum(y * mz)))
    total = w[hi] - w[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        center = (wx[hi] - wx[lo]) / total
    fallback = mz[np.clip((lo + hi - 1) // 2, 0, mz.size - 1)]
    return np.where(total > 0, center, fallback)
