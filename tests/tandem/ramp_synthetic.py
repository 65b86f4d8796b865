"""CID ramps rendered independently of clusterms' simulator, from known channel curves.

Isotopologues from IsoSpecPy (fine structure, binned at 1 mDa) through an area-normalised
Gaussian at the given resolving power on a log grid; the share of each species at each energy
comes from logistic rise and fall curves; the total ion current falls along the ramp (so raw
precursor intensity is not its survival yield); detector noise is added.
"""

from __future__ import annotations

import numpy as np
from render_independent import grid, profile

from clusterms.spectra.spectrum import Spectrum

PRECURSOR = "[AuAg52(BDT)12(DMBT)16]3-"
ENERGIES = np.arange(0.0, 61.0, 5.0)

# (species, formula, charge, rise centre, rise width, fall centre or None, fall width, weight)
# The paper's story (Figure 3): [AgL'2]- and the dianion of the precursor minus AgL'2 first, then
# [Ag31L12L']2-, [Ag30L12H]2-, [Ag29L12H]2-, and [Ag29L12]3- last.
CHANNELS = [
    ("[Ag(DMBT)2]-", "C16H18AgS2", -1, 16.0, 2.0, None, 1.0, 0.5),
    ("[AuAg51(BDT)12(DMBT)14]2-", "C184H174Ag51AuS38", -2, 17.0, 2.0, 36.0, 3.0, 1.0),
    ("[Ag31(BDT)12(DMBT)]2-", "C80H57Ag31S25", -2, 28.0, 2.5, 46.0, 3.0, 0.8),
    ("[Ag30(BDT)12H]2-", "C72H49Ag30S24", -2, 33.0, 2.5, 52.0, 3.0, 0.6),
    ("[Ag29(BDT)12H]2-", "C72H49Ag29S24", -2, 38.0, 2.5, None, 1.0, 0.5),
    ("[Ag29(BDT)12]3-", "C72H48Ag29S24", -3, 45.0, 2.5, None, 1.0, 0.7),
]
PRECURSOR_FORMULA = "C200H192Ag52AuS40"
CE50, CE50_WIDTH = 20.0, 2.5


def logistic(x, c, w):
    return 1.0 / (1.0 + np.exp(-(np.asarray(x) - c) / w))


def true_shares(e):
    """(precursor survival, {species: share}) at energies ``e`` (shares sum to 1)."""
    e = np.asarray(e, dtype=float)
    surv = 1.0 - logistic(e, CE50, CE50_WIDTH)
    raw = {}
    for name, _f, _z, rc, rw, fc, fw, weight in CHANNELS:
        curve = weight * logistic(e, rc, rw)
        if fc is not None:
            curve = curve * (1.0 - logistic(e, fc, fw))
        raw[name] = curve
    total = sum(raw.values())
    frag = {k: (1.0 - surv) * v / np.maximum(total, 1e-300) for k, v in raw.items()}
    return surv, frag


def appearance_truth(name):
    """Energy where the true share first reaches half of its maximum (dense grid)."""
    e = np.linspace(ENERGIES[0], ENERGIES[-1], 60001)
    _, frag = true_shares(e)
    s = frag[name]
    return float(e[np.argmax(s >= 0.5 * s.max())])


def ce50_truth():
    e = np.linspace(ENERGIES[0], ENERGIES[-1], 60001)
    surv, _ = true_shares(e)
    return float(e[np.argmin(np.abs(surv - 0.5))])


def render_ramp(*, resolution=20000.0, noise=0.002, seed=0, energies=ENERGIES):
    """{energy: Spectrum} of the simulated ramp."""
    x = grid(resolution=resolution)
    prec = profile(x, PRECURSOR_FORMULA, -3, resolution)
    profs = {name: profile(x, f, z, resolution) for name, f, z, *_ in CHANNELS}
    surv, frag = true_shares(energies)
    rng = np.random.default_rng(seed)
    out = {}
    for i, e in enumerate(energies):
        tic = 1e6 * (1.0 - 0.6 * e / energies[-1])
        y = tic * surv[i] * prec
        for name in profs:
            y = y + tic * frag[name][i] * profs[name]
        y = y + noise * y.max() * np.abs(rng.normal(size=y.size))
        out[float(e)] = Spectrum(mz=x, intensity=y, polarity="negative", mode="profile")
    return out
