"""Resource limits: how much one input may make clusterms hold in memory.

Every limit refuses the input with one :class:`~clusterms.errors.ClustermsError` line before
the machine suffers (a decompression bomb, ``/dev/zero`` given as a file, a formula range
that would enumerate gigabytes of isotope envelopes). Defaults suit spectra of metal
clusters on a lab workstation; each can be raised (docs/limits.md):

``max_points``
    Points (m/z, intensity pairs) held from one input file, summed over the scans read.
    ``--max-points N`` on the commands that read spectra, or ``CLUSTERMS_MAX_POINTS``.
``max_input_bytes``
    Bytes of content read from a gzip-compressed file (decompressed), a pipe or a device,
    and of a text file (read whole): :data:`BYTES_PER_POINT` times ``max_points``.
``max_candidates``
    (composition, charge) combinations a ``--search`` pattern may enumerate:
    ``CLUSTERMS_MAX_CANDIDATES``.
``max_space_bytes``
    Estimated memory of the isotope envelopes of a ``--search`` space:
    ``CLUSTERMS_MAX_SPACE_MB`` (megabytes).

Kept light (no numpy): the command line imports it before parsing.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

from clusterms.errors import OptionError

__all__ = [
    "BYTES_PER_POINT",
    "DEFAULT_MAX_CANDIDATES",
    "DEFAULT_MAX_POINTS",
    "DEFAULT_MAX_SPACE_MB",
    "ENV_MAX_CANDIDATES",
    "ENV_MAX_POINTS",
    "ENV_MAX_SPACE_MB",
    "Limits",
    "current",
    "parse_count",
    "using",
]

DEFAULT_MAX_POINTS = 50_000_000
DEFAULT_MAX_CANDIDATES = 2_000_000
DEFAULT_MAX_SPACE_MB = 2_000
# Bytes of file content allowed per point: a text row with three full-precision columns and a
# CRLF is about 60 bytes, an mzML point (two float64 arrays in base64) about 22 plus the scan's
# XML. 64 x 50 million points = 3.2 GB.
BYTES_PER_POINT = 64
_LARGEST = 10**15  # a value beyond this is a typo, not a limit

ENV_MAX_POINTS = "CLUSTERMS_MAX_POINTS"
ENV_MAX_CANDIDATES = "CLUSTERMS_MAX_CANDIDATES"
ENV_MAX_SPACE_MB = "CLUSTERMS_MAX_SPACE_MB"


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module notes).

    Attributes
    ----------
    max_points
        Points held from one input file.
    max_candidates
        (composition, charge) combinations one ``--search`` pattern may enumerate.
    max_space_mb
        Estimated megabytes of the isotope envelopes of a ``--search`` space.
    """

    max_points: int = DEFAULT_MAX_POINTS
    max_candidates: int = DEFAULT_MAX_CANDIDATES
    max_space_mb: int = DEFAULT_MAX_SPACE_MB

    @property
    def max_input_bytes(self) -> int:
        """Bytes of decompressed, piped or text content read from one input."""
        return BYTES_PER_POINT * self.max_points

    @property
    def max_space_bytes(self) -> int:
        return self.max_space_mb * 1_000_000

    def raise_points_hint(self) -> str:
        """How to raise ``max_points``, for the end of a message."""
        return (f"raise the limit of {self.max_points:,} points with --max-points N "
                f"or the environment variable {ENV_MAX_POINTS}")


def parse_count(text: object, *, name: str) -> int:
    """A positive integer limit from an option or environment text (``50000000``, ``5e7``,
    ``50_000_000``); an :class:`OptionError` naming ``name`` otherwise."""
    s = str(text).strip().replace("_", "").replace(",", "")
    try:
        value = int(s)
    except ValueError:
        try:
            number = float(s)
        except ValueError:
            number = math.nan
        value = int(number) if math.isfinite(number) and number.is_integer() else -1
    if not 1 <= value <= _LARGEST:
        raise OptionError(f"{name}: expected a positive whole number up to {_LARGEST:.0e}, got {str(text)!r}")
    return int(value)


def _from_environment() -> Limits:
    kw: dict[str, object] = {}
    env = os.environ
    if env.get(ENV_MAX_POINTS, "").strip():
        kw["max_points"] = parse_count(env[ENV_MAX_POINTS], name=ENV_MAX_POINTS)
    if env.get(ENV_MAX_CANDIDATES, "").strip():
        kw["max_candidates"] = parse_count(env[ENV_MAX_CANDIDATES], name=ENV_MAX_CANDIDATES)
    if env.get(ENV_MAX_SPACE_MB, "").strip():
        kw["max_space_mb"] = parse_count(env[ENV_MAX_SPACE_MB], name=ENV_MAX_SPACE_MB)
    return Limits(**kw)  # type: ignore[arg-type]


_OVERRIDE: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("clusterms_limits", default=None)


def current() -> Limits:
    """The limits in force: those set by :func:`using`, else the environment's, else defaults.

    The environment is read at each call (cheap), so a notebook can change it between reads.
    """
    override = _OVERRIDE.get()
    return override if override is not None else _from_environment()


@contextlib.contextmanager
def using(*, max_points: int | None = None) -> Iterator[Limits]:
    """Raise (or lower) limits for the code run inside the ``with`` block.

    >>> with using(max_points=100_000_000) as limits:
    ...     limits.max_points
    100000000
    """
    limits = current()
    if max_points is not None:
        if isinstance(max_points, bool) or not isinstance(max_points, int) or not 1 <= max_points <= _LARGEST:
            raise OptionError(f"max_points must be a positive integer, got {max_points!r}")
        limits = replace(limits, max_points=max_points)
    token = _OVERRIDE.set(limits)
    try:
        yield limits
    finally:
        _OVERRIDE.reset(token)
