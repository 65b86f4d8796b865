"""Write an assignment to a folder: the library call `clusterms assign` (and batch) share.

``assignments.csv`` (:data:`~clusterms.assign.pipeline.ASSIGNMENT_COLUMNS`), ``unassigned.csv``
(``mz, charge, intensity``), ``params.json`` (strict JSON: NaN and infinities as null) and
``report.html``, written together through an atomic output folder (never half a result; an
existing folder replaced only with ``force`` and only if it is a clusterms result).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clusterms.assign.pipeline import ASSIGNMENT_COLUMNS, AssignResult, AssignSettings

__all__ = ["assignment_params", "finite", "write_assignment"]


def finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None: params.json stays strict JSON (RFC 8259)."""
    if isinstance(obj, float):
        return obj if obj == obj and abs(obj) != float("inf") else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def assignment_params(result: AssignResult, settings: AssignSettings) -> dict[str, Any]:
    """What the run found, for params.json (in this order)."""
    return {
        "resolution": result.resolution,
        "resolution_source": result.resolution_source,
        "calibration": result.calibration,
        "noise_level": result.noise,
        "n_candidates": result.n_candidates,
        "n_screened": result.n_screened,
        "decoys_tested": result.decoys_tested,
        "decoys_accepted": result.decoys_accepted,
        "estimated_false_assignments": result.false_assignment_estimate,
        "calibration_applied": result.calibration_applied,
        "fdr_dropped": result.fdr_dropped,
        "candidates_without_isotope_pattern": result.n_uninformative,
        "input_mode": {"mode": result.input_mode, "source": result.input_mode_source,
                       "centroid_intensity": (f"peak {settings.centroid_intensity}"
                                              if result.input_mode == "centroid" else None)},
        "reliable": result.reliable,
        "notes": list(result.notes),
        "random_seed": settings.seed,
    }


def _assignments_csv(result: AssignResult) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ASSIGNMENT_COLUMNS, lineterminator="\n")
    w.writeheader()
    for a in result.assignments:
        w.writerow(a.row())
    return buf.getvalue()


def _unassigned_csv(result: AssignResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["mz", "charge", "intensity"])
    for u in result.unassigned:
        w.writerow([f"{u.mz:.4f}", u.charge, f"{u.intensity:.6g}"])
    return buf.getvalue()


def write_assignment(
    result: AssignResult,
    out_dir: str | Path,
    /,
    *,
    settings: AssignSettings | None = None,
    params: Mapping[str, Any] | None = None,
    title: str | None = None,
    source: str = "",
    metadata: Mapping[str, Any] | None = None,
    report_settings: Mapping[str, Any] | None = None,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
) -> Path:
    """Write ``result`` into the folder ``out_dir``; returns its path.

    ``params`` (provenance: input file and checksum, reactants, candidate space ...) come first
    in params.json, then ``settings`` and what the run found (:func:`assignment_params`).
    ``inputs`` are files the folder must not contain (an input is never replaced).

    Examples
    --------
    >>> import tempfile, clusterms
    >>> spec = clusterms.read_spectrum(clusterms.example_path())
    >>> result = clusterms.assign_spectrum(spec, clusterms.candidate_space(reactants=["Ag@I", "Au@II"]))
    >>> out = clusterms.write_assignment(result, tempfile.mkdtemp() + "/res")
    >>> sorted(p.name for p in out.iterdir())
    ['.clusterms-result', 'assignments.csv', 'params.json', 'report.html', 'unassigned.csv']
    """
    from clusterms.outdir import atomic_directory, check_output_directory
    from clusterms.report.html import assignment_report_bytes

    settings = settings or AssignSettings()
    inputs = [str(p) for p in inputs]
    out = check_output_directory(out_dir, force=force, inputs=inputs)
    head = dict(params or {})
    if "settings" not in head:
        head["settings"] = {k: getattr(settings, k) for k in settings.__dataclass_fields__}
    document = {**head, **assignment_params(result, settings)}
    shown = dict(report_settings) if report_settings is not None else dict(head["settings"])
    report = assignment_report_bytes(title=title or f"clusterms assignment: {Path(source).name or 'spectrum'}",
                                     source=source, settings=shown, result=result, metadata=dict(metadata or {}))
    with atomic_directory(out, force=force, inputs=inputs) as tmp:
        (tmp / "assignments.csv").write_text(_assignments_csv(result), encoding="utf-8")
        (tmp / "unassigned.csv").write_text(_unassigned_csv(result), encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(finite(document), indent=2, default=str) + "\n",
                                         encoding="utf-8")
        (tmp / "report.html").write_bytes(report)
    return out
