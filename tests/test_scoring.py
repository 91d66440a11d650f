"""Scoring: regime weights, provenance, appeals, sunset, forgiveness, the association term and
clipping to the score range."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import (
    add_flags,
    assert_binomial,
    make_ctx,
    quiet_today,
)

from panoptisim import cores, scoring
from panoptisim.flags import ACTIVE, EXPIRED, REVERSED
from panoptisim.regime import arm_on_day_0
from panoptisim.scenario import load_scenario
from panoptisim.state import CATEGORIES, Today

N = 500
#: Isolate the flags' points from the guilt-by-association term.
NO_NETWORK = {"scoring.w_network": 0.0}
#: Which sensor each category comes from, for hand-made flags.
SENSOR_OF = {"default": "financial", "disfavoured": "commerce", "infraction": "cameras",
             "watchlist": "cameras", "political": "online"}


def score_ctx(overrides=None, **kw):
    return make_ctx({**NO_NETWORK, **(overrides or {})}, n=kw.pop("n", N), **kw)


def one_flag_day(ctx, t, agent, category="political", is_true=False):
    today = quiet_today(ctx, t)
    return add_flags(today, [agent], SENSOR_OF[category], category, is_true)


# ----------------------------------------------------------------------- regimes
@pytest.mark.parametrize("regime, scored", [
    ("none", ()), ("fico", ("default",)), ("sesame", ("default", "disfavoured")),
    ("citizen", CATEGORIES)])
def test_regime_weights(regime, scored):
    sc = load_scenario("baseline", {"scoring.regime": regime})
    arm = arm_on_day_0(sc, "treated").regions[0]
    for c in CATEGORIES:
        w = getattr(sc.scoring, f"w_{c}")
        assert arm.weights[CATEGORIES.index(c)] == (w if c in scored else 0.0), c
        assert arm.scores(c) == (c in scored)
    assert (arm.w_network > 0) == (regime == "citizen")
    assert (arm.w_repayment > 0) == ("default" in scored)
    assert (arm.w_favoured > 0) == ("disfavoured" in scored)
    control = arm_on_day_0(sc, "control")
    assert (control.weight_table() == 0).all() and not control.scoring and not control.sanctions


@pytest.mark.parametrize("regime", ["fico", "sesame", "citizen"])
def test_only_scored_categories_cost_points(regime):
    ctx = score_ctx({"scoring.regime": regime})
    s = ctx.state
    before = s.score.copy()
    today = quiet_today(ctx, 0)
    for agent, c in enumerate(CATEGORIES):  # agent i gets one flag of category i
        add_flags(today, [agent], SENSOR_OF[c], c, True)
    scoring.step(ctx, today)
    sc = ctx.scenario.scoring
    for agent, c in enumerate(CATEGORIES):
        expected = getattr(sc, f"w_{c}") if ctx.arm.scores(c) else 0.0
        assert before[agent] - s.score[agent] == pytest.approx(expected), (regime, c)
    np.testing.assert_array_equal(s.score[len(CATEGORIES):], before[len(CATEGORIES):])
    if regime == "fico":
        assert before[CATEGORIES.index("political")] == s.score[CATEGORIES.index("political")]
    if regime == "citizen":
        assert today.political_flagged[CATEGORIES.index("political")]
        assert today.political_flagged.sum() == 1


def test_control_arm_does_not_score():
    ctx = score_ctx(arm="control")
    before = ctx.state.score.copy()
    today = add_flags(quiet_today(ctx, 0), [1, 2], "online", "political", True)
    scoring.step(ctx, today)
    np.testing.assert_array_equal(ctx.state.score, before)
    assert len(ctx.state.flags) == 0


# -------------------------------------------------------------------- provenance
def test_flags_are_logged_with_provenance_and_deducted():
    ctx = score_ctx()
    s, sc = ctx.state, ctx.scenario.scoring
    before = s.score.copy()
    today = quiet_today(ctx, 4)
    add_flags(today, [7, 7], "online", "political", False)   # twice the same agent
    add_flags(today, [8], "informants", "political", True)
    add_flags(today, [9], "cameras", "infraction", False)
    add_flags(today, [10], "financial", "default", True)
    scoring.step(ctx, today)
    log = s.flags
    assert len(log) == 5
    np.testing.assert_array_equal(log.agent, [7, 7, 8, 9, 10])
    np.testing.assert_array_equal(log.day, 4)
    np.testing.assert_array_equal(log.sensor, today.flag_sensor)
    np.testing.assert_array_equal(log.category, today.flag_category)
    np.testing.assert_array_equal(log.is_true, [False, False, True, False, True])
    np.testing.assert_allclose(log.points, [sc.w_political, sc.w_political, sc.w_political,
                                            sc.w_infraction, sc.w_default])
    np.testing.assert_array_equal(log.status, ACTIVE)
    drop = before - s.score
    assert drop[7] == pytest.approx(2 * sc.w_political)
    assert drop[8] == pytest.approx(sc.w_political)
    assert drop[9] == pytest.approx(sc.w_infraction)
    assert drop[10] == pytest.approx(sc.w_default)
    assert s.points_false[7] == pytest.approx(2 * sc.w_political)
    assert s.points_true[7] == 0
    assert s.points_political[7] == pytest.approx(2 * sc.w_political)
    assert s.points_true[8] == pytest.approx(sc.w_political)
    assert s.points_false[9] == pytest.approx(sc.w_infraction) and s.points_political[9] == 0
    assert s.points_true[10] == pytest.approx(sc.w_default)
    others = np.setdiff1d(np.arange(N), [7, 8, 9, 10])
    np.testing.assert_array_equal(drop[others], 0)
    assert (s.points_true[others] == 0).all() and (s.points_false[others] == 0).all()


# ----------------------------------------------------------------------- appeals
def test_appeal_reverses_a_false_flag_after_dur_appeal_days():
    dur = 5
    ctx = score_ctx({"safeguards.appeals": True, "safeguards.p_appeal_false": 1.0,
                     "safeguards.p_appeal_true": 0.0, "safeguards.dur_appeal": dur})
    s, w = ctx.state, ctx.scenario.scoring.w_political
    start = s.score.copy()
    today = add_flags(quiet_today(ctx, 0), [1], "online", "political", False)
    add_flags(today, [2], "informants", "political", True)
    scoring.step(ctx, today)
    for t in range(1, dur):
        scoring.step(ctx, Today(t))
        assert s.score[1] == pytest.approx(start[1] - w), t
        assert s.flags.status[0] == ACTIVE
    scoring.step(ctx, Today(dur))
    assert s.flags.status[0] == REVERSED and s.flags.end_day[0] == dur
    assert s.score[1] == pytest.approx(start[1])
    assert s.points_false[1] == 0 and s.points_political[1] == 0
    # the true flag stands
    assert s.flags.status[1] == ACTIVE
    assert s.score[2] == pytest.approx(start[2] - w) and s.points_true[2] == pytest.approx(w)


def test_appeals_reverse_false_flags_often_and_true_ones_rarely():
    n = 2000
    ctx = score_ctx({"safeguards.appeals": True, "safeguards.p_appeal_false": 0.7,
                     "safeguards.p_appeal_true": 0.05, "safeguards.dur_appeal": 3}, n=n)
    today = quiet_today(ctx, 0)
    add_flags(today, np.arange(n), "online", "political", False)
    add_flags(today, np.arange(n), "informants", "political", True)
    scoring.step(ctx, today)
    for t in range(1, 4):
        scoring.step(ctx, Today(t))
    log = ctx.state.flags
    reversed_ = log.status == REVERSED
    assert_binomial(reversed_[~log.is_true].sum(), n, 0.7, "false flags reversed")
    assert_binomial(reversed_[log.is_true].sum(), n, 0.05, "true flags reversed")


def test_without_appeals_nothing_is_reversed():
    ctx = score_ctx({"safeguards.appeals": False, "safeguards.dur_appeal": 2})
    scoring.step(ctx, add_flags(quiet_today(ctx, 0), np.arange(50), "online", "political",
                                False))
    for t in range(1, 6):
        scoring.step(ctx, Today(t))
    assert (ctx.state.flags.status == ACTIVE).all()
    assert (ctx.state.points_false[:50] > 0).all()


def test_appeal_under_forgiveness_gives_back_every_remaining_point():
    """Regression: the points given back must be what still weighs after forgiveness
    (end_flags once decayed them one day more than forgive() had)."""
    ctx = score_ctx({"safeguards.appeals": True, "safeguards.p_appeal_false": 1.0,
                     "safeguards.dur_appeal": 10, "safeguards.forgiveness": 0.05})
    s = ctx.state
    s.score[:] = s.score_start  # at rest: forgiveness alone would not move it
    scoring.step(ctx, add_flags(quiet_today(ctx, 0), [3], "online", "political", False))
    for t in range(1, 12):
        scoring.step(ctx, Today(t))
    assert s.flags.status[0] == REVERSED
    assert s.points_false[3] == pytest.approx(0.0, abs=1e-9)
    assert s.points_political[3] == pytest.approx(0.0, abs=1e-9)
    assert s.score[3] == pytest.approx(s.score_start[3], abs=1e-9)


# ------------------------------------------------------------------------ sunset
def test_sunset_expires_flags_and_gives_points_back():
    ctx = score_ctx({"safeguards.dur_sunset": 10})
    s, w = ctx.state, ctx.scenario.scoring.w_infraction
    start = s.score.copy()
    scoring.step(ctx, one_flag_day(ctx, 0, 5, "infraction", True))
    for t in range(1, 10):
        scoring.step(ctx, Today(t))
    assert s.flags.status[0] == ACTIVE and s.score[5] == pytest.approx(start[5] - w)
    scoring.step(ctx, Today(10))
    assert s.flags.status[0] == EXPIRED and s.flags.end_day[0] == 10
    assert s.score[5] == pytest.approx(start[5]) and s.points_true[5] == 0


@pytest.mark.parametrize("dur_appeal, dur_sunset, status, day", [
    (20, 10, EXPIRED, 10), (5, 10, REVERSED, 5)])
def test_the_earlier_of_appeal_and_sunset_ends_a_flag(dur_appeal, dur_sunset, status, day):
    ctx = score_ctx({"safeguards.appeals": True, "safeguards.p_appeal_false": 1.0,
                     "safeguards.dur_appeal": dur_appeal, "safeguards.dur_sunset": dur_sunset})
    scoring.step(ctx, one_flag_day(ctx, 0, 5))
    for t in range(1, 25):
        scoring.step(ctx, Today(t))
    assert ctx.state.flags.status[0] == status and ctx.state.flags.end_day[0] == day
    assert ctx.state.points_false[5] == 0


def test_without_sunset_a_flag_counts_for_its_kinds_retention_period():
    ctx = score_ctx({"safeguards.dur_sunset": 0, "scoring.dur_retention_infraction": 30})
    scoring.step(ctx, one_flag_day(ctx, 0, 5, "infraction", True))
    for t in range(1, 30):
        scoring.step(ctx, Today(t))
    assert ctx.state.flags.status[0] == ACTIVE and ctx.state.points_true[5] > 0
    scoring.step(ctx, Today(30))
    assert ctx.state.flags.status[0] == EXPIRED and ctx.state.flags.end_day[0] == 30
    assert ctx.state.points_true[5] == 0


def test_each_kind_of_flag_has_its_own_retention_and_a_shorter_sunset_wins():
    ctx = score_ctx({"scoring.dur_retention_political": 10,
                     "scoring.dur_retention_infraction": 50,
                     "scoring.dur_retention_disfavoured": 20,
                     "safeguards.dur_sunset": 15})
    today = one_flag_day(ctx, 0, 5, "political")
    add_flags(today, [6], SENSOR_OF["infraction"], "infraction", True)
    add_flags(today, [7], SENSOR_OF["disfavoured"], "disfavoured", True)
    scoring.step(ctx, today)
    for t in range(1, 60):
        scoring.step(ctx, Today(t))
    # political: its retention (10) before the sunset; the others: the sunset (15)
    np.testing.assert_array_equal(ctx.state.flags.end_day, [10, 15, 15])
    assert (ctx.state.flags.status == EXPIRED).all()


def test_flags_older_than_their_retention_no_longer_count_in_a_run():
    import panoptisim
    ret = {f"scoring.dur_retention_{c}": 25 for c in CATEGORIES}
    result = panoptisim.run("baseline", overrides={"population.size": 1500, "run.steps": 80,
                                                   **ret})
    log = result.final_state("treated").flags
    still = log.status == ACTIVE
    assert still.any() and (~still).any()
    assert (log.day[still] > 79 - 25).all()  # every flag still counting is recent
    old = log.day <= 79 - 25
    assert old.any() and not still[old].any()


# ------------------------------------------------------------------- forgiveness
def test_forgiveness_decays_the_score_toward_its_start():
    f = 0.1
    ctx = score_ctx({"safeguards.forgiveness": f})
    s = ctx.state
    s.score[:] = s.score_start - 100.0
    s.score[::2] = s.score_start[::2] + 50.0  # above the start, decays down
    gap0 = s.score - s.score_start
    for t in range(5):
        scoring.step(ctx, Today(t))
        np.testing.assert_allclose(s.score - s.score_start, gap0 * (1 - f) ** (t + 1),
                                   rtol=1e-9)
    # and the weight of past flags alike
    s.points_true[:] = 10.0
    s.n_flags_counting[:] = 1
    scoring.step(ctx, Today(5))
    np.testing.assert_allclose(s.points_true, 10.0 * (1 - f))


def test_no_forgiveness_keeps_the_score():
    ctx = score_ctx({"safeguards.forgiveness": 0.0})
    s = ctx.state
    s.score[:] = s.score_start - 100.0
    for t in range(5):
        scoring.step(ctx, Today(t))
    np.testing.assert_allclose(s.score, s.score_start - 100.0)


# ------------------------------------------------------------ association term
# (the charge per tie and tie kind, expiry and the sanction rules: test_association.py)
def test_no_association_points_outside_citizen():
    ctx = make_ctx({"scoring.regime": "sesame", "scoring.w_network": 20.0}, n=1000)
    s = ctx.state
    today = quiet_today(ctx, 0)
    add_flags(today, np.arange(0, 1000, 5), "online", "political", True)
    before = s.score.copy()
    scoring.step(ctx, today)
    np.testing.assert_array_equal(s.score, before)
    assert (s.points_association == 0).all() and len(s.association_log) == 0


# ---------------------------------------------------------------------- clipping
def test_scores_are_clipped_to_the_range():
    ctx = score_ctx({"scoring.w_repayment": 500.0})
    s, sc = ctx.state, ctx.scenario.scoring
    today = quiet_today(ctx, 0)
    add_flags(today, np.full(40, 3), "online", "political", True)  # 1200 points
    today.repaid_seen = np.zeros(s.n, bool)
    today.repaid_seen[4] = True                                       # +500
    scoring.step(ctx, today)
    assert s.score[3] == sc.score_min
    assert s.score[4] == sc.score_max
    assert (s.score >= sc.score_min).all() and (s.score <= sc.score_max).all()


def test_credits_for_seen_repayments_and_favoured_purchases():
    ctx = score_ctx()
    s, sc = ctx.state, ctx.scenario.scoring
    before = s.score.copy()
    today = quiet_today(ctx, 0)
    today.repaid_seen = np.arange(s.n) % 2 == 0
    today.favoured_seen = np.arange(s.n) % 3 == 0
    scoring.step(ctx, today)
    expected = sc.w_repayment * today.repaid_seen + sc.w_favoured * today.favoured_seen
    np.testing.assert_allclose(s.score - before, expected, atol=1e-9)


def test_credits_fade_so_a_clean_record_levels_off():
    """A credit counts for a while, not for ever: every day 1/dur_retention_credit of the
    credits still counting leaves the score, so an agent credited c points a day levels off
    at c x dur_retention_credit above its start instead of climbing without end."""
    ctx = score_ctx({"scoring.dur_retention_credit": 50, "scoring.score_max": 10_000.0})
    s, sc = ctx.state, ctx.scenario.scoring
    start = s.score.copy()
    paid = np.arange(s.n) % 2 == 0
    gained = []
    for t in range(600):
        today = quiet_today(ctx, t)
        today.repaid_seen = paid
        scoring.step(ctx, today)
        gained.append(float((s.score - start)[paid].mean()))
    level = sc.w_repayment * 50  # the fixed point of g -> g (1 - 1/50) + w
    assert gained[0] == pytest.approx(sc.w_repayment)
    assert gained[-1] == pytest.approx(level, rel=1e-3)
    assert gained[-1] - gained[-100] < 1e-3 * level  # level, not still climbing
    np.testing.assert_allclose(s.points_credit[paid], gained[-1], rtol=1e-9)
    assert np.all(s.score[~paid] == start[~paid])
    # one day without credits: the score falls by exactly the share that faded
    today = quiet_today(ctx, 600)
    before = s.score.copy()
    scoring.step(ctx, today)
    np.testing.assert_allclose((before - s.score)[paid], gained[-1] / 50, rtol=1e-9)


def test_adding_per_agent_touches_the_listed_agents_with_bincounts_sums():
    from panoptisim.scoring import PerAgentSums

    rng = np.random.default_rng(3)
    n = 500
    buffers = (np.zeros(n), np.zeros(n, bool))

    def add_per_agent(acc, agents, weights=None, sign=1):
        before = acc.copy()
        PerAgentSums(agents, buffers).add(acc, weights, sign)
        assert not buffers[0].any() and not buffers[1].any()  # left zeroed for the next sum
        return np.flatnonzero(acc != before)

    agents = rng.integers(0, n, 2000)
    weights = rng.random(2000) * 40
    for sign in (1, -1):
        acc = rng.random(n) * 600
        want = acc + sign * np.bincount(agents, weights=weights, minlength=n)
        touched = add_per_agent(acc, agents, weights, sign)
        np.testing.assert_array_equal(acc, want)  # the same sums, bit for bit
        np.testing.assert_array_equal(touched, np.unique(agents))
    counts = np.zeros(n, np.int32)
    add_per_agent(counts, agents)
    np.testing.assert_array_equal(counts, np.bincount(agents, minlength=n))
    assert counts.dtype == np.int32 and len(add_per_agent(counts, agents[:0])) == 0


def test_per_agent_totals_equal_unique_and_bincount_and_leave_the_buffers_zero():
    from panoptisim.scoring import PerAgentSums

    rng = np.random.default_rng(5)
    n = 400
    buffers = (np.zeros(n), np.zeros(n, bool))
    for dtype in (np.int32, np.int64):
        agents = rng.integers(0, n, 900).astype(dtype)
        for weights in (rng.random(900) * 30, (rng.random(900) * 30).astype(np.float32),
                        np.where(rng.random(900) < 0.5, -0.0, 0.0)):
            ids, sums = PerAgentSums(agents, buffers).total(weights)
            want_ids, inverse = np.unique(agents, return_inverse=True)
            np.testing.assert_array_equal(ids, want_ids)
            want = np.bincount(inverse, weights=weights, minlength=len(want_ids))
            assert np.array_equal(sums.view(np.int64), want.view(np.int64))  # signs of 0
            assert not buffers[0].any() and not buffers[1].any()
    with pytest.raises(TypeError, match="int32"):  # float sums are not cast into counts
        PerAgentSums(agents, buffers).add(np.zeros(n, np.int32), np.ones(900))


def test_per_agent_sums_over_a_subset_equal_bincount_of_the_subset():
    from panoptisim.scoring import PerAgentSums

    rng = np.random.default_rng(4)
    n = 300
    agents = rng.integers(0, n, 1500)
    weights = rng.random(1500) * 30
    where = rng.random(1500) < 0.2
    sums = PerAgentSums(agents, (np.zeros(n), np.zeros(n, bool)))
    for sign in (1, -1):
        acc = rng.random(n) * 600
        want = acc + sign * np.bincount(agents[where], weights=weights[where], minlength=n)
        sums.add(acc, weights, sign, where=where)
        np.testing.assert_array_equal(acc, want)
    untouched = np.setdiff1d(np.arange(n), agents[where])
    acc = np.full(n, -0.0)
    sums.add(acc, weights, 1, where=where)
    assert np.signbit(acc[untouched]).all()  # agents not in the subset are not touched


@pytest.mark.parametrize("per_agent", [False, True])
@pytest.mark.parametrize("split", [False, True])
def test_credits_fade_and_are_earned_in_one_pass_as_the_numpy_passes(per_agent, split,
                                                                    monkeypatch):
    """Also split in chunks over the threads (a core spare), across chunk boundaries."""
    from panoptisim import kernels
    rng = np.random.default_rng(5)
    n = 2 * cores.SPLIT_CHUNK + 5 if split else 1001
    calls = []
    if split:
        split_form = kernels._credits_split
        monkeypatch.setattr(kernels, "_credits_split",
                            lambda *a: calls.append(1) or split_form(*a))
        monkeypatch.setattr(cores, "SPLIT_MIN_AGENTS", 0)
        monkeypatch.setattr(cores, "threads", lambda: 2)
    score = rng.uniform(350, 950, n)
    credit = np.where(rng.random(n) < 0.6, rng.uniform(0, 40, n), 0.0)
    retention = rng.choice([90, 180], n) if per_agent else 180
    repaid, favoured = rng.random(n) < 0.05, rng.random(n) < 0.2
    w_repaid = rng.choice([2.0, 3.5], n) if per_agent else 2.0
    w_favoured = 0.7
    want_score, want_credit = score.copy(), credit.copy()
    fade = want_credit / retention
    want_score -= fade
    want_credit -= fade
    for weight, seen in ((w_repaid, repaid), (w_favoured, favoured)):
        earners = np.flatnonzero(seen)
        earned = weight[earners] if isinstance(weight, np.ndarray) else weight
        want_score[earners] += earned
        want_credit[earners] += earned
    kernels.credits(score, credit, retention, ((w_repaid, repaid), (w_favoured, favoured)))
    assert np.array_equal(score, want_score) and np.array_equal(credit, want_credit)
    assert calls == ([1] if split else [])
    # no one earns through a missing mask: fading alone
    before = score.copy()
    kernels.credits(score, credit, retention, ((w_repaid, None), (w_favoured, None)))
    assert (score <= before).all()


def test_association_residue_is_zeroed_in_one_pass_as_numpy_did():
    from panoptisim import kernels
    x = np.array([-1e-12, 0.0, 5e-10, 1e-9, 2.0, -3.0, np.nan, -0.0])
    want = np.maximum(x, 0.0)
    want[want < 1e-9] = 0.0
    kernels.zero_below(x, 1e-9)
    assert np.array_equal(x, want, equal_nan=True)
    assert not np.signbit(x[[0, 5, 7]]).any()  # no negative zero left
