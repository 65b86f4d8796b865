"""Mass calibration: a robust fit of the ppm error, and its correction.

The ppm error of a peak is ``(observed - theoretical) / theoretical * 1e6``. The model is
``error(mz) = ppm_offset + ppm_slope_per_kmz * mz / 1000``: a constant offset, plus, for
``model="linear"``, a drift that grows linearly with m/z (the offset is the error
extrapolated to m/z 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms._arrays import theil_sen, unique_sorted
from clusterms.errors import OptionError
from clusterms.spectra import _checks
from clusterms.spectra.spectrum import Spectrum

__all__ = ["CALIBRATION_MODELS", "Calibration", "fit_calibration", "recalibrate"]

CALIBRATION_MODELS = ("offset", "linear")

_TUKEY_C = 4.685  # bisquare tuning constant: 95 % efficiency for Gaussian errors
_MAD_TO_SIGMA = 1.482_6
_MIN_SCALE_PPM = 1e-6  # floor on the residual scale, so exact data do not divide by zero
_MAX_ITER = 100


@dataclass(frozen=True)
class Calibration:
    """A fitted m/z calibration.

    Attributes
    ----------
    ppm_offset
        Error in ppm extrapolated to m/z 0 (the whole error for ``model="offset"``).
    ppm_slope_per_kmz
        Change of the error in ppm per 1000 m/z.
    n_points
        Number of calibrant points that kept a non-zero robust weight (the inliers).
    rms_ppm
        Root-mean-square residual of the inliers after the fit, in ppm.
    """

    ppm_offset: float
    ppm_slope_per_kmz: float = 0.0
    n_points: int = 0
    rms_ppm: float = math.nan

    def ppm_error(self, mz: ArrayLike, /) -> NDArray[np.float64]:
        """The modelled error, in ppm, at the given (true) m/z values."""
        return self.ppm_offset + self.ppm_slope_per_kmz * np.asarray(mz, np.float64) / 1000.0

    def apply(self, mz: ArrayLike, /) -> NDArray[np.float64]:
        """Corrected m/z values: the inverse of ``observed = true * (1 + error(true) * 1e-6)``.

        Examples
        --------
        >>> cal = Calibration(ppm_offset=10.0)
        >>> round(float(cal.apply([1000.01])[0]), 6)
        1000.0
        """
        observed = np.asarray(mz, dtype=np.float64)
        # observed = a t^2 + b t with a = slope * 1e-9, b = 1 + offset * 1e-6: the positive
        # root, in the form that stays exact as a -> 0 (no cancellation).
        a = self.ppm_slope_per_kmz * 1e-9
        b = 1.0 + self.ppm_offset * 1e-6
        if a == 0.0:
            return observed / b
        return 2.0 * observed / (b + np.sqrt(b * b + 4.0 * a * observed))

    def apply_spectrum(self, spectrum: Spectrum, /) -> Spectrum:
        """A new spectrum with corrected m/z values (intensities untouched)."""
        return spectrum.replace(mz=self.apply(spectrum.mz))


def fit_calibration(
    observed_mz: ArrayLike,
    theoretical_mz: ArrayLike,
    /,
    *,
    weights: ArrayLike | None = None,
    model: str = "offset",
) -> Calibration:
    """Fit the ppm error of observed calibrant m/z values against their theoretical ones.

    The fit is robust: it starts from a median (offset) or Theil-Sen (linear) estimate and
    iterates reweighted least squares with Tukey's bisquare weights on a MAD scale, so a
    minority of wrong assignments gets weight zero.

    Parameters
    ----------
    observed_mz, theoretical_mz
        Matching 1-D arrays.
    weights
        Optional non-negative weights (e.g. intensities), multiplied into the robust ones.
    model
        ``"offset"`` (constant ppm error) or ``"linear"`` (offset plus drift with m/z).

    Returns
    -------
    Calibration

    Raises
    ------
    OptionError
        For an unknown model, arrays of different lengths, non-finite values, m/z <= 0,
        negative weights, or too few points (one for ``"offset"``, two at different m/z for
        ``"linear"``).

    Examples
    --------
    >>> theo = [1000.0, 2000.0, 3000.0]
    >>> obs = [t * (1 + 15e-6) for t in theo]
    >>> round(fit_calibration(obs, theo).ppm_offset, 6)
    15.0
    """
    kind = _checks.choice("model", model, CALIBRATION_MODELS)
    obs, theo, w = _arrays(observed_mz, theoretical_mz, weights)
    usable = w > 0
    obs, theo, w = obs[usable], theo[usable], w[usable]
    error = (obs - theo) / theo * 1e6
    x = theo / 1000.0
    if kind == "offset":
        if error.size < 1:
            raise OptionError("model='offset' needs at least 1 calibrant with weight > 0, got 0")
        design = np.ones((error.size, 1))
        coef = np.array([_weighted_median(error, w)])
    else:
        if error.size < 2 or np.ptp(x) <= 0:
            raise OptionError(
                "model='linear' needs at least 2 calibrants at different m/z, got "
                f"{error.size} at {unique_sorted(theo).size} distinct m/z"
            )
        design = np.column_stack((np.ones_like(x), x))
        coef = theil_sen(x, error)
    robust = np.ones_like(error)
    for _ in range(_MAX_ITER):
        residual = error - design @ coef
        scale = max(_MAD_TO_SIGMA * _weighted_median(np.abs(residual), w), _MIN_SCALE_PPM)
        u = residual / (_TUKEY_C * scale)
        robust = np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)
        total = robust * w
        if np.count_nonzero(total) < design.shape[1]:
            break
        sqrt_w = np.sqrt(total)
        new, *_ = np.linalg.lstsq(design * sqrt_w[:, None], error * sqrt_w, rcond=None)
        converged = np.allclose(new, coef, rtol=0.0, atol=1e-10)
        coef = new
        if converged:
            break
    residual = error - design @ coef
    inliers = robust > 0
    rms = float(np.sqrt(np.mean(residual[inliers] ** 2))) if inliers.any() else math.nan
    slope = float(coef[1]) if kind == "linear" else 0.0
    return Calibration(
        ppm_offset=float(coef[0]),
        ppm_slope_per_kmz=slope,
        n_points=int(np.count_nonzero(inliers)),
        rms_ppm=rms,
    )


def recalibrate(spectrum: Spectrum, calibration: Calibration, /) -> Spectrum:
    """Apply a calibration to a spectrum's m/z values (see :meth:`Calibration.apply`)."""
    if not isinstance(calibration, Calibration):
        raise OptionError(f"calibration must be a Calibration, got {type(calibration).__name__}")
    return calibration.apply_spectrum(spectrum)


def _arrays(
    observed: ArrayLike, theoretical: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    obs = np.asarray(observed, dtype=np.float64).ravel()
    theo = np.asarray(theoretical, dtype=np.float64).ravel()
    if obs.shape != theo.shape:
        raise OptionError(f"observed_mz and theoretical_mz differ in length ({obs.size} vs {theo.size})")
    w = np.ones_like(obs) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != obs.shape:
        raise OptionError(f"weights has {w.size} values for {obs.size} calibrants")
    for name, values in (("observed_mz", obs), ("theoretical_mz", theo)):
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            raise OptionError(
                f"{name} must be finite and > 0, got {values[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}"
            )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise OptionError(f"weights must be finite and >= 0, got {w[bad][0]!r}")
    return obs, theo, w


def _weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    order = np.argsort(values)
    v, cw = values[order], np.cumsum(weights[order])
    return float(v[np.searchsorted(cw, 0.5 * cw[-1])])
