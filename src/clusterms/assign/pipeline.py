"""Assign every envelope of a spectrum to a composition: the `clusterms assign` engine.

Steps (each a plain function of the previous results):

1. prepare the spectrum: profile (centroid data are broadened at the resolving power),
   baseline removed, noise level and resolving power estimated;
2. theoretical envelopes of all candidates in one batch;
3. a first calibration from a histogram of ppm differences between observed centroids and
   the candidates' main isotope peaks (the true offset is where the isotope combs align);
4. screen, joint fit, score, accept; recalibrate (offset + drift) from the confident
   assignments and repeat;
5. final fit with the accepted species only; ambiguity between near-collinear profiles;
   decoy envelopes (shifted by half-integer masses) are fitted beside the accepted species
   to estimate how many false assignments the acceptance rules let through;
6. what is left in the residual is grouped into envelopes and reported as unassigned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import quantile
from clusterms.assign.candidates import fit_envelopes
from clusterms.assign.fit import Column, FlatEnvelopes, build_columns, column_metrics, fit_regions, screen
from clusterms.chem.ion import Ion
from clusterms.errors import ClustermsWarning, InputFileError, OptionError
from clusterms.spectra.spectrum import Spectrum

if TYPE_CHECKING:
    from clusterms.spectra.peaks import PeakList

__all__ = ["AssignResult", "AssignSettings", "Assignment", "Unassigned", "assign_spectrum"]

FloatArray = NDArray[np.float64]
Progress = Callable[[str], None]


class CandidateLike(Protocol):
    """What the engine needs of a candidate (see clusterms.assign.candidates)."""

    @property
    def ion(self) -> Ion: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class AssignSettings:
    """Options of :func:`assign_spectrum` (all keyword-only in the CLI too).

    Attributes
    ----------
    resolution
        Resolving power; ``None`` estimates it from resolved peaks of the spectrum.
    snr
        Smallest apex height of an assigned envelope, in units of the noise level.
    min_score
        Smallest pattern score (cosine similarity, 0-1) of an assignment.
    max_ppm
        Largest |mass error| (ppm, after recalibration) of an assignment.
    min_abundance
        Smallest abundance (% of the largest assigned species) reported.
    search_ppm
        Calibration errors up to this many ppm are searched for.
    baseline
        Remove a baseline before fitting (profile data).
    decoys
        Estimate the false-assignment rate with decoy envelopes.
    seed
        Seed for anything random (decoy shifts); results are deterministic.
    fdr
        Largest q-value (target-decoy false-discovery rate) of a reported assignment;
        1 keeps every assignment the other rules accept.
    calibration_min_species
        A calibration is applied only when at least this many independent species (main
        isotope peaks more than 1 m/z apart) support it; otherwise the axis stays as read.
    centroid_intensity
        What a centroid's intensity is, for centroid input: ``"area"`` (the peak's integrated
        signal, the default) or ``"height"`` (its apex, e.g. :func:`clusterms.spectra.peaks.centroid`
        by default).
    min_isotope_peaks
        Smallest effective number of isotope peaks (exp of the envelope's entropy) of a
        candidate: an envelope with fewer (e.g. [Au2(PET)]+, 1.6: one peak and its 13C
        satellite) looks like any organic ion and is not assigned from its pattern.
    """

    resolution: float | None = None
    snr: float = 3.0
    min_score: float = 0.8
    max_ppm: float = 10.0
    min_abundance: float = 0.5
    search_ppm: float = 50.0
    baseline: bool = True
    decoys: bool = True
    seed: int = 0
    fdr: float = 0.01
    calibration_min_species: int = 3
    min_isotope_peaks: float = 2.0
    centroid_intensity: str = "area"

    def __post_init__(self) -> None:
        if self.resolution is not None and not (self.resolution > 0 and np.isfinite(self.resolution)):
            raise OptionError(f"resolution must be a positive number, got {self.resolution!r}")
        for name, lo in (("snr", 0.0), ("max_ppm", 0.0), ("search_ppm", 0.0)):
            v = getattr(self, name)
            if not (v > lo and np.isfinite(v)):
                raise OptionError(f"{name} must be a positive number, got {v!r}")
        if not 0 <= self.min_score <= 1:
            raise OptionError(f"min_score must be between 0 and 1, got {self.min_score!r}")
        if not 0 <= self.min_abundance <= 100:
            raise OptionError(f"min_abundance must be between 0 and 100, got {self.min_abundance!r}")
        if self.centroid_intensity not in ("area", "height"):
            raise OptionError(f"centroid_intensity must be 'area' or 'height', got {self.centroid_intensity!r}")
        if not (0 <= self.min_isotope_peaks <= 100):
            raise OptionError(f"min_isotope_peaks must be between 0 and 100, got {self.min_isotope_peaks!r}")
        if not 0 < self.fdr <= 1:
            raise OptionError(f"fdr must be in (0, 1], got {self.fdr!r}")
        n = self.calibration_min_species
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise OptionError(f"calibration_min_species must be a positive integer, got {n!r}")


#: Columns of assignments.csv, in order (the keys of :meth:`Assignment.row`).
ASSIGNMENT_COLUMNS = ("species", "formula", "charge", "mz", "observed_mz", "ppm", "score", "abundance",
                      "electrons", "label", "ambiguous_with", "q_value")


@dataclass(frozen=True)
class Assignment:
    """One assigned species (a row of assignments.csv)."""

    species: str
    formula: str
    charge: int
    mz: float
    observed_mz: float
    ppm: float
    score: float
    abundance: float
    electrons: int
    label: str
    ambiguous_with: tuple[str, ...]
    area: float
    ion: Ion = field(repr=False, compare=False)
    q_value: float = float("nan")

    def row(self) -> dict[str, Any]:
        """The CSV row (column contract of `clusterms assign`)."""
        return {
            "species": self.species,
            "formula": self.formula,
            "charge": self.charge,
            "mz": f"{self.mz:.4f}",
            "observed_mz": f"{self.observed_mz:.4f}",
            "ppm": f"{self.ppm:.2f}",
            "score": f"{self.score:.3f}",
            "abundance": f"{self.abundance:.2f}",
            "electrons": self.electrons,
            "label": self.label,
            "ambiguous_with": ";".join(self.ambiguous_with),
            "q_value": "" if np.isnan(self.q_value) else f"{self.q_value:.4f}",
        }


@dataclass(frozen=True)
class Unassigned:
    """A significant envelope that no candidate explains."""

    mz: float
    charge: int
    intensity: float


@dataclass(frozen=True, eq=False)
class AssignResult:
    """Everything `clusterms assign` reports."""

    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    calibration: dict[str, Any]
    resolution: float
    resolution_source: str
    noise: float
    n_candidates: int
    n_screened: int
    decoys_tested: int
    decoys_accepted: int
    mz: FloatArray = field(repr=False)
    intensity: FloatArray = field(repr=False)
    model: FloatArray = field(repr=False)
    profiles: dict[str, tuple[int, FloatArray]] = field(repr=False, default_factory=dict)
    calibration_applied: bool = False
    reliable: bool = True
    fdr_dropped: int = 0
    notes: tuple[str, ...] = ()
    n_uninformative: int = 0
    input_mode: str = "profile"
    input_mode_source: str = "file"

    @property
    def mz_calibration(self) -> Any:
        """The calibration applied to the m/z axis (identity when none was), as a
        :class:`~clusterms.spectra.calibration.Calibration` for :func:`~clusterms.quantify`."""
        from clusterms.spectra.calibration import Calibration

        c = self.calibration
        if not c.get("applied", True):
            return Calibration(ppm_offset=0.0)
        return Calibration(ppm_offset=c["ppm_offset"], ppm_slope_per_kmz=c["ppm_slope_per_kmz"],
                           n_points=c["n_points"], rms_ppm=c["rms_ppm"])

    @property
    def false_assignment_estimate(self) -> float:
        """Decoys accepted per decoy tested, times the assignments made (target-decoy)."""
        if self.decoys_tested == 0:
            return float("nan")
        return self.decoys_accepted / self.decoys_tested * len(self.assignments)


# 1. Preparation --------------------------------------------------------------------------
class _Input(NamedTuple):
    mode: str  # "profile" or "centroid"
    source: str  # where the mode came from


def _input_mode(spectrum: Spectrum) -> _Input:
    """Profile or centroid: as the file says, else told from the data."""
    if spectrum.mode is not None:
        return _Input(spectrum.mode, "file")
    from clusterms.spectra.peak_type import detect_mode

    return _Input(detect_mode(spectrum) or "profile", "detected from the data")


def _prepare(spectrum: Spectrum, settings: AssignSettings,
             given: _Input) -> tuple[Spectrum, float, str, float, PeakList | None]:
    """Baseline-corrected spectrum, resolving power (and where it came from), noise level,
    and the peaks at SNR >= 10 (profile data; used for the resolution and the calibration).

    A centroid list (as the file says, or detected) is broadened at the resolving power
    given, each centroid's intensity read as its peak area; without one it is refused: the
    widths that would tell the resolving power were removed by the centroiding.
    """
    from clusterms.spectra.noise import noise_level
    from clusterms.spectra.peaks import estimate_resolution, pick_peaks

    if len(spectrum) < 10:
        raise InputFileError(f"the spectrum has only {len(spectrum)} points: nothing to assign")
    if not np.all(np.isfinite(spectrum.intensity)):
        raise InputFileError("the spectrum has non-finite intensities")
    if not (spectrum.intensity > 0).any():
        raise InputFileError("the spectrum holds no signal (every intensity is zero): nothing to assign")
    top = float(spectrum.intensity.max())
    if top > 1e100:  # keep squares and sums finite; abundances are relative anyway
        spectrum = spectrum.replace(intensity=spectrum.intensity / top * 1e6)
    if given.mode == "centroid":
        if settings.resolution is None:
            raise OptionError(f"the spectrum is a centroid list ({given.source}): its peak widths are gone, "
                              "so give the instrument's resolving power (--resolution R)")
        res, source = settings.resolution, "given"
        spectrum = _broaden(spectrum, res, as_area=settings.centroid_intensity == "area")
    else:
        source = "given"
        res = settings.resolution or 0.0
    if settings.baseline:
        from clusterms.spectra.baseline import baseline

        spectrum = baseline(spectrum)
    noise = float(noise_level(spectrum))
    peaks = pick_peaks(spectrum, min_snr=10.0, noise=noise) if noise > 0 else None
    if not res:
        res = float(estimate_resolution(spectrum, peaks=peaks))
        source = "estimated"
        if not (np.isfinite(res) and res > 0):  # no resolved peak to measure: fall back, say so
            import warnings

            warnings.warn("could not estimate the resolving power (no resolved peaks); using 20000 "
                          "(set --resolution)", ClustermsWarning, stacklevel=3)
            res, source = 20_000.0, "default"
    return spectrum, res, source, noise, peaks


def _broaden(spectrum: Spectrum, resolution: float, *, as_area: bool = True) -> Spectrum:
    from clusterms.isotopes.profile import log_grid, peak_shapes

    mz, h = spectrum.mz, spectrum.intensity
    pos = h > 0  # some are: _prepare refuses a spectrum without signal
    grid = log_grid(float(mz[pos].min()) * 0.999, float(mz[pos].max()) * 1.001, resolution=resolution,
                    points_per_fwhm=6.0)
    # A centroid's intensity is its peak's area (the integrated signal, kept as listed) or its
    # height (area = height * FWHM * sqrt(pi / ln 16) for a Gaussian).
    areas = h[pos] if as_area else h[pos] * mz[pos] / resolution * 1.064_467
    y = peak_shapes(grid, mz[pos], areas, resolution=resolution)
    return spectrum.replace(mz=grid, intensity=y, mode="profile")


# 2./3. Envelopes and first calibration ----------------------------------------------------


def _histogram_offset(
    peaks: PeakList,
    envs: list[tuple[FloatArray, FloatArray]],
    keep: NDArray[np.bool_],
    *,
    search_ppm: float,
) -> float:
    """Calibration offset (ppm) where the candidates' isotope combs best meet the peaks."""
    if len(peaks) < 3 or not keep.any():
        return 0.0
    obs = peaks.centroid_mz
    w_obs = peaks.height
    # Every main isotope peak of every kept candidate against every observed peak within
    # search_ppm of it: (peak, observed) pairs in one vectorised pass.
    mains = [(mz[prob >= 0.3 * prob.max()], prob[prob >= 0.3 * prob.max()])
             for mz, prob in (envs[int(i)] for i in np.nonzero(keep)[0])]
    m = np.concatenate([a for a, _ in mains])
    p = np.concatenate([b for _, b in mains])
    lo = np.searchsorted(obs, m * (1 - search_ppm * 1e-6))
    hi = np.searchsorted(obs, m * (1 + search_ppm * 1e-6))
    count = hi - lo
    if not count.any():
        return 0.0
    pair = np.repeat(np.arange(m.size), count)
    j = np.arange(pair.size) - np.repeat(np.cumsum(count) - count, count) + lo[pair]
    d = (obs[j] - m[pair]) / m[pair] * 1e6
    w = w_obs[j] * p[pair]
    edges = np.arange(-search_ppm, search_ppm + 0.25, 0.25)
    hist, _ = np.histogram(d, bins=edges, weights=w)
    kernel = np.exp(-0.5 * (np.arange(-12, 13) * 0.25 / 1.0) ** 2)
    smooth = np.convolve(hist, kernel, mode="same")
    centre = 0.5 * (edges[:-1] + edges[1:])
    return float(centre[int(np.argmax(smooth))])


# 4. Fit, metrics, acceptance -------------------------------------------------------------
class _Fitted(NamedTuple):
    cols: list[Column]
    amp: FloatArray
    model: FloatArray
    score: FloatArray
    shift: FloatArray
    height: FloatArray
    shift_se: FloatArray


class _ColumnCache:
    """Theoretical profiles already built on the current axis at the current resolution.

    A fit of the screened candidates, the refit of the accepted ones, the parsimony step,
    the final fit and the ambiguity check all need the same columns; each is built once
    per (axis, resolving power).
    """

    def __init__(self, envs: list[tuple[FloatArray, FloatArray]]) -> None:
        self.envs = envs
        self.x: FloatArray | None = None
        self.resolution = 0.0
        self.cols: dict[int, Column | None] = {}

    def get(self, x: FloatArray, idx: NDArray[np.intp], resolution: float) -> list[Column]:
        if x is not self.x or resolution != self.resolution:
            self.x, self.resolution, self.cols = x, resolution, {}
        wanted = [int(i) for i in idx]
        missing = [i for i in wanted if i not in self.cols]
        if missing:
            built = {c.index: c for c in build_columns(x, self.envs, np.array(missing, dtype=np.intp),
                                                       resolution=resolution)}
            for i in missing:
                self.cols[i] = built.get(i)  # None: the envelope misses the axis
        return [c for c in (self.cols[i] for i in wanted) if c is not None]


def _fit(x: FloatArray, y: FloatArray, envs: list[tuple[FloatArray, FloatArray]],
         idx: NDArray[np.intp], resolution: float, cache: _ColumnCache | None = None) -> _Fitted:
    cols = cache.get(x, idx, resolution) if cache is not None else build_columns(x, envs, idx, resolution=resolution)
    res = fit_regions(x, y, cols)
    score = np.zeros(len(cols))
    shift = np.zeros(len(cols))
    height = np.zeros(len(cols))
    se = np.full(len(cols), np.inf)
    for k, c in enumerate(cols):
        if res.amplitude[k] > 0:
            score[k], shift[k], se[k] = column_metrics(x, y, c, float(res.amplitude[k]), res.model)
            height[k] = res.amplitude[k] * c.values.max()
    return _Fitted(cols, res.amplitude, res.model, score, shift, height, se)


def _top_mz(envs: list[tuple[FloatArray, FloatArray]], cols: Sequence[Column]) -> FloatArray:
    """m/z of the most probable isotope peak of each column's envelope."""
    return np.array([envs[c.index][0][int(np.argmax(envs[c.index][1]))] for c in cols])


def _indices(f: _Fitted, ok: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Candidate indices of the columns where ``ok``."""
    return np.array([c.index for c, g in zip(f.cols, ok, strict=True) if g], dtype=np.intp)


def _accepted(f: _Fitted, envs: list[tuple[FloatArray, FloatArray]], settings: AssignSettings,
              noise: float, ppm_ok: bool, strict: bool = False) -> NDArray[np.bool_]:
    """Columns that pass the acceptance rules.

    While the calibration is being found a weak envelope with an imprecise position is not
    held to ``max_ppm``; ``strict`` (the final fit, and the decoys) holds every column to it.
    """
    if not f.cols:
        return np.zeros(0, dtype=bool)
    mz_top = _top_mz(envs, f.cols)
    ppm = f.shift / mz_top * 1e6
    ppm_se = f.shift_se / mz_top * 1e6
    ok = (f.amp > 0) & (f.height >= settings.snr * noise) & (f.score >= settings.min_score)
    if ppm_ok:
        # A mass error counts against a species only where it is measured well enough: a weak
        # envelope under a strong one (or unresolved at low R) has an imprecise position.
        within = np.abs(ppm) <= settings.max_ppm
        ok &= within if strict else within | (np.abs(ppm) <= 3.0 * ppm_se)
    if ok.any():
        ok &= f.amp >= settings.min_abundance / 100.0 * f.amp[ok].max()
    return ok


def _isotope_peaks(prob: FloatArray) -> float:
    """Effective number of isotope peaks of an envelope: exp of its Shannon entropy."""
    p = prob[prob > 0] / prob.sum()
    return float(np.exp(-(p @ np.log(p))))


def _independent(theo: FloatArray, gap: float = 1.0) -> int:
    """Number of separate envelopes among main-peak m/z values (a z/2z pair on one m/z is one)."""
    if theo.size == 0:
        return 0
    t = np.sort(theo)
    return int(1 + np.count_nonzero(np.diff(t) > gap))


def _recalibrate(x_raw: FloatArray, x_cal: FloatArray, f: _Fitted, ok: NDArray[np.bool_],
                 envs: list[tuple[FloatArray, FloatArray]], settings: AssignSettings) -> tuple[Any, str]:
    """A calibration from the confident assignments, or ``None`` and why it is not supported.

    The rule (docs/assignment.md): at least ``calibration_min_species`` independent species
    with a score >= 0.9 and a measured position, as many of them within half of ``max_ppm``
    of the fitted calibration, and an error within ``search_ppm`` over the whole axis.
    """
    from clusterms.spectra.calibration import fit_calibration

    need = settings.calibration_min_species
    good = ok & (f.score >= 0.9) & np.isfinite(f.shift_se)
    theo = _top_mz(envs, [c for c, g in zip(f.cols, good, strict=True) if g])
    n_ind = _independent(theo)
    if n_ind < need:
        return None, f"{n_ind} independent species support it (the rule needs {need})"
    shifts = f.shift[good]
    raw = np.interp(theo + shifts, x_cal, x_raw)
    weights = np.sqrt(f.amp[good])
    span = theo.max() - theo.min()
    model = "linear" if n_ind >= 4 and span >= 500 else "offset"
    cal = fit_calibration(raw, theo, weights=weights, model=model)
    # Species agree with the calibration when it brings them within half of max_ppm.
    residual = (raw - theo) / theo * 1e6 - cal.ppm_error(theo)
    agree = np.abs(residual) <= settings.max_ppm / 2
    n_agree = _independent(theo[agree])
    if n_agree < need:
        return None, (f"{n_agree} independent species agree with it within half of --max-ppm "
                      f"(the rule needs {need})")
    ends = np.array([x_raw[0], x_raw[-1]])
    if not float(np.abs(cal.ppm_error(ends)).max()) <= settings.search_ppm:
        return None, f"its error reaches {float(np.abs(cal.ppm_error(ends)).max()):.0f} ppm, beyond --search-ppm"
    return cal, ""


def _refine_resolution(x: FloatArray, y: FloatArray, envs: list[tuple[FloatArray, FloatArray]],
                       idx: NDArray[np.intp], resolution: float) -> float:
    """Resolving power that best fits the accepted species (parabolic search on log R).

    Estimates from peak widths are biased low where isotope peaks overlap (low resolution,
    crowded envelopes); a model that is too broad fills the valleys that a 2z species or a
    neighbour should explain, so the value the fit prefers is the one to use.
    """
    if idx.size == 0:
        return resolution

    def cost(log_r: float) -> float:
        f = _fit_only(x, y, envs, idx, float(np.exp(log_r)))
        rows = np.zeros(y.size, dtype=bool)
        for c in f[0]:
            rows[c.lo:c.hi] = True
        r = y[rows] - f[1][rows]
        return float(r @ r)

    return float(np.exp(_parabolic_minimum(cost, float(np.log(resolution)), lo=float(np.log(resolution * 0.6)),
                                           hi=float(np.log(resolution * 1.6)))))


def _parabolic_minimum(f: Callable[[float], float], u0: float, *, lo: float, hi: float, step: float = 0.15,
                       tol: float = 0.004, max_evals: int = 12) -> float:
    """Minimum of a smooth one-dimensional ``f`` near ``u0`` within ``[lo, hi]``.

    Three points ``step`` apart around ``u0``, walked downhill until they bracket the
    minimum (or reach an end of the interval), then successive parabolic interpolation
    inside the bracket until a step is below ``tol``. A cost that is a smooth valley in
    log R is found in five to seven evaluations (golden-section search took twelve for
    the same 0.4 % precision).
    """
    seen: dict[float, float] = {}

    def at(u: float) -> float:
        u = min(max(u, lo), hi)
        if u not in seen:
            seen[u] = f(u)
        return u

    pts = sorted({at(u0), at(u0 - step), at(u0 + step)})  # u0 first: it wins ties
    while len(seen) < max_evals:  # walk until the middle point is the lowest
        best = min(pts, key=seen.__getitem__)
        if best == pts[0] and pts[0] > lo:
            pts = sorted({at(pts[0] - step), pts[0], pts[1]})
        elif best == pts[-1] and pts[-1] < hi:
            pts = sorted({pts[-2], pts[-1], at(pts[-1] + step)})
        else:
            break
    if len(pts) < 3:
        return min(pts, key=seen.__getitem__)
    a, m, b = pts
    while len(seen) < max_evals:
        fa, fm, fb = seen[a], seen[m], seen[b]
        if not fm <= min(fa, fb):  # the minimum is at an end of the interval
            break
        num = (m - a) ** 2 * (fm - fb) - (m - b) ** 2 * (fm - fa)
        den = (m - a) * (fm - fb) - (m - b) * (fm - fa)
        if den == 0:
            break
        v = m - 0.5 * num / den  # vertex of the parabola through the three points
        if not a < v < b or v in seen:
            break
        at(v)
        if abs(v - m) < tol:
            break
        # Keep the lowest point in the middle of the bracket.
        if seen[v] <= fm:
            a, m, b = (m, v, b) if v > m else (a, v, m)
        elif v > m:
            b = v
        else:
            a = v
    return min(seen, key=seen.__getitem__)


def _fit_only(x: FloatArray, y: FloatArray, envs: list[tuple[FloatArray, FloatArray]],
              idx: NDArray[np.intp], resolution: float) -> tuple[list[Column], FloatArray]:
    cols = build_columns(x, envs, idx, resolution=resolution)
    return cols, fit_regions(x, y, cols).model


def _parsimony(x: FloatArray, y: FloatArray, idx: NDArray[np.intp], priority: Sequence[int],
               resolution: float, cache: _ColumnCache, kappa: float = 5.0) -> NDArray[np.intp]:
    """Drop accepted species the others explain equally well (backward elimination).

    Near-collinear profiles (a species, its protonated forms, near-isobaric compositions)
    can share one envelope between them in a least-squares fit. Species are tried for
    removal in order of ``priority`` (higher first: the prior cost of :func:`_prior_cost`, then in candidate
    order); a species is removed when refitting without it raises the residual sum of
    squares of its region by less than ``kappa**2`` times the region's residual variance,
    i.e. when the data give no significant evidence for it beyond its neighbours.
    """
    keep = list(int(i) for i in idx)
    if len(keep) < 2:
        return idx
    by_index = {c.index: c for c in cache.get(x, np.array(keep, dtype=np.intp), resolution)}

    def overlapping(i: int, pool: list[int]) -> list[int]:
        ci = by_index[i]
        return [j for j in pool if j != i and by_index[j].lo < ci.hi and by_index[j].hi > ci.lo]

    def rss(members: list[int], lo: int, hi: int) -> tuple[float, int]:
        sub = [by_index[j] for j in members]
        model = fit_regions(x, y, sub).model
        r = y[lo:hi] - model[lo:hi]
        return float(r @ r), hi - lo

    order = sorted(keep, key=lambda i: -priority[i])
    for i in order:
        near = overlapping(i, keep)
        if not near:
            continue
        group = [i, *near]
        lo = min(by_index[j].lo for j in group)
        hi = max(by_index[j].hi for j in group)
        with_i, n = rss(group, lo, hi)
        without_i, _ = rss(near, lo, hi)
        var = with_i / max(n - len(group), 1)
        if without_i - with_i < kappa**2 * var:
            keep.remove(i)
    return np.array(sorted(keep), dtype=np.intp)


def _ambiguous(cols: Sequence[Column], k: int, names: Sequence[str], threshold: float = 0.98) -> tuple[str, ...]:
    """Candidates whose profiles are near-collinear with column k at this resolving power."""
    ck = cols[k]
    return tuple(sorted(names[cj.index] for j, cj in enumerate(cols) if j != k and _cosine(ck, cj) >= threshold))


def _decoys(envs: list[tuple[FloatArray, FloatArray]], charges: Sequence[int], idx: NDArray[np.intp],
            seed: int) -> list[tuple[FloatArray, FloatArray]]:
    """Decoy envelopes: real isotope patterns moved by a half-integer mass (3.5-9.5 Da).

    A half-integer shift puts the decoy's isotope peaks between those of real species, so a
    decoy is only accepted where the acceptance rules are too loose for the resolution.
    """
    import random  # the standard library's generator: numpy.random costs 20 ms to import

    rng = random.Random(seed)
    out = []
    for i in idx:
        mz, prob = envs[int(i)]
        z = max(abs(charges[int(i)]), 1)
        shift = (rng.randint(3, 9) + 0.5) * rng.choice((-1.0, 1.0)) / z
        out.append((mz + shift, prob))
    return out


# 6. Unassigned envelopes -----------------------------------------------------------------
_UNASSIGNED_MARGIN_MZ = 60.0  # wider than any isotope envelope around its apex (|z| >= 1)


def _unassigned(x: FloatArray, residual: FloatArray, spectrum: Spectrum, noise: float,
                scale: float) -> list[Unassigned]:
    threshold = max(10.0 * noise, 0.02 * scale)
    # An envelope is reported when the residual at its apex reaches the threshold: where
    # nothing does, nothing is left to find; otherwise look only around what does.
    above = np.flatnonzero(residual >= threshold)
    if above.size == 0:
        return []
    from clusterms.spectra.charge import detect_charges
    from clusterms.spectra.peaks import pick_peaks

    lo = int(np.searchsorted(x, x[above[0]] - _UNASSIGNED_MARGIN_MZ))
    hi = int(np.searchsorted(x, x[above[-1]] + _UNASSIGNED_MARGIN_MZ, side="right"))
    res = spectrum.replace(mz=x[lo:hi], intensity=np.maximum(residual[lo:hi], 0.0))
    try:
        peaks = pick_peaks(res, min_snr=5.0, noise=noise)
        envs = detect_charges(peaks) if len(peaks) >= 6 else []
    except Exception as exc:  # reporting leftovers must never sink the assignment
        import warnings

        warnings.warn(f"unassigned envelopes were not searched: {type(exc).__name__}: {exc}",
                      ClustermsWarning, stacklevel=2)
        return []
    out = []
    for e in envs:
        apex_h = float(np.interp(e.apex_mz, x, residual))
        if apex_h >= threshold:
            out.append(Unassigned(mz=float(e.apex_mz), charge=int(e.charge), intensity=float(e.intensity)))
    return out


def _prior_cost(cand: CandidateLike) -> int:
    """How improbable a candidate is a priori (lower is more probable; docs/assignment.md).

    In order of weight: a formula-search hit rather than a reactant or one of its direct
    products (100); an open-shell, odd-electron core (15); each adduct or extra proton (10).
    So a protonated even-electron core ([AuAg53(BDT)12(DMBT)18H]3-, a 4- core + H+, 16 e) is
    preferred to the same envelope read as an oxidised bare ion (3- core, 15 e), and a bare
    closed-shell ion to its protonated look-alikes.
    """
    search = getattr(cand, "kind", "") == "search"
    adducts = sum(n for _, n in cand.ion.adducts)
    return 100 * search + 15 * (cand.ion.electrons % 2) + 10 * adducts


def _cosine(a: Column, b: Column) -> float:
    lo, hi = max(a.lo, b.lo), min(a.hi, b.hi)
    if hi <= lo:
        return 0.0
    dot = float(a.values[lo - a.lo:hi - a.lo] @ b.values[lo - b.lo:hi - b.lo])
    na, nb = float(np.linalg.norm(a.values)), float(np.linalg.norm(b.values))
    return dot / (na * nb) if na > 0 and nb > 0 else 0.0


def _prefer_probable(x: FloatArray, y: FloatArray, idx: NDArray[np.intp], pool: NDArray[np.intp],
                     cost: Sequence[int], resolution: float, cache: _ColumnCache, kappa: float = 5.0,
                     threshold: float = 0.98) -> NDArray[np.intp]:
    """Replace accepted species by a more probable near-collinear candidate the data do not
    tell apart from them.

    For each accepted species, the candidates of ``pool`` whose profile is near-collinear with
    it (cosine >= ``threshold`` at this resolving power) and whose prior cost is lower are
    tried in order of cost; the first that explains the region as well (residual sum of
    squares higher by less than ``kappa**2`` times the residual variance, the parsimony test)
    takes its place. The replaced species stays in ``ambiguous_with``.
    """
    keep = [int(i) for i in idx]
    if not keep:
        return idx
    others = [int(j) for j in pool if int(j) not in set(keep)]
    cols = {c.index: c for c in cache.get(x, np.array(sorted({*keep, *others}), dtype=np.intp), resolution)}

    def rss(members: list[int], lo: int, hi: int) -> float:
        model = fit_regions(x, y, [cols[m] for m in members]).model
        r = y[lo:hi] - model[lo:hi]
        return float(r @ r)

    for pos in range(len(keep)):
        i = keep[pos]
        ci = cols.get(i)
        if ci is None:
            continue
        alts = sorted((j for j in others if j in cols and cost[j] < cost[i] and _cosine(ci, cols[j]) >= threshold),
                      key=lambda j: (cost[j], j))
        if not alts:
            continue
        near = [k for k in keep if k != i and cols[k].lo < ci.hi and cols[k].hi > ci.lo]
        lo = min(cols[m].lo for m in [i, *alts, *near])
        hi = max(cols[m].hi for m in [i, *alts, *near])
        with_i = rss([i, *near], lo, hi)
        var = with_i / max(hi - lo - len(near) - 1, 1)
        for j in alts:
            if rss([j, *near], lo, hi) - with_i < kappa**2 * var:
                keep[pos] = j
                others.remove(j)
                others.append(i)
                break
    return np.array(sorted(set(keep)), dtype=np.intp)


class _Run(NamedTuple):
    fitted: _Fitted
    ok: NDArray[np.bool_]
    cal: Any
    x_cal: FloatArray
    resolution: float
    res_source: str
    calibrated: bool
    why_not: str


@dataclass(frozen=True, eq=False)
class _Job:
    """The data and options every pass of one assignment shares."""

    x_raw: FloatArray
    y: FloatArray
    envs: list[tuple[FloatArray, FloatArray]]
    flat: FlatEnvelopes
    inside: NDArray[np.bool_]
    settings: AssignSettings
    noise: float
    limit: float
    columns: _ColumnCache
    say: Progress

    def passes(self, cal: Any, resolution: float, res_source: str) -> _Run:
        """Screen, fit, accept and recalibrate (at most three passes) from ``cal``.

        ``calibrated`` tells whether the axis was recalibrated from assignments that meet
        the calibration rule; otherwise ``cal`` is still the trial calibration given.
        """
        x_raw, y, envs, settings = self.x_raw, self.y, self.envs, self.settings
        x_cal = cal.apply(x_raw)
        calibrated, why_not = False, "no species to calibrate on"
        fitted: _Fitted | None = None
        ok = np.zeros(0, dtype=bool)
        for it in range(3):
            self.say(f"fitting (pass {it + 1})")
            # On an axis not (yet) recalibrated a species may sit anywhere within max_ppm.
            tol = 5.0 if it else 10.0
            keep = screen(x_cal, y, self.flat, resolution=resolution, limit=self.limit,
                          tolerance_ppm=tol if calibrated else max(tol, settings.max_ppm)) & self.inside
            fitted = _fit(x_cal, y, envs, np.nonzero(keep)[0], resolution, self.columns)
            ok = _accepted(fitted, envs, settings, self.noise, ppm_ok=it > 0)
            # Refit with the accepted species only: rejected crumbs must not hold signal.
            fitted = _fit(x_cal, y, envs, _indices(fitted, ok), resolution, self.columns)
            ok = _accepted(fitted, envs, settings, self.noise, ppm_ok=it > 0)
            if it == 2:
                break
            if it == 0 and res_source != "given":
                resolution = _refine_resolution(x_cal, y, envs, _indices(fitted, ok), resolution)
                res_source = "fitted"
                self.say(f"resolving power refined to {resolution:,.0f}")
            new, why = _recalibrate(x_raw, x_cal, fitted, ok, envs, settings)
            if new is None:
                if not calibrated:
                    why_not = why
                break
            ends = np.array([x_raw[0], x_raw[-1]])
            converged = it > 0 and float(np.abs(new.ppm_error(ends) - cal.ppm_error(ends)).max()) < 0.3
            cal, calibrated = new, True
            x_cal = cal.apply(x_raw)
            if converged:  # another pass would repeat this one; the final fit uses the new axis
                break
        assert fitted is not None
        return _Run(fitted, ok, cal, x_cal, resolution, res_source, calibrated, why_not)

    def final(self, x_cal: FloatArray, idx: NDArray[np.intp], resolution: float) -> tuple[_Fitted, NDArray[np.bool_]]:
        """Fit ``idx`` and drop what fails a rule until every column left passes them all.

        Every reported assignment meets ``max_ppm``, ``min_score``, the SNR rule and
        ``min_abundance`` in the fit whose numbers are reported.
        """
        for _ in range(8):
            f = _fit(x_cal, self.y, self.envs, idx, resolution, self.columns)
            ok = _accepted(f, self.envs, self.settings, self.noise, ppm_ok=True, strict=True)
            if ok.all():
                break
            idx = _indices(f, ok)
        return f, ok


# The whole job ----------------------------------------------------------------------------
def assign_spectrum(
    spectrum: Spectrum,
    candidates: Sequence[CandidateLike],
    /,
    *,
    settings: AssignSettings | None = None,
    progress: Progress | None = None,
) -> AssignResult:
    """Assign the envelopes of ``spectrum`` to ``candidates``.

    Returns an :class:`AssignResult` with one :class:`Assignment` per species found
    (abundance: total envelope area, largest = 100), the unassigned envelopes, the
    calibration found and the false-assignment estimate.
    """
    settings = settings or AssignSettings()
    say = progress or (lambda _msg: None)
    if not candidates:
        raise OptionError("the candidate space is empty: give --reactant or --species")
    say("preparing spectrum")
    given = _input_mode(spectrum)
    spec, resolution, res_source, noise, peaks = _prepare(spectrum, settings, given)
    x_raw = spec.mz
    y = np.maximum(spec.intensity, 0.0)
    if noise <= 0:
        noise = max(float(quantile(y[y > 0], 0.05)) if (y > 0).any() else 1.0, 1e-12)
    ions = [c.ion for c in candidates]
    names = [c.ion.notation for c in candidates]
    lo, hi = float(x_raw[0]), float(x_raw[-1])
    say(f"computing {len(ions):,} candidate envelopes")
    envs = fit_envelopes(ions)
    inside = np.array([(m.max() >= lo) and (m.min() <= hi) for m, _ in envs])
    informative = np.array([_isotope_peaks(p) >= settings.min_isotope_peaks for _, p in envs])
    n_uninformative = int(np.count_nonzero(inside & ~informative))
    inside &= informative
    flat = FlatEnvelopes(envs)  # screened at every pass
    limit = settings.snr * noise
    say("calibrating")
    loose = screen(x_raw, y, flat, resolution=resolution, limit=limit,
                   tolerance_ppm=settings.search_ppm) & inside
    if peaks is None:  # centroid input broadened to a profile, or no noise measured
        from clusterms.spectra.peaks import pick_peaks

        peaks = pick_peaks(spec, min_snr=10.0, noise=noise)
    offset = _histogram_offset(peaks, envs, loose, search_ppm=settings.search_ppm)
    from clusterms.spectra.calibration import Calibration

    columns = _ColumnCache(envs)
    notes: list[str] = []
    job = _Job(x_raw=x_raw, y=y, envs=envs, flat=flat, inside=inside, settings=settings, noise=noise,
               limit=limit, columns=columns, say=say)
    run = job.passes(Calibration(ppm_offset=offset), resolution, res_source)
    if not run.calibrated and offset != 0.0:
        # The isotope combs suggested an offset, but the assignments made with it do not
        # support a calibration: start again on the axis as read.
        say("calibration not supported: starting again on the m/z axis as read")
        run = job.passes(Calibration(ppm_offset=0.0), resolution, res_source)
    calibration_note = "" if run.calibrated else run.why_not
    if not run.calibrated and abs(offset) > settings.max_ppm / 4:
        # The offset the isotope combs suggest matters at this tolerance: say it was not applied.
        notes.append(f"no calibration applied, m/z axis left as read (the isotope combs suggest "
                     f"{offset:+.1f} ppm): {run.why_not}")
    cal, x_cal, resolution, res_source = run.cal, run.x_cal, run.resolution, run.res_source
    screen_ppm = 5.0 if run.calibrated else max(5.0, settings.max_ppm)
    # Final: accepted only, after dropping species the others explain as well.
    say("checking near-collinear species")
    cost = [_prior_cost(c) for c in candidates]
    pool = np.nonzero(screen(x_cal, y, flat, resolution=resolution, limit=limit, tolerance_ppm=screen_ppm)
                      & inside)[0]
    idx = _prefer_probable(x_cal, y, _indices(run.fitted, run.ok), pool, cost, resolution, columns)
    idx = _parsimony(x_cal, y, idx, cost, resolution, columns)
    final, ok = job.final(x_cal, idx, resolution)
    # Decoys: fitted beside the accepted species, judged by the same rules.
    decoys_tested = decoys_accepted = 0
    decoy_scores = np.zeros(0)  # decoys passing every rule but the score
    if settings.decoys and ok.any():
        say("estimating false assignments with decoys")
        dec = _decoys(envs, [i.charge for i in ions], np.nonzero(inside)[0], settings.seed)
        dkeep = screen(x_cal, y, dec, resolution=resolution, limit=limit, tolerance_ppm=screen_ppm)
        decoys_tested = len(dec)
        if dkeep.any():
            acc = _indices(final, ok)
            allenv = [envs[int(i)] for i in acc] + [dec[int(j)] for j in np.nonzero(dkeep)[0]]
            both = _fit(x_cal, y, allenv, np.arange(len(allenv), dtype=np.intp), resolution)
            is_decoy = np.array([c.index >= acc.size for c in both.cols], dtype=bool)
            dok = _accepted(both, allenv, settings, noise, ppm_ok=True, strict=True)
            decoys_accepted = int(np.count_nonzero(dok & is_decoy))
            other = _accepted(both, allenv, replace(settings, min_score=0.0), noise, ppm_ok=True, strict=True)
            decoy_scores = both.score[other & is_decoy]
    # False-discovery control: drop what is above --fdr, refit the rest, until stable.
    from clusterms.assign.fdr import q_values, reliability

    n_dropped = 0
    q = q_values(final.score[ok], decoy_scores)
    for _ in range(6):  # a refit changes scores, hence q-values: at most six rounds
        above = q > settings.fdr
        if not above.any():
            break
        n_dropped += int(np.count_nonzero(above))
        final, ok = job.final(x_cal, _indices(final, ok)[~above], resolution)
        q = q_values(final.score[ok], decoy_scores)
    if n_dropped:
        notes.append(f"{n_dropped} species accepted by the score, ppm and SNR rules were dropped: their "
                     f"q-value is above --fdr {settings.fdr:g}")
    passing = [float(v) for v in decoy_scores if v >= settings.min_score]
    verdict = reliability(target_scores=[float(v) for v in final.score[ok]], decoy_scores_passing=passing,
                          decoys_tested=decoys_tested, n_dropped=n_dropped, fdr=settings.fdr)
    if not verdict.reliable:
        notes.insert(0, f"unreliable result: {verdict.reason}")
    say("scoring")
    # Ambiguity is judged among all screened candidates at the final calibration.
    screened_cols = columns.get(x_cal, pool, resolution)
    pos_in_screened = {c.index: j for j, c in enumerate(screened_cols)}
    rows: list[Assignment] = []
    profiles: dict[str, tuple[int, FloatArray]] = {}
    top_area = float(final.amp[ok].max()) if ok.any() else 1.0
    q_of = dict(zip(_indices(final, ok).tolist(), q.tolist(), strict=True))
    for k, c in enumerate(final.cols):
        if not ok[k]:
            continue
        cand = candidates[c.index]
        theo = float(cand.ion.most_abundant_mz)
        shift = float(final.shift[k])
        amb = _ambiguous(screened_cols, pos_in_screened[c.index], names) if c.index in pos_in_screened else ()
        rows.append(Assignment(
            species=names[c.index], formula=cand.ion.formula, charge=cand.ion.charge, mz=theo,
            observed_mz=theo + shift, ppm=shift / theo * 1e6, score=float(final.score[k]),
            abundance=100.0 * float(final.amp[k]) / top_area, electrons=cand.ion.electrons,
            label=cand.label, ambiguous_with=tuple(a for a in amb if a != names[c.index]),
            area=float(final.amp[k]), ion=cand.ion,
            q_value=float(q_of[c.index]) if settings.decoys else float("nan")))
        profiles[names[c.index]] = (c.lo, final.amp[k] * c.values)
    rows.sort(key=lambda a: (-a.abundance, a.mz, a.species))
    say("looking for unassigned envelopes")
    unassigned = _unassigned(x_cal, y - final.model, spec, noise, float(y.max()) if y.size else 0.0)
    calib: dict[str, Any] = {"ppm_offset": float(cal.ppm_offset), "ppm_slope_per_kmz": float(cal.ppm_slope_per_kmz),
                             "n_points": int(cal.n_points), "rms_ppm": float(cal.rms_ppm),
                             "applied": bool(run.calibrated), "trial_offset_ppm": float(offset),
                             "not_applied_because": calibration_note}
    return AssignResult(
        assignments=tuple(rows), unassigned=tuple(unassigned), calibration=calib,
        resolution=float(resolution), resolution_source=res_source, noise=float(noise),
        n_candidates=len(candidates), n_screened=int(pool.size), decoys_tested=decoys_tested,
        decoys_accepted=decoys_accepted, mz=x_cal, intensity=y, model=final.model, profiles=profiles,
        calibration_applied=run.calibrated, reliable=verdict.reliable, fdr_dropped=n_dropped,
        notes=tuple(notes), n_uninformative=n_uninformative, input_mode=given.mode,
        input_mode_source=given.source)


