"""One template engine for every report: Jinja2 with autoescaping, templates shipped in the package."""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["render_template", "svg_body"]


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("clusterms.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined)


def render_template(name: str, /, **context: Any) -> str:
    """Render ``templates/NAME``; every value is HTML-escaped unless marked ``|safe`` in the template."""
    return str(_environment().get_template(name).render(**context))


def svg_body(svg: bytes) -> str:
    """Inline SVG: without the XML prolog and the RDF metadata block (creator URLs)."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    a, b = text.find("<metadata>"), text.find("</metadata>")
    if 0 <= a < b:
        text = text[:a] + text[b + len("</metadata>"):]
    return text
