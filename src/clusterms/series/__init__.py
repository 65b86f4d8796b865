"""Time and concentration series: assign once, quantify every spectrum, fit kinetics."""

from clusterms.series.analysis import SeriesResult, Trend, analyse_series, combined_spectrum
from clusterms.series.kinetics import KineticFit, fit_kinetics, fit_mechanism, parse_mechanism
from clusterms.series.manifest import SeriesManifest, read_series_manifest

__all__ = ["KineticFit", "SeriesManifest", "SeriesResult", "Trend", "analyse_series", "combined_spectrum",
           "fit_kinetics", "fit_mechanism", "parse_mechanism", "read_series_manifest"]
