"""Mutation testing of the core modules with mutmut, one group of modules at a time.

Each group is mutated in its own scratch copy of the repository (build/mutants/GROUP, ignored
by git), with only that group's own tests as the runner (mutmut runs, for each mutant, only
those of them that reach the mutated function), under a time budget: a group whose budget runs
out is reported with the mutants checked so far. Survival counts survivors and mutants no test
reaches; timeouts count as killed (the mutant made the tests hang). The summary goes to
build/mutants/summary.md and stdout; each group's survivors, with their diffs, to
build/mutants/GROUP/survivors.txt. See docs/mutants.md.

Usage: python scripts/mutants.py [GROUP ...] [--budget MINUTES] [--jobs N] [--resume]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutants"
MUTMUT = [sys.executable, "-m", "mutmut"]

# group -> (files to mutate, the tests that run against them)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "chem": (["src/clusterms/chem/*.py"], ["tests/chem"]),
    "io_atomic": (["src/clusterms/io_atomic.py"], ["tests/test_io_atomic.py", "tests/spectra/test_writers.py"]),
    "outdir": (["src/clusterms/outdir.py"], ["tests/test_outdir.py"]),
    "writers": (["src/clusterms/spectra/writers.py"], ["tests/spectra/test_writers.py"]),
    "isotopes": (["src/clusterms/isotopes/*.py"], ["tests/isotopes"]),
    "readers": (["src/clusterms/spectra/read_text.py", "src/clusterms/spectra/read_mzml.py",
                 "src/clusterms/spectra/readers.py", "src/clusterms/spectra/numpress.py"],
                ["tests/spectra/test_readers.py"]),
    "assign": (["src/clusterms/assign/*.py"], ["tests/assign"]),
}
# Tests that run clusterms in a subprocess (they import the unmutated package) or only time it.
DESELECT = ["tests/spectra/test_numpy_kernels.py::test_processing_and_text_reading_import_no_slow_scipy_or_xml_modules"]


# A pytest plugin placed in each scratch copy. mutmut forks every mutant's test run from a
# process that has already run the tests once, so memoised results (Ion.parse, the element
# table, the ligand library, per-element envelopes) and the on-disk cache would hide mutated
# code, and hide from mutmut which tests reach a function: every test starts with the in-memory
# caches emptied and an empty cache directory of its own.
PLUGIN = """
import os, shutil, sys, tempfile

def _fresh_cache_dir():
    old = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.basename(old).startswith("clusterms-mutants-cache-"):
        shutil.rmtree(old, ignore_errors=True)
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="clusterms-mutants-cache-")

