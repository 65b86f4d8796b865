"""CID energy ramps: which fragments form, how much of each, at what energy, along which path.

A ramp is a series of MS/MS spectra of one mass-selected precursor at increasing collision
energy. The analysis:

1. **Species.** The precursor's fragment space (:func:`~clusterms.tandem.fragment_space`) is
   screened against the peaks of every scan; the union of what matches is fitted jointly in
   every scan (:func:`~clusterms.assign.quantify.quantify`, resolving power fixed, from the
   richest scan or ``resolution``), and a species is kept when in at least one scan its
   pattern score reaches ``min_score`` and its share ``min_share``. The kept set is fitted
   again (the rejected ones must not hold signal) and checked once more.
2. **Shares.** Per energy, each species' fitted envelope area over the total of all kept
   species (the survival yield of the precursor is its share; raw precursor intensity is not,
   because the total ion current changes along a ramp).
3. **Energies.** CE50: the energy where a logistic ``1 / (1 + exp((E - CE50) / w))`` fitted to
   the survival yield (scipy.optimize.curve_fit) crosses 0.5, with the standard error from the
   fit's covariance; reported only when the data cross 0.5 inside the ramp. Appearance energy
   of a product: where its share first reaches half of its maximum, interpolated linearly on
   the rise (uncertainty: half the local energy step); and the energy of its maximum.
4. **Channels.** Each product is linked to a parent (the precursor, or an earlier product of
   which it is a sub-composition, appearing at a lower energy) with the partner that balances
   mass and charge; ``partner_observed`` says whether that partner (if charged) is among the
   species. The links form a directed graph (networkx) ordered by appearance energy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from clusterms.assign.quantify import quantify
from clusterms.chem.composition import Composition
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import Adduct
from clusterms.errors import InputFileError, OptionError
from clusterms.spectra.spectrum import Spectrum
from clusterms.tandem.fragment_space import fragment_space

__all__ = ["GAS_MASS", "Channel", "EnergyPoint", "RampResult", "RampScan", "RampSettings", "Species",
           "analyse_ramp", "centre_of_mass"]

FloatArray = NDArray[np.float64]
Progress = Callable[[str], None]
_PROTON = Adduct("H", Composition({"H": 1}), 1, "proton")

#: Collision gases (average molar masses, g/mol = Da).
GAS_MASS = {"He": 4.002602, "N2": 28.0134, "Ar": 39.948, "Xe": 131.293, "SF6": 146.055}


@dataclass(frozen=True, slots=True)
class RampScan:
    """One collision energy of a ramp (scans of equal energy already combined)."""

    energy: float
    spectrum: Spectrum
    source: str = ""


@dataclass(frozen=True, slots=True)
class RampSettings:
    """Options of :func:`analyse_ramp` (see the module text)."""

    resolution: float | None = None
    ppm: float = 10.0
    min_score: float = 0.8
    min_share: float = 0.01
    match_score: float = 0.9
    max_sulfur: int = 2
    max_protons: int = 2
    max_species: int = 400
    parsimony: float = 0.1

    def __post_init__(self) -> None:
        if self.resolution is not None and not (self.resolution > 0 and math.isfinite(self.resolution)):
            raise OptionError(f"resolution must be positive, got {self.resolution!r}")
        if not self.ppm > 0:
            raise OptionError(f"ppm must be positive, got {self.ppm!r}")
        for name in ("min_score", "min_share", "match_score"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise OptionError(f"{name} must be between 0 and 1, got {v!r}")


@dataclass(frozen=True, slots=True)
class Species:
    """A species of the ramp with its energies (NaN where not defined)."""

    ion: Ion
    kind: str  # "precursor", "series" (a known fragment series) or "fragment"
    max_share: float
    max_energy: float
    appearance: float
    appearance_err: float
    ce50: float = float("nan")
    ce50_err: float = float("nan")
    width: float = float("nan")

    @property
    def species(self) -> str:
        return self.ion.notation


@dataclass(frozen=True, slots=True)
class EnergyPoint:
    """Shares of every species at one energy (same order as :attr:`RampResult.species`)."""

    energy: float
    shares: tuple[float, ...]
    scores: tuple[float, ...]
    total_area: float


@dataclass(frozen=True, slots=True)
class Channel:
    """precursor or product -> product + partner."""

    parent: str
    product: str
    partner: str
    partner_observed: bool
    first_energy: float


@dataclass(frozen=True, eq=False)
class RampResult:
    """What ``clusterms ramp`` writes."""

    precursor: Ion
    species: tuple[Species, ...]
    points: tuple[EnergyPoint, ...]
    channels: tuple[Channel, ...]
    resolution: float
    resolution_source: str
    n_space: int
    n_matched: int
    notes: tuple[str, ...] = ()
    graph: Any = field(default=None, repr=False)

    @property
    def energies(self) -> FloatArray:
        return np.array([p.energy for p in self.points])

    def shares(self, name: str) -> FloatArray:
        k = next(i for i, s in enumerate(self.species) if s.species == name)
        return np.array([p.shares[k] for p in self.points])


def centre_of_mass(energy_lab: float | FloatArray, *, ion_mass: float, gas: str, charge: int,
                   unit: Literal["V", "eV"] = "V") -> float | FloatArray:
    """Centre-of-mass collision energy (eV).

    ``unit="V"``: the file gives the collision voltage (Waters trap/transfer CE, most Q-TOFs),
    so the lab-frame energy is |z| x V eV; ``"eV"``: it gives the lab-frame energy itself.
    E_com = E_lab * m_gas / (m_gas + m_ion).
    """
    if gas not in GAS_MASS:
        raise OptionError(f"gas {gas!r} not known; use one of {', '.join(GAS_MASS)}")
    lab = np.asarray(energy_lab, dtype=np.float64) * (abs(charge) if unit == "V" else 1)
    m = GAS_MASS[gas]
    out = lab * m / (m + ion_mass)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------- species


def _vector(ion: Ion, metals: Sequence[str], ligands: Sequence[str]) -> tuple[int, ...]:
    lig = {lg.key: n for lg, n in ion.ligands}
    protons = sum(n for a, n in ion.adducts if a.composition == _PROTON.composition)
    return (*(int(ion.metals.get(m, 0)) for m in metals), *(int(lig.get(k, 0)) for k in ligands),
            int(ion.extra.get("S", 0)), int(protons), int(ion.charge))


def _series_kind(ion: Ion, precursor: Ion) -> str:
    """'series' for the known thiolate-cluster fragment series, else 'fragment'."""
    if ion.notation == precursor.notation:
        return "precursor"
    if ion.adducts or ion.extra or len(ion.ligands) != 1 or len(ion.metals) != 1:
        return "fragment"
    (lig, m), = ion.ligands
    ((_metal, n),) = ion.metals.items()
    # [M_n L_n+1]- (n <= 6: [AgL2]-, [Ag2L3]- ...) and [M5L3]-
    known = (m == n + 1 and n <= 6) or (n, m) == (5, 3)
    return "series" if lig.withdraws == 1 and ion.charge == -1 and known else "fragment"


def _pick(spectrum: Spectrum) -> Any:
    from clusterms.spectra.baseline import baseline
    from clusterms.spectra.noise import noise_level
    from clusterms.spectra.peaks import pick_peaks

    s = baseline(spectrum)
    noise = float(noise_level(s))
    return s, pick_peaks(s, min_snr=5.0, noise=noise if noise > 0 else None)


def _resolution(scans: Sequence[RampScan], picked: Sequence[Any], given: float | None) -> tuple[float, str]:
    if given:
        return float(given), "given"
    from clusterms.spectra.peaks import estimate_resolution

    richest = int(np.argmax([len(p) for _, p in picked]))
    spec, peaks = picked[richest]
    r = float(estimate_resolution(spec, peaks=peaks))
    if not (math.isfinite(r) and r > 0):
        raise OptionError("could not estimate the resolving power from the ramp's richest scan "
                          f"(energy {scans[richest].energy:g}); give --resolution")
    return r, f"estimated on the richest scan (energy {scans[richest].energy:g})"


def analyse_ramp(scans: Sequence[RampScan], precursor: Ion, /, *, settings: RampSettings | None = None,
                 progress: Progress | None = None) -> RampResult:
    """Analyse one ramp (see the module text)."""
    settings = settings or RampSettings()
    say = progress or (lambda _m: None)
    if len(scans) < 2:
        raise InputFileError(f"a ramp needs spectra at two or more energies, got {len(scans)}")
    energies = [s.energy for s in scans]
    if len(set(energies)) != len(energies):
        raise InputFileError("two spectra of the ramp have the same energy; combine them first")
    order = np.argsort(energies, kind="stable")
    scans = [scans[int(i)] for i in order]
    notes: list[str] = []
    say(f"building the fragment space of {precursor.notation}")
    fs = fragment_space(precursor, max_sulfur=settings.max_sulfur, max_protons=settings.max_protons)
    say(f"{len(fs):,} sub-compositions; screening {len(scans)} scans")
    picked = [_pick(s.spectrum) for s in scans]
    resolution, res_source = _resolution(scans, picked, settings.resolution)
    say(f"resolving power {resolution:,.0f} ({res_source})")
    found: dict[str, tuple[float, Ion]] = {}
    for _spec, peaks in picked:
        if len(peaks) == 0:
            continue
        m = fs.match(peaks.centroid_mz, peaks.height, ppm=settings.ppm, min_score=settings.match_score)
        for k, ion in zip(np.argsort(-m.score, kind="stable"), m.ions(), strict=True):
            score = float(m.score[int(k)])
            if ion.notation not in found or found[ion.notation][0] < score:
                found[ion.notation] = (score, ion)
    n_matched = len(found)
    ranked = sorted(found.values(), key=lambda t: -t[0])[: settings.max_species]
    if n_matched > settings.max_species:
        notes.append(f"{n_matched} sub-compositions matched; the {settings.max_species} best were fitted")
    candidates = [precursor, *[ion for _, ion in ranked if ion.notation != precursor.notation]]
    say(f"fitting {len(candidates)} candidate species in every scan")
    spectra = [spec for spec, _ in picked]  # baseline-corrected once, by _pick: every fit reuses them

    def fit_all(cands: Sequence[Ion]) -> list[Any]:
        return [quantify(sp, cands, resolution=resolution, baseline=False) for sp in spectra]

    for _round in range(3):
        fits = fit_all(candidates)
        keep = [k for k in range(len(candidates)) if k == 0 or any(
            f.rows[k].score >= settings.min_score and f.rows[k].share >= settings.min_share for f in fits)]
        if len(keep) == len(candidates):
            break
        candidates = [candidates[k] for k in keep]
    candidates, fits = _parsimony(candidates, fits, fit_all, settings.parsimony)
    say(f"{len(candidates)} species kept")
    e = np.array([s.energy for s in scans])
    share = np.array([[r.share for r in f.rows] for f in fits])  # (energies, species)
    points = tuple(EnergyPoint(float(e[i]), tuple(float(v) for v in share[i]),
                               tuple(float(r.score) for r in fits[i].rows), fits[i].total_area)
                   for i in range(len(scans)))
    species = []
    for k, ion in enumerate(candidates):
        col = share[:, k]
        kmax = int(np.argmax(col))
        app, app_err = _appearance(e, col)
        if k == 0:
            c50, c50_err, w = _ce50(e, col, notes)
            species.append(Species(ion, "precursor", float(col.max()), float(e[kmax]), float("nan"), float("nan"),
                                   c50, c50_err, w))
        else:
            species.append(Species(ion, _series_kind(ion, precursor), float(col.max()), float(e[kmax]), app,
                                   app_err))
    channels, graph = _channels(species, e, share, precursor)
    return RampResult(precursor=precursor, species=tuple(species), points=points, channels=tuple(channels),
                      resolution=resolution, resolution_source=res_source, n_space=len(fs), n_matched=n_matched,
                      notes=tuple(notes), graph=graph)


def _penalty(ion: Ion) -> int:
    """How exotic a fragment is: protons and bare S beyond the ligands (the chemist's prior)."""
    return sum(n for _, n in ion.adducts) + int(ion.extra.get("S", 0))


def _window_rss(fits: Sequence[Any], ion: Ion) -> float:
    env = ion.envelope()
    lo, hi = float(env.mz.min()) - 1.0, float(env.mz.max()) + 1.0
    total = 0.0
    for f in fits:
        i0, i1 = np.searchsorted(f.mz, [lo, hi])
        r = f.intensity[i0:i1] - f.model[i0:i1]
        total += float(r @ r)
    return total


def _parsimony(candidates: list[Ion], fits: list[Any], fit_all: Callable[[Sequence[Ion]], list[Any]],
               tolerance: float) -> tuple[list[Ion], list[Any]]:
    """Drop exotic species (protons, bare S) that the others explain as well.

    In order of decreasing penalty (then smallest share first), a species is removed when the
    fit without it is worse by less than ``tolerance`` (relative residual sum of squares, over
    its envelope's m/z window, all scans): a near-isobaric neighbour took its signal, so the data
    do not demand it. The precursor is never removed.
    """
    order = sorted(range(1, len(candidates)),
                   key=lambda k: (-_penalty(candidates[k]), max(f.rows[k].share for f in fits)))
    for ion in [candidates[k] for k in order]:
        if _penalty(ion) == 0:
            continue
        j = candidates.index(ion)
        without = candidates[:j] + candidates[j + 1:]
        fits_wo = fit_all(without)
        before, after = _window_rss(fits, ion), _window_rss(fits_wo, ion)
        if after <= before * (1.0 + tolerance):
            candidates, fits = without, fits_wo
    return candidates, fits


# ------------------------------------------------------------------------------- energies


def _logistic(x: FloatArray, c: float, w: float) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(np.clip((x - c) / w, -500, 500))))


