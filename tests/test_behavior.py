"""Behaviour: over-deterrence under opaque rules, and what sanctions do to posting, defaults,
trips and visas (expression is tested in test_expression.py)."""

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

from panoptisim import behavior

N = 2000


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
        ctx.state.has_loan = np.ones(ctx.state.n, bool)  # fixed: replaced, not written
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
