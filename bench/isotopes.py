"""Aggregated isotope envelopes: clusterms against its peers, speed and accuracy in one run.

Run with ``.venv/bin/python bench/isotopes.py`` (``--json FILE`` also saves the results).
The peers are optional (``pip install -e '.[bench]'``); a peer that cannot be imported is
skipped with the reason printed.

What is measured
----------------
Speed. 400 distinct dimer-sized ions of the kind ``[MAg{n}(BDT){a}(DMBT){b}]{z}-`` (M in
Ag, Au, Pd, Pt; Ag 48-56; BDT 10-12; DMBT 12-18; charge 2-4-), a seeded sample of the full
grid. Every method turns text into an aggregated envelope (one peak per nominal isotope
shift, m/z and intensity arrays, base peak = 1):

- clusterms single: ``Ion.parse(text).envelope()`` for each string;
- clusterms batch: ``clusterms.envelopes(ions)`` on ions parsed before the clock starts;
- IsoSpecPy (the reference time): ``IsoTotalProb(formula=..., prob_to_cover=0.9999)`` for
  each formula, then aggregation by nominal shift with ``numpy.bincount`` (timed too);
- pyOpenMS: ``CoarseIsotopePatternGenerator(N).run(EmpiricalFormula(formula))``;
- molmass: ``Formula(formula).spectrum()`` (molmass aggregates by mass number itself);
- brainpy: ``isotopic_variants(counts, npeaks=N, charge=z, charge_carrier=-m_e)``.

N (peaks asked of pyOpenMS and brainpy) is the highest nominal shift of any 99.99 % envelope
in the set plus one, so both reach as far as the others. Peers get Hill formula strings (or,
for brainpy, an element-count dict) prepared before the clock starts; clusterms single parses
the ion notation inside the clock. Each method's loop also converts its output to numpy m/z
(anions carry extra electrons: m/z = (M - z m_e) / |z|, z signed) and base-peak intensities.

Each method first runs untimed on a few ions (imports, first calls), then the whole set is
timed ``--repeat`` times (default 5; a method slower than 5 s per repetition, i.e. molmass,
stops after 2) with ``time.perf_counter`` and the garbage collector off (as ``timeit`` does),
methods interleaved within each repetition. Reported: the BEST repetition, from which the
ratios and envelopes per second are computed (the median is also shown). Before every
clusterms repetition its caches (``_parse_cached`` and the engine's computed envelopes) are
cleared and, for the batch, the ions are parsed afresh, so no envelope is ever served from
a cache; clusterms' per-element FFT tables (process-wide, not per ion) are kept, as a
long-running program would keep them.

Accuracy. For a few representative ions, each method's envelope is compared with IsoSpecPy at
``prob_to_cover=0.999999`` aggregated by nominal shift (the oracle). Peaks are matched by
nearest m/z within half a nominal spacing (0.5/|z|). Over the oracle peaks above 1 % of the
base peak: the worst m/z error (ppm, signed) and the worst intensity difference (% of the
base peak, each envelope scaled to its own base peak). An oracle peak with no partner counts
as "missing" (its whole intensity is the difference); a method peak above 1 % with no oracle
partner counts as "extra". The median neutral peak spacing (Da) of each method is shown too.
Peers return neutral masses (brainpy is asked for m/z with an electron as charge carrier,
which gives the same convention; its default proton carrier is quantified separately).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.constants import physical_constants

import clusterms
from clusterms import Ion
from clusterms.chem import ion as ion_module
from clusterms.isotopes import engine as engine_module

FloatArray = NDArray[np.float64]
Peaks = tuple[FloatArray, FloatArray]  # (m/z ascending, intensity with base peak 1)
# symbol -> (isotope masses, abundances) as a peer knows them
IsotopeTable = Callable[[str], tuple[list[float], list[float]]]

ELECTRON_MASS: float = float(physical_constants["electron mass in u"][0])  # CODATA, u
COVERAGE = 0.9999
ORACLE_COVERAGE = 0.999_999
INTENSITY_FLOOR = 0.01  # accuracy is judged on peaks above 1 % of the base peak

N_IONS = 400
SEED = 20_240_601
WARMUP_IONS = 8
REPEAT = 5
# A method slower than this per repetition stops after SLOW_REPEAT runs (molmass takes ~20 s),
# which keeps the whole benchmark within about two minutes on two cores.
SLOW_SECONDS = 5.0
SLOW_REPEAT = 2

# Targets (ratios against looping IsoSpecPy, measured in the same run).
TARGET_SINGLE_RATIO = 0.3  # clusterms single time <= 0.3 x IsoSpecPy time
TARGET_BATCH_SPEEDUP = 10.0  # clusterms batch >= 10 x faster than IsoSpecPy
TARGET_BATCH_EPS = 50_000.0  # envelopes per second
TARGET_PPM = 0.1
TARGET_INTENSITY_PCT = 0.1

REPRESENTATIVE = (
    "[Ag29(BDT)12]3-",
    "[Ag25(DMBT)18]-",
    "[AuAg52(BDT)12(DMBT)16]3-",
    "[PdAg52(BDT)12(DMBT)16]3-",
    "[PtAg53(BDT)12(DMBT)16]3-",
    "[Au144(PET)60]-",
)

REFERENCE = "IsoSpecPy"
SINGLE = "clusterms single"
BATCH = "clusterms batch"


# Ions -----------------------------------------------------------------------------------
def dimer_ions(count: int = N_IONS, /, *, seed: int = SEED) -> list[str]:
    """``count`` distinct dimer-sized ion strings, a seeded sample of the full grid."""
    grid = set()
    for metal, n, bdt, dmbt, z in itertools.product(
        ("Ag", "Au", "Pd", "Pt"), range(48, 57), range(10, 13), range(12, 19), range(2, 5)
    ):
        core = f"Ag{n + 1}" if metal == "Ag" else f"{metal}Ag{n}"
        grid.add(f"[{core}(BDT){bdt}(DMBT){dmbt}]{z}-")
    if count > len(grid):
        raise SystemExit(f"--count must be at most {len(grid)}, got {count}")
    return random.Random(seed).sample(sorted(grid), count)


# The classes of ions users have, each timed on its own (issue: a sample of Pd/Pt dimers alone
# hid that the single path lost to IsoSpecPy on Ag/Au-only clusters).
CLASS_COUNT = 300
TARGET_CLASS_SINGLE_RATIO = 0.15


def _class_grid(name: str) -> set[str]:
    grid: set[str] = set()
    if name in ("Ag/Au only", "Pd/Pt-doped"):
        metals = ("Ag", "Au") if name == "Ag/Au only" else ("Pd", "Pt")
        for metal, n, bdt, dmbt, z in itertools.product(
            metals, range(20, 61, 2), range(1, 13), range(8, 21, 2), range(1, 5)
        ):
            core = f"Ag{n + 1}" if metal == "Ag" else f"{metal}Ag{n}"
            grid.add(f"[{core}(BDT){bdt}(DMBT){dmbt}]{z}-")
    elif name == "Au144-sized":
        for au, ag, pet, z in itertools.product(range(100, 145, 4), range(0, 41, 4), range(50, 61), range(1, 5)):
            core = f"Au{au}" + (f"Ag{ag}" if ag else "")
            grid.add(f"[{core}(PET){pet}]{z}-")
    elif name == "small fragments":
        for ag, dmbt, bdt, z in itertools.product(range(1, 13), range(0, 13), range(0, 3), range(1, 3)):
            if dmbt + bdt == 0:
                continue
            ligs = (f"(BDT){bdt}" if bdt else "") + (f"(DMBT){dmbt}" if dmbt else "")
            grid.add(f"[Ag{ag}{ligs}]{z}-")
    else:  # pragma: no cover - programming error
        raise SystemExit(f"unknown ion class {name!r}")
    return grid


ION_CLASSES = ("Ag/Au only", "Pd/Pt-doped", "Au144-sized", "small fragments")


def class_ions(name: str, count: int = CLASS_COUNT, /, *, seed: int = SEED) -> list[str]:
    """``count`` distinct ion strings of one class (seeded sample)."""
    grid = sorted(_class_grid(name))
    return random.Random(seed).sample(grid, min(count, len(grid)))


def clear_clusterms_caches() -> None:
    """Clear the caches so no envelope is served from a previous repetition."""
    for name in ("_parse_cached",):
        cached = getattr(ion_module, name, None)
        if cached is None or not hasattr(cached, "cache_clear"):
            raise SystemExit(
                f"clusterms.chem.ion.{name} is gone: bench/isotopes.py must clear every "
                "per-ion cache before timing; update clear_clusterms_caches()"
            )
        cached.cache_clear()
    engine_module.clear_envelope_cache()  # the batch engine's own cache of computed envelopes


# Shared conversions ---------------------------------------------------------------------
def to_mz(mass: FloatArray, charge: int) -> FloatArray:
    """Neutral masses to m/z; a neutral keeps its mass."""
    if charge == 0:
        return mass
    return (mass - charge * ELECTRON_MASS) / abs(charge)


def to_mass(mz: FloatArray, charge: int) -> FloatArray:
    """m/z back to neutral masses (inverse of :func:`to_mz`)."""
    if charge == 0:
        return mz
    return mz * abs(charge) + charge * ELECTRON_MASS


def peaks(mass: FloatArray, intensity: FloatArray, charge: int) -> Peaks:
    """Sorted m/z and base-peak-scaled intensity from neutral masses and weights."""
    order = np.argsort(mass)
    inten = intensity[order]
    return to_mz(mass[order], charge), inten / inten.max()


def aggregate_fine(mass: FloatArray, prob: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Fine-structure peaks -> one probability-weighted mean mass per nominal shift.

    Any isotopologue serves as the reference instead of the all-lightest one: mass
    differences between isotopologues of one formula are within a few tenths of an integer,
    so the shift labels differ from the lightest-isotope ones by a constant only.
    """
    shift = np.rint(mass - mass.min()).astype(np.intp)
    p: FloatArray = np.bincount(shift, weights=prob).astype(np.float64, copy=False)
    w: FloatArray = np.bincount(shift, weights=prob * mass).astype(np.float64, copy=False)
    keep = p > 0
    return w[keep] / p[keep], p[keep]


