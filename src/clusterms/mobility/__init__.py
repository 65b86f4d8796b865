"""Ion mobility: arrival-time distributions of species from their isotope envelopes, conformer fits."""

from clusterms.mobility.atd import ArrivalDistribution, ArrivalFit, arrival_distributions
from clusterms.mobility.conformers import ConformerFit, diffusion_resolving_power, fit_conformers, min_fwhm
from clusterms.mobility.read import MobilityRun, read_mobility

__all__ = ["ArrivalDistribution", "ArrivalFit", "ConformerFit", "MobilityRun", "arrival_distributions",
           "diffusion_resolving_power", "fit_conformers", "min_fwhm", "read_mobility"]
