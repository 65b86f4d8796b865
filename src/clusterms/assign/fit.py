"""Resolution-aware matching of candidate envelopes to a profile spectrum.

The model of the spectrum is a non-negative sum of theoretical profiles, one per candidate,
each computed at the spectrum's resolving power on the spectrum's own m/z grid (corrected by
the current calibration). Candidates whose supports overlap form a region and are fitted
jointly by non-negative least squares, so a species and its protonated form, near-isobaric
species and a z/2z pair each get their own abundance.

Before the joint fit a screen removes candidates that cannot be present: a species of
amplitude ``a`` puts at least ``a * h_k`` (minus noise) at each of its main isotope peaks, so
the largest amplitude the data allow is bounded by the observed/expected ratios there. A
candidate whose bound is below the detection limit is dropped without fitting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clusterms.assign.nnls import nnls

__all__ = ["Column", "FitResult", "FlatEnvelopes", "build_columns", "fit_regions", "screen"]

FloatArray = NDArray[np.float64]
_SIGMA_PER_FWHM = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))
_REACH_FWHM = 3.0  # a Gaussian is evaluated out to 3 FWHM (1e-11 of its height)


@dataclass(frozen=True, eq=False)
class Column:
    """One candidate's theoretical profile on a contiguous index range of the grid.

    ``values`` is the profile per unit envelope area (area-normalised peaks weighted by the
    isotope probabilities, which sum to 1), for rows ``lo:hi``.
    """

    index: int
    lo: int
    hi: int
    values: FloatArray


@dataclass(frozen=True, eq=False)
class FitResult:
    """Amplitudes of the fitted columns and the model they add up to."""

    amplitude: FloatArray  # per column (total envelope area, intensity x m/z units)
    model: FloatArray  # full-grid model
    region_of: NDArray[np.intp]  # region number of each column


def _gauss_heights(mz: FloatArray, prob: FloatArray, resolution: float) -> FloatArray:
    sigma = mz / resolution * _SIGMA_PER_FWHM
    return prob / (sigma * np.sqrt(2.0 * np.pi))


def _window_maxima(x: FloatArray, y: FloatArray, centres: FloatArray, half: float) -> FloatArray:
    """Largest ``y`` with ``x`` within ``centres * (1 +/- half)``, per centre.

    A window between two grid points (data sampled more coarsely than the window) gets the
    value interpolated at its centre; beyond the ends of the data, 0. Only the windows
    asked for are read, so the cost follows the number of isotope peaks screened, not the
    length of the spectrum.
    """
    lo = np.searchsorted(x, centres * (1.0 - half), side="left")
    hi = np.searchsorted(x, centres * (1.0 + half), side="right")
    span = hi - lo
    if centres.size == 0 or y.size == 0:
        return np.zeros(centres.size)
    out = np.interp(centres, x, y, left=0.0, right=0.0) if (span <= 0).any() else np.zeros(centres.size)
    width = int(span.max())
    if width <= 0:
        return out
    idx = lo[:, None] + np.arange(width)[None, :]
    inside = idx < hi[:, None]
    vals = np.where(inside, y[np.minimum(idx, y.size - 1)], -np.inf).max(axis=1)
    return np.where(span > 0, vals, out)


class FlatEnvelopes:
    """Candidate envelopes laid end to end, for screening them all at once.

    Build it once for a list that is screened several times (the assignment screens the
    same candidates at each calibration pass); :func:`screen` also accepts the plain list.
    """

    __slots__ = ("count", "first", "mz", "owner", "prob")

    def __init__(self, envelopes: list[tuple[FloatArray, FloatArray]]) -> None:
        counts = np.array([e[0].size for e in envelopes], dtype=np.intp)
        if (counts == 0).any():
            raise ValueError("every candidate envelope needs at least one peak")
        self.count = len(envelopes)
        self.owner = np.repeat(np.arange(self.count), counts)
        self.first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
        self.mz = np.concatenate([e[0] for e in envelopes]) if envelopes else np.zeros(0)
        self.prob = np.concatenate([e[1] for e in envelopes]) if envelopes else np.zeros(0)


def screen(
    x: FloatArray,
    y: FloatArray,
    envelopes: list[tuple[FloatArray, FloatArray]] | FlatEnvelopes,
    *,
    resolution: float,
    limit: float,
    tolerance_ppm: float,
    main_fraction: float = 0.3,
    quantile: float = 0.25,
) -> NDArray[np.bool_]:
    """Which candidates the data allow above ``limit`` (apex height units).

    Parameters
    ----------
    x, y
        Calibrated m/z grid and baseline-corrected intensities.
    envelopes
        (m/z, probability) of each candidate, probabilities summing to 1.
    limit
        Smallest apex height of interest (e.g. SNR x noise).
    tolerance_ppm
        Calibration uncertainty: the observed maximum is taken within this many ppm
        (plus half a FWHM) of each expected peak.
    """
    flat = envelopes if isinstance(envelopes, FlatEnvelopes) else FlatEnvelopes(envelopes)
    if flat.count == 0:
        return np.zeros(0, dtype=bool)
    half = 0.5 / resolution + tolerance_ppm * 1e-6
    owner, first, mz_all, prob_all = flat.owner, flat.first, flat.mz, flat.prob
    heights = _gauss_heights(mz_all, prob_all, resolution)
    top = np.maximum.reduceat(heights, first) if heights.size else np.zeros(flat.count)
    main = heights >= main_fraction * top[owner]
    own = owner[main]
    # Only the main peaks are looked at in the data.
    ratio = _window_maxima(x, y, mz_all[main], half) / heights[main]
    # Per-candidate lower quantile of the observed/expected ratios at the main peaks, for all
    # candidates at once: sort by (candidate, ratio) and pick the k-th element of each run.
    order = np.lexsort((ratio, own))
    own_s, ratio_s = own[order], ratio[order]
    n_main = np.bincount(own_s, minlength=flat.count)
    start = np.concatenate([[0], np.cumsum(n_main)[:-1]])
    k = np.floor(quantile * np.maximum(n_main - 1, 0)).astype(np.intp)
    bound = np.where(n_main > 0, ratio_s[np.minimum(start + k, max(ratio_s.size - 1, 0))], 0.0) \
        if ratio_s.size else np.zeros(flat.count)
    return np.asarray(bound * top >= limit)


def build_columns(
    x: FloatArray,
    envelopes: list[tuple[FloatArray, FloatArray]],
    indices: NDArray[np.intp],
    *,
    resolution: float,
) -> list[Column]:
    """Theoretical profiles of the chosen candidates on the grid ``x`` (sorted).

    Each isotope peak is evaluated only within 3 FWHM of its centre (the Gaussian is below
    1e-11 of its height beyond), which keeps the cost proportional to the peaks, not to the
    envelope's width times its number of peaks.
    """
    cols = []
    for i in indices:
        mz, prob = envelopes[int(i)]
        big = prob >= 1e-5 * prob.max()
        mz, prob = mz[big], prob[big]
        fwhm = mz / resolution
        reach = _REACH_FWHM * fwhm
        lo = int(np.searchsorted(x, mz.min() - reach.max(), side="left"))
        hi = int(np.searchsorted(x, mz.max() + reach.max(), side="right"))
        if hi - lo < 2:
            continue
        xs = x[lo:hi]
        plo = np.searchsorted(xs, mz - reach, side="left")
        phi = np.searchsorted(xs, mz + reach, side="right")
        width = int((phi - plo).max())
        idx = plo[:, None] + np.arange(width)[None, :]
        valid = idx < phi[:, None]
        idx = np.where(valid, idx, 0)
        sigma = (fwhm * _SIGMA_PER_FWHM)[:, None]
        d = (xs[idx] - mz[:, None]) / sigma
        vals_pk = np.where(valid, prob[:, None] / (sigma * np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * d * d), 0.0)
        vals = np.bincount(idx.ravel(), weights=vals_pk.ravel(), minlength=hi - lo).astype(np.float64)
        cols.append(Column(index=int(i), lo=lo, hi=hi, values=vals))
    return cols


def _regions(cols: list[Column]) -> list[list[int]]:
    """Groups of columns whose index ranges overlap (transitively)."""
    order = sorted(range(len(cols)), key=lambda k: cols[k].lo)
    groups: list[list[int]] = []
    end = -1
    for k in order:
        if cols[k].lo < end and groups:
            groups[-1].append(k)
            end = max(end, cols[k].hi)
        else:
            groups.append([k])
            end = cols[k].hi
    return groups


def fit_regions(x: FloatArray, y: FloatArray, cols: list[Column]) -> FitResult:
    """Joint non-negative least squares per region of overlapping columns."""
    amp = np.zeros(len(cols))
    model = np.zeros(y.shape)  # calloc: untouched pages cost nothing (zeros_like writes them all)
    region_of = np.zeros(len(cols), dtype=np.intp)
    for r, group in enumerate(_regions(cols)):
        if len(group) == 1:  # an isolated envelope: a projection, no matrix to build
            k = group[0]
            c = cols[k]
            region_of[k] = r
            v = c.values
            vv = float(v @ v)
            vb = float(v @ y[c.lo:c.hi])
            coef1 = vb / vv if vv > 0 and vb > 0 else 0.0
            amp[k] = coef1
            model[c.lo:c.hi] += coef1 * v
            continue
        lo = min(cols[k].lo for k in group)
        hi = max(cols[k].hi for k in group)
        a = np.zeros((hi - lo, len(group)))
        for j, k in enumerate(group):
            c = cols[k]
            a[c.lo - lo:c.hi - lo, j] = c.values
            region_of[k] = r
        # Rows no column reaches cannot change the solution: drop them.
        rows = a.max(axis=1) > 1e-9 * a.max()
        b = y[lo:hi][rows]
        scale = np.linalg.norm(a[rows], axis=0)
        scale[scale == 0] = 1.0
        coef = nnls(a[rows] / scale, b) / scale
        amp[group] = coef
        model[lo:hi] += a @ coef
    return FitResult(amplitude=amp, model=model, region_of=region_of)


def _gradient(f: FloatArray, x: FloatArray) -> FloatArray:
    """``np.gradient(f, x)`` (second order inside, first order at the ends) without its
    per-call overhead, which dominated for the short profiles of one species."""
    out = np.empty_like(f)
    if f.size < 2:
        out[:] = 0.0
        return out
    dx = np.diff(x)
    out[0] = (f[1] - f[0]) / dx[0]
    out[-1] = (f[-1] - f[-2]) / dx[-1]
    if f.size > 2:
        d1, d2 = dx[:-1], dx[1:]
        out[1:-1] = (-d2 / (d1 * (d1 + d2)) * f[:-2] + (d2 - d1) / (d1 * d2) * f[1:-1]
                     + d1 / (d2 * (d1 + d2)) * f[2:])
    return out


def column_metrics(
    x: FloatArray, y: FloatArray, col: Column, amplitude: float, model: FloatArray
) -> tuple[float, float, float]:
    """(pattern score, shift in m/z, standard error of the shift) of one fitted column.

    The score is the cosine similarity between what the data show for this species (the
    data minus every other fitted species) and its theoretical profile, over the points
    where the profile is above 1 % of its maximum. The shift is the Gauss-Newton estimate of
    the m/z displacement of the observed envelope relative to the theoretical one; its
    standard error comes from the scatter of what the shifted profile leaves unexplained.
    """
    t = amplitude * col.values
    sl = slice(col.lo, col.hi)
    r = y[sl] - (model[sl] - t)
    mask = t > 0.01 * t.max() if t.max() > 0 else np.zeros(t.size, dtype=bool)
    if mask.sum() < 3:
        return 0.0, 0.0, float("inf")
    rt, tt = r[mask], t[mask]
    denom = np.linalg.norm(rt) * np.linalg.norm(tt)
    score = float(max(0.0, rt @ tt / denom)) if denom > 0 else 0.0
    dt = _gradient(t, x[sl])
    g = dt[mask]
    gg = float(g @ g)
    if gg <= 0:
        return score, 0.0, float("inf")
    shift = float(-((rt - tt) @ g) / gg)
    left = rt - tt + shift * g
    dof = max(int(mask.sum()) - 2, 1)
    se = float(np.sqrt((left @ left) / dof / gg))
    return score, shift, se
