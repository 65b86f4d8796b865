"""Positive and negative mode: the polarity of the candidate space, neutral reactants, signed charges."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clusterms import Ion
from clusterms.assign.candidates import SpaceOptions, build_space
from clusterms.assign.space_options import charge_signs, parse_charges

sys.path.insert(0, str(Path(__file__).resolve().parent))
from independent import render

CLI = Path(sys.executable).with_name("clusterms")
NEUTRALS = ["--reactant", "[Au25(PET)18]", "--reactant", "[Au144(PET)60]"]
POSITIVE = {"[Au25(PET)18Cs]+": 100.0, "[Au25(PET)18]+": 40.0, "[Au25(PET)18Cs]2+": 30.0,
            "[Au144(PET)60Cs]2+": 50.0, "[Au144(PET)60]3+": 20.0}


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *argv], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def positive_txt(tmp_path_factory) -> Path:
    """A positive-mode text export (no polarity in the file) of neutral Au clusters with Cs+."""
    where = tmp_path_factory.mktemp("pos")
    s = render(POSITIVE, mz_range=(1000.0, 20000.0), polarity="positive", seed=4)
    np.savetxt(where / "pos.txt", np.column_stack([s.mz, s.intensity]), fmt="%.6f")
    return where


def test_positive_mode_with_neutral_reactants_and_cs_adducts(positive_txt):
    proc = _cli("assign", "pos.txt", *NEUTRALS, "--polarity", "positive", "--out", "out", "--quiet", cwd=positive_txt)
    assert proc.returncode == 0, proc.stderr
    with (positive_txt / "out" / "assignments.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert all(int(r["charge"]) > 0 for r in rows)
    got = {r["species"]: float(r["abundance"]) for r in rows}
    top = max(POSITIVE.values())
    for text, v in POSITIVE.items():
        name = Ion.parse(text).notation
        assert got.get(name) == pytest.approx(100 * v / top, rel=0.15), (name, got)
    assert len(got) <= len(POSITIVE) + 1
    electrons = {r["species"]: int(r["electrons"]) for r in rows}
    assert electrons["[Au25(PET)18Cs]+"] == 7 and electrons["[Au25(PET)18]+"] == 6


def test_neutral_reactants_without_a_polarity_are_refused(positive_txt):
    proc = _cli("assign", "pos.txt", *NEUTRALS, "--out", "out2", cwd=positive_txt)
    assert proc.returncode == 2 and proc.stderr.splitlines()[-1].startswith("error: the reactants are neutral")
    assert not (positive_txt / "out2").exists()
    # a sign written in --charges says it
    proc = _cli("candidates", *NEUTRALS, "--charges", "1+,2+", cwd=positive_txt)
    assert proc.returncode == 0, proc.stderr
    charges = {line.split()[2] for line in proc.stdout.splitlines()[2:]}
    assert charges == {"+1", "+2"}


@pytest.mark.parametrize("argv, message", [
    (["--reactant", "[Au25(PET)18]", "--charges", "1+,3-"], "mixes cation and anion"),
    (["--reactant", "[Au25(PET)18]", "--charges", "2+", "--polarity", "negative"], "does not fit a negative-mode"),
    (["--reactant", "Ag@I", "--polarity", "positive"], "no candidate of positive polarity"),
    (["--reactant", "Ag@I", "--species", "[Au25(PET)18]+"], "a cation cannot appear in a negative-mode"),
    (["--reactant", "Ag@I", "--max-metal-exchange", "x"], "--max-metal-exchange: expected an integer"),
])
def test_polarity_conflicts_are_one_error_line(tmp_path, argv, message):
    proc = _cli("candidates", *argv, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_file_polarity_wins_and_conflicts_are_errors(tmp_path):
    from clusterms.data import __file__ as data_init

    demo = Path(data_init).with_name("example_AgI_AuII_simulated_R20000.mzML")  # negative mode
    proc = _cli("assign", str(demo), "--reactant", "Ag@I", "--polarity", "positive", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 2 and "no positive MS1 spectra" in proc.stderr
    proc = _cli("assign", str(demo), "--reactant", "[Au25(PET)18]", "--out", "o", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # neutral reactant: the file says negative


def test_signed_charges():
    assert parse_charges("1+,2+") == (1, 2) and charge_signs("1+,2+") == {1}
    assert parse_charges("-3,4-") == (-3, -4) and charge_signs("-3,4-") == {-1}
    assert parse_charges("1-4") == (1, 2, 3, 4) and charge_signs("1-4") == set()
    assert charge_signs("2,+3") == {1}


def test_space_of_one_polarity_and_neutral_charge_states():
    au25 = Ion.parse("[Au25(PET)18]")
    pos = build_space([au25], options=SpaceOptions(polarity=1))
    neg = build_space([au25], options=SpaceOptions(polarity=-1))
    assert pos and all(c.ion.charge > 0 for c in pos)
    assert neg and all(c.ion.charge < 0 for c in neg)
    names = {c.ion.notation for c in pos}
    assert {"[Au25(PET)18]+", "[Au25(PET)18Cs]+", "[Au25(PET)18H]+", "[Au25(PET)18Na]+", "[Au25(PET)18]4+"} <= names
    assert max(c.ion.charge for c in pos) == 4  # max_neutral_charge
    assert "[Au25(PET)18]-" in {c.ion.notation for c in neg}
    # the neutral reactant itself is not an observable ion
    assert all(c.ion.charge != 0 for c in pos + neg)
    # a charged reactant keeps its sign's families; the other polarity keeps none of its parents
    ag = Ion.parse("Ag@I")
    assert not [c for c in build_space([ag], options=SpaceOptions(polarity=1)) if c.kind == "parent"]


def test_adducts_may_be_written_with_their_sign(tmp_path):
    plain = _cli("candidates", "--reactant", "[Au25(PET)18]", "--polarity", "positive", "--adducts", "Cs,H",
                 cwd=tmp_path)
    signed = _cli("candidates", "--reactant", "[Au25(PET)18]", "--polarity", "positive", "--adducts", "+Cs, +H",
                  cwd=tmp_path)
    assert plain.returncode == signed.returncode == 0 and plain.stdout == signed.stdout
    assert "[Au25(PET)18Cs]+" in signed.stdout and "Na" not in signed.stdout
