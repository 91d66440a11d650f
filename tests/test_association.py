"""Guilt by association (Botsman 2017): ties' events cost association points by tie kind,
the points expire, own flags must carry a sanction, sanctions by association are counted
by the but-for test, cutting a tie is a logit choice between its value and its cost, and
cut ties return when the cost ends."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import (
    ASSUMED_LADDER,
    add_flags,
    assert_bernoulli_sum,
    assert_binomial,
    live_edges,
    make_ctx,
    quiet_today,
    sanction_index,
)

from panoptisim import metrics, sanctions, scoring, social
from panoptisim.engine import simulate
from panoptisim.scenario import load_scenario
from panoptisim.state import SANCTIONS, Today

N = 2000
TRAVEL = sanction_index("travel_ban")


def expected_charge(ctx, events: np.ndarray, w: float, rel: float) -> np.ndarray:
    """Brute force over the live ties: each agent pays ``w`` (x ``rel`` within a household)
    per event of each tie."""
    s = ctx.state
    u, v = live_edges(s.graph)
    kin = np.where(s.household[u] == s.household[v], rel, 1.0)
    return (np.bincount(u, weights=w * kin * events[v], minlength=s.n)
            + np.bincount(v, weights=w * kin * events[u], minlength=s.n))


# ------------------------------------------------------------- association points
def family_mask(ctx) -> np.ndarray:
    """Per CSR entry: a family tie, as the context tells it."""
    return ctx.is_family(np.arange(len(ctx.state.graph.indices)))


def test_family_ties_are_the_household_and_degrees_match_the_graph():
    ctx = make_ctx(n=N)
    s, g = ctx.state, ctx.state.graph
    family = family_mask(ctx)
    np.testing.assert_array_equal(family, s.household[g.sources] == s.household[g.indices])
    np.testing.assert_array_equal(family, g.within(s.household))
    assert 0 < family.mean() < 0.5
    np.testing.assert_array_equal(s.family_degree,
                                  np.bincount(g.sources[family], minlength=s.n))
    picked = np.random.default_rng(2).choice(len(family), 200)  # any entries, rows given
    np.testing.assert_array_equal(ctx.is_family(picked, g.sources[picked]), family[picked])


@pytest.mark.parametrize("w, rel", [(3.0, 2.5), (7.0, 0.5)])
def test_association_points_come_only_from_ties_political_flags_by_tie_kind(w, rel):
    ctx = make_ctx({"scoring.w_network": w, "scoring.rel_network_family": rel}, n=N)
    s, g = ctx.state, ctx.state.graph
    r = np.random.default_rng(1)
    g.cut(r.choice(len(g.indices), len(g.indices) // 5, replace=False))  # cut ties: no charge
    flagged = r.choice(N, 60, replace=False)
    today = quiet_today(ctx, 0)
    add_flags(today, flagged, "online", "political", True)
    add_flags(today, flagged[:10], "informants", "political", False)  # a second event
    add_flags(today, r.choice(N, 80), "cameras", "infraction", True)  # not an association event
    events = np.bincount(np.concatenate([flagged, flagged[:10]]), minlength=N).astype(float)
    expected = expected_charge(ctx, events, w, rel)
    own = np.zeros(N)
    np.add.at(own, today.flag_agent, ctx.arm.weight_table()[0, today.flag_category])
    before = s.score.copy()
    scoring.step(ctx, today)
    assert (expected > 0).sum() > 300
    np.testing.assert_allclose(s.points_association, expected, rtol=1e-9)
    np.testing.assert_allclose(before - s.score, own + expected, rtol=1e-9, atol=1e-9)


def test_public_sanctions_charge_ties_private_ones_do_not():
    # visible thresholds lowest: 360 is under every threshold, 500 only under private ones
    ctx = make_ctx({"scoring.w_network": 4.0, "scoring.rel_network_family": 3.0,
                    "sanctions.threshold_travel_ban": 400.0,
                    "sanctions.threshold_shaming": 400.0}, n=N)
    s = ctx.state
    s.score[:] = 800.0
    public, private = np.arange(0, 40), np.arange(40, 80)
    s.score[public], s.score[private] = 360.0, 500.0
    s.points_true[:80], s.n_flags_counting[:80] = 100.0, 1
    before = s.score.copy()
    today = Today(0)
    sanctions.step(ctx, today)
    events = np.zeros(N)
    events[public] = 2  # a travel ban and a shaming each
    expected = expected_charge(ctx, events, 4.0, 3.0)
    np.testing.assert_allclose(s.points_association, expected, rtol=1e-9)
    charged = np.setdiff1d(np.flatnonzero(expected), np.arange(80))
    np.testing.assert_allclose(before[charged] - s.score[charged], expected[charged])
    assert set(np.unique(today.new_sanction_kind)) == set(range(len(SANCTIONS)))


@pytest.mark.parametrize("forgiveness", [0.0, 0.02])
def test_association_points_expire_after_retention(forgiveness):
    ctx = make_ctx({"scoring.w_network": 5.0, "scoring.dur_retention_association": 10,
                    "safeguards.forgiveness": forgiveness}, n=N)
    s = ctx.state
    today = quiet_today(ctx, 0)
    add_flags(today, np.arange(0, N, 50), "online", "political", True)
    scoring.step(ctx, today)
    charged = np.setdiff1d(np.flatnonzero(s.points_association), np.arange(0, N, 50))
    start = s.points_association[charged].copy()
    assert len(charged) > 100
    for t in range(1, 12):
        scoring.step(ctx, quiet_today(ctx, t))
        if t < 10:
            np.testing.assert_allclose(s.points_association[charged],
                                       start * (1 - forgiveness) ** t, rtol=1e-9)
        else:
            assert (s.points_association == 0).all(), t
            np.testing.assert_allclose(s.score[charged], s.score_start[charged], atol=1e-9)


def test_abolition_ends_association_points():
    from panoptisim import policy
    ctx = make_ctx({"scoring.w_network": 5.0}, n=N)
    s = ctx.state
    today = quiet_today(ctx, 0)
    add_flags(today, np.arange(0, N, 50), "online", "political", True)
    scoring.step(ctx, today)
    assert s.points_association.sum() > 0
    policy.abolish(ctx, np.ones(N, bool))
    assert (s.points_association == 0).all()
    for t in range(1, 400):  # nothing comes back when their retention would have ended
        scoring.end_association(ctx, t)
    np.testing.assert_array_equal(s.score, s.score_start)


# --------------------------------------------------------------- sanction rules
def test_association_points_alone_never_sanction():
    ctx = make_ctx({"scoring.w_network": 1000.0}, n=N)
    s = ctx.state
    s.score[:] = s.score_start
    s.points_true[:] = s.points_false[:] = 0.0
    s.n_flags_counting[:] = 0
    s.score[:100] = 360.0  # all of it association points
    s.points_association[:100] = s.score_start[:100] - 360.0
    s.points_true[50:100], s.n_flags_counting[50:100] = 19.0, 1  # own flags, too few points
    s.points_true[100:110], s.score[100:110], s.n_flags_counting[100:110] = 20.0, 360.0, 1
    today = Today(0)
    sanctions.step(ctx, today)
    np.testing.assert_array_equal(np.unique(today.new_sanction_agent), np.arange(100, 110))


@pytest.mark.parametrize("w", [5.0, 100.0, 1000.0])
def test_no_sanction_without_own_points_at_any_weight(w):
    sc = load_scenario("baseline", {"population.size": 1500, "run.steps": 150,
                                    "behavior.p_political_chance": 0.2,
                                    "run.control": False, "scoring.w_network": w}, seed=11)
    run = simulate(sc).runs[0]
    s = run.state
    log = s.sanction_log
    own = log.points_true.astype(np.float64) + log.points_false
    assert len(log) > 50 and run.columns["sanctions_by_association"].sum() > 0
    assert (own >= sc.sanctions.min_own_points - 1e-3).all(), own.min()
    never_flagged = np.bincount(s.flags.agent, minlength=s.n) == 0
    assert never_flagged.sum() > 10 and not s.ever_sanctioned[:, never_flagged].any()


def test_sanctions_by_association_count_exactly_the_but_for_cases():
    ctx = make_ctx(n=N, scenario=ASSUMED_LADDER)  # travel ban the first threshold
    s, p = ctx.state, ctx.scenario.sanctions
    s.score[:] = 800.0
    travel = p.threshold_travel_ban
    s.score[:5] = travel - 5.0  # under the travel ban only
    s.points_true[:5], s.n_flags_counting[:5] = 40.0, 1
    s.points_association[:5] = [10.0, 3.0, 0.0, 5.0, 4.999]
    today = Today(0)
    sanctions.step(ctx, today)
    np.testing.assert_array_equal(today.new_sanction_agent, np.arange(5))
    np.testing.assert_array_equal(today.new_sanction_by_association,
                                  [True, False, False, True, False])
    m = {x.name: x for x in metrics.METRICS}["sanctions_by_association"]
    assert m.fn(ctx, today) == 2.0 and m.aggregate == "sum"


# ------------------------------------------------------------------ tie choice
def costly_ctx(overrides=None, n=N, t=0, share=0.1, events=3.0, seed=5):
    """A context in which a random ``share`` of agents had ``events`` on day ``t``."""
    ctx = make_ctx({"social.p_cut_max": 0.5, **(overrides or {})}, n=n)
    costly = np.flatnonzero(np.random.default_rng(seed).random(n) < share)
    ctx.state.association_events[costly] = events
    ctx.state.ti_association[costly] = t
    return ctx, costly


def test_cut_probability_rises_with_cost_and_spares_family():
    ctx, _ = costly_ctx()
    sc = ctx.scenario.social
    family = family_mask(ctx)
    entries = np.arange(len(family))
    fam, fr = entries[family][:1], entries[~family][:1]
    costs = np.linspace(0, 300, 31)
    for e in (fam, fr):
        p = np.array([social.p_cut(ctx, e, np.array([c]))[0] for c in costs])
        assert (np.diff(p) > 0).all()
        assert social.p_cut(ctx, e, np.array([1e4]))[0] == pytest.approx(sc.p_cut_max)
    for c in costs:
        assert social.p_cut(ctx, fam, np.array([c])) < social.p_cut(ctx, fr, np.array([c]))


@pytest.mark.parametrize("events", [1.0, 5.0, 20.0])
def test_ties_cut_follow_the_logit_choice(events):
    ctx, costly = costly_ctx({"scoring.w_network": 2.0}, events=events)
    s, g, sc = ctx.state, ctx.state.graph, ctx.scenario.social
    before = g.active.copy()
    rel = ctx.scenario.scoring.rel_network_family
    # brute force per live entry into a costly agent
    holder, target = g.sources, g.indices
    into = np.isin(target, costly) & (before > 0)
    family = family_mask(ctx)
    kin = np.where(family, rel, 1.0)
    cost = 2.0 * kin * events / sc.dur_association_memory * sc.dur_association_horizon
    value = np.where(family, sc.value_family, sc.value_friend)
    p = sc.p_cut_max / (1 + np.exp(-(cost - value) / sc.scale_tie_choice))
    today = Today(0)
    social.cut_ties(ctx, today)
    lost = (before > 0) & (g.active == 0)
    assert (np.isin(holder[lost], costly) | np.isin(target[lost], costly)).all()
    # a tie is cut if either end chooses to (each end holding a costly neighbour)
    u, v = live_edges_before(g, before)
    e_uv, e_vu = entry_of(g, u, v), entry_of(g, v, u)
    q = 1 - (1 - np.where(into[e_uv], p[e_uv], 0)) * (1 - np.where(into[e_vu], p[e_vu], 0))
    fam_tie = family[e_uv]
    cut_tie = g.active[e_uv] == 0
    assert_bernoulli_sum(cut_tie[fam_tie].sum(), q[fam_tie], "family ties cut")
    assert_bernoulli_sum(cut_tie[~fam_tie].sum(), q[~fam_tie], "friend ties cut")
    assert today.ties_cut == cut_tie.sum() > 0
    np.testing.assert_array_equal(s.active_degree, g.active_degree())
    np.testing.assert_array_equal(s.family_degree,
                                  np.bincount(g.sources[family & (g.active > 0)],
                                              minlength=s.n))


def live_edges_before(g, active):
    """Undirected ties live in ``active`` as (u, v), u < v."""
    src = g.sources
    keep = (active > 0) & (src < g.indices)
    return src[keep], g.indices[keep]


def entry_of(g, u, v):
    """CSR position of the entry u -> v."""
    return np.array([g.indptr[a] + np.searchsorted(g.indices[g.indptr[a]:g.indptr[a + 1]], b)
                     for a, b in zip(u, v, strict=True)], np.int64)


def test_friends_go_before_family():
    # a neighbour's 2 events in the memory window cost a friend tie 41 points over the
    # horizon (> value_friend 30), a family tie 81 (< value_family 300)
    ctx, costly = costly_ctx({"scoring.w_network": 5.0}, events=2.0, share=0.2)
    g = ctx.state.graph
    into = np.isin(g.indices, costly)
    before = g.active.copy()
    social.cut_ties(ctx, Today(0))
    lost = (before > 0) & (g.active == 0) & into
    share_friend = lost[into & ~family_mask(ctx)].mean()
    share_family = lost[into & family_mask(ctx)].mean()
    assert share_friend > 3 * share_family and share_friend > 0.05


def test_quiet_neighbours_and_no_association_cut_nothing():
    ctx, _ = costly_ctx(t=0)
    today = Today(ctx.scenario.social.dur_association_memory + 1)  # events now too old
    social.cut_ties(ctx, today)
    assert today.ties_cut == 0 and (ctx.state.graph.active == 1).all()
    for ov, arm in (({"scoring.w_network": 0.0}, "treated"), ({}, "control")):
        ctx = make_ctx({"social.p_cut_max": 1.0, **ov}, n=N, arm=arm)
        ctx.state.ti_association[:] = 0
        ctx.state.association_events[:] = 100.0
        today = Today(0)
        social.cut_ties(ctx, today)
        assert today.ties_cut == 0


# ------------------------------------------------------------------- ties return
def test_graph_restore_undoes_cut():
    ctx = make_ctx(n=500)
    g = ctx.state.graph
    entries = np.random.default_rng(0).choice(len(g.indices), 200, replace=False)
    cut = g.cut(entries)
    assert len(cut) > 0 and (g.active[cut] == 0).all() and (g.active[g.reverse(cut)] == 0).all()
    np.testing.assert_array_equal(np.sort(g.cut_ties), np.sort(cut))
    back = g.restore(g.reverse(cut[:50]))  # either direction restores the tie
    np.testing.assert_array_equal(back, np.sort(cut[:50]))
    np.testing.assert_array_equal(np.sort(g.cut_ties), np.sort(cut[50:]))
    assert len(g.restore(cut[:50])) == 0  # live ties are not restored twice
    g.restore(cut)
    assert (g.active == 1).all() and len(g.cut_ties) == 0


def test_ties_return_after_the_cost_ends_never_while_it_lasts():
    p_restore = 0.2
    ctx, costly = costly_ctx({"scoring.w_network": 50.0, "social.p_restore": p_restore},
                             events=5.0)
    s, g = ctx.state, ctx.state.graph
    memory = ctx.scenario.social.dur_association_memory
    social.cut_ties(ctx, Today(0))
    n_cut = len(g.cut_ties)
    assert n_cut > 100
    for t in (1, memory // 2, memory):  # the neighbours' events still count
        today = Today(t)
        social.restore_ties(ctx, today)
        assert today.ties_restored == 0 and len(g.cut_ties) == n_cut
    today = Today(memory + 1)
    social.restore_ties(ctx, today)
    assert_binomial(today.ties_restored, n_cut, p_restore, "ties restored")
    assert len(today.tie_ends_restored) == 2 * today.ties_restored
    assert len(g.cut_ties) == n_cut - today.ties_restored
    np.testing.assert_array_equal(s.active_degree, g.active_degree())
    np.testing.assert_array_equal(s.family_degree,
                                  np.bincount(g.sources[family_mask(ctx) & (g.active > 0)],
                                              minlength=s.n))
    for t in range(memory + 2, memory + 80):
        social.restore_ties(ctx, Today(t))
    assert len(g.cut_ties) == 0 and (g.active == 1).all()


def test_ties_return_when_association_is_no_longer_scored():
    ctx, costly = costly_ctx({"scoring.w_network": 50.0, "social.p_restore": 1.0}, events=5.0)
    social.cut_ties(ctx, Today(0))
    assert len(ctx.state.graph.cut_ties) > 0
    from panoptisim.regime import make_arm
    from panoptisim.rules import Rules
    sc = load_scenario("baseline", {"population.size": N, "scoring.w_network": 0.0})
    ctx.arm = make_arm("treated", Rules((sc,), ctx.state.region))  # as after a timeline change
    today = Today(1)  # the neighbours' events are recent, but cost nothing any more
    social.restore_ties(ctx, today)
    assert today.ties_restored > 0 and len(ctx.state.graph.cut_ties) == 0


# -------------------------------------------------------------------- metrics
def test_dissenter_tie_loss_by_kind():
    ctx = make_ctx(n=N)
    s, g = ctx.state, ctx.state.graph
    d = s.dissenter
    family = family_mask(ctx)
    fam_d = family & d[g.sources]
    friend_d = ~family & d[g.sources]
    cut_f = g.cut(np.flatnonzero(fam_d)[::3])
    cut_r = g.cut(np.flatnonzero(friend_d)[::2])
    s.active_degree = g.active_degree()
    s.family_degree = np.bincount(g.sources[family & (g.active > 0)],
                                  minlength=s.n).astype(np.float32)
    by = {m.name: m for m in metrics.METRICS}
    lost_f = (fam_d & (g.active == 0)).sum() / fam_d.sum()
    lost_r = (friend_d & (g.active == 0)).sum() / friend_d.sum()
    assert len(cut_f) and len(cut_r) and 0 < lost_f < lost_r
    today = Today(0)
    assert by["dissenter_family_ties_lost"].fn(ctx, today) == pytest.approx(lost_f)
    assert by["dissenter_friend_ties_lost"].fn(ctx, today) == pytest.approx(lost_r)


# ------------------------------------------------------------------- whole run
def test_a_huge_network_weight_does_not_sanction_everybody():
    """At w_network = 1000 (500 times the old runaway range, where 99.97% ended sanctioned)
    the share ever sanctioned stays within the agents whose own flags logged at least
    min_own_points over the run (those who could carry a sanction), far from everybody."""
    sc = load_scenario("baseline", {"population.size": 2000, "run.steps": 365,
                                    "run.control": False, "scoring.w_network": 1000.0})
    run = simulate(sc).runs[0]
    state = run.state
    ever = state.ever_sanctioned.any(axis=0)
    logged = np.bincount(state.flags.agent, weights=state.flags.points, minlength=state.n)
    could = logged >= sc.sanctions.min_own_points
    assert not (ever & ~could).any()
    assert 0.05 < ever.mean() <= could.mean() < 0.85, (ever.mean(), could.mean())