def _ce50(e: FloatArray, survival: FloatArray, notes: list[str]) -> tuple[float, float, float]:
    """(CE50, standard error, width) of the survival yield; NaN when it does not cross 0.5."""
    from scipy.optimize import curve_fit

    if not (survival.max() >= 0.5 >= survival.min()):
        notes.append(f"the precursor's survival yield stays {'above' if survival.min() > 0.5 else 'below'} 0.5 "
                     f"over energies {e.min():g}-{e.max():g}: no CE50")
        return float("nan"), float("nan"), float("nan")
    span = float(np.ptp(e)) or 1.0
    cross = float(np.interp(0.5, survival[::-1], e[::-1])) if np.all(np.diff(survival) <= 1e-12) else float(
        e[int(np.argmin(np.abs(survival - 0.5)))])
    try:
        popt, pcov = curve_fit(_logistic, e, survival, p0=(cross, span / 10),
                               bounds=([e.min() - span, span * 1e-3], [e.max() + span, span]), maxfev=5000)
    except (RuntimeError, ValueError) as exc:
        notes.append(f"the logistic fit of the survival yield failed ({exc}); CE50 interpolated")
        return cross, float("nan"), float("nan")
    err = float(np.sqrt(pcov[0, 0])) if np.isfinite(pcov[0, 0]) else float("nan")
    return float(popt[0]), err, float(popt[1])


