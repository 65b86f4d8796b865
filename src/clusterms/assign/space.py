"""The candidate space as one library call: reactants, explicit species and a formula search.

The same rules, defaults and messages as ``clusterms assign`` / ``clusterms candidates`` (the
command line goes through :func:`clusterms.assign.space_options.candidates_from_args`, and so
does this function), so a notebook and the CLI build identical spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace

from clusterms.assign.candidates import Candidate
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import LigandLibrary, default_library

__all__ = ["candidate_space"]


def _text(x: Ion | str) -> str:
    return x.notation if isinstance(x, Ion) else str(x)


def candidate_space(
    *,
    reactants: Iterable[Ion | str] = (),
    species: Iterable[Ion | str] = (),
    search: str | None = None,
    charges: str | Sequence[int] | None = None,
    polarity: str | None = None,
    adducts: str | Sequence[str] | None = None,
    max_loss: int | None = None,
    exchange: bool = True,
    max_metal_exchange: int | None = None,
    mz_range: tuple[float, float] | None = None,
    library: LigandLibrary | None = None,
    ligands: str | Path | None = None,
) -> list[Candidate]:
    """Every candidate the reactants can give, plus ``species`` and the ``search`` range.

    Parameters
    ----------
    reactants
        Reactant clusters (``Ion`` or notation, e.g. ``"Ag@I"``, ``"[Au25(PET)18]"``).
    species
        Extra species to look for (kind ``explicit``).
    search
        A formula range, e.g. ``"Ag20-60 Au0-1 (BDT)0-12 (DMBT)0-20"``.
    charges
        Observed charges replacing the defaults: ``"1+,2+"``, ``"3-"``, ``"1-4"`` or a tuple of
        ints (negative: anion charges; positive: magnitudes taking the polarity).
    polarity
        ``"negative"`` or ``"positive"``; needed for neutral reactants unless ``charges`` has a sign.
    adducts
        Counter-ions and H (``"H,Na"``, ``("Cs",)``, ``"none"``).
    max_loss, exchange, max_metal_exchange, mz_range
        As the command-line options of the same names.
    library, ligands
        A ligand library, or a ligand file to read over the built-in one.

    Returns
    -------
    list of Candidate
        One per formula and charge, sorted by most-abundant m/z.

    Examples
    --------
    >>> space = candidate_space(reactants=["[Au25(PET)18]"], polarity="positive", exchange=False)
    >>> all(c.charge > 0 for c in space), "[Au25(PET)18Cs]+" in {c.ion.notation for c in space}
    (True, True)
    """
    from clusterms.assign.space_options import candidates_from_args

    if library is None:
        from clusterms.chem.ligands import load_library

        library = load_library(ligands) if ligands is not None else default_library()
    charge_text = None
    if charges is not None:
        charge_text = charges if isinstance(charges, str) else ",".join(
            f"{-z}-" if z < 0 else str(z) for z in charges)
    adduct_text = None
    if adducts is not None:
        adduct_text = adducts if isinstance(adducts, str) else (",".join(adducts) or "none")
    args = SimpleNamespace(
        reactant=[_text(r) for r in reactants], species=[_text(s) for s in species] or None, search=search,
        charges=charge_text, polarity=polarity, adducts=adduct_text,
        max_loss=None if max_loss is None else str(max_loss), no_exchange=not exchange,
        max_metal_exchange=None if max_metal_exchange is None else str(max_metal_exchange),
        mz_range=None if mz_range is None else list(mz_range),
    )
    return candidates_from_args(args, library)  # type: ignore[arg-type]
