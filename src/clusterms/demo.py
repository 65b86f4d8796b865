"""`make demo`: the main job on the shipped example, end to end."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLE", "EXAMPLE_SPECIES", "run_demo"]

EXAMPLE = "example_AgI_AuII_simulated_R20000.mzML"
# The composition of the SIMULATED reaction mixture shipped as the example (relative areas).
EXAMPLE_SPECIES = {
    "[Ag29(BDT)12]3-": 100.0,
    "[AuAg24(DMBT)18]-": 45.0,
    "[AuAg52(BDT)12(DMBT)16]3-": 30.0,
    "[AuAg51(BDT)12(DMBT)15]3-": 10.0,
    "[AuAg53(BDT)12(DMBT)17]3-": 8.0,
    "[AuAg53(BDT)12(DMBT)18H]3-": 5.0,
    "[AuAg28(BDT)12]3-": 12.0,
    "[Ag25(DMBT)18]-": 10.0,
    "[Ag(DMBT)2]-": 4.0,
}
PARENTS_AND_DIMERS = ["Ag@I", "Au@I", "Pd@I", "Pt@I", "Ag@II", "Au@II", "Pd@II", "Pt@II",
                      "Ag@III", "Au@III", "Pd@III", "Pt@III", "Pd@IV", "Pt@IV",
                      "[Ag54(BDT)12(DMBT)18H]3-"]


def example_path() -> Path:
    """Path of the shipped example spectrum."""
    return Path(str(resources.files("clusterms.data").joinpath(EXAMPLE)))


def run_demo(out: Path, *, write: Callable[[str], None], force: bool = False) -> int:
    """Masses, electron counts and envelopes of the paper's ions, a simulated spectrum, and an
    assignment of the shipped (simulated) Ag@I + Au@II reaction mixture with its report
    (an existing ``out/assign`` is replaced only with ``force`` and only if it is a clusterms result)."""
    from clusterms.cli import main

    out.mkdir(parents=True, exist_ok=True)
    write("== Masses and electron counts of the paper's parent and dimer ions ==")
    main(["mass", *PARENTS_AND_DIMERS])
    write("")
    write("== Isotope envelopes (aggregated; peaks above 5 % of the base peak) ==")
    main(["pattern", "Ag@I", "Au@II", "Au@III", "--min-intensity", "5"])
    write("")
    sim = out / "simulated_AgI_AuII_mixture.mzML"
    write("== A SIMULATED spectrum of the Ag@I + Au@II mixture (not a measurement) ==")
    species = [f"{k}={v:g}" for k, v in EXAMPLE_SPECIES.items()]
    code = main(["simulate", *species, "--resolution", "20000", "--noise", "0.002", "--baseline",
                 "--calibration-ppm", "8", "--mz-range", "300", "6000", "--seed", "7", "--out", str(sim),
                 *(["--force"] if force else [])])
    if code:
        return code
    write(f"wrote {sim}")
    write("")
    write(f"== clusterms assign on the shipped example ({EXAMPLE}, simulated, R = 20,000) ==")
    code = main(["assign", str(example_path()), "--reactant", "Ag@I", "--reactant", "Au@II",
                 "--out", str(out / "assign"), *(["--force"] if force else [])])
    if code:
        return code
    write("")
    write(f"Report: {out / 'assign' / 'report.html'}")
    return 0