def pchip_slopes(x: FloatArray, y: FloatArray) -> FloatArray:
    """Derivatives of the monotone piecewise-cubic Hermite interpolant (Fritsch-Carlson, with
    the end conditions of ``scipy.interpolate.PchipInterpolator``, which the tests compare to;
    scipy.interpolate itself costs 0.5 s to import for this one curve)."""
    h = np.diff(x)
    d = np.diff(y) / h
    m = np.zeros_like(y)
    if x.size == 2:
        m[:] = d[0]
        return m
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same = (np.sign(d[1:]) == np.sign(d[:-1])) & (d[1:] != 0) & (d[:-1] != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / d[:-1] + w2 / d[1:])
    m[1:-1] = np.where(same, harmonic, 0.0)

    def end(h0: float, h1: float, d0: float, d1: float) -> float:
        v = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
        if np.sign(v) != np.sign(d0):
            return 0.0
        if np.sign(d0) != np.sign(d1) and abs(v) > abs(3 * d0):
            return float(3 * d0)
        return float(v)

    m[0] = end(h[0], h[1], d[0], d[1])
    m[-1] = end(h[-1], h[-2], d[-1], d[-2])
    return m


def pchip_segment(x: FloatArray, y: FloatArray, k: int, at: FloatArray) -> FloatArray:
    """The PCHIP interpolant of (x, y) evaluated at ``at`` within the interval [x[k], x[k+1]]."""
    m = pchip_slopes(x, y)
    h = x[k + 1] - x[k]
    t = (at - x[k]) / h
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    return h00 * y[k] + h10 * h * m[k] + h01 * y[k + 1] + h11 * h * m[k + 1]


