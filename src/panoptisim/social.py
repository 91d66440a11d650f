"""Stage 5, social response: agents keep or cut ties that cost them association points, and
restore them when the cost ends.

Tie choice (a logit choice, McFadden 1974). A tie to a neighbour whose events cost the agent
points recently (an event within ``dur_association_memory`` days) is weighed: its expected
score cost over ``dur_association_horizon`` days,

    cost = w_network * rel * rate * dur_association_horizon,

(``rel`` = ``rel_network_family`` for a family tie, 1 for a friend; ``rate`` = the
neighbour's exponentially weighted count of events / ``dur_association_memory``, per day),
against its value ``value_family`` or ``value_friend`` (points; strong ties worth more than
weak ones, Granovetter 1973). The agent cuts it today with probability

    p_cut = p_cut_max / (1 + exp(-(cost - value) / scale_tie_choice)),

so friends go before family at equal cost. Ties to quiet neighbours are never cut.

Ties return. A cut tie whose cost has ended for both ends (the other end has had no event
for ``dur_association_memory`` days, or the end's regime scores no association, e.g. after
abolition) is restored today with probability ``p_restore``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from panoptisim import tiecounts
from panoptisim.context import Context
from panoptisim.scoring import recent_events
from panoptisim.state import Today


def tie_cost(ctx: Context, entries: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Expected points each tie costs its holder over the horizon: ``entries`` are the
    costly neighbours' CSR entries (pointing at the holders), ``rate`` their events a day."""
    holder = ctx.state.graph.indices[entries]
    w = ctx.arm.per_agent("w_network")
    if isinstance(w, np.ndarray):
        w = w[holder]
    rel = ctx.rules.of("scoring.rel_network_family")
    if isinstance(rel, np.ndarray):
        rel = rel[holder]
    rel = np.where(ctx.is_family(entries), rel, 1.0)
    return w * rel * rate * ctx.scenario.social.dur_association_horizon


def logit_choice(ctx: Context, cost: np.ndarray | float, value: np.ndarray | float
                 ) -> np.ndarray:
    """``p_cut_max / (1 + exp(-(cost - value) / scale_tie_choice))`` (McFadden 1974)."""
    sc = ctx.scenario.social
    return sc.p_cut_max * expit((np.asarray(cost) - value) / sc.scale_tie_choice)


