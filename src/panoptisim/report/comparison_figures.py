"""The figure of a comparison folder (``panoptisim compare``): each headline result's
paired difference B - A relative to A, with its 95% interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from panoptisim.report.style import OKABE_ITO, styled

#: The axis ends at ±this many percent; an interval beyond it ends in an arrowhead.
CLIP_PERCENT = 200.0

CAPTION = ("Each headline result's paired difference B − A (B's value minus A's, each the "
           "effect treated − control of the run, or the treated value without a control "
           "arm), as a share of A's mean, with its 95% interval (paired t over the "
           "replicates; under a posterior, the 2.5-97.5 percentiles of the draws' mean "
           "differences); vermillion where the interval excludes 0. The axis ends at ±200%: an "
           "interval beyond it ends in an arrowhead. Results whose mean in A is 0 cannot be "
           "shown relative to it and are left out (the table gives them).")


def caption(doc: Mapping[str, Any]) -> str:
    """:data:`CAPTION` and what the comparison is drawn over: replicates, agents, days and
    the posterior draws, if any."""
    draws = (f", under {doc['draws']} draws from the posterior of {doc['posterior']}"
             if doc.get("draws") else "")
    return (f"{CAPTION} Over {doc['replicates']} paired replicates of {doc['population']:,} "
            f"synthetic agents × {doc['steps']} days (all days, both arms){draws}.")


def relative_rows(results: Mapping[str, Mapping[str, Any]]
                  ) -> list[tuple[str, float, float, float]]:
    """(metric, relative difference, low, high) of each result with a non-zero A."""
    rows = []
    for name, r in results.items():
        a, ci = r.get("a"), r.get("ci95")
        if not a or r.get("difference") is None or not ci or None in ci:
            continue
        scale = abs(float(a))
        rows.append((name, float(r["difference"]) / scale, ci[0] / scale, ci[1] / scale))
    return rows


def paired_differences(doc: Mapping[str, Any]) -> Figure:
    """Forest plot of the relative paired differences, one row per headline result."""
    rows = relative_rows(doc["results"])[::-1]  # the first result on top
    with styled():
        fig = Figure(figsize=(6.4, 0.32 * max(len(rows), 1) + 1.4), layout="constrained")
        ax = fig.subplots()
        widest = max([abs(v) * 100 for r in rows for v in r[1:]] + [1.0])
        limit = min(widest * 1.05, CLIP_PERCENT)
        for i, (_, mid, low, high) in enumerate(rows):
            clear = low > 0 or high < 0
            color = OKABE_ITO["vermillion"] if clear else OKABE_ITO["blue"]
            lo, hi = (min(max(v * 100, -limit), limit) for v in (low, high))
            ax.plot([lo, hi], [i, i], color=color, linewidth=2)
            if abs(mid * 100) <= limit:
                ax.plot([mid * 100], [i], "o", color=color, markersize=4)
            for end, value, marker in ((lo, low, "<"), (hi, high, ">")):
                if abs(value * 100) > limit:  # the interval runs off the axis
                    ax.plot([end], [i], marker, color=color, markersize=5)
        ax.set_xlim(-limit, limit)
        ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.8)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
        ax.set_xlabel(f"{doc['b']['name']} − {doc['a']['name']}, % of "
                      f"{doc['a']['name']}'s mean (95% interval)")
        draws = f", {doc['draws']} posterior draws" if doc.get("draws") else ""
        ax.set_title(f"Paired differences over {doc['replicates']} replicates{draws}; "
                     "vermillion: interval clear of 0", fontsize=9)
    return fig
