"""UV/vis absorption spectra of cluster mixtures: reading, mixture fits, bands, components.

>>> from clusterms.uvvis import read_uvvis, fit_mixture  # doctest: +SKIP
"""

from clusterms.uvvis.bands import LITERATURE_BANDS, Band, compare_bands, find_bands
from clusterms.uvvis.manifest import parse_time_h, read_manifest, time_from_name
from clusterms.uvvis.mixture import MixtureFit, SeriesComponents, fit_mixture, noise_level, series_components
from clusterms.uvvis.read import read_uvvis
from clusterms.uvvis.spectrum import HC_EV_NM, UVVisSpectrum

__all__ = [
    "HC_EV_NM",
    "LITERATURE_BANDS",
    "Band",
    "MixtureFit",
    "SeriesComponents",
    "UVVisSpectrum",
    "compare_bands",
    "find_bands",
    "fit_mixture",
    "noise_level",
    "parse_time_h",
    "read_manifest",
    "read_uvvis",
    "series_components",
    "time_from_name",
]
