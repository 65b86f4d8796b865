"""Chemistry core: elements, compositions, ligands, ion notation, electron counting."""

from clusterms.chem.composition import Composition, CompositionError
from clusterms.chem.ion import Ion
from clusterms.chem.ligands import Adduct, Ligand, LigandLibrary, default_library, load_library

__all__ = [
    "Adduct",
    "Composition",
    "CompositionError",
    "Ion",
    "Ligand",
    "LigandLibrary",
    "default_library",
    "load_library",
]
