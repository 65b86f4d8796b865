"""A UV/vis absorption spectrum: wavelength (nm, increasing) and absorbance, immutable."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from clusterms.errors import InputFileError

__all__ = ["HC_EV_NM", "UVVisSpectrum"]

#: h*c in eV nm (CODATA 2018): E[eV] = HC_EV_NM / lambda[nm].
HC_EV_NM = 1239.841984

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class UVVisSpectrum:
    """One absorption spectrum.

    Parameters
    ----------
    name
        Label of the spectrum (column header or file stem), as it appears in the CSVs.
    wavelength_nm
        Strictly increasing wavelengths in nm.
    absorbance
        Absorbance at each wavelength (same length, finite).
    source
        The file it was read from (for messages and provenance).
    """

    name: str
    wavelength_nm: FloatArray
    absorbance: FloatArray
    source: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        wl = np.array(self.wavelength_nm, dtype=np.float64)
        a = np.array(self.absorbance, dtype=np.float64)
        where = f"{self.source}: spectrum {self.name!r}" if self.source else f"spectrum {self.name!r}"
        if wl.ndim != 1 or wl.shape != a.shape:
            raise InputFileError(f"{where}: wavelength and absorbance differ in length")
        if wl.size < 5:
            raise InputFileError(f"{where}: {wl.size} points; a UV/vis spectrum needs at least 5")
        if not (np.all(np.isfinite(wl)) and np.all(np.isfinite(a))):
            raise InputFileError(f"{where}: non-finite values (NaN or inf)")
        order = np.argsort(wl, kind="stable")
        wl, a = wl[order], a[order]
        if np.any(np.diff(wl) <= 0):
            raise InputFileError(f"{where}: repeated wavelengths")
        if wl[0] <= 0:
            raise InputFileError(f"{where}: wavelengths must be positive (nm), got {wl[0]:g}")
        if wl[0] < 100 or wl[-1] > 3300:
            raise InputFileError(f"{where}: wavelengths {wl[0]:g}-{wl[-1]:g} are not UV/vis-NIR nm "
                                 "(expected within 100-3300 nm)")
        wl.setflags(write=False)
        a.setflags(write=False)
        object.__setattr__(self, "wavelength_nm", wl)
        object.__setattr__(self, "absorbance", a)

    def __len__(self) -> int:
        return int(self.wavelength_nm.size)

    @property
    def energy_ev(self) -> FloatArray:
        """Photon energies in eV (decreasing along the array)."""
        return np.asarray(HC_EV_NM / self.wavelength_nm)

    def absorbance_per_ev(self) -> FloatArray:
        """Absorbance as a density on the energy axis: A(E) = A(lambda) * lambda^2 / (hc).

        The Jacobian |d lambda / dE| = lambda^2 / hc keeps band areas when the axis changes
        from wavelength to energy (the convention of cluster optical spectra on an eV axis).
        """
        return np.asarray(self.absorbance * self.wavelength_nm**2 / HC_EV_NM)
