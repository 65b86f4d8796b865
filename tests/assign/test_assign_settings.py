"""Acceptance options and the target-decoy estimate of `assign_spectrum`, on small
noise-free simulated mixtures (exact positions, so every outcome is decided by the rule
under test)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clusterms import Ion
from clusterms.assign.candidates import Candidate, fit_envelopes
from clusterms.assign.pipeline import AssignSettings, _decoys, assign_spectrum
from clusterms.simulate import simulate_spectrum

R = 20_000
SIM = {"resolution": R, "noise": 0.0, "mz_range": (300.0, 6000.0)}
BASE = ["[Ag29(BDT)12]3-", "[Ag25(DMBT)18]-", "[Ag53(BDT)12(DMBT)16]3-", "[Ag2(DMBT)3]-"]
SHIFTED = "[AuAg24(DMBT)18]-"


def _candidates(names):
    return [Candidate(ion=Ion.parse(n), label="test", kind="parent") for n in names]


def _with_outlier(ppm):
    """BASE at their exact m/z (they fix the calibration) plus SHIFTED moved by ``ppm``."""
    a = simulate_spectrum({Ion.parse(n): 100.0 for n in BASE}, **SIM)
    b = simulate_spectrum({Ion.parse(SHIFTED): 100.0}, calibration_ppm=ppm, **SIM)
    return a.replace(intensity=a.intensity + 0.3 * b.intensity)


def test_max_ppm_rejects_a_well_measured_outlier():
    spec = _with_outlier(4.0)
    cands = _candidates([*BASE, SHIFTED])
    loose = assign_spectrum(spec, cands, settings=AssignSettings(resolution=R, max_ppm=10.0))
    got = {a.species: a for a in loose.assignments}
    assert set(got) == {*BASE, SHIFTED}
    assert got[SHIFTED].ppm == pytest.approx(4.0, abs=0.5)
    assert all(abs(got[n].ppm) < 0.1 for n in BASE)
    tight = assign_spectrum(spec, cands, settings=AssignSettings(resolution=R, max_ppm=3.0))
    assert {a.species for a in tight.assignments} == set(BASE)


def test_a_decoy_on_an_unexplained_envelope_is_counted():
    # A ghost copy of the first species sits exactly where its decoy is placed: that decoy
    # (and only it) passes the acceptance rules.
    ions = [Ion.parse(n) for n in ("[Ag25(DMBT)18]-", "[Ag29(BDT)12]3-")]
    envs = fit_envelopes(ions)
    decoy_mz = _decoys(envs, [i.charge for i in ions], np.arange(2), 0)[0][0]
    shift = float(decoy_mz[0] - envs[0][0][0])
    assert abs(shift) * abs(ions[0].charge) % 1 == pytest.approx(0.5)  # half-integer masses
    top = float(envs[0][0][np.argmax(envs[0][1])])
    real = simulate_spectrum(dict.fromkeys(ions, 1.0), **SIM)
    ghost = simulate_spectrum({ions[0]: 1.0}, calibration_ppm=shift / top * 1e6, **SIM)
    spec = real.replace(intensity=real.intensity + 0.5 * ghost.intensity)
    cands = _candidates([i.notation for i in ions])
    result = assign_spectrum(spec, cands, settings=AssignSettings(resolution=R, fdr=1.0))
    assert {a.species for a in result.assignments} == {i.notation for i in ions}
    assert (result.decoys_tested, result.decoys_accepted) == (2, 1)
    # Target-decoy: 1 decoy accepted of 2 tested, times 2 assignments.
    assert result.false_assignment_estimate == pytest.approx(1.0)
    # Half the decoys pass: the result is flagged, and at --fdr 0.01 the species that scores
    # no better than the accepted decoy goes.
    assert not result.reliable and result.notes[0].startswith("unreliable result: 1 of 2 decoys")
    strict = assign_spectrum(spec, cands, settings=AssignSettings(resolution=R))
    assert len(strict.assignments) < 2 and strict.fdr_dropped >= 1
    assert all(a.q_value <= 0.01 for a in strict.assignments)


def test_clean_spectrum_accepts_no_decoy_and_tests_one_per_candidate_in_range():
    spec = simulate_spectrum({Ion.parse(n): 100.0 for n in BASE}, **SIM)
    outside = "[Ag58(BDT)24]-"  # m/z ~9570, beyond the 6000 of the spectrum
    result = assign_spectrum(spec, _candidates([*BASE, outside]), settings=AssignSettings(resolution=R))
    assert {a.species for a in result.assignments} == set(BASE)
    assert (result.decoys_tested, result.decoys_accepted) == (len(BASE), 0)
    assert result.false_assignment_estimate == 0.0
    off = assign_spectrum(spec, _candidates(BASE), settings=AssignSettings(resolution=R, decoys=False))
    assert (off.decoys_tested, off.decoys_accepted) == (0, 0)
    assert math.isnan(off.false_assignment_estimate)
    assert [{**a.row(), "q_value": ""} for a in off.assignments] == [{**a.row(), "q_value": ""}
                                                                   for a in result.assignments]
    assert {a.row()["q_value"] for a in result.assignments} == {"0.0000"}
    assert {a.row()["q_value"] for a in off.assignments} == {""}  # no decoys: no q-value
