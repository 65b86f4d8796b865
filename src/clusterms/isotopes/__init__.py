"""Isotope envelopes (aggregated and fine) and profiles at a resolving power."""

from clusterms.isotopes.engine import composition_envelope, composition_envelopes, fine_envelope
from clusterms.isotopes.envelope import Envelope
from clusterms.isotopes.profile import Profile, log_grid, peak_shapes, profile

__all__ = [
    "Envelope",
    "Profile",
    "composition_envelope",
    "composition_envelopes",
    "fine_envelope",
    "log_grid",
    "peak_shapes",
    "profile",
]