# Methods --------------------------------------------------------------------------------
@dataclass
class Method:
    """One way to compute envelopes: prepared inputs -> list of peaks."""

    name: str
    version: str
    run: Callable[[Sequence[Any], Sequence[int]], list[Peaks]] | None = None
    prepare: Callable[[Ion], Any] = lambda ion: ion.formula
    skipped: str = ""
    table: IsotopeTable | None = None  # the peer's own isotope masses and abundances


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def isospec_envelope(formula: str, charge: int, coverage: float) -> Peaks:
    """IsoSpecPy total-probability fine structure, aggregated by nominal shift."""
    import IsoSpecPy

    iso = IsoSpecPy.IsoTotalProb(formula=formula, prob_to_cover=coverage)
    mass, prob = aggregate_fine(np.asarray(iso.np_masses()), np.asarray(iso.np_probs()))
    return peaks(mass, prob, charge)


def isospec_with_table(ion: Ion, table: IsotopeTable, coverage: float) -> Peaks:
    """The oracle computed with another isotope table (separates table from algorithm)."""
    import IsoSpecPy

    symbols = sorted(ion.composition)
    masses, probs = [], []
    for sym in symbols:
        m, p = table(sym)
        total = sum(p)
        masses.append(list(m))
        probs.append([q / total for q in p])  # pyOpenMS keeps float32 abundances
    iso = IsoSpecPy.IsoTotalProb(prob_to_cover=coverage,
                                 atomCounts=[ion.composition[s] for s in symbols],
                                 isotopeMasses=masses, isotopeProbabilities=probs)
    mass, prob = aggregate_fine(np.asarray(iso.np_masses()), np.asarray(iso.np_probs()))
    return peaks(mass, prob, ion.charge)


