"""Mixture analysis: a spectrum as a non-negative combination of reference spectra.

Model on the common grid (the mixture's own points inside every reference's range)::

    A(x) = sum_i w_i R_i(x) + s * (lambda / 400 nm)^-4 + b0 + b1 * t(x)

with ``w_i >= 0`` (a species cannot absorb negatively), ``s >= 0`` (Rayleigh-like scattering of
particles from decomposition), and a free constant (``baseline="constant"``) or constant plus
linear (``"linear"``) baseline. Solved as a bounded linear least-squares problem
(:func:`scipy.optimize.lsq_linear`) on unit-norm columns.

``axis="ev"`` fits on a uniform photon-energy grid with the Jacobian (A * lambda^2 / hc) applied
to the mixture and the references alike; the weights keep their meaning (a weight multiplies a
reference spectrum), the residual is weighted along energy instead of wavelength.

A fit is *flagged* when its systematic residual (the residual after smoothing away the noise)
exceeds ``max_residual`` of the spectrum's norm: something absorbs that the references do not
explain (a new species, or a broad background).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import lsq_linear
from scipy.signal import savgol_filter

from clusterms.errors import OptionError
from clusterms.uvvis.spectrum import HC_EV_NM, UVVisSpectrum

__all__ = ["MixtureFit", "SeriesComponents", "fit_mixture", "noise_level", "series_components"]

FloatArray = NDArray[np.float64]
Baseline = Literal["none", "constant", "linear"]
Axis = Literal["nm", "ev"]


@dataclass(frozen=True, slots=True)
class MixtureFit:
    """The fit of one spectrum.

    ``weights`` maps each reference name to its multiplier; ``terms`` holds the scattering
    coefficient (absorbance of the lambda^-4 term at 400 nm) and the baseline coefficients.
    ``x`` is the fit grid (nm, or eV with ``axis="ev"``); ``data``, ``model`` and ``residual``
    are on it, as are the reference ``components`` scaled by their weights.
    """

    spectrum: str
    axis: str
    weights: dict[str, float]
    terms: dict[str, float]
    x: FloatArray
    data: FloatArray
    model: FloatArray
    residual: FloatArray
    components: dict[str, FloatArray]
    residual_fraction: float
    systematic_fraction: float
    noise: float
    flagged: bool

    @property
    def fractions(self) -> dict[str, float]:
        """Weights normalised to sum 1 (the share of each reference in the explained signal)."""
        total = sum(self.weights.values())
        return {k: (v / total if total > 0 else 0.0) for k, v in self.weights.items()}


def noise_level(y: FloatArray) -> float:
    """Standard deviation of white noise from second differences (robust: median absolute deviation).

    For white noise e, var(e[i-1] - 2 e[i] + e[i+1]) = 6 sigma^2; smooth bands contribute
    little to second differences on a dense grid.
    """
    if y.size < 5:
        return 0.0
    d2 = np.diff(y, 2)
    return float(np.median(np.abs(d2 - np.median(d2))) / 0.6745 / np.sqrt(6.0))


def _grid(spectrum: UVVisSpectrum, references: Sequence[UVVisSpectrum],
          window: tuple[float, float] | None) -> FloatArray:
    lo = max([spectrum.wavelength_nm[0], *(r.wavelength_nm[0] for r in references)])
    hi = min([spectrum.wavelength_nm[-1], *(r.wavelength_nm[-1] for r in references)])
    if window is not None:
        lo, hi = max(lo, window[0]), min(hi, window[1])
    wl = spectrum.wavelength_nm
    grid = wl[(wl >= lo) & (wl <= hi)]
    if grid.size < 10:
        names = ", ".join(r.name for r in references)
        raise OptionError(f"spectrum {spectrum.name!r} and the references ({names}) share "
                          f"{grid.size} wavelengths in {lo:g}-{hi:g} nm; at least 10 are needed")
    return np.asarray(grid)


def _smooth(r: FloatArray) -> FloatArray:
    n = r.size
    window = max(7, (n // 25) | 1)
    if window >= n:
        window = n - 1 if (n - 1) % 2 == 1 else n - 2
    if window < 5:
        return r
    return np.asarray(savgol_filter(r, window, 2, mode="interp"))


def fit_mixture(
    spectrum: UVVisSpectrum,
    references: Sequence[UVVisSpectrum],
    /,
    *,
    baseline: Baseline = "constant",
    scattering: bool = True,
    axis: Axis = "nm",
    window: tuple[float, float] | None = None,
    max_residual: float = 0.02,
) -> MixtureFit:
    """Fit ``spectrum`` as a non-negative combination of ``references`` (see the module text)."""
    if not references:
        raise OptionError("the mixture fit needs at least one reference spectrum")
    if baseline not in ("none", "constant", "linear"):
        raise OptionError(f"baseline must be none, constant or linear, not {baseline!r}")
    if axis not in ("nm", "ev"):
        raise OptionError(f"axis must be nm or ev, not {axis!r}")
    if not 0 < max_residual < 1:
        raise OptionError(f"max_residual must be between 0 and 1, not {max_residual:g}")
    wl = _grid(spectrum, references, window)
    y = np.interp(wl, spectrum.wavelength_nm, spectrum.absorbance)
    names = [r.name for r in references]
    cols: list[FloatArray] = [np.interp(wl, r.wavelength_nm, r.absorbance) for r in references]
    lower = [0.0] * len(cols)
    extra: list[str] = []
    # Every term is an absorbance on the wavelength axis; the energy axis transforms all alike.
    if scattering:
        cols.append((wl / 400.0) ** -4)
        lower.append(0.0)
        extra.append("scattering")
    if baseline in ("constant", "linear"):
        cols.append(np.ones_like(wl))
        lower.append(-np.inf)
        extra.append("baseline")
    if baseline == "linear":
        cols.append((wl - wl.mean()) / (np.ptp(wl) or 1.0))
        lower.append(-np.inf)
        extra.append("baseline_slope")
    x = wl
    if axis == "ev":
        jac = wl**2 / HC_EV_NM
        energy = (HC_EV_NM / wl)[::-1]  # increasing
        x = np.linspace(energy[0], energy[-1], wl.size)
        y = np.interp(x, energy, (y * jac)[::-1])
        cols = [np.interp(x, energy, (c * jac)[::-1]) for c in cols]
    refs = cols[: len(references)]
    a = np.column_stack(cols)
    norms = np.linalg.norm(a, axis=0)
    bad = [names[i] for i in range(len(refs)) if norms[i] == 0]
    if bad:
        raise OptionError(f"reference {bad[0]!r} is zero over the fitted range")
    norms[norms == 0] = 1.0
    scale = float(np.linalg.norm(y)) or 1.0
    sol = lsq_linear(a / norms, y / scale, bounds=(np.array(lower), np.full(len(cols), np.inf)),
                     method="bvls")
    coef = sol.x * scale / norms
    model = a @ coef
    residual = y - model
    ynorm = float(np.linalg.norm(y))
    frac = float(np.linalg.norm(residual) / ynorm) if ynorm > 0 else 0.0
    systematic = float(np.linalg.norm(_smooth(residual)) / ynorm) if ynorm > 0 else 0.0
    weights = {n: float(c) for n, c in zip(names, coef[: len(refs)], strict=True)}
    terms = {n: float(c) for n, c in zip(extra, coef[len(refs):], strict=True)}
    comps = {n: np.asarray(coef[i] * refs[i]) for i, n in enumerate(names)}
    return MixtureFit(spectrum=spectrum.name, axis=axis, weights=weights, terms=terms, x=np.asarray(x),
                      data=np.asarray(y), model=np.asarray(model), residual=np.asarray(residual),
                      components=comps, residual_fraction=frac, systematic_fraction=systematic,
                      noise=noise_level(np.asarray(y)), flagged=systematic > max_residual)


@dataclass(frozen=True, slots=True)
class SeriesComponents:
    """How many independent spectral components a series holds, from singular values.

    ``n_data`` counts singular values of the spectra matrix above the noise edge;
    ``n_unexplained`` those of the residual matrix (what the references leave out).
    The noise edge is ``sigma * (sqrt(m) + sqrt(n))`` (the largest singular value of an
    m x n matrix of white noise), times a safety factor of 1.5.
    """

    singular_values: tuple[float, ...]
    residual_singular_values: tuple[float, ...]
    noise_edge: float
    n_data: int
    n_unexplained: int


def series_components(fits: Sequence[MixtureFit], /) -> SeriesComponents:
    """Count components of a series of fits (every fit on its own grid is resampled to the first)."""
    if not fits:
        raise OptionError("no fits to count components in")
    x0 = fits[0].x
    data = np.vstack([np.interp(x0, f.x, f.data) for f in fits])
    res = np.vstack([np.interp(x0, f.x, f.residual) for f in fits])
    sigma = float(np.median([f.noise for f in fits]))
    m, n = data.shape
    edge = 1.5 * max(sigma, 1e-12) * (np.sqrt(m) + np.sqrt(n))
    sv = np.linalg.svd(data, compute_uv=False)
    rsv = np.linalg.svd(res, compute_uv=False)
    # A residual component must also be systematic: one spectrum's noise is never one.
    return SeriesComponents(singular_values=tuple(float(v) for v in sv),
                            residual_singular_values=tuple(float(v) for v in rsv), noise_edge=float(edge),
                            n_data=int(np.sum(sv > edge)), n_unexplained=int(np.sum(rsv > edge)))
