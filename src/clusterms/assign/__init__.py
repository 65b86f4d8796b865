"""Assignment: candidate spaces of cluster reactions and formula-range searches."""

from typing import TYPE_CHECKING

from clusterms._lazy import lazy_attributes
from clusterms.assign.candidates import (
    KINDS,
    Candidate,
    SpaceOptions,
    build_space,
    candidates_table,
    finalise_space,
)
from clusterms.assign.space_options import (
    add_space_arguments,
    candidates_from_args,
    options_from_args,
    parse_charges,
)

if TYPE_CHECKING:
    from clusterms.assign.search import SearchItem, parse_pattern, search_space

# The formula-range search loads when first used (it is not needed to build or assign a
# reaction's space, and every module costs start-up time of the command line).
_LAZY = {"SearchItem": "clusterms.assign.search", "parse_pattern": "clusterms.assign.search",
         "search_space": "clusterms.assign.search"}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "KINDS",
    "Candidate",
    "SearchItem",
    "SpaceOptions",
    "add_space_arguments",
    "build_space",
    "candidates_from_args",
    "candidates_table",
    "finalise_space",
    "options_from_args",
    "parse_charges",
    "parse_pattern",
    "search_space",
]