def isospec_table(symbol: str) -> tuple[list[float], list[float]]:
    from IsoSpecPy import PeriodicTbl

    return list(PeriodicTbl.symbol_to_masses[symbol]), list(PeriodicTbl.symbol_to_probs[symbol])


def clusterms_methods() -> list[Method]:
    version = clusterms.__version__

    def single(texts: Sequence[str], _charges: Sequence[int]) -> list[Peaks]:
        out = []
        for text in texts:
            env = Ion.parse(text).envelope()
            out.append((env.mz, env.intensity))
        return out

    def batch(ions: Sequence[Ion], _charges: Sequence[int]) -> list[Peaks]:
        return [(env.mz, env.intensity) for env in clusterms.envelopes(ions)]

    return [
        Method(SINGLE, version, single, prepare=lambda ion: ion.notation),
        Method(BATCH, version, batch, prepare=lambda ion: ion),
    ]


def isospec_method() -> Method:
    def run(formulas: Sequence[str], charges: Sequence[int]) -> list[Peaks]:
        return [isospec_envelope(f, z, COVERAGE) for f, z in zip(formulas, charges, strict=True)]

    return Method(REFERENCE, _version("IsoSpecPy"), run)


def pyopenms_method(n_peaks: int) -> Method:
    try:
        import pyopenms
    except Exception as exc:  # ImportError, or a broken binary wheel
        return Method("pyOpenMS", "-", skipped=f"cannot import pyopenms: {exc}")
    generator = pyopenms.CoarseIsotopePatternGenerator(n_peaks)

    def run(formulas: Sequence[str], charges: Sequence[int]) -> list[Peaks]:
        out = []
        for f, z in zip(formulas, charges, strict=True):
            dist = generator.run(pyopenms.EmpiricalFormula(f)).getContainer()
            mass = np.fromiter((p.getMZ() for p in dist), np.float64, len(dist))
            inten = np.fromiter((p.getIntensity() for p in dist), np.float64, len(dist))
            out.append(peaks(mass, inten, z))
        return out

    elements = pyopenms.ElementDB()

    def table(symbol: str) -> tuple[list[float], list[float]]:
        dist = elements.getElement(symbol).getIsotopeDistribution().getContainer()
        pairs = [(p.getMZ(), p.getIntensity()) for p in dist if p.getIntensity() > 0]
        return [m for m, _ in pairs], [q for _, q in pairs]

    return Method(f"pyOpenMS coarse({n_peaks})", _version("pyopenms"), run, table=table)


