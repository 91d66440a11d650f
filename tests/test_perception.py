"""Perceived certainty learned from evidence (Stafford & Warr 1993; Anwar & Loughran 2011):
a Beta belief from a prior, own and ties' posts punished or not, slower under opacity."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import make_ctx, quiet_today, sanction_index

from panoptisim import perception
from panoptisim.state import Today

N = 2000
ALL_FEEDS = ["online", "cameras", "commerce", "financial", "informants"]


def day(ctx, t, expressed=None, flagged=None, listed=(), political=False) -> Today:
    """A day whose only events are given posts, political flags and new public listings."""
    today = quiet_today(ctx, t)
    n = ctx.state.n
    if expressed is not None:
        today.expressed = expressed
    today.political_flagged = np.zeros(n, bool) if flagged is None else flagged
    agents = np.asarray(listed, np.int64)
    today.new_sanction_agent = agents
    today.new_sanction_kind = np.full(len(agents), sanction_index("shaming"), np.int8)
    today.new_sanction_wrongful = np.zeros(len(agents), bool)
    today.new_sanction_political = np.full(len(agents), political)
    return today


def test_the_prior_is_taken_when_a_scorer_becomes_known():
    opaque = make_ctx(n=N)
    clear = make_ctx({"safeguards.transparent": True}, n=N)
    for ctx in (opaque, clear):
        perception.learn_certainty(ctx, day(ctx, 0))
    b = opaque.scenario.behavior
    np.testing.assert_allclose(clear.state.perceived_risk, b.prior_certainty, rtol=1e-5)
    np.testing.assert_allclose(opaque.state.perceived_risk,
                               b.prior_certainty + b.ambiguity_premium, rtol=1e-5)


@pytest.mark.parametrize("overrides, arm", [({}, "control"),
                                            ({"surveillance.unseen": ALL_FEEDS}, "treated")])
def test_no_belief_while_no_scorer_is_known(overrides, arm):
    ctx = make_ctx(overrides, n=N, arm=arm)
    everyone = np.ones(N, bool)
    perception.learn_certainty(ctx, day(ctx, 0, expressed=everyone, flagged=everyone))
    assert (ctx.state.perceived_risk == 0).all()


def test_own_posts_update_the_belief_as_a_beta():
    ctx = make_ctx({"safeguards.transparent": True, "behavior.rel_neighbour_evidence": 0.0,
                    "behavior.rel_certainty_forgetting": 0.0}, n=N)
    b = ctx.scenario.behavior
    perception.learn_certainty(ctx, day(ctx, 0))  # the prior
    posted = np.arange(N) % 2 == 0
    caught = np.arange(N) % 4 == 0
    for t in range(1, 11):
        perception.learn_certainty(ctx, day(ctx, t, expressed=posted, flagged=caught))
    n0, p0 = b.n_prior_certainty, b.prior_certainty
    rho = ctx.state.perceived_risk
    np.testing.assert_allclose(rho[caught], (n0 * p0 + 10) / (n0 + 10), rtol=1e-5)
    np.testing.assert_allclose(rho[posted & ~caught], n0 * p0 / (n0 + 10), rtol=1e-5)
    np.testing.assert_allclose(rho[~posted], p0, rtol=1e-5)


@pytest.mark.parametrize("transparent", [True, False])
def test_fear_without_sensors_fades_as_ties_speak_unpunished(transparent):
    ctx = make_ctx({"safeguards.transparent": transparent}, n=N)
    perception.learn_certainty(ctx, day(ctx, 0))
    start = float(ctx.state.perceived_risk.mean())
    rng = np.random.default_rng(1)
    for t in range(1, 120):
        perception.learn_certainty(ctx, day(ctx, t, expressed=rng.random(N) < 0.05))
    assert float(ctx.state.perceived_risk.mean()) < start / 3


def test_opacity_slows_learning():
    def after(transparent):
        ctx = make_ctx({"safeguards.transparent": transparent,
                        "behavior.ambiguity_premium": 0.0}, n=N)
        perception.learn_certainty(ctx, day(ctx, 0))
        rng = np.random.default_rng(1)
        for t in range(1, 30):
            perception.learn_certainty(ctx, day(ctx, t, expressed=rng.random(N) < 0.05))
        return float(ctx.state.perceived_risk.mean())
    assert after(True) < after(False) - 0.02


def test_without_evidence_the_belief_stays():
    ctx = make_ctx(n=N)
    perception.learn_certainty(ctx, day(ctx, 0))
    start = ctx.state.perceived_risk.copy()
    for t in range(1, 50):
        perception.learn_certainty(ctx, day(ctx, t))
    np.testing.assert_allclose(ctx.state.perceived_risk, start, rtol=1e-4)


@pytest.mark.parametrize("transparent, political, raises", [
    (False, False, True), (False, True, True), (True, False, False), (True, True, False)])
def test_a_tie_listed_in_public_is_read_as_punishment_only_under_opaque_rules(
        transparent, political, raises):
    """Under transparent rules a listing is read for what it is (the tie's flags count, not
    the listing); under opaque rules no one can tell why it came."""
    ctx = make_ctx({"safeguards.transparent": transparent}, n=N)
    perception.learn_certainty(ctx, day(ctx, 0))
    base = ctx.state.perceived_risk.copy()
    listed = np.random.default_rng(8).choice(N, 100, replace=False)
    ctx.state.ti_voiced[listed] = 0  # outspoken ties
    perception.learn_certainty(ctx, day(ctx, 1, listed=listed, political=political))
    rose = ctx.state.perceived_risk > base + 1e-6
    assert (rose.sum() > 300) == raises


def test_a_silent_tie_listed_in_public_is_not_read_as_punished_speech():
    ctx = make_ctx(n=N)
    perception.learn_certainty(ctx, day(ctx, 0))
    base = ctx.state.perceived_risk.copy()
    listed = np.random.default_rng(8).choice(N, 100, replace=False)  # never spoke
    perception.learn_certainty(ctx, day(ctx, 1, listed=listed))
    np.testing.assert_allclose(ctx.state.perceived_risk, base, rtol=1e-5)


def test_ties_caught_raise_certainty():
    ctx = make_ctx({"safeguards.transparent": True}, n=N)
    perception.learn_certainty(ctx, day(ctx, 0))
    base = ctx.state.perceived_risk.copy()
    caught = np.zeros(N, bool)
    caught[np.random.default_rng(3).choice(N, 100, replace=False)] = True
    perception.learn_certainty(ctx, day(ctx, 1, flagged=caught))
    others = ~caught
    assert (ctx.state.perceived_risk[others] > base[others] + 1e-6).sum() > 300


def test_own_flags_teach_the_penalty_under_opaque_rules():
    ctx = make_ctx({"scoring.w_political": 60.0}, n=N)
    b = ctx.scenario.behavior
    perception.learn_certainty(ctx, day(ctx, 0))
    caught = np.arange(N) < 100
    perception.learn_certainty(ctx, day(ctx, 1, expressed=caught, flagged=caught))
    pen = ctx.state.perceived_penalty
    expected = b.prior_penalty + b.rel_penalty_learning * (60.0 - b.prior_penalty)
    np.testing.assert_allclose(pen[caught], expected, rtol=1e-5)
    np.testing.assert_allclose(pen[~caught], b.prior_penalty)


def numpy_beliefs(hits, misses, penalty, risk, known, prior, n0, prior_penalty, keep, w,
                  expressed, own, seen_trials, seen_hits, rel):
    """The Beta-belief update as numpy passes over every agent (float32 arrays; a Python
    float ``w`` computed in float32, a per-agent one in float64), the reference of the
    compiled passes in panoptisim.beliefs."""
    n = len(hits)
    fresh = np.asarray(known & (hits + misses <= 0))
    if fresh.any():
        fresh = np.broadcast_to(fresh, (n,))
        prior = np.broadcast_to(prior, (n,))
        hits[fresh] = np.float32(n0) * prior[fresh]
        misses[fresh] = np.float32(n0) * (1.0 - prior[fresh])
        penalty[fresh] = prior_penalty
    believing = (hits + misses) > 0
    if not believing.any():
        return
    hits *= np.float32(keep)
    misses *= np.float32(keep)
    trials = expressed.astype(np.float32)
    caught = np.zeros(n, np.float32) if own is None else own.astype(np.float32)
    if seen_trials is not None:
        trials += rel * seen_trials
    if seen_hits is not None:
        caught += rel * seen_hits
    unpunished = np.maximum(trials - caught, 0.0)
    hits += (w * caught * believing).astype(np.float32)
    misses += (w * unpunished * believing).astype(np.float32)
    total = hits + misses
    np.divide(hits, total, out=risk, where=total > 0)


@pytest.mark.parametrize("per_agent", [False, True])
@pytest.mark.parametrize("evidence", ["none", "own", "all"])
def test_compiled_belief_update_is_the_numpy_arithmetic_bit_for_bit(per_agent, evidence):
    from panoptisim import beliefs
    rng = np.random.default_rng(11)
    n = 2001
    hits = np.where(rng.random(n) < 0.5, rng.random(n) * 5, 0).astype(np.float32)
    misses = np.where(hits > 0, rng.random(n) * 20, 0).astype(np.float32)
    penalty = rng.random(n).astype(np.float32) * 50
    risk = np.where(hits > 0, hits / (hits + misses + 1e-9), 0).astype(np.float32)
    known = rng.random(n) < 0.7 if per_agent else True
    prior = rng.uniform(0.05, 0.6, n) if per_agent else np.float64(0.3)
    w = np.where(rng.random(n) < 0.5, 1.0, 0.37) if per_agent else 0.37
    expressed = rng.random(n) < 0.1
    own = rng.random(n) < 0.02 if evidence != "none" else None
    seen_trials = (rng.poisson(0.8, n).astype(np.float32) if evidence == "all" else None)
    seen_hits = (rng.poisson(0.05, n).astype(np.float32) if evidence == "all" else None)
    want = [x.copy() for x in (hits, misses, penalty, risk)]
    numpy_beliefs(*want, known, prior, 8.0, 12.5, 0.98, w, expressed, own, seen_trials,
                  seen_hits, 0.3)
    believers = beliefs.first_beliefs(hits, misses, penalty, known=known, prior=prior,
                                      n_prior=8.0, prior_penalty=12.5)
    assert believers == int(((want[0] + want[1]) > 0).sum())
    beliefs.learn(hits, misses, risk, keep=0.98, weight=w, expressed=expressed,
                  own_hits=own, seen_trials=seen_trials, seen_hits=seen_hits,
                  rel_neighbour=0.3)
    for got, expected in zip((hits, misses, penalty, risk), want, strict=True):
        assert np.array_equal(got, expected)
