"""Arrival-time distributions of given species from their isotope envelopes.

Every requested species' aggregated isotope envelope (IsoSpecPy through
:mod:`clusterms.isotopes`) gives its peak positions. The union of the peaks is cut into
windows (one per peak position, bounded by the midpoints to its neighbours and by one FWHM
either side); each drift bin's spectrum is summed into those windows (areas for profile
data: intensity times the local sampling step). A design matrix holds, for every species, the
fraction of its envelope falling into each window (Gaussian peaks of FWHM = m/z / R), plus one
flat-background column. Per drift bin the species' amplitudes are the non-negative least
squares solution (:func:`scipy.optimize.nnls`) with all species fitted jointly, so a 6-
homodimer and the 3- monomer on one m/z are told apart by their isotope spacing (1/6 against
1/3) instead of sharing one trace.

A species counts as detected when its amplitude in the sum over all drift bins is at least
``min_snr`` standard errors (from the residual of that fit); an undetected species keeps its
measured trace but gets no conformers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls
from scipy.special import ndtr

from clusterms.chem.ion import Ion
from clusterms.errors import OptionError
from clusterms.mobility.read import MobilityRun
from clusterms.spectra.spectrum import Spectrum

__all__ = ["DEFAULT_RESOLUTION", "ArrivalDistribution", "ArrivalFit", "arrival_distributions"]

FloatArray = NDArray[np.float64]

#: Resolving power assumed when none is given and none can be measured (Synapt G2-Si, ~20,000).
DEFAULT_RESOLUTION = 20_000.0
_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_COVERAGE = 0.999


@dataclass(frozen=True, eq=False)
class ArrivalDistribution:
    """The arrival-time distribution (ATD) of one species.

    Attributes
    ----------
    species
        Notation of the ion.
    charge
        Signed charge.
    drift
        Drift-bin centres (the run's unit, ms for drift times).
    intensity
        The species' envelope amplitude in each bin (area units of the spectra).
    sigma
        Relative standard error of each bin's amplitude (counting noise, variance taken as
        proportional to the signal in each window, propagated through the least-squares
        solution); the conformer fit weights the bins by it.
    snr
        Amplitude over its standard error in the sum over all bins.
    detected
        ``snr >= min_snr``.
    """

    species: str
    charge: int
    drift: FloatArray
    intensity: FloatArray
    sigma: FloatArray
    snr: float
    detected: bool


@dataclass(frozen=True, eq=False)
class ArrivalFit:
    """The ATDs of a run and how they were obtained."""

    distributions: tuple[ArrivalDistribution, ...]
    resolution: float
    resolution_source: str
    n_windows: int
    residual_fraction: float


def arrival_distributions(run: MobilityRun, ions: Sequence[Ion], /, *, resolution: float | None = None,
                          min_snr: float = 5.0) -> ArrivalFit:
    """ATDs of ``ions`` in ``run``, fitted jointly per drift bin.

    Parameters
    ----------
    run
        The ion-mobility run.
    ions
        The species (at least one, no repeats).
    resolution
        Mass resolving power m/z / FWHM; ``None`` measures it on the richest drift bin
        (profile data) and falls back to :data:`DEFAULT_RESOLUTION`.
    min_snr
        Smallest amplitude / standard error in the summed spectrum for a species to count as
        detected.
    """
    if not ions:
        raise OptionError("at least one species is needed")
    names = [i.notation for i in ions]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise OptionError(f"species {dup[0]} is given twice")
    seen: dict[tuple[str, int], str] = {}
    for ion in ions:
        twin = seen.setdefault((ion.formula, ion.charge), ion.notation)
        if twin != ion.notation:
            raise OptionError(f"species {twin} and {ion.notation} are both {ion.formula} {ion.charge:+d}: one isotope "
                              "envelope cannot be split between them")
    if resolution is not None and not (resolution > 0 and math.isfinite(resolution)):
        raise OptionError(f"resolution must be a positive number, got {resolution}")
    if not (min_snr > 0 and math.isfinite(min_snr)):
        raise OptionError(f"min_snr must be a positive number, got {min_snr}")
    r, source = _resolution(run, resolution)
    envs = []
    for ion in ions:
        env = ion.envelope(coverage=_COVERAGE)
        envs.append((np.asarray(env.mz), np.asarray(env.probability) / float(env.probability.sum())))
    n_bins, n_sp = len(run), len(ions)
    amps, sigmas, snr = np.zeros((n_bins, n_sp)), np.zeros((n_bins, n_sp)), np.zeros(n_sp)
    n_windows, rss, norm2 = 0, 0.0, 0.0
    profile = _is_profile(run, r)
    for members in _blocks(envs, r):
        # Species whose envelopes do not overlap are fitted apart, each block with its own flat
        # background: a background far away in m/z says nothing about this one.
        lo, hi = _windows([envs[i] for i in members], r)
        # Centroids carry a peak's whole intensity at its centre: no Gaussian tail spills into the
        # neighbouring window (a tenfold resolving power stands for that in the design).
        design = np.column_stack([_fractions(*envs[i], lo, hi, r if profile else 10 * r) for i in members]
                                 + [(hi - lo) / np.mean(hi - lo)])
        sums = np.stack([sum((_window_sums(s, lo, hi, profile=profile) for s in scans), np.zeros((2, lo.size)))
                         for scans in run.scans])
        data, variance = sums[:, 0], sums[:, 1]
        block = np.vstack([nnls(design, b, maxiter=50 * design.shape[1])[0] for b in data])
        amps[:, members] = block[:, :-1]
        sigmas[:, members] = _sigmas(design, variance)[:, :-1]
        snr[members] = _snr(design, data.sum(axis=0))[:-1]
        n_windows += int(lo.size)
        rss += float(np.sum((data - block @ design.T) ** 2))
        norm2 += float(np.sum(data ** 2))
    residual = math.sqrt(rss / norm2) if norm2 > 0 else math.nan
    dists = []
    for k, ion in enumerate(ions):
        y = np.array(amps[:, k], dtype=np.float64)
        y.flags.writeable = False
        s = np.array(sigmas[:, k], dtype=np.float64)
        s.flags.writeable = False
        dists.append(ArrivalDistribution(species=ion.notation, charge=ion.charge, drift=run.drift, intensity=y,
                                         sigma=s, snr=float(snr[k]), detected=bool(snr[k] >= min_snr)))
    return ArrivalFit(distributions=tuple(dists), resolution=r, resolution_source=source, n_windows=n_windows,
                      residual_fraction=residual)


def _blocks(envs: Sequence[tuple[FloatArray, FloatArray]], resolution: float) -> list[list[int]]:
    """Groups of species whose envelopes (padded by 2 FWHM) overlap in m/z, by first member."""
    spans = sorted((float(m.min() * (1 - 2 / resolution)), float(m.max() * (1 + 2 / resolution)), i)
                   for i, (m, _p) in enumerate(envs))
    blocks: list[list[int]] = []
    reach = -math.inf
    for lo, hi, i in spans:
        if lo > reach:
            blocks.append([])
        blocks[-1].append(i)
        reach = max(reach, hi)
    return [sorted(b) for b in blocks]


def _resolution(run: MobilityRun, given: float | None) -> tuple[float, str]:
    if given is not None:
        return float(given), "given"
    if run.mode != "centroid":
        from clusterms.spectra.peaks import estimate_resolution

        richest = max((s for b in run.scans for s in b), key=lambda s: float(np.sum(s.intensity)))
        if len(richest) >= 20:
            try:
                est = estimate_resolution(richest)
            except (ValueError, ArithmeticError):
                est = math.nan
            if math.isfinite(est) and est > 0:
                return float(est), "measured on the richest drift bin"
    return DEFAULT_RESOLUTION, "default (not measurable)"


def _windows(envs: Sequence[tuple[FloatArray, FloatArray]], resolution: float) -> tuple[FloatArray, FloatArray]:
    """Window edges around every isotope peak position of the species (merged within FWHM/3)."""
    mz = np.sort(np.concatenate([m for m, _p in envs]))
    fwhm = mz / resolution
    centres: list[float] = []
    start = 0
    for i in range(1, mz.size + 1):
        if i == mz.size or mz[i] - mz[i - 1] > fwhm[i - 1] / 3.0:
            centres.append(float(mz[start:i].mean()))
            start = i
    c = np.array(centres)
    w = c / resolution
    mids = 0.5 * (c[1:] + c[:-1])
    lo = np.maximum(np.concatenate([[-np.inf], mids]), c - w)
    hi = np.minimum(np.concatenate([mids, [np.inf]]), c + w)
    return lo, hi


def _fractions(mz: FloatArray, prob: FloatArray, lo: FloatArray, hi: FloatArray, resolution: float) -> FloatArray:
    """Fraction of the species' envelope (Gaussian peaks) inside each window."""
    sigma = mz * (_FWHM_TO_SIGMA / resolution)
    cdf_hi = ndtr((hi[:, None] - mz[None, :]) / sigma[None, :])
    cdf_lo = ndtr((lo[:, None] - mz[None, :]) / sigma[None, :])
    return np.asarray((cdf_hi - cdf_lo) @ prob, dtype=np.float64)


