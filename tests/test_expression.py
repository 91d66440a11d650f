"""Expression as preference falsification (Kuran 1995): the climate that every threshold can
reach, the consequence a flag would bring, safety in numbers, and the logit choice."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import ASSUMED_LADDER, assert_binomial, make_ctx, quiet_today, sanction_index
from scipy.special import expit

from panoptisim import behavior

N = 2000
ALL = np.arange(N)


def alike(ctx, dissent=0.7, threshold=0.2, certainty=0.0, score=800.0):
    """Make every agent alike, so that one attribute can be varied at a time."""
    s = ctx.state
    s.latent_dissent[:] = dissent
    s.expression_threshold = np.full(s.n, threshold, np.float32)  # fixed: replaced
    s.perceived_risk[:] = certainty
    s.score[:] = score
    s.perceived_penalty[:] = ctx.scenario.behavior.prior_penalty


# ---------------------------------------------------------------- the climate
def test_support_is_the_share_of_expected_chances_in_which_ties_spoke():
    ctx = make_ctx({"behavior.dur_support_memory": 5}, n=N)
    s, g, b = ctx.state, ctx.state.graph, ctx.scenario.behavior
    spoke = np.arange(N) % 7 == 0
    s.ti_voiced[spoke] = 10
    g.cut(np.flatnonzero(np.random.default_rng(2).random(len(g.indices)) < 0.3))
    s.active_degree = g.active_degree()
    live = g.active > 0
    count = np.bincount(g.sources[live], weights=spoke[g.indices[live]], minlength=N)
    q = 1 - (1 - b.p_political_chance) ** 5
    expected = np.minimum(count / np.maximum(s.active_degree * q, 1e-6), 1.0)
    for t in (11, 15):  # an expression counts on the dur_support_memory following days
        np.testing.assert_allclose(behavior.social_support(ctx, t), expected, rtol=1e-5)
    assert (behavior.social_support(ctx, 16) == 0).all()
    assert expected.max() > 0


def test_every_threshold_is_reachable():
    """When every tie speaks at each of its chances the climate is about 1 (the old measure,
    the share of ties who spoke, could not pass 1 - (1 - p)^memory)."""
    ctx = make_ctx({"behavior.p_political_chance": 0.05}, n=N)
    s, b = ctx.state, ctx.scenario.behavior
    rng = np.random.default_rng(4)
    days = b.dur_support_memory
    last = np.full(N, -1, np.int32)
    for t in range(days):  # everyone speaks at each chance
        last[rng.random(N) < b.p_political_chance] = t
    s.ti_voiced[:] = last
    support = behavior.social_support(ctx, days)  # read at the start of the next day
    has = s.active_degree >= 10
    # about 1 (below only by the cap at 1 of ties that had more chances than expected)
    assert float(support[has].mean()) > 0.85
    assert (support[has] >= 0.9).mean() > 0.4  # a threshold of 0.9 is often met


# ---------------------------------------------------------------- consequences
def consequence(ctx, score):
    ctx.state.score[:] = score
    return behavior.expected_consequence(ctx, ALL)


def test_consequence_is_being_caught_alone_far_from_every_threshold():
    ctx = make_ctx({"behavior.score_uncertainty": 20.0}, n=N)
    alike(ctx)
    b = ctx.scenario.behavior
    np.testing.assert_allclose(consequence(ctx, 950.0), b.value_flag, rtol=1e-6)
    # far under every threshold: nothing more to lose from one more flag
    under = consequence(ctx, 350.0)
    assert (under >= b.value_flag).all() and (under < b.value_flag + 0.15).all()


def test_consequence_peaks_just_above_a_threshold():
    ctx = make_ctx(n=N)
    alike(ctx)
    sc = ctx.scenario
    travel = sc.sanctions.threshold_travel_ban
    near = consequence(ctx, travel + sc.behavior.prior_penalty / 2)[0]
    far = consequence(ctx, travel + 200)[0]
    assert near > far + 3  # days of income
    # and it is what the sanctions would cost: their values times the crossing chances
    values = behavior.sanction_values(ctx)
    s = travel + sc.behavior.prior_penalty / 2
    expected = sc.behavior.value_flag + sum(
        v * behavior.crossing_chance(np.array([s]), sc.behavior.prior_penalty,
                                     getattr(sc.sanctions, f"threshold_{k}"),
                                     sc.behavior.score_uncertainty)[0]
        for k, v in zip(("travel_ban", "internet_throttled", "visa_denial", "shaming",
                         "employer_notified"), values, strict=True))
    expected += behavior.crossing_chance(np.array([s]), sc.behavior.prior_penalty,
                                         sc.sanctions.threshold_fast_track,
                                         sc.behavior.score_uncertainty)[0] \
        * sc.behavior.value_fast_track_day * sc.behavior.dur_discount_horizon
    assert near == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("overrides, arm", [({}, "control"),
                                            ({"surveillance.unseen": ["online", "cameras",
                                                                      "commerce", "financial",
                                                                      "informants"]},
                                             "treated")])
def test_no_consequence_where_no_scorer_is_known(overrides, arm):
    ctx = make_ctx(overrides, n=N, arm=arm)
    alike(ctx)
    assert (consequence(ctx, 560.0) == 0).all()


def test_without_sanctions_only_being_caught_costs():
    ctx = make_ctx({"sanctions.enabled": False}, n=N)
    alike(ctx)
    np.testing.assert_allclose(consequence(ctx, 560.0), ctx.scenario.behavior.value_flag)


@pytest.mark.parametrize("key, low, high, score", [
    ("sanctions.dur_travel_ban", 45, 720, 560.0),
    ("sanctions.rel_income_cut", 0.0, 0.9, 460.0),
    ("sanctions.dur_shaming", 15, 240, 510.0)])
def test_longer_or_harsher_sanctions_are_worse_consequences(key, low, high, score):
    a = make_ctx({key: low}, n=200, scenario=ASSUMED_LADDER)  # scores placed on its ladder
    b = make_ctx({key: high}, n=200, scenario=ASSUMED_LADDER)
    alike(a, score=score)
    alike(b, score=score)
    agents = np.arange(200)
    assert (behavior.expected_consequence(b, agents)
            > behavior.expected_consequence(a, agents) + 0.05).all()


def test_long_sanctions_are_discounted():
    """Present bias: 4x the days is worth far less than 4x (Nagin 2013)."""
    h = 90.0
    assert behavior.discounted_days(1.0, h) == pytest.approx(1.0, rel=0.01)
    four = behavior.discounted_days(720.0, h) / behavior.discounted_days(180.0, h)
    assert 1.0 < four < 1.2


def test_visible_punishment_of_ties_makes_consequences_salient():
    ctx = make_ctx(n=N)
    alike(ctx)
    before = consequence(ctx, 900.0).copy()
    ctx.state.sanction_days_left[sanction_index("shaming"), ::3] = 30
    after = consequence(ctx, 900.0)
    assert (after >= before - 1e-12).all() and (after > before * 1.1).mean() > 0.5


def test_perceived_penalty_is_published_when_transparent_and_learnt_when_opaque():
    clear = make_ctx({"safeguards.transparent": True, "scoring.w_political": 50.0}, n=N)
    opaque = make_ctx({"scoring.w_political": 50.0}, n=N)
    alike(clear)
    alike(opaque)
    assert np.all(behavior.perceived_penalty(clear, ALL) == 50.0)
    np.testing.assert_allclose(behavior.perceived_penalty(opaque, ALL),
                               opaque.scenario.behavior.prior_penalty)


# ---------------------------------------------------------------- the choice
def test_expression_probability_matches_the_utility():
    ctx = make_ctx(n=N)
    s, b = ctx.state, ctx.scenario.behavior
    alike(ctx, score=600.0)
    r = np.random.default_rng(0)
    s.perceived_risk[:] = r.random(N).astype(np.float32)
    s.latent_dissent[:] = r.random(N).astype(np.float32)
    support = r.random(N).astype(np.float32)
    certainty = s.perceived_risk * (1 - b.rel_safety_in_numbers * support)
    consequence = behavior.expected_consequence(ctx, ALL)
    assert (consequence > b.value_flag + 1).all()  # near the travel ban: sanctions at stake
    expected = expit(b.intercept + b.beta_dissent * (s.latent_dissent - 0.5)
                     + b.beta_support * (support - s.expression_threshold)
                     - b.beta_cost * certainty * consequence)
    np.testing.assert_allclose(behavior.expression_probability(ctx, ALL, support), expected,
                               rtol=1e-5, atol=1e-7)


def test_certainty_deters_only_where_there_is_a_consequence():
    # the assumed weight of the cost (0.5): certainty's pull is large enough to measure
    treated = make_ctx(n=N, scenario=ASSUMED_LADDER)
    control = make_ctx(n=N, arm="control", scenario=ASSUMED_LADDER)
    for ctx in (treated, control):
        alike(ctx, score=560.0)
        ctx.state.perceived_risk[:] = np.linspace(0, 1, N, dtype=np.float32)
    flat = np.full(N, 0.2, np.float32)
    p = behavior.expression_probability(treated, ALL, flat)
    assert (np.diff(p) <= 0).all() and p[0] - p[-1] > 0.3
    assert np.ptp(behavior.expression_probability(control, ALL, flat)) == 0


def test_safety_in_numbers():
    """Many ties speaking lowers the perceived chance of punishment (Epstein 2002): with the
    climate's reputational weight off, the climate still raises expression, through it."""
    def gain(safety):
        ctx = make_ctx({"behavior.rel_safety_in_numbers": safety,
                        "behavior.beta_support": 0.0}, n=N, scenario=ASSUMED_LADDER)
        alike(ctx, certainty=0.6, score=560.0)
        lo = behavior.expression_probability(ctx, ALL, np.zeros(N, np.float32))
        hi = behavior.expression_probability(ctx, ALL, np.ones(N, np.float32))
        return float((hi - lo).mean())
    assert gain(0.0) == 0.0 and gain(0.8) > 0.05
    assert behavior.effective_certainty(0.6, 1.0, 0.5) == pytest.approx(0.3)


