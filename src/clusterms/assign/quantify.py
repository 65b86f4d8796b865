"""Quantify known species in a spectrum with the resolving power and calibration held fixed.

What a CID ramp, a time series or an ion-mobility run needs after one full assignment: the
same species in many scans, each fitted jointly (non-negative least squares on the
theoretical profiles, as :func:`~clusterms.assign.pipeline.assign_spectrum` does) with no
search, no resolution estimate and no recalibration. A species whose envelope misses the
spectrum's m/z range, or that the data do not support, gets an abundance of 0, never a
row dropped: a time course needs its zeros.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from clusterms.assign.candidates import fit_envelopes
from clusterms.assign.fit import build_columns, column_metrics, fit_regions
from clusterms.chem.ion import Ion
from clusterms.errors import InputFileError, OptionError
from clusterms.spectra.calibration import Calibration
from clusterms.spectra.spectrum import Spectrum

__all__ = ["Quantified", "QuantifyResult", "quantify"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Quantified:
    """One species in one spectrum.

    ``area`` is the fitted envelope area (intensity x m/z units); ``abundance`` the area in
    % of the largest species of the spectrum; ``share`` the fraction of the total fitted area
    (0-1). ``score`` is the pattern score (cosine, 0-1) and ``ppm`` the mass error of the
    fitted envelope (both 0 when the species is absent).
    """

    species: str
    formula: str
    charge: int
    area: float
    abundance: float
    share: float
    score: float
    ppm: float
    ion: Ion = field(repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class QuantifyResult:
    """The species of :func:`quantify` in the order given, and the fitted model."""

    rows: tuple[Quantified, ...]
    resolution: float
    mz: FloatArray = field(repr=False)
    intensity: FloatArray = field(repr=False)
    model: FloatArray = field(repr=False)

    @property
    def total_area(self) -> float:
        return float(sum(r.area for r in self.rows))

    def __iter__(self) -> Iterator[Quantified]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def quantify(
    spectrum: Spectrum,
    species: Sequence[Ion | str],
    /,
    *,
    resolution: float,
    calibration: Calibration | None = None,
    baseline: bool = True,
) -> QuantifyResult:
    """Fit ``species`` jointly in ``spectrum`` (profile data) at a fixed resolving power.

    Parameters
    ----------
    spectrum
        A profile spectrum (centroid lists must be broadened first).
    species
        Ions or their notation; duplicates are refused.
    resolution
        Resolving power (m/z / FWHM), as found by a full assignment of a related spectrum.
    calibration
        Applied to the m/z axis before fitting (``None``: the axis as read).
    baseline
        Remove a baseline first (as the assignment does).
    """
    if not (resolution > 0 and np.isfinite(resolution)):
        raise OptionError(f"resolution must be a positive number, got {resolution!r}")
    ions = [s if isinstance(s, Ion) else Ion.parse(s) for s in species]
    names = [i.notation for i in ions]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise OptionError(f"species {dup} is given twice")
    if spectrum.mode == "centroid":
        raise InputFileError("quantify fits profiles; this spectrum is centroided (broaden it first)")
    if len(spectrum) < 10:
        raise InputFileError(f"the spectrum has only {len(spectrum)} points: nothing to quantify")
    if baseline:
        from clusterms.spectra.baseline import baseline as remove_baseline

        spectrum = remove_baseline(spectrum)
    x = calibration.apply(spectrum.mz) if calibration is not None else np.asarray(spectrum.mz)
    y = np.maximum(np.asarray(spectrum.intensity, dtype=np.float64), 0.0)
    if not ions:
        return QuantifyResult((), float(resolution), x, y, np.zeros_like(y))
    envs = fit_envelopes(ions)
    cols = build_columns(x, envs, np.arange(len(ions), dtype=np.intp), resolution=resolution)
    fit = fit_regions(x, y, cols)
    area = np.zeros(len(ions))
    score = np.zeros(len(ions))
    ppm = np.zeros(len(ions))
    for k, c in enumerate(cols):
        a = float(fit.amplitude[k])
        if a <= 0:
            continue
        area[c.index] = a
        s, shift, _se = column_metrics(x, y, c, a, fit.model)
        mz_top = float(envs[c.index][0][int(np.argmax(envs[c.index][1]))])
        score[c.index], ppm[c.index] = s, shift / mz_top * 1e6
    total = float(area.sum())
    top = float(area.max()) if area.size else 0.0
    rows = tuple(Quantified(species=names[i], formula=ions[i].formula, charge=ions[i].charge, area=float(area[i]),
                            abundance=float(100.0 * area[i] / top) if top > 0 else 0.0,
                            share=float(area[i] / total) if total > 0 else 0.0, score=float(score[i]),
                            ppm=float(ppm[i]), ion=ions[i]) for i in range(len(ions)))
    return QuantifyResult(rows, float(resolution), x, y, fit.model)
