"""``clusterms ramp`` and ``clusterms ramp-compare``: CID energy ramps.

``ramp`` writes ``breakdown.csv`` (energy, species, formula, charge, share; long format, zeros
kept), ``ce50.csv`` (species, formula, charge, ce50, ce50_err, kind; kind = survival or
appearance), ``channels.csv`` (parent, product, partner, partner_observed, first_energy),
``report.html``, ``breakdown.png``, ``pathways.png`` and ``params.json``; with ``--gas`` also
``ce50_com.csv`` (the same table in the centre-of-mass frame, eV).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

from clusterms import __version__
from clusterms.cli_common import csv_text, fmt_float, library
from clusterms.errors import InputFileError, OptionError

__all__ = ["add_parsers"]


def add_parsers(sub: Any, add_chem_options: Any) -> None:
    r = sub.add_parser("ramp", help="CID energy ramp: breakdown curves, CE50, appearance energies, pathways")
    r.add_argument("input", metavar="INPUT",
                   help="an mzML/mzXML with MS/MS scans carrying their collision energy, a folder of spectra "
                        "with the energy in their names (CE25.txt), or a manifest CSV 'file,energy'")
    r.add_argument("--precursor", required=True, metavar="SPECIES", help="the mass-selected ion, e.g. "
                   "'[AuAg52(BDT)12(DMBT)16]3-'")
    r.add_argument("--gas", choices=["He", "N2", "Ar", "Xe", "SF6"],
                   help="collision gas: also report CE50s in the centre-of-mass frame (ce50_com.csv)")
    r.add_argument("--energy-unit", choices=["V", "eV"], default="V",
                   help="what the file's energies are: a collision voltage (lab energy = |z| x V; default, "
                        "as Waters and most Q-TOFs report it) or a lab-frame energy in eV")
    r.add_argument("--resolution", type=float, metavar="R", help="resolving power (default: from the richest scan)")
    r.add_argument("--ppm", type=float, default=10.0, help="mass accuracy for matching fragments (default 10)")
    r.add_argument("--min-score", type=float, default=0.8, help="smallest pattern score kept (default 0.8)")
    r.add_argument("--min-share", type=float, default=0.01,
                   help="a species is kept when its share reaches this in one scan (default 0.01)")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder")
    r.add_argument("--force", action="store_true", help="replace an existing output folder")
    r.add_argument("--quiet", action="store_true", help="no progress lines and no summary table")
    add_chem_options(r)
    r.set_defaults(handler=run_ramp)

    c = sub.add_parser("ramp-compare", help="overlay ramps (a dimer and its parents) and tabulate CE50s")
    c.add_argument("dirs", nargs="+", metavar="DIR", help="output folders of 'clusterms ramp'")
    c.add_argument("--label", action="append", default=[], metavar="DIR=LABEL", help="legend label of a ramp")
    c.add_argument("--out", required=True, metavar="DIR", help="output folder")
    c.add_argument("--force", action="store_true", help="replace an existing output folder")
    c.set_defaults(handler=run_compare)


def _ce50_rows(result: Any, convert: Any = None) -> list[list[str]]:
    rows = []
    for s in result.species:
        if s.kind == "precursor":
            v, err, kind = s.ce50, s.ce50_err, "survival"
        else:
            v, err, kind = s.appearance, s.appearance_err, "appearance"
        if convert is not None:
            v, err = convert(v), convert(err)
        rows.append([s.species, s.ion.formula, str(s.ion.charge), fmt_float(v), fmt_float(err), kind])
    return rows


def run_ramp(args: argparse.Namespace) -> int:
    from clusterms.chem.ion import Ion
    from clusterms.outdir import atomic_directory, check_output_directory
    from clusterms.tandem.ramp import RampSettings, analyse_ramp, centre_of_mass
    from clusterms.tandem.ramp_input import load_ramp

    def say(message: str) -> None:
        if not args.quiet:
            sys.stderr.write(message + "\n")

    settings = RampSettings(resolution=args.resolution, ppm=args.ppm, min_score=args.min_score,
                            min_share=args.min_share)
    out = check_output_directory(args.out, force=args.force, inputs=[args.input])
    precursor = Ion.parse(args.precursor, library=library(args))
    if precursor.charge == 0:
        raise OptionError(f"--precursor {args.precursor}: a precursor is an ion; give its charge")
    say(f"reading {args.input}")
    scans = load_ramp(args.input, precursor=precursor)
    say(f"{len(scans)} energies: {', '.join(f'{s.energy:g}' for s in scans)}")
    result = analyse_ramp(scans, precursor, settings=settings, progress=say)
    warnings = list(result.notes)
    if len(result.species) == 1:
        warnings.append("no fragment of the precursor was found in any scan")

    breakdown = csv_text(["energy", "species", "formula", "charge", "share"],
                      [[f"{p.energy:g}", s.species, s.ion.formula, s.ion.charge, f"{p.shares[k]:.6f}"]
                       for p in result.points for k, s in enumerate(result.species)])
    ce50_header = ["species", "formula", "charge", "ce50", "ce50_err", "kind"]
    ce50 = csv_text(ce50_header, _ce50_rows(result))
    channels = csv_text(["parent", "product", "partner", "partner_observed", "first_energy"],
                     [[c.parent, c.product, c.partner, "true" if c.partner_observed else "false",
                       fmt_float(c.first_energy, "g")] for c in result.channels])
    com = None
    convention = None
    if args.gas:
        mass = float(precursor.average_mz) * abs(precursor.charge)  # the ion's mass (electrons included)

        def convert(v: float) -> float:
            return float(centre_of_mass(v, ion_mass=mass, gas=args.gas, charge=precursor.charge,
                                        unit=args.energy_unit)) if math.isfinite(v) else v

        com = csv_text(ce50_header, _ce50_rows(result, convert))
        convention = (f"E_com = E_lab x m_gas / (m_gas + m_ion), m_gas {args.gas}, m_ion {mass:.1f} Da (precursor); "
                      + ("E_lab = |z| x V (energies read as collision voltages)" if args.energy_unit == "V"
                         else "E_lab read from the file in eV"))
    params = {
        "clusterms_version": __version__, "command": "ramp", "input": str(args.input),
        "precursor": precursor.notation, "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
        "energy_unit": args.energy_unit, "gas": args.gas, "centre_of_mass_convention": convention,
        "resolution": result.resolution, "resolution_source": result.resolution_source,
        "fragment_space_rows": result.n_space, "matched_sub_compositions": result.n_matched,
        "energies": [s.energy for s in scans], "files": [s.source for s in scans], "notes": warnings,
        "species": [{"species": s.species, "kind": s.kind, "max_share": s.max_share, "max_energy": s.max_energy,
                     "appearance": s.appearance if math.isfinite(s.appearance) else None,
                     "ce50": s.ce50 if math.isfinite(s.ce50) else None,
                     "ce50_err": s.ce50_err if math.isfinite(s.ce50_err) else None,
                     "logistic_width": s.width if math.isfinite(s.width) else None} for s in result.species],
    }
    say("writing the report and figures")
    from clusterms.report.tandem import ramp_report
    from clusterms.report.tandem_figures import breakdown_figure, pathway_figure

    inputs = [{"energy": s.energy, "file": s.source} for s in scans]
    breakdown_fig = breakdown_figure(result, ("svg", "png"))
    pathways = pathway_figure(result, ("svg", "png"))
    report = ramp_report(title=f"clusterms ramp: {precursor.notation}", result=result, inputs=inputs,
                         warnings=warnings, breakdown_svg=breakdown_fig["svg"], pathway_svg=pathways["svg"])
    with atomic_directory(out, force=args.force, inputs=[args.input, *(s.source for s in scans)]) as tmp:
        (tmp / "breakdown.csv").write_text(breakdown, encoding="utf-8")
        (tmp / "ce50.csv").write_text(ce50, encoding="utf-8")
        if com is not None:
            (tmp / "ce50_com.csv").write_text(com, encoding="utf-8")
        (tmp / "channels.csv").write_text(channels, encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
        (tmp / "report.html").write_bytes(report)
        (tmp / "breakdown.png").write_bytes(breakdown_fig["png"])
        (tmp / "pathways.png").write_bytes(pathways["png"])
    for line in warnings:
        sys.stderr.write(f"warning: {line}\n")
    if not args.quiet:
        width = max(len(s.species) for s in result.species)
        sys.stdout.write(f"{'species':<{width}}  {'kind':<9}  {'max share':>9}  {'at':>5}  {'E_app':>6}  "
                         f"{'CE50':>12}\n")
        for s in result.species:
            c50 = f"{s.ce50:.2f}±{s.ce50_err:.2f}" if math.isfinite(s.ce50) else ""
            sys.stdout.write(f"{s.species:<{width}}  {s.kind:<9}  {s.max_share:>9.3f}  {s.max_energy:>5g}  "
                             f"{fmt_float(s.appearance, '.1f'):>6}  {c50:>12}\n")
        sys.stdout.write(f"{len(result.species) - 1} fragments, {len(result.channels)} channels -> {out}/\n")
    return 0


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc}); is it a 'clusterms ramp' folder?") from None


def run_compare(args: argparse.Namespace) -> int:
    import numpy as np

    from clusterms.outdir import atomic_directory, check_output_directory
    from clusterms.report.tandem_figures import compare_figure
    from clusterms.report.templating import render_template, svg_body

    out = check_output_directory(args.out, force=args.force, inputs=args.dirs)
    labels: dict[str, str] = {}
    for item in args.label:
        d, sep, lab = item.partition("=")
        if not sep or not lab:
            raise OptionError(f"--label {item!r}: write DIR=LABEL")
        labels[str(Path(d))] = lab
    ramps: dict[str, Any] = {}
    rows = []
    for d in args.dirs:
        p = Path(d)
        try:
            params = json.loads((p / "params.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputFileError(f"{p}: no params.json of 'clusterms ramp' in it") from None
        if params.get("command") != "ramp":
            raise InputFileError(f"{p}: not a 'clusterms ramp' result (command {params.get('command')!r})")
        prec = params["precursor"]
        label = labels.get(str(p), prec)
        if label in ramps:
            label = f"{label} ({p.name})"
        bd = _read_csv(p / "breakdown.csv")
        pts = [(float(r["energy"]), float(r["share"])) for r in bd if r["species"] == prec]
        e = np.array([a for a, _ in pts])
        surv = np.array([b for _, b in pts])
        ce = _read_csv(p / "ce50.csv")
        surv_row = next((r for r in ce if r["kind"] == "survival"), None)
        c50 = float(surv_row["ce50"]) if surv_row and surv_row["ce50"] else float("nan")
        c50e = float(surv_row["ce50_err"]) if surv_row and surv_row["ce50_err"] else float("nan")
        ramps[label] = {"energy": e, "survival": surv, "ce50": c50, "ce50_err": c50e}
        for r in ce:
            rows.append([label, r["species"], r["formula"], r["charge"], r["ce50"], r["ce50_err"], r["kind"]])
    compare = csv_text(["ramp", "species", "formula", "charge", "ce50", "ce50_err", "kind"], rows)
    figs = compare_figure(ramps, ("svg", "png"))
    html = render_template("ramp_compare.html.j2", version=__version__, rows=rows,
                           figure_svg=svg_body(figs["svg"]),
                           ramps=[{"label": k, "ce50": v["ce50"], "ce50_err": v["ce50_err"]} for k, v in ramps.items()])
    with atomic_directory(out, force=args.force, inputs=args.dirs) as tmp:
        (tmp / "compare.csv").write_text(compare, encoding="utf-8")
        (tmp / "compare.png").write_bytes(figs["png"])
        (tmp / "report.html").write_text(html, encoding="utf-8")
    for k, v in ramps.items():
        sys.stdout.write(f"{k}: CE50 {fmt_float(v['ce50'], '.2f') or 'not reached'}"
                         f"{' ± ' + fmt_float(v['ce50_err'], '.2f') if math.isfinite(v['ce50_err']) else ''}\n")
    sys.stdout.write(f"{len(ramps)} ramps -> {out}/\n")
    return 0
