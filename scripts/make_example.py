"""Regenerate the shipped example spectrum (SIMULATED, not a measurement).

    .venv/bin/python scripts/make_example.py

Writes src/clusterms/data/example_AgI_AuII_simulated_R20000.mzML: a reaction mixture of
Ag@I ([Ag29(BDT)12]3-) and Au@II ([AuAg24(DMBT)18]-) with the dimers, losses, exchange
products and a fragment the paper reports, at resolving power 20,000 with shot and
detector noise, a baseline and a +8 ppm calibration error. The species and their relative
areas are clusterms.demo.EXAMPLE_SPECIES.
"""

from __future__ import annotations

from pathlib import Path

from clusterms import Ion
from clusterms.demo import EXAMPLE, EXAMPLE_SPECIES
from clusterms.simulate import simulate_spectrum
from clusterms.spectra.writers import write_mzml


def main() -> None:
    species = {Ion.parse(k): v for k, v in EXAMPLE_SPECIES.items()}
    spec = simulate_spectrum(species, resolution=20_000, noise=0.002, baseline=True, calibration_ppm=8.0,
                             mz_range=(300.0, 6000.0), seed=2024)
    out = Path(__file__).resolve().parents[1] / "src" / "clusterms" / "data" / EXAMPLE
    write_mzml(spec, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {len(spec):,} points)")


if __name__ == "__main__":
    main()
