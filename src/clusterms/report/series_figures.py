"""Figures of a series: shares against time or concentration (Figure 2B, S15), stacked spectra."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clusterms.report.figures import OKABE_ITO, figure, render

__all__ = ["share_figure", "stacked_figure"]


def share_figure(result: Any, formats: Sequence[str], /, *, species: list[str] | None = None,
                 width_in: float = 3.5) -> dict[str, bytes]:
    names = species or [a.species for a in result.species[:8]]
    x = np.asarray(result.values)
    with figure(width_in, 2.6) as fig:
        ax = fig.add_subplot()
        for k, name in enumerate(names):
            y = result.shares(name)
            ax.plot(x, y, ls="none", marker="os^Dv<>p"[k % 8], ms=3, color=OKABE_ITO[k % 7], label=name)
            fit = result.kinetics.get(name)
            if fit is not None and fit.model != "constant":
                dense = np.linspace(x.min(), x.max(), 300)
                ax.plot(dense, fit.predict(dense), color=OKABE_ITO[k % 7], lw=0.8)
        ax.set_xlabel("time (h)" if result.kind == "time" else f"concentration ({result.unit})")
        ax.set_ylabel("share of assigned abundance")
        ax.legend(fontsize=5)
        return render(fig, formats)


def stacked_figure(spectra: list[Any], labels: list[str], formats: Sequence[str], /, *,
                   width_in: float = 7.0) -> dict[str, bytes]:
    with figure(width_in, 0.5 + 0.45 * len(spectra)) as fig:
        ax = fig.add_subplot()
        for k, (s, label) in enumerate(zip(spectra, labels, strict=True)):
            y = np.asarray(s.intensity, dtype=float)
            top = float(y.max()) or 1.0
            step = max(1, y.size // 4000)  # a drawing, not the data: ~4000 points a trace
            x = np.asarray(s.mz)
            idx = np.arange(0, y.size - step + 1, step)
            ymax = np.maximum.reduceat(y, idx) if idx.size else y
            ax.plot(x[idx], k + 0.9 * ymax / top, color="0.25", lw=0.5)
            ax.text(x[0], k + 0.5, label, fontsize=6, ha="right", va="center")
        ax.set_yticks([])
        ax.set_xlabel("m/z")
        return render(fig, formats)
