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