def p_cut(ctx: Context, entries: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Daily probability of cutting each tie: a logit in its cost minus its value."""
    sc = ctx.scenario.social
    value = np.where(ctx.is_family(entries), sc.value_family, sc.value_friend)
    return logit_choice(ctx, cost, value)


def p_cut_bound(ctx: Context, rate: np.ndarray) -> np.ndarray:
    """An upper bound of the cut probability of any tie into a neighbour with ``rate``
    events a day: the larger of a friend's and a family tie's at the largest weight."""
    sc = ctx.scenario.social
    w = float(np.max(ctx.arm.per_agent("w_network")))
    rel = float(np.max(ctx.rules.of("scoring.rel_network_family")))
    cost = w * rate * sc.dur_association_horizon
    return np.maximum(logit_choice(ctx, cost, sc.value_friend),
                      logit_choice(ctx, rel * cost, sc.value_family))


def costly_neighbours(ctx: Context, t: int) -> np.ndarray:
    """Agents whose events cost their ties points within the memory window."""
    last = ctx.state.ti_association
    return np.flatnonzero((last >= 0) & (t - last <= ctx.scenario.social.dur_association_memory))


def cut_ties(ctx: Context, today: Today) -> None:
    """Each agent cuts live ties to costly neighbours by the logit choice."""
    s, w = ctx.state, ctx.arm.per_agent("w_network")
    if np.all(w <= 0):
        return
    costly = costly_neighbours(ctx, today.t)
    if len(costly) == 0:
        return
    g = s.graph
    rate = recent_events(ctx, costly, today.t) / ctx.scenario.social.dur_association_memory
    # Thinning (exact): each of a costly agent's entries is first drawn with the bound
    # p_bar of its row (a binomial count per agent, then that many distinct entries at
    # random), then kept with p / p_bar; O(costly agents + degree of the drawn ones)
    # instead of a draw for every tie into them.
    rng = ctx.streams.generator("social.ties", today.t)
    p_bar = p_cut_bound(ctx, rate)
    k = rng.binomial(g.indptr[costly + 1] - g.indptr[costly], p_bar)
    drawn = np.flatnonzero(k)
    from panoptisim import kernels  # numba loads on first use, not at import
    rows = costly[drawn]
    keys = rng.random(int((g.indptr[rows + 1] - g.indptr[rows]).sum()))  # random order
    entries, which = kernels.pick_in_random_order(g.indptr, rows, k[drawn], keys)
    which = drawn[which]
    live = g.active[entries] > 0
    entries, which = entries[live], which[live]
    # each entry points at a holder who weighs the tie
    p = p_cut(ctx, entries, tie_cost(ctx, entries, rate[which]))
    u = rng.random(len(entries)) * p_bar[which]
    cut = g.cut(entries[u < p])
    if len(cut):
        today.tie_ends_cut = change_degrees(ctx, cut, -1.0)
    today.ties_cut = int(len(cut))


def change_degrees(ctx: Context, ties: np.ndarray, sign: float) -> np.ndarray:
    """Keep ``active_degree``, ``family_degree`` and the live ties to recent speakers and to
    marked agents (``tiecounts``) in step with ties just cut (``sign`` -1) or restored (+1),
    given by CSR entry; returns the agents at both ends (int64)."""
    s, g = ctx.state, ctx.state.graph
    sources = g.sources_of(ties)
    ends = np.concatenate([g.indices[ties], sources])
    family = ctx.is_family(ties, sources)
    # at the tie ends only (the same sums as a bincount over every agent, without the pass)
    for degree, at_ends in ((s.active_degree, ends), (s.family_degree, ends[np.tile(family, 2)])):
        agents, ties_each = np.unique(at_ends, return_counts=True)
        degree[agents] += sign * ties_each.astype(np.float32)
    for counted, count in s.tie_counts():
        tiecounts.ties_changed(g, counted, count, ties, int(sign), sources)
    return ends.astype(np.int64)


def cost_ended(ctx: Context, ties: np.ndarray, t: int) -> np.ndarray:
    """Whether each cut tie (lower CSR position) costs neither end anything any more: for
    each end, its regime scores no association or the other end has been quiet for the
    memory window."""
    s, g = ctx.state, ctx.state.graph
    a, b = g.sources_of(ties), g.indices[ties]
    w = ctx.arm.per_agent("w_network")
    off_a = (w[a] if isinstance(w, np.ndarray) else np.full(len(ties), w)) <= 0
    off_b = (w[b] if isinstance(w, np.ndarray) else np.full(len(ties), w)) <= 0
    memory = ctx.scenario.social.dur_association_memory
    quiet = (s.ti_association < 0) | (t - s.ti_association > memory)
    return (off_a | quiet[b]) & (off_b | quiet[a])


def restore_ties(ctx: Context, today: Today) -> None:
    """Restore cut ties whose cost has ended, each with daily probability ``p_restore``."""
    g = ctx.state.graph
    ties = g.cut_ties
    if len(ties) == 0:
        return
    # draw first, then check the few drawn: O(cut ties) uniforms, not O(cut ties) look-ups
    u = ctx.streams.generator("social.restore", today.t).random(len(ties))
    drawn = ties[u < ctx.scenario.social.p_restore]
    ended = drawn[cost_ended(ctx, drawn, today.t)]
    back = g.restore(ended)
    if len(back):
        today.tie_ends_restored = change_degrees(ctx, back, 1.0)
    today.ties_restored = int(len(back))


def step(ctx: Context, today: Today) -> None:
    """Restore ties whose cost has ended, then cut costly ones (a tie restored today has
    quiet ends, so it is not among today's candidates)."""
    restore_ties(ctx, today)
    cut_ties(ctx, today)