def molmass_method() -> Method:
    try:
        from molmass import ELEMENTS, Formula
    except Exception as exc:
        return Method("molmass", "-", skipped=f"cannot import molmass: {exc}")

    def run(formulas: Sequence[str], charges: Sequence[int]) -> list[Peaks]:
        out = []
        for f, z in zip(formulas, charges, strict=True):
            entries = list(Formula(f).spectrum().values())
            mass = np.fromiter((e.mass for e in entries), np.float64, len(entries))
            frac = np.fromiter((e.fraction for e in entries), np.float64, len(entries))
            out.append(peaks(mass, frac, z))
        return out

    def table(symbol: str) -> tuple[list[float], list[float]]:
        isotopes = [i for i in ELEMENTS[symbol].isotopes.values() if i.abundance > 0]
        return [i.mass for i in isotopes], [i.abundance for i in isotopes]

    return Method("molmass spectrum()", _version("molmass"), run, table=table)


def brainpy_method(n_peaks: int) -> Method:
    try:
        from brainpy import isotopic_variants, periodic_table
    except Exception as exc:
        return Method("brainpy", "-", skipped=f"cannot import brainpy: {exc}")
    if _version("brain-isotopic-distribution") == "?":
        # The PyPI name "brainpy" is an unrelated neuroscience package.
        return Method("brainpy", "-", skipped="the importable brainpy is not "
                      "brain-isotopic-distribution")

    def run(counts: Sequence[dict[str, int]], charges: Sequence[int]) -> list[Peaks]:
        out = []
        for comp, z in zip(counts, charges, strict=True):
            # An electron as charge carrier: m/z = (M + z * (-m_e)) / |z|, our convention.
            dist = isotopic_variants(comp, npeaks=n_peaks, charge=z,
                                     charge_carrier=-ELECTRON_MASS)
            mz = np.fromiter((p.mz for p in dist), np.float64, len(dist))
            inten = np.fromiter((p.intensity for p in dist), np.float64, len(dist))
            order = np.argsort(mz)
            out.append((mz[order], inten[order] / inten.max()))
        return out

    def table(symbol: str) -> tuple[list[float], list[float]]:
        isotopes = [i for i in periodic_table[symbol].isotopes.values() if i.abundance > 0]
        return [i.mass for i in isotopes], [i.abundance for i in isotopes]

    return Method(f"brainpy({n_peaks})", _version("brain-isotopic-distribution"), run,
                  prepare=lambda ion: dict(ion.composition.items()), table=table)


# Timing ---------------------------------------------------------------------------------
@dataclass
class Timing:
    method: str
    version: str
    runs: list[float] = field(default_factory=list)
    skipped: str = ""

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def _timed(fn: Callable[[], object]) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def time_methods(methods: Sequence[Method], ions: Sequence[Ion], repeat: int) -> list[Timing]:
    """Wall times of each method over ``ions``, ``repeat`` runs (methods interleaved).

    A method whose best run exceeds ``SLOW_SECONDS`` stops after ``SLOW_REPEAT`` runs.
    """
    charges = [ion.charge for ion in ions]
    texts = [ion.notation for ion in ions]
    timings = [Timing(m.name, m.version, skipped=m.skipped) for m in methods]
    live = [(m, t) for m, t in zip(methods, timings, strict=True) if m.run is not None]
    inputs = {m.name: [m.prepare(ion) for ion in ions] for m, _ in live}
    for m, t in live:  # warm-up: imports and first calls stay out of the clock
        try:
            m.run(inputs[m.name][:WARMUP_IONS], charges[:WARMUP_IONS])  # type: ignore[misc]
        except Exception as exc:
            t.skipped = f"failed: {type(exc).__name__}: {exc}"
    for _ in range(repeat):
        for m, t in live:
            if t.skipped or m.run is None:
                continue
            if len(t.runs) >= SLOW_REPEAT and min(t.runs) > SLOW_SECONDS:
                continue
            run = m.run
            data = inputs[m.name]
            if m.name in (SINGLE, BATCH):
                clear_clusterms_caches()
            if m.name == BATCH:  # fresh Ion objects: composition is not cached on them either
                data = [Ion.parse(text) for text in texts]
            try:
                t.runs.append(_timed(partial(run, data, charges)))
            except Exception as exc:
                t.skipped = f"failed: {type(exc).__name__}: {exc}"
    return timings


