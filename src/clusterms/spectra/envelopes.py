"""Composition-free envelope detection for unknown samples (`clusterms peaks`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from clusterms.chem.elements import electron_mass, proton_mass
from clusterms.errors import OptionError
from clusterms.spectra.spectrum import Spectrum

__all__ = ["EnvelopeRow", "find_envelopes", "neutral_masses"]


@dataclass(frozen=True)
class EnvelopeRow:
    """One isotope envelope found without knowing its composition.

    ``mass_electron`` is the neutral mass at the apex if the charge is carried by electrons
    (a cluster anion [M]z- or a cation [M]z+); ``mass_proton`` if it is carried by protons
    removed ([M-zH]z-) or added ([M+zH]z+).
    """

    apex_mz: float
    charge: int
    intensity: float
    mass_electron: float
    mass_proton: float
    n_peaks: int
    score: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (the `peaks --json` contract keys first)."""
        return asdict(self)


def neutral_masses(mz: float, charge: int, polarity: Literal["negative", "positive"]) -> tuple[float, float]:
    """(mass with electrons as charge carriers, mass with protons as carriers)."""
    z = abs(int(charge))
    if polarity == "negative":
        return mz * z - z * electron_mass(), mz * z + z * proton_mass()
    if polarity == "positive":
        return mz * z + z * electron_mass(), mz * z - z * proton_mass()
    raise OptionError(f"polarity must be 'negative' or 'positive', got {polarity!r}")


def find_envelopes(
    spectrum: Spectrum,
    /,
    *,
    polarity: Literal["negative", "positive"],
    min_snr: float = 5.0,
    max_charge: int = 8,
    min_peaks: int = 6,
) -> list[EnvelopeRow]:
    """Isotope envelopes of a spectrum with their charges (from the isotope spacing).

    Two envelopes on the same m/z with different charges (a z and a 2z species) are two
    rows. Rows are sorted by apex m/z, then charge. ``min_peaks`` is the fewest isotope
    peaks an envelope may have: 6 suits metal clusters (tens of peaks); peptides and small
    molecules need 3.
    """
    from clusterms.spectra.baseline import baseline
    from clusterms.spectra.charge import detect_charges
    from clusterms.spectra.peaks import pick_peaks

    top = float(spectrum.intensity.max()) if len(spectrum) else 0.0
    scale = top / 1e6 if top > 1e100 else 1.0  # keep squares and sums finite
    if scale != 1.0:
        spectrum = spectrum.replace(intensity=spectrum.intensity / scale)
    spec = baseline(spectrum) if spectrum.mode != "centroid" else spectrum
    peaks = pick_peaks(spec, min_snr=min_snr)
    if len(peaks) == 0:
        return []
    rows = []
    for e in detect_charges(peaks, max_charge=max_charge, min_peaks=min_peaks):
        me, mp = neutral_masses(float(e.apex_mz), int(e.charge), polarity)
        rows.append(EnvelopeRow(apex_mz=float(e.apex_mz), charge=int(e.charge), intensity=float(e.intensity) * scale,
                                mass_electron=me, mass_proton=mp, n_peaks=len(e.members), score=float(e.score)))
    rows.sort(key=lambda r: (r.apex_mz, r.charge))
    return rows
