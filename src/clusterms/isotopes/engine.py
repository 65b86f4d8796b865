"""Isotope envelopes of compositions and ions: aggregated (fast or reference) and fine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from clusterms._arrays import unique_sorted
from clusterms.chem.composition import Composition
from clusterms.chem.elements import electron_mass
from clusterms.errors import OptionError
from clusterms.isotopes.abundances import (
    AbundanceKey,
    Abundances,
    element_with,
    normalise_abundances,
)
from clusterms.isotopes.aggregated import fft_distributions, reference_distribution, required_length
from clusterms.isotopes.envelope import Envelope
from clusterms.isotopes.single import single_envelope

__all__ = ["Method", "clear_envelope_cache", "composition_envelope", "composition_envelopes", "fine_envelope"]

Method = Literal["fft", "reference"]
DEFAULT_COVERAGE = 0.9999
_CHUNK_BYTES = 120_000


def _check_coverage(coverage: float) -> None:
    if not (0.0 < coverage < 1.0):
        raise OptionError(f"coverage must be between 0 and 1 (exclusive), got {coverage!r}")


def _to_mz(mass: NDArray[np.float64], charge: int) -> NDArray[np.float64]:  # fine structure
    if charge == 0:
        return mass
    return (mass - charge * electron_mass()) / abs(charge)


def _select(prob: NDArray[np.float64], coverage: float) -> NDArray[np.bool_]:
    """Mask of the fewest highest peaks of each row holding ``coverage`` of its total.

    Works on a (B, N) batch at once: sort each row descending, find how many peaks the
    cumulative sum needs, and keep every peak at least as high as the last one needed
    (ties may add a peak, never remove one).
    """
    prob = np.atleast_2d(prob)
    desc = -np.sort(-prob, axis=1)
    csum = np.cumsum(desc, axis=1)
    need = coverage * csum[:, -1:]
    k = np.minimum((csum < need).sum(axis=1), prob.shape[1] - 1)
    threshold = desc[np.arange(prob.shape[0]), k]
    return (prob >= threshold[:, None]) & (prob > 0)


def _make_batch(
    prob: NDArray[np.float64], mass: NDArray[np.float64], charges: NDArray[np.int64], coverage: float
) -> list[Envelope]:
    """Envelopes of a (B, N) batch of distributions (vectorised selection and m/z)."""
    total = prob.sum(axis=1, keepdims=True)
    probn = prob / total
    keep = _select(probn, coverage)
    z = charges.astype(np.float64)[:, None]
    absz = np.where(z == 0, 1.0, np.abs(z))
    mz = (mass - z * electron_mass()) / absz
    # The kept peaks of an aggregated envelope are one contiguous run of shifts (gaps, if a
    # bimodal custom enrichment makes any, are kept: coverage only grows). Slicing is far
    # cheaper than boolean indexing per row.
    first = np.argmax(keep, axis=1)
    last = keep.shape[1] - np.argmax(keep[:, ::-1], axis=1)
    top = probn.max(axis=1)
    out = []
    for b in range(prob.shape[0]):
        lo, hi = first[b], last[b]
        p = probn[b, lo:hi]
        out.append(Envelope.trusted(mz[b, lo:hi], p / top[b], p, int(charges[b])))
    return out


def _make(prob: NDArray[np.float64], mass: NDArray[np.float64], charge: int, coverage: float) -> Envelope:
    return _make_batch(prob[None, :], mass[None, :], np.array([charge]), coverage)[0]


def _check_composition(comp: Composition) -> None:
    if not isinstance(comp, Composition):
        raise OptionError(f"expected a Composition, got {type(comp).__name__}")
    if not comp.is_physical or len(comp) == 0:
        raise OptionError(f"cannot compute an envelope of {comp.formula or 'an empty composition'}"
                          " (negative or no atoms)")


def composition_envelope(
    composition: Composition,
    /,
    charge: int = 0,
    *,
    coverage: float = DEFAULT_COVERAGE,
    abundances: Abundances | None = None,
    method: Method = "fft",
) -> Envelope:
    """Aggregated envelope of one composition (one peak per nominal shift).

    Parameters
    ----------
    composition
        Neutral atom composition (adduct atoms included).
    charge
        Signed charge; m/z = (M - z * m_e) / |z|.
    coverage
        Keep the fewest highest peaks that hold at least this fraction of the probability.
    abundances
        Custom isotope abundances, e.g. ``{"Ag": {107: 0.99, 109: 0.01}}``.
    method
        ``"fft"`` (fast engine) or ``"reference"`` (plain convolution).
    """
    _check_coverage(coverage)
    _check_composition(composition)
    key = normalise_abundances(abundances)
    if method == "reference":
        prob, mass = reference_distribution(dict(composition.items()), key)
        return _make(prob, mass, charge, coverage)
    if method != "fft":
        raise OptionError(f"method must be 'fft' or 'reference', got {method!r}")
    cache_key = (composition, int(charge), float(coverage), key)
    env = _ENVELOPE_CACHE.get(cache_key)
    if env is None:
        env = single_envelope(composition, int(charge), float(coverage), key)
        if len(_ENVELOPE_CACHE) >= _CACHE_SIZE:
            _ENVELOPE_CACHE.clear()
        _ENVELOPE_CACHE[cache_key] = env
    return env


def composition_envelopes(
    items: Iterable[tuple[Composition, int]],
    /,
    *,
    coverage: float = DEFAULT_COVERAGE,
    abundances: Abundances | None = None,
) -> list[Envelope]:
    """Aggregated envelopes of many (composition, charge) pairs in one batch.

    Same results as calling :func:`composition_envelope` on each; compositions are grouped
    by the FFT length they need and each group is one matrix product and one inverse FFT.
    """
    _check_coverage(coverage)
    pairs = list(items)
    if not pairs:
        return []
    key = normalise_abundances(abundances)
    for comp, _ in pairs:
        _check_composition(comp)
    # Envelopes are immutable: the ones computed before (a candidate space, then the
    # assignment of the same candidates) are reused, and only the rest are computed.
    cache_keys = [(comp, int(z), float(coverage), key) for comp, z in pairs]
    found = [_ENVELOPE_CACHE.get(k) for k in cache_keys]
    missing = [i for i, e in enumerate(found) if e is None]
    if missing:
        fresh = _compute_envelopes([pairs[i] for i in missing], coverage, key)
        if len(_ENVELOPE_CACHE) + len(fresh) > _CACHE_SIZE:
            _ENVELOPE_CACHE.clear()
        for i, env in zip(missing, fresh, strict=True):
            found[i] = env
            _ENVELOPE_CACHE[cache_keys[i]] = env
    return [e for e in found if e is not None]


_CACHE_SIZE = 50_000
_ENVELOPE_CACHE: dict[tuple[Composition, int, float, AbundanceKey], Envelope] = {}


def clear_envelope_cache() -> None:
    """Forget the envelopes computed so far (benchmarks; memory)."""
    _ENVELOPE_CACHE.clear()


def _compute_envelopes(pairs: list[tuple[Composition, int]], coverage: float, key: AbundanceKey) -> list[Envelope]:
    symbols = sorted({s for comp, _ in pairs for s, _ in comp.items()})
    col = {s: j for j, s in enumerate(symbols)}
    flat = np.zeros(len(pairs) * len(symbols), dtype=np.int64)
    width = len(symbols)
    for i, (comp, _) in enumerate(pairs):
        base = i * width
        for s, n in comp.items():
            flat[base + col[s]] = n
    counts = flat.reshape(len(pairs), width)
    lengths = required_length(symbols, counts, key)
    out: list[Envelope | None] = [None] * len(pairs)
    for n in unique_sorted(lengths):
        rows = np.nonzero(lengths == n)[0]
        # Drop elements absent from this group (fewer columns, same result).
        used = np.nonzero(counts[rows].any(axis=0))[0]
        syms = [symbols[j] for j in used]
        sub = counts[np.ix_(rows, used)]
        allcharges = np.array([pairs[i][1] for i in rows], dtype=np.int64)
        # Work in chunks whose temporaries stay under glibc's mmap threshold (128 KiB):
        # fresh large arrays cost page faults that dominate the arithmetic.
        step = max(8, _CHUNK_BYTES // (int(n) * 8))
        for s in range(0, rows.size, step):
            prob, mass = fft_distributions(syms, sub[s:s + step], int(n), key)
            envs = _make_batch(prob, mass, allcharges[s:s + step], coverage)
            for i, env in zip(rows[s:s + step], envs, strict=True):
                out[i] = env
    return [e for e in out if e is not None]


def fine_envelope(
    composition: Composition,
    /,
    charge: int = 0,
    *,
    coverage: float = DEFAULT_COVERAGE,
    abundances: Abundances | None = None,
) -> Envelope:
    """Fine-structure envelope (isotopologues) from IsoSpecPy's total-probability generator."""
    _check_coverage(coverage)
    _check_composition(composition)
    key = normalise_abundances(abundances)
    from IsoSpecPy import IsoTotalProb

    symbols = sorted(composition)
    els = [element_with(s, key) for s in symbols]
    iso = IsoTotalProb(
        prob_to_cover=coverage,
        atomCounts=[composition[s] for s in symbols],
        isotopeMasses=[list(e.masses) for e in els],
        isotopeProbabilities=[list(e.abundances) for e in els],
    )
    masses = np.asarray(iso.np_masses(), dtype=np.float64)
    probs = np.asarray(iso.np_probs(), dtype=np.float64)
    order = np.argsort(masses)
    masses, probs = masses[order], probs[order]
    return Envelope(mz=_to_mz(masses, charge), intensity=probs / probs.max(), probability=probs,
                    charge=charge, fine=True)
