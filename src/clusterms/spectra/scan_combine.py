"""Clean the arrays of a scan and combine several scans into one spectrum.

Cleaning drops points with NaN or infinite values, negative intensity or m/z <= 0, sorts
by m/z, and sums points that repeat an m/z value; it reports what it did so the reader can
warn.

Combining (sum, or mean = sum / number of scans):

- centroid data (and data of unknown mode): all peaks are pooled and peaks at identical
  m/z are merged; nothing is interpolated;
- profile data: each scan is linearly interpolated onto the union of all scans' m/z
  values, so no sample of any scan is lost and scans that share one m/z grid (most TOF
  data) add exactly. Values closer than 1/100 of the local sampling interval (scans
  recalibrated by a fraction of a ppm) are merged into one grid point, so that the grid
  does not grow with the number of scans. A scan contributes zero outside its own m/z
  range and inside gaps where the converter removed zero-intensity points (an interval
  more than 4 times wider than the narrower of its two neighbours), so that interpolation
  never invents signal across a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import unique_sorted

__all__ = ["Cleaning", "clean", "combine", "describe_scans"]

Arrays = tuple[NDArray[np.float64], NDArray[np.float64]]
_HOLE_FACTOR = 4.0  # an interval this many times its neighbour is a gap
_JITTER = 0.01  # m/z values closer than this many sampling intervals are one grid point


@dataclass(frozen=True)
class Cleaning:
    rows: int
    nonfinite: NDArray[np.intp]
    negative: NDArray[np.intp]
    bad_mz: NDArray[np.intp]
    merged_from: int
    merged_into: int

    def describe(
        self, name: str, unit: str, row_lines: Sequence[int] | None = None
    ) -> list[str]:
        out = []
        reasons = []
        for idx, why in (
            (self.nonfinite, "NaN or infinite values"),
            (self.negative, "negative intensity"),
            (self.bad_mz, "m/z <= 0"),
        ):
            if idx.size:
                where = ""
                if row_lines is not None and len(row_lines) == self.rows:
                    where = f" (first at line {int(row_lines[idx[0]])})"
                reasons.append(f"{idx.size} with {why}{where}")
        dropped = self.nonfinite.size + self.negative.size + self.bad_mz.size
        if dropped:
            out.append(f"dropped {dropped} of {self.rows} {unit} of {name}: {', '.join(reasons)}")
        if self.merged_from:
            out.append(
                f"merged {self.merged_from} {unit} of {name} that repeat an m/z value into "
                f"{self.merged_into} (intensities summed)"
            )
        return out


def clean(
    mz: NDArray[np.float64], intensity: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], Cleaning]:
    """Drop invalid points, sort by m/z, and sum points with identical m/z."""
    finite = np.isfinite(mz) & np.isfinite(intensity)
    nonfinite = np.flatnonzero(~finite)
    negative = np.flatnonzero(finite & (intensity < 0))
    bad_mz = np.flatnonzero(finite & (intensity >= 0) & (mz <= 0))
    if nonfinite.size or negative.size or bad_mz.size:
        keep = finite & (intensity >= 0) & (mz > 0)
        mz, intensity = mz[keep], intensity[keep]
    if mz.size > 1 and not np.all(mz[1:] >= mz[:-1]):
        order = np.argsort(mz, kind="stable")
        mz, intensity = mz[order], intensity[order]
    merged_from = merged_into = 0
    if mz.size > 1:
        repeat = mz[1:] == mz[:-1]
        if repeat.any():
            starts = np.flatnonzero(np.concatenate(([True], ~repeat)))
            groups = np.diff(np.append(starts, mz.size))
            merged_from = int(groups[groups > 1].sum())
            merged_into = int((groups > 1).sum())
            intensity = np.add.reduceat(intensity, starts)
            mz = mz[starts]
    cleaning = Cleaning(
        rows=int(finite.size),
        nonfinite=nonfinite,
        negative=negative,
        bad_mz=bad_mz,
        merged_from=merged_from,
        merged_into=merged_into,
    )
    return mz, intensity, cleaning


def describe_scans(cleanings: list[Cleaning], name: str) -> list[str]:
    touched = [c for c in cleanings if c.nonfinite.size or c.negative.size or c.bad_mz.size
               or c.merged_from]
    if not touched:
        return []
    total = Cleaning(
        rows=sum(c.rows for c in touched),
        nonfinite=np.concatenate([c.nonfinite for c in touched]),
        negative=np.concatenate([c.negative for c in touched]),
        bad_mz=np.concatenate([c.bad_mz for c in touched]),
        merged_from=sum(c.merged_from for c in touched),
        merged_into=sum(c.merged_into for c in touched),
    )
    scans = "1 scan" if len(touched) == 1 else f"{len(touched)} scans"
    return total.describe(f"{name} ({scans})", "points")


def combine(
    parts: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
    *,
    mode: Any,
    how: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if len(parts) == 1:
        return parts[0]
    combiner: Callable[..., tuple[NDArray[np.float64], NDArray[np.float64]]]
    combiner = _sum_profile if mode == "profile" else _sum_centroid
    mz, total = combiner(parts)
    if how == "mean":
        total = total / len(parts)
    return mz, total


def _sum_centroid(
    parts: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    mz = np.concatenate([p[0] for p in parts])
    intensity = np.concatenate([p[1] for p in parts])
    unique, inverse = np.unique(mz, return_inverse=True)
    summed = np.bincount(inverse, weights=intensity, minlength=unique.size)
    return unique, summed.astype(np.float64)


def _sum_profile(
    parts: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    first = parts[0][0]
    if all(p[0].shape == first.shape and np.array_equal(p[0], first) for p in parts[1:]):
        return first, np.sum([p[1] for p in parts], axis=0)  # one shared grid: exact sum
    grid = _union_grid(parts)
    total = np.zeros(grid.size)
    for mz, intensity in parts:
        _add_on_grid(mz, intensity, grid, total)
    return grid, total


def _sampling_step(mz: NDArray[np.float64]) -> NDArray[np.float64]:
    """The local sampling interval at each point; a gap counts as its narrower neighbour."""
    step = np.diff(mz)
    if step.size == 0:
        return np.zeros(mz.size)
    left = np.r_[step[0], step]
    right = np.r_[step, step[-1]]
    return np.minimum(left, right)


def _union_grid(parts: list[tuple[NDArray[np.float64], NDArray[np.float64]]]) -> NDArray[np.float64]:
    """All scans' m/z values, with values closer than _JITTER sampling intervals merged.

    Scans of one acquisition sampled at slightly shifted m/z (recalibrated per scan) would
    otherwise multiply the grid by the number of scans.
    """
    grid = unique_sorted(np.concatenate([p[0] for p in parts]))
    reference = max((p[0] for p in parts), key=lambda mz: mz.size)
    if grid.size < 2 or reference.size < 2:
        return grid
    spacing = np.interp(grid[:-1], reference, _sampling_step(reference))
    starts = np.r_[True, np.diff(grid) >= _JITTER * spacing]
    if starts.all():
        return grid
    cluster = np.cumsum(starts) - 1
    merged: NDArray[np.float64] = np.bincount(cluster, weights=grid) / np.bincount(cluster)
    return merged


def _add_on_grid(
    mz: NDArray[np.float64],
    intensity: NDArray[np.float64],
    grid: NDArray[np.float64],
    total: NDArray[np.float64],
) -> None:
    """Add one scan, linearly interpolated onto ``grid``, to ``total``: nothing outside the
    scan's m/z range or inside its gaps (grid points within 2 _JITTER sampling intervals of
    a sample count as that sample)."""
    if mz.size == 0:
        return
    if mz.size == 1:
        total[np.argmin(np.abs(grid - mz[0]))] += intensity[0]
        return
    slack = 2 * _JITTER * _sampling_step(mz)
    lo = int(np.searchsorted(grid, mz[0] - slack[0], side="left"))
    hi = int(np.searchsorted(grid, mz[-1] + slack[-1], side="right"))
    values = np.interp(grid[lo:hi], mz, intensity)
    step = np.diff(mz)
    neighbour = np.minimum(np.r_[np.inf, step[:-1]], np.r_[step[1:], np.inf])
    holes = np.flatnonzero(step > _HOLE_FACTOR * neighbour)
    if holes.size:
        # Grid points strictly inside a gap, between its two samples (and their slack).
        start = np.searchsorted(grid, mz[holes] + slack[holes], side="right") - lo
        stop = np.searchsorted(grid, mz[holes + 1] - slack[holes + 1], side="left") - lo
        inside = np.zeros(values.size + 1, dtype=np.int64)
        np.add.at(inside, np.clip(start, 0, values.size), 1)
        np.add.at(inside, np.clip(stop, 0, values.size), -1)
        values[np.cumsum(inside[:-1]) > 0] = 0.0
    total[lo:hi] += values
