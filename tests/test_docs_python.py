"""docs/python.md runs: every >>> example gives the output shown (doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "python.md"


def test_python_walkthrough_runs():
    failures, tried = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried >= 20 and failures == 0


def test_the_walkthrough_checks_something(tmp_path):
    # A wrong expected output in the document is caught (the doctest is not a formality).
    broken = tmp_path / "broken.md"
    broken.write_text(DOC.read_text(encoding="utf-8").replace("(True, True, 20000.0)", "(False, True, 20000.0)"),
                      encoding="utf-8")
    failures, _ = doctest.testfile(str(broken), module_relative=False, optionflags=doctest.ELLIPSIS,
                                   report=False)
    assert failures == 1
