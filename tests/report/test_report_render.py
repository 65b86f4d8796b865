"""The report's figures carry the data: typed arrays decode to the spectrum, and plotly.js in
headless Chromium draws every figure with the points the report holds."""

from __future__ import annotations

import base64
import contextlib
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
from clusterms.report.html import decimate, typed_array
from clusterms.simulate import simulate_spectrum
from clusterms.spectra.writers import write_mzml

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _decode(spec: dict[str, str]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + spec["dtype"])


def test_typed_array_round_trips_exactly() -> None:
    a = np.array([500.123456789, 1603.31592, 6000.0, -1.5e-9])
    assert np.array_equal(_decode(typed_array(a)), a)
    assert np.array_equal(_decode(typed_array(a, "f4")), a.astype(np.float32))
    with pytest.raises(ValueError, match="dtype"):
        typed_array(a, "i8")


def test_decimate_keeps_extremes_and_short_traces_whole() -> None:
    rng = np.random.default_rng(4)
    x = np.linspace(500.0, 600.0, 100_001)
    y = rng.random(x.size)
    y[12_345], y[77_777] = 50.0, -3.0
    sx, sy = (_decode(s) for s in decimate(x, y, max_points=2_000))
    assert sx.size <= 2_000 and sx.size == sy.size
    assert np.all(np.diff(sx) > 0)
    assert np.isin(sx, x).all()  # points of the trace, not interpolations
    assert sy.max() == 50.0 and sy.min() == -3.0
    assert sx[np.argmax(sy)] == x[12_345]
    short_x, short_y = (_decode(s) for s in decimate(x[:50], y[:50]))
    assert np.array_equal(short_x, x[:50]) and np.allclose(short_y, y[:50], rtol=1e-7)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("render")
    mix = {Ion.parse("[Ag29(BDT)12]3-"): 1.0, Ion.parse("[Ag25(DMBT)18]-"): 0.5}
    spec = simulate_spectrum(mix, resolution=20_000, mz_range=(1500.0, 5300.0), noise=0.005, seed=2)
    write_mzml(spec, where / "mix.mzML")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["assign", str(where / "mix.mzML"), "--reactant", "Ag@I", "--reactant", "Ag25(DMBT)18-",
                     "--out", str(where / "out"), "--quiet"])
    assert code == 0, err.getvalue()
    return where / "out" / "report.html"


def _figures(report: Path) -> dict:
    text = report.read_text(encoding="utf-8")
    found = re.search(r"var F = (\{.*?\});\n", text, re.S)
    assert found, "no figure data in the report"
    return json.loads(found.group(1))


def test_the_report_holds_the_decimated_spectrum(report: Path) -> None:
    figs = _figures(report)
    x = _decode(figs["main"]["data"][0]["x"])
    y = _decode(figs["main"]["data"][0]["y"])
    assert 1_000 < x.size <= 20_000 and x.size == y.size
    assert 1500.0 <= x[0] < 1510.0 and 5290.0 < x[-1] <= 5301.0  # recalibrated axis: within a few ppm
    # the most intense point is the parent's isotope envelope near m/z 1603
    assert 1600.0 < x[np.argmax(y)] < 1607.0
    assert len(figs["overlays"]) == 2


_PROBE = """<script>window.addEventListener("load", function () { setTimeout(function () {
  var out = {};
  document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
    out[gd.id] = gd._fullData.map(function (t) {
      var n = t.x.length, top = 0, at = 0;
      for (var i = 0; i < n; i++) { if (t.y[i] > top) { top = t.y[i]; at = t.x[i]; } }
      return {n: n, first: t.x[0], last: t.x[n - 1], top: top, at: at};
    });
  });
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 500); });</script>"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)")
def test_chromium_draws_every_figure_with_its_data(report: Path, tmp_path: Path) -> None:
    page = tmp_path / "probed.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>", 1), encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000",
         "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no probe output (exit {proc.returncode}): {proc.stderr[-2000:]}"
    drawn = json.loads(html.unescape(found.group(1)))
    figs = _figures(report)
    expected = {"main": figs["main"]["data"], **{o["id"]: o["fig"]["data"] for o in figs["overlays"]}}
    assert set(drawn) == set(expected)
    for fig_id, traces in expected.items():
        assert len(drawn[fig_id]) == len(traces)
        for got, trace in zip(drawn[fig_id], traces, strict=True):
            x, y = _decode(trace["x"]), _decode(trace["y"])
            assert got["n"] == x.size
            assert got["first"] == x[0] and got["last"] == x[-1]
            assert got["top"] == pytest.approx(float(y.max()), rel=1e-6)
            assert got["at"] == x[np.argmax(y)]


def test_text_and_bytes_reports_are_the_same_document() -> None:
    from clusterms.assign import build_space, finalise_space
    from clusterms.assign.pipeline import AssignSettings, assign_spectrum
    from clusterms.report.html import assignment_report, assignment_report_bytes

    ion = Ion.parse("[Ag29(BDT)12]3-")
    spec = simulate_spectrum({ion: 1.0}, resolution=20_000, mz_range=(1590.0, 1620.0), noise=0.01, seed=5)
    result = assign_spectrum(spec, finalise_space(build_space([ion])), settings=AssignSettings())
    kw = {"title": "t <b>", "source": "s.mzML", "settings": {"snr": 3}, "result": result, "metadata": {"k": "v"}}
    text = assignment_report(**kw)
    assert assignment_report_bytes(**kw) == text.encode("utf-8")
    assert text.count("<script>") == 2 and "t &lt;b&gt;" in text