def _is_profile(run: MobilityRun, resolution: float) -> bool:
    """Profile data by the file's word, else by its sampling: the scan with the most points
    sampled closer than half a FWHM (one answer for the run: every bin is weighted alike)."""
    if run.mode is not None:
        return run.mode == "profile"
    s = max((s for b in run.scans for s in b), key=len)
    if len(s) < 3:
        return False
    return bool(np.median(np.diff(s.mz)) < 0.5 * float(np.median(s.mz)) / resolution)


def _window_sums(s: Spectrum, lo: FloatArray, hi: FloatArray, *, profile: bool) -> FloatArray:
    """Signal of one scan inside each window (areas, y times the local step, for profile data;
    summed intensities for centroids) and its counting variance (sum of step^2 y: each point's
    variance taken as proportional to its intensity), stacked as two rows."""
    mz, y = s.mz, s.intensity
    if mz.size == 0:
        return np.zeros((2, lo.size))
    step = np.ones(mz.size)
    if mz.size > 1 and profile:
        d = np.diff(mz)
        # The smaller neighbouring step: a gap of omitted zero points does not inflate the area.
        step = np.minimum(np.concatenate([[d[0]], d]), np.concatenate([d, [d[-1]]]))
    i0 = np.searchsorted(mz, lo, side="left")
    i1 = np.searchsorted(mz, hi, side="left")
    out = np.empty((2, lo.size))
    for row, w in enumerate((y * step, np.clip(y, 0.0, None) * step * step)):
        cs = np.concatenate([[0.0], np.cumsum(w)])
        out[row] = cs[i1] - cs[i0]
    return out


def _sigmas(design: FloatArray, variance: FloatArray) -> FloatArray:
    """Standard errors of the amplitudes per bin (up to the detector's gain): the windows' counting
    variances (floored at 1e-9 of the largest) through the least-squares solution pinv(design)."""
    m = np.linalg.pinv(design)
    v = variance + 1e-9 * max(float(variance.max()), 1e-300)
    return np.sqrt(np.asarray((v @ (m.T ** 2)), dtype=np.float64))


def _snr(design: FloatArray, b: FloatArray) -> FloatArray:
    """Amplitude / standard error of each column in the NNLS fit of ``b`` (0 for an inactive column)."""
    x, _ = nnls(design, b, maxiter=50 * design.shape[1])
    n, p = design.shape
    out = np.zeros(p)
    active = np.flatnonzero(x > 0)
    if active.size == 0:
        return out
    rss = float(np.sum((b - design @ x) ** 2))
    dof = max(n - active.size, 1)
    sub = design[:, active]
    try:
        cov = np.linalg.inv(sub.T @ sub) * (rss / dof)
    except np.linalg.LinAlgError:
        return out
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[active] = np.where(se > 0, x[active] / se, np.inf)
    return out
