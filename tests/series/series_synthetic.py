"""A reaction followed for 48 h, rendered independently (render_independent) from known share laws.

Ag@I [Ag29(BDT)12]3- decays (t1/2 16 h) to a plateau; Au@II [AuAg24(DMBT)18]- is stable until
12 h, then decays (t1/2 8 h); the dimer Au@III [AuAg52(BDT)12(DMBT)16]3- forms (t1/2 4 h);
[Ag25(DMBT)18]- takes the rest. The total ion current changes from spectrum to spectrum.
"""

from __future__ import annotations

import numpy as np
from render_independent import grid, profile

from clusterms.spectra.spectrum import Spectrum

LN2 = np.log(2.0)
TIMES = np.array([0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 24.0, 30.0, 36.0, 48.0])
AGI, AUII, AUIII, AG25 = ("[Ag29(BDT)12]3-", "[AuAg24(DMBT)18]-", "[AuAg52(BDT)12(DMBT)16]3-", "[Ag25(DMBT)18]-")
FORMULA = {AGI: ("C72H48Ag29S24", -3), AUII: ("C144H162Ag24AuS18", -1), AUIII: ("C200H192Ag52AuS40", -3),
           AG25: ("C144H162Ag25S18", -1)}
HALF = {AGI: 16.0, AUII: 8.0, AUIII: 4.0}
CHANGE_POINT = 12.0


def true_shares(t):
    t = np.asarray(t, dtype=float)
    agi = 0.1 + 0.3 * np.exp(-LN2 / HALF[AGI] * t)
    auii = np.where(t < CHANGE_POINT, 0.3, 0.3 * np.exp(-LN2 / HALF[AUII] * (t - CHANGE_POINT)))
    auiii = 0.25 * (1 - np.exp(-LN2 / HALF[AUIII] * t))
    return {AGI: agi, AUII: auii, AUIII: auiii, AG25: 1.0 - agi - auii - auiii}


def render_series(times=TIMES, *, resolution=20000.0, noise=0.002, seed=1):
    x = grid(lo=1000.0, hi=5600.0, resolution=resolution)
    prof = {s: profile(x, f, z, resolution) for s, (f, z) in FORMULA.items()}
    shares = true_shares(times)
    rng = np.random.default_rng(seed)
    out = []
    for i, _t in enumerate(times):
        tic = 1e6 * rng.uniform(0.5, 1.5)
        y = sum(tic * shares[s][i] * prof[s] for s in prof)
        y = y + noise * y.max() * np.abs(rng.normal(size=y.size))
        out.append(Spectrum(mz=x, intensity=y, polarity="negative", mode="profile"))
    return out