# Accuracy -------------------------------------------------------------------------------
@dataclass
class Accuracy:
    ion: str
    method: str
    compared: int = 0  # oracle peaks above the floor
    missing: int = 0
    extra: int = 0
    worst_ppm: float | None = None
    worst_intensity_pct: float | None = None
    spacing_da: float | None = None
    oracle_spacing_da: float | None = None
    own_table_ppm: float | None = None  # against the oracle run with the peer's own table
    own_table_intensity_pct: float | None = None
    note: str = ""


def compare(ion: Ion, method: str, got: Peaks, oracle: Peaks) -> Accuracy:
    """Worst m/z (ppm) and intensity (% of base) differences over oracle peaks above 1 %."""
    z = ion.charge
    tol = 0.5 / max(abs(z), 1)
    mz, inten = got
    omz, ointen = oracle
    row = Accuracy(str(ion), method)
    row.oracle_spacing_da = _spacing(omz, ointen, z)
    if mz.size == 0 or not np.all(np.isfinite(mz)) or not np.all(np.isfinite(inten)):
        row.note = f"returned {mz.size} peaks, some not finite" if mz.size else "no peaks"
        return row
    row.spacing_da = _spacing(mz, inten, z)
    big = np.nonzero(ointen > INTENSITY_FLOOR)[0]
    row.compared = int(big.size)
    ppm: list[float] = []
    dint: list[float] = []
    matched: set[int] = set()
    for i in big:
        j = int(np.argmin(np.abs(mz - omz[i])))
        if abs(mz[j] - omz[i]) > tol:
            row.missing += 1
            dint.append(-ointen[i])
            continue
        matched.add(j)
        ppm.append((mz[j] - omz[i]) / omz[i] * 1e6)
        dint.append(inten[j] - ointen[i])
    for k in np.nonzero(inten > INTENSITY_FLOOR)[0]:
        if int(k) not in matched and np.min(np.abs(omz - mz[k])) > tol:
            row.extra += 1
            dint.append(inten[k])
    if ppm:
        row.worst_ppm = float(max(ppm, key=abs))
    if dint:
        row.worst_intensity_pct = float(max(dint, key=abs)) * 100
    if row.missing or row.extra:
        row.note = (f"returned {mz.size} peaks, m/z {mz.min():.2f}..{mz.max():.2f}, "
                    f"oracle {omz[big].min():.2f}..{omz[big].max():.2f}")
    return row


def _spacing(mz: FloatArray, intensity: FloatArray, charge: int) -> float | None:
    """Median neutral spacing (Da) between neighbouring peaks above the floor."""
    big = mz[intensity > INTENSITY_FLOOR]
    if big.size < 2:
        return None
    return float(np.median(np.diff(to_mass(big, charge))))


def accuracy(methods: Sequence[Method], texts: Sequence[str]) -> list[Accuracy]:
    """Each live method on each representative ion against the IsoSpecPy oracle."""
    ions = [Ion.parse(t) for t in texts]
    rows: list[Accuracy] = []
    for ion in ions:
        oracle = isospec_envelope(ion.formula, ion.charge, ORACLE_COVERAGE)
        for m in methods:
            if m.run is None:
                continue
            try:
                clear_clusterms_caches()
                item = Ion.parse(ion.notation) if m.name == BATCH else m.prepare(ion)
                got = m.run([item], [ion.charge])[0]
            except Exception as exc:
                row = Accuracy(str(ion), m.name)
                row.note = f"failed: {type(exc).__name__}: {exc}"
                rows.append(row)
                continue
            row = compare(ion, m.name, got, oracle)
            if m.table is not None:
                try:
                    own = compare(ion, m.name, got,
                                  isospec_with_table(ion, m.table, ORACLE_COVERAGE))
                    row.own_table_ppm = own.worst_ppm
                    row.own_table_intensity_pct = own.worst_intensity_pct
                except Exception as exc:
                    row.note = (row.note + "; " if row.note else "") + (
                        f"own-table oracle failed: {type(exc).__name__}: {exc}")
            rows.append(row)
    return rows


def table_note(methods: Sequence[Method]) -> str:
    """13C and 34S abundances as each source tabulates them."""
    parts = []
    for name, table in [("IsoSpecPy", isospec_table),
                        *((m.name.split(" ")[0].split("(")[0], m.table) for m in methods
                          if m.table is not None)]:
        try:
            c_mass, c_prob = table("C")
            s_mass, s_prob = table("S")
            c13 = c_prob[int(np.argmin(np.abs(np.asarray(c_mass) - 13.003)))] / sum(c_prob)
            s34 = s_prob[int(np.argmin(np.abs(np.asarray(s_mass) - 33.968)))] / sum(s_prob)
            parts.append(f"{name} {c13:.4%} / {s34:.4%}")
        except Exception as exc:
            parts.append(f"{name} failed: {exc}")
    return "13C / 34S abundance by table: " + ", ".join(parts)


