"""The Envelope value type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Envelope"]


@dataclass(frozen=True, eq=False)
class Envelope:
    """An isotope envelope of one ion.

    Attributes
    ----------
    mz
        Peak positions (m/z), ascending, read-only.
    intensity
        Relative intensities, base peak = 1, read-only.
    probability
        Absolute probabilities of the peaks (they sum to the covered fraction).
    charge
        Signed charge of the ion (0 for a neutral: ``mz`` is then the mass).
    fine
        Whether the peaks are isotopologues (fine structure) rather than aggregated
        nominal-shift peaks.
    """

    mz: NDArray[np.float64]
    intensity: NDArray[np.float64]
    probability: NDArray[np.float64]
    charge: int
    fine: bool = False

    def __post_init__(self) -> None:
        for name in ("mz", "intensity", "probability"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @classmethod
    def trusted(
        cls,
        mz: NDArray[np.float64],
        intensity: NDArray[np.float64],
        probability: NDArray[np.float64],
        charge: int,
        fine: bool = False,
    ) -> Envelope:
        """Wrap fresh float64 arrays without copying (engine use; arrays become read-only)."""
        env = object.__new__(cls)
        for name, arr in (("mz", mz), ("intensity", intensity), ("probability", probability)):
            arr.flags.writeable = False
            object.__setattr__(env, name, arr)
        object.__setattr__(env, "charge", charge)
        object.__setattr__(env, "fine", fine)
        return env

    def __len__(self) -> int:
        return int(self.mz.size)

    @property
    def coverage(self) -> float:
        """Fraction of the total probability the peaks hold."""
        return float(self.probability.sum())

    @property
    def most_abundant_mz(self) -> float:
        """m/z of the highest peak."""
        return float(self.mz[int(np.argmax(self.intensity))])

    @property
    def mean_mz(self) -> float:
        """Probability-weighted mean m/z of the peaks."""
        return float(np.dot(self.mz, self.probability) / self.probability.sum())
