"""Pieces every command of the command line shares: chemistry options, checksums, CSV text.

Kept light (no numpy, nothing heavy at import): ``clusterms --help`` loads it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterms.chem.ligands import LigandLibrary

__all__ = ["add_chem_options", "add_limit_options", "add_reader_chem_options", "csv_text", "fmt_float",
           "library", "sha256_file"]


def add_chem_options(p: argparse.ArgumentParser) -> None:
    """``--ligands FILE`` and ``--alias NAME=LIGAND`` (repeatable)."""
    p.add_argument("--ligands", metavar="FILE", help="extra ligand library (TOML) merged over the built-in one")
    p.add_argument("--alias", action="append", default=[], metavar="NAME=LIGAND",
                   help="ligand alias, e.g. --alias L=BDT --alias \"L'=DMBT\" (repeatable)")


def add_limit_options(p: argparse.ArgumentParser) -> None:
    """``--max-points N``: raise the point limit of the spectra a command reads (docs/limits.md)."""
    p.add_argument("--max-points", metavar="N", dest="max_points",
                   help="most points read from one input file, summed over its scans (default 50,000,000 "
                        "or $CLUSTERMS_MAX_POINTS; see docs/limits.md)")


def add_reader_chem_options(p: argparse.ArgumentParser) -> None:
    """The chemistry options and ``--max-points``, for commands that read spectra."""
    add_chem_options(p)
    add_limit_options(p)


def library(args: argparse.Namespace) -> LigandLibrary:
    """The ligand library the chemistry options describe."""
    from clusterms.chem.ligands import default_library, load_library

    lib = load_library(args.ligands) if getattr(args, "ligands", None) else default_library()
    aliases = getattr(args, "alias", None) or []
    return lib.with_aliases(aliases) if aliases else lib


def sha256_file(path: Any) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (for provenance in params.json and reports)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV table (``\\n`` line ends) as text, to be written atomically with the other outputs."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def fmt_float(value: float, spec: str = ".6g") -> str:
    """``value`` formatted with ``spec``; an empty cell for NaN or infinity (not known)."""
    return format(value, spec) if math.isfinite(value) else ""