def brainpy_proton_offset(text: str) -> str:
    """How far brainpy's default (proton carrier) puts the first peak of an anion."""
    try:
        from brainpy import isotopic_variants
    except Exception as exc:
        return f"brainpy unavailable: {exc}"
    ion = Ion.parse(text)
    comp = dict(ion.composition.items())
    default = isotopic_variants(comp, npeaks=3, charge=ion.charge)
    electron = isotopic_variants(comp, npeaks=3, charge=ion.charge, charge_carrier=-ELECTRON_MASS)
    d = default[0].mz - electron[0].mz
    return (f"brainpy with its default proton carrier puts {ion} at {d:+.5f} m/z "
            f"({d / electron[0].mz * 1e6:+.0f} ppm) from (M - z m_e)/|z|")


# Output ---------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """A markdown table with padded columns (reads as plain text too)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def timing_rows(timings: Sequence[Timing], n: int) -> tuple[list[list[str]], dict[str, Any]]:
    ref = next((t for t in timings if t.method == REFERENCE and t.runs), None)
    rows: list[list[str]] = []
    ratios: dict[str, Any] = {}
    for t in timings:
        if not t.runs:
            rows.append([t.method, t.version, "0", "-", "-", "-", "-",
                         t.skipped or "no runs"])
            continue
        if ref is None:
            vs = "IsoSpecPy missing"
        elif t is ref:
            vs = "reference"
        else:
            r = t.best / ref.best
            ratios[t.method] = r
            vs = (f"{r:.3f}x IsoSpecPy time ({1 / r:.1f}x faster)" if r < 1
                  else f"{r:.2f}x IsoSpecPy time ({r:.1f}x slower)")
        rows.append([t.method, t.version, str(len(t.runs)), f"{t.best:.4f}", f"{t.median:.4f}",
                     f"{n / t.best:,.0f}", vs, t.skipped])
    return rows, ratios


def targets(timings: Sequence[Timing], n: int) -> list[tuple[str, str, bool | None]]:
    by = {t.method: t for t in timings if t.runs}
    ref, single, batch = by.get(REFERENCE), by.get(SINGLE), by.get(BATCH)
    out: list[tuple[str, str, bool | None]] = []
    if ref and single:
        r = single.best / ref.best
        out.append((f"clusterms single <= {TARGET_SINGLE_RATIO}x IsoSpecPy time",
                    f"{r:.3f}x", r <= TARGET_SINGLE_RATIO))
    if ref and batch:
        s = ref.best / batch.best
        out.append((f"clusterms batch >= {TARGET_BATCH_SPEEDUP:.0f}x faster than IsoSpecPy loop",
                    f"{s:.1f}x", s >= TARGET_BATCH_SPEEDUP))
    if batch:
        eps = n / batch.best
        out.append((f"clusterms batch >= {TARGET_BATCH_EPS:,.0f} envelopes/s",
                    f"{eps:,.0f}/s", eps >= TARGET_BATCH_EPS))
    return out


def accuracy_targets(rows: Sequence[Accuracy]) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    for name in (SINGLE, BATCH):
        mine = [r for r in rows if r.method == name]
        if not mine:
            continue
        ok_rows = [r for r in mine if r.worst_ppm is not None and r.worst_intensity_pct is not None
                   and not r.missing and not r.extra]
        ppm = max((abs(r.worst_ppm or 0) for r in ok_rows), default=float("nan"))
        pct = max((abs(r.worst_intensity_pct or 0) for r in ok_rows), default=float("nan"))
        ok = len(ok_rows) == len(mine) and ppm < TARGET_PPM and pct < TARGET_INTENSITY_PCT
        out.append((f"{name} vs oracle < {TARGET_PPM} ppm and < {TARGET_INTENSITY_PCT} % of base",
                    f"{ppm:.3g} ppm, {pct:.3g} %", ok))
    return out


def verdict_rows(items: Sequence[tuple[str, str, bool | None]]) -> list[list[str]]:
    return [[what, got, "PASS" if ok else "FAIL"] for what, got, ok in items]


