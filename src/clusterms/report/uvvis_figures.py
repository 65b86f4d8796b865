"""Figures of a UV/vis mixture analysis: overlays (Figure 2A of the paper) and weights vs time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clusterms.report.figures import OKABE_ITO, figure, render
from clusterms.uvvis.mixture import MixtureFit

__all__ = ["overlay_figure", "weights_figure"]


def _draw_overlay(ax_: Any, rax: Any, fit: MixtureFit) -> None:
    x = fit.x
    ax_.fill_between(x, fit.data, color="0.85", lw=0, label="mixture")
    ax_.plot(x, fit.data, color="0.35", lw=0.8)
    ax_.plot(x, fit.model, color=OKABE_ITO[7], lw=1.0, ls="--", label="fit")
    for k, (name, comp) in enumerate(fit.components.items()):
        ax_.plot(x, comp, color=OKABE_ITO[k % 7], lw=1.0, label=f"{name} x {fit.weights[name]:.3f}")
    ax_.set_title(f"{fit.spectrum}{'  (flagged)' if fit.flagged else ''}", loc="left")
    ax_.set_ylabel("absorbance" if fit.axis == "nm" else "absorbance x Jacobian")
    ax_.legend(loc="upper right")
    rax.axhline(0, color="0.6", lw=0.6)
    rax.plot(x, fit.residual, color=OKABE_ITO[1] if fit.flagged else "0.3", lw=0.8)
    rax.set_ylabel("residual")
    rax.set_xlabel("wavelength (nm)" if fit.axis == "nm" else "energy (eV)")


def overlay_figure(fits: Sequence[MixtureFit], formats: Sequence[str], /, *, width_in: float = 7.0) -> dict[str, bytes]:
    """Mixture, fit and weighted references, with residuals, one panel per spectrum."""
    n = len(fits)
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    with figure(width_in if cols > 1 else min(width_in, 3.5), 2.4 * rows) as fig:
        outer = fig.add_gridspec(rows, cols)
        for i, fit in enumerate(fits):
            inner = outer[i // cols, i % cols].subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
            ax = fig.add_subplot(inner[0])
            rax = fig.add_subplot(inner[1], sharex=ax)
            ax.tick_params(labelbottom=False)
            _draw_overlay(ax, rax, fit)
        return render(fig, formats)


def weights_figure(fits: Sequence[MixtureFit], times_h: Sequence[float | None], formats: Sequence[str], /, *,
                   width_in: float = 3.5) -> dict[str, bytes]:
    """Weight of every reference against time (or spectrum order when times are unknown)."""
    have_times = all(t is not None for t in times_h)
    x = np.array([t if t is not None else i for i, t in enumerate(times_h)], dtype=float)
    names = list(fits[0].weights) if fits else []
    with figure(width_in, 2.4) as fig:
        ax = fig.add_subplot()
        for k, name in enumerate(names):
            ax.plot(x, [f.weights[name] for f in fits], marker="o", ms=3, color=OKABE_ITO[k % 7], label=name)
        flagged = [i for i, f in enumerate(fits) if f.flagged]
        if flagged:
            ax.plot(x[flagged], [0.0] * len(flagged), ls="none", marker="x", color=OKABE_ITO[1],
                    label="flagged fit")
        ax.set_xlabel("time (h)" if have_times else "spectrum")
        if not have_times:
            ax.set_xticks(x, [f.spectrum for f in fits], rotation=45, ha="right")
        ax.set_ylabel("weight")
        ax.legend()
        return render(fig, formats)
