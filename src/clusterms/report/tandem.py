"""Self-contained HTML report of a CID ramp (Jinja2, autoescaped, inline SVG figures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clusterms import __version__
from clusterms.report.templating import render_template, svg_body

__all__ = ["ramp_report"]


def ramp_report(*, title: str, result: Any, inputs: Sequence[Mapping[str, Any]], warnings: Sequence[str],
                breakdown_svg: bytes, pathway_svg: bytes) -> bytes:
    """The report as UTF-8 bytes; the figures come as SVG (rendered once, beside their PNGs)."""
    html = render_template(
        "ramp.html.j2", title=title, version=__version__, precursor=result.precursor.notation,
        n_energies=len(result.points), resolution=result.resolution, resolution_source=result.resolution_source,
        n_space=result.n_space, n_matched=result.n_matched, species=result.species, channels=result.channels,
        warnings=list(warnings), inputs=list(inputs),
        breakdown_svg=svg_body(breakdown_svg), pathway_svg=svg_body(pathway_svg))
    return html.encode("utf-8")
