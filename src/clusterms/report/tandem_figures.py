"""Figures of CID ramps: breakdown curves (Figure 4 of the paper), pathways (Figure 3C), CE50s."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from clusterms.report.figures import OKABE_ITO, figure, render

__all__ = ["breakdown_figure", "compare_figure", "pathway_figure"]

_MARKERS = "osD^v<>ph*"


def _style(k: int) -> dict[str, Any]:
    return {"color": OKABE_ITO[k % 7], "marker": _MARKERS[(k // 7) % len(_MARKERS)], "ms": 3, "lw": 1.0}


def breakdown_figure(result: Any, formats: Sequence[str], /, *, width_in: float = 3.5,
                     energy_label: str = "collision energy") -> dict[str, bytes]:
    """Share of each species vs energy; the logistic fit of the survival yield and its CE50."""
    from clusterms.tandem.ramp import _logistic

    e = result.energies
    with figure(width_in, 2.6) as fig:
        ax = fig.add_subplot()
        for k, s in enumerate(result.species):
            y = result.shares(s.species)
            ax.plot(e, y, label=s.species, **_style(k))
            if s.kind == "precursor" and math.isfinite(s.ce50) and math.isfinite(s.width):
                dense = np.linspace(e.min(), e.max(), 400)
                ax.plot(dense, _logistic(dense, s.ce50, s.width), color=OKABE_ITO[0], lw=0.6, ls=":")
                ax.axvline(s.ce50, color="0.5", lw=0.6, ls="--")
                ax.annotate(f"CE50 {s.ce50:.1f}", (s.ce50, 0.5), xytext=(4, 4), textcoords="offset points",
                            fontsize=6)
        ax.set_xlabel(energy_label)
        ax.set_ylabel("share of assigned abundance")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=5, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return render(fig, formats)


def pathway_figure(result: Any, formats: Sequence[str], /, *, width_in: float = 7.0) -> dict[str, bytes]:
    """Products placed by appearance energy, arrows from their parents."""
    g = result.graph
    species = {s.species: s for s in result.species}
    names = list(species)
    prec = result.precursor.notation
    x = {n: (species[n].appearance if math.isfinite(species[n].appearance) else 0.0) for n in names}
    x[prec] = min([v for v in x.values()] + [0.0]) - 5.0
    order = sorted(names, key=lambda n: x[n])
    # Rows by charge (the precursor's at the bottom), alternate rows staggered so labels do not meet.
    y = {n: float(abs(result.precursor.charge) - abs(species[n].ion.charge)) + 0.4 * (i % 2)
         for i, n in enumerate(order)}
    with figure(width_in, 2.8) as fig:
        ax = fig.add_subplot()
        if g is not None:
            for a, b, data in g.edges(data=True):
                ax.annotate("", xy=(x[b], y[b]), xytext=(x[a], y[a]),
                            arrowprops={"arrowstyle": "->", "color": "0.55", "lw": 0.7, "shrinkA": 4, "shrinkB": 4})
                ax.text(x[a] + 0.4 * (x[b] - x[a]), y[a] + 0.4 * (y[b] - y[a]), f"-{data.get('partner', '')}",
                        fontsize=4.5, color="0.3", ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
        for k, n in enumerate(order):
            ax.plot([x[n]], [y[n]], marker="o", color=OKABE_ITO[k % 7], ms=4, zorder=3)
            ax.text(x[n], y[n] + 0.12, n, fontsize=5.5, ha="center", va="bottom", zorder=4)
        ax.set_yticks([])
        ax.set_xlabel("appearance energy")
        ax.set_ylim(-0.4, max(y.values()) + 0.6)
        ax.set_ylabel("charge lost")
        return render(fig, formats)


def compare_figure(ramps: Mapping[str, Any], formats: Sequence[str], /, *, width_in: float = 7.0) -> dict[str, bytes]:
    """Survival yields of several ramps (left) and their CE50s (right), as Figures 4-5."""
    with figure(width_in, 2.6) as fig:
        left, right = fig.subplots(1, 2, width_ratios=(2, 1))
        labels, values, errors = [], [], []
        for k, (label, r) in enumerate(ramps.items()):
            e, surv = r["energy"], r["survival"]
            left.plot(e, surv, label=label, **_style(k))
            labels.append(label)
            values.append(r["ce50"])
            errors.append(r["ce50_err"] if r["ce50_err"] == r["ce50_err"] else 0.0)
        left.set_xlabel("collision energy")
        left.set_ylabel("survival yield")
        left.legend(fontsize=6)
        pos = np.arange(len(labels))
        right.barh(pos, [v if v == v else 0.0 for v in values], xerr=errors, color=[OKABE_ITO[k % 7] for k in pos])
        right.set_yticks(pos, labels, fontsize=6)
        right.set_xlabel("CE50")
        return render(fig, formats)


