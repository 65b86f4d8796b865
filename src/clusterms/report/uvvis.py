"""Self-contained HTML report of a UV/vis mixture analysis (Jinja2, autoescaped, inline SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clusterms import __version__
from clusterms.report.uvvis_figures import overlay_figure, weights_figure
from clusterms.uvvis.bands import Band
from clusterms.uvvis.mixture import MixtureFit, SeriesComponents

__all__ = ["render_template", "uvvis_report"]


def render_template(name: str, /, **context: Any) -> str:
    """Render ``templates/NAME`` with autoescaping (every value from a file or user is escaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("clusterms.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=False)
    return env.get_template(name).render(**context)


def _svg_body(svg: bytes) -> str:
    """Inline SVG: without the XML prolog and the RDF metadata block (creator URLs)."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    a, b = text.find("<metadata>"), text.find("</metadata>")
    if 0 <= a < b:
        text = text[:a] + text[b + len("</metadata>"):]
    return text


def uvvis_report(*, title: str, fits: Sequence[MixtureFit], times_h: Sequence[float | None],
                 bands: Sequence[Band], components: SeriesComponents, settings: Mapping[str, Any],
                 inputs: Sequence[Mapping[str, str]], warnings: Sequence[str]) -> bytes:
    """The report as UTF-8 bytes."""
    references = list(fits[0].weights) if fits else []
    times = list(times_h) if any(t is not None for t in times_h) else []
    html = render_template(
        "uvvis.html.j2", title=title, version=__version__, fits=fits, times=times, references=references,
        bands=bands, components=components, warnings=list(warnings), inputs=list(inputs),
        axis=settings.get("axis", "nm"), baseline=settings.get("baseline", ""),
        scattering="on" if settings.get("scattering") else "off",
        overlay_svg=_svg_body(overlay_figure(fits, "svg")),
        weights_svg=_svg_body(weights_figure(fits, times_h, "svg")))
    return html.encode("utf-8")
