"""Fragment space of a dimer precursor screened against one CID scan: arrays vs the obvious way.

Run with ``.venv/bin/python bench/fragments.py``. The scan is rendered independently of
clusterms' simulator (IsoSpecPy isotopologues through a Gaussian at R 20,000, with noise),
holding the precursor [AuAg52(BDT)12(DMBT)16]3- and six of its fragments; its peaks are
picked with clusterms.spectra.peaks.pick_peaks.

Timed (best of --repeat, one process): building the space, the envelope-free screen, and the
screen plus exact envelopes and scores of the survivors (``FragmentSpace.match``), for the
default space and one enlarged past 10^6 rows (max_sulfur 4, max_protons 4). The reference
is the obvious way, an Ion and an envelope for every row, timed on a random 2,000 rows and
scaled to the space (the engine's envelope cache cleared first).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tandem"))

from test_fragment_space import DIMER, TRUTH, _render

from clusterms import Ion
from clusterms.isotopes.engine import clear_envelope_cache
from clusterms.spectra.peaks import pick_peaks
from clusterms.tandem import fragment_space

TARGET_S = 1.0  # a 10^6-row space screened against one scan


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    precursor = Ion.parse(DIMER)
    peaks = pick_peaks(_render(TRUTH), min_snr=5)
    truth = {str(Ion.parse(t)) for t, _ in TRUTH}
    print(f"precursor {precursor.notation}; scan: {len(peaks)} picked peaks, {len(TRUTH)} true species")
    rows = []
    for label, kw in (("default", {}), ("enlarged", {"max_sulfur": 4, "max_protons": 4})):
        t_build, fs = _best(lambda kw=kw: fragment_space(precursor, **kw), args.repeat)
        t_screen, idx = _best(lambda fs=fs: fs.screen(peaks.centroid_mz, ppm=10), args.repeat)

        def full(fs=fs):
            clear_envelope_cache()
            return fs.match(peaks.centroid_mz, peaks.height, ppm=10)

        t_match, matches = _best(full, args.repeat)
        found = {ion.notation for ion in matches.ions()}
        sample = np.random.default_rng(0).choice(len(fs), 2000, replace=False)
        clear_envelope_cache()
        t0 = time.perf_counter()
        for i in sample:
            fs.ion(int(i)).envelope()
        naive = (time.perf_counter() - t0) / sample.size * len(fs)
        total = t_build + t_match
        rows.append((label, len(fs), t_build, t_screen, t_match, total, idx.size, len(matches),
                     len(truth & found), naive))
    print()
    print("| space | rows | build s | screen s | screen+envelopes+scores s | total s | survivors | "
          "matched | true found | Ion+envelope per row (est.) s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, n, b, s, m, t, surv, mat, tf, naive in rows:
        print(f"| {label} | {n:,} | {b:.3f} | {s:.3f} | {m:.3f} | {t:.3f} | {surv:,} | {mat} | "
              f"{tf}/{len(truth)} | {naive:.1f} | {naive / t:.0f}x |")
    big = max(rows, key=lambda r: r[1])
    verdict = "pass" if big[1] >= 1_000_000 and big[5] < TARGET_S else "FAIL"
    print(f"\ntarget: a >= 10^6-row space built and screened against one scan in < {TARGET_S:g} s: "
          f"{big[1]:,} rows in {big[5]:.3f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
