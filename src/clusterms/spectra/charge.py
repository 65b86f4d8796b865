"""Charge-state detection: group centroid peaks into isotope series spaced 1/z apart.

Decision rules
--------------
1. *Links.* For each charge z = 1 ... ``max_charge`` every peak is linked to the peak
   nearest to ``mz + spacing_da / z`` if that peak lies within
   ``[mz + lo / z, mz + hi / z]`` widened by ``tolerance_ppm`` (``lo, hi`` =
   ``spacing_range_da``); a link is kept only when it is also the best backward link of
   its target (mutual best). Chains of linked peaks with at least ``min_peaks`` members
   are the candidate series of charge z, if the slope of a straight line through the
   chain, times z, lies within ``spacing_range_da`` widened by 2 % (and by the slope's
   uncertainty): one link cannot tell z = 6 from z = 7 at m/z 1600 with 10 ppm, a chain
   can (a wrong charge is off by 12.5 % or more).
2. *Harmonics.* A series of charge Z contains series of every divisor of Z (every k-th
   peak), and never the other way round. Candidates are therefore examined from the
   highest charge down (the most intense first within a charge), and each peak keeps
   the part of its intensity that no accepted series has explained yet. In a candidate,
   the peaks with at least 30 % of their intensity unexplained are "new"; every run of at
   least ``min_peaks`` consecutive new peaks is accepted as a series and explains the
   intensity it claims. Harmonics of an accepted series find nothing left and vanish; a
   chain that wandered from one envelope into a neighbour keeps only its new part.
3. *z inside 2z* (a z species and a 2z species on the same m/z, e.g. [Ag29(BDT)12]3- and
   [Ag58(BDT)24]6-). Before a series of charge Z claims its peaks, it is tested for a
   sub-series of charge Z/k (k a divisor of Z, k >= 2): every member j gets an excess
   ``E_j = I_j - (I_{j-1} + I_{j+1}) / 2`` over the interpolation of its neighbours. For
   a single species the envelope is smooth and the excesses of every residue class
   j mod k sum to about zero (curvature terms cancel). When a Z/k species sits on every
   k-th position, that class carries its whole intensity as excess. The sub-species is
   taken as present when the best class's summed excess is at least
   ``min_subcharge_fraction`` (default 0.25) of the series' intensity and the excess is
   positive for at least two thirds of that class's stronger members. The Z series then
   claims only the smooth part (at those positions, the neighbour interpolation), so the
   remainder is found, at charge Z/k, by rule 2 as its own envelope; both charges are
   reported and the shared peaks appear in both. A pure Z series explains everything,
   so only Z is reported; a pure Z/k series has no peaks at the intermediate positions,
   so no Z series exists.

   Because 109Ag - 107Ag = 2 Da, a single species alternates by itself: its odd-mass
   peaks come only from 13C, 33S ... The threshold sits above that alternation for
   ligand-protected clusters (even:odd 57:43 for Ag29(BDT)12, an excess fraction of
   0.14; 0.02 for the dimer Ag58(BDT)24; 0.03 for Ag25(DMBT)18) and well below the
   0.3-0.7 of 30:70 to 70:30 mixtures. Clusters with few light atoms per silver
   alternate more (an excess of 0.26 for Ag25C48H60S18, 0.49 for Ag12(C2HS)12): for
   those raise ``min_subcharge_fraction``, or a lone even-charge species may also be
   reported at half its charge. Two z species offset by exactly half a spacing cannot be
   told from a z + 2z pair by spacing and intensities alone; they are reported as z + 2z.
4. *Fragments.* Accepted series of the same charge whose ends are 0 to 3 spacings apart
   (a peak lost to noise, or two candidate peaks for one position, one of them from
   another envelope) are merged.

Charges above ``max_charge`` show up as their divisors: a 10- species read with
``max_charge=8`` gives two interleaved 5- series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import OptionError
from clusterms.spectra import _checks, _kernels
from clusterms.spectra.peaks import PeakList, pick_peaks
from clusterms.spectra.spectrum import Spectrum

__all__ = ["DEFAULT_SPACING_DA", "DEFAULT_SPACING_RANGE_DA", "Envelope", "detect_charges"]

# Average spacing of isotope peaks of Ag/S-rich clusters (109Ag-107Ag is 1.999 Da for two
# steps; 34S-32S, 13C-12C mix in), and the range that heavy-element clusters span.
DEFAULT_SPACING_DA = 1.002_35
DEFAULT_SPACING_RANGE_DA = (0.997, 1.004_5)

_MIN_NOVELTY = 0.3
_CONSISTENCY = 2.0 / 3.0  # share of the stronger class members whose excess must be > 0
_STRONG = 0.1  # "stronger members": intensity >= this fraction of the series maximum
_SLOPE_SLACK = 0.02  # relative widening of the spacing range for a chain's fitted slope
_MAX_GAP_SPACINGS = 3  # fragments this many spacings apart (or fewer) are merged


@dataclass(frozen=True)
class Envelope:
    """An isotope series assigned one charge.

    Attributes
    ----------
    charge
        Absolute charge |z|.
    apex_mz
        m/z of the member with the most intensity explained by this envelope.
    mean_mz
        Intensity-weighted mean m/z of the members (with the explained intensities).
    intensity
        Summed intensity explained by this envelope (shared peaks are split).
    members
        Indices of the member peaks in the peak list given (sorted by m/z); a peak shared
        by a z and a 2z envelope is a member of both.
    score
        In [0, 1]: the share of the members' intensity that this envelope explains, times
        the regularity of the spacing (1 - rms deviation of the members from a straight
        m/z ladder / tolerance).
    spacing_da
        Fitted isotope spacing in Da (slope of member m/z against position, times charge).
    """

    charge: int
    apex_mz: float
    mean_mz: float
    intensity: float
    members: tuple[int, ...]
    score: float
    spacing_da: float


def detect_charges(
    peaks: PeakList | Spectrum,
    /,
    *,
    max_charge: int = 8,
    tolerance_ppm: float = 10.0,
    spacing_da: float = DEFAULT_SPACING_DA,
    spacing_range_da: Sequence[float] = DEFAULT_SPACING_RANGE_DA,
    min_peaks: int = 6,
    min_subcharge_fraction: float = 0.25,
) -> list[Envelope]:
    """Group peaks into isotope envelopes and give each its charge.

    Parameters
    ----------
    peaks
        A :class:`PeakList`, a centroid spectrum, or a profile spectrum (picked with
        :func:`pick_peaks` at its defaults).
    max_charge
        Highest |z| considered.
    tolerance_ppm
        Allowed error of each peak position, in ppm of its m/z.
    spacing_da
        Expected isotope spacing in Da (the nearest candidate to it wins).
    spacing_range_da
        ``(low, high)``: spacings accepted, in Da, before the tolerance is added.
    min_peaks
        Fewest peaks an envelope may have. Random peaks (noise at 2 peaks per m/z) form
        chains of 4-5 links now and then, of 6 practically never; silver-cluster envelopes
        have tens of peaks.
    min_subcharge_fraction
        Share of a Z series' intensity that the alternating excess must reach before a
        Z/k species on the same m/z is reported too (see the module notes).

    Returns
    -------
    list of Envelope
        Sorted by apex m/z, then charge.

    Raises
    ------
    OptionError
        For out-of-range options.
    """
    z_max = _checks.count("max_charge", max_charge, minimum=1)
    tol = _checks.positive("tolerance_ppm", tolerance_ppm, unit="ppm")
    spacing = _checks.positive("spacing_da", spacing_da, unit="Da")
    lo, hi = _spacing_range(spacing_range_da, spacing)
    n_min = _checks.count("min_peaks", min_peaks, minimum=2)
    sub_min = _checks.fraction("min_subcharge_fraction", min_subcharge_fraction)

    mz, height, original = _peak_arrays(peaks)
    if mz.size < n_min:
        return []
    tol_mz = mz * tol * 1e-6
    candidates = []
    for z in range(z_max, 0, -1):
        nxt = _mutual_links(mz, tol_mz, spacing / z, lo / z, hi / z)
        for chain in _chains(nxt, mz, tol_mz, z, lo, hi, n_min):
            candidates.append((z, chain, float(height[chain].sum())))
    candidates.sort(key=lambda c: (-c[0], -c[2]))

    residual = height.copy()
    found: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]] = []
    for z, chain, _ in candidates:
        novel = residual[chain] >= _MIN_NOVELTY * height[chain]
        n_novel = int(np.count_nonzero(novel))
        if n_novel < n_min:  # most harmonics stop here
            continue
        runs = [(0, chain.size)] if n_novel == chain.size else _runs(novel, n_min)
        for start, stop in runs:
            part = chain[start:stop]
            r = residual[part]
            claim = _claim(r, z, sub_min)
            residual[part] = np.maximum(r - claim, 0.0)
            found.append((z, part, claim))

    envelopes = []
    for z, chain, claim in _merge_fragments(found, mz, tol_mz, spacing, hi - lo):
        envelopes.append(_envelope(z, chain, claim, mz, height, tol_mz, spacing, original))
    envelopes.sort(key=lambda e: (e.apex_mz, e.charge))
    return envelopes


def _spacing_range(value: Sequence[float], spacing: float) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise OptionError(f"spacing_range_da must be a pair (low, high) in Da, got {value!r}") from None
    if not (0 < lo <= spacing <= hi) or not math.isfinite(hi):
        raise OptionError(
            f"spacing_range_da must be (low, high) with 0 < low <= spacing_da <= high, got "
            f"{value!r} with spacing_da={spacing!r}"
        )
    return lo, hi


def _peak_arrays(
    peaks: PeakList | Spectrum,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Positive peaks sorted by m/z, and their indices in the input."""
    if isinstance(peaks, Spectrum):
        if peaks.mode != "centroid":
            peaks = pick_peaks(peaks)
        else:
            _checks.finite_intensities(peaks, "detect_charges")
    if isinstance(peaks, PeakList):
        mz, height = peaks.centroid_mz, peaks.height
    elif isinstance(peaks, Spectrum):
        mz, height = peaks.mz, peaks.intensity
    else:
        raise OptionError(f"detect_charges needs a PeakList or a Spectrum, got {type(peaks).__name__}")
    keep = np.flatnonzero((height > 0) & np.isfinite(mz) & np.isfinite(height))
    order = keep[np.argsort(mz[keep], kind="stable")]
    return mz[order], height[order].astype(np.float64), order.astype(np.intp)


