"""Absorption bands: maxima and shoulders, by smoothing and the second derivative.

The spectrum is resampled to a uniform 0.5 nm grid and smoothed (Savitzky-Golay, ~11 nm
window, cubic). A *maximum* is a local maximum of the smoothed absorbance with a prominence of
at least ``min_prominence`` of the spectrum's range; a *shoulder* is a local minimum of the
second derivative (a band hidden on the flank of a stronger one) with no maximum within
``merge_nm``. Each band is compared with the bands of the reference spectra and with the
literature bands of the paper's clusters (:data:`LITERATURE_BANDS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, savgol_filter

from clusterms.uvvis.spectrum import HC_EV_NM, UVVisSpectrum

__all__ = ["LITERATURE_BANDS", "Band", "compare_bands", "find_bands"]

#: Band maxima (nm) reported for the clusters of the seed paper (Ag29(BDT)12 in DMF: 447 and
#: 513 nm; MAg24(SR)18: near 395, 485 and 640 nm).
LITERATURE_BANDS: Mapping[str, tuple[float, ...]] = {
    "Ag29(BDT)12": (447.0, 513.0),
    "MAg24(SR)18": (395.0, 485.0, 640.0),
}


@dataclass(frozen=True, slots=True)
class Band:
    """One band of one spectrum, with the nearest reference and literature band (if any)."""

    spectrum: str
    wavelength_nm: float
    kind: str  # "maximum" or "shoulder"
    absorbance: float
    reference: str = ""
    reference_nm: float | None = None
    literature: str = ""
    literature_nm: float | None = None

    @property
    def energy_ev(self) -> float:
        return HC_EV_NM / self.wavelength_nm


def find_bands(spectrum: UVVisSpectrum, /, *, min_prominence: float = 0.02, merge_nm: float = 12.0,
               smooth_nm: float = 11.0) -> list[Band]:
    """Maxima and shoulders of ``spectrum`` (see the module text), sorted by wavelength."""
    wl = spectrum.wavelength_nm
    step = 0.5
    grid = np.arange(wl[0], wl[-1] + step / 2, step)
    if grid.size < 15:
        return []
    y = np.interp(grid, wl, spectrum.absorbance)
    window = round(smooth_nm / step) | 1
    largest = grid.size - 1 if grid.size % 2 == 0 else grid.size - 2  # odd and < size
    window = max(5, min(window, largest))
    ys = savgol_filter(y, window, 3, mode="interp")
    d2 = savgol_filter(y, window, 3, deriv=2, delta=step, mode="interp")
    span = float(np.ptp(ys)) or 1.0
    edge = window  # derivatives are unreliable within a window of the ends
    peaks, _ = find_peaks(ys, prominence=min_prominence * span)
    peaks = peaks[(peaks > edge) & (peaks < grid.size - 1 - edge)]
    curv, _ = find_peaks(-d2, prominence=min_prominence * float(np.ptp(d2) or 1.0))
    bands = [Band(spectrum.name, float(grid[i]), "maximum", float(ys[i])) for i in peaks]
    for i in curv:
        if i <= edge or i >= grid.size - 1 - edge or d2[i] >= 0:
            continue
        if any(abs(grid[i] - b.wavelength_nm) < merge_nm for b in bands):
            continue
        bands.append(Band(spectrum.name, float(grid[i]), "shoulder", float(ys[i])))
    return sorted(bands, key=lambda b: b.wavelength_nm)


def compare_bands(bands: Sequence[Band], references: Mapping[str, Sequence[Band]], /, *,
                  tolerance_nm: float = 15.0) -> list[Band]:
    """Each band with the nearest band of a reference and of the literature within ``tolerance_nm``."""
    out = []
    for b in bands:
        best_ref: tuple[float, str, float] | None = None
        for name, rbands in references.items():
            for rb in rbands:
                d = abs(rb.wavelength_nm - b.wavelength_nm)
                if d <= tolerance_nm and (best_ref is None or d < best_ref[0]):
                    best_ref = (d, name, rb.wavelength_nm)
        best_lit: tuple[float, str, float] | None = None
        for name, nms in LITERATURE_BANDS.items():
            for nm in nms:
                d = abs(nm - b.wavelength_nm)
                if d <= tolerance_nm and (best_lit is None or d < best_lit[0]):
                    best_lit = (d, name, nm)
        out.append(Band(b.spectrum, b.wavelength_nm, b.kind, b.absorbance,
                        reference=best_ref[1] if best_ref else "",
                        reference_nm=best_ref[2] if best_ref else None,
                        literature=best_lit[1] if best_lit else "",
                        literature_nm=best_lit[2] if best_lit else None))
    return out
