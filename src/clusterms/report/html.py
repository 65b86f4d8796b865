"""Self-contained HTML report of an assignment (interactive plotly.js figures).

plotly.js is read from the installed plotly package and inlined, so a report opens offline
and on any machine. The Python plotly API is not imported (it would cost start-up time);
figures are written as plain JSON. Every string that comes from a file or the user is
escaped: HTML text with :func:`html.escape`, JSON inside ``<script>`` with ``<``, ``>``
and ``&`` as Unicode escapes, so no name or metadata can close the script element.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clusterms import __version__
from clusterms._arrays import unique_sorted

__all__ = ["assignment_report", "assignment_report_bytes", "decimate", "script_json", "typed_array"]


@cache
def _plotly_js_bytes() -> bytes:
    """plotly.min.js as shipped with the plotly package (UTF-8)."""
    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the HTML report needs the 'plotly' package (pip install plotly)")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path.read_bytes()


def _plotly_js() -> str:
    return _plotly_js_bytes().decode("utf-8")




def script_json(obj: Any) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=_default)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def typed_array(a: NDArray[Any], /, dtype: str = "f8") -> dict[str, str]:
    """A numeric array as a plotly.js typed-array spec (little-endian, base64).

    Far smaller and faster to write and to load than a JSON list of numbers; plotly.js
    decodes it into a JavaScript typed array.
    """
    import base64

    if dtype not in ("f8", "f4"):
        raise ValueError(f"dtype must be 'f8' or 'f4', got {dtype!r}")
    raw = np.ascontiguousarray(a, dtype="<" + dtype).tobytes()
    return {"dtype": dtype, "bdata": base64.b64encode(raw).decode("ascii")}


def decimate(
    x: NDArray[np.float64], y: NDArray[np.float64], /, *, max_points: int = 20_000
) -> tuple[dict[str, str], dict[str, str]]:
    """Reduce a trace to at most ``max_points`` keeping each bin's minimum and maximum.

    Returns typed-array specs (see :func:`typed_array`): m/z as float64, intensity as
    float32 (seven significant digits, more than any detector gives).
    """
    n = x.size
    if n <= max_points:
        return typed_array(x, "f8"), typed_array(y, "f4")
    bins = max_points // 2
    width = -(-n // bins)  # ceil
    pad = bins * width - n
    yy = np.concatenate([y, np.full(pad, y[-1])]).reshape(bins, width)
    base = np.arange(bins) * width
    lo = np.minimum(base + yy.argmin(axis=1), n - 1)
    hi = np.minimum(base + yy.argmax(axis=1), n - 1)
    idx = unique_sorted(np.concatenate([lo, hi]))
    return typed_array(x[idx], "f8"), typed_array(y[idx], "f4")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}
main{padding:16px 24px;max-width:1400px}
p.unreliable{background:#fdecea;border:1px solid #d93025;color:#8a1c14;padding:8px 12px;
border-radius:6px;font-weight:600}
p.note{background:#fff8e1;border:1px solid #f2c94c;padding:6px 12px;border-radius:6px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #eaecef;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f6f8fa;position:sticky;top:0;cursor:pointer}
td.t,th.t{text-align:left}
tr:hover{background:#f1f8ff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.card{border:1px solid #e1e4e8;border-radius:6px;padding:6px}
.card h3{font-size:13px;margin:2px 4px;font-weight:600}
.meta{font-size:12px;color:#57606a}
.warn{color:#9a6700}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px;margin:0}
dt{color:#57606a}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], text_cols: set[int], table_id: str) -> str:
    head = "".join(f'<th class="{"t" if i in text_cols else ""}">{html.escape(str(h))}</th>'
                   for i, h in enumerate(headers))
    body = []
    for r in rows:
        cells = "".join(f'<td class="{"t" if i in text_cols else ""}">{html.escape(str(v))}</td>'
                        for i, v in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def assignment_report(
    *,
    title: str,
    source: str,
    settings: Mapping[str, Any],
    result: Any,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """The HTML text of an assignment report (see :func:`assignment_report_bytes`)."""
    head, tail = _report_parts(title=title, source=source, settings=settings, result=result, metadata=metadata)
    return head + _plotly_js() + tail


def assignment_report_bytes(
    *,
    title: str,
    source: str,
    settings: Mapping[str, Any],
    result: Any,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """The report as UTF-8 bytes, ready to write: the same document as
    :func:`assignment_report`, with the 4.8 MB library copied as bytes rather than decoded
    and encoded again."""
    head, tail = _report_parts(title=title, source=source, settings=settings, result=result, metadata=metadata)
    return b"".join((head.encode("utf-8"), _plotly_js_bytes(), tail.encode("utf-8")))


def _report_parts(
    *,
    title: str,
    source: str,
    settings: Mapping[str, Any],
    result: Any,
    metadata: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The HTML of an assignment report before and after the inlined plotly.js.

    Parameters
    ----------
    title
        Report title (escaped).
    source
        Input file name (escaped).
    settings
        Settings shown in the report (escaped).
    result
        An :class:`~clusterms.assign.pipeline.AssignResult`.
    metadata
        Spectrum metadata shown in the report (escaped).
    """
    x, y, model = result.mz, result.intensity, result.model
    sx, sy = decimate(x, y)
    mx, my = decimate(x, model)
    rows = [a.row() for a in result.assignments]
    ann = []
    for a in result.assignments[:40]:
        ann.append({"x": a.observed_mz, "y": float(np.interp(a.observed_mz, x, model)),
                    "text": a.species, "showarrow": True, "arrowhead": 0, "ax": 0, "ay": -25,
                    "font": {"size": 10}})
    main_fig = {
        "data": [
            {"x": sx, "y": sy, "type": "scattergl", "mode": "lines", "name": "spectrum",
             "line": {"color": "#444", "width": 1}},
            {"x": mx, "y": my, "type": "scattergl", "mode": "lines", "name": "fitted model",
             "line": {"color": "#d62728", "width": 1}},
        ],
        "layout": {"height": 420, "margin": {"l": 60, "r": 20, "t": 20, "b": 45},
                   "xaxis": {"title": {"text": "m/z"}}, "yaxis": {"title": {"text": "intensity"}},
                   "annotations": ann, "legend": {"orientation": "h"}},
    }
    overlays: list[dict[str, Any]] = []
    for k, a in enumerate(result.assignments):
        lo, prof = result.profiles.get(a.species, (0, np.zeros(0)))
        if prof.size == 0:
            continue
        xs = x[lo:lo + prof.size]
        ox, oy = decimate(xs, y[lo:lo + prof.size], max_points=3000)
        tx, ty = decimate(xs, prof, max_points=3000)
        overlays.append({
            "id": f"ov{k}",
            "title": (f"{a.species}  z={a.charge:+d}  score {a.score:.3f}  {a.ppm:+.2f} ppm  "
                      f"abundance {a.abundance:.1f}"),
            "fig": {"data": [
                {"x": ox, "y": oy, "type": "scatter", "mode": "lines", "name": "observed",
                 "line": {"color": "#444", "width": 1}},
                {"x": tx, "y": ty, "type": "scatter", "mode": "lines", "name": "theory (fitted)",
                 "line": {"color": "#1f77b4", "width": 1.5}}],
                "layout": {"height": 260, "margin": {"l": 50, "r": 10, "t": 10, "b": 35},
                           "showlegend": False, "xaxis": {"title": {"text": "m/z"}}}},
        })
    headers = ["species", "formula", "charge", "mz", "observed_mz", "ppm", "score", "abundance",
               "electrons", "label", "ambiguous_with", "q_value"]
    table = _table(headers, [[r[h] for h in headers] for r in rows], {0, 1, 9, 10}, "assignments")
    un_table = _table(["m/z", "charge", "intensity"],
                      [[f"{u.mz:.4f}", u.charge, f"{u.intensity:.4g}"] for u in result.unassigned],
                      set(), "unassigned")
    cal = result.calibration
    notes = tuple(getattr(result, "notes", ()))
    banner = "".join(f'<p class="{"unreliable" if n.startswith("unreliable") else "note"}">{html.escape(n)}</p>'
                     for n in notes)
    facts = {
        "input": source,
        "clusterms": __version__,
        "resolving power": f"{result.resolution:,.0f} ({result.resolution_source})",
        "calibration": (f"{cal['ppm_offset']:+.2f} ppm {cal['ppm_slope_per_kmz']:+.2f} ppm per 1000 m/z "
                        f"from {cal['n_points']} species" if getattr(result, "calibration_applied", True)
                        else "none (m/z axis as read)"),
        "noise level": f"{result.noise:.4g}",
        "candidates": f"{result.n_candidates:,} ({result.n_screened:,} passed the screen)",
        "assigned": str(len(result.assignments)),
        "unassigned envelopes": str(len(result.unassigned)),
        "decoys accepted": f"{result.decoys_accepted} of {result.decoys_tested} "
                           f"(estimated false assignments: {result.false_assignment_estimate:.2f})",
    }
    for meta_key, meta_value in (metadata or {}).items():
        if isinstance(meta_value, (str, int, float, bool)):
            facts[f"metadata: {meta_key}"] = str(meta_value)
    dl = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts.items())
    st = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in settings.items())
    cards = "".join(f'<div class="card"><h3>{html.escape(str(o["title"]))}</h3><div id="{o["id"]}"></div></div>'
                    for o in overlays)
    un_section = un_table if result.unassigned else '<p class="meta">none above the significance threshold</p>'
    figs = script_json({"main": main_fig, "overlays": [{"id": o["id"], "fig": o["fig"]} for o in overlays]})
    head = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
