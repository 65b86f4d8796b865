"""Choose the scans of an mzML/mzXML file that a read request asks for.

Scans are chosen while the file streams past: by position or native id (``scan``,
``scans``), or by MS level, polarity and retention time. When nothing matches, the error
says what the file does hold (levels, polarities, time span) and which option to change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from clusterms.errors import InputFileError, OptionError

if TYPE_CHECKING:  # the mzML reader module loads only when an mzML file is read
    from clusterms.spectra.read_mzml import Mode, ScanRecord

__all__ = [
    "ScanKey",
    "ScanRequest",
    "common_mode",
    "no_level",
    "no_spectra",
    "pick_matching",
    "pick_targets",
]

ScanKey = int | str
_COMBINE = ("sum", "mean")
_POLARITIES = ("positive", "negative")


@dataclass(frozen=True)
class ScanRequest:
    """The checked options of a read: which scans, and how to combine them.

    Build it with :meth:`build`, which validates the user's values.
    """

    targets: tuple[ScanKey, ...] | None
    time_range: tuple[float, float] | None
    combine: str
    polarity: Literal["positive", "negative"] | None
    ms_level: int | None

    @classmethod
    def build(
        cls,
        scan: Any,
        scans: Any,
        time_range: Any,
        combine: Any,
        polarity: Any,
        ms_level: Any,
    ) -> ScanRequest:
        """Check the options of a read and bundle them (raises OptionError)."""
        chosen = [n for n, v in (("scan", scan), ("scans", scans), ("time_range", time_range))
                  if v is not None]
        if len(chosen) > 1:
            raise OptionError(
                f"give at most one of scan, scans and time_range, got {' and '.join(chosen)}"
            )
        if combine not in _COMBINE:
            raise OptionError(f"combine must be 'sum' or 'mean', got {combine!r}")
        if polarity not in (None, *_POLARITIES):
            raise OptionError(f"polarity must be 'positive', 'negative' or None, got {polarity!r}")
        if ms_level is not None and (
            isinstance(ms_level, bool) or not isinstance(ms_level, int | np.integer) or ms_level < 1
        ):
            raise OptionError(f"ms_level must be a positive int or None, got {ms_level!r}")
        targets: tuple[ScanKey, ...] | None = None
        if scan is not None:
            targets = (_scan_key(scan, "scan"),)
        elif scans is not None:
            if isinstance(scans, str | bytes) or not isinstance(scans, Iterable):
                raise OptionError(f"scans must be a list of scan indices or ids, got {scans!r}")
            targets = tuple(_scan_key(s, "scans") for s in scans)
            if not targets:
                raise OptionError("scans is empty; give at least one scan index or id")
        window: tuple[float, float] | None = None
        if time_range is not None:
            window = _time_window(time_range)
        return cls(targets, window, combine, polarity, None if ms_level is None else int(ms_level))


def _scan_key(value: Any, option: str) -> ScanKey:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | str):
        raise OptionError(f"{option} must name scans by int index or str id, got {value!r}")
    if isinstance(value, str):
        if not value.strip():
            raise OptionError(f"{option}: an empty scan id")
        return value.strip()
    if value < 0:
        raise OptionError(f"{option}: scan index must be >= 0, got {value}")
    return int(value)


def _time_window(value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"time_range must be (lo, hi) in minutes, got {value!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise OptionError(f"time_range must be finite with lo <= hi, got {value!r}")
    return lo, hi


class _Census:
    """What the file holds, for error messages when the request finds nothing."""

    __slots__ = ("levels", "polarities", "times", "total")

    def __init__(self) -> None:
        self.total = 0
        self.levels: Counter[int | None] = Counter()
        self.polarities: Counter[str | None] = Counter()
        self.times: list[float] = []


def pick_matching(
    records: Iterable[ScanRecord], request: ScanRequest, name: str, notes: list[str]
) -> list[ScanRecord]:
    """The scans of ``request.ms_level``, polarity and time range, in file order.

    With no polarity requested, the first scan's polarity is used; scans of the other
    polarity are left out with a note (a warning for the caller).
    """
    census = _Census()
    chosen: list[ScanRecord] = []
    first_polarity: str | None = request.polarity
    skipped: Counter[str] = Counter()
    for record in records:
        census.total += 1
        if not record.has_mz:
            continue
        census.levels[record.ms_level] += 1
        if request.ms_level is not None and record.ms_level != request.ms_level:
            continue
        census.polarities[record.polarity] += 1
        if record.time_min is not None:
            census.times.append(record.time_min)
        if request.time_range is not None:
            lo, hi = request.time_range
            if record.time_min is None or not lo <= record.time_min <= hi:
                continue
        if request.polarity is not None:
            # A scan that records no polarity cannot contradict the one asked for.
            if record.polarity is not None and record.polarity != request.polarity:
                continue
        elif record.polarity is not None:
            if first_polarity is None:
                first_polarity = record.polarity
            elif record.polarity != first_polarity:
                skipped[record.polarity] += 1
                continue
        chosen.append(record)
    if chosen:
        if skipped:
            other = next(iter(skipped))
            notes.append(
                f"{name} has scans of both polarities: using the {len(chosen)} "
                f"{first_polarity} scans (the first scan's polarity) and leaving out "
                f"{skipped[other]} {other}; choose those with --polarity {other} (polarity='{other}' in Python)"
            )
        return chosen
    raise InputFileError(_nothing_matched(name, request, census))


def pick_targets(
    records: Iterable[ScanRecord], request: ScanRequest, name: str
) -> list[ScanRecord]:
    """The scans named by ``request.targets``, in the order given.

    Stops reading as soon as every target is found by position or whole id.
    """
    wanted = request.targets or ()
    exact: dict[ScanKey, ScanRecord] = {}
    partial: dict[ScanKey, list[ScanRecord]] = {t: [] for t in wanted if isinstance(t, str)}
    total = 0
    example = ""
    for seen in records:
        total += 1
        example = example or seen.native_id
        for target in wanted:
            if target in exact:
                continue
            if isinstance(target, int):
                if seen.position == target:
                    exact[target] = seen
            elif seen.native_id == target:
                exact[target] = seen
            elif _id_matches(seen.native_id, target):
                partial[target].append(seen)
        if len(exact) == len(set(wanted)):
            break  # every target found exactly: no need to read on
    if not total:
        raise InputFileError(no_spectra(name))
    chosen: list[ScanRecord] = []
    for target in wanted:
        record: ScanRecord | None = exact.get(target)
        if record is None and isinstance(target, str):
            found = partial[target]
            if len(found) > 1:
                shown = ", ".join(repr(r.native_id) for r in found[:3])
                raise InputFileError(
                    f"scan {target!r} matches {len(found)} spectra of {name} ({shown}"
                    f"{' ...' if len(found) > 3 else ''}); give the whole id"
                )
            record = found[0] if found else None
        if record is None:
            if isinstance(target, int):
                raise InputFileError(
                    f"scan index {target} is out of range: {name} has {total} spectra "
                    f"(indices 0-{total - 1}); to choose by scan number pass a str, "
                    f"e.g. scan='{target}'"
                )
            raise InputFileError(
                f"no spectrum with id {target!r} in {name} (ids look like {example!r})"
            )
        _check_target(record, target, request, name)
        chosen.append(record)
    polarities = {r.polarity for r in chosen} - {None}
    if len(polarities) > 1:
        raise OptionError(
            f"the chosen scans of {name} mix positive and negative polarity; "
            "choose scans of one polarity"
        )
    return chosen


def _id_matches(native_id: str, target: str) -> bool:
    """A partial id: its key=value parts all appear in the native id; digits mean scan=N."""
    if target.isdigit():
        target = f"scan={target}"
    parts = native_id.split()
    return all(part in parts for part in target.split())


def _check_target(record: ScanRecord, target: ScanKey, request: ScanRequest, name: str) -> None:
    what = f"scan {target!r} ({record.native_id!r}) of {name}"
    if not record.has_mz:
        raise InputFileError(f"{what} is not a mass spectrum (it has no m/z array)")
    if request.ms_level is not None and record.ms_level != request.ms_level:
        level = "of unknown MS level" if record.ms_level is None else f"MS{record.ms_level}"
        raise InputFileError(
            f"{what} is {level}, not MS{request.ms_level}; pass "
            f"ms_level={record.ms_level} (or ms_level=None) to read it"
        )
    if request.polarity is not None and record.polarity is not None and record.polarity != request.polarity:
        raise InputFileError(
            f"{what} has {record.polarity or 'no recorded'} polarity, not {request.polarity}"
        )


def common_mode(chosen: Sequence[ScanRecord], name: str) -> Mode:
    """The profile/centroid mode shared by the scans (``None`` if unknown or mixed with unknown)."""
    modes = {r.mode for r in chosen}
    if {"profile", "centroid"} <= modes:
        raise InputFileError(
            f"the chosen scans of {name} mix profile and centroid data; choose scans of one "
            "kind with scans=[...]"
        )
    return modes.pop() if len(modes) == 1 else None


def no_spectra(name: str) -> str:
    """The message for a file without spectra."""
    return (
        f"{name} contains no spectra (an mzML file may hold only chromatograms, e.g. from "
        "SRM/MRM runs); nothing to read"
    )


def no_level(name: str, level: int | None, levels: Counter[int | None]) -> str:
    """The message for a file without spectra of the requested MS level."""
    have = ", ".join(
        f"{n} {'of unknown level' if lv is None else f'MS{lv}'}"
        for lv, n in sorted(levels.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    )
    known = [lv for lv in levels if lv is not None]
    advice = (f"; choose it with --ms-level {min(known)} (ms_level={min(known)} in Python)"
              if known and level is not None else "")
    wanted = "mass" if level is None else f"MS{level}"
    return f"{name} has no {wanted} spectra (it has {have or 'none with m/z data'}){advice}"


def _nothing_matched(name: str, request: ScanRequest, census: _Census) -> str:
    if not census.total:
        return no_spectra(name)
    level = f"MS{request.ms_level}" if request.ms_level is not None else "mass"
    if not sum(census.polarities.values()):
        return no_level(name, request.ms_level, census.levels)
    if request.time_range is not None:
        lo, hi = request.time_range
        if not census.times:
            return f"{name} records no retention times; time_range cannot choose scans"
        span = f"{min(census.times):.4g}-{max(census.times):.4g} min"
        in_window = [t for t in census.times if lo <= t <= hi]
        if not in_window:
            return f"no {level} spectra between {lo:g} and {hi:g} min in {name} (they span {span})"
    counts = ", ".join(
        f"{n} {pol or 'of unrecorded polarity'}" for pol, n in census.polarities.items()
    )
    return f"{name} has no {request.polarity} {level} spectra ({counts})"


