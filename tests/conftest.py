"""Shared test helpers: the independent IsoSpecPy oracle."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from IsoSpecPy import IsoTotalProb
from scipy.constants import physical_constants

ELECTRON = physical_constants["electron mass in u"][0]


@cache
def _oracle_cached(items: tuple, charge: int, coverage: float):
    from IsoSpecPy import PeriodicTbl

    counts = dict(items)
    symbols = sorted(counts)
    iso = IsoTotalProb(
        prob_to_cover=coverage,
        atomCounts=[counts[s] for s in symbols],
        isotopeMasses=[list(PeriodicTbl.symbol_to_masses[s]) for s in symbols],
        isotopeProbabilities=[list(PeriodicTbl.symbol_to_probs[s]) for s in symbols],
    )
    m = np.asarray(iso.np_masses())
    p = np.asarray(iso.np_probs())
    lightest = sum(n * min(PeriodicTbl.symbol_to_masses[s]) for s, n in counts.items())
    # Nucleon shift from the mass offset: mass defects of these compositions stay far below
    # half a dalton (checked: |offset - round(offset)| < 0.2 asserted here).
    off = m - lightest
    shift = np.rint(off).astype(int)
    assert np.all(np.abs(off - shift) < 0.2)
    p_by = np.bincount(shift, p)
    w_by = np.bincount(shift, p * m)
    keep = p_by > 0
    mass = w_by[keep] / p_by[keep]
    mz = mass if charge == 0 else (mass - charge * ELECTRON) / abs(charge)
    return np.nonzero(keep)[0], mz, p_by[keep]


def isospec_aggregated(formula_counts: dict[str, int], charge: int, coverage: float = 0.999_999):
    """Aggregated envelope straight from IsoSpecPy: (shift, m/z, probability) arrays."""
    return _oracle_cached(tuple(sorted(formula_counts.items())), charge, coverage)


@pytest.fixture
def oracle():
    return isospec_aggregated
