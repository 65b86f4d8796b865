"""Spectrum processing as composable functions, Spectrum -> Spectrum where it can be.

A typical chain, in the order the steps should run::

    s = baseline(spectrum, window_mz=60)   # subtract the chemical-noise hump
    s = smooth(s, method="savgol")         # optional
    peaks = pick_peaks(s, min_snr=3)       # PeakList (or centroid(s) -> Spectrum)
    envelopes = detect_charges(peaks)      # list of Envelope
    cal = fit_calibration(observed, theoretical, model="linear")
    s = recalibrate(s, cal)

Each step lives in its own module (:mod:`~clusterms.spectra.baseline`,
:mod:`~clusterms.spectra.smoothing`, :mod:`~clusterms.spectra.noise`,
:mod:`~clusterms.spectra.peaks`, :mod:`~clusterms.spectra.charge`,
:mod:`~clusterms.spectra.calibration`); this module gathers them.
"""

from __future__ import annotations

from clusterms.spectra.baseline import BASELINE_METHODS, baseline, estimate_baseline
from clusterms.spectra.calibration import (
    CALIBRATION_MODELS,
    Calibration,
    fit_calibration,
    recalibrate,
)
from clusterms.spectra.charge import (
    DEFAULT_SPACING_DA,
    DEFAULT_SPACING_RANGE_DA,
    Envelope,
    detect_charges,
)
from clusterms.spectra.noise import noise_floor_and_level, noise_level
from clusterms.spectra.peaks import (
    CENTROID_METHODS,
    PeakList,
    centroid,
    estimate_resolution,
    pick_peaks,
)
from clusterms.spectra.smoothing import SMOOTH_METHODS, smooth

__all__ = [
    "BASELINE_METHODS",
    "CALIBRATION_MODELS",
    "CENTROID_METHODS",
    "DEFAULT_SPACING_DA",
    "DEFAULT_SPACING_RANGE_DA",
    "SMOOTH_METHODS",
    "Calibration",
    "Envelope",
    "PeakList",
    "baseline",
    "centroid",
    "detect_charges",
    "estimate_baseline",
    "estimate_resolution",
    "fit_calibration",
    "noise_floor_and_level",
    "noise_level",
    "pick_peaks",
    "recalibrate",
    "smooth",
]
