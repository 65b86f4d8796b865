"""Self-contained HTML report of a CID ramp (Jinja2, autoescaped, inline SVG figures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clusterms import __version__
from clusterms.report.tandem_figures import breakdown_figure, pathway_figure
from clusterms.report.templating import render_template, svg_body

__all__ = ["ramp_report"]


def ramp_report(*, title: str, result: Any, inputs: Sequence[Mapping[str, Any]], warnings: Sequence[str]) -> bytes:
    html = render_template(
        "ramp.html.j2", title=title, version=__version__, precursor=result.precursor.notation,
        n_energies=len(result.points), resolution=result.resolution, resolution_source=result.resolution_source,
        n_space=result.n_space, n_matched=result.n_matched, species=result.species, channels=result.channels,
        warnings=list(warnings), inputs=list(inputs),
        breakdown_svg=svg_body(breakdown_figure(result, "svg")),
        pathway_svg=svg_body(pathway_figure(result, "svg")))
    return html.encode("utf-8")
