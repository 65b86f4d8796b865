"""Isotope envelopes (aggregated and fine) and profiles at a resolving power."""

from typing import TYPE_CHECKING

from clusterms._lazy import lazy_attributes
from clusterms.isotopes.engine import composition_envelope, composition_envelopes, fine_envelope
from clusterms.isotopes.envelope import Envelope

if TYPE_CHECKING:
    from clusterms.isotopes.profile import Profile, log_grid, peak_shapes, profile

# Profiles load when first used: assigning a profile spectrum does not need them, and
# every module costs start-up time of the command line.
_LAZY = {name: "clusterms.isotopes.profile" for name in ("Profile", "log_grid", "peak_shapes", "profile")}


__getattr__ = lazy_attributes(__name__, _LAZY)

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
