"""Spectra: the Spectrum model, readers and writers, processing."""

from clusterms.spectra.spectrum import Spectrum

__all__ = ["Spectrum"]