def _appearance(e: FloatArray, share: FloatArray) -> tuple[float, float]:
    """Energy where ``share`` first reaches half its maximum, on the rise.

    The points up to the maximum are joined by a monotone cubic (PCHIP, no overshoot), which
    follows a sigmoid rise far better than straight lines at the coarse steps of a ramp; the
    uncertainty is half the local energy step.
    """
    top = float(share.max())
    if top <= 0:
        return float("nan"), float("nan")
    half = 0.5 * top
    i = int(np.argmax(share >= half))
    if i == 0:  # already at half its maximum at the first energy: an upper bound only
        return float(e[0]), float("nan")
    kmax = int(np.argmax(share))
    rise = np.maximum.accumulate(share[: kmax + 1])
    if kmax >= 2:
        dense = np.linspace(e[i - 1], e[i], 2001)
        vals = pchip_segment(e[: kmax + 1], rise, i - 1, dense)
        x = float(dense[int(np.argmax(vals >= half))])
    else:
        e0, e1, s0, s1 = e[i - 1], e[i], share[i - 1], share[i]
        x = float(e0 + (half - s0) / (s1 - s0) * (e1 - e0)) if s1 > s0 else float(e1)
    return x, float(0.5 * (e[i] - e[i - 1]))


# ------------------------------------------------------------------------------- channels


