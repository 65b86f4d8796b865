"""A time or concentration series by ESI MS: assign once, quantify every spectrum.

1. Every spectrum is normalised to its total ion current and the spectra are summed on the
   first one's m/z grid: the sum shows every species that any spectrum shows.
2. The sum is assigned once (:func:`~clusterms.assign.pipeline.assign_spectrum`): the species,
   the resolving power and the calibration.
3. Every spectrum is quantified with those species, resolution and calibration held fixed
   (:func:`~clusterms.assign.quantify.quantify`): species that vanish keep explicit zeros.
4. Time series: a kinetic model per species (:mod:`clusterms.series.kinetics`) on its share;
   concentration series: a linear trend of the share with concentration and its rank
   correlation (scipy.stats).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clusterms.assign.quantify import QuantifyResult, quantify
from clusterms.errors import InputFileError
from clusterms.series.kinetics import KineticFit, fit_kinetics, fit_mechanism
from clusterms.spectra.calibration import Calibration
from clusterms.spectra.spectrum import Spectrum

__all__ = ["SeriesResult", "Trend", "analyse_series", "combined_spectrum"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Trend:
    """Share against concentration: least-squares slope, its error, r^2 and Spearman's rho."""

    slope: float
    slope_err: float
    r2: float
    spearman: float


@dataclass(frozen=True, eq=False)
class SeriesResult:
    kind: str
    unit: str
    values: tuple[float, ...]
    species: tuple[Any, ...]  # Assignment rows of the combined spectrum
    fits: tuple[QuantifyResult, ...]
    kinetics: dict[str, KineticFit] = field(default_factory=dict)
    trends: dict[str, Trend] = field(default_factory=dict)
    assign_result: Any = field(default=None, repr=False)
    calibration: Calibration | None = None
    resolution: float = math.nan

    def shares(self, species: str) -> FloatArray:
        k = [a.species for a in self.species].index(species)
        return np.array([f.rows[k].share for f in self.fits])

    def abundances(self, species: str) -> FloatArray:
        k = [a.species for a in self.species].index(species)
        return np.array([f.rows[k].abundance for f in self.fits])


def combined_spectrum(spectra: Sequence[Spectrum], /) -> Spectrum:
    """The spectra, each normalised to its total ion current, summed on the first one's grid."""
    x = spectra[0].mz
    total = np.zeros_like(np.asarray(x, dtype=np.float64))
    for s in spectra:
        tic = float(np.sum(s.intensity))
        if tic <= 0:
            continue
        y = s.intensity / tic
        total += y if s.mz.shape == x.shape and np.array_equal(s.mz, x) else np.interp(x, s.mz, y, 0.0, 0.0)
    return spectra[0].replace(intensity=total * 1e6)


def analyse_series(spectra: Sequence[Spectrum], values: Sequence[float], candidates: Sequence[Any], /, *,
                   kind: str = "time", unit: str = "h", settings: Any = None, mechanism: str | None = None,
                   progress: Callable[[str], None] | None = None) -> SeriesResult:
    from clusterms.assign.pipeline import assign_spectrum

    say = progress or (lambda _m: None)
    if len(spectra) != len(values) or len(spectra) < 2:
        raise InputFileError(f"a series needs two or more spectra with a value each, got {len(spectra)}")
    order = np.argsort(values, kind="stable")
    spectra = [spectra[int(i)] for i in order]
    values = [float(values[int(i)]) for i in order]
    say(f"assigning the sum of the {len(spectra)} spectra once")
    result = assign_spectrum(combined_spectrum(spectra), candidates, settings=settings, progress=None)
    species = tuple(result.assignments)
    cal = Calibration(ppm_offset=float(result.calibration.get("ppm_offset", 0.0)),
                      ppm_slope_per_kmz=float(result.calibration.get("ppm_slope_per_kmz", 0.0)))
    say(f"{len(species)} species; quantifying them in every spectrum (resolution {result.resolution:,.0f})")
    ions = [a.ion for a in species]
    fits = tuple(quantify(s, ions, resolution=result.resolution, calibration=cal) for s in spectra)
    out = SeriesResult(kind, unit, tuple(values), species, fits, assign_result=result, calibration=cal,
                       resolution=float(result.resolution))
    t = np.asarray(values)
    if kind == "time" and len(t) >= 3:
        for a in species:
            out.kinetics[a.species] = fit_kinetics(t, out.shares(a.species))
        if mechanism:
            from clusterms.series.kinetics import parse_mechanism

            react, prod = parse_mechanism(mechanism)
            names = {a.species for a in species}
            series = {n: out.shares(n) for n in [*react, *prod] if n in names}
            out.kinetics.update(fit_mechanism(t, series, react, prod))
    elif kind == "concentration" and len(t) >= 3:
        from scipy.stats import linregress, spearmanr

        for a in species:
            y = out.shares(a.species)
            if np.ptp(y) == 0:
                out.trends[a.species] = Trend(0.0, 0.0, 0.0, math.nan)
                continue
            lr = linregress(t, y)
            rho = spearmanr(t, y).statistic
            out.trends[a.species] = Trend(float(lr.slope), float(lr.stderr), float(lr.rvalue**2), float(rho))
    return out
