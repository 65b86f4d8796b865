"""The clusterms command line. Only this module prints.

Every error a user can cause ends in one line ``error: ...`` on stderr and exit code 2;
anything unexpected gives exit code 1 and a short message (the traceback with --debug).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterms import __version__
from clusterms.cli_common import add_chem_options as _add_chem_options
from clusterms.cli_common import add_limit_options, add_reader_chem_options
from clusterms.cli_common import library as _library
from clusterms.cli_common import sha256_file as _sha256
from clusterms.errors import ClustermsError, ClustermsWarning, NotationError, OptionError, OutputError

if TYPE_CHECKING:
    from clusterms.chem.ion import Ion
    from clusterms.chem.ligands import LigandLibrary

__all__ = ["entry", "main"]

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in the clusterms format (exit 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise OptionError(f"{message} (see '{self.prog} --help')")


def _out(text: str = "") -> None:
    try:
        sys.stdout.write(text + "\n")
    except BrokenPipeError:
        raise  # main: "output stream closed"
    except OSError as exc:  # `> /dev/full`: ENOSPC; one error line, exit 2
        raise OutputError(f"cannot write the standard output ({exc.strerror or exc}); "
                          "check the disk or the redirection") from None


# C0, DEL, C1, the Unicode line/paragraph separators and the bidi overrides: a file name
# holding one would colour the terminal, rewrite the line (CR) or split a message in two.
_CONTROL_CHARS = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                  *range(0x2066, 0x206A)]
_ESCAPES = {c: repr(chr(c))[1:-1] for c in _CONTROL_CHARS}


def one_line(text: str) -> str:
    """``text`` with every control character escaped repr-style (``\\x1b``, ``\\n``): one line."""
    return text.translate(_ESCAPES)


def _err(text: str) -> None:
    try:
        sys.stderr.write(one_line(text) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed (`2>&1 | head -1`): drop the line, keep going
        pass


# Shared option helpers ------------------------------------------------------------------
def _ions(texts: Sequence[str], lib: LigandLibrary) -> list[Ion]:
    from clusterms.chem.ion import Ion

    return [Ion.parse(t, library=lib) for t in texts]


def _fmt_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


# mass -----------------------------------------------------------------------------------
def _cmd_mass(args: argparse.Namespace) -> int:
    ions = _ions(args.species, _library(args))
    records = []
    for text, ion in zip(args.species, ions, strict=True):
        records.append({
            "species": text,
            "formula": ion.formula,
            "charge": ion.charge,
            "monoisotopic_mz": ion.monoisotopic_mz,
            "average_mz": ion.average_mz,
            "most_abundant_mz": ion.most_abundant_mz,
            "electrons": ion.electrons,
        })
    if args.json:
        _out(json.dumps(records, indent=2))
        return 0
    rows = []
    for r, ion in zip(records, ions, strict=True):
        shell = "closed" if ion.is_closed_shell else f"open (nearest {ion.nearest_magic})"
        rows.append([str(r["species"]), str(r["formula"]), f"{r['charge']:+d}",
                     f"{r['monoisotopic_mz']:.4f}", f"{r['average_mz']:.4f}",
                     f"{r['most_abundant_mz']:.4f}", str(r["electrons"]), shell])
    _out(_fmt_table(["species", "formula", "z", "monoisotopic m/z", "average m/z",
                     "most abundant m/z", "e-", "shell"], rows, right={2, 3, 4, 5, 6}))
    return 0


# pattern --------------------------------------------------------------------------------
def _parse_abundance_option(items: Sequence[str]) -> dict[str, dict[int, float]]:
    """--abundance Ag107=0.99 --abundance Ag109=0.01 -> {"Ag": {107: .99, 109: .01}}."""
    import re

    out: dict[str, dict[int, float]] = {}
    for item in items:
        m = re.fullmatch(r"(?:(\d+)([A-Z][a-z]?)|([A-Z][a-z]?)(\d+))=([0-9.eE+-]+)", item.strip())
        if not m:
            raise OptionError(f"--abundance must look like 107Ag=0.99 or Ag107=0.99, got {item!r}")
        a, sym = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        try:
            val = float(m.group(5))
        except ValueError:
            raise OptionError(f"--abundance {item!r}: {m.group(5)!r} is not a number") from None
        out.setdefault(sym, {})[int(a)] = val
    return out


def _cmd_pattern(args: argparse.Namespace) -> int:
    from clusterms.isotopes.profile import profile

    if args.profile and args.resolution is None:
        raise OptionError("--profile needs --resolution R (resolving power, e.g. 20000)")
    if args.resolution is not None and not args.resolution > 0:
        raise OptionError(f"--resolution must be positive, got {args.resolution}")
    if not 0 < args.coverage < 1:
        raise OptionError(f"--coverage must be between 0 and 1, got {args.coverage}")
    abundances = _parse_abundance_option(args.abundance) if args.abundance else None
    ions = _ions(args.species, _library(args))
    records = []
    for text, ion in zip(args.species, ions, strict=True):
        env = ion.envelope(fine=args.fine, coverage=args.coverage, abundances=abundances)
        if args.profile:
            prof = profile(env, resolution=args.resolution, shape=args.shape).normalized()
            mz, inten = prof.mz, prof.intensity
        else:
            mz, inten = env.mz, env.intensity
        peaks = [[float(m), float(i) * 100.0] for m, i in zip(mz, inten, strict=True)]
        records.append({"species": text, "formula": ion.formula, "charge": ion.charge,
                        "peaks": peaks})
    if args.json:
        _out(json.dumps(records))
        return 0
    for k, r in enumerate(records):
        if k:
            _out()
        kind = "profile" if args.profile else ("fine structure" if args.fine else "aggregated")
        _out(f"{r['species']}  {r['formula']}  z={r['charge']:+d}  ({kind}, {len(r['peaks'])} points)")
        shown = [p for p in r["peaks"] if p[1] >= args.min_intensity]
        _out(_fmt_table(["m/z", "relative intensity"],
                        [[f"{m:.4f}", f"{i:.2f}"] for m, i in shown], right={0, 1}))
    return 0


# simulate -------------------------------------------------------------------------------
def _species_abundances(items: Sequence[str], lib: LigandLibrary) -> dict[Ion, float]:
    from clusterms.chem.ion import Ion

    out: dict[Ion, float] = {}
    for item in items:
        text, sep, value = item.rpartition("=")
        if not sep or not text:
            raise OptionError(f"species must be given as SPECIES=ABUNDANCE, got {item!r}")
        try:
            ab = float(value)
        except ValueError:
            raise OptionError(f"abundance in {item!r} is not a number: {value!r}") from None
        if not (ab >= 0 and ab < float("inf")):
            raise OptionError(f"abundance in {item!r} must be a non-negative number")
        ion = Ion.parse(text, library=lib)
        out[ion] = out.get(ion, 0.0) + ab
    return out


_SPECTRUM_SUFFIXES = (".mzml", ".txt", ".tsv", ".csv")


def _check_spectrum_out(path: Path, *, force: bool) -> None:
    """Refuse a spectrum output before any work is done."""
    if path.suffix.lower() not in _SPECTRUM_SUFFIXES:
        raise OptionError(f"--out must end in .mzML, .txt or .csv, got {path.name!r}")
    if path.is_dir():
        raise OutputError(f"--out {path} is a folder; give a file name ending in .mzML, .txt or .csv")
    if path.exists() and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")


def _write_spectrum(spectrum: Any, path: Path, *, force: bool) -> None:
    """Write ``spectrum`` by the suffix of ``path`` (checked beforehand with _check_spectrum_out,
    before the work; the atomic writer refuses a file that appeared since unless ``force``)."""
    from clusterms.spectra import writers

    suffix = path.suffix.lower()
    if suffix == ".mzml":
        writers.write_mzml(spectrum, path, overwrite=force)
    elif suffix == ".csv":
        writers.write_csv(spectrum, path, overwrite=force)
    else:
        writers.write_text(spectrum, path, overwrite=force)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from clusterms.simulate import simulate_spectrum

    species = _species_abundances(args.species, _library(args))
    if not args.resolution > 0:
        raise OptionError(f"--resolution must be positive, got {args.resolution}")
    _check_spectrum_out(Path(args.out), force=args.force)
    mz_range = tuple(args.mz_range) if args.mz_range else None
    spec = simulate_spectrum(species, resolution=args.resolution, noise=args.noise,
                             baseline=args.baseline, calibration_ppm=args.calibration_ppm,
                             mz_range=mz_range, seed=args.seed)  # type: ignore[arg-type]
    _write_spectrum(spec, Path(args.out), force=args.force)
    _err(f"wrote {args.out}: simulated profile spectrum, {len(spec):,} points, "
         f"m/z {spec.mz[0]:.1f}-{spec.mz[-1]:.1f}, R={args.resolution:g}")
    return 0


# reading --------------------------------------------------------------------------------
def _add_read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scan", metavar="N", help="use one scan (index or native id) of an mzML/mzXML file")
    p.add_argument("--time-range", type=float, nargs=2, metavar=("LO", "HI"),
                   help="combine the scans in this retention-time range (minutes)")
    p.add_argument("--combine", choices=["sum", "mean"], default="sum", help="how scans are combined")
    p.add_argument("--ms-level", type=int, default=1, metavar="N", help="MS level of the scans to use (default 1)")
    add_limit_options(p)


def _read(args: argparse.Namespace, path: str, polarity: str | None = None) -> Any:
    from clusterms.spectra.readers import read_spectrum

    scan: int | str | None = None
    if getattr(args, "scan", None) is not None:
        scan = int(args.scan) if str(args.scan).isdigit() else str(args.scan)
    tr = tuple(args.time_range) if getattr(args, "time_range", None) else None
    return read_spectrum(path, scan=scan, time_range=tr, combine=getattr(args, "combine", "sum"),
                         polarity=polarity, ms_level=getattr(args, "ms_level", 1))


def _progress() -> Callable[[str], None]:
    """Progress lines on stderr (one per stage, with elapsed time)."""
    import time

    start = time.perf_counter()

    def say(msg: str) -> None:
        _err(f"[{time.perf_counter() - start:6.2f} s] {msg}")

    return say


# assign ---------------------------------------------------------------------------------
def _cmd_assign(args: argparse.Namespace) -> int:
    from clusterms.assign.pipeline import AssignSettings, assign_spectrum
    from clusterms.assign.space_options import candidates_from_args, options_from_args
    from clusterms.outdir import check_output_directory

    if not args.reactant and not args.species and not args.search:
        raise OptionError("assign needs --reactant (repeatable), --species or --search")
    out = check_output_directory(args.out, force=args.force, inputs=[args.file])
    settings = AssignSettings(resolution=args.resolution, snr=args.snr, min_score=args.min_score,
                              max_ppm=args.max_ppm, min_abundance=args.min_abundance,
                              baseline=not args.no_baseline, decoys=not args.no_decoys, seed=args.seed,
                              fdr=args.fdr, centroid_intensity=args.centroid_intensity)
    say = _progress() if not args.quiet else (lambda _m: None)
    lib = _library(args)
    say(f"reading {args.file}")
    spectrum = _read(args, args.file, polarity=args.polarity)
    say(f"read {len(spectrum):,} points, m/z {spectrum.mz[0]:.1f}-{spectrum.mz[-1]:.1f}")
    say("building the candidate space")
    cands = candidates_from_args(args, lib, file_polarity=spectrum.polarity)
    result = assign_spectrum(spectrum, cands, settings=settings, progress=say)
    space = options_from_args(args)
    params = {
        "clusterms_version": __version__,
        "command": "assign",
        "input_file": str(args.file),
        "input_sha256": _sha256(args.file),
        "reactants": list(args.reactant or []),
        "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
        "candidate_space": {k: (list(v) if isinstance(v, tuple) else v)
                            for k, v in space.__dict__.items()},
        "ligand_file": args.ligands,
        "aliases": list(args.alias or []),
        "scan": args.scan, "time_range": args.time_range, "combine": args.combine,
    }
    say("writing the report")
    from clusterms.report.write import write_assignment

    write_assignment(result, out, settings=settings, params=params,
                     title=f"clusterms assignment: {Path(args.file).name}", source=str(args.file),
                     metadata=dict(spectrum.metadata),
                     report_settings={**params["settings"], "reactants": ", ".join(params["reactants"])},
                     force=args.force, inputs=[args.file])
    say(f"done: {len(result.assignments)} species assigned, {len(result.unassigned)} unassigned "
        f"envelopes -> {out}/")
    for note in result.notes:
        _err(f"warning: {note}")
    if not args.quiet:
        if not result.reliable:
            _out(f"UNRELIABLE: {result.notes[0].removeprefix('unreliable result: ')}")
        shown = result.assignments[:25]
        rows = [[a.species + (" *" if a.ambiguous_with else ""), f"{a.charge:+d}", f"{a.mz:.4f}", f"{a.ppm:+.2f}",
                 f"{a.score:.3f}", f"{a.abundance:.1f}", str(a.electrons), "" if a.q_value != a.q_value
                 else f"{a.q_value:.3f}", a.label] for a in shown]
        _out(_fmt_table(["species", "z", "m/z", "ppm", "score", "abundance", "e-", "q", "label"], rows,
                        right={1, 2, 3, 4, 5, 6, 7}))
        if len(result.assignments) > 25:
            _out(f"... {len(result.assignments) - 25} more in {out}/assignments.csv")
        if any(a.ambiguous_with for a in shown):
            _out("* the envelope fits other candidates as well at this resolving power: "
                 "see ambiguous_with in assignments.csv")
    return 0


# candidates -----------------------------------------------------------------------------
def _cmd_candidates(args: argparse.Namespace) -> int:
    import csv
    import io

    from clusterms.assign.candidates import candidates_table
    from clusterms.assign.space_options import candidates_from_args

    if not args.reactant and not args.species and not args.search:
        raise OptionError("candidates needs --reactant (repeatable), --species or --search")
    if args.csv and Path(args.csv).exists() and not args.force:
        raise OutputError(f"{args.csv} exists; use --force to overwrite it")
    rows = candidates_table(candidates_from_args(args, _library(args)))
    cols = ["species", "formula", "charge", "mz", "electrons", "label"]
    if args.csv:
        from clusterms.io_atomic import atomic_write

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        with atomic_write(args.csv, overwrite=args.force) as fh:
            fh.write(buf.getvalue())
        _err(f"wrote {len(rows):,} candidates to {args.csv}")
        return 0
    _out(_fmt_table(["species", "formula", "z", "most abundant m/z", "e-", "label"],
                    [[str(r["species"]), str(r["formula"]), f"{int(str(r['charge'])):+d}", f"{float(str(r['mz'])):.4f}",
                      str(r["electrons"]), str(r["label"])] for r in rows], right={2, 3, 4}))
    _err(f"{len(rows):,} candidates")
    return 0


# peaks ----------------------------------------------------------------------------------
def _cmd_peaks(args: argparse.Namespace) -> int:
    from clusterms.spectra.envelopes import find_envelopes

    spectrum = _read(args, args.file)
    polarity = spectrum.polarity or args.polarity
    if polarity is None:
        raise OptionError(f"{args.file} does not say its polarity: give --polarity negative|positive")
    if spectrum.polarity and args.polarity and spectrum.polarity != args.polarity:
        _err(f"warning: {args.file} is {spectrum.polarity} mode; --polarity {args.polarity} ignored")
    if args.min_peaks < 2:
        raise OptionError(f"--min-peaks must be at least 2, got {args.min_peaks}")
    if args.max_charge < 1:
        raise OptionError(f"--max-charge must be at least 1, got {args.max_charge}")
    rows = find_envelopes(spectrum, polarity=polarity, min_snr=args.min_snr, min_peaks=args.min_peaks,
                          max_charge=args.max_charge)
    if args.json:
        _out(json.dumps([r.as_dict() for r in rows], indent=1))
        return 0
    _out(_fmt_table(["apex m/z", "|z|", "intensity", "mass (e- carried)", "mass (H+ carried)", "peaks", "score"],
                    [[f"{r.apex_mz:.4f}", str(r.charge), f"{r.intensity:.4g}", f"{r.mass_electron:.3f}",
                      f"{r.mass_proton:.3f}", str(r.n_peaks), f"{r.score:.2f}"] for r in rows],
                    right={0, 1, 2, 3, 4, 5, 6}))
    return 0


# demo -----------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    from clusterms.demo import run_demo

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder; choose another --out")
    # The demo replaces its own outputs only with --force (assign/ only if it is a clusterms result).
    return run_demo(out, write=_out, force=args.force)


# parser ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    p = _Parser(prog="clusterms", description="Mass spectrometry of atomically precise metal "
                "nanoclusters: masses, isotope patterns, simulation and assignment.")
    p.add_argument("--version", action="version", version=f"clusterms {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    m = sub.add_parser("mass", help="masses, m/z and electron counts of species")
    m.add_argument("species", nargs="+", metavar="SPECIES", help="e.g. '[Ag29(BDT)12]3-' or Ag@I")
    m.add_argument("--json", action="store_true", help="JSON array, one object per species")
    _add_chem_options(m)
    m.set_defaults(handler=_cmd_mass)

    pt = sub.add_parser("pattern", help="isotope patterns (aggregated, fine, or profile)")
    pt.add_argument("species", nargs="+", metavar="SPECIES")
    pt.add_argument("--json", action="store_true", help="JSON array of {species, formula, charge, peaks}")
    pt.add_argument("--fine", action="store_true", help="fine structure (isotopologues) via IsoSpecPy")
    pt.add_argument("--resolution", type=float, metavar="R", help="resolving power (FWHM = m/z / R)")
    pt.add_argument("--profile", action="store_true", help="profile at --resolution instead of sticks")
    pt.add_argument("--shape", default="gaussian", choices=["gaussian", "lorentzian", "pseudo-voigt"])
    pt.add_argument("--coverage", type=float, default=0.9999, help="probability to cover (default 0.9999)")
    pt.add_argument("--abundance", action="append", default=[], metavar="107Ag=0.99",
                    help="custom isotope abundance (repeatable), e.g. 107Ag=0.99 109Ag=0.01")
    pt.add_argument("--min-intensity", type=float, default=0.0, metavar="PCT",
                    help="hide peaks below this %% of the base peak in the table")
    _add_chem_options(pt)
    pt.set_defaults(handler=_cmd_pattern)

    s = sub.add_parser("simulate", help="write a simulated profile spectrum of a mixture")
    s.add_argument("species", nargs="+", metavar="SPECIES=ABUNDANCE")
    s.add_argument("--resolution", type=float, required=True, metavar="R")
    s.add_argument("--noise", type=float, default=0.0, metavar="LEVEL",
                   help="detector noise as a fraction of the base peak (adds shot noise too)")
    s.add_argument("--baseline", action="store_true", help="add a chemical-noise baseline hump")
    s.add_argument("--calibration-ppm", type=float, default=0.0, metavar="X")
    s.add_argument("--mz-range", type=float, nargs=2, metavar=("LO", "HI"))
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, metavar="FILE.(mzML|txt)")
    s.add_argument("--force", action="store_true", help="overwrite an existing output")
    _add_chem_options(s)
    s.set_defaults(handler=_cmd_simulate)

    a = sub.add_parser("assign", help="assign every envelope of a spectrum to a composition")
    a.add_argument("file", metavar="FILE", help="mzML, mzXML or text export (two columns)")
    from clusterms.assign.space_options import add_space_arguments

    add_space_arguments(a)
    a.add_argument("--out", required=True, metavar="DIR", help="output folder")
    a.add_argument("--force", action="store_true", help="replace an existing output folder")
    a.add_argument("--resolution", type=float, metavar="R", help="resolving power (default: estimated)")
    a.add_argument("--snr", type=float, default=3.0, help="minimum apex signal-to-noise (default 3)")
    a.add_argument("--min-score", type=float, default=0.8, help="minimum pattern score 0-1 (default 0.8)")
    a.add_argument("--max-ppm", type=float, default=10.0, help="maximum |ppm| after recalibration (default 10)")
    a.add_argument("--min-abundance", type=float, default=0.5,
                   help="smallest abundance reported, %% of the largest (default 0.5)")
    a.add_argument("--no-baseline", action="store_true", help="do not subtract a baseline")
    a.add_argument("--no-decoys", action="store_true", help="skip the decoy false-assignment estimate")
    a.add_argument("--centroid-intensity", choices=["area", "height"], default="area",
                   help="for centroid input: whether each centroid's intensity is its peak area (default) or "
                        "height")
    a.add_argument("--fdr", type=float, default=0.01, metavar="Q",
                   help="largest q-value (target-decoy false-discovery rate) reported (default 0.01)")
    a.add_argument("--seed", type=int, default=0, help="random seed (decoys); results are deterministic")
    a.add_argument("--quiet", action="store_true", help="no progress lines and no summary table")
    _add_read_options(a)
    _add_chem_options(a)
    a.set_defaults(handler=_cmd_assign)

    c = sub.add_parser("candidates", help="the candidate space: what to look for, and where")
    add_space_arguments(c)
    c.add_argument("--csv", metavar="FILE", help="write the table as CSV")
    c.add_argument("--force", action="store_true", help="overwrite an existing --csv file")
    _add_chem_options(c)
    c.set_defaults(handler=_cmd_candidates)

    k = sub.add_parser("peaks", help="composition-free envelope detection (charge from isotope spacing)")
    k.add_argument("file", metavar="FILE")
    k.add_argument("--polarity", choices=["negative", "positive"],
                   help="polarity if the file does not say (the file wins)")
    k.add_argument("--json", action="store_true",
                   help="JSON array of {apex_mz, charge, intensity, mass_electron, mass_proton}")
    k.add_argument("--min-snr", type=float, default=5.0, help="peak picking threshold (default 5)")
    k.add_argument("--min-peaks", type=int, default=6,
                   help="fewest isotope peaks per envelope (default 6 for clusters; 3 for peptides)")
    k.add_argument("--max-charge", type=int, default=8, help="highest |z| considered (default 8)")
    _add_read_options(k)
    k.set_defaults(handler=_cmd_peaks)

    from clusterms.cli_mobility import add_parser as add_mobility
    from clusterms.cli_series import add_parser as add_series
    from clusterms.cli_tandem import add_parsers as add_tandem
    from clusterms.cli_uvvis import add_parser as add_uvvis

    add_tandem(sub, add_reader_chem_options)  # ramp reads spectra: --max-points with the chemistry
    add_series(sub, add_reader_chem_options)
    add_uvvis(sub)
    add_mobility(sub, _add_chem_options)

    d = sub.add_parser("demo", help="the main job on the shipped example (make demo)")
    d.add_argument("--out", default="demo-output", metavar="DIR")
    d.add_argument("--force", action="store_true", help="replace the outputs of an earlier demo")
    d.set_defaults(handler=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from clusterms._signals import Interrupted, arm

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    # --debug is accepted anywhere on the line, before or after the command.
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClustermsWarning)
        try:
            arm()
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help and --version end here, having printed
                return exc.code if isinstance(exc.code, int) else 0
            if not getattr(args, "command", None):
                raise OptionError("a command is needed: mass, pattern, simulate, assign, candidates, "
                                  "peaks, ramp, ramp-compare, series, uvvis, mobility or demo (see 'clusterms --help')")
            handler: Handler = args.handler
            if getattr(args, "max_points", None) is not None:
                from clusterms.limits import parse_count, using

                with using(max_points=parse_count(args.max_points, name="--max-points")):
                    code = handler(args)
            else:
                code = handler(args)
        except NotationError as exc:
            _flush_warnings(caught)
            _err(f"error: {exc.one_line()}")
            return 2
        except ClustermsError as exc:
            _flush_warnings(caught)
            _err(f"error: {exc}" if str(exc) else f"error: {type(exc).__name__}")
            return 2
        except Interrupted as exc:
            _err("error: interrupted")
            return exc.exit_code
        except KeyboardInterrupt:
            _err("error: interrupted")
            return 130
        except BrokenPipeError:
            # stdout closed before the results were all printed: never a success.
            _err("error: output stream closed before the results were written")
            return 2
        except Exception as exc:  # the last line of defence: never a bare traceback
            if debug:
                raise
            _err(f"clusterms: internal error: {type(exc).__name__}: {exc} "
                 "(rerun with --debug for the traceback and report it)")
            return 1
        _flush_warnings(caught)
    return code


def _flush_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, ClustermsWarning):
            _err(f"warning: {w.message}")
    caught.clear()


def entry() -> None:
    """Console-script entry point.

    Once the command has returned, every output file is closed (they are written through
    context managers) and only the interpreter's teardown is left: unloading numpy and
    the other modules object by object, 50-80 ms that change nothing for the user. The
    process therefore flushes its streams and ends at once. ``CLUSTERMS_FULL_EXIT=1``
    keeps the normal teardown (for tools that hook interpreter exit, such as coverage).
    """
    from clusterms._signals import install

    install()
    code = main()
    try:
        sys.stdout.flush()  # `> /dev/full` or a closed pipe shows here: never a silent success
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        _err(f"error: cannot write the standard output ({reason}); check the disk or the pipe")
        code = code or 2
        try:  # drop what is left in the buffer so teardown does not retry the write
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
    if os.environ.get("CLUSTERMS_FULL_EXIT"):
        sys.exit(code)
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()  # flush any log handlers
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (e.g. `| head`): nothing left to say
            pass
    os._exit(code)