def _nearest(mz: NDArray[np.float64], target: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the element of sorted ``mz`` nearest to each target."""
    j = np.clip(np.searchsorted(mz, target), 1, mz.size - 1)
    left_closer = (target - mz[j - 1]) <= (mz[j] - target)
    return np.where(left_closer, j - 1, j).astype(np.intp)


def _mutual_links(
    mz: NDArray[np.float64],
    tol_mz: NDArray[np.float64],
    step: float,
    lo: float,
    hi: float,
) -> NDArray[np.intp]:
    """For each peak the next one of its series (-1 if none), kept when mutually best."""
    n = mz.size
    idx = np.arange(n)
    fwd = _nearest(mz, mz + step)
    gap = mz[fwd] - mz
    ok_f = (fwd > idx) & (gap >= lo - tol_mz - tol_mz[fwd]) & (gap <= hi + tol_mz + tol_mz[fwd])
    back = _nearest(mz, mz - step)
    gap = mz - mz[back]
    ok_b = (back < idx) & (gap >= lo - tol_mz - tol_mz[back]) & (gap <= hi + tol_mz + tol_mz[back])
    nxt = np.where(ok_f, fwd, -1)
    prv = np.where(ok_b, back, -1)
    mutual = ok_f & (prv[np.maximum(nxt, 0)] == idx)
    return np.where(mutual, nxt, -1).astype(np.intp)


def _chains(
    nxt: NDArray[np.intp],
    mz: NDArray[np.float64],
    tol_mz: NDArray[np.float64],
    z: int,
    lo: float,
    hi: float,
    n_min: int,
) -> list[NDArray[np.intp]]:
    """Chains of at least ``n_min`` linked peaks whose fitted spacing fits charge ``z``.

    One link cannot tell z = 6 from z = 7 at m/z 1600 with a 10 ppm tolerance (the spacings
    differ by 0.024 m/z), but the slope of a straight line through a whole chain can: the
    chain is kept only if that slope times z lies in ``[lo, hi]``, widened by the
    uncertainty of the slope and by 2 % (two envelopes 0.05 m/z apart blend into peaks
    whose centroids drift along the chain, which tilts the slope by up to ~1 %; a wrong
    charge is off by 1/8 = 12.5 % or more).
    """
    src = np.flatnonzero(nxt >= 0)
    if src.size + 1 < n_min:
        return []
    n = nxt.size
    _, labels = _kernels.connected_components(n, src, nxt[src])
    sizes = np.bincount(labels)
    big = np.flatnonzero(sizes >= n_min)
    if big.size == 0:
        return []
    members = np.flatnonzero(np.isin(labels, big))
    members = members[np.argsort(labels[members], kind="stable")]  # index = m/z order kept
    starts = np.r_[0, np.flatnonzero(np.diff(labels[members])) + 1]
    chain_id = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, members.size]))
    # Straight-line fit of m/z against rung number, per chain, from sums.
    rung = np.arange(members.size) - starts[chain_id]
    x = mz[members] - mz[members[starts]][chain_id]
    count = np.bincount(chain_id).astype(np.float64)
    s_i, s_ii = np.bincount(chain_id, rung), np.bincount(chain_id, rung * rung)
    s_x, s_ix = np.bincount(chain_id, x), np.bincount(chain_id, rung * x)
    slope = (count * s_ix - s_i * s_x) / (count * s_ii - s_i * s_i)
    tol = np.bincount(chain_id, tol_mz[members]) / count
    slack = np.maximum(2.0 * tol * np.sqrt(12.0 / (count * (count * count - 1.0))) * z, _SLOPE_SLACK * hi)
    spacing = slope * z
    good = (spacing >= lo - slack) & (spacing <= hi + slack)
    parts = np.split(members, starts[1:])
    return [parts[k].astype(np.intp) for k in np.flatnonzero(good)]


def _runs(mask: NDArray[np.bool_], n_min: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True in ``mask`` at least ``n_min`` long."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2]
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b - a >= n_min]


def _claim(r: NDArray[np.float64], z: int, sub_min: float) -> NDArray[np.float64]:
    """Intensity a charge-z series claims: all of it, or its smooth part (rule 3)."""
    n = r.size
    total = r.sum()
    if n < 5 or total <= 0:
        return r.copy()
    neighbours = np.empty(n)
    neighbours[1:-1] = 0.5 * (r[:-2] + r[2:])
    neighbours[0], neighbours[-1] = r[1], r[-2]
    excess = r - neighbours
    position = np.arange(n)
    strong = r >= _STRONG * r.max()
    best: tuple[float, NDArray[np.bool_]] | None = None
    for k in range(2, z + 1):
        if z % k or n < 2 * k + 1:
            continue
        for c in range(k):
            members = position % k == c
            fraction = float(excess[members].sum() / total)
            if fraction < sub_min or (best is not None and fraction <= best[0]):
                continue
            judged = members & strong
            if judged.sum() < 2 or (excess[judged] > 0).mean() < _CONSISTENCY:
                continue
            best = (fraction, members)
    claim = r.copy()
    if best is not None:
        members = best[1]
        claim[members] = np.minimum(r[members], np.maximum(neighbours[members], 0.0))
    return claim


def _merge_fragments(
    found: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]],
    mz: NDArray[np.float64],
    tol_mz: NDArray[np.float64],
    spacing: float,
    spread: float,
) -> list[tuple[int, NDArray[np.intp], NDArray[np.float64]]]:
    """Join series of one charge whose ends are a few spacings apart (rule 4)."""
    by_charge: dict[int, list[tuple[NDArray[np.intp], NDArray[np.float64]]]] = {}
    for z, chain, claim in found:
        by_charge.setdefault(z, []).append((chain, claim))
    merged: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]] = []
    for z, parts in by_charge.items():
        parts.sort(key=lambda part: float(mz[part[0][0]]))
        step = spacing / z
        chain, claim = parts[0]
        for next_chain, next_claim in parts[1:]:
            end, start = chain[-1], next_chain[0]
            gap = float(mz[start] - mz[end])
            steps = round(gap / step)
            slack = tol_mz[end] + tol_mz[start] + steps * spread / z
            if 0 <= steps <= _MAX_GAP_SPACINGS and abs(gap - steps * step) <= slack:
                chain = np.concatenate((chain, next_chain))
                claim = np.concatenate((claim, next_claim))
            else:
                merged.append((z, chain, claim))
                chain, claim = next_chain, next_claim
        merged.append((z, chain, claim))
    return merged


def _envelope(
    z: int,
    chain: NDArray[np.intp],
    claim: NDArray[np.float64],
    mz: NDArray[np.float64],
    height: NDArray[np.float64],
    tol_mz: NDArray[np.float64],
    spacing: float,
    original: NDArray[np.intp],
) -> Envelope:
    x = mz[chain]
    # Position of each member on the 1/z ladder (fragments may skip a few rungs), and a
    # straight line through them.
    rung = np.round((x - x[0]) / (spacing / z))
    dr = rung - rung.mean()
    sxx = float(dr @ dr)
    if sxx > 0:
        slope = float(dr @ (x - x[0])) / sxx
        fitted = x[0] + float(np.mean(x - x[0])) + slope * dr
        rms = float(np.sqrt(np.mean((x - fitted) ** 2)))
    else:
        slope, rms = spacing / z, 0.0
    regularity = max(0.0, 1.0 - rms / float(np.mean(tol_mz[chain])))
    explained = float(claim.sum())
    share = explained / float(height[chain].sum())
    mean_mz = float(x @ claim / explained) if explained > 0 else float(x.mean())
    return Envelope(
        charge=z,
        apex_mz=float(x[np.argmax(claim)]),
        mean_mz=mean_mz,
        intensity=explained,
        members=tuple(int(i) for i in np.sort(original[chain])),
        score=float(np.clip(share * regularity, 0.0, 1.0)),
        spacing_da=float(slope * z),
    )
