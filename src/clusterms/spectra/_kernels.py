"""numpy versions of the few scipy routines that spectrum processing needs (private).

Importing ``scipy.signal``, ``scipy.integrate``, ``scipy.ndimage`` or ``scipy.sparse`` costs
one to three seconds each with scipy 1.17 (it parses docstrings at import), more than a whole
``clusterms assign`` run may take. These kernels reproduce what the processing modules used
from them, with scipy's conventions, and are tested against scipy in
``tests/spectra/test_numpy_kernels.py``:

- :func:`find_peaks` (local maxima with plateaus, height, topographic prominence) and
  :func:`peak_widths` give the same indices and bit-identical numbers as
  ``scipy.signal.find_peaks`` / ``peak_widths`` (bar a reference height above the apex,
  where scipy extrapolates or divides by zero and the kernel reports width 0);
- :func:`cumulative_trapezoid` is ``scipy.integrate.cumulative_trapezoid(y, x, initial=0)``
  with the same arithmetic;
- :func:`minimum_filter1d`, :func:`maximum_filter1d` (exact) and :func:`uniform_filter1d`
  (to rounding) are the ``scipy.ndimage`` filters with ``mode="nearest"``;
- :func:`connected_components` labels an undirected graph given by its edges as
  ``scipy.sparse.csgraph.connected_components`` does (labels ordered by lowest node).

Inputs are finite 1-D float64 arrays; the callers check that.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "connected_components",
    "cumulative_trapezoid",
    "find_peaks",
    "local_maxima",
    "maximum_filter1d",
    "minimum_filter1d",
    "peak_prominences",
    "peak_widths",
    "uniform_filter1d",
]

Floats = NDArray[np.float64]
Indices = NDArray[np.intp]

# First window searched for a half-height crossing, in points; it grows eightfold for the
# few peaks whose crossing lies further out, so the search costs O(peaks * window) when the
# crossings are near their apexes and never more than a few passes over the data.
_FIRST_WINDOW = 32
# Rounds of pointer jumping before the prominence walk switches to sparse tables.
_JUMP_ROUNDS = 8


# ---------------------------------------------------------------------------- peaks


def local_maxima(x: Floats, /, *, height: float | None = None) -> Indices:
    """Indices of the local maxima of ``x``, as ``scipy.signal.find_peaks`` finds them.

    A maximum is a point, or a plateau of equal points, with a strictly lower neighbour on
    each side; a plateau is reported at its middle (rounded down). The first and the last
    point are never maxima, nor is a plateau that touches either end. With ``height``, only
    the maxima at least that high.
    """
    n = x.size
    if n < 3:
        return np.zeros(0, np.intp)
    # Every point of a maximum (or plateau) is at least as high as both neighbours; keep
    # those, then group them into runs of adjacent equal points and test the runs' outer
    # neighbours. All points of a plateau pass the height test together.
    mid = x[1:-1]
    candidate = (mid >= x[:-2]) & (mid >= x[2:])
    if height is not None:
        candidate &= mid >= height
    index = np.flatnonzero(candidate) + 1
    if index.size == 0:
        return np.zeros(0, np.intp)
    value = x[index]
    joined = (np.diff(index) == 1) & (value[1:] == value[:-1])
    first = index[np.concatenate(([True], ~joined))]
    last = index[np.concatenate((~joined, [True]))]
    level = x[first]
    peak = (x[first - 1] < level) & (x[last + 1] < level)
    return ((first[peak] + last[peak]) // 2).astype(np.intp)


def peak_prominences(x: Floats, peaks: Indices, /) -> Floats:
    """Topographic prominence of each peak, as ``scipy.signal.peak_prominences`` (no wlen).

    From a peak, walk outwards on each side until the signal rises above the peak (or ends);
    the prominence is the peak's height over the higher of the two lowest points met.

    ``peaks`` must be sorted local maxima of ``x`` (from :func:`local_maxima`) and must hold
    every local maximum that is higher than any of them, e.g. all local maxima at or above a
    height. The first point higher than a peak on either side is then always on the flank of
    a higher listed peak, and all points between it and that peak are higher too, so the
    walk can stop at the nearest higher listed peak; the lowest point met is the lowest of
    the valleys between consecutive listed peaks on the way.

    Each peak keeps, on each side, a ``wall``: no peak between it and the wall is higher
    than it, and the lowest valley over that stretch is known. A few rounds of pointer
    jumping (a peak not lower than its wall takes over the wall's own stretch) settle most
    peaks in noisy or realistic data. The rest, few but possibly far from their wall (a
    long slope), walk on over blocks of 2**l peaks, largest first, using sparse tables of
    block maxima and minima; that is O(log m) steps each whatever the data, and
    O(n + m log m) in all for m peaks.
    """
    m = peaks.size
    if m == 0:
        return np.zeros(0)
    height = x[peaks]
    # valley[0] = lowest point before the first peak, valley[i] = lowest point between peaks
    # i-1 and i, valley[m] = lowest point after the last peak.
    valley = np.minimum.reduceat(x, np.concatenate(([0], peaks)))
    left = _jump(height, valley, rightwards=False)
    right = _jump(height, valley, rightwards=True)
    if left[2].size or right[2].size:
        tables = _block_tables(height, valley)
        _descend(height, tables, *left, rightwards=False)
        _descend(height, tables, *right, rightwards=True)
    prominence: Floats = height - np.maximum(left[0], right[0])
    return prominence


def _jump(height: Floats, valley: Floats, *, rightwards: bool) -> tuple[Floats, Indices, Indices]:
    """Pointer jumping towards the nearest higher peak on one side: ``(lowest, wall, todo)``.

    ``lowest[k]`` is the lowest valley between peak k and ``wall[k]`` (-1 or m: the end of
    the data); ``todo`` lists the peaks whose wall is neither higher than them nor the end.
    """
    m = height.size
    step = 1 if rightwards else -1
    wall = np.arange(m) + step
    lowest = valley[1:].copy() if rightwards else valley[:m].copy()
    todo = np.flatnonzero((wall >= 0) & (wall < m))
    for _ in range(_JUMP_ROUNDS):
        if todo.size == 0:
            break
        j = wall[todo]
        todo = todo[height[j] <= height[todo]]
        j = wall[todo]
        wall[todo], lowest[todo] = wall[j], np.minimum(lowest[todo], lowest[j])
        todo = todo[(wall[todo] >= 0) & (wall[todo] < m)]
    return lowest, wall, todo


def _block_tables(height: Floats, valley: Floats) -> tuple[list[Floats], list[Floats]]:
    """Level l: the maximum of ``height[i : i + 2**l]`` and the minimum of ``valley[i : i + 2**l]``."""
    tallest = [height]
    lowest = [valley]
    size = 1
    while 2 * size <= height.size:
        tallest.append(np.maximum(tallest[-1][:-size], tallest[-1][size:]))
        lowest.append(np.minimum(lowest[-1][:-size], lowest[-1][size:]))
        size *= 2
    return tallest, lowest


def _descend(
    height: Floats,
    tables: tuple[list[Floats], list[Floats]],
    lowest: Floats,
    wall: Indices,
    todo: Indices,
    *,
    rightwards: bool,
) -> None:
    """Finish the walk of the ``todo`` peaks over whole blocks, updating ``lowest`` in place.

    The stretch still to walk has some length; taking the blocks of 2**l peaks that are not
    higher than the peak, largest first, spells that length out in binary. The peaks of a
    block [a, a + 2**l) bring the valleys on their far side: ``valley[a : a + 2**l]``
    walking left, ``valley[a + 1 : a + 1 + 2**l]`` walking right.
    """
    if todo.size == 0:
        return
    tallest, deepest = tables
    m = height.size
    top, best = height[todo], lowest[todo]
    # Walking left: the leftmost peak walked over; right: the first peak not walked over.
    edge = wall[todo] + (0 if rightwards else 1)
    for level in range(len(tallest) - 1, -1, -1):
        size = 1 << level
        start = edge if rightwards else edge - size
        fits = (start + size <= m) if rightwards else (start >= 0)
        safe = np.clip(start, 0, m - size)
        ok = fits & (tallest[level][safe] <= top)
        far_valley = deepest[level][safe + 1 if rightwards else safe]
        best = np.minimum(best, np.where(ok, far_valley, best))
        edge = np.where(ok, edge + size if rightwards else start, edge)
    lowest[todo] = best


def find_peaks(
    x: Floats, /, *, height: float | None = None, prominence: float | None = None
) -> tuple[Indices, Floats | None]:
    """Local maxima at least ``height`` high whose prominence is at least ``prominence``.

    The same selection, in the same order, as ``scipy.signal.find_peaks(x, height=height,
    prominence=prominence)`` with scalar limits.

    Returns
    -------
    peaks, prominences
        The peak indices (sorted) and, when ``prominence`` is given, their prominences.
    """
    peaks = local_maxima(x, height=height)
    if prominence is None:
        return peaks, None
    # Every local maximum above a kept one passed the height test too, as the prominence
    # walk requires.
    value = peak_prominences(x, peaks)
    keep = value >= prominence
    return peaks[keep], value[keep]


def peak_widths(
    x: Floats,
    peaks: Indices,
    /,
    *,
    rel_height: float,
    prominences: Floats,
    left_bases: Indices,
    right_bases: Indices,
) -> tuple[Floats, Floats, Floats, Floats]:
    """``scipy.signal.peak_widths`` with ``prominence_data`` given; no warning for width 0.

    For each peak the reference height is ``x[peak] - prominence * rel_height``; walking out
    from the peak, but not past its bases, the first point at or below that height on each
    side is found and the crossing interpolated linearly between it and its inner neighbour.
    The work grows with the distance from each peak to its crossings, and is at most
    proportional to the total length of the intervals ``[left_base, right_base]``.

    Returns
    -------
    widths, width_heights, left_ips, right_ips
        As scipy: the widths and crossings in (fractional) samples, and the heights.
    """
    level = x[peaks] - prominences * rel_height
    left = _last_at_or_below(x, left_bases + 1, peaks, level)
    right = _first_at_or_below(x, peaks, right_bases - 1, level)
    # Interpolate towards the inner neighbour, which is above the level. Only a level above
    # the apex (a negative prominence) stops a walk at the apex itself: that crossing is
    # taken as is (width 0), where scipy would extrapolate or divide by zero.
    left_ip = left.astype(np.float64)
    below = (x[left] < level) & (left < peaks)
    i = left[below]
    left_ip[below] += (level[below] - x[i]) / (x[i + 1] - x[i])
    right_ip = right.astype(np.float64)
    below = (x[right] < level) & (right > peaks)
    i = right[below]
    right_ip[below] -= (level[below] - x[i]) / (x[i - 1] - x[i])
    return right_ip - left_ip, level, left_ip, right_ip


def _last_at_or_below(x: Floats, lo: Indices, hi: Indices, level: Floats) -> Indices:
    """For each query, the last ``i`` in ``[lo, hi]`` with ``x[i] <= level``, else ``lo - 1``."""
    result = (lo - 1).astype(np.intp)
    todo = np.flatnonzero(hi >= lo)
    top = hi.astype(np.intp)  # the window is [max(lo, top - window + 1), top]
    window = _FIRST_WINDOW
    while todo.size:
        start = np.maximum(lo[todo], top[todo] - window + 1)
        owner, index = _spans(start, top[todo] + 1)
        hit = np.flatnonzero(x[index] <= level[todo][owner])
        if hit.size:
            hit_owner = owner[hit]
            last = hit[np.concatenate((hit_owner[1:] != hit_owner[:-1], [True]))]
            result[todo[owner[last]]] = index[last]
        done = np.zeros(todo.size, bool)
        if hit.size:
            done[owner[hit]] = True
        done |= start <= lo[todo]  # searched to the end of the interval: no hit
        top[todo] = start - 1
        todo = todo[~done]
        window *= 8
    return result


def _first_at_or_below(x: Floats, lo: Indices, hi: Indices, level: Floats) -> Indices:
    """For each query, the first ``i`` in ``[lo, hi]`` with ``x[i] <= level``, else ``hi + 1``."""
    last = x.size - 1
    mirrored = _last_at_or_below(x[::-1], last - hi, last - lo, level)
    return (last - mirrored).astype(np.intp)


def _spans(start: Indices, stop: Indices) -> tuple[Indices, Indices]:
    """Owner and index of every point of the ranges ``[start, stop)``, concatenated."""
    length = np.maximum(stop - start, 0)
    owner = np.repeat(np.arange(start.size), length)
    offset = np.cumsum(length) - length
    index = np.arange(owner.size) + (start - offset)[owner]
    return owner.astype(np.intp), index.astype(np.intp)


# ---------------------------------------------------------------------------- integration


def cumulative_trapezoid(y: Floats, x: Floats, /) -> Floats:
    """Running trapezoid integral of ``y`` over ``x``, starting at 0 (same length as ``y``).

    The arithmetic of ``scipy.integrate.cumulative_trapezoid(y, x, initial=0)``.
    """
    out = np.zeros(y.size)
    if y.size < 2:
        return out
    step = y[1:] + y[:-1]  # in place from here: d * (y[1:] + y[:-1]) / 2, summed
    step *= np.diff(x)
    step /= 2.0
    np.cumsum(step, out=out[1:])
    return out


# ---------------------------------------------------------------------------- filters


def minimum_filter1d(values: Floats, size: int, /) -> Floats:
    """Running minimum over ``size`` points, ``scipy.ndimage.minimum_filter1d(mode="nearest")``."""
    return _running_extreme(values, size, np.minimum, np.inf)


def maximum_filter1d(values: Floats, size: int, /) -> Floats:
    """Running maximum over ``size`` points, ``scipy.ndimage.maximum_filter1d(mode="nearest")``."""
    return _running_extreme(values, size, np.maximum, -np.inf)


def uniform_filter1d(values: Floats, size: int, /) -> Floats:
    """Running mean over ``size`` points, ``scipy.ndimage.uniform_filter1d(mode="nearest")``.

    From a cumulative sum of the values less their first value (so the rounding error scales
    with the variation of the values, not their size).
    """
    n = values.size
    if n == 0:
        return np.zeros(0)
    padded = _pad_nearest(values, size)
    ref = float(values[0])
    total = np.concatenate(([0.0], np.cumsum(padded - ref)))
    mean: Floats = (total[size : size + n] - total[:n]) / size + ref
    return mean


def _pad_nearest(values: Floats, size: int) -> Floats:
    """``values`` extended by repeating its end values, so that window ``i`` of ``size``
    points is ``padded[i : i + size]``, centred as scipy.ndimage centres it (origin 0)."""
    before = size // 2
    return np.pad(values, (before, size - 1 - before), mode="edge")


def _running_extreme(values: Floats, size: int, op: np.ufunc, identity: float) -> Floats:
    """van Herk / Gil-Werman running min or max: O(n) whatever ``size``.

    The padded data are cut into blocks of ``size``; every window spans the tail of one
    block and the head of the next, so it is ``op`` of a suffix scan and a prefix scan.
    """
    n = values.size
    if n == 0 or size <= 1:
        return values.astype(np.float64, copy=True)
    padded = _pad_nearest(values, size)
    blocks = -(-padded.size // size)
    grid = np.full(blocks * size, identity)
    grid[: padded.size] = padded
    grid2 = grid.reshape(blocks, size)
    prefix = op.accumulate(grid2, axis=1).ravel()
    suffix = op.accumulate(grid2[:, ::-1], axis=1)[:, ::-1].ravel()
    result: Floats = op(suffix[:n], prefix[size - 1 : size - 1 + n])
    return result


# ---------------------------------------------------------------------------- graphs


def connected_components(n: int, /, u: Indices, v: Indices) -> tuple[int, Indices]:
    """Components of the undirected graph on nodes ``0..n-1`` with edges ``u[i] - v[i]``.

    Returns ``(count, labels)`` like ``scipy.sparse.csgraph.connected_components(...,
    directed=False)``: labels run from 0 in the order of each component's lowest node.
    Union-find in bulk: every root is hooked under the smallest root it shares an edge
    with, then pointers are jumped until every node points at its root; repeated until the
    two ends of every edge share a root (one round for the chains of charge detection).
    """
    parent = np.arange(n, dtype=np.intp)
    u = np.asarray(u, dtype=np.intp)
    v = np.asarray(v, dtype=np.intp)
    while u.size:
        pu, pv = parent[u], parent[v]
        split = pu != pv
        if not split.any():
            break
        lo, hi = np.minimum(pu[split], pv[split]), np.maximum(pu[split], pv[split])
        np.minimum.at(parent, hi, lo)  # a root only ever points to a smaller node
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    # Every root is the lowest node of its component, so ranking roots orders the labels.
    roots, labels = np.unique(parent, return_inverse=True)
    return int(roots.size), labels.astype(np.intp)
