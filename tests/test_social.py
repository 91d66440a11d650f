"""Social response: tie-cutting under the network term (perceived certainty is tested in
test_perception.py)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import Z999, live_edges, make_ctx, quiet_today, sanction_index

from panoptisim import social
from panoptisim.state import Today

N = 2000
SHAMING = sanction_index("shaming")


def mark(ctx, share=0.1, seed=3) -> np.ndarray:
    """Shame a random share of agents; returns the mask."""
    marked = np.random.default_rng(seed).random(ctx.state.n) < share
    ctx.state.sanction_days_left[SHAMING, marked] = 30
    return marked


def social_day(ctx, t, political_flagged=None, sanctioned=(), political=None,
               kind: str = "shaming") -> Today:
    """A day whose only events are given political flags and newly sanctioned agents."""
    today = quiet_today(ctx, t)
    n = ctx.state.n
    today.political_flagged = np.zeros(n, bool) if political_flagged is None \
        else political_flagged
    agents = np.asarray(sanctioned, np.int64)
    today.new_sanction_agent = agents
    today.new_sanction_kind = np.full(len(agents), sanction_index(kind), np.int8)
    today.new_sanction_wrongful = np.zeros(len(agents), bool)
    today.new_sanction_political = np.full(len(agents), bool(political)) \
        if political is not None else np.zeros(len(agents), bool)
    return today


# ------------------------------------------------------------------- tie-cutting
@pytest.mark.parametrize("overrides, arm", [
    ({"scoring.regime": "sesame"}, "treated"),
    ({"scoring.w_network": 0.0}, "treated"),
    ({}, "control")])
def test_no_ties_cut_without_a_network_term(overrides, arm):
    ctx = make_ctx({**overrides, "social.p_cut_max": 1.0}, n=N, arm=arm)
    mark(ctx, 0.3)
    before = ctx.state.graph.active.copy()
    today = social_day(ctx, 0)
    social.cut_ties(ctx, today)
    assert today.ties_cut == 0
    np.testing.assert_array_equal(ctx.state.graph.active, before)


def test_ties_cut_only_to_marked_neighbours():
    ctx = make_ctx({"social.p_cut_max": 0.5}, n=N)
    marked = mark(ctx, 0.1)
    g = ctx.state.graph
    before = g.active.copy()
    today = social_day(ctx, 0)
    social.cut_ties(ctx, today)
    lost = np.flatnonzero((before > 0) & (g.active == 0))
    assert today.ties_cut > 0 and len(lost) == 2 * today.ties_cut
    assert (marked[g.sources[lost]] | marked[g.indices[lost]]).all()
    # nobody cuts when nobody is marked
    ctx2 = make_ctx({"social.p_cut_max": 0.5}, n=N)
    today2 = social_day(ctx2, 0)
    social.cut_ties(ctx2, today2)
    assert today2.ties_cut == 0 and (ctx2.state.graph.active == 1).all()


@pytest.mark.parametrize("w_network", [0.1, 0.5, 2.0, 10.0])
def test_cut_rate_follows_the_network_weight(w_network):
    ctx = make_ctx({"social.p_cut_max": 0.5, "scoring.w_network": w_network}, n=N)
    marked = mark(ctx, 0.1)
    sc = ctx.scenario.social
    p = sc.p_cut_max * w_network / (w_network + sc.w_network_half)
    u, v = live_edges(ctx.state.graph)
    k = marked[u].astype(int) + marked[v].astype(int)  # each marked end is one chance
    q = 1.0 - (1.0 - p) ** k[k > 0]
    today = social_day(ctx, 0)
    social.cut_ties(ctx, today)
    mean, sd = q.sum(), np.sqrt((q * (1 - q)).sum())
    assert abs(today.ties_cut - mean) <= Z999 * sd + 1, (today.ties_cut, mean)


def test_cut_rate_grows_with_the_network_weight():
    cuts = []
    for w in (0.1, 0.5, 2.0, 10.0):
        ctx = make_ctx({"social.p_cut_max": 0.3, "scoring.w_network": w}, n=N)
        mark(ctx, 0.1)
        today = social_day(ctx, 0)
        social.cut_ties(ctx, today)
        cuts.append(today.ties_cut)
    assert all(a < b for a, b in zip(cuts, cuts[1:])), cuts


def test_active_degree_stays_in_step_with_the_graph():
    ctx = make_ctx({"social.p_cut_max": 0.5}, n=N)
    mark(ctx, 0.2)
    total = 0
    for t in range(5):
        today = social_day(ctx, t)
        social.cut_ties(ctx, today)
        total += today.ties_cut
        np.testing.assert_array_equal(ctx.state.active_degree, ctx.state.graph.active_degree())
    g = ctx.state.graph
    assert total > 0 and int((g.active == 0).sum()) == 2 * total