def _partner_text(parent: Ion, product: Ion, diff: tuple[int, ...], metals: Sequence[str],
                  ligs: Sequence[Any]) -> tuple[str, Ion | None]:
    """The partner that balances parent -> product + partner, as notation or (if it cannot be
    written in ligand units) as an elemental formula with its charge."""
    nm, nl = len(metals), len(ligs)
    m = {metals[i]: diff[i] for i in range(nm) if diff[i]}
    lg = {ligs[i]: diff[nm + i] for i in range(nl) if diff[nm + i]}
    s, h, z = diff[nm + nl], diff[nm + nl + 1], diff[nm + nl + 2]
    if h >= 0:
        ion = Ion.from_parts(metals=m, ligands=lg, extra={"S": s} if s else {},
                             adducts={_PROTON: h} if h else {}, charge=z)
        return ion.notation, ion
    comp = {k: parent.composition.get(k, 0) - product.composition.get(k, 0)
            for k in set(parent.composition) | set(product.composition)}
    formula = "".join(f"{k}{v if v != 1 else ''}" for k, v in sorted(comp.items()) if v)
    charge = "" if z == 0 else f" {abs(z) if abs(z) != 1 else ''}{'-' if z < 0 else '+'}"
    return formula + charge, None


def _channels(species: Sequence[Species], e: FloatArray, share: FloatArray, precursor: Ion
              ) -> tuple[list[Channel], Any]:
    import networkx as nx

    metals = tuple(sorted(precursor.metals))
    lig_objs = tuple(lg for lg, _ in precursor.ligands)
    ligs = tuple(lg.key for lg in lig_objs)
    vec = {s.species: _vector(s.ion, metals, ligs) for s in species}
    observed = set(vec)
    first = {}
    for k, s in enumerate(species):
        above = np.flatnonzero(share[:, k] >= 0.01)
        first[s.species] = float(e[above[0]]) if above.size else float("nan")
    graph = nx.DiGraph()
    for s in species:
        graph.add_node(s.species, kind=s.kind, appearance=s.appearance, max_energy=s.max_energy)
    products = [s for s in species if s.kind != "precursor"]
    out = []
    for p in sorted(products, key=lambda s: (s.appearance if math.isfinite(s.appearance) else 1e300, s.species)):
        pv = vec[p.species]
        parent = species[0]
        # The smallest earlier species that contains p (metals, ligands, S) and carries at least its charge.
        best = None
        for q in species[1:]:
            if q is p or not (math.isfinite(q.appearance) and q.appearance < p.appearance):
                continue
            qv = vec[q.species]
            n = len(metals) + len(ligs) + 1
            bigger = sum(qv[:n]) > sum(pv[:n])
            if bigger and all(qv[i] >= pv[i] for i in range(n)) and abs(qv[-1]) >= abs(pv[-1]) \
                    and qv[-1] * pv[-1] > 0 and q.max_energy <= p.max_energy:
                size = sum(qv[:n])
                if best is None or size < best[0]:
                    best = (size, q)
        if best is not None:
            parent = best[1]
        diff = tuple(a - b for a, b in zip(vec[parent.species], pv, strict=True))
        if any(d < 0 for d in diff[: len(metals) + len(ligs) + 1]):
            continue
        text, partner = _partner_text(parent.ion, p.ion, diff, metals, lig_objs)
        seen = partner is not None and partner.charge != 0 and partner.notation in observed
        graph.add_edge(parent.species, p.species, partner=text, partner_observed=seen)
        out.append(Channel(parent.species, p.species, text, seen, first[p.species]))
    return out, graph
