"""Target-decoy false-discovery control, as proteomics does it.

Every candidate in the spectrum's range gets a decoy: its isotope pattern moved by a
half-integer mass (see :func:`clusterms.assign.pipeline._decoys`), fitted beside the accepted
species and judged by the same rules. At a score threshold ``s`` the estimated false-discovery
rate is the number of decoys that pass every other rule with a score ``>= s`` over the number of
reported species with a score ``>= s`` (scaled by targets tested / decoys tested, 1 here). The
q-value of a species is the smallest such rate over the thresholds that still report it
(Käll et al. 2008; the estimate of ``pyteomics.auxiliary.qvalues`` with ``formula=1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Reliability", "q_values", "reliability"]

#: Above this share of decoys passing every acceptance rule, the rules do not separate
#: real envelopes from chance matches on this spectrum.
UNRELIABLE_DECOY_RATE = 0.05


def q_values(target_scores: ArrayLike, decoy_scores: ArrayLike, /, *, ratio: float = 1.0) -> NDArray[np.float64]:
    """q-value of each target score (same order), capped at 1.

    Parameters
    ----------
    target_scores
        Scores of the reported species (higher is better).
    decoy_scores
        Scores of the decoys that pass every acceptance rule except the score itself.
    ratio
        Targets tested per decoy tested (the decoy count is scaled by it).

    Examples
    --------
    >>> [float(q) for q in q_values([0.99, 0.95, 0.90], [0.93])]
    [0.0, 0.0, 0.3333333333333333]
    """
    t = np.asarray(target_scores, dtype=np.float64).ravel()
    d = np.sort(np.asarray(decoy_scores, dtype=np.float64).ravel())
    if t.size == 0:
        return np.zeros(0)
    order = np.argsort(-t, kind="stable")
    ts = t[order]
    # targets and decoys at or above each target's score (ties count together)
    n_t = np.searchsorted(-ts, -ts, side="right").astype(np.float64)
    n_d = (d.size - np.searchsorted(d, ts, side="left")).astype(np.float64)
    fdr = np.minimum(ratio * n_d / n_t, 1.0)
    q_sorted = np.minimum.accumulate(fdr[::-1])[::-1]
    q = np.empty_like(q_sorted)
    q[order] = q_sorted
    return q


@dataclass(frozen=True)
class Reliability:
    """Whether the decoys say the result as a whole can be trusted."""

    reliable: bool
    reason: str


def reliability(*, target_scores: Sequence[float], decoy_scores_passing: Sequence[float],
                decoys_tested: int, n_dropped: int, fdr: float) -> Reliability:
    """Judge the whole result from the decoys.

    ``decoy_scores_passing`` are the scores of decoys that pass every acceptance rule
    (score included). Unreliable when more than :data:`UNRELIABLE_DECOY_RATE` of the decoys
    pass, when the best decoy scores at least as well as the best species, or when the FDR
    removed every species the rules accepted.
    """
    best_t = max(target_scores, default=float("nan"))
    best_d = max(decoy_scores_passing, default=float("nan"))
    n_pass = len(decoy_scores_passing)
    rate = n_pass / decoys_tested if decoys_tested else 0.0
    if rate > UNRELIABLE_DECOY_RATE:
        return Reliability(False, f"{n_pass} of {decoys_tested} decoys pass the acceptance rules "
                                  f"({100 * rate:.0f} %): these rules do not tell real envelopes from chance "
                                  "matches on this spectrum")
    if n_pass and (not np.isfinite(best_t) or best_d >= best_t):
        return Reliability(False, f"the best decoy scores {best_d:.3f}, as well as the best species "
                                  f"({best_t:.3f})" if np.isfinite(best_t) else
                                  f"decoys pass the rules (best score {best_d:.3f}) but no species does")
    if n_dropped and not target_scores:
        return Reliability(False, f"all {n_dropped} species the rules accepted are above the "
                                  f"false-discovery rate {fdr:g}: nothing is assigned with confidence")
    return Reliability(True, "")
