"""Assignment: candidate spaces of cluster reactions and formula-range searches."""

from clusterms.assign.candidates import (
    KINDS,
    Candidate,
    SpaceOptions,
    build_space,
    candidates_table,
    finalise_space,
)
from clusterms.assign.search import SearchItem, parse_pattern, search_space
from clusterms.assign.space_options import (
    add_space_arguments,
    candidates_from_args,
    options_from_args,
    parse_charges,
)

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
