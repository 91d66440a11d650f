"""Behaviour: expression as a logit choice, the cliff in perceived loss, over-deterrence under
opaque rules, and what sanctions do to posting, defaults, trips and visas."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import (
    assert_bernoulli_sum,
    assert_binomial,
    make_ctx,
    quiet_today,
    sanction_index,
)
from scipy.special import expit

from panoptisim import behavior

N = 2000


def uniform_agents(ctx, dissent=0.7, threshold=0.2, risk=0.0, score=800.0):
    """Make every agent alike, so that one attribute can be varied at a time."""
    s = ctx.state
    s.latent_dissent[:] = dissent
    s.expression_threshold[:] = threshold
    s.perceived_risk[:] = risk
    s.score[:] = score


# ---------------------------------------------------------------- expression
def test_expression_probability_matches_the_logit_utility():
    ctx = make_ctx(n=N)
    s, b = ctx.state, ctx.scenario.behavior
    r = np.random.default_rng(0)
    s.perceived_risk[:] = r.random(N).astype(np.float32)
    s.score[:] = 800.0  # no cliff anywhere
    support = r.random(N).astype(np.float32)
    loss = ctx.scenario.scoring.w_political / 100.0
    expected = expit(b.intercept + b.beta_dissent * (s.latent_dissent - 0.5)
                     + b.beta_support * (support - s.expression_threshold)
                     - b.beta_risk * s.perceived_risk * loss)
    np.testing.assert_allclose(behavior.expression_probability(ctx, support), expected,
                               rtol=1e-4, atol=1e-6)


def test_expression_probability_rises_with_dissent():
    ctx = make_ctx(n=N)
    uniform_agents(ctx, risk=0.3)
    ctx.state.latent_dissent[:] = np.linspace(0, 1, N, dtype=np.float32)
    p = behavior.expression_probability(ctx, np.full(N, 0.2, np.float32))
    assert (np.diff(p) >= 0).all() and p[-1] - p[0] > 0.9


def test_expression_probability_rises_with_support():
    ctx = make_ctx(n=N)
    uniform_agents(ctx, dissent=0.5, risk=0.3)
    p = behavior.expression_probability(ctx, np.linspace(0, 1, N, dtype=np.float32))
    assert (np.diff(p) >= 0).all() and p[-1] - p[0] > 0.5


def test_expression_probability_falls_with_risk_only_where_there_is_a_loss():
    treated = make_ctx(n=N)
    uniform_agents(treated)
    treated.state.perceived_risk[:] = np.linspace(0, 1, N, dtype=np.float32)
    p = behavior.expression_probability(treated, np.full(N, 0.2, np.float32))
    assert (np.diff(p) <= 0).all() and p[0] - p[-1] > 0.2
    # control arm: nothing to lose, so risk does not matter
    control = make_ctx(n=N, arm="control")
    uniform_agents(control)
    control.state.perceived_risk[:] = np.linspace(0, 1, N, dtype=np.float32)
    p = behavior.expression_probability(control, np.full(N, 0.2, np.float32))
    assert np.ptp(p) == 0


def test_expressed_share_follows_the_probability():
    ctx = make_ctx({"behavior.p_political_chance": 1.0}, n=N)
    uniform_agents(ctx, dissent=0.6, risk=0.5)
    p = float(behavior.expression_probability(ctx, np.zeros(N, np.float32))[0])
    today = quiet_today(ctx, 0)
    behavior.step(ctx, today)
    assert today.political_chance.all()
    assert_binomial(today.expressed.sum(), N, p, "expressions")
    np.testing.assert_array_equal(ctx.state.ti_expressed[today.expressed], 0)


def test_support_is_the_share_of_live_ties_who_spoke_recently():
    ctx = make_ctx({"behavior.dur_support_memory": 5}, n=N)
    s, g = ctx.state, ctx.state.graph
    spoke = np.arange(N) % 7 == 0
    s.ti_voiced[spoke] = 10  # visible expressions are support (not deleted)
    g.cut(np.flatnonzero(np.random.default_rng(2).random(len(g.indices)) < 0.3))
    s.active_degree = g.active_degree()
    live = g.active > 0
    share = np.bincount(g.sources[live], weights=spoke[g.indices[live]], minlength=N) / \
        np.maximum(s.active_degree, 1)
    # an expression counts as support on the dur_support_memory following days
    for t in (11, 15):
        np.testing.assert_allclose(behavior.social_support(ctx, t), share, rtol=1e-5)
    assert (behavior.social_support(ctx, 16) == 0).all()
    assert share.max() > 0


# ---------------------------------------------------------------- perceived loss
def test_perceived_loss_is_larger_just_above_a_threshold():
    ctx = make_ctx(n=N)
    s = ctx.state
    penalty = ctx.scenario.scoring.w_political  # 30: opaque, nominal penalty
    travel = ctx.scenario.sanctions.threshold_travel_ban  # 550
    s.score[:] = 800.0                            # far above every threshold
    s.score[:500] = travel + penalty / 2          # one flag would fall under the travel ban
    s.score[500:1000] = 400.0                     # already under every threshold
    loss = behavior.perceived_loss(ctx)
    base = penalty / 100.0
    rel = ctx.scenario.behavior.rel_cliff_loss
    np.testing.assert_allclose(loss[1000:], base, rtol=1e-6)
    np.testing.assert_allclose(loss[500:1000], base, rtol=1e-6)
    np.testing.assert_allclose(loss[:500], base * (1 + rel), rtol=1e-6)
    # the cliff lowers the chance to speak of otherwise identical agents
    s.perceived_risk[:] = 0.5
    s.latent_dissent[:] = 0.7
    s.expression_threshold[:] = 0.2
    p = behavior.expression_probability(ctx, np.zeros(N, np.float32))
    assert p[0] < p[-1] - 0.05


def test_perceived_loss_is_zero_in_the_control_arm():
    ctx = make_ctx(n=N, arm="control")
    ctx.state.score[:] = ctx.scenario.sanctions.threshold_travel_ban + 5
    assert (behavior.perceived_loss(ctx) == 0).all()


def test_no_cliff_when_sanctions_are_off():
    ctx = make_ctx({"sanctions.enabled": False}, n=N)
    ctx.state.score[:] = ctx.scenario.sanctions.threshold_travel_ban + 5
    np.testing.assert_allclose(behavior.perceived_loss(ctx),
                               ctx.scenario.scoring.w_political / 100.0, rtol=1e-6)


# ---------------------------------------------------------------- deterrence
@pytest.mark.parametrize("transparent", [False, True])
def test_deterrence_of_unscored_behaviour_only_when_rules_are_opaque(transparent):
    risk = 0.6
    ctx = make_ctx({"safeguards.transparent": transparent, "behavior.p_benign_post": 0.5},
                   n=N)
    ctx.state.perceived_risk[:] = risk
    rel = ctx.scenario.behavior.rel_deterrence
    expected = 0.0 if transparent else rel * risk
    assert np.allclose(behavior.deterrence(ctx, "benign"), expected)
    # a scored category (infractions under citizen) is deterred either way
    assert np.allclose(behavior.deterrence(ctx, "infraction"), rel * risk)
    posts = 0
    days = 5
    for t in range(days):
        today = quiet_today(ctx, t)
        behavior.step(ctx, today)
        posts += int(today.benign_post.sum())
    assert_binomial(posts, N * days, 0.5 * (1 - expected), "benign posts")


def test_transparent_fico_does_not_deter_what_it_does_not_score():
    ctx = make_ctx(n=N, scenario="fico")
    assert ctx.arm.per_agent("transparent") is True
    ctx.state.perceived_risk[:] = 0.8
    for category in ("benign", "infraction", "disfavoured", "political"):
        assert np.all(behavior.deterrence(ctx, category) == 0), category
    assert np.all(behavior.deterrence(ctx, "default") > 0)


def test_control_arm_deters_nothing():
    ctx = make_ctx(n=N, arm="control")
    ctx.state.perceived_risk[:] = 0.8
    assert np.all(behavior.deterrence(ctx, "benign") == 0)


# ---------------------------------------------------------------- sanctions' effects
def test_throttled_agents_get_fewer_posting_chances():
    ctx = make_ctx({"behavior.p_political_chance": 0.5, "behavior.p_benign_post": 0.5,
                    "sanctions.rel_post_throttled": 0.4}, n=N)
    throttled = np.arange(N) < N // 2
    ctx.state.sanction_days_left[sanction_index("internet_throttled"), throttled] = 100
    days = 4
    chances = np.zeros(2)
    posts = np.zeros(2)
    for t in range(days):
        today = quiet_today(ctx, t)
        behavior.step(ctx, today)
        chances += [today.political_chance[throttled].sum(),
                    today.political_chance[~throttled].sum()]
        posts += [today.benign_post[throttled].sum(), today.benign_post[~throttled].sum()]
    trials = N // 2 * days
    assert_binomial(chances[0], trials, 0.5 * 0.4, "political chances, throttled")
    assert_binomial(chances[1], trials, 0.5, "political chances, not throttled")
    assert_binomial(posts[0], trials, 0.5 * 0.4, "benign posts, throttled")
    assert_binomial(posts[1], trials, 0.5, "benign posts, not throttled")


def test_employer_notification_raises_default_probability():
    over = {"behavior.p_default_base": 0.03, "behavior.dur_payment_interval": 1,
            "sanctions.rel_income_cut": 0.5}
    free = make_ctx(over, n=N)
    cut = make_ctx(over, n=N)
    for ctx in (free, cut):
        ctx.state.has_loan[:] = True
    cut.state.sanction_days_left[sanction_index("employer_notified")] = 100
    b, median = free.scenario.behavior, free.median_income
    totals = {}
    for name, ctx, factor in (("free", free, 1.0), ("cut", cut, 0.5)):
        p = np.minimum(b.p_default_base * (median / (ctx.state.income_base * factor))
                       ** b.rel_default_income, 1.0)
        count, days = 0, 6
        for t in range(days):
            today = quiet_today(ctx, t)
            behavior.step(ctx, today)
            assert today.payment_due.all()
            np.testing.assert_array_equal(today.repaid, ~today.defaulted)
            count += int(today.defaulted.sum())
            if name == "cut":  # common random numbers: every free default is also a cut one
                ref = quiet_today(free, t)
                behavior.step(free, ref)
                assert (today.defaulted >= ref.defaulted).all()
        assert_bernoulli_sum(count, np.tile(p, days), f"defaults ({name})")
        totals[name] = count
    assert totals["cut"] > 1.5 * totals["free"]


def test_travel_ban_turns_wanted_trips_into_denials():
    ctx = make_ctx({"behavior.p_trip": 0.3, "behavior.p_visa_application": 0.3}, n=N)
    banned = np.arange(N) % 3 == 0
    ctx.state.sanction_days_left[sanction_index("travel_ban"), banned] = 10
    ctx.state.sanction_days_left[sanction_index("visa_denial"), ~banned] = 10
    today = quiet_today(ctx, 0)
    behavior.step(ctx, today)
    np.testing.assert_array_equal(today.travel_denied, today.trip_wanted & banned)
    np.testing.assert_array_equal(today.visa_denied, today.visa_wanted & ~banned)
    assert_binomial(today.travel_denied.sum(), banned.sum(), 0.3, "travel denials")
    # without a ban nobody is refused
    free = make_ctx({"behavior.p_trip": 0.3}, n=N)
    today = quiet_today(free, 0)
    behavior.step(free, today)
    assert today.trip_wanted.sum() > 0 and not today.travel_denied.any()
