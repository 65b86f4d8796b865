"""The one-dimensional search that refines the resolving power (log R)."""

from __future__ import annotations

import math

import pytest

from clusterms.assign.pipeline import _parabolic_minimum

LO, HI = math.log(0.6), math.log(1.6)


def _search(f, u0=0.0):
    calls: list[float] = []

    def counted(u: float) -> float:
        calls.append(u)
        return f(u)

    return _parabolic_minimum(counted, u0, lo=LO, hi=HI), calls


@pytest.mark.parametrize(("f", "expected"), [
    (lambda u: (u - 0.1) ** 2, 0.1),
    (lambda u: (u - 0.3) ** 2 + 0.5 * (u - 0.3) ** 4, 0.3),
    (lambda u: math.cosh(5 * (u + 0.2)), -0.2),
    (lambda u: abs(u - 0.05) ** 1.3, 0.05),  # not a parabola near the minimum
    (lambda u: -math.exp(-((u + 0.35) / 0.1) ** 2), -0.35),  # narrow valley beyond the first step
])
def test_finds_the_minimum_of_a_valley(f, expected) -> None:
    found, calls = _search(f)
    assert found == pytest.approx(expected, abs=0.005)
    assert len(calls) <= 12 and len(set(calls)) == len(calls)  # no point evaluated twice
    assert all(LO <= u <= HI for u in calls)


@pytest.mark.parametrize(("f", "end"), [(lambda u: (u - 2.0) ** 2, HI), (lambda u: (u + 2.0) ** 2, LO)])
def test_a_minimum_outside_the_interval_gives_its_end(f, end) -> None:
    found, _ = _search(f)
    assert found == end


def test_a_flat_cost_keeps_the_start() -> None:
    found, _ = _search(lambda u: 1.0, u0=0.1)
    assert found == 0.1


def test_quadratic_needs_few_evaluations() -> None:
    _, calls = _search(lambda u: (u - 0.12) ** 2)
    assert len(calls) <= 6
