"""Real ion-mobility files (../shared/data/real-ms, not copied into the repository) through the reader,
checked against pyteomics reading the same files."""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clusterms.chem.ion import Ion
from clusterms.mobility import arrival_distributions, fit_conformers, read_mobility

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-ms"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files not found at {REAL}")
UIMF = "uimf_BSA_10ugml_CID_drifttime.mzML"
BRUKER = "bruker_Hela_PASEF_combineIMS.mzML"


class _Terms:
    """No vocabulary for pyteomics (values stay untyped floats and strings): reading the PSI-MS
    vocabulary for every term makes the 547-spectrum file take 10 s instead of 1."""

    class _Term:
        relationship = ()

        def __init__(self, accession: str) -> None:
            self.name = accession

    def __getitem__(self, accession: str) -> _Term:
        return self._Term(accession)


@cache
def _oracle(name: str) -> tuple[dict[str, Any], ...]:
    from pyteomics import mzml

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with mzml.MzML(str(REAL / name), cv=_Terms(), use_index=False, read_schema=False) as reader:
            return tuple(reader)


def test_uimf_drift_time_scans() -> None:
    """UIMF frames hold scans 0-9 with drift times that jitter by ~1 % from frame to frame: 10 bins,
    each the sum of the MS1 scans nearest to it."""
    run = read_mobility(REAL / UIMF)
    assert run.layout == "drift-time scans" and run.unit == "ms" and len(run) == 10
    ms1 = [s for s in _oracle(UIMF) if s["ms level"] == 1]
    dt = np.array([float(s["scanList"]["scan"][0]["ion mobility drift time"]) for s in ms1])
    assert np.all(np.diff(run.drift) > 0)
    nearest = np.argmin(np.abs(dt[:, None] - run.drift[None, :]), axis=1)
    assert np.all(np.abs(dt - run.drift[nearest]) < 0.1 * np.median(np.diff(run.drift)))
    for k, (spectrum, scans) in enumerate(zip(run.spectra, run.scans, strict=True)):
        mine = [s for s, j in zip(ms1, nearest, strict=True) if j == k]
        assert len(scans) == len(mine)  # every scan kept apart, on its own m/z sampling
        want = sum(float(np.sum(s["intensity array"])) for s in mine)
        assert float(np.sum(spectrum.intensity)) == pytest.approx(want, rel=1e-9)
    assert sum(len(s) for b in run.scans for s in b) == sum(len(s["m/z array"]) for s in ms1)


def test_uimf_through_the_analysis() -> None:
    """No metal cluster in BSA: a silver cluster asked for is not detected and gets no conformer."""
    run = read_mobility(REAL / UIMF)
    fit = arrival_distributions(run, [Ion.parse("[Ag25(DMBT)18]-")])
    atd = fit.distributions[0]
    assert atd.intensity.shape == (10,) and not atd.detected
    assert fit_conformers(atd).n_conformers == 0


def test_bruker_mobility_array() -> None:
    """timsTOF combineIMS: a 'mean ion mobility array' (1/K0) per spectrum, binned."""
    run = read_mobility(REAL / BRUKER)
    assert run.layout == "mobility array" and run.unit == "V s/cm2"
    ms1 = [s for s in _oracle(BRUKER) if s["ms level"] == 1]
    mob = np.concatenate([np.asarray(s["mean ion mobility array"], dtype=float) for s in ms1])
    assert mob.min() - 1e-6 <= run.drift[0] and run.drift[-1] <= mob.max() + 1e-6
    total = sum(float(np.sum(s["intensity array"])) for s in ms1)
    assert sum(float(np.sum(s.intensity)) for s in run.spectra) == pytest.approx(total, rel=1e-6)
    assert sum(len(s) for b in run.scans for s in b) <= mob.size  # repeated m/z in one spectrum and bin summed