def pytest_runtest_setup(item):
    _fresh_cache_dir()
    for name, module in list(sys.modules.items()):
        if name == "clusterms" or name.startswith("clusterms."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()

def pytest_unconfigure(config):
    old = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.basename(old).startswith("clusterms-mutants-cache-"):
        shutil.rmtree(old, ignore_errors=True)
"""


def _copy_tree(scratch: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in ("src", "tests"):
        shutil.copytree(ROOT / name, scratch / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", scratch / "pyproject.toml")
    (scratch / "_mutants_plugin.py").write_text(PLUGIN)


def _setup_cfg(files: list[str], tests: list[str]) -> str:
    def block(key: str, values: list[str]) -> str:
        return f"{key} =\n" + "".join(f"    {v}\n" for v in values)

    pytest_args = ["-p", "no:cacheprovider", "-p", "_mutants_plugin", "-x", "-q", "--hypothesis-seed=0"]
    for d in DESELECT:
        pytest_args += ["--deselect", d]
    # A mutant that makes the parser loop is stopped at 5x (not mutmut's 15x) its tests' time.
    return ("[mutmut]\nsource_paths = src/clusterms\nalso_copy = _mutants_plugin.py\n"
            "timeout_multiplier = 5.0\ntimeout_constant = 2.0\n" + block("only_mutate", files)
            + block("pytest_add_cli_args_test_selection", tests) + block("pytest_add_cli_args", pytest_args))


def _results(scratch: Path) -> dict[str, str]:
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=scratch, capture_output=True, text=True)
    status = {}
    for line in out.stdout.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m:
            status[m.group(1)] = m.group(2).strip()
    return status


def _diff(scratch: Path, name: str) -> str:
    out = subprocess.run([*MUTMUT, "show", name], cwd=scratch, capture_output=True, text=True)
    return "\n".join(ln for ln in out.stdout.splitlines()
                     if ln[:1] in "+-" and not ln.startswith(("+++", "---")))


def run_group(name: str, *, budget_s: float, jobs: int, resume: bool) -> dict[str, object]:
    files, tests = GROUPS[name]
    scratch = WORK / name
    if not resume and scratch.exists():
        shutil.rmtree(scratch)
    if not scratch.exists():
        scratch.mkdir(parents=True)
        _copy_tree(scratch)
    (scratch / "setup.cfg").write_text(_setup_cfg(files, tests))
    t0 = time.monotonic()
    with open(scratch / "run.log", "w") as log:
        proc = subprocess.run(["timeout", "--signal=INT", "--kill-after=30", str(int(budget_s)),
                               *MUTMUT, "run", "--max-children", str(jobs)],
                              cwd=scratch, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    elapsed = time.monotonic() - t0
    status = _results(scratch)
    per_module: dict[str, dict[str, int]] = {}
    for key, verdict in status.items():
        parts = key.split(".")
        cut = next((i for i, part in enumerate(parts) if part.startswith(("x_", "xǁ"))), len(parts) - 1)
        counts = per_module.setdefault(".".join(parts[:cut]), {})
        counts[verdict] = counts.get(verdict, 0) + 1
    survivors = [k for k, v in status.items() if v in ("survived", "no tests")]
    with open(scratch / "survivors.txt", "w") as fh:
        for k in survivors:
            fh.write(f"## {k} ({status[k]})\n{_diff(scratch, k)}\n\n")
    return {"group": name, "seconds": round(elapsed), "exit": proc.returncode, "modules": per_module}


def _row(module: str, counts: dict[str, int]) -> str:
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    survived = counts.get("survived", 0) + counts.get("no tests", 0)
    other = sum(v for k, v in counts.items() if k not in ("killed", "timeout", "survived", "no tests",
                                                        "not checked"))
    checked = killed + survived
    rate = f"{100 * survived / checked:.1f} %" if checked else "-"
    return (f"| {module} | {sum(counts.values())} | {checked} | {killed} | {survived} | {other} | "
            f"{counts.get('not checked', 0)} | {rate} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("groups", nargs="*", metavar="GROUP", help=f"any of {', '.join(GROUPS)} (default: all)")
    p.add_argument("--budget", type=float, default=float(os.environ.get("MUTANTS_MINUTES", 45)),
                   help="total minutes, shared equally by the groups (default 45, env MUTANTS_MINUTES)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--resume", action="store_true", help="keep earlier results of each group's scratch copy")
    args = p.parse_args(argv)
    args.groups = args.groups or list(GROUPS)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        print(f"error: unknown group {unknown[0]!r}; choose from {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    if shutil.which("timeout") is None:
        print("error: the 'timeout' command (coreutils) is needed", file=sys.stderr)
        return 2
    each = args.budget * 60.0 / len(args.groups)
    WORK.mkdir(parents=True, exist_ok=True)
    lines = ["| module | mutants | checked | killed | survived | other | not checked | survival |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    reports = []
    print("\n".join(lines), flush=True)
    for g in args.groups:
        print(f"mutants: {g} (budget {each / 60:.0f} min)", flush=True)
        r = run_group(g, budget_s=each, jobs=args.jobs, resume=args.resume)
        reports.append(r)
        modules = r["modules"]
        assert isinstance(modules, dict)
        for module in sorted(modules):
            lines.append(_row(module, modules[module]))
        total: dict[str, int] = {}
        for counts in modules.values():
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
        lines.append(_row(f"**{g}** ({r['seconds']} s)", total))
        print("\n".join(lines[-len(modules) - 1:]), flush=True)
    summary = "\n".join(lines) + "\n"
    (WORK / "summary.md").write_text(summary)
    (WORK / "summary.json").write_text(json.dumps(reports, indent=1))
    print(f"summary: {WORK / 'summary.md'}; survivors: {WORK}/GROUP/survivors.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