def test_expressed_share_follows_the_probability():
    ctx = make_ctx({"behavior.p_political_chance": 1.0}, n=N)
    alike(ctx, dissent=0.6, certainty=0.5, score=560.0)
    p = float(behavior.expression_probability(ctx, ALL, np.zeros(N, np.float32))[0])
    today = quiet_today(ctx, 0)
    behavior.step(ctx, today)
    assert today.political_chance.all()
    assert_binomial(today.expressed.sum(), N, p, "expressions")
    np.testing.assert_array_equal(ctx.state.ti_expressed[today.expressed], 0)


def test_no_consequence_in_a_region_whose_scorer_is_unknown():
    """Regional rules: agents of a region whose feeds run unseen expect nothing, while the
    other region's agents expect at least the cost of being caught."""
    ctx = make_ctx({"surveillance.unseen": []}, n=N)
    from panoptisim.regime import make_arm
    from panoptisim.rules import Rules
    sc = ctx.scenario
    hidden = sc.model_copy(update={"surveillance": sc.surveillance.model_copy(
        update={"unseen": ["online", "cameras", "commerce", "financial", "informants"]})})
    region = np.arange(N) % 2
    ctx.arm = make_arm("treated", Rules([sc, hidden], region.astype(np.int8)))
    alike(ctx, score=600.0)
    c = behavior.expected_consequence(ctx, ALL)
    assert (c[region == 1] == 0).all() and (c[region == 0] >= sc.behavior.value_flag).all()


