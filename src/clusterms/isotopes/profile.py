"""Profiles: isotope peaks broadened at a resolving power (FWHM = m/z / R)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms.errors import OptionError
from clusterms.isotopes.envelope import Envelope

__all__ = ["Profile", "Shape", "log_grid", "peak_shapes", "profile"]

Shape = Literal["gaussian", "lorentzian", "pseudo-voigt"]
_SHAPES = ("gaussian", "lorentzian", "pseudo-voigt")
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))
# Half-width of the evaluated window, in FWHM: Gaussians vanish by 4 FWHM (< 1e-19),
# Lorentzian tails are kept out to 50 FWHM (0.01 % of the height).
_REACH = {"gaussian": 4.0, "lorentzian": 50.0, "pseudo-voigt": 50.0}


@dataclass(frozen=True, eq=False)
class Profile:
    """A theoretical profile on an m/z grid (area of each peak = its probability)."""

    mz: NDArray[np.float64]
    intensity: NDArray[np.float64]
    resolution: float
    shape: str

    def normalized(self) -> Profile:
        """The same profile scaled to a maximum of 1."""
        top = float(self.intensity.max()) if self.intensity.size else 0.0
        scale = 1.0 / top if top > 0 else 1.0
        return Profile(self.mz, self.intensity * scale, self.resolution, self.shape)


def _check(resolution: float, shape: str, eta: float) -> None:
    if not (resolution > 0 and np.isfinite(resolution)):
        raise OptionError(f"resolution must be a positive number, got {resolution!r}")
    if shape not in _SHAPES:
        raise OptionError(f"shape must be one of {', '.join(_SHAPES)}, got {shape!r}")
    if not (0.0 <= eta <= 1.0):
        raise OptionError(f"eta (Lorentzian fraction) must be in [0, 1], got {eta!r}")


def log_grid(lo: float, hi: float, /, *, resolution: float, points_per_fwhm: float = 10.0) -> NDArray[np.float64]:
    """An m/z grid with constant relative spacing: ``points_per_fwhm`` points per FWHM."""
    if not (0 < lo < hi):
        raise OptionError(f"grid range must satisfy 0 < lo < hi, got {lo!r}, {hi!r}")
    if points_per_fwhm <= 0:
        raise OptionError(f"points_per_fwhm must be positive, got {points_per_fwhm!r}")
    step = 1.0 / (resolution * points_per_fwhm)
    n = int(np.ceil(np.log(hi / lo) / np.log1p(step))) + 1
    return lo * np.exp(np.arange(n) * np.log1p(step))


def peak_shapes(
    grid: ArrayLike,
    centers: ArrayLike,
    areas: ArrayLike,
    /,
    *,
    resolution: float,
    shape: Shape = "gaussian",
    eta: float = 0.5,
) -> NDArray[np.float64]:
    """Sum of peaks with the given centres and areas evaluated on ``grid`` (sorted).

    Each peak has FWHM = centre / resolution and is evaluated only within its reach.
    """
    _check(resolution, shape, eta)
    x = np.asarray(grid, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    a = np.asarray(areas, dtype=np.float64)
    out = np.zeros_like(x)
    if c.size == 0 or x.size == 0:
        return out
    fwhm = c / resolution
    reach = _REACH[shape] * fwhm
    lo = np.searchsorted(x, c - reach, side="left")
    hi = np.searchsorted(x, c + reach, side="right")
    width = int((hi - lo).max()) if c.size else 0
    if width == 0:
        return out
    idx = lo[:, None] + np.arange(width)[None, :]
    valid = idx < hi[:, None]
    idx = np.where(valid, idx, 0)
    d = x[idx] - c[:, None]
    if shape in ("gaussian", "pseudo-voigt"):
        sig = (fwhm * _FWHM_TO_SIGMA)[:, None]
        g = np.exp(-0.5 * (d / sig) ** 2) / (sig * np.sqrt(2 * np.pi))
    if shape in ("lorentzian", "pseudo-voigt"):
        gam = (fwhm / 2)[:, None]
        lor = gam / (np.pi * (d * d + gam * gam))
    if shape == "gaussian":
        y = g
    elif shape == "lorentzian":
        y = lor
    else:
        y = eta * lor + (1 - eta) * g
    y = np.where(valid, y * a[:, None], 0.0)
    np.add.at(out, idx.ravel(), y.ravel())
    return out


def profile(
    envelope: Envelope,
    /,
    *,
    resolution: float,
    shape: Shape = "gaussian",
    eta: float = 0.5,
    grid: ArrayLike | None = None,
    points_per_fwhm: float = 10.0,
) -> Profile:
    """Profile of an envelope at resolving power ``resolution``.

    Without ``grid``, a log-spaced grid spans the envelope plus 4 FWHM on each side.
    """
    _check(resolution, shape, eta)
    if grid is None:
        pad = 4.0 * envelope.mz.max() / resolution
        g = log_grid(max(envelope.mz.min() - pad, 1e-6), envelope.mz.max() + pad,
                     resolution=resolution, points_per_fwhm=points_per_fwhm)
    else:
        g = np.asarray(grid, dtype=np.float64)
    y = peak_shapes(g, envelope.mz, envelope.probability, resolution=resolution, shape=shape,
                    eta=eta)
    return Profile(mz=g, intensity=y, resolution=float(resolution), shape=shape)
