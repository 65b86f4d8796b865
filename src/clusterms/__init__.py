"""clusterms: mass spectrometry of atomically precise metal nanoclusters.

>>> from clusterms import Ion
>>> ion = Ion.parse("[Ag29(BDT)12]3-")
>>> ion.electrons
8
"""

from __future__ import annotations

import sys as _sys

# The console script imports this package before cli.entry runs: route SIGINT/SIGTERM to a
# clean `error: interrupted` from the first instruction on (never a KeyboardInterrupt
# traceback during imports). Library users (any other argv[0]) keep their own handlers.
# `_signal` and `os` are already loaded by the interpreter: nothing is imported for this.
if _sys.argv and _sys.argv[0].rsplit("/", 1)[-1] == "clusterms":
    import _signal
    import os as _os

    def _early_exit(signum: int, frame: object) -> None:
        # Before cli.main runs nothing has been written: say it and leave at once.
        _os.write(2, b"error: interrupted\n")
        _os._exit(128 + signum)

    _signal.signal(_signal.SIGINT, _early_exit)
    _signal.signal(_signal.SIGTERM, _early_exit)

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterms.assign.pipeline import Assignment, AssignResult, AssignSettings, assign_spectrum
    from clusterms.assign.quantify import quantify
    from clusterms.assign.space import candidate_space
    from clusterms.chem.composition import Composition
    from clusterms.chem.ion import Ion
    from clusterms.demo import example_path
    from clusterms.isotopes.abundances import Abundances
    from clusterms.isotopes.envelope import Envelope
    from clusterms.report.write import write_assignment
    from clusterms.spectra.readers import read_spectrum
    from clusterms.spectra.spectrum import Spectrum

__version__ = "0.1.0"

_LAZY = {
    "Composition": "clusterms.chem.composition",
    "Ion": "clusterms.chem.ion",
    "Spectrum": "clusterms.spectra.spectrum",
    "read_spectrum": "clusterms.spectra.readers",
    "candidate_space": "clusterms.assign.space",
    "AssignSettings": "clusterms.assign.pipeline",
    "AssignResult": "clusterms.assign.pipeline",
    "Assignment": "clusterms.assign.pipeline",
    "assign_spectrum": "clusterms.assign.pipeline",
    "quantify": "clusterms.assign.quantify",
    "write_assignment": "clusterms.report.write",
    "example_path": "clusterms.demo",
    "ClustermsError": "clusterms.errors",
    "InputFileError": "clusterms.errors",
    "NotationError": "clusterms.errors",
    "OptionError": "clusterms.errors",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so ``import clusterms`` (the CLI start) stays light."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clusterms' has no attribute {name!r}")

__all__ = [
    "AssignResult",
    "AssignSettings",
    "Assignment",
    "ClustermsError",
    "Composition",
    "InputFileError",
    "Ion",
    "NotationError",
    "OptionError",
    "Spectrum",
    "__version__",
    "assign_spectrum",
    "candidate_space",
    "envelopes",
    "example_path",
    "quantify",
    "read_spectrum",
    "write_assignment",
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
    from clusterms.chem.ion import Ion
    from clusterms.isotopes.engine import composition_envelopes

    parsed = [i if isinstance(i, Ion) else Ion.parse(i) for i in ions]
    return composition_envelopes([(i.composition, i.charge) for i in parsed], coverage=coverage,
                                 abundances=abundances)
