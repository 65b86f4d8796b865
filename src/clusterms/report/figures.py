"""Static figures with matplotlib, in the habits of journal figures.

No pyplot (no global state, no display needed): :class:`matplotlib.figure.Figure` rendered
through the Agg (PNG) or SVG backends. SVG keeps text as text (``svg.fonttype = none``).
Colours are the Okabe-Ito palette (safe for colour-blind readers).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["OKABE_ITO", "figure", "render"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

_STYLE: dict[str, Any] = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "savefig.dpi": 300,
    "lines.linewidth": 1.0,
}


@contextmanager
def figure(width_in: float, height_in: float) -> Iterator[Any]:
    """A matplotlib Figure with the house style (no pyplot)."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        yield fig


def render(fig: Any, formats: Sequence[str], /, *, dpi: int = 300) -> dict[str, bytes]:
    """The figure in each of ``formats`` (``png``, ``svg``, ``pdf``), drawn once and saved as many
    times: a report's inline SVG and the PNG beside it come from the same figure."""
    import matplotlib as mpl

    out = {}
    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        for fmt in formats:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(fmt))
            out[fmt] = buf.getvalue()
    return out


def _metadata(fmt: str) -> dict[str, Any] | None:
    # Reproducible files: no creation date in SVG/PDF.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None
