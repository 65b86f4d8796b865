"""Command-line options of the candidate space (shared by ``assign`` and ``candidates``).

The option texts are parsed here, not by argparse ``type=`` functions, so that every bad
value ends in one :class:`~clusterms.errors.OptionError` line naming the option.
"""

from __future__ import annotations

import argparse
import math
import re

from clusterms.assign.candidates import (
    MAX_LOSS,
    Candidate,
    SpaceOptions,
    _collect_space,
    _polarity,
    finalise_space,
)
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import LigandLibrary, default_library
from clusterms.chem.notation import MAX_CHARGE
from clusterms.errors import NotationError, OptionError

__all__ = ["DEFAULT_SEARCH_CHARGES", "add_space_arguments", "candidates_from_args", "options_from_args",
           "parse_charges"]

DEFAULT_SEARCH_CHARGES: tuple[int, ...] = (1, 2, 3, 4)
_DEFAULTS = SpaceOptions()


def add_space_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the candidate-space options to ``parser`` (``--reactant`` is not made required)."""
    g = parser.add_argument_group(
        "candidate space",
        "species searched for: each reactant in nearby charge states with adducts, homodimers, "
        "the heterodimer of each pair and its losses, metal and ligand exchange products and "
        "small fragments")
    g.add_argument("--reactant", action="append", metavar="SPECIES", dest="reactant",
                   help="a reactant cluster, e.g. \"[Ag29(BDT)12]3-\" or Ag@I (repeat for each)")
    g.add_argument("--charges", metavar="LIST", dest="charges",
                   help="observed charges replacing the default ones, as magnitudes taking the reactants' "
                        "sign: 1-4 or 2,3,4 (3- for an explicit anion charge); also the charges of --search "
                        "(default 1-4 there)")
    g.add_argument("--max-loss", metavar="N", dest="max_loss",
                   help="largest number of metal atoms in a unit lost from a heterodimer (default "
                        f"{_DEFAULTS.max_loss}): losses are L and 2 L for each ligand, and Ag_k L_m for k = 1..N "
                        "with formal charge 0 to -2 (m = k..k+2 for a thiolate); 0 keeps only the intact "
                        "heterodimer")
    g.add_argument("--adducts", metavar="LIST", dest="adducts",
                   help="adducts to consider, comma-separated, at most one counter-ion per ion plus up to "
                        f"{_DEFAULTS.max_protons} H+ if H is listed (default "
                        f"H,{','.join(_DEFAULTS.adducts)}); 'none' for no adducts")
    g.add_argument("--no-exchange", action="store_true", dest="no_exchange",
                   help="leave out metal and ligand exchange products")
    g.add_argument("--species", action="append", metavar="SPECIES", dest="species",
                   help="an extra species to look for (repeatable)")
    g.add_argument("--search", metavar="PATTERN", dest="search",
                   help="also every composition of a formula range, e.g. \"Ag20-60 Au0-1 (BDT)0-12 (DMBT)0-20\" "
                        "(refused over $CLUSTERMS_MAX_CANDIDATES combinations or $CLUSTERMS_MAX_SPACE_MB of "
                        "envelopes; see docs/limits.md)")
    g.add_argument("--mz-range", nargs=2, metavar=("LO", "HI"), dest="mz_range",
                   help="keep only candidates whose isotope envelope reaches into LO..HI")


def parse_charges(text: str, /, *, option: str = "--charges") -> tuple[int, ...]:
    """Charges from ``"1-4"``, ``"2,3,4"``, ``"1-2,4"`` or ``"3-,4-"`` (magnitudes; a trailing
    ``-`` makes an explicit anion charge, a trailing ``+`` is just a magnitude)."""
    out: list[int] = []
    items = [t.strip() for t in str(text).split(",")]
    for item in items:
        rng = re.fullmatch(r"(\d{1,3})\s*-\s*(\d{1,3})", item)
        one = re.fullmatch(r"(\d{1,3})\s*([+-]?)", item) or re.fullmatch(r"([+-])\s*(\d{1,3})", item)
        if rng:
            lo, hi = int(rng.group(1)), int(rng.group(2))
            if not 1 <= lo <= hi <= MAX_CHARGE:
                raise OptionError(f"{option}: range {item!r} must run upwards from 1 to at most {MAX_CHARGE}")
            out.extend(range(lo, hi + 1))
        elif one:
            a, b = one.groups()
            digits, sign = (a, b) if a.isdigit() else (b, a)
            z = int(digits)
            if not 1 <= z <= MAX_CHARGE:
                raise OptionError(f"{option}: charge {item!r} must be from 1 to {MAX_CHARGE} in size")
            out.append(-z if sign == "-" else z)
        else:
            raise OptionError(f"{option}: expected charges like 1-4 or 2,3,4, got {text!r}")
    return tuple(dict.fromkeys(out))


def _max_loss(text: str) -> int:
    try:
        n = int(str(text).strip())
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_LOSS:
        raise OptionError(f"--max-loss: expected an integer from 0 to {MAX_LOSS}, got {text!r}")
    return n


def _adducts(text: str) -> tuple[tuple[str, ...], int]:
    """(counter-ion keys, max_protons) from ``"H,Na"`` or ``"none"``."""
    items = [t.strip() for t in str(text).split(",")]
    if any(not t for t in items):
        raise OptionError(f"--adducts: expected a comma list like H,Na or 'none', got {text!r}")
    if [t.lower() for t in items] == ["none"]:
        return (), 0
    if "none" in (t.lower() for t in items):
        raise OptionError(f"--adducts: 'none' cannot be combined with adducts, got {text!r}")
    known = {k.lower(): k for k in default_library().adducts}
    keys: list[str] = []
    protons = 0
    for t in items:
        key = known.get(t.lower(), t)  # a user library may add others: checked with it later
        if key == "H":
            protons = _DEFAULTS.max_protons
        elif key not in keys:
            keys.append(key)
    return tuple(keys), protons


def _mz_range(values: object) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in values)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise OptionError(f"--mz-range: expected two numbers LO HI, got {values!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise OptionError(f"--mz-range: expected 0 <= LO < HI, got {lo:g} {hi:g}")
    return lo, hi


def options_from_args(args: argparse.Namespace) -> SpaceOptions:
    """The :class:`SpaceOptions` of parsed arguments (options not given keep their defaults)."""
    kw: dict[str, object] = {}
    if getattr(args, "charges", None) is not None:
        kw["charges"] = parse_charges(args.charges)
    if getattr(args, "max_loss", None) is not None:
        kw["max_loss"] = _max_loss(args.max_loss)
    if getattr(args, "adducts", None) is not None:
        kw["adducts"], kw["max_protons"] = _adducts(args.adducts)
    if getattr(args, "no_exchange", False):
        kw["exchange"] = False
    if getattr(args, "species", None):
        kw["species"] = tuple(args.species)
    if getattr(args, "mz_range", None) is not None:
        kw["mz_range"] = _mz_range(args.mz_range)
    return SpaceOptions(**kw)  # type: ignore[arg-type]


def _parse(text: str, option: str, library: LigandLibrary) -> Ion:
    try:
        return Ion.parse(text, library=library)
    except NotationError as exc:
        raise NotationError(f"{option}: {exc.message}", exc.text, exc.position) from None


def candidates_from_args(args: argparse.Namespace, library: LigandLibrary, /) -> list[Candidate]:
    """The candidate space the arguments describe: :func:`build_space` of the reactants,
    the explicit species and the ``--search`` compositions (at ``--charges``, default 1-4,
    with the reactants' sign), deduped, filtered by ``--mz-range`` and sorted by m/z."""
    options = options_from_args(args)
    for key in options.adducts:
        if key not in library.adducts:
            raise OptionError(f"--adducts: unknown adduct {key!r}; known: H, "
                              + ", ".join(sorted(k for k in library.adducts if k != "H")))
    reactants = [_parse(t, "--reactant", library) for t in (getattr(args, "reactant", None) or [])]
    species = [_parse(t, "--species", library) for t in options.species]
    raw = _collect_space(reactants, options, library)
    pattern = getattr(args, "search", None)
    if pattern:
        polarity = _polarity(reactants or species)
        charges = options.charges or DEFAULT_SEARCH_CHARGES
        if polarity > 0 and any(z < 0 for z in charges):
            raise OptionError("--charges: anion charges (3-) do not fit cationic reactants")
        from clusterms.assign.search import search_space

        try:
            raw += search_space(pattern, charges=charges, polarity=polarity, library=library,
                                mz_range=options.mz_range)
        except NotationError as exc:
            raise NotationError(f"--search: {exc.message}", exc.text, exc.position) from None
        except OptionError as exc:
            raise OptionError(f"--search: {exc}") from None
    return finalise_space(raw, mz_range=options.mz_range)
