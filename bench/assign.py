"""Benchmark: the whole `clusterms assign` process against numpy.loadtxt on the same file.

    .venv/bin/python bench/assign.py [--repeat N] [--json FILE]

A 300,000-point full-range profile spectrum (m/z 500-6000, resolving power 20,000, a
simulated Ag@I + Au@II reaction mixture with noise, baseline and a calibration error) is
written as a two-column text file. In the same run we time

- ``numpy.loadtxt`` parsing that file (inside an already started Python with numpy
  imported: the parse alone), and
- the whole ``clusterms assign FILE --reactant Ag@I --reactant Au@II --out DIR`` process:
  interpreter start-up, imports, reading, candidate space, assignment, CSV/JSON outputs and
  the HTML report.

The target is assign <= 4x the loadtxt parse. Medians of ``--repeat`` runs are reported
(the machine is shared; medians are steadier than minima for whole processes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "clusterms"


def make_file(folder: Path) -> Path:
    from clusterms import Ion
    from clusterms.demo import EXAMPLE_SPECIES
    from clusterms.simulate import simulate_spectrum

    # The shipped example's mixture (its fragment at m/z 383 falls below this file's range).
    spec = simulate_spectrum({Ion.parse(k): v for k, v in EXAMPLE_SPECIES.items()}, resolution=20_000, noise=0.002,
                             baseline=True, calibration_ppm=6.0, mz_range=(500.0, 6000.0), points_per_fwhm=6.25,
                             seed=1)
    path = folder / "mixture_300k.txt"
    np.savetxt(path, np.column_stack([spec.mz, spec.intensity]), fmt="%.6f\t%.3f")
    return path


def time_loadtxt(path: Path) -> float:
    t = time.perf_counter()
    data = np.loadtxt(path)
    dt = time.perf_counter() - t
    assert data.shape[1] == 2
    return dt


def time_assign(path: Path, out: Path) -> float:
    t = time.perf_counter()
    proc = subprocess.run([str(CLI), "assign", str(path), "--reactant", "Ag@I", "--reactant", "Au@II",
                           "--out", str(out), "--force", "--quiet"], capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"clusterms assign failed: {proc.stderr.strip()}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    # An installed package has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile edited modules at every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "clusterms")], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make_file(folder)
        n = sum(1 for _ in path.open())
        loads, assigns = [], []
        for _ in range(args.repeat):
            loads.append(time_loadtxt(path))
            assigns.append(time_assign(path, folder / "out"))
        rows = (folder / "out" / "assignments.csv").read_text().splitlines()
    lt, at = statistics.median(loads), statistics.median(assigns)
    ratio = at / lt
    # Each repetition times both back to back: the ratio within a pair cancels the slow
    # drifts of a shared machine's speed.
    pair_ratio = statistics.median(a / b for a, b in zip(assigns, loads, strict=True))
    print(f"file: {n:,} points (m/z 500-6000, R 20,000, simulated Ag@I + Au@II mixture)")
    print(f"numpy.loadtxt parse      median {lt:6.3f} s  (runs: {', '.join(f'{x:.3f}' for x in loads)})")
    print(f"clusterms assign process median {at:6.3f} s  (runs: {', '.join(f'{x:.3f}' for x in assigns)})")
    print(f"ratio assign / loadtxt   {ratio:6.2f}x   target <= 4x: {'PASS' if ratio <= 4 else 'FAIL'}")
    print(f"median of per-pair ratios {pair_ratio:5.2f}x")
    print(f"species assigned: {len(rows) - 1}")
    if args.json:
        Path(args.json).write_text(json.dumps({"points": n, "loadtxt_s": loads, "assign_s": assigns, "ratio": ratio,
                                               "pair_ratio": pair_ratio, "assigned": len(rows) - 1}, indent=2))


if __name__ == "__main__":
    main()
