"""The fragment space of a mass-selected precursor, as arrays, screened before any envelope.

A CID spectrum of a ~700-atom cluster ion can hold any of its sub-compositions: the metals
and ligands of the precursor in any smaller number, sulfur left behind by C-S cleavage, a
few protons, at any charge from 1 to that of the precursor. That is 10^5-10^6 candidates;
building an :class:`~clusterms.chem.ion.Ion` and an isotope envelope for each would take
minutes. Here the space is a set of integer arrays (one row per candidate) and is screened
against the peak list of a scan in two steps:

1. **Without envelopes.** The aggregated isotope distribution of a composition is centred
   on its mean nominal shift ``k = sum_e n_e mean_e`` and its peaks step by the mean mass
   per shift ``(average - lightest mass) / k``. The three peaks around ``k`` are predicted
   from these two numbers alone (within 3.8 mDa x |z| of the exact envelope, measured on
   Ag1-53 fragments with BDT/DMBT, S and H, z 1-3) and at least two of them must meet a
   picked peak within the tolerance. A handful of vectorised operations on the whole space.
2. **With envelopes**, for the survivors only: the exact envelopes come in one batch from
   engine as one packed table (:func:`~clusterms.isotopes.table.envelope_table`, no
   Python object per row) and are scored by the cosine between their peak heights and the
   observed ones.

Rules of the space (stated in :func:`fragment_space`): at least ``min_metals`` metal atoms,
at least one ligand or S, no more S than the left-out ligands carried, a non-negative
electron count, charges of the precursor's sign and no more charges than ligands, S and
protons (the charge of a thiolate cluster fragment sits on its ligands).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from math import prod

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms.chem.composition import Composition
from clusterms.chem.electrons import WITHDRAWING_ATOMS, valence
from clusterms.chem.elements import electron_mass, element
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import Adduct, Ligand
from clusterms.errors import OptionError
from clusterms.isotopes.aggregated import _moments
from clusterms.isotopes.table import envelope_table

__all__ = ["FragmentMatches", "FragmentSpace", "fragment_space"]

IntArray = NDArray[np.int32]
FloatArray = NDArray[np.float64]

#: Largest space built at once (rows); about 40 bytes a row.
MAX_FRAGMENT_CANDIDATES = 20_000_000
#: Largest error of the envelope-free peak prediction, in mass units (m/z times |z|):
#: measured up to 3.8 mDa over 3,000 rows of the [AuAg52(BDT)12(DMBT)16]3- space, half of
#: them small fragments, where the isotopes of C, S and Ag step by different masses.
PREDICTION_DA = 0.005
_PROTON = Adduct("H", Composition({"H": 1}), 1, "proton")


def _frozen(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class FragmentSpace:
    """Candidate fragments of one precursor, one row each; every array is read-only.

    Attributes
    ----------
    precursor
        The mass-selected ion.
    metals, ligands
        Column order of ``metal_counts`` and ``ligand_counts``.
    metal_counts, ligand_counts
        (N, M) and (N, L) counts of each metal and ligand.
    sulfur
        S atoms outside ligands (left by C-S cleavage).
    protons
        Proton adducts (H+).
    charge
        Signed charge.
    electrons
        Superatom electron count, as :attr:`Ion.electrons` gives it.
    """

    precursor: Ion
    metals: tuple[str, ...]
    ligands: tuple[Ligand, ...]
    metal_counts: IntArray
    ligand_counts: IntArray
    sulfur: IntArray
    protons: IntArray
    charge: IntArray
    electrons: IntArray

    def __post_init__(self) -> None:
        for name in ("metal_counts", "ligand_counts", "sulfur", "protons", "charge", "electrons"):
            _frozen(getattr(self, name))

    def __len__(self) -> int:
        return int(self.charge.size)

    @cached_property
    def symbols(self) -> tuple[str, ...]:
        """Element columns of :attr:`element_counts` (sorted)."""
        syms = set(self.metals) | {"S", "H"}
        for lig in self.ligands:
            syms |= set(lig.composition)
        return tuple(sorted(syms))

    @cached_property
    def element_counts(self) -> IntArray:
        """(N, E) atom counts in the order of :attr:`symbols`."""
        col = {s: j for j, s in enumerate(self.symbols)}
        per_metal = np.zeros((len(self.metals), len(col)), dtype=np.int32)
        for i, m in enumerate(self.metals):
            per_metal[i, col[m]] = 1
        per_ligand = np.zeros((len(self.ligands), len(col)), dtype=np.int32)
        for i, lig in enumerate(self.ligands):
            for s, n in lig.composition.items():
                per_ligand[i, col[s]] = n
        out = self.metal_counts @ per_metal + self.ligand_counts @ per_ligand
        out[:, col["S"]] += self.sulfur
        out[:, col["H"]] += self.protons
        return _frozen(out.astype(np.int32))  # type: ignore[return-value]

    @cached_property
    def _masses(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Lightest-isotope mass, average mass and mean nominal shift of each row (computed once:
        every scan of a ramp screens the same space)."""
        c = self.element_counts.astype(np.float64)
        light = np.array([element(s).masses[0] for s in self.symbols])
        avg = np.array([element(s).average_mass for s in self.symbols])
        mu, _, _ = _moments(self.symbols, ())
        return c @ light, c @ avg, c @ mu

    @cached_property
    def lightest_mz(self) -> FloatArray:
        """m/z of the all-lightest-isotope peak of each row."""
        light, _, _ = self._masses
        z = self.charge.astype(np.float64)
        return _frozen((light - z * electron_mass()) / np.abs(z))  # type: ignore[return-value]

    def predicted_mz(self, offsets: tuple[int, ...] = (-1, 0, 1), /) -> FloatArray:
        """(N, len(offsets)) predicted m/z of the peaks ``offsets`` shifts from the centre (the
        central three are computed once per space)."""
        if offsets == (-1, 0, 1):
            return self._predicted_central
        return self._predict(offsets)

    @cached_property
    def _predicted_central(self) -> FloatArray:
        return _frozen(self._predict((-1, 0, 1)))  # type: ignore[return-value]

    def _predict(self, offsets: tuple[int, ...]) -> FloatArray:
        """(N, len(offsets)) predicted m/z of the peaks ``offsets`` shifts from the centre.

        The centre is the mean nominal shift rounded (at least 1, so that the lowest
        offset stays a real peak); peaks step by the mean mass per nominal shift.
        """
        light, avg, mean = self._masses
        centre = np.maximum(np.rint(mean), 1.0 - min(offsets))
        step = np.where(mean > 0, (avg - light) / np.where(mean > 0, mean, 1.0), 1.0)
        shifts = centre[:, None] + np.asarray(offsets, dtype=np.float64)[None, :]
        z = self.charge.astype(np.float64)[:, None]
        return (light[:, None] + shifts * step[:, None] - z * electron_mass()) / np.abs(z)

    def take(self, index: ArrayLike, /) -> FragmentSpace:
        """The rows at ``index`` (integer indices or a boolean mask)."""
        idx = np.asarray(index)
        return FragmentSpace(self.precursor, self.metals, self.ligands, self.metal_counts[idx].copy(),
                             self.ligand_counts[idx].copy(), self.sulfur[idx].copy(),
                             self.protons[idx].copy(), self.charge[idx].copy(), self.electrons[idx].copy())

    def ion(self, i: int, /) -> Ion:
        """Row ``i`` as an :class:`Ion` (notation as the rest of clusterms writes it)."""
        metals = {m: int(n) for m, n in zip(self.metals, self.metal_counts[i], strict=True) if n}
        ligands = {lig: int(n) for lig, n in zip(self.ligands, self.ligand_counts[i], strict=True) if n}
        extra = {"S": int(self.sulfur[i])} if self.sulfur[i] else {}
        adducts = {_PROTON: int(self.protons[i])} if self.protons[i] else {}
        return Ion.from_parts(metals=metals, ligands=ligands, extra=extra, adducts=adducts,
                              charge=int(self.charge[i]))

    def screen(self, mz: ArrayLike, /, *, ppm: float = 10.0) -> NDArray[np.intp]:
        """Indices of the rows with at least two of their three central isotope peaks in ``mz``.

        ``mz`` is a scan's picked peak positions; ``ppm`` is the mass accuracy of the data
        (the prediction's own error, :data:`PREDICTION_DA` / |z|, is added to it).
        """
        peaks = np.sort(np.asarray(mz, dtype=np.float64).ravel())
        if not ppm > 0:
            raise OptionError(f"ppm must be positive, got {ppm}")
        if peaks.size == 0 or len(self) == 0:
            return np.zeros(0, dtype=np.intp)
        slack = PREDICTION_DA / np.abs(self.charge.astype(np.float64))
        hits = np.zeros(len(self), dtype=np.int8)
        for col in self.predicted_mz((-1, 0, 1)).T:
            hits += _near(peaks, col, ppm * 1e-6 * col + slack)
        return np.flatnonzero(hits >= 2)

    def match(
        self,
        mz: ArrayLike,
        intensity: ArrayLike,
        /,
        *,
        ppm: float = 10.0,
        min_score: float = 0.9,
        floor: float = 0.05,
    ) -> FragmentMatches:
        """Screen, then score the survivors' exact envelopes against the observed peaks.

        Parameters
        ----------
        mz, intensity
            The scan's picked peaks (positions and heights).
        ppm
            Mass accuracy of the data.
        min_score
            Smallest cosine similarity kept (0-1) between the envelope's peaks above
            ``floor`` of its base and the observed heights at those positions (a peak not
            found counts as 0).
        """
        if not 0 <= min_score <= 1:
            raise OptionError(f"min_score must be between 0 and 1, got {min_score}")
        x = np.asarray(mz, dtype=np.float64).ravel()
        y = np.asarray(intensity, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise OptionError(f"mz and intensity differ in length ({x.size} and {y.size})")
        order = np.argsort(x)
        x, y = x[order], y[order]
        idx = self.screen(x, ppm=ppm)
        table = envelope_table(self.symbols, self.element_counts[idx], self.charge[idx])
        # Cosine per row over its peaks above `floor`, all rows at once on the flat table.
        big = table.intensity >= floor
        rows = table.row_index[big]
        theo = table.intensity[big]
        obs = _heights(x, y, table.mz[big], ppm * 1e-6) if x.size else np.zeros(theo.size)
        dot = np.bincount(rows, theo * obs, minlength=idx.size)
        norm = np.sqrt(np.bincount(rows, theo * theo, minlength=idx.size)
                       * np.bincount(rows, obs * obs, minlength=idx.size))
        scores = np.divide(dot, norm, out=np.zeros(idx.size), where=norm > 0)
        keep = scores >= min_score
        return FragmentMatches(self.take(idx[keep]), _frozen(scores[keep]))  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class FragmentMatches:
    """Rows of a fragment space that the scan supports, with their envelope scores."""

    space: FragmentSpace
    score: FloatArray

    def __len__(self) -> int:
        return len(self.space)

    def ions(self) -> list[Ion]:
        """The matched rows as ions, best score first."""
        return [self.space.ion(int(i)) for i in np.argsort(-self.score, kind="stable")]


def _near(peaks: FloatArray, target: FloatArray, tol: FloatArray) -> NDArray[np.bool_]:
    """Whether each target has a peak within ``tol`` (m/z, one per target)."""
    j = np.searchsorted(peaks, target)
    lo = peaks[np.clip(j - 1, 0, peaks.size - 1)]
    hi = peaks[np.clip(j, 0, peaks.size - 1)]
    err = np.minimum(np.abs(lo - target), np.abs(hi - target))
    return err <= tol


def _heights(x: FloatArray, y: FloatArray, target: FloatArray, tol: float) -> FloatArray:
    """Observed height of the nearest peak within ``tol`` of each target (0 where none)."""
    j = np.clip(np.searchsorted(x, target), 1, x.size - 1) if x.size > 1 else np.zeros(target.size, dtype=np.intp)
    left = np.abs(x[j - 1] - target) if x.size > 1 else np.abs(x[j] - target)
    right = np.abs(x[j] - target)
    best = np.where((x.size > 1) & (left < right), j - 1, j)
    err = np.abs(x[best] - target)
    return np.where(err <= tol * target, y[best], 0.0)


def fragment_space(
    precursor: Ion,
    /,
    *,
    charges: tuple[int, ...] | None = None,
    max_sulfur: int = 2,
    max_protons: int = 2,
    min_metals: int = 1,
    max_candidates: int = MAX_FRAGMENT_CANDIDATES,
) -> FragmentSpace:
    """Every sub-composition of ``precursor`` within the rules, as arrays.

    Parameters
    ----------
    precursor
        A charged cluster ion (metals and ligands; proton adducts are allowed, other
        adducts and extra atoms other than S are not part of fragment spaces yet).
    charges
        Signed charges to consider; default 1..|z| with the precursor's sign.
    max_sulfur
        Most S atoms outside ligands (C-S cleavage), never more than the left-out
        ligands carried.
    max_protons
        Most proton adducts (at least as many as the precursor has).
    min_metals
        Fewest metal atoms.
    Rows kept: at least ``min_metals`` metals (and at least one), at least one ligand or S,
    S no more than the left-out ligands carried, electrons >= 0, and |z| no more than the
    ligands, S and protons of the row.

    max_candidates
        The space is refused (:class:`OptionError`) beyond this many rows, before any
        array is built.
    """
    if precursor.charge == 0:
        raise OptionError(f"{precursor.notation} is neutral: a precursor is an ion")
    sign = 1 if precursor.charge > 0 else -1
    if charges is None:
        charges = tuple(sign * k for k in range(1, abs(precursor.charge) + 1))
    if not charges or any(z == 0 or (z > 0) != (sign > 0) for z in charges):
        raise OptionError(f"fragment charges must be non-zero and of the precursor's sign ({sign:+d}), got {charges}")
    others = [a for a, _ in precursor.adducts if a.composition != _PROTON.composition]
    if others or any(s != "S" for s in precursor.extra):
        raise OptionError(f"{precursor.notation}: fragment spaces take metals, ligands, S and protons only")
    for name, value in (("max_sulfur", max_sulfur), ("max_protons", max_protons), ("min_metals", min_metals)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OptionError(f"{name} must be a non-negative integer, got {value!r}")
    n_protons = sum(n for a, n in precursor.adducts if a.composition == _PROTON.composition)
    max_protons = max(max_protons, n_protons)
    max_sulfur = max(max_sulfur, precursor.extra.get("S", 0))
    metals = tuple(sorted(precursor.metals))
    ligands = tuple(lig for lig, _ in precursor.ligands)
    top = [precursor.metals[m] for m in metals] + [n for _, n in precursor.ligands]
    shape = (*(n + 1 for n in top), max_sulfur + 1, max_protons + 1, len(charges))
    size = prod(shape)
    if size > max_candidates:
        raise OptionError(f"the fragment space of {precursor.notation} has {size:,} rows, over the limit of "
                          f"{max_candidates:,}: lower max_sulfur / max_protons / charges, or raise max_candidates")
    grid = np.indices(shape, dtype=np.int32).reshape(len(shape), -1)
    nm, nl = len(metals), len(ligands)
    metal_counts = grid[:nm].T
    ligand_counts = grid[nm:nm + nl].T
    sulfur, protons = grid[nm + nl], grid[nm + nl + 1]
    charge = np.asarray(charges, dtype=np.int32)[grid[nm + nl + 2]]
    lig_s = np.array([lig.composition.get("S", 0) for lig in ligands], dtype=np.int32)
    left_s = (np.array(top[nm:], dtype=np.int32) - ligand_counts) @ lig_s
    v = np.array([valence(m) for m in metals], dtype=np.int32)
    w = np.array([lig.withdraws for lig in ligands], dtype=np.int32)
    own = np.array([lig.own_charge for lig in ligands], dtype=np.int32)  # as Ion.electrons: not the core's
    electrons = (metal_counts @ v - ligand_counts @ w - WITHDRAWING_ATOMS["S"] * sulfur
                 - (charge - protons - ligand_counts @ own))
    keep = ((metal_counts.sum(axis=1) >= max(min_metals, 1 if nm else 0))
            & (ligand_counts.sum(axis=1) + sulfur >= 1)
            & (sulfur <= np.maximum(left_s, precursor.extra.get("S", 0)))
            & (electrons >= 0)
            & (np.abs(charge) <= ligand_counts.sum(axis=1) + sulfur + protons))
    idx = np.flatnonzero(keep)
    return FragmentSpace(precursor, metals, ligands, np.ascontiguousarray(metal_counts[idx]),
                         np.ascontiguousarray(ligand_counts[idx]), sulfur[idx], protons[idx], charge[idx],
                         electrons[idx].astype(np.int32))
