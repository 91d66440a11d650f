"""Social response: tie-cutting under the network term, and perceived risk learned from own
flags, neighbours' sanctions and the opacity of the rules."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import Z999, live_edges, make_ctx, quiet_today, sanction_index

from panoptisim import perception, social
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


# ----------------------------------------------------------------- risk learning
def learned(ctx, today) -> np.ndarray:
    """Perceived risk after one learning step from zero."""
    ctx.state.perceived_risk[:] = 0.0
    perception.learn_risk(ctx, today)
    return ctx.state.perceived_risk.astype(np.float64).copy()


def test_own_political_flag_raises_perceived_risk():
    ctx = make_ctx(n=N)
    b = ctx.scenario.behavior
    base = learned(ctx, social_day(ctx, 0))
    assert (base > 0).all()  # the anchor alone: detection chance plus opacity premium
    flagged = np.arange(N) % 4 == 0
    risk = learned(ctx, social_day(ctx, 0, political_flagged=flagged))
    np.testing.assert_allclose(risk[flagged] - base[flagged],
                               b.rel_risk_learning * b.rel_risk_own_flag, rtol=1e-4)
    np.testing.assert_array_equal(risk[~flagged], base[~flagged])


def test_risk_is_smoothed_toward_the_evidence():
    ctx = make_ctx(n=N)
    rate = ctx.scenario.behavior.rel_risk_learning
    anchor = perception.detection_anchor(ctx)
    ctx.state.perceived_risk[:] = 0.0
    for t in range(30):
        perception.learn_risk(ctx, social_day(ctx, t))
    np.testing.assert_allclose(ctx.state.perceived_risk, anchor * (1 - (1 - rate) ** 30),
                               rtol=1e-4)


def neighbour_share(ctx, agents) -> np.ndarray:
    s = ctx.state
    u, v = live_edges(s.graph)
    hit = np.zeros(s.n)
    hit[agents] = 1.0
    num = np.bincount(u, weights=hit[v], minlength=s.n) + np.bincount(v, weights=hit[u],
                                                                        minlength=s.n)
    return num / np.maximum(s.active_degree, 1.0)


@pytest.mark.parametrize("transparent, political, raises", [
    (False, False, True), (False, True, True), (True, False, False), (True, True, True)])
def test_neighbours_sanctions_raise_risk(transparent, political, raises):
    """Opaque rules: every neighbour's sanction is a warning. Transparent: only political."""
    ctx = make_ctx({"safeguards.transparent": transparent}, n=N)
    b = ctx.scenario.behavior
    sanctioned = np.random.default_rng(8).choice(N, 100, replace=False)
    base = learned(ctx, social_day(ctx, 0))
    risk = learned(ctx, social_day(ctx, 0, sanctioned=sanctioned, political=political))
    share = neighbour_share(ctx, sanctioned)
    assert (share > 0).sum() > 500
    expected = b.rel_risk_learning * b.rel_risk_neighbours * share if raises else 0 * share
    np.testing.assert_allclose(risk - base, expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("kind, visible", [
    ("travel_ban", True), ("shaming", True), ("visa_denial", False),
    ("employer_notified", False), ("internet_throttled", False)])
def test_only_public_sanctions_are_seen_by_neighbours(kind, visible):
    """Travel-ban blacklists and shaming are public; the other sanctions are private."""
    ctx = make_ctx({"social.p_cut_max": 0.5}, n=N)
    sanctioned = np.arange(0, N, 10)
    ctx.state.sanction_days_left[sanction_index(kind), sanctioned] = 30
    assert ctx.state.marked()[sanctioned].all() == visible
    assert ctx.state.marked().sum() == (len(sanctioned) if visible else 0)
    today = social_day(ctx, 0)
    social.cut_ties(ctx, today)
    assert (today.ties_cut > 0) == visible
    base = learned(ctx, social_day(ctx, 0))
    risk = learned(ctx, social_day(ctx, 0, sanctioned=sanctioned, political=True, kind=kind))
    assert ((risk - base).max() > 1e-4) == visible


def test_opacity_adds_the_ambiguity_premium():
    opaque = make_ctx({"safeguards.transparent": False}, n=N)
    clear = make_ctx({"safeguards.transparent": True}, n=N)
    premium = opaque.scenario.behavior.ambiguity_premium
    anchor = perception.detection_anchor
    np.testing.assert_allclose(anchor(opaque) - anchor(clear), premium, rtol=1e-6)


def test_control_arm_learns_no_risk():
    ctx = make_ctx(n=N, arm="control")
    flagged = np.ones(N, bool)
    perception.learn_risk(ctx, social_day(ctx, 0, political_flagged=flagged,
                                      sanctioned=np.arange(100), political=True))
    assert (ctx.state.perceived_risk == 0).all()

