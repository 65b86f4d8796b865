"""Conformers of a species: Gaussians fitted to its arrival-time distribution, chosen by BIC.

For K = 0 .. ``max_conformers`` the ATD is fitted with a constant offset plus K Gaussians
(:func:`scipy.optimize.curve_fit`, bounded trust-region, bins weighted by their counting
noise). The Bayesian information criterion BIC = chi2/s2 + (3K + 1) ln n (s2 the noise scale
measured on the peaks, see :func:`_bic`) chooses K: the fewest conformers within
:data:`BIC_MARGIN` of the smallest BIC, each holding at least ``min_share`` of the area and
:data:`MIN_SEPARATION` mean FWHMs from its neighbour. (The plain minimum over-fits Poisson
noise: on simulated runs it found 3-4 conformers where there were 1-2.) Each Gaussian's FWHM
is bounded below by the narrowest peak one conformer can give:

    FWHM_min(t) = max(t / R_max, one drift bin)

where R_max is the diffusion-limited resolving power of a drift tube (Revercomb & Mason,
1975; Siems et al., Anal. Chem. 2012, 84, 9782):

    R_max = sqrt(|z| e V / (16 k_B T ln 2))

for drift voltage V and gas temperature T, or, when no drift voltage is given (travelling-wave
cells have none), a resolving-power ceiling ``max_resolving_power`` (default 100: no single
conformer's arrival peak is narrower than t/100). Two conformers closer than that floor cannot
be told apart and are fitted as one.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.constants import Boltzmann, elementary_charge
from scipy.optimize import OptimizeWarning, curve_fit

from clusterms.errors import OptionError
from clusterms.mobility.atd import ArrivalDistribution

__all__ = ["DEFAULT_MAX_RESOLVING_POWER", "ConformerFit", "diffusion_resolving_power", "fit_conformers",
           "min_fwhm"]

FloatArray = NDArray[np.float64]
logger = logging.getLogger(__name__)

#: Resolving-power ceiling t/FWHM of one conformer when no drift voltage is given.
DEFAULT_MAX_RESOLVING_POWER = 100.0
#: A model with more conformers is kept only if it lowers the BIC by more than this ("very
#: strong" evidence on the Kass & Raftery scale).
BIC_MARGIN = 10.0
#: Two conformers must be this many mean FWHMs apart (0.5: at least a shoulder); a closer pair
#: sums to one nearly Gaussian peak and is not evidence of two.
MIN_SEPARATION = 0.5
_FOUR_LN2 = 4.0 * math.log(2.0)


@dataclass(frozen=True)
class ConformerFit:
    """The conformers found in one ATD.

    Attributes
    ----------
    species
        Notation of the ion.
    centres, widths
        Centre and FWHM of each Gaussian (the ATD's unit), by centre.
    areas
        Area of each Gaussian (intensity x drift unit).
    bic
        BIC of each K tried, K = 0 first.
    note
        Why no conformer was fitted, when none was.
    """

    species: str
    centres: tuple[float, ...]
    widths: tuple[float, ...]
    areas: tuple[float, ...]
    offset: float
    bic: tuple[float, ...]
    note: str = ""

    @property
    def n_conformers(self) -> int:
        return len(self.centres)

    def curve(self, t: FloatArray, /) -> FloatArray:
        """The fitted ATD at drift times ``t``."""
        y = np.full(np.shape(t), self.offset, dtype=np.float64)
        for c, w, a in zip(self.centres, self.widths, self.areas, strict=True):
            h = a / (w * math.sqrt(math.pi / _FOUR_LN2))
            y += h * np.exp(-_FOUR_LN2 * ((np.asarray(t) - c) / w) ** 2)
        return y


def diffusion_resolving_power(*, charge: int, drift_voltage: float, temperature_k: float = 298.15) -> float:
    """Diffusion-limited resolving power t/FWHM of a drift tube: sqrt(|z| e V / (16 k_B T ln 2)).

    >>> round(diffusion_resolving_power(charge=3, drift_voltage=1000.0, temperature_k=300.0), 1)
    102.1
    """
    if not (drift_voltage > 0 and math.isfinite(drift_voltage)):
        raise OptionError(f"drift voltage must be a positive number of volts, got {drift_voltage}")
    if not (temperature_k > 0 and math.isfinite(temperature_k)):
        raise OptionError(f"temperature must be a positive number of kelvin, got {temperature_k}")
    if charge == 0:
        raise OptionError("a neutral has no mobility")
    return math.sqrt(abs(charge) * elementary_charge * drift_voltage / (16.0 * Boltzmann * temperature_k * math.log(2)))


def min_fwhm(t: float | FloatArray, /, *, resolving_power: float, bin_width: float) -> FloatArray:
    """Narrowest FWHM of one conformer's arrival peak at drift time ``t``: max(t / R_max, one bin)."""
    return np.maximum(np.asarray(t, dtype=np.float64) / resolving_power, bin_width)


def _model(t: FloatArray, *p: float, rp: float, bw: float) -> FloatArray:
    y = np.full(t.shape, p[0])
    for k in range(1, len(p), 3):
        h, c, extra = p[k], p[k + 1], p[k + 2]
        w = max(c / rp, bw) + extra
        y = y + h * np.exp(-_FOUR_LN2 * ((t - c) / w) ** 2)
    return y


def _jacobian(t: FloatArray, *p: float, rp: float, bw: float) -> FloatArray:
    """d model / d parameters (offset; height, centre, extra width of each Gaussian)."""
    jac = np.empty((t.size, len(p)))
    jac[:, 0] = 1.0
    for k in range(1, len(p), 3):
        h, c, extra = p[k], p[k + 1], p[k + 2]
        on_floor = c / rp > bw
        w = (c / rp if on_floor else bw) + extra
        d = t - c
        g = np.exp(-_FOUR_LN2 * (d / w) ** 2)
        dw = h * g * 2.0 * _FOUR_LN2 * d * d / w ** 3  # d/dw
        jac[:, k] = g
        jac[:, k + 1] = h * g * 2.0 * _FOUR_LN2 * d / w ** 2 + (dw / rp if on_floor else 0.0)
        jac[:, k + 2] = dw
    return jac


def _components(p: list[float], rp: float, bw: float) -> list[tuple[float, float, float]]:
    """(centre, FWHM, area) of each Gaussian of parameter vector ``p``, by centre."""
    comps = []
    for j in range(1, len(p), 3):
        h, c, extra = p[j], p[j + 1], p[j + 2]
        w = max(c / rp, bw) + extra
        comps.append((c, w, h * w * math.sqrt(math.pi / _FOUR_LN2)))
    return sorted(comps)


def _components_ok(comps: list[tuple[float, float, float]], min_share: float) -> bool:
    """Every conformer holds ``min_share`` of the area and stands apart from its neighbour by at
    least :data:`MIN_SEPARATION` times their mean FWHM (closer, the pair is one peak's shape)."""
    total = sum(a for _c, _w, a in comps)
    if total <= 0:
        return not comps
    apart = all(b[0] - a[0] >= MIN_SEPARATION * 0.5 * (a[1] + b[1]) for a, b in itertools.pairwise(comps))
    return apart and all(a >= min_share * total for _c, _w, a in comps)


def _bic(t: FloatArray, y: FloatArray, sigma: FloatArray, chi2: list[float], fits: list[tuple[int, list[float]]], *,
         rp: float, bw: float, floor: float) -> list[float]:
    """BIC of each K, chi2_K / s2 + (3K + 1) ln n, with s2 the noise scale (the detector's gain on
    the counting variances) measured where the signal is.

    Where an ATD is zero the non-negative amplitudes scatter far less than counting noise
    predicts; a scale from all bins (n ln(RSS/n)) would be too small and reward fitting the
    noise of the peaks. s2 comes from the best plain-BIC model's residuals over the bins above
    5 % of its maximum.
    """
    n = t.size
    plain = [n * math.log(max(c, floor) / n) + (3 * k + 1) * math.log(n) if math.isfinite(c) else math.inf
             for k, c in enumerate(chi2)]
    k_ref, p_ref = min(fits, key=lambda kp: plain[kp[0]])
    model = _model(t, *p_ref, rp=rp, bw=bw)
    top = float(model.max() - p_ref[0])
    where = (model - p_ref[0] > 0.05 * top) if top > 0 else np.ones(n, dtype=bool)
    r = ((y - model) / sigma)[where]
    s2 = max(float(np.sum(r * r)) / max(int(where.sum()) - (3 * k_ref + 1), 1), floor / n, 1e-300)
    return [c / s2 + (3 * k + 1) * math.log(n) if math.isfinite(c) else math.inf for k, c in enumerate(chi2)]


def fit_conformers(atd: ArrivalDistribution, /, *, max_conformers: int = 4,
                   max_resolving_power: float = DEFAULT_MAX_RESOLVING_POWER, drift_voltage: float | None = None,
                   temperature_k: float = 298.15, min_share: float = 0.02) -> ConformerFit:
    """Fit 0..``max_conformers`` Gaussians to an ATD and keep the K of the smallest BIC.

    An undetected species (``atd.detected`` false) or an ATD without signal gets no
    conformer: noise is not fitted.
    """
    if not 1 <= max_conformers <= 10:
        raise OptionError(f"max_conformers must be between 1 and 10, got {max_conformers}")
    if not 0 <= min_share < 0.5:
        raise OptionError(f"min_share must be between 0 and 0.5, got {min_share}")
    if not (max_resolving_power > 1 and math.isfinite(max_resolving_power)):
        raise OptionError(f"max_resolving_power must be a number above 1, got {max_resolving_power}")
    rp = (diffusion_resolving_power(charge=atd.charge, drift_voltage=drift_voltage, temperature_k=temperature_k)
          if drift_voltage is not None else max_resolving_power)
    t = np.asarray(atd.drift, dtype=np.float64)
    y = np.asarray(atd.intensity, dtype=np.float64)
    sigma = np.asarray(atd.sigma, dtype=np.float64)
    sigma = np.where(sigma > 0, sigma, max(float(sigma.max()), 1e-300))
    if not atd.detected:
        return ConformerFit(atd.species, (), (), (), 0.0, (), note=f"not detected (S/N {atd.snr:.1f})")
    if not np.any(y > 0):
        return ConformerFit(atd.species, (), (), (), 0.0, (), note="no signal in any drift bin")
    n = t.size
    bw = float(np.median(np.diff(t))) if n > 1 else 0.0
    span = float(t[-1] - t[0])
    top = float(y.max())
    # Weighted residual floor: noise-free data must not reward ever more peaks.
    floor = n * (1e-6 * float(np.max(np.abs(y) / sigma))) ** 2
    params = [float(np.median(y))]  # the baseline guess of the first fit
    wts = sigma ** -2.0
    mean = float(np.sum(wts * y) / np.sum(wts))
    chi2 = [float(np.sum(((y - mean) / sigma) ** 2))]
    fits: list[tuple[int, list[float]]] = [(0, [mean])]
    prev = params
    for k in range(1, max_conformers + 1):
        if 3 * k + 1 >= n - 1:
            break
        resid = y - _model(t, *prev, rp=rp, bw=bw)
        i = int(np.argmax(resid / sigma))
        guess = [*prev, max(float(resid[i]), 1e-12 * top), float(t[i]), float(min_fwhm(t[i], resolving_power=rp,
                                                                                       bin_width=bw))]
        lower = [0.0] + [0.0, float(t[0]), 0.0] * k
        upper = [top] + [2.0 * top, float(t[-1]), max(span, bw)] * k
        guess = [min(max(g, lo), hi) for g, lo, hi in zip(guess, lower, upper, strict=True)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                popt, _ = curve_fit(lambda x, *p: _model(x, *p, rp=rp, bw=bw), t, y, p0=guess, sigma=sigma,
                                    jac=lambda x, *p: _jacobian(x, *p, rp=rp, bw=bw),
                                    bounds=(lower, upper), method="trf", max_nfev=300 * k)
        except (RuntimeError, ValueError) as exc:
            logger.debug("%s: the %d-conformer fit failed (%s)", atd.species, k, exc)
            chi2.append(math.inf)
            prev = guess  # the next K starts from this one's unfitted guess
            continue
        p = [float(v) for v in popt]
        chi2.append(float(np.sum(((y - _model(t, *p, rp=rp, bw=bw)) / sigma) ** 2)))
        prev = p
        fits.append((k, p))
    bics = _bic(t, y, sigma, chi2, fits, rp=rp, bw=bw, floor=floor)
    # The fewest conformers whose BIC is within BIC_MARGIN of the smallest and whose every
    # component holds at least min_share of the area and stands apart from its neighbours.
    eligible = [(k, p) for k, p in fits if _components_ok(_components(p, rp, bw), min_share)]
    low = min(bics[k] for k, _p in eligible)
    k_best, p = next((k, p) for k, p in eligible if bics[k] <= low + BIC_MARGIN)
    comps = _components(p, rp, bw) if k_best else []
    return ConformerFit(atd.species, tuple(c for c, _w, _a in comps), tuple(w for _c, w, _a in comps),
                        tuple(a for _c, _w, a in comps), p[0], tuple(bics),
                        note="" if comps else "no peak above the noise (BIC prefers none)")
