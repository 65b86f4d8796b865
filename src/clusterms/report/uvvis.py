"""Self-contained HTML report of a UV/vis mixture analysis (Jinja2, autoescaped, inline SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clusterms import __version__
from clusterms.report.templating import render_template, svg_body
from clusterms.uvvis.bands import Band
from clusterms.uvvis.mixture import MixtureFit, SeriesComponents

__all__ = ["uvvis_report"]


def uvvis_report(*, title: str, fits: Sequence[MixtureFit], times_h: Sequence[float | None],
                 bands: Sequence[Band], components: SeriesComponents, settings: Mapping[str, Any],
                 inputs: Sequence[Mapping[str, str]], warnings: Sequence[str], overlay_svg: bytes,
                 weights_svg: bytes) -> bytes:
    """The report as UTF-8 bytes; the figures come as SVG (rendered once, beside their PNGs)."""
    references = list(fits[0].weights) if fits else []
    times = list(times_h) if any(t is not None for t in times_h) else []
    html = render_template(
        "uvvis.html.j2", title=title, version=__version__, fits=fits, times=times, references=references,
        bands=bands, components=components, warnings=list(warnings), inputs=list(inputs),
        axis=settings.get("axis", "nm"), baseline=settings.get("baseline", ""),
        scattering="on" if settings.get("scattering") else "off",
        overlay_svg=svg_body(overlay_svg), weights_svg=svg_body(weights_svg))
    return html.encode("utf-8")
