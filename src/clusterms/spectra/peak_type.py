"""Is a spectrum a profile or a centroid list? Told from the data when the file does not say.

Text exports carry no flag. In profile data the most intense points sit inside sampled peaks:
their nearest neighbours are a sampling step away (a fraction of the peak width, far below an
isotope spacing). In a centroid list every point is a whole peak: the nearest neighbour of an
intense point is another isotope peak of its envelope, 1.00335/z m/z away for a small
integer z.
"""

from __future__ import annotations

import numpy as np

from clusterms.spectra.spectrum import Spectrum

__all__ = ["detect_mode"]

_ISOTOPE_SPACING = 1.003_355  # 13C - 12C, the spacing of isotope peaks at z = 1
_TOP = 30  # most intense points examined


def detect_mode(spectrum: Spectrum, /) -> str | None:
    """``"centroid"`` or ``"profile"`` from the data, or ``None`` when it cannot tell
    (fewer than 10 points with signal).

    Centroid when, for most of the 30 most intense points, the nearest neighbour lies at
    least 0.05 m/z away and one or two isotope spacings 1.00335/z off (z <= 10, within
    1.5 %); profile otherwise (a sampled peak, however coarse the sampling).

    Examples
    --------
    >>> mz = 1000 + np.arange(12) * 1.00335 / 3
    >>> detect_mode(Spectrum(mz, np.hanning(14)[1:-1]))
    'centroid'
    >>> x = np.linspace(999, 1001, 400)
    >>> detect_mode(Spectrum(x, np.exp(-0.5 * ((x - 1000) / 0.02) ** 2)))
    'profile'
    """
    mz, y = spectrum.mz, spectrum.intensity
    pos = np.flatnonzero(y > 0)
    if pos.size < 10:
        return None
    mz, y = mz[pos], y[pos]
    top = np.argsort(-y, kind="stable")[:_TOP]
    gaps = np.diff(mz)
    left = np.where(top > 0, gaps[np.maximum(top - 1, 0)], np.inf)
    right = np.where(top < mz.size - 1, gaps[np.minimum(top, gaps.size - 1)], np.inf)
    nearest = np.minimum(left, right)
    nearest = nearest[np.isfinite(nearest)]
    if nearest.size == 0:
        return None
    # one or two isotope spacings 1.00335/z (z = 1..10; two where a peak is missing)
    comb = np.concatenate([_ISOTOPE_SPACING / np.arange(1, 11), 2 * _ISOTOPE_SPACING / np.arange(1, 11)])
    on_comb = (np.abs(nearest[:, None] - comb[None, :]) <= 0.015 * comb[None, :]).any(axis=1)
    isolated = (nearest >= 0.05) & on_comb
    return "centroid" if np.mean(isolated) > 0.6 else "profile"
