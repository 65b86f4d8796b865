"""``clusterms mobility``: the contract files, --force, and one error line for bad input."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from ims_sim import ABSENT, AG25, DIMER, MONOMER, simulate, write_mzml

from clusterms.cli import main
from clusterms.outdir import MARKER

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-ms"
real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files not found at {REAL}")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def failed(argv: list[str]) -> str:
    code, out, err = run(argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and out == ""
    return lines[0]


@pytest.fixture(scope="module")
def ims(tmp_path_factory) -> Path:
    return write_mzml(tmp_path_factory.mktemp("cli") / "ims.mzML", simulate())


@pytest.fixture(scope="module")
def result(ims, tmp_path_factory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("res") / "mob"
    code, stdout, err = run(["mobility", str(ims), "--species", MONOMER, "--species", DIMER, "--species", AG25,
                             "--species", ABSENT, "--out", str(out)])
    assert code == 0, err
    return out, stdout, err


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_contract_files_and_columns(result) -> None:
    out, _stdout, _err = result
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MARKER, "arrival.csv", "conformers.csv", "params.json", "report.html", "arrival.png"])
    head, arrival = rows(out / "arrival.csv")
    assert head == ["species", "drift_time", "intensity"]
    assert {r["species"] for r in arrival} == {MONOMER, DIMER, AG25, ABSENT}
    assert len(arrival) == 4 * 101
    t = np.array([float(r["drift_time"]) for r in arrival if r["species"] == DIMER])
    np.testing.assert_allclose(t, np.arange(3.0, 9.0001, 0.06), atol=1e-6)  # ms
    head, confs = rows(out / "conformers.csv")
    assert head == ["species", "n_conformers", "centres", "widths"]
    by = {r["species"]: r for r in confs}
    assert by[DIMER]["n_conformers"] == "2"
    centres = [float(v) for v in by[DIMER]["centres"].split(";")]
    widths = [float(v) for v in by[DIMER]["widths"].split(";")]
    np.testing.assert_allclose(centres, [4.8, 5.7], atol=0.1)
    np.testing.assert_allclose(widths, [0.30, 0.35], rtol=0.15)
    assert by[MONOMER]["n_conformers"] == "1" and abs(float(by[MONOMER]["centres"]) - 5.5) < 0.1
    assert by[ABSENT] == {"species": ABSENT, "n_conformers": "0", "centres": "", "widths": ""}


def test_params_report_and_warning(result) -> None:
    out, stdout, err = result
    params = json.loads((out / "params.json").read_text(encoding="utf-8"))
    s = params["settings"]
    assert s["max_resolving_power"] == 100.0 and s["drift_voltage"] is None and s["width"] == "FWHM"
    assert "t / 100" in s["width_floor"]
    assert params["input"]["layout"] == "drift-time scans" and params["input"]["n_bins"] == 101
    assert [r["detected"] for r in params["results"]] == [True, True, True, False]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report and "t / 100" in report and "[Ag58(BDT)24]6-" in report
    assert err.strip().splitlines() == [f"warning: {ABSENT} is not detected (S/N 0.0 < 5): no conformer fitted"]
    assert "4.801;5.701" in stdout


def test_drift_voltage_floor_in_params(ims, tmp_path) -> None:
    code, _out, err = run(["mobility", str(ims), "--species", AG25, "--drift-voltage", "60", "--out",
                           str(tmp_path / "v"), "--quiet"])
    assert code == 0, err
    params = json.loads((tmp_path / "v" / "params.json").read_text(encoding="utf-8"))
    assert params["settings"]["drift_voltage"] == 60.0
    assert "diffusion limit" in params["settings"]["width_floor"]
    assert params["results"][0]["fwhm_ms"][0] > 7.6 / 14.6  # R = sqrt(e 60 V / (16 k T ln 2)) = 14.5


def test_force_semantics(ims, tmp_path) -> None:
    out = tmp_path / "m"
    argv = ["mobility", str(ims), "--species", AG25, "--out", str(out), "--quiet"]
    assert run(argv)[0] == 0
    assert "--force" in failed(argv)
    assert run([*argv, "--force"])[0] == 0
    # --force never replaces a folder that holds the input
    inside = out / "ims.mzML"
    inside.write_bytes(ims.read_bytes())
    line = failed(["mobility", str(inside), "--species", AG25, "--out", str(out), "--force"])
    assert "input" in line


@pytest.mark.parametrize(("argv", "needle"), [
    (["--species", "[Ag29(BDT"], "error: "),
    (["--species", MONOMER, "--species", "[Ag29(BDT)12]3-"], "twice"),
    (["--species", AG25, "--species", "[Ag25(PET)18]-"], "one isotope envelope cannot be split"),
    (["--species", "[Ag25(DMBT)18]"], "neutral"),
    (["--species", MONOMER, "--max-conformers", "0"], "--max-conformers"),
    (["--species", MONOMER, "--max-resolving-power", "1"], "--max-resolving-power"),
    (["--species", MONOMER, "--drift-voltage", "-5"], "--drift-voltage"),
    (["--species", MONOMER, "--min-snr", "0"], "--min-snr"),
    (["--species", MONOMER, "--resolution", "-1"], "--resolution"),
    ([], "--species"),
])
def test_bad_options(ims, tmp_path, argv, needle) -> None:
    line = failed(["mobility", str(ims), *argv, "--out", str(tmp_path / "o")])
    assert needle in line
    assert not (tmp_path / "o").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("content", "needle"), [
    (None, "cannot read"),
    ("", "empty"),
    ("mz,intensity\n1603.1,10\n1603.2,20\n1603.3,5\n", "2 columns"),
    ("mz,dt,i\n1603.1,5.0,10\n1603.2,5.0,20\n1603.3,5.0,abc\n", "line 4"),
    ("mz,dt,i\n1603.1,5.0,10\n1603.2,5.1,20\n", "2 drift bin"),
    ("<?xml version='1.0'?><foo/>", "not mzML"),
    ("<?xml version='1.0'?><mzML><run><spectrumList count='1'><spectrum index='0' id='x'",
     "not a readable mzML"),
])
def test_bad_files(tmp_path, content, needle) -> None:
    path = tmp_path / "in.txt"
    if content is not None:
        _write(path, content)
    line = failed(["mobility", str(path), "--species", MONOMER, "--out", str(tmp_path / "o")])
    assert needle in line
    assert not (tmp_path / "o").exists()


def test_binary_file(tmp_path) -> None:
    path = tmp_path / "raw.dat"
    path.write_bytes(bytes(range(256)) * 4)
    assert "neither mzML nor UTF-8 text" in failed(["mobility", str(path), "--species", MONOMER, "--out",
                                                     str(tmp_path / "o")])


def test_mzml_without_mobility(tmp_path) -> None:
    spec = tmp_path / "plain.mzML"
    assert run(["simulate", f"{MONOMER}=1", "--resolution", "20000", "--mz-range", "1595", "1612",
                "--out", str(spec)])[0] == 0
    line = failed(["mobility", str(spec), "--species", MONOMER, "--out", str(tmp_path / "o")])
    assert "no ion-mobility data" in line


@real
def test_inverse_mobility_file_is_refused(tmp_path) -> None:
    line = failed(["mobility", str(REAL / "bruker_Hela_PASEF_combineIMS.mzML"), "--species", MONOMER,
                   "--out", str(tmp_path / "o")])
    assert "1/K0" in line


def test_species_outside_the_range_or_of_the_wrong_polarity(ims, tmp_path) -> None:
    code, _out, err = run(["mobility", str(ims), "--species", AG25, "--species", "[Ag(DMBT)2]-",
                           "--species", "[Au25(PET)18]+", "--out", str(tmp_path / "w"), "--quiet"])
    assert code == 0, err
    lines = err.strip().splitlines()
    assert any("[Ag(DMBT)2]-" in line and "outside the run's m/z range 1595.0-52" in line for line in lines)
    assert any("[Au25(PET)18]+ is a cation but the run is negative mode" in line for line in lines)
    _head, confs = rows(tmp_path / "w" / "conformers.csv")
    assert [r["n_conformers"] for r in confs] == ["1", "0", "0"]


def test_noise_free_run(tmp_path) -> None:
    """Expected counts without noise: one conformer where it was put, params.json strict JSON."""
    from ims_sim import TRUTH

    path = write_mzml(tmp_path / "clean.mzML", simulate({AG25: TRUTH[AG25]}, background=0.0, exact=True))
    code, _out, err = run(["mobility", str(path), "--species", AG25, "--out", str(tmp_path / "c"), "--quiet"])
    assert code == 0, err
    text = (tmp_path / "c" / "params.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    _head, confs = rows(tmp_path / "c" / "conformers.csv")
    assert confs[0]["n_conformers"] == "1" and abs(float(confs[0]["centres"]) - 7.6) < 0.01


def test_params_never_hold_infinity() -> None:
    """A failed K-fit has BIC inf and exact data an infinite S/N: both are null in params.json."""
    from clusterms.report.write import finite as _finite

    data = {"snr": math.inf, "bic": [1.0, math.inf, -math.inf, math.nan], "nested": ({"x": 2.5},), "n": 3}
    assert _finite(data) == {"snr": None, "bic": [1.0, None, None, None], "nested": [{"x": 2.5}], "n": 3}
    json.dumps(_finite(data), allow_nan=False)
