"""``clusterms uvvis``: mixture analysis of UV/vis spectra against reference spectra.

Writes ``fractions.csv`` (spectrum, component, weight), ``fit.csv`` (spectrum,
residual_fraction, flagged), ``bands.csv``, ``terms.csv`` (scattering and baseline of each fit),
``params.json``, ``report.html``, ``overlay.png`` and ``weights.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clusterms import __version__
from clusterms.cli_common import csv_text, sha256_file
from clusterms.errors import OptionError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    u = sub.add_parser("uvvis", help="UV/vis mixture analysis: weights of reference spectra, residuals, bands")
    u.add_argument("mixtures", nargs="+", metavar="MIXTURES",
                   help="UV/vis files (CSV/TXT, multi-column series, Cary/PerkinElmer/Shimadzu exports, "
                        "JCAMP-DX) or a manifest CSV 'file,time'")
    u.add_argument("--reference", action="append", default=[], required=True, metavar="NAME=FILE",
                   help="a reference spectrum (repeatable); NAME=FILE#COLUMN picks one spectrum of a "
                        "multi-spectrum file")
    u.add_argument("--out", required=True, metavar="DIR", help="output folder")
    u.add_argument("--force", action="store_true", help="replace an existing output folder")
    u.add_argument("--baseline", choices=["none", "constant", "linear"], default="constant",
                   help="baseline term of the fit (default constant)")
    u.add_argument("--no-scattering", action="store_true", help="no lambda^-4 scattering term")
    u.add_argument("--axis", choices=["nm", "ev"], default="nm",
                   help="fit on wavelength or on photon energy with the Jacobian (default nm)")
    u.add_argument("--range", metavar="LO-HI", help="wavelength window in nm, e.g. 350-850")
    u.add_argument("--max-residual", type=float, default=0.02, metavar="F",
                   help="flag a fit whose systematic residual exceeds this fraction of the spectrum "
                        "norm (default 0.02)")
    u.add_argument("--quiet", action="store_true", help="no progress lines and no summary table")
    u.set_defaults(handler=run)


def _window(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.split("-", 1))
    except ValueError:
        raise OptionError(f"--range {text!r}: write LO-HI in nm, e.g. 350-850") from None
    if not 0 < lo < hi:
        raise OptionError(f"--range {text!r}: need 0 < LO < HI")
    return lo, hi


def _references(items: list[str]) -> list[Any]:
    from clusterms.uvvis.read import read_uvvis
    from clusterms.uvvis.spectrum import UVVisSpectrum

    refs: list[UVVisSpectrum] = []
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip() or not spec:
            raise OptionError(f"--reference {item!r}: write NAME=FILE, e.g. --reference Ag29=ag29.csv")
        name = name.strip()
        file, _, column = spec.partition("#")
        spectra = read_uvvis(file)
        if column:
            chosen = [s for s in spectra if s.name == column]
            if not chosen:
                raise OptionError(f"--reference {item!r}: {file} has no spectrum {column!r} "
                                  f"(it has {', '.join(repr(s.name) for s in spectra)})")
        elif len(spectra) > 1:
            raise OptionError(f"--reference {item!r}: {file} holds {len(spectra)} spectra; pick one with "
                              f"NAME=FILE#COLUMN ({', '.join(repr(s.name) for s in spectra[:5])})")
        else:
            chosen = spectra
        s = chosen[0]
        if any(r.name == name for r in refs):
            raise OptionError(f"--reference {name!r} given twice")
        refs.append(UVVisSpectrum(name, s.wavelength_nm, s.absorbance, source=s.source))
    return refs


def _mixtures(items: list[str]) -> tuple[list[Any], list[float | None]]:
    from clusterms.uvvis.manifest import is_manifest, read_manifest, time_from_name
    from clusterms.uvvis.read import read_uvvis

    spectra: list[Any] = []
    times: list[float | None] = []
    for item in items:
        p = Path(item)
        if p.is_file() and p.suffix.lower() == ".csv" and is_manifest(p):
            for f, t in read_manifest(p):
                for s in read_uvvis(f):
                    spectra.append(s)
                    times.append(t)
            continue
        for s in read_uvvis(p):
            spectra.append(s)
            times.append(time_from_name(s.name))
    names = [s.name for s in spectra]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise OptionError(f"two mixture spectra are named {dup[0]!r}; rename one (the CSVs key on names)")
    if any(t is None for t in times):
        times = [None] * len(times)
    return spectra, times


def run(args: argparse.Namespace) -> int:
    from clusterms.outdir import atomic_directory, check_output_directory
    from clusterms.uvvis.bands import compare_bands, find_bands
    from clusterms.uvvis.mixture import fit_mixture, series_components

    say = (lambda _m: None) if args.quiet else (lambda m: sys.stderr.write(m + "\n"))
    if not 0 < args.max_residual < 1:
        raise OptionError(f"--max-residual {args.max_residual:g}: give a fraction between 0 and 1")
    window = _window(args.range)
    ref_files = [item.partition("=")[2].partition("#")[0] for item in args.reference]
    out = check_output_directory(args.out, force=args.force, inputs=[*args.mixtures, *ref_files])
    refs = _references(args.reference)
    mixtures, times = _mixtures(args.mixtures)
    clash = {r.name for r in refs} & {m.name for m in mixtures}
    if clash:
        raise OptionError(f"the name {sorted(clash)[0]!r} is both a reference and a mixture spectrum")
    say(f"fitting {len(mixtures)} spectra with {len(refs)} references ({', '.join(r.name for r in refs)})")
    fits = [fit_mixture(m, refs, baseline=args.baseline, scattering=not args.no_scattering, axis=args.axis,
                        window=window, max_residual=args.max_residual) for m in mixtures]
    comps = series_components(fits)
    ref_bands = {r.name: find_bands(r) for r in refs}
    bands = [b for r in refs for b in compare_bands(ref_bands[r.name], {})]
    for m in mixtures:
        bands.extend(compare_bands(find_bands(m), ref_bands))
    warnings = []
    flagged = [f.spectrum for f in fits if f.flagged]
    if flagged:
        warnings.append(f"{len(flagged)} of {len(fits)} spectra are not explained by the references "
                        f"(systematic residual > {100 * args.max_residual:g} %): {', '.join(flagged[:6])}"
                        f"{' ...' if len(flagged) > 6 else ''}; a new species or a background absorbs")
    if comps.n_unexplained > 0:
        warnings.append(f"the residuals hold {comps.n_unexplained} component(s) above the noise: "
                        f"the references are not enough to describe the series")
    settings = {"baseline": args.baseline, "scattering": not args.no_scattering, "axis": args.axis,
                "range_nm": list(window) if window else None, "max_residual": args.max_residual}
    inputs = [{"file": str(r.source), "role": f"reference {r.name}", "sha256": sha256_file(r.source)}
              for r in refs]
    for src in dict.fromkeys(m.source for m in mixtures):
        inputs.append({"file": str(src), "role": "mixture", "sha256": sha256_file(src)})

    fractions = csv_text(["spectrum", "component", "weight"],
                         [[f.spectrum, name, f"{value:.6g}"] for f in fits for name, value in f.weights.items()])
    fit_table = csv_text(["spectrum", "residual_fraction", "flagged"],
                         [[f.spectrum, f"{f.residual_fraction:.6g}", "true" if f.flagged else "false"] for f in fits])
    terms = csv_text(["spectrum", "term", "value"],
                     [[f.spectrum, name, f"{value:.6g}"] for f in fits for name, value in f.terms.items()])
    band_table = csv_text(
        ["spectrum", "wavelength_nm", "energy_ev", "kind", "absorbance", "reference", "reference_nm", "literature",
         "literature_nm"],
        [[b.spectrum, f"{b.wavelength_nm:.1f}", f"{b.energy_ev:.4f}", b.kind, f"{b.absorbance:.5g}", b.reference,
          "" if b.reference_nm is None else f"{b.reference_nm:.1f}", b.literature,
          "" if b.literature_nm is None else f"{b.literature_nm:.0f}"] for b in bands])
    params = {
        "clusterms_version": __version__, "command": "uvvis", "settings": settings, "inputs": inputs,
        "times_h": times, "warnings": warnings,
        "components": {"n_data": comps.n_data, "n_unexplained": comps.n_unexplained,
                       "noise_edge": comps.noise_edge, "singular_values": list(comps.singular_values[:10]),
                       "residual_singular_values": list(comps.residual_singular_values[:10])},
        "fits": [{"spectrum": f.spectrum, "weights": f.weights, "fractions": f.fractions, "terms": f.terms,
                  "residual_fraction": f.residual_fraction, "systematic_fraction": f.systematic_fraction,
                  "noise": f.noise, "flagged": f.flagged} for f in fits],
    }
    say("writing the report and figures")
    from clusterms.report.uvvis import uvvis_report
    from clusterms.report.uvvis_figures import overlay_figure, weights_figure

    overlay = overlay_figure(fits, ("svg", "png"))
    weights = weights_figure(fits, times, ("svg", "png"))
    report = uvvis_report(title=f"clusterms UV/vis: {len(fits)} spectra", fits=fits, times_h=times, bands=bands,
                          components=comps, settings=settings, inputs=inputs, warnings=warnings,
                          overlay_svg=overlay["svg"], weights_svg=weights["svg"])
    with atomic_directory(out, force=args.force,
                          inputs=[*args.mixtures, *ref_files, *(str(m.source) for m in mixtures)]) as tmp:
        (tmp / "fractions.csv").write_text(fractions, encoding="utf-8")
        (tmp / "fit.csv").write_text(fit_table, encoding="utf-8")
        (tmp / "terms.csv").write_text(terms, encoding="utf-8")
        (tmp / "bands.csv").write_text(band_table, encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
        (tmp / "report.html").write_bytes(report)
        (tmp / "overlay.png").write_bytes(overlay["png"])
        (tmp / "weights.png").write_bytes(weights["png"])
    for line in warnings:
        sys.stderr.write(f"warning: {line}\n")
    if not args.quiet:
        names = [r.name for r in refs]
        width = max(len("spectrum"), *(len(f.spectrum) for f in fits))
        head = f"{'spectrum':<{width}}  " + "  ".join(f"{n:>10}" for n in names) + "  residual  flagged"
        sys.stdout.write(head + "\n")
        for f in fits:
            sys.stdout.write(f"{f.spectrum:<{width}}  " + "  ".join(f"{f.weights[n]:>10.4f}" for n in names)
                             + f"  {100 * f.residual_fraction:>7.2f}%  {'yes' if f.flagged else 'no'}\n")
        sys.stdout.write(f"components: {comps.n_data} in the series, {comps.n_unexplained} unexplained -> {out}/\n")
    return 0
