"""`clusterms uvvis` end to end: the command-line contract, refusals and the report."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from uvvis_synthetic import WL, ag29, mag24, new_species, write_two_column

from clusterms.cli import main


@pytest.fixture
def series(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    write_two_column(tmp_path / "ag29.csv", WL, ag29())
    write_two_column(tmp_path / "agI.csv", WL, mag24())
    rows = []
    for t, wa, wb, ex in [(0, 0.5, 0.5, 0.0), (2, 0.45, 0.5, 0.0), (24, 0.3, 0.5, 0.0), (48, 0.2, 0.45, 0.25)]:
        y = wa * ag29() + wb * mag24() + ex * new_species() + rng.normal(0, 0.003, WL.size)
        write_two_column(tmp_path / f"mix_{t}h.csv", WL, y)
        rows.append(f"mix_{t}h.csv,{t} h")
    (tmp_path / "manifest.csv").write_text("file,time\n" + "\n".join(rows) + "\n")
    return tmp_path


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_contract_outputs(series: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = series / "res"
    code = main(["uvvis", str(series / "manifest.csv"), "--reference", f"Ag29={series / 'ag29.csv'}",
                 "--reference", f"AgI={series / 'agI.csv'}", "--out", str(out)])
    assert code == 0
    assert {"fractions.csv", "fit.csv", "bands.csv", "report.html", "overlay.png", "weights.png",
            "params.json"} <= {p.name for p in out.iterdir()}
    fr = _csv(out / "fractions.csv")
    assert list(fr[0]) == ["spectrum", "component", "weight"]
    w = {(r["spectrum"], r["component"]): float(r["weight"]) for r in fr}
    assert w[("mix_24h", "Ag29")] == pytest.approx(0.3, abs=0.02)
    assert w[("mix_24h", "AgI")] == pytest.approx(0.5, abs=0.02)
    fit = _csv(out / "fit.csv")
    assert list(fit[0]) == ["spectrum", "residual_fraction", "flagged"]
    assert [r["flagged"] for r in fit] == ["false", "false", "false", "true"]
    params = json.loads((out / "params.json").read_text())
    assert params["times_h"] == [0.0, 2.0, 24.0, 48.0]
    assert params["components"]["n_unexplained"] == 1
    captured = capsys.readouterr()
    assert "warning: 1 of 4 spectra are not explained" in captured.err
    assert "mix_48h" in captured.out
    bands = _csv(out / "bands.csv")
    assert {"spectrum", "wavelength_nm", "kind", "reference", "literature_nm"} <= set(bands[0])
    png = (out / "overlay.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "report.html").read_text()
    assert "<script" not in html  # static report: nothing to run, nothing to fetch
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "mix_48h" in html and "<svg" in html


def test_names_are_escaped_in_the_report(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("nm\t<script>alert(1)</script>\n"
                                    + "".join(f"{w}\t{v:.5f}\n" for w, v in zip(WL, ag29(), strict=True)))
    write_two_column(tmp_path / "ref.csv", WL, ag29())
    assert main(["uvvis", str(tmp_path / "s.txt"), "--reference", f"R={tmp_path / 'ref.csv'}",
                 "--out", str(tmp_path / "o"), "--quiet"]) == 0
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(("extra", "message"), [
    (["--reference", "nonsense"], "write NAME=FILE"),
    (["--reference", "R=/no/such.csv"], "no such file"),
    (["--range", "800-300"], "need 0 < LO < HI"),
    (["--max-residual", "2"], "between 0 and 1"),
])
def test_refusals_are_one_line_and_write_nothing(series: Path, capsys: pytest.CaptureFixture[str],
                                                 extra: list[str], message: str) -> None:
    args = ["uvvis", str(series / "mix_0h.csv"), "--out", str(series / "o")]
    if not any(a == "--reference" for a in extra):
        args += ["--reference", f"R={series / 'ag29.csv'}"]
    assert main(args + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (series / "o").exists()


def test_multi_spectrum_reference_needs_a_column(series: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (series / "two.txt").write_text("nm\ta\tb\n" + "".join(f"{w}\t{v:.5f}\t{u:.5f}\n" for w, v, u in
                                                          zip(WL, ag29(), mag24(), strict=True)))
    args = ["uvvis", str(series / "mix_0h.csv"), "--out", str(series / "o"), "--quiet"]
    assert main([*args, "--reference", f"R={series / 'two.txt'}"]) == 2
    assert "pick one with NAME=FILE#COLUMN" in capsys.readouterr().err
    assert main([*args, "--reference", f"A={series / 'two.txt'}#a", "--reference",
                 f"B={series / 'two.txt'}#b"]) == 0
    w = {r["component"]: float(r["weight"]) for r in _csv(series / "o" / "fractions.csv")}
    assert w == pytest.approx({"A": 0.5, "B": 0.5}, abs=0.02)
