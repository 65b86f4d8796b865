"""Many aggregated envelopes as one packed table, straight from arrays of atom counts.

:func:`~clusterms.isotopes.engine.composition_envelopes` returns one
:class:`~clusterms.isotopes.envelope.Envelope` per composition; past ~50,000 envelopes a
second the Python objects (compositions in, envelopes out) cost more than the arithmetic.
Screening large candidate spaces (formula searches, fragment spaces) needs the envelopes
only as numbers, so this module takes an (N, E) array of counts and returns the peaks of
all N envelopes in flat arrays with row offsets (a CSR layout), computed with the same FFT
engine and the same coverage rule; rows are identical to the per-envelope path's to
round-off (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms._arrays import unique_sorted
from clusterms.chem.elements import electron_mass, is_element
from clusterms.errors import OptionError
from clusterms.isotopes.abundances import Abundances, normalise_abundances
from clusterms.isotopes.aggregated import fft_distributions, required_length
from clusterms.isotopes.envelope import Envelope

__all__ = ["EnvelopeTable", "envelope_table"]

FloatArray = NDArray[np.float64]
_CHUNK_BYTES = 120_000


@dataclass(frozen=True, eq=False)
class EnvelopeTable:
    """Peaks of N envelopes: row ``i`` is ``mz[offsets[i]:offsets[i + 1]]`` (and likewise).

    Attributes
    ----------
    mz, intensity, probability
        Flat peak arrays (intensity: base peak of each row = 1), read-only.
    offsets
        N + 1 row boundaries.
    charge
        Signed charge of each row.
    """

    mz: FloatArray
    intensity: FloatArray
    probability: FloatArray
    offsets: NDArray[np.intp]
    charge: NDArray[np.int64]

    def __post_init__(self) -> None:
        for name in ("mz", "intensity", "probability", "offsets", "charge"):
            getattr(self, name).flags.writeable = False

    def __len__(self) -> int:
        return int(self.charge.size)

    def row(self, i: int, /) -> Envelope:
        """Row ``i`` as an :class:`Envelope`."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return Envelope(mz=self.mz[lo:hi], intensity=self.intensity[lo:hi],
                        probability=self.probability[lo:hi], charge=int(self.charge[i]))

    @property
    def row_index(self) -> NDArray[np.intp]:
        """Row of every flat peak."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    @property
    def base_mz(self) -> FloatArray:
        """m/z of the highest peak of each row."""
        return self.mz[self.offsets[:-1] + _argmax_rows(self.intensity, self.offsets)]


def _argmax_rows(values: FloatArray, offsets: NDArray[np.intp]) -> NDArray[np.intp]:
    """Position (within its row) of each row's maximum of ``values``."""
    rows = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    # Sort peaks by (row, -value): the first of each row is its maximum.
    order = np.lexsort((-values, rows))
    return order[offsets[:-1]] - offsets[:-1]


