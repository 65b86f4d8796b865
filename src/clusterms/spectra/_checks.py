"""Option and input checks shared by the processing modules (private)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from clusterms.errors import InputFileError, OptionError
from clusterms.spectra.spectrum import Spectrum


def choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise OptionError naming both."""
    if not isinstance(value, str) or value not in allowed:
        shown = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise OptionError(f"{name} must be {shown}, got {value!r}")
    return value


def _number(value: object) -> float:
    """``value`` as a float, NaN when it is not a number (the checks then refuse it)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def positive(name: str, value: object, *, unit: str = "") -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise OptionError."""
    number = _number(value)
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        suffix = f" ({unit})" if unit else ""
        raise OptionError(f"{name} must be a finite number > 0{suffix}, got {value!r}")
    return number


def non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise OptionError."""
    number = _number(value)
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise OptionError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def optional_positive(name: str, value: object, *, unit: str = "") -> float | None:
    """Like :func:`positive` but ``None`` passes through (meaning "choose automatically")."""
    return None if value is None else positive(name, value, unit=unit)


def count(name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise OptionError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise OptionError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def fraction(name: str, value: object, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` if ``low < value < high`` (finite), else raise OptionError."""
    number = _number(value)
    if isinstance(value, bool) or not (low < number < high):
        raise OptionError(f"{name} must be a number between {low} and {high}, got {value!r}")
    return number


def finite_intensities(spectrum: Spectrum, caller: str) -> None:
    """Refuse a spectrum whose m/z or intensity holds NaN or infinity."""
    if not isinstance(spectrum, Spectrum):
        raise OptionError(f"{caller} needs a Spectrum, got {type(spectrum).__name__}")
    bad = ~(np.isfinite(spectrum.mz) & np.isfinite(spectrum.intensity))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(
            f"{caller}: the spectrum holds {int(bad.sum())} non-finite value(s), the first at "
            f"index {i} (m/z {float(spectrum.mz[i])!r}, intensity {float(spectrum.intensity[i])!r})"
        )