def test_climate_in_one_pass_is_the_float32_numpy_expression():
    from panoptisim import kernels
    rng = np.random.default_rng(12)
    degree = rng.integers(0, 40, 3001).astype(np.float32)
    spoke = np.minimum(rng.poisson(2.0, 3001), degree).astype(np.int32)
    share = behavior.chance_share(0.05, 7)
    expected = degree * np.float32(share)
    want = np.minimum(spoke.astype(np.float32) / np.maximum(expected, np.float32(1e-6)),
                      1.0).astype(np.float32)
    got = kernels.climate(spoke, degree, share)
    assert got.dtype == np.float32 and np.array_equal(got, want)
    assert got.max() == 1.0 and (got[degree == 0] == 0).all()


# ---------------------------------------------------------------- the compiled pass
def bits(x):
    """The float64 values' bit patterns (NaN and signed zeros compared exactly)."""
    return np.asarray(x, np.float64).view(np.uint64)


def unsettled(ctx, seed=3):
    """Scores spread over every threshold (some exactly on one), random beliefs, learnt
    penalties some of them nil or negative, and a fifth of the agents on a public list."""
    s, r = ctx.state, np.random.default_rng(seed)
    s.score[:] = r.uniform(250.0, 1050.0, s.n)
    s.score[::97] = ctx.scenario.sanctions.threshold_travel_ban
    s.score[1::89] = ctx.scenario.sanctions.threshold_fast_track
    s.perceived_risk[:] = r.random(s.n)
    s.latent_dissent[:] = r.random(s.n)
    s.perceived_penalty[:] = r.uniform(-10.0, 80.0, s.n)
    s.perceived_penalty[::50] = 0.0
    s.sanction_days_left[sanction_index("shaming"), ::5] = 20
    support = r.random(s.n).astype(np.float32)
    agents = np.flatnonzero(r.random(s.n) < 0.4)
    return agents, support


