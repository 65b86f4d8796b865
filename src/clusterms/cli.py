"""The clusterms command line. Only this module prints.

Every error a user can cause ends in one line ``error: ...`` on stderr and exit code 2;
anything unexpected gives exit code 1 and a short message (the traceback with --debug).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterms import __version__
from clusterms.errors import ClustermsError, ClustermsWarning, NotationError, OptionError

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
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# Shared option helpers ------------------------------------------------------------------
def _add_chem_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ligands", metavar="FILE", help="extra ligand library (TOML) merged over the built-in one")
    p.add_argument("--alias", action="append", default=[], metavar="NAME=LIGAND",
                   help="ligand alias, e.g. --alias L=BDT --alias \"L'=DMBT\" (repeatable)")


def _library(args: argparse.Namespace) -> LigandLibrary:
    from clusterms.chem.ligands import default_library, load_library

    lib = load_library(args.ligands) if getattr(args, "ligands", None) else default_library()
    aliases = getattr(args, "alias", None) or []
    return lib.with_aliases(aliases) if aliases else lib


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


def _write_spectrum(spectrum: Any, path: Path, *, force: bool) -> None:
    from clusterms.spectra import writers

    suffix = path.suffix.lower()
    if path.exists() and not force:
        raise ClustermsError(f"{path} exists; use --force to overwrite it")
    if path.parent and not path.parent.exists():
        raise ClustermsError(f"folder {path.parent} does not exist")
    if suffix == ".mzml":
        writers.write_mzml(spectrum, path)
    elif suffix in (".txt", ".tsv"):
        writers.write_text(spectrum, path)
    elif suffix == ".csv":
        writers.write_csv(spectrum, path)
    else:
        raise OptionError(f"--out must end in .mzML, .txt or .csv, got {path.name!r}")


def _cmd_simulate(args: argparse.Namespace) -> int:
    from clusterms.simulate import simulate_spectrum

    species = _species_abundances(args.species, _library(args))
    if not args.resolution > 0:
        raise OptionError(f"--resolution must be positive, got {args.resolution}")
    mz_range = tuple(args.mz_range) if args.mz_range else None
    spec = simulate_spectrum(species, resolution=args.resolution, noise=args.noise,
                             baseline=args.baseline, calibration_ppm=args.calibration_ppm,
                             mz_range=mz_range, seed=args.seed)  # type: ignore[arg-type]
    _write_spectrum(spec, Path(args.out), force=args.force)
    _err(f"wrote {args.out}: simulated profile spectrum, {len(spec):,} points, "
         f"m/z {spec.mz[0]:.1f}-{spec.mz[-1]:.1f}, R={args.resolution:g}")
    return 0


# demo -----------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    from clusterms.demo import run_demo

    return run_demo(Path(args.out), write=_out, force=True)


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

    d = sub.add_parser("demo", help="the main job on the shipped example (make demo)")
    d.add_argument("--out", default="demo-output", metavar="DIR")
    d.set_defaults(handler=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClustermsWarning)
        try:
            args = parser.parse_args(argv)
            if not getattr(args, "command", None):
                parser.print_help()
                return 2
            handler: Handler = args.handler
            code = handler(args)
        except NotationError as exc:
            _flush_warnings(caught)
            _err(f"error: {exc.one_line()}")
            return 2
        except ClustermsError as exc:
            _flush_warnings(caught)
            _err(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            return 2
        except KeyboardInterrupt:
            _err("error: interrupted")
            return 130
        except BrokenPipeError:
            return 0
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
    """Console-script entry point."""
    sys.exit(main())
