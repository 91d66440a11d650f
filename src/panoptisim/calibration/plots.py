"""The pairwise posterior plot of a calibration: each parameter's weighted marginal on the
diagonal (with its prior's range as the x-axis), each pair's weighted particles below it."""

from __future__ import annotations

import io

import numpy as np

from panoptisim.calibration.targets import Calibration
from panoptisim.report.style import OKABE_ITO, plt, styled


def pairs_figure(cal: Calibration, params: dict[str, np.ndarray], weights: np.ndarray
                 ) -> bytes:
    """PNG bytes of the pairs plot of the last generation's weighted particles."""
    k = len(cal.priors)
    w = np.asarray(weights, float) / np.sum(weights)
    with styled():
        fig, axes = plt.subplots(k, k, figsize=(2.2 * k + 1.0, 2.2 * k + 0.6), squeeze=False)
        for i, pi in enumerate(cal.priors):
            for j, pj in enumerate(cal.priors):
                ax = axes[i][j]
                if j > i:
                    ax.set_axis_off()
                    continue
                x = params[pj.key]
                if pj.log:
                    ax.set_xscale("log")
                ax.set_xlim(pj.low, pj.high)
                if i == j:
                    edges = (np.geomspace(pj.low, pj.high, 21) if pj.log
                             else np.linspace(pj.low, pj.high, 21))
                    ax.hist(x, bins=edges, weights=w, color=OKABE_ITO["blue"])
                    ax.set_ylabel("posterior weight" if j == 0 else "")
                else:
                    y = params[pi.key]
                    if pi.log:
                        ax.set_yscale("log")
                    ax.set_ylim(pi.low, pi.high)
                    ax.scatter(x, y, s=4 + 60 * w / w.max(), color=OKABE_ITO["vermillion"],
                               alpha=0.5, linewidths=0)
                    if j == 0:
                        ax.set_ylabel(f"{pi.key}\n({pi.info.unit})", fontsize=7)
                if i == k - 1:
                    ax.set_xlabel(f"{pj.key}\n({pj.info.unit})", fontsize=7)
        fig.suptitle(f"Posterior of calibration '{cal.name}' (last generation, weighted)",
                     fontsize=9)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()
