"""The day's integer counts over the agents, for the metrics and the counts by region.

Most per-day metrics are counts over the agents (who expressed, who is under each sanction,
which subgroup members were ever sanctioned ...). Counted one numpy reduction at a time
they were some thirty passes over the population a day; :func:`kernels.day_counts` makes
them in one compiled call (a tight loop per array). Integer sums are exact in any order,
so every count equals the numpy reduction it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoptisim.context import Context
from panoptisim.state import SANCTIONS, Today

SHAMING = SANCTIONS.index("shaming")


@dataclass
class DayCounts:
    """Today's integer counts over the agents, from one compiled call
    (:func:`kernels.day_counts`): named counts (``kernels.DAY_COUNTS``), agents under each
    sanction, the members of each subgroup ever sanctioned (of ``Context.subgroup_members``),
    and expressions and chances to express by region."""

    named: dict[str, int]
    under: np.ndarray
    ever_any: np.ndarray
    by_region: np.ndarray


def day_counts(ctx: Context, today: Today) -> DayCounts:
    """Today's counts, computed on first use and kept on ``today`` for the other metrics
    and the regional counts."""
    if today.day_counts is None:
        from panoptisim import kernels  # numba loads on first use, not at import
        s, ties = ctx.state, ctx.ties_at_build
        behaviour = (today.benign_post, today.disfavoured, today.infraction, today.defaulted,
                     today.travel_denied, today.visa_denied)
        named, under, ever_any, by_region = kernels.day_counts(
            today.expressed, today.political_chance, s.dissenter, behaviour,
            s.sanction_days_left, s.sanction_wrongful, s.ever_sanctioned, SHAMING,
            ties.dissenter, s.active_degree, s.urban, s.group, s.income_quintile, s.region,
            len(ctx.scenario.population.regions))
        today.day_counts = DayCounts(dict(zip(kernels.DAY_COUNTS, named.tolist(),
                                              strict=True)), under, ever_any,
                                     by_region)
    return today.day_counts
