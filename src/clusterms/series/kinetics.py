"""Kinetic models of a species' share against time, fitted with scipy.optimize.

Models (``t`` in hours, ``y`` the share or abundance):

* ``constant``: y = c;
* ``first-order``: y = y_inf + (y0 - y_inf) exp(-k t), a first-order formation (y_inf > y0) or
  decay (y_inf < y0), reported as ``formation`` or ``decay``;
* ``stable-then-decay``: y = c until the change point t0, then y = c exp(-k (t - t0)); t0 is
  scanned over a dense grid between the first and last time and (c, k) fitted at each.

Models are compared by the small-sample Akaike criterion (AICc): the lowest wins, and a model
with more parameters must earn them. Rate constants come with their standard errors from the
fit's covariance; half-lives are ln 2 / k, left out when the rate is not determined (its
standard error reaches the rate itself, or the half-life exceeds ten times the series).

A *global* fit (:func:`fit_mechanism`) shares one rate constant between species the user names
in a mechanism ``A + B -> D``: reactants decay and products form with the same k.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clusterms.errors import OptionError

__all__ = ["KineticFit", "fit_kinetics", "fit_mechanism", "parse_mechanism"]

FloatArray = NDArray[np.float64]
LN2 = math.log(2.0)


@dataclass(frozen=True, slots=True)
class KineticFit:
    """The chosen model of one species (NaN where a quantity does not apply)."""

    model: str  # constant, formation, decay, stable-then-decay, global
    rate: float  # 1/h
    rate_err: float
    half_life_h: float
    change_point_h: float
    r2: float
    aicc: float
    params: tuple[float, ...]
    candidates: tuple[tuple[str, float], ...] = ()  # (model, AICc) of every model tried

    def predict(self, t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        if self.model == "constant":
            return np.full(t.shape, self.params[0])
        if self.model in ("formation", "decay", "global"):
            y0, yinf, k = self.params
            return np.asarray(yinf + (y0 - yinf) * np.exp(-k * t))
        c, k, t0 = self.params
        return np.asarray(np.where(t < t0, c, c * np.exp(-k * np.maximum(t - t0, 0.0))))


def _aicc(rss: float, n: int, p: int) -> float:
    rss = max(rss, 1e-300)
    aic = n * math.log(rss / n) + 2 * p
    return aic + (2 * p * (p + 1) / (n - p - 1) if n - p - 1 > 0 else math.inf)


def _r2(y: FloatArray, pred: FloatArray) -> float:
    tot = float(((y - y.mean()) ** 2).sum())
    res = float(((y - pred) ** 2).sum())
    return 1.0 - res / tot if tot > 0 else (1.0 if res == 0 else 0.0)


def _first_order(t: FloatArray, y: FloatArray) -> tuple[tuple[float, ...], float, float] | None:
    from scipy.optimize import curve_fit

    span = float(np.ptp(t)) or 1.0

    def f(tt: FloatArray, y0: float, yinf: float, k: float) -> FloatArray:
        return yinf + (y0 - yinf) * np.exp(-k * tt)

    best = None
    for k0 in (0.3 / span, 3.0 / span, 30.0 / span):
        try:
            popt, pcov = curve_fit(f, t, y, p0=(y[0], y[-1], k0),
                                   bounds=([-np.inf, -np.inf, 1e-6 / span], [np.inf, np.inf, 1e4 / span]),
                                   maxfev=20000)
        except (RuntimeError, ValueError):
            continue
        rss = float(((y - f(t, *popt)) ** 2).sum())
        if best is None or rss < best[1]:
            err = float(np.sqrt(pcov[2, 2])) if np.all(np.isfinite(pcov)) else math.nan
            best = (tuple(float(v) for v in popt), rss, err)
    return best


def _stable_then_decay(t: FloatArray, y: FloatArray) -> tuple[tuple[float, ...], float, float] | None:
    from scipy.optimize import curve_fit

    best = None
    span = float(np.ptp(t)) or 1.0
    for t0 in np.linspace(t[0], t[-2], 200):
        def f(tt: FloatArray, c: float, k: float, t0: float = float(t0)) -> FloatArray:
            return np.where(tt < t0, c, c * np.exp(-k * np.maximum(tt - t0, 0.0)))

        before = y[t <= t0]
        c0 = float(before.mean()) if before.size else float(y[0])
        try:
            popt, pcov = curve_fit(f, t, y, p0=(c0, 1.0 / span), bounds=([0.0, 1e-6 / span], [np.inf, 1e4 / span]),
                                   maxfev=5000)
        except (RuntimeError, ValueError):
            continue
        rss = float(((y - f(t, *popt)) ** 2).sum())
        if best is None or rss < best[1]:
            err = float(np.sqrt(pcov[1, 1])) if np.all(np.isfinite(pcov)) else math.nan
            best = ((float(popt[0]), float(popt[1]), float(t0)), rss, err)
    return best


def fit_kinetics(times: ArrayLike, values: ArrayLike, /) -> KineticFit:
    """The best of the models of the module text for one species (AICc)."""
    t = np.asarray(times, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if t.shape != y.shape or t.size < 3:
        raise OptionError(f"kinetics need at least 3 time points, got {t.size}")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    n = t.size
    tried: list[tuple[str, float]] = []
    c = float(y.mean())
    rss_c = float(((y - c) ** 2).sum())
    best = KineticFit("constant", math.nan, math.nan, math.nan, math.nan, _r2(y, np.full(n, c)),
                      _aicc(rss_c, n, 1), (c,))
    tried.append(("constant", best.aicc))
    fo = _first_order(t, y) if n >= 4 else None
    if fo is not None:
        (y0, yinf, k), rss, err = fo
        fit = KineticFit("formation" if yinf > y0 else "decay", k, err, LN2 / k, math.nan, 0.0,
                         _aicc(rss, n, 3), (y0, yinf, k))
        fit = KineticFit(fit.model, fit.rate, fit.rate_err, fit.half_life_h, math.nan, _r2(y, fit.predict(t)),
                         fit.aicc, fit.params)
        tried.append((fit.model, fit.aicc))
        if fit.aicc < best.aicc:
            best = fit
    sd = _stable_then_decay(t, y) if n >= 5 else None
    if sd is not None:
        (cc, k, t0), rss, err = sd
        fit = KineticFit("stable-then-decay", k, err, LN2 / k, t0, 0.0, _aicc(rss, n, 4), (cc, k, t0))
        fit = KineticFit(fit.model, k, err, LN2 / k, t0, _r2(y, fit.predict(t)), fit.aicc, fit.params)
        tried.append((fit.model, fit.aicc))
        if fit.aicc < best.aicc:
            best = fit
    half = best.half_life_h
    span = float(np.ptp(t))
    if math.isfinite(best.rate) and (not best.rate_err < best.rate or half > 10 * span):
        half = math.nan  # the data do not determine the rate: no half-life is claimed
    return KineticFit(best.model, best.rate, best.rate_err, half, best.change_point_h, best.r2,
                      best.aicc, best.params, tuple(tried))


def parse_mechanism(text: str, /) -> tuple[list[str], list[str]]:
    """``'A + B -> D'`` -> (['A', 'B'], ['D'])."""
    if "->" not in text:
        raise OptionError(f"--mechanism {text!r}: write reactants -> products, e.g. 'A + B -> D'")
    left, right = text.split("->", 1)
    react = [s.strip() for s in left.split(" + ") if s.strip()]
    prod = [s.strip() for s in right.split(" + ") if s.strip()]
    if not react or not prod:
        raise OptionError(f"--mechanism {text!r}: reactants and products are both needed")
    return react, prod


def fit_mechanism(t: ArrayLike, series: Mapping[str, ArrayLike], reactants: Sequence[str],
                  products: Sequence[str], /) -> dict[str, KineticFit]:
    """One rate constant for every species of the mechanism (pseudo-first order): reactants
    ``y = y_inf + (y0 - y_inf) e^{-kt}`` decaying, products forming, each with its own
    amplitudes; scipy.optimize.least_squares on all species at once."""
    from scipy.optimize import least_squares

    names = [*reactants, *products]
    missing = [n for n in names if n not in series]
    if missing:
        raise OptionError(f"--mechanism: species {missing[0]} is not in the series")
    tt = np.asarray(t, dtype=np.float64)
    ys = [np.asarray(series[n], dtype=np.float64) for n in names]
    span = float(np.ptp(tt)) or 1.0

    def resid(p: FloatArray) -> FloatArray:
        k = p[0]
        out = []
        for i, y in enumerate(ys):
            y0, yinf = p[1 + 2 * i], p[2 + 2 * i]
            out.append(yinf + (y0 - yinf) * np.exp(-k * tt) - y)
        return np.concatenate(out)

    p0 = [1.0 / span]
    for y in ys:
        p0 += [float(y[0]), float(y[-1])]
    lo = [1e-6 / span] + [-np.inf] * (2 * len(ys))
    hi = [1e4 / span] + [np.inf] * (2 * len(ys))
    sol = least_squares(resid, p0, bounds=(lo, hi))
    jac = sol.jac
    dof = max(resid(sol.x).size - sol.x.size, 1)
    s2 = float((sol.fun**2).sum()) / dof
    try:
        cov = np.linalg.inv(jac.T @ jac) * s2
        k_err = float(np.sqrt(cov[0, 0]))
    except np.linalg.LinAlgError:
        k_err = math.nan
    k = float(sol.x[0])
    out = {}
    for i, n in enumerate(names):
        params = (float(sol.x[1 + 2 * i]), float(sol.x[2 + 2 * i]), k)
        fit = KineticFit("global", k, k_err, LN2 / k, math.nan, 0.0, math.nan, params)
        out[n] = KineticFit("global", k, k_err, LN2 / k, math.nan, _r2(ys[i], fit.predict(tt)), math.nan, params)
    return out
