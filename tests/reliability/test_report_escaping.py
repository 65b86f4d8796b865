"""No script injection through the HTML report.

A spectrum whose path and file name carry HTML/script payloads, whose mzML metadata (filter
string, spectrum title, file description, instrument model name) carries more, assigned with a
user alias and reactant text holding ``<``: the report shows every one of them as text. Checked
twice: in the HTML source (only escaped forms, no extra elements), and in headless Chromium
(nothing the payloads would create exists, no alert/confirm/prompt is called, and the page
text shows the payloads literally).
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from clusterms.chem.ion import Ion
from clusterms.cli import main
from clusterms.report.html import _plotly_js
from clusterms.simulate import simulate_spectrum

P_SCRIPT = "<script>alert(1)</script>"
P_ATTR = '"onload="alert(2)'
P_IMG = "<img src=x onerror=alert(3)>"
P_SVG = "<svg onload=alert(4)>"
FOLDER = "<script>alert(1)<"  # with the file name below, the path reads <script>alert(1)</script>...
NAME = "script>" + P_IMG + ".mzML"
ALIAS = "<script>"
REACTANT = "[Ag29(<script>)12]3-"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _write_payload_mzml(path: Path) -> None:
    """An mzML (psims) with payloads in the filter string, spectrum title, file description and
    (edited into the header afterwards, XML-escaped as a real file would have it) the
    instrument model name."""
    from psims.controlled_vocabulary.controlled_vocabulary import OBOCache
    from psims.mzml import MzMLWriter

    from clusterms.spectra import writers

    spectrum = simulate_spectrum({Ion.parse("[Ag29(BDT)12]3-"): 1.0}, resolution=20_000, mz_range=(1590, 1620),
                                 noise=0.01, seed=3)
    payload = P_SCRIPT + P_ATTR
    vocabularies = OBOCache(enabled=False, use_remote=False)
    for uri, vendored in writers._VOCABULARIES.items():
        vocabularies.set_resolver(uri, functools.partial(writers._vocabulary, vendored))
    buffer = io.BytesIO()
    writer = MzMLWriter(buffer, close=False, vocabulary_resolver=vocabularies)
    with writer:
        writer.controlled_vocabularies()
        writer.file_description(["MS1 spectrum", {"name": "description", "value": payload, "type": "xsd:string"}])
        writer.software_list([writer.Software(id="sw", version="1", params=["custom unreleased software tool"])])
        writer.instrument_configuration_list([
            writer.InstrumentConfiguration(id="IC1", component_list=[], params=["instrument model"])])
        writer.data_processing_list([writer.DataProcessing(
            [writer.ProcessingMethod(order=0, software_reference="sw", params=["Conversion to mzML"])], id="dp")])
        with writer.run(id="run", instrument_configuration="IC1"), writer.spectrum_list(count=1):
            writer.write_spectrum(
                spectrum.mz, spectrum.intensity, id="scan=1", polarity="negative scan", centroided=False,
                params=[{"ms level": 1}, "MS1 spectrum", {"name": "spectrum title", "value": payload}],
                scan_params=[{"filter string": payload}],
                encoding={"m/z array": np.float64, "intensity array": np.float64}, compression="zlib")
    text = buffer.getvalue().decode("utf-8")
    model = 'accession="MS:1000031" name="instrument model"'
    assert text.count(model) == 1
    text = text.replace(model, f'accession="MS:1000031" name="{html.escape(P_SVG)}"')
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("escaping")
    (where / FOLDER).mkdir()
    source = Path(FOLDER) / NAME
    _write_payload_mzml(where / source)
    before = (where / source).read_bytes()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(where), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["assign", str(source), "--alias", f"{ALIAS}=BDT", "--reactant", REACTANT,
                     "--species", "[Ag29<script>12]3-", "--mz-range", "1590", "1620", "--out", "out", "--quiet"])
    assert code == 0, err.getvalue()
    assert err.getvalue() == ""
    assert (where / source).read_bytes() == before
    assigned = (where / "out" / "assignments.csv").read_text(encoding="utf-8")
    assert "[Ag29(BDT)12]3-" in assigned  # the payload-laden file was really read and assigned
    return where / "out" / "report.html"


def test_the_html_holds_only_escaped_payloads(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    outside = text.replace(_plotly_js(), "")  # the inlined library has its own "<svg", "onload=" ...
    assert outside.count("<script") == 2  # plotly.js and the report's own script, nothing else
    for raw in (P_SCRIPT, P_ATTR, P_IMG, P_SVG, "<img", "<svg", "alert(1)</"):
        assert raw not in outside, raw
    tag_with_handler = re.search(r"<[A-Za-z][^<>]*\son[a-z]+\s*=", outside)
    assert tag_with_handler is None, tag_with_handler
    # Escaped exactly once where they are shown (title, header, run facts, settings).
    assert f"<title>clusterms assignment: {html.escape(NAME)}</title>" in text
    assert f"<dd>{html.escape(FOLDER + '/' + NAME)}</dd>" in text
    assert f"<dt>metadata: filter</dt><dd>{html.escape(P_SCRIPT + P_ATTR)}</dd>" in text
    assert f"<dt>metadata: instrument</dt><dd>{html.escape(P_SVG)}</dd>" in text
    assert f"<dt>reactants</dt><dd>{html.escape(REACTANT)}</dd>" in text
    assert "&amp;lt;" not in text  # no double escaping (the instrument name is unescaped from XML once)


_HOOK = """<script>window.__calls = [];
["alert", "confirm", "prompt"].forEach(function (n) {
  window[n] = function (m) { window.__calls.push(n + ":" + m); };
});</script>"""

_VERDICT = """<script>window.addEventListener("load", function () { setTimeout(function () {
  var handlers = [];
  document.querySelectorAll("*").forEach(function (el) {
    for (var i = 0; i < el.attributes.length; i++) {
      if (/^on/i.test(el.attributes[i].name)) { handlers.push(el.tagName + "@" + el.attributes[i].name); }
    }
  });
  var shown = document.body.innerText;
  var verdict = {calls: window.__calls, scripts: document.scripts.length, images: document.images.length,
                 handlers: handlers, plotly: typeof Plotly, shown: PAYLOADS.filter(function (p) {
                   return shown.indexOf(p) >= 0; })};
  var pre = document.createElement("pre");
  pre.id = "xss-verdict";
  pre.textContent = JSON.stringify(verdict);
  document.body.appendChild(pre);
}, 500); });</script>"""


def _verdict(page: Path, payloads: list[str], tmp_path: Path) -> dict:
    """Load ``page`` in headless Chromium with alert/confirm/prompt recorded; what happened."""
    text = page.read_text(encoding="utf-8")
    listed = json.dumps(payloads).replace("<", "\\u003c").replace(">", "\\u003e")
    hooked = tmp_path / "hooked.html"
    hooked.write_text(text.replace("<head>", "<head>" + _HOOK, 1)
                      .replace("</body>", _VERDICT.replace("PAYLOADS", listed) + "</body>", 1), encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000",
         "--dump-dom", hooked.as_uri()],
        capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="xss-verdict">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no verdict in the DOM (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless check needs /usr/bin/chromium "
                             "(apt-get install -y chromium); the HTML source checks still ran")


@browser
def test_the_harness_sees_an_injection(tmp_path: Path) -> None:
    # The control: the same payloads unescaped do run, and the harness reports it.
    page = tmp_path / "control.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body><p>{P_IMG}</p>{P_SCRIPT}"
                    "</body></html>", encoding="utf-8")
    v = _verdict(page, [P_SCRIPT], tmp_path)
    assert "alert:1" in v["calls"] and "alert:3" in v["calls"]
    assert v["images"] == 1 and v["handlers"] == ["IMG@onerror"]


@browser
def test_the_browser_runs_no_payload(report: Path, tmp_path: Path) -> None:
    v = _verdict(report, [P_SCRIPT + P_ATTR, NAME, P_SVG, REACTANT], tmp_path)
    assert v["calls"] == []
    assert v["images"] == 0
    assert v["handlers"] == []
    assert v["scripts"] == 4  # the hook, plotly.js, the report's script, the verdict
    assert v["plotly"] == "object"  # the report's own script did run
    assert sorted(v["shown"]) == sorted([P_SCRIPT + P_ATTR, NAME, P_SVG, REACTANT])

