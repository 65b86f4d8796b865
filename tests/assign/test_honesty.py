"""Assignment that fails closed, on spectra clusterms' simulator did not make.

Calibration only from enough independent species, every reported row within the thresholds
after the final fit, target-decoy q-values, nothing assigned on real spectra without clusters.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from clusterms import Ion
from clusterms.assign.candidates import SpaceOptions, build_space
from clusterms.assign.fdr import UNRELIABLE_DECOY_RATE, q_values, reliability
from clusterms.assign.pipeline import AssignSettings, assign_spectrum
from clusterms.errors import OptionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from independent import render

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real-ms"
CLI = Path(sys.executable).with_name("clusterms")

AU = {
    "[Ag29(BDT)12]3-": 100.0,
    "[AuAg24(DMBT)18]-": 45.0,
    "[AuAg52(BDT)12(DMBT)16]3-": 30.0,
    "[AuAg51(BDT)12(DMBT)15]3-": 10.0,
    "[AuAg53(BDT)12(DMBT)17]3-": 8.0,
    "[AuAg28(BDT)12]3-": 12.0,
    "[Ag25(DMBT)18]-": 10.0,
    "[Ag(DMBT)2]-": 4.0,
}


def _space(*reactants: str, species: tuple[str, ...] = ()) -> list:
    return build_space([Ion.parse(r) for r in reactants], options=SpaceOptions(species=species))


def _judge(result, truth: dict[str, float]) -> tuple[float, list[str], float]:
    """(recall of species >= 5 %, false species >= 2 %, median relative abundance error)."""
    top = max(truth.values())
    rel = {Ion.parse(k).notation: 100 * v / top for k, v in truth.items()}
    got = {a.species: a.abundance for a in result.assignments}
    wanted = [k for k, v in rel.items() if v >= 5]
    found = [k for k in wanted if k in got]
    false = [k for k, v in got.items() if k not in rel and v >= 2]
    err = [abs(got[k] - rel[k]) / rel[k] for k in found]
    return len(found) / len(wanted), false, float(np.median(err)) if err else 1.0


# ----------------------------------------------------------------------------- q-values
def test_q_values_agree_with_pyteomics():
    from pyteomics.auxiliary import qvalues

    rng = np.random.default_rng(4)
    t = rng.uniform(0.5, 1.0, 60)
    d = rng.uniform(0.3, 0.95, 40)
    ours = q_values(t, d)
    psms = np.array([(s, False) for s in t] + [(s, True) for s in d], dtype=[("score", "f8"), ("decoy", "?")])
    ref = qvalues(psms, key="score", is_decoy="decoy", reverse=True, remove_decoy=True, formula=1,
                  full_output=True)
    by_score = {float(r["score"]): float(r["q"]) for r in ref}
    assert [by_score[float(s)] for s in t] == pytest.approx(list(ours), abs=1e-12)


def test_q_values_are_monotone_and_zero_without_decoys():
    q = q_values([0.99, 0.9, 0.95, 0.7], [0.8, 0.92])
    # at 0.99: 1 target, 0 decoys; 0.95: 2, 0; 0.9: 3, 1; 0.7: 4, 2 -> FDR 0, 0, 1/3, 1/2
    assert list(q) == pytest.approx([0.0, 1 / 3, 0.0, 0.5])
    # a lower FDR further down the list lowers the q-value of the ones above it
    assert list(q_values([0.9, 0.8, 0.7], [0.85])) == pytest.approx([0.0, 1 / 3, 1 / 3])
    assert list(q_values([0.9, 0.8], [])) == [0.0, 0.0]
    assert q_values([], [0.9]).size == 0


def test_reliability_verdicts():
    fine = reliability(target_scores=[0.99, 0.97], decoy_scores_passing=[0.85], decoys_tested=100,
                       n_dropped=0, fdr=0.01)
    assert fine.reliable and fine.reason == ""
    many = reliability(target_scores=[0.99], decoy_scores_passing=[0.85] * 6, decoys_tested=100,
                       n_dropped=0, fdr=0.01)
    assert not many.reliable and "6 of 100 decoys" in many.reason
    assert 6 / 100 > UNRELIABLE_DECOY_RATE >= 5 / 100
    assert reliability(target_scores=[0.99], decoy_scores_passing=[0.85] * 5, decoys_tested=100,
                       n_dropped=0, fdr=0.01).reliable
    tie = reliability(target_scores=[0.95, 0.9], decoy_scores_passing=[0.95], decoys_tested=100,
                      n_dropped=0, fdr=0.01)
    assert not tie.reliable and "best decoy" in tie.reason
    gone = reliability(target_scores=[], decoy_scores_passing=[], decoys_tested=100, n_dropped=3, fdr=0.01)
    assert not gone.reliable and "all 3 species" in gone.reason


def test_species_above_the_fdr_are_dropped(monkeypatch):
    # The q-values themselves are checked against pyteomics above; here: what the engine does
    # when they are high. Nothing above --fdr is reported, the whole result is flagged, and
    # --fdr 1 keeps every species with its q-value.
    from clusterms.assign import fdr

    spec = render(AU, seed=1)
    space = _space("Ag@I", "Au@II")
    base = assign_spectrum(spec, space)
    assert len(base.assignments) >= 7 and base.reliable and base.notes == ()
    assert all(a.q_value == 0.0 for a in base.assignments)
    monkeypatch.setattr(fdr, "q_values", lambda t, d: np.full(np.size(t), 0.2))
    strict = assign_spectrum(spec, space)
    assert strict.assignments == () and not strict.reliable and strict.fdr_dropped == len(base.assignments)
    assert strict.notes[0].startswith("unreliable result: all")
    loose = assign_spectrum(spec, space, settings=AssignSettings(fdr=0.5))
    assert [a.species for a in loose.assignments] == [a.species for a in base.assignments]
    assert all(a.q_value == 0.2 for a in loose.assignments) and loose.reliable and loose.fdr_dropped == 0


# ---------------------------------------------------------------------------- calibration
def test_one_species_cannot_calibrate():
    spec = render({"[Ag29(BDT)12]3-": 1.0}, ppm=20.0, mz_range=(1550.0, 1700.0))
    space = _space("Ag@I")
    strict = assign_spectrum(spec, space)
    assert not strict.calibration_applied and strict.assignments == ()
    assert strict.calibration["ppm_offset"] == 0.0 and strict.calibration["n_points"] == 0
    suggested = re.search(r"combs suggest ([+-][0-9.]+) ppm", strict.notes[0])
    assert suggested and float(suggested.group(1)) == pytest.approx(20.0, abs=1.0)
    # Within the tolerance it is assigned where it is, on the axis as read (not recalibrated).
    near = render({"[Ag29(BDT)12]3-": 1.0}, ppm=4.0, mz_range=(1550.0, 1700.0))
    result = assign_spectrum(near, space)
    (a,) = result.assignments
    assert a.ppm == pytest.approx(4.0, abs=0.5) and not result.calibration_applied


def test_enough_species_calibrate():
    spec = render(AU, ppm=20.0, seed=2)
    result = assign_spectrum(spec, _space("Ag@I", "Au@II"))
    assert result.calibration_applied and result.calibration["n_points"] >= 3
    centre = result.calibration["ppm_offset"] + result.calibration["ppm_slope_per_kmz"] * 3.0
    assert centre == pytest.approx(20.0, abs=1.0)
    recall, false, err = _judge(result, AU)
    assert recall == 1.0 and false == [] and err <= 0.05


@pytest.mark.parametrize("max_ppm, min_score", [(2.0, 0.8), (10.0, 0.99)])
def test_every_row_meets_the_thresholds(max_ppm, min_score):
    spec = render(AU, resolution=8_000, ppm=-6.0, noise=0.004, seed=3)
    result = assign_spectrum(spec, _space("Ag@I", "Au@II"),
                             settings=AssignSettings(max_ppm=max_ppm, min_score=min_score))
    assert result.assignments
    assert all(abs(a.ppm) <= max_ppm for a in result.assignments), [(a.species, a.ppm) for a in result.assignments]
    assert all(a.score >= min_score for a in result.assignments)
    base = assign_spectrum(spec, _space("Ag@I", "Au@II"))
    if max_ppm == 2.0:  # the threshold bites: some species of the default run are beyond it
        assert any(abs(a.ppm) > 2.0 for a in base.assignments)


def test_low_resolving_power_estimated():
    # R 4000: isotopes of the 3- ions unresolved; the resolving power is estimated.
    spec = render(AU, resolution=4_000, noise=0.002, seed=5)
    result = assign_spectrum(spec, _space("Ag@I", "Au@II"))
    assert result.resolution == pytest.approx(4_000, rel=0.15)
    recall, false, err = _judge(result, AU)
    assert recall >= 0.9 and len(false) <= 1 and err <= 0.15, (recall, false, err)
    assert not any("Ag58" in a.species for a in result.assignments)  # no false homodimer


# ------------------------------------------------------------------------- real spectra
REAL_MS1 = ["unidec_GroEL_native_export.txt", "unidec_BSA_headerless.txt", "waters_ATEHLSTLSEK_profile_indexed.mzML",
            "thermo_QE_microscans.mzXML", "uimf_BSA_10ugml_CID_drifttime.mzML", "bruker_Hela_PASEF_combineIMS.mzML",
            "openms_FileFilter_37_numpress_linear_slof.mzML", "thermo_ginkgotoxin_polarity_switching.mzML"]


ANIONS = ["--reactant", "Ag@I", "--reactant", "Ag@II", "--reactant", "Au@II"]
NEUTRALS = ["--reactant", "[Au25(PET)18]", "--reactant", "[Au144(PET)60]"]


def _assign_real(tmp_path: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "assign", str(REAL / name), *extra, "--out", str(tmp_path / "out"),
                           "--quiet", "--force"], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real-ms is not beside the clone")
@pytest.mark.parametrize("name", REAL_MS1)
def test_no_cluster_in_real_spectra(tmp_path, name):
    from clusterms.spectra.readers import read_spectrum

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        polarity = read_spectrum(REAL / name).polarity
    runs = []
    if polarity != "positive":  # anionic reactants: negative-mode or unknown
        runs.append(ANIONS)
    # neutral reactants: the file's polarity, or both when the file does not say
    runs += [[*NEUTRALS, "--polarity", p] for p in ([polarity] if polarity else ["positive", "negative"])]
    if name == "thermo_ginkgotoxin_polarity_switching.mzML":  # a centroid file: its resolving power is needed
        assert "give the instrument's resolving power" in _assign_real(tmp_path, name, *runs[0]).stderr
        runs = [[*r, "--resolution", "30000"] for r in runs]
    for extra in runs:
        proc = _assign_real(tmp_path, name, *extra)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "out" / "assignments.csv").read_text().splitlines()[1:] == [], extra
        params = json.loads((tmp_path / "out" / "params.json").read_text())
        assert params["calibration"]["applied"] is False and params["calibration"]["ppm_offset"] == 0.0
    if polarity == "positive":  # anions cannot be looked for in a positive-mode spectrum: said, not guessed
        proc = _assign_real(tmp_path, name, *ANIONS)
        last = proc.stderr.splitlines()[-1]
        assert proc.returncode == 2 and last.startswith("error: no candidate of positive polarity")


# ------------------------------------------------------------------------------ centroids
def test_a_vendor_centroid_list_is_detected_and_read_as_areas(tmp_path):
    from independent import centroids

    from clusterms.spectra.peak_type import detect_mode

    cent = centroids(AU, ppm=3.0)
    listed = cent.replace(mode=None)  # a text export: the file does not say
    assert detect_mode(listed) == "centroid"
    assert detect_mode(render(AU, resolution=3_000)) == "profile"
    with pytest.raises(OptionError, match=r"centroid list \(detected from the data\).*--resolution"):
        assign_spectrum(listed, _space("Ag@I", "Au@II"))
    for resolution in (8_000, 20_000, 60_000):  # whatever the resolving power given, areas are kept
        result = assign_spectrum(listed, _space("Ag@I", "Au@II"), settings=AssignSettings(resolution=resolution))
        assert result.input_mode == "centroid" and result.input_mode_source == "detected from the data"
        recall, false, err = _judge(result, AU)
        assert recall == 1.0 and false == [] and err <= 0.05, (resolution, recall, false, err)
    np.savetxt(tmp_path / "cent.txt", np.column_stack([cent.mz, cent.intensity]), fmt="%.6f")
    proc = subprocess.run([str(CLI), "assign", "cent.txt", "--reactant", "Ag@I", "--reactant", "Au@II",
                           "--out", "o"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "give the instrument's resolving power" in proc.stderr
    proc = subprocess.run([str(CLI), "assign", "cent.txt", "--reactant", "Ag@I", "--reactant", "Au@II",
                           "--resolution", "20000", "--out", "o", "--quiet"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    params = json.loads((tmp_path / "o" / "params.json").read_text())
    assert params["input_mode"] == {"mode": "centroid", "source": "detected from the data",
                                    "centroid_intensity": "peak area"}


# ----------------------------------------------------- three reactants, formula search
PD3 = {"[Ag29(BDT)12]3-": 100.0, "[Ag25(DMBT)18]-": 40.0, "[PdAg24(DMBT)18]2-": 50.0,
       "[PdAg52(BDT)12(DMBT)16]3-": 25.0, "[Ag53(BDT)12(DMBT)16]3-": 15.0, "[Ag(DMBT)2]-": 5.0}


@pytest.mark.parametrize("resolution", [10_000, 20_000])
def test_three_reactants_with_a_pd_doped_one(resolution):
    # 106Pd + H is 6 mDa from 107Ag: the protonated Pd species and open-shell cores explain the
    # Ag25 parent nearly as well; the priors keep the parent and its abundance.
    spec = render(PD3, resolution=resolution, ppm=6.0, seed=7)
    result = assign_spectrum(spec, _space("Ag@I", "Ag@II", "Pd@II"))
    recall, false, err = _judge(result, PD3)
    assert recall == 1.0 and len(false) <= 1 and err <= 0.15, (recall, false, err)
    got = {a.species: a for a in result.assignments}
    assert got["[Ag25(DMBT)18]-"].abundance == pytest.approx(40.0, rel=0.1)
    assert any("PdAg24(DMBT)18H" in x for x in got["[Ag25(DMBT)18]-"].ambiguous_with)


def test_formula_search_beside_the_reactants(tmp_path):
    spec = render(AU, ppm=4.0, seed=8)
    np.savetxt(tmp_path / "au.txt", np.column_stack([spec.mz, spec.intensity]), fmt="%.6f")
    proc = subprocess.run([str(CLI), "assign", "au.txt", "--polarity", "negative", "--reactant", "Ag@I",
                           "--reactant", "Au@II", "--search", "Ag20-30 Au0-1 (BDT)0-12 (DMBT)0-18", "--out", "o",
                           "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    params = json.loads((tmp_path / "o" / "params.json").read_text())
    assert params["n_candidates"] > 20_000
    with (tmp_path / "o" / "assignments.csv").open() as fh:
        import csv

        rows = list(csv.DictReader(fh))
    got = {r["species"]: float(r["abundance"]) for r in rows}
    top = max(AU.values())
    wanted = {Ion.parse(k).notation: 100 * v / top for k, v in AU.items()}
    assert all(k in got for k, v in wanted.items() if v >= 5), got
    false = [k for k, v in got.items() if k not in wanted and v >= 2]
    assert len(false) <= 1, false
    assert np.median([abs(got[k] - v) / v for k, v in wanted.items() if k in got]) <= 0.15


def test_the_shipped_example_gives_its_composition():
    # The priors must not trade a protonated even-electron dimer ([AuAg53(BDT)12(DMBT)18H]3-,
    # 16 e, in the mixture) for its odd-electron bare look-alike (15 e, not in it).
    from clusterms.demo import EXAMPLE_SPECIES, example_path
    from clusterms.spectra.readers import read_spectrum

    result = assign_spectrum(read_spectrum(example_path()), _space("Ag@I", "Au@II"))
    got = {a.species: a.abundance for a in result.assignments}
    truth = {Ion.parse(k).notation: v for k, v in EXAMPLE_SPECIES.items()}
    assert set(got) == set(truth), got
    assert all(got[k] == pytest.approx(v, rel=0.1) for k, v in truth.items()), got


def test_an_unreliable_result_is_said_in_the_report_and_on_screen(monkeypatch, tmp_path):
    from clusterms.assign import fdr
    from clusterms.report.html import assignment_report_bytes

    monkeypatch.setattr(fdr, "q_values", lambda t, d: np.full(np.size(t), 0.2))
    spec = render(AU, seed=1)
    result = assign_spectrum(spec, _space("Ag@I", "Au@II"))
    html = assignment_report_bytes(title="t", source="s", settings={}, result=result).decode()
    assert '<p class="unreliable">unreliable result: all ' in html
    good = assign_spectrum(spec, _space("Ag@I", "Au@II"), settings=AssignSettings(fdr=0.5))
    assert 'class="unreliable"' not in assignment_report_bytes(title="t", source="s", settings={},
                                                               result=good).decode()
    # on screen: one line above the table; in the CSV the q-values say it
    import contextlib
    import io

    from clusterms.cli import main

    np.savetxt(tmp_path / "s.txt", np.column_stack([spec.mz, spec.intensity]), fmt="%.6f")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(tmp_path):
        code = main(["assign", "s.txt", "--polarity", "negative", "--reactant", "Ag@I", "--reactant", "Au@II",
                     "--fdr", "1", "--out", "o"])
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("species") and "UNRELIABLE" not in out.getvalue()  # q 0.2 <= 1: kept
    with contextlib.redirect_stdout(out := io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            contextlib.chdir(tmp_path):
        assert main(["assign", "s.txt", "--polarity", "negative", "--reactant", "Ag@I", "--reactant", "Au@II",
                     "--out", "o2"]) == 0
    assert out.getvalue().splitlines()[0].startswith("UNRELIABLE: all ")
    assert (tmp_path / "o" / "assignments.csv").read_text().splitlines()[1].endswith(",0.2000")


def test_decoys_change_neither_the_screen_nor_the_ambiguity():
    # The decoy step once overwrote the screened pool with every candidate in range: the
    # ambiguity check then ran over all of them (8 s with --search) and n_screened was wrong.
    spec = render(AU, seed=1)
    with_decoys = assign_spectrum(spec, _space("Ag@I", "Au@II"))
    without = assign_spectrum(spec, _space("Ag@I", "Au@II"), settings=AssignSettings(decoys=False))
    assert with_decoys.n_screened == without.n_screened < with_decoys.n_candidates / 4
    assert [a.ambiguous_with for a in with_decoys.assignments] == [a.ambiguous_with for a in without.assignments]
