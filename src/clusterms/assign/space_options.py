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

__all__ = ["DEFAULT_SEARCH_CHARGES", "add_space_arguments", "candidates_from_args", "charge_signs", "options_from_args",
           "parse_charges", "space_polarity"]

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
                   help="observed charges replacing the default ones: signed (1+,2+ or 3-,-2) or magnitudes "
                        "taking the spectrum's polarity (1-4, 2,3,4); also the charges of --search "
                        "(default 1-4 there)")
    g.add_argument("--polarity", choices=["negative", "positive"], dest="polarity",
                   help="ion polarity when the file does not say (text exports) or, for a file with both, "
                        "which scans to use; candidates are built for this polarity only")
    g.add_argument("--max-metal-exchange", metavar="N", dest="max_metal_exchange",
                   help=f"most metal atoms swapped between two reactants (default {_DEFAULTS.max_metal_exchange}); "
                        "two clusters of one size and ligand count get the full alloy series anyway")
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
    """Charges from ``"1-4"``, ``"2,3,4"``, ``"1-2,4"``, ``"3-,4-"`` or ``"1+,2+"``.

    Bare numbers and ranges are magnitudes (positive values, taking the polarity of the space);
    ``3-`` or ``-3`` is an anion charge (negative value); ``2+`` or ``+2`` a cation charge
    (positive value; see :func:`charge_signs` for which were written with a sign)."""
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


def charge_signs(text: str, /) -> set[int]:
    """The signs written explicitly in a ``--charges`` text (+1 for ``2+``, -1 for ``3-``)."""
    signs = set()
    for item in (t.strip() for t in str(text).split(",")):
        if re.fullmatch(r"\d{1,3}\s*-\s*\d{1,3}", item):
            continue  # a range of magnitudes
        if item.endswith("+") or item.startswith("+"):
            signs.add(1)
        elif item.endswith("-") or item.startswith("-"):
            signs.add(-1)
    return signs


def _int_option(text: str, option: str, top: int) -> int:
    try:
        n = int(str(text).strip())
    except ValueError:
        n = -1
    if not 0 <= n <= top:
        raise OptionError(f"{option}: expected an integer from 0 to {top}, got {text!r}")
    return n


def _max_loss(text: str) -> int:
    return _int_option(text, "--max-loss", MAX_LOSS)


def _adducts(text: str) -> tuple[tuple[str, ...], int]:
    """(counter-ion keys, max_protons) from ``"H,Na"``, ``"+Cs"`` or ``"none"``."""
    items = [t.strip().removeprefix("+").strip() for t in str(text).split(",")]
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
    if getattr(args, "max_metal_exchange", None) is not None:
        kw["max_metal_exchange"] = _int_option(args.max_metal_exchange, "--max-metal-exchange", 100)
    return SpaceOptions(**kw)  # type: ignore[arg-type]


def space_polarity(args: argparse.Namespace, reactants: list[Ion], *, file_polarity: str | None = None) -> int:
    """The polarity of the candidate space: the spectrum's, else ``--polarity``, else the sign
    written in ``--charges``, else the reactants' total charge; neutral reactants with none of
    these are refused (an ambiguous space)."""
    given = {"positive": 1, "negative": -1}
    option = getattr(args, "polarity", None)
    charges = getattr(args, "charges", None)
    signs = charge_signs(charges) if charges is not None else set()
    if len(signs) > 1:
        raise OptionError(f"--charges: mixes cation and anion charges ({charges!r}); one polarity per spectrum")
    if file_polarity in given:
        pol = given[file_polarity]
        if option is not None and given[option] != pol:
            raise OptionError(f"--polarity {option} does not match the spectrum, which is {file_polarity} mode")
    elif option is not None:
        pol = given[option]
    elif signs:
        pol = next(iter(signs))
    elif any(r.core_charge for r in reactants):
        pol = _polarity(reactants)
    elif reactants:
        raise OptionError("the reactants are neutral and the spectrum's polarity is unknown: "
                          "give --polarity positive or --polarity negative")
    else:
        pol = -1
    if signs and next(iter(signs)) != pol:
        raise OptionError(f"--charges {charges} does not fit a {'positive' if pol > 0 else 'negative'}-mode "
                          "spectrum")
    return pol


def _parse(text: str, option: str, library: LigandLibrary) -> Ion:
    try:
        return Ion.parse(text, library=library)
    except NotationError as exc:
        raise NotationError(f"{option}: {exc.message}", exc.text, exc.position) from None


def candidates_from_args(args: argparse.Namespace, library: LigandLibrary, /, *,
                         file_polarity: str | None = None) -> list[Candidate]:
    """The candidate space the arguments describe: :func:`build_space` of the reactants,
    the explicit species and the ``--search`` compositions (at ``--charges``, default 1-4),
    all of one polarity (:func:`space_polarity`), deduped, filtered by ``--mz-range`` and
    sorted by m/z."""
    import dataclasses

    options = options_from_args(args)
    for key in options.adducts:
        if key not in library.adducts:
            raise OptionError(f"--adducts: unknown adduct {key!r}; known: H, "
                              + ", ".join(sorted(k for k in library.adducts if k != "H")))
    reactants = [_parse(t, "--reactant", library) for t in (getattr(args, "reactant", None) or [])]
    species = [_parse(t, "--species", library) for t in options.species]
    polarity = space_polarity(args, reactants or species, file_polarity=file_polarity)
    for text, ion in zip(options.species, species, strict=True):
        if ion.charge and (ion.charge > 0) != (polarity > 0):
            raise OptionError(f"--species {text}: a {'cation' if ion.charge > 0 else 'anion'} cannot appear in a "
                              f"{'positive' if polarity > 0 else 'negative'}-mode spectrum")
    options = dataclasses.replace(options, polarity=polarity)
    raw = _collect_space(reactants, options, library)
    if reactants and not any(c.kind == "parent" for c in raw):
        raise OptionError(f"no candidate of {'positive' if polarity > 0 else 'negative'} polarity: the reactants "
                          "are ions of the other sign (check --polarity or the file)")
    pattern = getattr(args, "search", None)
    if pattern:
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
