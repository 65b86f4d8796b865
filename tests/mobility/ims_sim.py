"""Ion-mobility runs simulated without clusterms: IsoSpecPy envelopes (tests/render_independent.py)
in m/z, Gaussian conformers in drift time, Poisson counts, zero points dropped (as Waters writes).

Formulas are written out here by hand (BDT = C6H4S2, DMBT = C8H9S as bound), not through
clusterms' notation parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from render_independent import grid, profile

R = 20_000.0
DRIFT = np.round(np.arange(3.0, 9.0001, 0.06), 4)  # 101 bins, ms

# species notation -> (formula, signed charge)
MONOMER = "[Ag29(BDT)12]3-"
DIMER = "[Ag58(BDT)24]6-"
AG25 = "[Ag25(DMBT)18]-"
ABSENT = "[AuAg24(DMBT)18]-"
FORMULAS = {
    MONOMER: ("Ag29C72H48S24", -3),
    DIMER: ("Ag58C144H96S48", -6),
    AG25: ("Ag25C144H162S18", -1),
    ABSENT: ("AuAg24C144H162S18", -1),
}


@dataclass(frozen=True)
class Conformer:
    centre: float  # ms
    fwhm: float  # ms
    share: float  # of the species' ions


# The truth of the standard run: the dimer has two conformers and arrives while the monomer
# (same m/z) does; Ag25 has one; the AuAg24 species is absent.
TRUTH: dict[str, tuple[float, tuple[Conformer, ...]]] = {
    MONOMER: (2.0e6, (Conformer(5.5, 0.35, 1.0),)),
    DIMER: (1.5e6, (Conformer(4.8, 0.30, 0.6), Conformer(5.7, 0.35, 0.4))),
    AG25: (1.0e6, (Conformer(7.6, 0.40, 1.0),)),
}


def mz_grid() -> np.ndarray:
    return np.concatenate([grid(1595.0, 1612.0, R), grid(5140.0, 5280.0, R)])


def simulate(truth: dict[str, tuple[float, tuple[Conformer, ...]]] = TRUTH, *, seed: int = 7,
             background: float = 0.3, exact: bool = False) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(drift ms, m/z, counts) per drift bin; points with zero counts omitted. ``exact``: the
    expected counts themselves, no Poisson noise."""
    rng = np.random.default_rng(seed)
    x = mz_grid()
    dx = np.gradient(x)
    step = float(DRIFT[1] - DRIFT[0])
    shapes = {s: profile(x, *FORMULAS[s], R) * dx for s in truth}  # counts per ion, per point
    bins = []
    for t in DRIFT:
        mean = np.full(x.size, background)
        for s, (total, confs) in truth.items():
            frac = 0.0
            for c in confs:
                sigma = c.fwhm / 2.354820045
                frac += c.share * step * np.exp(-0.5 * ((t - c.centre) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
            mean += total * frac * shapes[s]
        counts = mean if exact else rng.poisson(mean).astype(np.float64)
        keep = counts > 0
        bins.append((float(t), x[keep], counts[keep]))
    return bins


def simulate_centroids(truth: dict[str, tuple[float, tuple[Conformer, ...]]] = TRUTH, *, seed: int = 5
                       ) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """As :func:`simulate` but centroided: one stick per aggregated isotope peak (isotopologues
    within 0.02 Da merged), Poisson counts, zero sticks omitted."""
    from render_independent import sticks

    rng = np.random.default_rng(seed)
    peaks = {}
    for s in truth:
        m, p = sticks(*FORMULAS[s])
        order = np.argsort(m)
        m, p = m[order], p[order]
        groups = np.split(np.arange(m.size), np.flatnonzero(np.diff(m) > 0.02) + 1)
        peaks[s] = (np.array([np.sum(m[g] * p[g]) / p[g].sum() for g in groups]),
                    np.array([p[g].sum() for g in groups]))
    step = float(DRIFT[1] - DRIFT[0])
    bins = []
    for t in DRIFT:
        mz, counts = [], []
        for s, (total, confs) in truth.items():
            frac = 0.0
            for c in confs:
                sigma = c.fwhm / 2.354820045
                frac += c.share * step * np.exp(-0.5 * ((t - c.centre) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
            mz.append(peaks[s][0])
            counts.append(rng.poisson(total * frac * peaks[s][1]).astype(np.float64))
        x, y = np.concatenate(mz), np.concatenate(counts)
        order = np.argsort(x)
        x, y = x[order], y[order]
        bins.append((float(t), x[y > 0], y[y > 0]))
    return bins


def write_mzml(path: Path, bins: list[tuple[float, np.ndarray, np.ndarray]], *, centroided: bool = False) -> Path:
    """One MS1 scan per drift bin with an 'ion mobility drift time' term (psims)."""
    import gc
    import warnings

    from psims.mzml.writer import MzMLWriter

    with warnings.catch_warnings():
        # psims leaves its vocabulary files open; they are closed (and would warn) at collection.
        warnings.simplefilter("ignore", ResourceWarning)
        _write(path, bins, MzMLWriter, centroided)
        gc.collect()
    return path


def _header(w: Any) -> None:
    """The mzML header both writers share (vocabularies, software, instrument, processing)."""
    w.controlled_vocabularies()
    w.file_description(["MS1 spectrum", "profile spectrum"])
    w.software_list([{"id": "sim", "version": "1", "params": ["custom unreleased software tool"]}])
    w.instrument_configuration_list([w.InstrumentConfiguration(id="IC1", component_list=[])])
    w.data_processing_list([w.DataProcessing([{"software_reference": "sim", "order": 0,
                                               "params": ["conversion to mzML"]}], id="DP1")])


def _write(path: Path, bins: list[tuple[float, np.ndarray, np.ndarray]], writer: type, centroided: bool) -> None:
    with open(path, "wb") as fh, writer(fh, close=False) as w:
        _header(w)
        with w.run(id="ims", instrument_configuration="IC1"), w.spectrum_list(count=len(bins)):
            for k, (t, mz, y) in enumerate(bins):
                w.write_spectrum(mz, y, id=f"scan={k + 1}", polarity="negative scan", centroided=centroided,
                                 scan_start_time=0.5,
                                 params=[{"ms level": 1}, "MS1 spectrum"],
                                 scan_params=[{"name": "ion mobility drift time", "value": t,
                                               "unit_name": "millisecond", "unit_accession": "UO:0000028",
                                               "unit_cv_ref": "UO"}])


def write_text(path: Path, bins: list[tuple[float, np.ndarray, np.ndarray]]) -> Path:
    """Three columns m/z, drift time (ms), intensity, comma-separated, with a header."""
    lines = ["mz,drift_time_ms,intensity"]
    for t, mz, y in bins:
        lines.extend(f"{m:.6f},{t:.4f},{v:.0f}" for m, v in zip(mz, y, strict=True))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path



def write_mzml_arrays(path: Path, frames: list[list[tuple[float, np.ndarray, np.ndarray]]]) -> Path:
    """One spectrum per frame holding all its drift bins' points, with a 'mean drift time array'
    beside m/z (as ProteoWizard's combineIonMobilitySpectra writes)."""
    import gc
    import warnings

    from psims.mzml.writer import MzMLWriter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with open(path, "wb") as fh, MzMLWriter(fh, close=False) as w:
            _header(w)
            with w.run(id="ims", instrument_configuration="IC1"), w.spectrum_list(count=len(frames)):
                for f, bins in enumerate(frames):
                    mz = np.concatenate([b[1] for b in bins])
                    y = np.concatenate([b[2] for b in bins])
                    dt = np.concatenate([np.full(b[1].size, b[0]) for b in bins])
                    w.write_spectrum(mz, y, id=f"frame={f + 1}", polarity="negative scan", centroided=False,
                                     params=[{"ms level": 1}, "MS1 spectrum"],
                                     other_arrays=[("mean drift time array", dt)],
                                     encoding={"m/z array": np.float64, "intensity array": np.float64,
                                               "mean drift time array": np.float64})
        gc.collect()
    return path
