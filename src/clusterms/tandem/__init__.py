"""Tandem MS: fragment spaces of mass-selected precursors (CID energy ramps build on these)."""

from clusterms.tandem.fragment_space import FragmentMatches, FragmentSpace, fragment_space

__all__ = ["FragmentMatches", "FragmentSpace", "fragment_space"]
