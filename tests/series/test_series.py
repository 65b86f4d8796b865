"""Series on spectra rendered independently from known share laws (series_synthetic)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import series_synthetic as S

from clusterms import Ion
from clusterms.cli import main
from clusterms.errors import InputFileError, OptionError
from clusterms.series import fit_kinetics, fit_mechanism, parse_mechanism, read_series_manifest
from clusterms.spectra.writers import write_text


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("series")
    rows = []
    for t, s in zip(S.TIMES, S.render_series(), strict=True):
        write_text(s, d / f"mix_{t:g}.txt")
        rows.append(f"mix_{t:g}.txt,{t:g} h" if t < 24 else f"mix_{t:g}.txt,{t / 24:g} d")
    (d / "manifest.csv").write_text("file,time\n" + "\n".join(rows) + "\n")
    code = main(["series", str(d / "manifest.csv"), "--reactant", "Ag@I", "--reactant", "Au@II",
                 "--out", str(d / "res"), "--quiet"])
    assert code == 0
    return d / "res"


def test_series_csv_tracks_every_species(run) -> None:
    rows = _csv(run / "series.csv")
    assert list(rows[0]) == ["time_h", "species", "formula", "charge", "abundance", "share"]
    truth = S.true_shares(S.TIMES)
    names = {Ion.parse(n).notation: n for n in truth}
    got: dict[str, list[float]] = {}
    for r in rows:
        got.setdefault(r["species"], []).append(float(r["share"]))
    assert set(got) == set(names)
    for name, shares in got.items():
        assert len(shares) == len(S.TIMES)  # explicit values (zeros included) at every time
        assert np.corrcoef(shares, truth[names[name]])[0, 1] >= 0.95
        np.testing.assert_allclose(shares, truth[names[name]], atol=0.02)
    times = sorted({float(r["time_h"]) for r in rows})
    assert times == list(S.TIMES)  # days and hours read alike


def test_kinetics_half_lives_and_change_point(run) -> None:
    k = {r["species"]: r for r in _csv(run / "kinetics.csv")}
    assert list(next(iter(k.values()))) == ["species", "formula", "charge", "model", "rate", "rate_err",
                                            "half_life_h", "change_point_h", "r2"]
    expect = {S.AGI: "decay", S.AUII: "stable-then-decay", S.AUIII: "formation"}
    for name, model in expect.items():
        row = k[Ion.parse(name).notation]
        assert row["model"] == model
        assert float(row["half_life_h"]) == pytest.approx(S.HALF[name], rel=0.15)
        assert float(row["r2"]) > 0.99
    cp = float(k[Ion.parse(S.AUII).notation]["change_point_h"])
    interval = np.diff(S.TIMES)[np.searchsorted(S.TIMES, S.CHANGE_POINT) - 1]
    assert abs(cp - S.CHANGE_POINT) <= interval
    params = json.loads((run / "params.json").read_text())
    assert params["kind"] == "time" and len(params["inputs"]) == len(S.TIMES)
    assert (run / "shares.png").read_bytes()[:4] == b"\x89PNG"
    assert "stable-then-decay" in (run / "report.html").read_text()


def test_concentration_series_dimer_grows_with_ag_i(tmp_path: Path) -> None:
    from render_independent import grid, profile

    from clusterms.spectra.spectrum import Spectrum

    x = grid(lo=1000.0, hi=5600.0)
    prof = {s: profile(x, f, z, 20000.0) for s, (f, z) in S.FORMULA.items() if s != S.AG25}
    rows = []
    for eq in (0.25, 0.5, 1.0, 2.0, 4.0):
        dimer = 0.4 * eq / (eq + 1.0)
        agi = 0.1 + 0.05 * eq
        y = sum(v * prof[s] for s, v in ((S.AUIII, dimer), (S.AGI, agi), (S.AUII, 1 - dimer - agi)))
        write_text(Spectrum(mz=x, intensity=1e6 * y + 1.0), tmp_path / f"c{eq:g}.txt")
        rows.append(f"c{eq:g}.txt,{eq:g} eq")
    (tmp_path / "m.csv").write_text("file,concentration (eq)\n" + "\n".join(rows) + "\n")
    assert main(["series", str(tmp_path / "m.csv"), "--reactant", "Ag@I", "--reactant", "Au@II", "--out",
                 str(tmp_path / "res"), "--quiet"]) == 0
    series = _csv(tmp_path / "res" / "series.csv")
    assert next(iter(series[0])) == "concentration"
    dimer = [float(r["share"]) for r in series if r["species"] == Ion.parse(S.AUIII).notation]
    assert np.all(np.diff(dimer) > 0)
    trend = {r["species"]: r for r in _csv(tmp_path / "res" / "trends.csv")}
    assert float(trend[Ion.parse(S.AUIII).notation]["spearman"]) == 1.0
    assert float(trend[Ion.parse(S.AUIII).notation]["slope"]) > 0


def test_models_on_exact_curves() -> None:
    t = np.array([0, 1, 2, 4, 6, 8, 12, 24, 36, 48.0])
    rng = np.random.default_rng(0)
    flat = fit_kinetics(t, 0.3 + rng.normal(0, 0.005, t.size))
    assert flat.model == "constant" and math.isnan(flat.half_life_h)
    decay = fit_kinetics(t, 0.5 * np.exp(-np.log(2) / 6 * t))
    assert decay.model == "decay" and decay.half_life_h == pytest.approx(6.0, rel=1e-3)
    slow = fit_kinetics(t, 0.3 + 0.0001 * t + rng.normal(0, 0.005, t.size))
    assert math.isnan(slow.half_life_h)  # no half-life claimed from a flat line
    with pytest.raises(OptionError, match="at least 3"):
        fit_kinetics([0, 1], [1, 2])


def test_global_fit_shares_one_rate() -> None:
    t = np.linspace(0, 24, 9)
    k = np.log(2) / 5
    fits = fit_mechanism(t, {"A": 0.6 * np.exp(-k * t), "D": 0.3 * (1 - np.exp(-k * t))}, ["A"], ["D"])
    assert fits["A"].rate == fits["D"].rate == pytest.approx(k, rel=1e-4)
    assert parse_mechanism("A + B -> D") == (["A", "B"], ["D"])
    with pytest.raises(OptionError, match="reactants -> products"):
        parse_mechanism("A + B")


def test_manifest_refusals(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("name,when\nx,1\n")
    with pytest.raises(InputFileError, match="starts with the header"):
        read_series_manifest(tmp_path / "bad.csv")
    (tmp_path / "t.csv").write_text("file,time\na.txt,2 weeks\n")
    with pytest.raises(InputFileError, match="line 2: time unit"):
        read_series_manifest(tmp_path / "t.csv")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "mix.txt").write_text("1 2\n")
    with pytest.raises(InputFileError, match="no time in the name"):
        read_series_manifest(tmp_path / "d")


def test_concentration_units_must_agree_with_the_header(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("file,concentration (eq)\na.txt,0.5 eq\nb.txt,10 uM\n")
    with pytest.raises(InputFileError, match=r"line 3: unit 'uM' differs from 'eq'"):
        read_series_manifest(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("file,concentration\na.txt,0.5 eq\nb.txt,1 eq\n")
    m = read_series_manifest(tmp_path / "d.csv")
    assert (m.kind, m.unit, m.values) == ("concentration", "eq", (0.5, 1.0))
