"""Layers only import downward (README, "Code layout").

foundation (errors, limits, atomic files, output folders, manifests) <- chem <- isotopes <-
spectra <- assign <- tandem / series / uvvis / mobility <- report <- command line <- the package
root. A module may import its own layer and those below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "clusterms"

FOUNDATION = 0
LAYERS = {
    **dict.fromkeys(["errors", "_arrays", "_cache", "_lazy", "_signals", "units", "limits", "io_atomic",
                     "outdir", "manifest", "data"], FOUNDATION),
    "chem": 1,
    "isotopes": 2,
    **dict.fromkeys(["spectra", "simulate"], 3),
    "assign": 4,
    **dict.fromkeys(["tandem", "series", "uvvis", "mobility"], 5),
    "report": 6,
    **dict.fromkeys(["cli", "cli_common", "cli_series", "cli_tandem", "cli_uvvis", "cli_mobility", "demo"], 7),
    "__init__": 8,
}
# Upward imports that are allowed, each inside a function or under `if TYPE_CHECKING:` (never
# run at import), with why.
ALLOWED_UPWARD = {
    # Ion.envelope() / Ion.profile(): the notebook convenience on the chemistry value calls
    # the isotope engine lazily; the engine itself only takes compositions.
    ("chem/ion.py", "isotopes"),
    # the package root's lazy names (clusterms.envelopes, clusterms.__version__)
    ("*", "__init__"),
}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported clusterms subpackage or module, at module level?) for one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Module level: run at import. `if TYPE_CHECKING:` blocks are for annotations only.
    top_level = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "clusterms":
                names = ["clusterms." + a.name for a in node.names]
            elif node.module.startswith("clusterms."):
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("clusterms.")]
        for name in names:
            part = name.split(".")[1]
            out.append((part if part in LAYERS else "__init__", id(node) in top_level))
    return out


def _files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer():
    tops = {p.relative_to(ROOT).parts[0].removesuffix(".py") for p in _files()}
    assert tops <= set(LAYERS), f"give these a layer in tests/test_layers.py: {sorted(tops - set(LAYERS))}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downward(path: Path):
    rel = str(path.relative_to(ROOT))
    own = LAYERS[path.relative_to(ROOT).parts[0].removesuffix(".py")]
    bad = []
    for target, module_level in _imports(path):
        if LAYERS[target] <= own:
            continue
        allowed = (rel, target) in ALLOWED_UPWARD or ("*", target) in ALLOWED_UPWARD
        if not allowed or (module_level and target != "__init__"):
            bad.append(f"{rel} imports clusterms.{target} (layer {LAYERS[target]} > {own})")
    assert not bad, bad


def test_the_rule_catches_an_upward_import(tmp_path):
    # The check itself: a chem module importing assign is caught.
    fake = tmp_path / "x.py"
    fake.write_text("from clusterms.assign.pipeline import assign_spectrum\n", encoding="utf-8")
    assert _imports(fake) == [("assign", True)] and LAYERS["assign"] > LAYERS["chem"]
