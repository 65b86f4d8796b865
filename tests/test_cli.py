"""Contract tests of the command line: what each command prints and writes.

Every run goes through ``clusterms.cli.main([...])`` in a temporary folder, on narrow m/z
windows so that each takes well under a second (``demo`` is left to ``make demo``).
Independent oracles: IsoSpecPy (masses and envelopes, tests/conftest.py), pyteomics (mzML),
hashlib (the input checksum).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

import clusterms
from clusterms.cli import main
from clusterms.spectra.readers import read_spectrum

AG_I = "[Ag29(BDT)12]3-"
MASS_KEYS = ["species", "formula", "charge", "monoisotopic_mz", "average_mz", "most_abundant_mz", "electrons"]
ASSIGN_COLUMNS = ["species", "formula", "charge", "mz", "observed_mz", "ppm", "score", "abundance", "electrons",
                  "label", "ambiguous_with", "q_value"]


def run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def ok(argv: list[str], cwd: Path) -> tuple[str, str]:
    code, out, err = run(argv, cwd)
    assert code == 0, err
    assert "error:" not in err and "warning:" not in err, err
    return out, err


# ------------------------------------------------------------------------------ mass


def test_mass_json_keys_order_and_values(tmp_path, oracle) -> None:
    from IsoSpecPy import PeriodicTbl
    from scipy.constants import physical_constants

    out, err = ok(["mass", "Ag@II", AG_I, "--json"], tmp_path)
    assert err == ""
    records = json.loads(out)
    assert [r["species"] for r in records] == ["Ag@II", AG_I]  # input order, as typed
    assert all(list(r) == MASS_KEYS for r in records)
    r = records[1]
    assert r["formula"] == "C72H48Ag29S24"
    assert r["charge"] == -3
    assert r["electrons"] == 8
    assert abs(r["average_mz"] - 1603.6) < 0.05
    counts = {"C": 72, "H": 48, "Ag": 29, "S": 24}
    electron = physical_constants["electron mass in u"][0]
    lightest = sum(n * min(PeriodicTbl.symbol_to_masses[s]) for s, n in counts.items())
    assert r["monoisotopic_mz"] == pytest.approx((lightest + 3 * electron) / 3, abs=1e-6)
    _, mz, p = oracle(counts, -3)
    assert r["most_abundant_mz"] == pytest.approx(mz[np.argmax(p)], abs=1e-3)
    assert r["average_mz"] == pytest.approx(float(np.sum(mz * p) / np.sum(p)), abs=1e-3)
    assert records[0]["formula"] == "C144H162Ag25S18" and records[0]["electrons"] == 8


def test_mass_table_lists_every_species(tmp_path) -> None:
    out, _ = ok(["mass", AG_I, "Pd@I"], tmp_path)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["species", "formula", "z"]
    assert lines[2].startswith(AG_I) and "closed" in lines[2]
    assert lines[3].startswith("Pd@I") and "C72H48Ag28PdS24" in lines[3]


# ------------------------------------------------------------------------------ pattern


def _pattern(tmp_path: Path, *options: str) -> dict:
    out, _ = ok(["pattern", AG_I, "--json", *options], tmp_path)
    (record,) = json.loads(out)
    assert list(record) == ["species", "formula", "charge", "peaks"]
    return record


def test_pattern_json_aggregated_fine_and_profile(tmp_path, oracle) -> None:
    aggregated = _pattern(tmp_path)
    peaks = np.asarray(aggregated["peaks"])
    assert peaks[:, 1].max() == pytest.approx(100.0, abs=1e-9)
    assert np.all(np.diff(peaks[:, 0]) > 0)
    assert np.allclose(np.diff(peaks[:, 0]), 1.003 / 3, atol=0.003)  # one neutron per 3 charges
    _, mz, p = oracle({"C": 72, "H": 48, "Ag": 29, "S": 24}, -3)
    assert peaks[np.argmax(peaks[:, 1]), 0] == pytest.approx(mz[np.argmax(p)], abs=1e-3)

    fine = np.asarray(_pattern(tmp_path, "--fine")["peaks"])
    assert len(fine) > 2 * len(peaks)
    assert fine[:, 1].max() == pytest.approx(100.0, abs=1e-9)

    profile = np.asarray(_pattern(tmp_path, "--profile", "--resolution", "20000")["peaks"])
    assert len(profile) > 10 * len(peaks)
    assert np.all(np.diff(profile[:, 0]) > 0)
    assert profile[:, 1].max() == pytest.approx(100.0, abs=1e-6)
    spacing = np.diff(profile[:, 0])
    fwhm = 1603.3 / 20_000
    assert 0 < spacing.max() < fwhm  # a grid several points per peak width
    apex = profile[np.argmax(profile[:, 1]), 0]
    assert abs(apex - mz[np.argmax(p)]) < fwhm


# ------------------------------------------------------------------------------ simulate


@cache
def _psi_ms():
    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    with (files("psims.controlled_vocabulary.vendor") / "psi-ms.obo.gz").open("rb") as raw, \
            gzip.GzipFile(fileobj=raw) as fh:
        return ControlledVocabulary.from_obo(fh)


def test_simulate_mzml_and_text(tmp_path) -> None:
    import warnings

    from pyteomics import mzml

    common = [f"{AG_I}=1", "--resolution", "20000", "--mz-range", "1590", "1620", "--noise", "0.01", "--seed", "4"]
    _, err = ok(["simulate", *common, "--out", "s.mzML"], tmp_path)
    points = int(err.split(" points")[0].rsplit(" ", 1)[1].replace(",", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with mzml.MzML(str(tmp_path / "s.mzML"), cv=_psi_ms()) as reader:
            spectra = list(reader)
    assert len(spectra) == 1
    spec = spectra[0]
    assert "negative scan" in spec and "positive scan" not in spec
    assert len(spec["m/z array"]) == len(spec["intensity array"]) == points
    ours = read_spectrum(tmp_path / "s.mzML")
    np.testing.assert_array_equal(ours.mz, spec["m/z array"])
    np.testing.assert_array_equal(ours.intensity, spec["intensity array"])
    assert ours.polarity == "negative"

    ok(["simulate", *common, "--out", "s.txt"], tmp_path)
    text = (tmp_path / "s.txt").read_text(encoding="utf-8")
    assert text.startswith("# description: SIMULATED spectrum")
    again = read_spectrum(tmp_path / "s.txt")
    np.testing.assert_array_equal(again.mz, ours.mz)  # same seed, same numbers, read back exactly
    np.testing.assert_array_equal(again.intensity, ours.intensity)

    before = (tmp_path / "s.txt").read_bytes()
    code, _, err = run(["simulate", *common, "--out", "s.txt"], tmp_path)
    assert code == 2 and err == "error: s.txt exists; use --force to overwrite it\n"
    assert (tmp_path / "s.txt").read_bytes() == before
    ok(["simulate", *common, "--seed", "5", "--out", "s.txt", "--force"], tmp_path)
    assert (tmp_path / "s.txt").read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mzML", "s.txt"]  # no temporary files left


# ------------------------------------------------------------------------------ assign


@pytest.fixture(scope="module")
def assigned(tmp_path_factory) -> Path:
    """A simulated Ag@I + Au@I mixture (m/z 1550-1700) assigned twice, into out1 and out2."""
    where = tmp_path_factory.mktemp("assign")
    ok(["simulate", "Ag@I=1", "Au@I=0.6", "--resolution", "20000", "--mz-range", "1550", "1700", "--noise", "0.005",
        "--seed", "2", "--out", "mix.mzML"], where)
    for out in ("out1", "out2"):
        ok(["assign", "mix.mzML", "--reactant", "Ag@I", "--reactant", "Au@II", "--mz-range", "1550", "1700",
            "--out", out, "--quiet"], where)
    return where


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_assign_outputs(assigned) -> None:
    out = assigned / "out1"
    assert sorted(p.name for p in out.iterdir()) == [".clusterms-result", "assignments.csv", "params.json",
                                                     "report.html", "unassigned.csv"]
    header = (out / "assignments.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == ASSIGN_COLUMNS
    rows = {r["species"]: r for r in _csv(out / "assignments.csv")}
    assert {AG_I, "[AuAg28(BDT)12]3-"} <= set(rows)
    assert rows[AG_I]["formula"] == "C72H48Ag29S24" and rows[AG_I]["charge"] == "-3"
    assert rows[AG_I]["electrons"] == "8"
    assert abs(float(rows[AG_I]["ppm"])) < 5 and float(rows[AG_I]["score"]) > 0.9
    assert (out / "unassigned.csv").read_text(encoding="utf-8").splitlines()[0] == "mz,charge,intensity"

    def no_nan(name: str) -> None:
        raise AssertionError(f"params.json holds {name}: not strict JSON")

    params = json.loads((out / "params.json").read_text(encoding="utf-8"), parse_constant=no_nan)
    assert params["clusterms_version"] == clusterms.__version__
    assert params["input_file"] == "mix.mzML"
    assert params["input_sha256"] == hashlib.sha256((assigned / "mix.mzML").read_bytes()).hexdigest()
    assert params["reactants"] == ["Ag@I", "Au@II"]
    assert params["settings"]["seed"] == params["random_seed"] == 0
    assert {"snr", "min_score", "max_ppm", "decoys"} <= set(params["settings"])
    assert {"ppm_offset", "ppm_slope_per_kmz"} <= set(params["calibration"])
    assert params["candidate_space"]["mz_range"] == [1550.0, 1700.0]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "[AuAg28(BDT)12]3-" in report


def test_assign_is_deterministic(assigned) -> None:
    for name in ("assignments.csv", "unassigned.csv", "params.json"):
        assert (assigned / "out1" / name).read_bytes() == (assigned / "out2" / name).read_bytes(), name


def test_assign_replaces_a_folder_only_with_force(assigned) -> None:
    where = assigned
    old = where / "old"
    old.mkdir()
    (old / "mine.txt").write_text("keep\n", encoding="utf-8")
    argv = ["assign", "mix.mzML", "--reactant", "Ag@I", "--mz-range", "1590", "1620", "--out", "old", "--quiet"]
    code, _, err = run(argv, where)
    assert code == 2 and err == "error: output folder old exists; use --force to replace it\n"
    assert [p.name for p in old.iterdir()] == ["mine.txt"]
    code, _, err = run([*argv, "--force"], where)  # not a clusterms result: refused even with --force
    assert code == 2 and err.startswith("error: refusing to replace old: it is not a clusterms result folder")
    assert [p.name for p in old.iterdir()] == ["mine.txt"]
    ok([*argv, "--out", "old2"], where)
    ok([*argv, "--out", "old2", "--force"], where)  # a clusterms result is replaced
    assert sorted(p.name for p in (where / "old2").iterdir()) == [".clusterms-result", "assignments.csv",
                                                                  "params.json", "report.html", "unassigned.csv"]
    assert not [p.name for p in where.iterdir() if p.name.startswith(".")]  # no .partial/.old folders left


# ------------------------------------------------------------------------------ peaks


def test_peaks_json_z_and_2z_on_the_same_mz(tmp_path) -> None:
    from scipy.constants import physical_constants

    ok(["simulate", f"{AG_I}=1", "[Ag58(BDT)24]6-=1", "--resolution", "20000", "--mz-range", "1590", "1620",
        "--noise", "0.005", "--out", "pair.mzML"], tmp_path)
    out, _ = ok(["peaks", "pair.mzML", "--json"], tmp_path)
    rows = json.loads(out)
    assert all(list(r)[:5] == ["apex_mz", "charge", "intensity", "mass_electron", "mass_proton"] for r in rows)
    assert sorted(r["charge"] for r in rows) == [3, 6]
    z3, z6 = sorted(rows, key=lambda r: r["charge"])
    assert abs(z3["apex_mz"] - z6["apex_mz"]) < 0.5  # the same m/z, told apart by isotope spacing
    electron = physical_constants["electron mass in u"][0]
    proton = physical_constants["proton mass in u"][0]
    for r in rows:
        z = r["charge"]
        assert r["mass_electron"] == pytest.approx(z * (r["apex_mz"] - electron), abs=1e-6)
        assert r["mass_proton"] == pytest.approx(z * (r["apex_mz"] + proton), abs=1e-6)
    assert z6["mass_electron"] == pytest.approx(2 * z3["mass_electron"], abs=2.0)


# ------------------------------------------------------------------------------ candidates


def test_candidates_table_and_csv(tmp_path) -> None:
    argv = ["candidates", "--reactant", "Ag@I", "--mz-range", "1550", "1700"]
    out, err = ok(argv, tmp_path)
    lines = out.splitlines()
    assert lines[0].split() == ["species", "formula", "z", "most", "abundant", "m/z", "e-", "label"]
    table_species = [line.split()[0] for line in lines[2:]]
    assert table_species[0] == AG_I and "[Ag58(BDT)24]6-" in table_species
    assert err == f"{len(table_species)} candidates\n"

    _, err = ok([*argv, "--csv", "c.csv"], tmp_path)
    assert err == f"wrote {len(table_species)} candidates to c.csv\n"
    rows = _csv(tmp_path / "c.csv")
    header = (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "species,formula,charge,mz,electrons,label"
    assert [r["species"] for r in rows] == table_species
    assert rows[0]["charge"] == "-3" and rows[0]["electrons"] == "8"
    assert all(1550 <= float(r["mz"]) <= 1700 for r in rows)

    code, out, err = run([*argv, "--csv", "c.csv"], tmp_path)
    assert (code, out, err) == (2, "", "error: c.csv exists; use --force to overwrite it\n")
    ok([*argv, "--no-exchange", "--csv", "c.csv", "--force"], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


# ------------------------------------------------------------------------------ offline


def test_no_network_at_run_time(tmp_path, monkeypatch) -> None:
    import socket

    def refuse(*_args, **_kw):
        raise AssertionError("clusterms tried to reach the network")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    ok(["simulate", f"{AG_I}=1", "--resolution", "20000", "--mz-range", "1590", "1620", "--out", "s.mzML"], tmp_path)
    ok(["peaks", "s.mzML", "--json"], tmp_path)
    ok(["assign", "s.mzML", "--reactant", "Ag@I", "--mz-range", "1590", "1620", "--out", "out", "--quiet"], tmp_path)
    ok(["pattern", AG_I, "--fine", "--json"], tmp_path)


# The console script ends with os._exit once its streams are flushed: check in real processes
# that nothing written is lost and exit codes survive.
def _console(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from clusterms.cli import entry; sys.argv = ['clusterms', *sys.argv[1:]]; entry()"
    base = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as users run it
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**base, **(env or {})})


@pytest.mark.parametrize("env", [None, {"CLUSTERMS_FULL_EXIT": "1"}], ids=["fast exit", "full exit"])
def test_console_script_output_and_exit_codes(env: dict[str, str] | None) -> None:
    ok = _console("pattern", "[Ag29(BDT)12]3-", "--fine", "--json", env=env)
    assert ok.returncode == 0, ok.stderr
    (data,) = json.loads(ok.stdout)  # the whole (large) document arrived
    assert len(data["peaks"]) > 1000 and ok.stderr == ""
    small = _console("mass", "[Ag29(BDT)12]3-", env=env)  # stays in the stdout buffer until flushed
    assert small.returncode == 0 and "C72H48Ag29S24" in small.stdout and small.stdout.endswith("closed\n")
    bad = _console("mass", "[Ag29(BDT)12", env=env)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1


def test_console_script_into_a_closed_pipe() -> None:
    code = "import sys; from clusterms.cli import entry; sys.argv = ['clusterms', *sys.argv[1:]]; entry()"
    with subprocess.Popen([sys.executable, "-c", code, "pattern", "[Ag29(BDT)12]3-", "--fine"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith(b"[Ag29(BDT)12]3-")
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read().decode()
        # A closed stdout is never a success (issue 9): exit 2 and one `error:` line.
        assert proc.wait(timeout=120) == 2 and "Traceback" not in err
        assert err.count("error:") == 1 and err.startswith("error: output stream closed")


def test_assign_on_text_loads_only_what_it_needs(tmp_path: Path) -> None:
    # Start-up time is most of a run: heavy or unneeded modules must stay unloaded.
    from clusterms.simulate import simulate_spectrum
    from clusterms.spectra.writers import write_text

    spectrum = simulate_spectrum({clusterms.Ion.parse("[Ag29(BDT)12]3-"): 1.0}, resolution=20_000,
                                 mz_range=(1590.0, 1620.0), noise=0.01, seed=1)
    write_text(spectrum, tmp_path / "s.txt")
    unwanted = ["scipy", "pandas", "IsoSpecPy", "pyteomics", "lxml", "psims", "plotly", "matplotlib",
                "numpy.ma", "numpy.random", "logging", "clusterms.spectra.read_mzml", "clusterms.assign.search",
                "clusterms.isotopes.profile"]
    code = ("import sys; from clusterms.cli import main; "
            f"rc = main(['assign', {str(tmp_path / 's.txt')!r}, '--reactant', 'Ag@I', '--out', "
            f"{str(tmp_path / 'out')!r}, '--quiet']); "
            f"print(rc, [m for m in {unwanted!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0 []", proc.stdout
