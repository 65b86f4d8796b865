"""Realistic UV/vis spectra of the paper's clusters, built independently of clusterms.uvvis.

Bands are Gaussians on the energy axis (the natural line shape of electronic transitions) with
widths of 0.15-0.35 eV, on a UV rise; positions from the seed paper (Ag29(BDT)12: 447, 513 nm;
MAg24(SR)18: 395, 485, 640 nm).
"""

from __future__ import annotations

import numpy as np

HC = 1239.841984
WL = np.arange(300.0, 900.0 + 0.5, 1.0)


def bands(wl: np.ndarray, centres_nm: list[float], widths_ev: list[float], heights: list[float],
          uv: float) -> np.ndarray:
    e = HC / wl
    y = np.zeros_like(wl)
    for c, w, h in zip(centres_nm, widths_ev, heights, strict=True):
        y += h * np.exp(-0.5 * ((e - HC / c) / w) ** 2)
    return y + uv * np.exp(-(wl - 300.0) / 60.0)


def ag29(wl: np.ndarray = WL) -> np.ndarray:
    return bands(wl, [447.0, 513.0, 370.0], [0.18, 0.16, 0.35], [1.0, 0.55, 0.6], 0.8)


def mag24(wl: np.ndarray = WL) -> np.ndarray:
    return bands(wl, [395.0, 485.0, 640.0], [0.22, 0.2, 0.18], [0.9, 0.7, 0.25], 0.6)


def new_species(wl: np.ndarray = WL) -> np.ndarray:
    """A product band the references do not have (e.g. a dimer at 580 nm)."""
    return bands(wl, [580.0], [0.12], [1.0], 0.0)


def write_two_column(path, wl: np.ndarray, a: np.ndarray, *, header: str = "nm,A") -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for w, v in zip(wl, a, strict=True):
            fh.write(f"{w:.1f},{v:.6f}\n")
