"""Mixtures rendered without clusterms' simulator (IsoSpecPy sticks through a Gaussian), for the
assignment-honesty tests: calibration error, noise, resolving power, polarity, centroids."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from render_independent import grid, profile, sticks

from clusterms import Ion
from clusterms.spectra.spectrum import Spectrum


def render(species: dict[str, float], *, resolution: float = 20_000.0, ppm: float = 0.0, noise: float = 0.002,
           mz_range: tuple[float, float] = (300.0, 6000.0), seed: int = 0, polarity: str = "negative") -> Spectrum:
    """Profile spectrum of ``species`` (notation -> relative abundance as envelope area).

    The m/z axis carries a calibration error of ``ppm``; Gaussian noise of ``noise`` times the
    tallest point is added (clipped at zero).
    """
    x = grid(*mz_range, resolution=resolution)
    y = np.zeros_like(x)
    for text, abundance in species.items():
        ion = Ion.parse(text)
        y += abundance * profile(x, ion.formula, ion.charge, resolution)
    rng = np.random.default_rng(seed)
    y = np.maximum(y + noise * y.max() * rng.standard_normal(x.size), 0.0)
    return Spectrum(x * (1 + ppm * 1e-6), y, polarity=polarity, mode="profile")


def centroids(species: dict[str, float], *, ppm: float = 0.0, min_rel: float = 1e-3) -> Spectrum:
    """A vendor-style centroid list: one (m/z, area) per isotope peak, peaks at 1 mDa merged."""
    mzs, areas = [], []
    for text, abundance in species.items():
        ion = Ion.parse(text)
        mz, p = sticks(ion.formula, ion.charge)
        # nominal isotope peaks: the isotopologues within one 1/|z| bin merged (what a vendor
        # centroider reports at moderate resolution)
        key = np.rint((mz - mz[0]) * abs(ion.charge)).astype(int)
        w = np.bincount(key, p)
        c = np.bincount(key, p * mz)
        keep = w > min_rel * w.max()
        mzs.append(c[keep] / w[keep])
        areas.append(abundance * w[keep])
    mz = np.concatenate(mzs) * (1 + ppm * 1e-6)
    return Spectrum(mz, np.concatenate(areas), polarity="negative", mode="centroid")