def accuracy_cell(r: Accuracy, *, own_table: bool = False) -> str:
    if r.note.startswith("failed"):
        return r.note
    ppm, pct = ((r.own_table_ppm, r.own_table_intensity_pct) if own_table
                else (r.worst_ppm, r.worst_intensity_pct))
    cell = f"{_fmt(ppm, '+.3g')} ppm / {_fmt(pct, '+.3g')} %"
    if r.missing or r.extra:
        cell += f" ({r.missing} missing, {r.extra} extra)"
    return cell


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help="timed repetitions, best kept (methods slower than "
                             f"{SLOW_SECONDS:g} s stop after {SLOW_REPEAT})")
    parser.add_argument("--count", type=int, default=N_IONS, help="number of distinct ions")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the ion sample")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")

    started = time.perf_counter()
    texts = dimer_ions(args.count, seed=args.seed)
    ions = [Ion.parse(t) for t in texts]
    if len({ion.notation for ion in ions}) != len(ions):
        raise SystemExit("the ion sample has duplicates after parsing")
    # Peaks to ask of pyOpenMS/brainpy: reach the highest shift of any 99.99 % envelope.
    light = {ion.notation: _lightest_mass(ion) for ion in ions}
    envs = clusterms.envelopes(ions)
    reach = max(int(np.rint(to_mass(e.mz, ion.charge).max() - light[ion.notation]))
                for ion, e in zip(ions, envs, strict=True))
    for text in REPRESENTATIVE:
        rep = Ion.parse(text)
        top = to_mass(rep.envelope().mz, rep.charge).max()
        reach = max(reach, int(np.rint(top - _lightest_mass(rep))))
    n_peaks = reach + 1

    methods = [*clusterms_methods(), isospec_method(), pyopenms_method(n_peaks),
               molmass_method(), brainpy_method(n_peaks)]

    env_line = (f"Python {platform.python_version()}, numpy {np.__version__}, "
                f"{os.cpu_count()} cores, {platform.machine()}, "
                f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    print("Aggregated isotope envelopes: clusterms vs peers")
    print(env_line)
    print(f"{len(ions)} distinct ions, e.g. {', '.join(texts[:3])}")
    print(f"pyOpenMS/brainpy asked for {n_peaks} peaks (highest nominal shift of the "
          f"{COVERAGE:.2%} envelopes + 1)")
    for m in methods:
        if m.skipped:
            print(f"SKIPPED {m.name}: {m.skipped}")
    print(f"timing: best of {args.repeat} repetitions ({SLOW_REPEAT} for methods slower than "
          f"{SLOW_SECONDS:g} s), median also shown, gc off ...", flush=True)

    timings = time_methods(methods, ions, args.repeat)
    trows, ratios = timing_rows(timings, len(ions))
    print()
    print(f"Speed, {len(ions)} envelopes per repetition (seconds: best and median of the runs; "
          "ratios and env/s from the best)")
    print(table(["method", "version", "runs", "best s", "median s", "env/s", "vs IsoSpecPy",
                 "note"], trows, right={2, 3, 4, 5}))
    speed_verdicts = targets(timings, len(ions))
    print()
    print(table(["target", "measured", "verdict"], verdict_rows(speed_verdicts), right=set()))

    class_rows, class_results = per_class(args.repeat, args.seed)
    print()
    print(f"Per class of ion ({CLASS_COUNT} distinct ions each; clusterms single includes parsing "
          "the notation, IsoSpecPy gets formula strings):")
    print(table(["class", "example", "single ms", "batch ms", "IsoSpecPy ms", "single/IsoSpecPy",
                 "batch/IsoSpecPy", "batch env/s", f"single <= {TARGET_CLASS_SINGLE_RATIO}x"],
                class_rows, right={2, 3, 4, 5, 6, 7}))

    print()
    print(f"Accuracy against IsoSpecPy at prob_to_cover={ORACLE_COVERAGE} aggregated by nominal "
          f"shift, peaks above {INTENSITY_FLOOR:.0%} of base", flush=True)
    acc = accuracy(methods, REPRESENTATIVE)
    arows = [[r.ion, r.method, str(r.compared), _fmt(r.worst_ppm, "+.4g"),
              _fmt(r.worst_intensity_pct, "+.4g"), f"{r.missing}/{r.extra}",
              _fmt(r.own_table_ppm, "+.4g"), _fmt(r.own_table_intensity_pct, "+.4g"),
              _fmt(r.spacing_da, ".6f"), _fmt(r.oracle_spacing_da, ".6f"), r.note]
             for r in acc]
    print(table(["ion", "method", "peaks", "worst ppm", "worst Δint %", "miss/extra",
                 "own-table ppm", "own-table Δint %", "spacing Da", "oracle Da", "note"],
                arows, right={2, 3, 4, 6, 7, 8, 9}))
    print("peaks: oracle peaks above the floor; own-table: against the oracle recomputed with "
          "the peer's own isotope masses and abundances (algorithm error alone); spacing: "
          "median neutral spacing of the peaks above the floor")
    tables_line = table_note(methods)
    print(tables_line)
    acc_verdicts = accuracy_targets(acc)
    print()
    print(table(["target", "measured", "verdict"], verdict_rows(acc_verdicts), right=set()))
    proton_note = brainpy_proton_offset("[Ag29(BDT)12]3-")
    print()
    print(proton_note)

    # Summary for the README ---------------------------------------------------------------
    method_names = [m.name for m in methods if m.run is not None]
    pivot = [[name, *(accuracy_cell(r) for text in REPRESENTATIVE for r in acc
                      if r.method == name and r.ion == str(Ion.parse(text)))]
             for name in method_names]
    print()
    print("## Summary (markdown)")
    print()
    print(f"{len(ions)} distinct dimer-sized ions, best of {args.repeat} runs ({SLOW_REPEAT} "
          f"for methods slower than {SLOW_SECONDS:g} s); {env_line}.")
    print()
    brief = [[r[0], r[1], r[3], r[5], r[7] if r[6] == "-" else r[6]] for r in trows]
    print(table(["method", "version", "best s", "env/s", "vs IsoSpecPy"], brief, right={2, 3}))
    print()
    print(table(["target", "measured", "verdict"],
                verdict_rows([*speed_verdicts, *acc_verdicts]), right=set()))
    print()
    print(f"Worst m/z error / worst intensity difference (% of base) against IsoSpecPy "
          f"({ORACLE_COVERAGE}), peaks above {INTENSITY_FLOOR:.0%}:")
    print()
    print(table(["method", *(str(Ion.parse(t)) for t in REPRESENTATIVE)], pivot, right=set()))
    own = [[m.name, *(accuracy_cell(r, own_table=True) for text in REPRESENTATIVE for r in acc
                      if r.method == m.name and r.ion == str(Ion.parse(text)))]
           for m in methods if m.run is not None and m.table is not None]
    if own:
        print()
        print("The same for the peers against the oracle recomputed with each peer's own isotope "
              "table (what is left is the algorithm's error):")
        print()
        print(table(["method", *(str(Ion.parse(t)) for t in REPRESENTATIVE)], own, right=set()))
    print()
    print(tables_line + "; " + proton_note)
    elapsed = time.perf_counter() - started
    print()
    print(f"(benchmark took {elapsed:.0f} s)")

    if args.json:
        result = {
            "environment": env_line,
            "ions": texts,
            "repeat": args.repeat,
            "statistic": "best",
            "n_peaks_requested": n_peaks,
            "timings": [{**asdict(t), "best": t.best if t.runs else None,
                         "median": t.median if t.runs else None,
                         "envelopes_per_s": len(ions) / t.best if t.runs else None}
                        for t in timings],
            "ratio_to_isospecpy_time": ratios,
            "targets": [{"target": w, "measured": g, "pass": ok}
                        for w, g, ok in [*speed_verdicts, *acc_verdicts]],
            "accuracy": [asdict(r) for r in acc],
            "per_class": class_results,
            "brainpy_proton_carrier": proton_note,
            "isotope_tables": tables_line,
            "elapsed_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


def per_class(repeat: int, seed: int) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Time clusterms single, batch and IsoSpecPy on each class of ions (same run)."""
    rows: list[list[str]] = []
    results: list[dict[str, Any]] = []
    for name in ION_CLASSES:
        texts = class_ions(name, seed=seed)
        ions = [Ion.parse(t) for t in texts]
        methods = [*clusterms_methods(), isospec_method()]
        by = {t.method: t for t in time_methods(methods, ions, repeat) if t.runs}
        ref, single, batch = by.get(REFERENCE), by.get(SINGLE), by.get(BATCH)
        if not (ref and single and batch):
            rows.append([name, texts[0], "-", "-", "-", "-", "-", "-", "skipped"])
            continue
        n = len(ions)
        rs, rb = single.best / ref.best, batch.best / ref.best
        rows.append([name, texts[0], f"{1e3 * single.best / n:.3f}", f"{1e3 * batch.best / n:.4f}",
                     f"{1e3 * ref.best / n:.3f}", f"{rs:.3f}x", f"{rb:.3f}x", f"{n / batch.best:,.0f}",
                     "pass" if rs <= TARGET_CLASS_SINGLE_RATIO else "FAIL"])
        results.append({"class": name, "ions": n, "single_s": single.best, "batch_s": batch.best,
                        "isospecpy_s": ref.best, "single_ratio": rs, "batch_ratio": rb,
                        "batch_envelopes_per_s": n / batch.best})
    return rows, results


def _lightest_mass(ion: Ion) -> float:
    """Neutral mass with every atom its lightest isotope (IsoSpecPy's table)."""
    from IsoSpecPy import PeriodicTbl

    return sum(min(PeriodicTbl.symbol_to_masses[s]) * n for s, n in ion.composition.items())


if __name__ == "__main__":
    sys.exit(main())
