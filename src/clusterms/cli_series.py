"""``clusterms series``: a time or concentration series of ESI mass spectra.

Writes ``series.csv`` (time_h or concentration, species, formula, charge, abundance, share; every
species at every point, zeros kept), ``kinetics.csv`` (species, formula, charge, model, rate,
rate_err, half_life_h, change_point_h, r2; empty rows for a concentration series, whose trends go
to ``trends.csv``), ``assignments.csv`` (the assignment of the summed spectra), ``report.html``,
``shares.png``, ``stacked.png`` and ``params.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from clusterms import __version__
from clusterms.cli_common import csv_text, fmt_float, library, sha256_file

__all__ = ["add_parser"]


def add_parser(sub: Any, add_chem_options: Any) -> None:
    from clusterms.assign.space_options import add_space_arguments

    s = sub.add_parser("series", help="time or concentration series: assign once, quantify all, kinetics")
    s.add_argument("manifest", metavar="MANIFEST",
                   help="CSV 'file,time' (5 min, 2 h, 2 d) or 'file,concentration' (0.5 eq), or a folder of "
                        "spectra whose names carry the time")
    add_space_arguments(s)
    s.add_argument("--mechanism", metavar="'A + B -> D'",
                   help="fit one shared rate constant to these species (reactants decay, products form)")
    s.add_argument("--plot", action="append", default=[], metavar="SPECIES", help="species on the share plot")
    s.add_argument("--resolution", type=float, metavar="R", help="resolving power (default: estimated)")
    s.add_argument("--min-score", type=float, default=0.8, help="minimum pattern score 0-1 (default 0.8)")
    s.add_argument("--max-ppm", type=float, default=10.0, help="maximum |ppm| (default 10)")
    s.add_argument("--min-abundance", type=float, default=0.5,
                   help="smallest abundance assigned in the summed spectrum, %% of the largest (default 0.5)")
    s.add_argument("--out", required=True, metavar="DIR", help="output folder")
    s.add_argument("--force", action="store_true", help="replace an existing output folder")
    s.add_argument("--quiet", action="store_true", help="no progress lines and no summary table")
    add_chem_options(s)
    s.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from clusterms.assign.pipeline import ASSIGNMENT_COLUMNS, AssignSettings
    from clusterms.assign.space_options import candidates_from_args
    from clusterms.chem.ion import Ion
    from clusterms.errors import OptionError
    from clusterms.outdir import atomic_directory, check_output_directory
    from clusterms.series import analyse_series, read_series_manifest
    from clusterms.spectra.readers import read_spectrum

    def say(message: str) -> None:
        if not args.quiet:
            sys.stderr.write(message + "\n")

    if not args.reactant and not args.species and not args.search:
        raise OptionError("series needs --reactant (repeatable), --species or --search")
    out = check_output_directory(args.out, force=args.force, inputs=[args.manifest])
    lib = library(args)
    manifest = read_series_manifest(args.manifest)
    settings = AssignSettings(resolution=args.resolution, min_score=args.min_score, max_ppm=args.max_ppm,
                              min_abundance=args.min_abundance)
    mechanism = args.mechanism
    if mechanism:
        from clusterms.series.kinetics import parse_mechanism

        react, prod = parse_mechanism(mechanism)
        mechanism = " + ".join(Ion.parse(t, library=lib).notation for t in react) + " -> " + " + ".join(
            Ion.parse(t, library=lib).notation for t in prod)
    say(f"reading {len(manifest.files)} spectra")
    spectra = [read_spectrum(f) for f in manifest.files]
    cands = candidates_from_args(args, lib)
    result = analyse_series(spectra, manifest.values, cands, kind=manifest.kind, unit=manifest.unit,
                            settings=settings, mechanism=mechanism, progress=say)
    value_col = "time_h" if manifest.kind == "time" else "concentration"
    order = sorted(range(len(manifest.values)), key=lambda i: manifest.values[i])
    files = [manifest.files[i] for i in order]
    rows = []
    for v, fit in zip(result.values, result.fits, strict=True):
        for r in fit.rows:
            rows.append([f"{v:g}", r.species, r.formula, r.charge, f"{r.abundance:.3f}", f"{r.share:.6f}"])
    series_csv = csv_text([value_col, "species", "formula", "charge", "abundance", "share"], rows)
    krows = []
    for a in result.species:
        kf = result.kinetics.get(a.species)
        if kf is None:
            continue
        krows.append([a.species, a.formula, a.charge, kf.model, fmt_float(kf.rate), fmt_float(kf.rate_err),
                      fmt_float(kf.half_life_h), fmt_float(kf.change_point_h), fmt_float(kf.r2, ".4f")])
    kinetics_csv = csv_text(["species", "formula", "charge", "model", "rate", "rate_err", "half_life_h",
                             "change_point_h", "r2"], krows)
    trows = [[a.species, a.formula, a.charge, fmt_float(t.slope), fmt_float(t.slope_err), fmt_float(t.r2, ".4f"),
              fmt_float(t.spearman, ".4f")]
             for a in result.species if (t := result.trends.get(a.species)) is not None]
    trends_csv = csv_text(["species", "formula", "charge", "slope", "slope_err", "r2", "spearman"], trows)
    assignments_csv = csv_text(ASSIGNMENT_COLUMNS, [[a.row()[c] for c in ASSIGNMENT_COLUMNS] for a in result.species])
    warnings = []
    if not result.species:
        warnings.append("no species was assigned in the summed spectra: nothing to follow")
    inputs = [{"value": v, "file": str(f), "sha256": sha256_file(f)} for v, f in zip(result.values, files, strict=True)]
    params = {"clusterms_version": __version__, "command": "series", "kind": manifest.kind, "unit": manifest.unit,
              "inputs": inputs, "reactants": list(args.reactant or []), "mechanism": mechanism,
              "resolution": result.resolution, "calibration": result.assign_result.calibration,
              "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
              "kinetics_models": {n: [list(c) for c in kf.candidates] for n, kf in result.kinetics.items()},
              "warnings": warnings}
    say("writing the report and figures")
    from clusterms.report.series_figures import share_figure, stacked_figure
    from clusterms.report.templating import render_template, svg_body

    plot = [Ion.parse(t, library=lib).notation for t in args.plot] or None
    names = {a.species for a in result.species}
    if plot:
        missing = [p for p in plot if p not in names]
        if missing:
            raise OptionError(f"--plot {missing[0]}: not among the assigned species")
    labels = [f"{v:g} {'h' if manifest.kind == 'time' else manifest.unit}" for v in result.values]
    ordered = [spectra[i] for i in order]

    def table(rows: list[list[Any]], keys: list[str]) -> list[dict[str, Any]]:
        return [dict(zip(keys, [r[0], *r[3:]], strict=True)) for r in rows]

    shares = share_figure(result, ("svg", "png"), species=plot)
    stacked = stacked_figure(ordered, labels, ("svg", "png"))
    html = render_template(
        "series.html.j2", title=f"clusterms series: {Path(args.manifest).name}", version=__version__,
        n=len(spectra), kind=manifest.kind, unit=manifest.unit, resolution=result.resolution,
        ppm_offset=result.calibration.ppm_offset if result.calibration else 0.0, warnings=warnings,
        share_svg=svg_body(shares["svg"]), stacked_svg=svg_body(stacked["svg"]),
        kinetics=table(krows, ["species", "model", "rate", "rate_err", "half_life_h", "change_point_h", "r2"]),
        trends=table(trows, ["species", "slope", "slope_err", "r2", "spearman"]), inputs=inputs)
    with atomic_directory(out, force=args.force, inputs=[args.manifest, *files]) as tmp:
        (tmp / "series.csv").write_text(series_csv, encoding="utf-8")
        (tmp / "kinetics.csv").write_text(kinetics_csv, encoding="utf-8")
        if manifest.kind == "concentration":
            (tmp / "trends.csv").write_text(trends_csv, encoding="utf-8")
        (tmp / "assignments.csv").write_text(assignments_csv, encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(params, indent=2, default=str) + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(html, encoding="utf-8")
        (tmp / "shares.png").write_bytes(shares["png"])
        (tmp / "stacked.png").write_bytes(stacked["png"])
    for line in warnings:
        sys.stderr.write(f"warning: {line}\n")
    if not args.quiet:
        width = max([len("species"), *(len(a.species) for a in result.species)])
        for a in result.species:
            kf = result.kinetics.get(a.species)
            tail = ""
            if kf is not None:
                tail = f"  {kf.model:<18} t1/2 {fmt_float(kf.half_life_h, '.3g') or '-':>6} h"
                if math.isfinite(kf.change_point_h):
                    tail += f"  change at {kf.change_point_h:.3g} h"
            values = " ".join(f"{v:.3f}" for v in result.shares(a.species))
            sys.stdout.write(f"{a.species:<{width}}  {values}{tail}\n")
        sys.stdout.write(f"{len(result.species)} species over {len(spectra)} spectra -> {out}/\n")
    return 0
