"""Perceived risk learned from own flags, neighbours' sanctions and the opacity of the rules
(tie-cutting and restoration: test_association.py)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import live_edges, make_ctx, quiet_today, sanction_index

from panoptisim import perception
from panoptisim.state import Today

N = 2000


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


# (tie choice and restoration under guilt by association: test_association.py)


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
    ctx = make_ctx(n=N)
    sanctioned = np.arange(0, N, 10)
    ctx.state.sanction_days_left[sanction_index(kind), sanctioned] = 30
    assert ctx.state.marked()[sanctioned].all() == visible
    assert ctx.state.marked().sum() == (len(sanctioned) if visible else 0)
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

