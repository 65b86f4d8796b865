"""``clusterms mobility``: arrival-time distributions and conformers of given species.

Writes ``arrival.csv`` (species, drift_time, intensity; long format, drift time in ms),
``conformers.csv`` (species, n_conformers, centres, widths; centres and FWHM widths in ms,
``;``-joined), ``params.json``, ``report.html`` and ``arrival.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clusterms import __version__
from clusterms.cli_common import csv_text, library, sha256_file
from clusterms.errors import InputFileError, OptionError

__all__ = ["ARRIVAL_COLUMNS", "CONFORMER_COLUMNS", "add_parser", "run"]

ARRIVAL_COLUMNS = ["species", "drift_time", "intensity"]
CONFORMER_COLUMNS = ["species", "n_conformers", "centres", "widths"]


def add_parser(sub: Any, add_chem_options: Any) -> None:
    m = sub.add_parser("mobility", help="ion mobility: arrival-time distributions of species, conformers by BIC")
    m.add_argument("file", metavar="FILE",
                   help="mzML with one scan per drift bin ('ion mobility drift time'), mzML with ion-mobility "
                        "arrays, or text with three columns m/z, drift time (ms), intensity")
    m.add_argument("--species", action="append", required=True, metavar="S",
                   help="a species to follow (repeatable); all are fitted jointly, so a z/2z pair on one m/z "
                        "is separated by isotope spacing")
    m.add_argument("--out", required=True, metavar="DIR", help="output folder")
    m.add_argument("--force", action="store_true", help="replace an existing output folder")
    m.add_argument("--resolution", type=float, metavar="R",
                   help="mass resolving power (default: measured on the richest drift bin, else 20000)")
    m.add_argument("--min-snr", type=float, default=5.0,
                   help="S/N a species needs in the summed spectrum to be fitted (default 5)")
    m.add_argument("--max-conformers", type=int, default=4, metavar="K", help="most Gaussians tried (default 4)")
    m.add_argument("--max-resolving-power", type=float, metavar="RP",
                   help="no conformer narrower than FWHM = t/RP (default 100); replaced by the diffusion "
                        "limit when --drift-voltage is given")
    m.add_argument("--drift-voltage", type=float, metavar="V",
                   help="drift-tube voltage: width floor from the diffusion limit RP = sqrt(|z|eV/(16 kT ln2))")
    m.add_argument("--temperature", type=float, default=298.15, metavar="K",
                   help="drift-gas temperature for the diffusion limit (default 298.15 K)")
    m.add_argument("--min-share", type=float, default=0.02,
                   help="smallest share of the ATD area one conformer may hold (default 0.02)")
    m.add_argument("--quiet", action="store_true", help="no summary table")
    add_chem_options(m)
    m.set_defaults(handler=run)


def _join(values: tuple[float, ...], spec: str = ".4f") -> str:
    return ";".join(format(v, spec) for v in values)


def run(args: argparse.Namespace) -> int:
    from clusterms.chem.ion import Ion
    from clusterms.mobility import arrival_distributions, fit_conformers, read_mobility
    from clusterms.mobility.conformers import BIC_MARGIN, DEFAULT_MAX_RESOLVING_POWER, MIN_SEPARATION
    from clusterms.outdir import atomic_directory, check_output_directory

    if args.max_resolving_power is None:
        args.max_resolving_power = DEFAULT_MAX_RESOLVING_POWER
    args.bic_margin = BIC_MARGIN
    lib = library(args)
    ions = [Ion.parse(s, library=lib) for s in args.species]
    names = [i.notation for i in ions]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise OptionError(f"--species {dup[0]} is given twice")
    if any(i.charge == 0 for i in ions):
        raise OptionError(f"--species {next(i.notation for i in ions if i.charge == 0)} is neutral: it has no "
                          "mobility and no m/z")
    if args.resolution is not None and not args.resolution > 0:
        raise OptionError(f"--resolution must be positive, got {args.resolution:g}")
    if not args.min_snr > 0:
        raise OptionError(f"--min-snr must be positive, got {args.min_snr:g}")
    if not 1 <= args.max_conformers <= 10:
        raise OptionError(f"--max-conformers must be between 1 and 10, got {args.max_conformers}")
    if not args.max_resolving_power > 1:
        raise OptionError(f"--max-resolving-power must be above 1, got {args.max_resolving_power:g}")
    if args.drift_voltage is not None and not args.drift_voltage > 0:
        raise OptionError(f"--drift-voltage must be a positive number of volts, got {args.drift_voltage:g}")
    if not args.temperature > 0:
        raise OptionError(f"--temperature must be a positive number of kelvin, got {args.temperature:g}")
    if not 0 <= args.min_share < 0.5:
        raise OptionError(f"--min-share must be between 0 and 0.5, got {args.min_share:g}")
    out = check_output_directory(args.out, force=args.force, inputs=[args.file])
    run_ = read_mobility(args.file)
    if run_.unit != "ms":
        raise InputFileError(f"{Path(args.file).name} gives ion mobility as 1/K0 ({run_.unit}), not as drift "
                             "times in ms; clusterms mobility works on drift times")
    fit = arrival_distributions(run_, ions, resolution=args.resolution, min_snr=args.min_snr)
    confs = [fit_conformers(d, max_conformers=args.max_conformers, max_resolving_power=args.max_resolving_power,
                            drift_voltage=args.drift_voltage, temperature_k=args.temperature,
                            min_share=args.min_share) for d in fit.distributions]
    if args.drift_voltage is not None:
        floor = (f"the diffusion limit FWHM >= t / sqrt(|z| e V / (16 k T ln 2)) at V = {args.drift_voltage:g} V, "
                 f"T = {args.temperature:g} K, and one drift bin")
    else:
        floor = f"FWHM >= max(t / {args.max_resolving_power:g}, one drift bin)"
    warnings = _species_warnings(run_, ions, fit.distributions, min_snr=args.min_snr)
    arrival = csv_text(ARRIVAL_COLUMNS, [[d.species, f"{t:.6g}", f"{y:.6g}"] for d in fit.distributions
                                         for t, y in zip(d.drift, d.intensity, strict=True)])
    conformers = csv_text(CONFORMER_COLUMNS, [[c.species, c.n_conformers, _join(c.centres), _join(c.widths)]
                                              for c in confs])
    digest = sha256_file(args.file)
    params = {
        "clusterms_version": __version__, "command": "mobility",
        "input": {"file": str(args.file), "sha256": digest, "layout": run_.layout, "n_bins": len(run_),
                  "drift_range_ms": [float(run_.drift[0]), float(run_.drift[-1])]},
        "species": names,
        "settings": {"resolution": args.resolution, "min_snr": args.min_snr, "max_conformers": args.max_conformers,
                     "max_resolving_power": args.max_resolving_power, "drift_voltage": args.drift_voltage,
                     "temperature_k": args.temperature, "min_share": args.min_share, "bic_margin": args.bic_margin,
                     "min_separation_fwhm": MIN_SEPARATION,
                     "width": "FWHM", "width_floor": floor},
        "resolution": fit.resolution, "resolution_source": fit.resolution_source, "n_windows": fit.n_windows,
        "residual_fraction": fit.residual_fraction,
        "results": [{"species": c.species, "snr": d.snr, "detected": d.detected, "centres_ms": list(c.centres),
                     "fwhm_ms": list(c.widths), "areas": list(c.areas), "offset": c.offset,
                     "bic": list(c.bic), "note": c.note}
                    for c, d in zip(confs, fit.distributions, strict=True)],
        "warnings": warnings,
    }
    figs = _atd_figure(fit.distributions, confs)
    from clusterms.report.templating import render_template, svg_body

    rows = []
    for c, d in zip(confs, fit.distributions, strict=True):
        total = sum(c.areas)
        rows.append({"species": c.species, "snr": d.snr, "n": c.n_conformers, "centres": _join(c.centres, ".3f"),
                     "widths": _join(c.widths, ".3f"),
                     "shares": ";".join(f"{a / total:.2f}" for a in c.areas) if total > 0 else "", "note": c.note})
    html = render_template(
        "mobility.html.j2", title=f"clusterms mobility: {Path(args.file).name}", version=__version__,
        n_bins=len(run_), layout=run_.layout, drift_lo=float(run_.drift[0]), drift_hi=float(run_.drift[-1]),
        resolution=fit.resolution, resolution_source=fit.resolution_source, n_windows=fit.n_windows,
        residual=fit.residual_fraction if fit.residual_fraction == fit.residual_fraction else 0.0,
        warnings=warnings, atd_svg=svg_body(figs["svg"]), rows=rows, min_snr=args.min_snr,
        max_conformers=args.max_conformers, bic_margin=args.bic_margin, min_share=args.min_share, width_floor=floor,
        min_separation=MIN_SEPARATION,
        source=str(args.file), sha256=digest)
    with atomic_directory(out, force=args.force, inputs=[args.file]) as tmp:
        (tmp / "arrival.csv").write_text(arrival, encoding="utf-8")
        (tmp / "conformers.csv").write_text(conformers, encoding="utf-8")
        from clusterms.report.write import finite as _strict

        (tmp / "params.json").write_text(json.dumps(_strict(params), indent=2, allow_nan=False) + "\n",
                                         encoding="utf-8")
        (tmp / "report.html").write_text(html, encoding="utf-8")
        (tmp / "arrival.png").write_bytes(figs["png"])
    for line in warnings:
        sys.stderr.write(f"warning: {line}\n")
    if not args.quiet:
        width = max(len("species"), *(len(c.species) for c in confs))
        sys.stdout.write(f"{'species':<{width}}  {'S/N':>7}  n  centres (ms)      FWHM (ms)\n")
        for c, d in zip(confs, fit.distributions, strict=True):
            sys.stdout.write(f"{c.species:<{width}}  {d.snr:>7.1f}  {c.n_conformers}  {_join(c.centres, '.3f'):<16}  "
                             f"{_join(c.widths, '.3f')}\n")
        sys.stdout.write(f"{len(run_)} drift bins, {len(confs)} species -> {out}/\n")
    return 0


def _species_warnings(run: Any, ions: list[Any], dists: Any, *, min_snr: float) -> list[str]:
    """Why a species has no conformer: outside the file's m/z range, the wrong polarity, or below
    the S/N threshold."""
    scans = [s for b in run.scans for s in b if len(s)]
    lo = min(float(s.mz[0]) for s in scans) if scans else float("nan")
    hi = max(float(s.mz[-1]) for s in scans) if scans else float("nan")
    out = []
    for ion, d in zip(ions, dists, strict=True):
        sign = "negative" if ion.charge < 0 else "positive"
        if run.polarity is not None and run.polarity != sign:
            out.append(f"{d.species} is {'an anion' if ion.charge < 0 else 'a cation'} but the run is {run.polarity} "
                       "mode")
        if d.detected:
            continue
        mz = ion.most_abundant_mz
        if not lo <= mz <= hi:
            out.append(f"{d.species} (m/z {mz:.1f}) lies outside the run's m/z range {lo:.1f}-{hi:.1f}: "
                       "no conformer fitted")
        else:
            out.append(f"{d.species} is not detected (S/N {d.snr:.1f} < {min_snr:g}): no conformer fitted")
    return out


def _atd_figure(dists: Any, confs: Any) -> dict[str, bytes]:
    """Each species' ATD (points) and its conformer fit (line), normalised to its maximum."""
    import numpy as np

    from clusterms.report.figures import OKABE_ITO, figure, render

    with figure(5.0, 2.8) as fig:
        ax = fig.add_subplot()
        for k, (d, c) in enumerate(zip(dists, confs, strict=True)):
            top = float(np.max(d.intensity)) if d.intensity.size and np.max(d.intensity) > 0 else 1.0
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            ax.plot(d.drift, d.intensity / top + 1.1 * k, ls="none", marker="o", ms=1.5, color=colour)
            if c.n_conformers:
                dense = np.linspace(float(d.drift[0]), float(d.drift[-1]), 600)
                ax.plot(dense, c.curve(dense) / top + 1.1 * k, color=colour, lw=0.8)
            label = f"{d.species}: {c.n_conformers} conformer(s)" if d.detected else f"{d.species}: not detected"
            ax.text(float(d.drift[-1]), 1.1 * k + 0.5, label, fontsize=6, ha="right", color=colour)
        ax.set_yticks([])
        ax.set_xlabel("drift time (ms)")
        return render(fig, ("svg", "png"))
