"""The Spectrum value type: sorted, read-only float64 m/z and intensity arrays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms.errors import InputFileError

__all__ = ["Spectrum"]

Polarity = Literal["positive", "negative"] | None
Mode = Literal["profile", "centroid"] | None


def _frozen(a: ArrayLike) -> NDArray[np.float64]:
    arr = np.array(a, dtype=np.float64, copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A mass spectrum.

    Arrays are float64, sorted by m/z at construction and read-only.

    Parameters
    ----------
    mz, intensity
        Array-likes of equal length.
    polarity
        ``"positive"``, ``"negative"`` or ``None`` when unknown.
    mode
        ``"profile"``, ``"centroid"`` or ``None`` when unknown.
    metadata
        Free-form information (source file, scan numbers, instrument ...).
    """

    mz: NDArray[np.float64]
    intensity: NDArray[np.float64]
    polarity: Polarity = None
    mode: Mode = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        mz = np.asarray(self.mz, dtype=np.float64).ravel()
        inten = np.asarray(self.intensity, dtype=np.float64).ravel()
        if mz.shape != inten.shape:
            raise InputFileError(
                f"m/z and intensity arrays differ in length ({mz.size} vs {inten.size})"
            )
        if mz.size and not np.all(mz[1:] >= mz[:-1]):
            order = np.argsort(mz, kind="stable")
            mz, inten = mz[order], inten[order]
        self._check_labels()
        object.__setattr__(self, "mz", _frozen(mz))
        object.__setattr__(self, "intensity", _frozen(inten))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (worker processes, caches): the metadata view is rebuilt from a dict.
        return (Spectrum, (self.mz, self.intensity, self.polarity, self.mode, dict(self.metadata)))

    def _check_labels(self) -> None:
        if self.polarity not in ("positive", "negative", None):
            raise InputFileError(f"polarity must be 'positive', 'negative' or None, got {self.polarity!r}")
        if self.mode not in ("profile", "centroid", None):
            raise InputFileError(f"mode must be 'profile', 'centroid' or None, got {self.mode!r}")

    def __len__(self) -> int:
        return int(self.mz.size)

    def replace(
        self,
        *,
        mz: ArrayLike | None = None,
        intensity: ArrayLike | None = None,
        **changes: Any,
    ) -> Spectrum:
        """A new Spectrum with some fields replaced (the original is unchanged)."""
        polarity = changes.pop("polarity", self.polarity)
        mode = changes.pop("mode", self.mode)
        metadata = changes.pop("metadata", self.metadata)
        if changes:
            raise TypeError(f"unknown Spectrum fields: {', '.join(sorted(changes))}")
        if mz is None and intensity is not None:
            inten = np.asarray(intensity, dtype=np.float64).ravel()
            if inten.shape == self.mz.shape:
                # Same axis: share the (read-only, sorted) m/z array instead of copying it.
                new = object.__new__(Spectrum)
                for name, value in (("mz", self.mz), ("intensity", _frozen(inten)), ("polarity", polarity),
                                    ("mode", mode), ("metadata", MappingProxyType(dict(metadata)))):
                    object.__setattr__(new, name, value)
                new._check_labels()
                return new
        return Spectrum(
            mz=self.mz if mz is None else np.asarray(mz, dtype=np.float64),
            intensity=self.intensity if intensity is None else np.asarray(intensity, dtype=np.float64),
            polarity=polarity,
            mode=mode,
            metadata=metadata,
        )

    def window(self, lo: float, hi: float) -> Spectrum:
        """The part of the spectrum with ``lo <= m/z <= hi``."""
        i, j = np.searchsorted(self.mz, [lo, hi], side="left")[0], np.searchsorted(self.mz, hi, side="right")
        return self.replace(mz=self.mz[i:j], intensity=self.intensity[i:j])

    @property
    def tic(self) -> float:
        """Total ion current (sum of intensities)."""
        return float(self.intensity.sum())
