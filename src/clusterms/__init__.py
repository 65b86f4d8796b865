"""clusterms: mass spectrometry of atomically precise metal nanoclusters.

>>> from clusterms import Ion
>>> ion = Ion.parse("[Ag29(BDT)12]3-")
>>> ion.electrons
8
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from clusterms.chem.composition import Composition
from clusterms.chem.ion import Ion
from clusterms.errors import ClustermsError, InputFileError, NotationError, OptionError

if TYPE_CHECKING:
    from clusterms.isotopes.abundances import Abundances
    from clusterms.isotopes.envelope import Envelope

__version__ = "0.1.0"

__all__ = [
    "ClustermsError",
    "Composition",
    "InputFileError",
    "Ion",
    "NotationError",
    "OptionError",
    "__version__",
    "envelopes",
]


def envelopes(
    ions: Iterable[Ion | str],
    /,
    *,
    coverage: float = 0.9999,
    abundances: Abundances | None = None,
) -> list[Envelope]:
    """Aggregated envelopes of many ions in one batch (same as ``ion.envelope()`` each).

    Strings are parsed with :meth:`Ion.parse`.
    """
    from clusterms.isotopes.engine import composition_envelopes

    parsed = [i if isinstance(i, Ion) else Ion.parse(i) for i in ions]
    return composition_envelopes([(i.composition, i.charge) for i in parsed], coverage=coverage,
                                 abundances=abundances)