def two_regions(overrides, south, n=N):
    """Agents alternate between the scenario's rules and ``south``'s changes to them
    (sections -> fields), e.g. other thresholds and published rules."""
    from panoptisim.regime import make_arm
    from panoptisim.rules import Rules
    ctx = make_ctx(overrides, n=n)
    sc = ctx.scenario
    other = sc.model_copy(update={
        section: getattr(sc, section).model_copy(update=fields)
        for section, fields in south.items()})
    ctx.arm = make_arm("treated", Rules([sc, other], (np.arange(n) % 2).astype(np.int8)))
    return ctx


SOUTH = {"sanctions": {"threshold_travel_ban": 640.0, "threshold_shaming": 700.0,
                       "threshold_fast_track": 880.0, "dur_travel_ban": 365,
                       "rel_income_cut": 0.5},
         "safeguards": {"transparent": True}, "scoring": {"w_political": 35.0}}
CASES = {
    "opaque": lambda: make_ctx(n=N),
    "published": lambda: make_ctx({"safeguards.transparent": True,
                                   "scoring.w_political": 50.0}, n=N),
    "no salience": lambda: make_ctx({"behavior.rel_consequence_salience": 0.0}, n=N),
    "strong salience": lambda: make_ctx({"behavior.rel_consequence_salience": 3.0}, n=N),
    "no sanctions": lambda: make_ctx({"sanctions.enabled": False}, n=N),
    "control": lambda: make_ctx(n=N, arm="control"),
    "two regions": lambda: two_regions({}, SOUTH),
    "one region sanctions": lambda: two_regions({"sanctions.enabled": False},
                                                {"sanctions": {"enabled": True}}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_compiled_pass_is_the_numpy_chain_bit_for_bit(case):
    """expression_probability (one compiled pass) equals the chain of numpy arrays of
    expected_consequence, effective_certainty, expression_utility and expit, bit for bit."""
    ctx = CASES[case]()
    agents, support = unsettled(ctx)
    want = behavior.expression_probability_reference(ctx, agents, support)
    got = behavior.expression_probability(ctx, agents, support)
    assert got.dtype == np.float64 and np.array_equal(bits(got), bits(want))
    assert np.ptp(want) > 0.1  # the inputs matter
    with_consequence = behavior.expected_consequence(ctx, agents) > \
        ctx.scenario.behavior.value_flag + 1.0
    assert with_consequence.any() == (case not in ("control", "no sanctions"))


def test_the_two_region_case_reads_the_rules_per_region():
    """The regional cases run the pass's per-region table, and the regions' consequences
    differ, so the test above covers that path."""
    from panoptisim import expression
    ctx = two_regions({}, SOUTH)
    table, regional = behavior.expression_rules(ctx)
    assert regional and table.shape == (2, expression.COLUMNS)
    assert np.isnan(table[0, expression.PUBLISHED]) and table[1, expression.PUBLISHED] == 35.0
    assert not behavior.expression_rules(make_ctx(n=N))[1]


def test_the_pass_draws_the_decision_of_behavior_expression():
    """With ``expressed``, the pass decides as the draw of behavior.expression compared with
    the probability (what behavior.step did with the two arrays)."""
    ctx = make_ctx(n=N)
    agents, support = unsettled(ctx)
    p = behavior.expression_probability_reference(ctx, agents, support)
    want = np.zeros(N, bool)
    want[agents] = ctx.streams.uniform_at("behavior.expression", 9, agents) < p
    expressed = np.zeros(N, bool)
    got = behavior.expression_probability(ctx, agents, support, expressed, 9)
    assert np.array_equal(bits(got), bits(p)) and np.array_equal(expressed, want)
    assert 0.1 * len(agents) < want.sum() < 0.9 * len(agents)


def test_the_pass_is_scipy_ndtr_and_expit():
    """The functions the pass calls are scipy's, bit for bit, at the extremes too."""
    import numba as nb
    from scipy.special import ndtr

    from panoptisim import expression

    @nb.njit
    def both(x):
        a, b = np.empty(len(x)), np.empty(len(x))
        for i in range(len(x)):
            a[i], b[i] = expression.ndtr(x[i], 0), expression.expit(x[i], 0)
        return a, b

    r = np.random.default_rng(5)
    x = np.concatenate([r.normal(0.0, 3.0, 20000), r.normal(0.0, 30.0, 20000),
                        [np.inf, -np.inf, np.nan, 40.0, -40.0, 0.0, -0.0, 1e-300, 709.0,
                         -745.0, 1e308, -1e308]])
    a, b = both(x)
    assert np.array_equal(bits(a), bits(ndtr(x))) and np.array_equal(bits(b), bits(expit(x)))


def test_the_pass_wants_the_states_float32():
    ctx = make_ctx(n=N)
    with pytest.raises(TypeError, match="float32"):
        behavior.expression_probability(ctx, ALL, np.zeros(N))


@pytest.mark.parametrize("regions", [1, 2])
def test_the_pass_split_over_threads_gives_the_same_bits(regions, monkeypatch):
    """Split in chunks over the threads (when a core is spare), each agent's probability
    and decision are those of the one-thread pass."""
    from panoptisim import cores, expression
    n = 12000
    ctx = make_ctx(n=n) if regions == 1 else two_regions({}, SOUTH, n=n)
    agents, support = unsettled(ctx)
    assert len(agents) > 2 * expression.CHUNK  # several chunks
    calls = []
    runs = {}
    for split in (False, True):
        monkeypatch.setattr(cores, "may_split", lambda split=split: calls.append(split)
                            or split)
        expressed = np.zeros(n, bool)
        runs[split] = behavior.expression_probability(ctx, agents, support, expressed, 4), \
            expressed
    assert calls == [False, True]  # asked, and told to split the second time
    assert np.array_equal(bits(runs[True][0]), bits(runs[False][0]))
    assert np.array_equal(runs[True][1], runs[False][1]) and runs[True][1].any()