def envelope_table(
    symbols: Sequence[str],
    counts: ArrayLike,
    charges: ArrayLike,
    /,
    *,
    coverage: float = 0.9999,
    abundances: Abundances | None = None,
) -> EnvelopeTable:
    """Aggregated envelopes of the rows of ``counts`` (columns: ``symbols``), packed.

    Parameters
    ----------
    symbols
        Element symbols, one per column of ``counts``.
    counts
        (N, E) non-negative integer atom counts; every row needs at least one atom.
    charges
        N signed charges (m/z = (M - z m_e) / |z|; a neutral row gives masses).
    coverage, abundances
        As for :func:`~clusterms.isotopes.engine.composition_envelopes`.
    """
    if not (0.0 < coverage < 1.0):
        raise OptionError(f"coverage must be between 0 and 1 (exclusive), got {coverage!r}")
    syms = [str(s) for s in symbols]
    bad = [s for s in syms if not is_element(s)]
    if bad or len(set(syms)) != len(syms):
        raise OptionError(f"symbols must be distinct element symbols, got {syms}")
    c = np.asarray(counts)
    if c.ndim != 2 or c.shape[1] != len(syms) or (c.size and not np.issubdtype(c.dtype, np.integer)):
        raise OptionError(f"counts must be an integer array of shape (N, {len(syms)}), got {c.dtype} {c.shape}")
    z = np.asarray(charges, dtype=np.int64).ravel()
    if z.size != c.shape[0]:
        raise OptionError(f"{c.shape[0]} rows of counts but {z.size} charges")
    if c.size and ((c < 0).any() or (c.sum(axis=1) == 0).any()):
        raise OptionError("every row of counts needs at least one atom and no negative count")
    key = normalise_abundances(abundances)
    c = c.astype(np.int64)
    n_rows = c.shape[0]
    pieces: list[tuple[NDArray[np.intp], FloatArray, FloatArray, FloatArray, NDArray[np.intp]]] = []
    if n_rows:
        lengths = required_length(syms, c, key)
        for n in unique_sorted(lengths):
            rows = np.flatnonzero(lengths == n)
            used = np.flatnonzero(c[rows].any(axis=0))
            sub = c[np.ix_(rows, used)]
            group_syms = [syms[j] for j in used]
            step = max(8, _CHUNK_BYTES // (int(n) * 8))
            for s in range(0, rows.size, step):
                block = rows[s:s + step]
                prob, mass = fft_distributions(group_syms, sub[s:s + step], int(n), key)
                pieces.append((block, *_select_flat(prob, mass, z[block], coverage)))
    return _assemble(pieces, n_rows, z)


def _select_flat(
    prob: FloatArray, mass: FloatArray, charges: NDArray[np.int64], coverage: float
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.intp]]:
    """Kept peaks of a (B, N) block, flat in row order: m/z, intensity, probability, counts."""
    probn = prob / prob.sum(axis=1, keepdims=True)
    desc = -np.sort(-probn, axis=1)
    csum = np.cumsum(desc, axis=1)
    k = np.minimum((csum < coverage * csum[:, -1:]).sum(axis=1), probn.shape[1] - 1)
    threshold = desc[np.arange(probn.shape[0]), k]
    keep = (probn >= threshold[:, None]) & (probn > 0)
    # The kept peaks of a row are one contiguous run of shifts (as the engine keeps them).
    first = np.argmax(keep, axis=1)
    last = keep.shape[1] - np.argmax(keep[:, ::-1], axis=1)
    cols = np.arange(keep.shape[1])
    run = (cols[None, :] >= first[:, None]) & (cols[None, :] < last[:, None])
    zf = charges.astype(np.float64)
    absz = np.where(zf == 0, 1.0, np.abs(zf))
    n_kept = run.sum(axis=1)
    rz = np.repeat(zf, n_kept)
    rabs = np.repeat(absz, n_kept)
    p = probn[run]
    mz = (mass[run] - rz * electron_mass()) / rabs
    inten = p / np.repeat(desc[:, 0], n_kept)
    return mz, inten, p, n_kept


def _assemble(
    pieces: list[tuple[NDArray[np.intp], FloatArray, FloatArray, FloatArray, NDArray[np.intp]]],
    n_rows: int,
    charges: NDArray[np.int64],
) -> EnvelopeTable:
    counts = np.zeros(n_rows, dtype=np.intp)
    for block, _mz, _i, _p, n_kept in pieces:
        counts[block] = n_kept
    offsets = np.zeros(n_rows + 1, dtype=np.intp)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    mz = np.empty(total)
    inten = np.empty(total)
    prob = np.empty(total)
    for block, bmz, bint, bp, n_kept in pieces:
        # Destinations of a block's flat peaks: each row's run starts at its offset.
        starts = np.repeat(offsets[block], n_kept)
        within = np.arange(bmz.size) - np.repeat(np.cumsum(n_kept) - n_kept, n_kept)
        dest = starts + within
        mz[dest] = bmz
        inten[dest] = bint
        prob[dest] = bp
    return EnvelopeTable(mz, inten, prob, offsets, charges.copy())