<script>"""
    tail = f"""</script>
</head><body>
<header><h1>{html.escape(title)}</h1><p>{html.escape(source)} &middot; clusterms {html.escape(__version__)}</p></header>
<main>
{banner}
<section><h2>Spectrum and fitted model</h2><div id="main"></div>
<p class="meta">Grey: spectrum after baseline removal and recalibration. Red: sum of the fitted theoretical
profiles of the assigned species. Labels mark the most abundant isotope peak of each species.</p></section>
<section><h2>Assignments</h2>{table}
<p class="meta">abundance: total envelope area, largest = 100. ppm: after recalibration. score: cosine
similarity of observed and theoretical profile (1 = identical). ambiguous_with: candidates whose profile
cannot be told apart at this resolving power. q_value: target-decoy false-discovery rate at this
species' score.</p></section>
<section><h2>Theory and experiment, species by species</h2><div class="grid">{cards}</div></section>
<section><h2>Unassigned envelopes</h2>{un_section}</section>
<section><h2>Run</h2><dl>{dl}</dl><h2 style="margin-top:12px">Settings</h2><dl>{st}</dl></section>
</main>
<script>
(function(){{
  var F = {figs};
  var cfg = {{responsive: true, displaylogo: false}};
  Plotly.newPlot("main", F.main.data, F.main.layout, cfg);
  F.overlays.forEach(function(o){{ Plotly.newPlot(o.id, o.fig.data, o.fig.layout, cfg); }});
  document.querySelectorAll("th").forEach(function(th){{
    th.addEventListener("click", function(){{
      var table = th.closest("table"), idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      var asc = th.dataset.asc !== "1"; th.dataset.asc = asc ? "1" : "0";
      rows.sort(function(a, b){{
        var x = a.cells[idx].textContent, y = b.cells[idx].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      }});
      rows.forEach(function(r){{ table.tBodies[0].appendChild(r); }});
    }});
  }});
}})();
</script>
</body></html>
"""
    return head, tail
