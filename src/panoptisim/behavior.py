"""Stage 1, behaviour: what every agent does today, before anyone watches.

Political expression is Kuran (1995)'s preference falsification as a logit choice (McFadden
1974): expressive utility grows with latent dissent; reputational utility with the
expressed climate among one's live ties relative to one's own threshold (Granovetter 1978;
Noelle-Neumann 1974); the expected cost is the perceived certainty of punishment (learned
from evidence: ``perception``), lowered when many speak (safety in numbers), times the
consequence a flag would bring this agent: the sanctions and privileges its score would
cross, by their discounted length and effects (Becker 1968; Nagin 2013). Everyday
behaviour (benign posts, purchases, infractions) is deterred in proportion to perceived
certainty where agents believe it is scored: under opaque rules they believe everything
may be (over-deterrence). Every draw is the counter-based draw of its (purpose, day, agent)
(``panoptisim.philox``), made inside one compiled pass per decision or only for the agents
who take the decision today, so both arms see the same random numbers agent by agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit, ndtr

from panoptisim import philox, tiecounts
from panoptisim.context import Context
from panoptisim.network import Graph
from panoptisim.rules import at
from panoptisim.state import SANCTIONS, Today


def expressed_recently(ctx: Context, t: int) -> np.ndarray:
    """Agents whose expression of dissent counts as support on day ``t`` (bool, (n,)): their
    last visible one (``ti_voiced``: not deleted by the censor) was on one of the
    ``behavior.dur_support_memory`` days before day ``t``.

    Read at the start of day ``t``, before anyone expresses on day ``t``; at the end of day
    ``t`` the same set for ``t + 1`` includes that day's expressions.
    """
    s = ctx.state
    memory = ctx.scenario.behavior.dur_support_memory
    return (s.ti_voiced >= 0) & (t - s.ti_voiced <= memory)


def chance_share(p_chance: float, memory: int) -> float:
    """Share of one's ties expected to have had at least one chance to speak in the last
    ``memory`` days: ``1 - (1 - p)^memory``."""
    return 1.0 - (1.0 - p_chance) ** memory


def social_support(ctx: Context, t: int) -> np.ndarray:
    """The expressed climate among each agent's live ties (share, [0, 1]): of the chances to
    speak its ties are expected to have had in the support memory, the share in which they
    spoke dissent (Noelle-Neumann 1974's quasi-statistical sense). Every threshold in
    [0, 1] is reachable: when every tie speaks at each chance the support is about 1."""
    from panoptisim import kernels  # numba loads on first use, not at import
    s, b = ctx.state, ctx.scenario.behavior
    check = "recent speakers" if ctx.scenario.run.check_tie_counts else None
    spoke = tiecounts.follow(s.graph, s.speakers_counted, s.ties_to_speakers,
                             expressed_recently(ctx, t), check)
    # min(spoke / max(live ties x the share expected to have had a chance, 1e-6), 1)
    return kernels.climate(spoke, s.active_degree,
                           chance_share(b.p_political_chance, b.dur_support_memory))


def support_share(graph: Graph, expressed: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Share of each agent's live ties among ``expressed`` (0 with no live tie): the support
    in the deterministic limit where every tie has a chance to speak every day.

    ``expressed`` may be (n,) or (n, k) for k independent scenarios at once (then ``degree``
    is (n, 1)). This is the support of the threshold rule (Granovetter 1978; Watts 2002).
    """
    return graph.neighbour_sum(expressed) / np.maximum(degree, 1.0)


def discounted_days(days: np.ndarray | float, horizon: float) -> np.ndarray | float:
    """Present value, in days, of ``days`` consecutive days starting now, discounted at
    ``1 / horizon`` a day: ``horizon (1 - exp(-days / horizon))``. Long sanctions are worth
    less than their length: the present bias that makes severity a weak deterrent (Nagin
    2013; Lee & McCrary 2017)."""
    return horizon * -np.expm1(-np.asarray(days, np.float64) / horizon)


def sanction_values(ctx: Context, rule: Callable[[str], Any] | None = None
                    ) -> list[np.ndarray | float]:
    """What each sanction (``SANCTIONS`` order) costs the agent who gets it, in days of its
    income, discounted over ``behavior.dur_discount_horizon``: its daily cost (trips and
    visa applications blocked, posts throttled, public shaming, the income cut) times the
    discounted length of the sanction. ``rule`` reads a rule (default ``ctx.rules.of``: per
    agent; :func:`expression_rules` passes one that reads it per region)."""
    b, rule = ctx.scenario.behavior, ctx.rules.of if rule is None else rule
    daily = {
        "travel_ban": b.p_trip * b.value_trip,
        "internet_throttled": (1.0 - rule("sanctions.rel_post_throttled"))
        * b.value_internet_day,
        "visa_denial": b.p_visa_application * b.value_visa,
        "shaming": b.value_shaming_day,
        "employer_notified": rule("sanctions.rel_income_cut"),
    }
    return [daily[kind] * discounted_days(rule(f"sanctions.dur_{kind}"),
                                          b.dur_discount_horizon)
            for kind in SANCTIONS]


def crossing_chance(score: np.ndarray, penalty: np.ndarray | float,
                    threshold: np.ndarray | float, uncertainty: float) -> np.ndarray:
    """Chance that one more penalty of ``penalty`` points makes the difference between being
    above ``threshold`` and under it, for an agent that knows its score to within
    ``uncertainty`` points (normal): ``Phi((thr - s + P)/sd) - Phi((thr - s)/sd)``. Nearly
    nil far above a threshold and far under it (already sanctioned)."""
    z = (np.asarray(threshold, np.float64) - score) / uncertainty
    return ndtr(z + np.asarray(penalty, np.float64) / uncertainty) - ndtr(z)


def perceived_penalty(ctx: Context, agents: np.ndarray) -> np.ndarray | float:
    """Points agents ``agents`` expect to lose per flagged dissenting post: the published
    weight under transparent rules; under opaque rules what each has learnt
    (``State.perceived_penalty``: a rumoured prior, moved toward the points of its own
    political flags). People see who is caught but rarely what the penalty is, so
    perceived severity follows actual severity loosely (Kleck et al. 2005; Nagin 2013)."""
    published = ctx.arm.per_agent("published_political_penalty")
    if isinstance(published, np.ndarray):
        published = published[agents]
    if np.all(np.isfinite(published)):
        return published
    learnt = ctx.state.perceived_penalty[agents]
    return np.where(np.isfinite(published), published, learnt)


def expected_consequence(ctx: Context, agents: np.ndarray) -> np.ndarray:
    """The consequence that agents ``agents`` expect from one flagged dissenting post, in
    days of income (Becker 1968's severity, as the agent sees it): for each sanction, the
    chance that the penalty tips the agent's score under its threshold times what the
    sanction would cost it (``sanction_values``), plus the fast-track privileges it would
    lose, plus what being caught costs by itself (``behavior.value_flag``: the informal
    sanctions of apprehension, Nagin 2013; Williams & Hawkins 1986); all scaled up by the
    share of its ties visibly sanctioned (public shaming and blacklists make consequences
    salient: ``behavior.rel_consequence_salience``).
    Nil where no scorer is known, or none would sanction. The readable reference of the
    compiled pass that runs (``panoptisim.expression``: the same bits)."""
    s, arm, b = ctx.state, ctx.arm, ctx.scenario.behavior
    penalty = perceived_penalty(ctx, agents)
    if np.all(penalty <= 0) or len(agents) == 0:
        return np.zeros(len(agents), np.float64)
    score = s.score[agents]
    sigma = b.score_uncertainty

    # being caught costs something by itself, whatever the score does
    total = np.full(len(agents), b.value_flag, np.float64)
    sanctioning = arm.per_agent("sanctions")
    if np.any(sanctioning):
        for kind, value in zip(SANCTIONS, sanction_values(ctx), strict=True):
            threshold = at(ctx.rules.of(f"sanctions.threshold_{kind}"), agents)
            total += crossing_chance(score, penalty, threshold, sigma) * at(value, agents) \
                * at(sanctioning, agents)
        # fast track: a privilege held at or above its threshold, lost under it
        fast = at(ctx.rules.of("sanctions.threshold_fast_track"), agents)
        total += crossing_chance(score, penalty, fast, sigma) * b.value_fast_track_day \
            * b.dur_discount_horizon * at(sanctioning, agents)
    if b.rel_consequence_salience > 0:
        check = "marked agents" if ctx.scenario.run.check_tie_counts else None
        marked = tiecounts.follow(s.graph, s.marked_counted, s.ties_to_marked, s.marked(),
                                  check)
        if s.marked_counted.any():
            share = marked[agents].astype(np.float32) / np.maximum(s.active_degree[agents],
                                                                   1.0)
            total *= 1.0 + b.rel_consequence_salience * share
    # nil for an agent who expects no penalty (its region's scorer unknown or not scoring
    # politics under published rules), even when others' regions do
    return np.where(np.asarray(penalty) > 0, total, 0.0) if np.any(penalty <= 0) else total


def effective_certainty(certainty: np.ndarray | float, support: np.ndarray | float,
                        safety_in_numbers: float) -> np.ndarray | float:
    """Perceived chance of being punished for speaking now: the learned certainty, lowered
    as more of one's ties speak (safety in numbers: a regime cannot punish everyone;
    Epstein 2002's arrest probability falls with the number of actives; Kuran 1991)."""
    return certainty * (1.0 - safety_in_numbers * support)


def expression_utility(latent_dissent: np.ndarray | float, support: np.ndarray | float,
                       threshold: np.ndarray | float, certainty: np.ndarray | float,
                       consequence: np.ndarray | float, *, intercept: float,
                       beta_dissent: float, beta_support: float, beta_cost: float
                       ) -> np.ndarray | float:
    """Logit utility of expressing one's dissenting view (array-level, no context), Kuran
    1995's preference falsification as a random-utility choice (McFadden 1974): expressive
    ``beta_dissent (d - 0.5)``, reputational ``beta_support (support - threshold)`` and the
    expected cost ``beta_cost certainty consequence``, plus ``intercept``. The probability
    of expressing is its logistic function; its deterministic limit (express iff the
    utility is at least 0) is the threshold rule of Granovetter 1978 and Watts 2002."""
    return (intercept + beta_dissent * (latent_dissent - 0.5)
            + beta_support * (support - threshold)
            - beta_cost * certainty * consequence)


def _by_region(ctx: Context, key: str) -> Any:
    """Rule ``key`` as ``ctx.rules.of`` has it but by region: the value itself when all
    regions agree, else an array over regions (``ctx.rules.of`` is it indexed by each
    agent's region)."""
    rules = ctx.rules
    return rules.table(key)[0] if rules.uniform(key) else np.asarray(rules.table(key))


def expression_rules(ctx: Context) -> tuple[np.ndarray, bool]:
    """The rules the expected consequence reads, one row per region (the compiled pass's
    ``expression.COLUMNS``, float64), and whether they differ by region (else one row,
    read for every agent): what :func:`expected_consequence` reads per agent, computed
    once per region."""
    from panoptisim.expression import COLUMNS  # numba loads on first use, not at import
    columns: list[Any] = [_by_region(ctx, f"sanctions.threshold_{kind}") for kind in SANCTIONS]
    columns.append(_by_region(ctx, "sanctions.threshold_fast_track"))
    columns += sanction_values(ctx, lambda key: _by_region(ctx, key))
    columns.append(np.asarray(ctx.arm.region_values("sanctions"), np.float64))
    columns.append(np.asarray(ctx.arm.region_values("published_political_penalty"),
                              np.float64))
    table = np.empty((len(ctx.rules.regions), COLUMNS), np.float64)
    for c, column in enumerate(columns):
        table[:, c] = column
    # bit for bit (a NaN or a signed zero in one region differs like any other value)
    regional = bool((table.view(np.uint64) != table[:1].view(np.uint64)).any())
    return (table if regional else np.ascontiguousarray(table[:1])), regional


def expression_probability(ctx: Context, agents: np.ndarray, support: np.ndarray,
                           expressed: np.ndarray | None = None, day: int = 0) -> np.ndarray:
    """Probability that agents ``agents`` (given a chance to post) express their dissenting
    view; ``support`` (float32) is every agent's: the logistic function (float64) of
    ``expression_utility`` with ``effective_certainty`` and ``expected_consequence``,
    computed for all of them in one compiled pass (``panoptisim.expression``), bit for bit
    what those functions give (:func:`expression_probability_reference`). With
    ``expressed`` (bool, (n,)), also whether each does on ``day``: its draw of
    ``behavior.expression`` under the probability (``expressed[agents]`` written in
    place)."""
    from panoptisim import expression  # numba loads on first use, not at import
    s, b, arm = ctx.state, ctx.scenario.behavior, ctx.arm
    agents = np.asarray(agents, np.int64)
    if len(agents) == 0:
        return np.zeros(0, np.float64)
    arrays = (support, s.perceived_risk, s.latent_dissent, s.expression_threshold)
    if any(a.dtype != np.float32 for a in arrays):
        raise TypeError("expression: support, perceived_risk, latent_dissent and "
                        "expression_threshold must be float32 (the State's dtypes)")
    table, regional = expression_rules(ctx)
    region = np.ascontiguousarray(ctx.rules.region_of) if regional else expression.ONE_REGION
    published = table[0, expression.PUBLISHED]
    if not regional and np.isfinite(published):  # one published penalty for everyone
        every = some = bool(published <= 0.0)
    else:
        every, some = expression.penalty_signs(agents, table, region, regional,
                                               s.perceived_penalty)
    cost = not every
    sanctions = bool(np.any(arm.per_agent("sanctions")))
    salient = False
    marked, degree = s.ties_to_marked, s.active_degree
    if cost and b.rel_consequence_salience > 0:  # counted where expected_consequence does
        check = "marked agents" if ctx.scenario.run.check_tie_counts else None
        marked = tiecounts.follow(s.graph, s.marked_counted, s.ties_to_marked, s.marked(),
                                  check)
        salient = bool(s.marked_counted.any())
    f32 = tuple(np.float32(x) for x in (b.intercept, b.beta_dissent, b.beta_support,
                                        b.beta_cost, b.rel_safety_in_numbers,
                                        b.rel_consequence_salience))
    f64 = tuple(np.float64(x) for x in (b.value_flag, b.score_uncertainty,
                                        b.value_fast_track_day, b.dur_discount_horizon))
    if expressed is None:
        expressed, key = np.zeros(0, np.bool_), (np.uint32(0), np.uint32(0), np.uint32(0))
    else:
        k0, k1 = ctx.streams.key("behavior.expression")
        key = (np.uint32(k0), np.uint32(k1), np.uint32(day & 0xFFFFFFFF))
    return expression.express(agents, support, s.perceived_risk, s.latent_dissent,
                              s.expression_threshold, s.score, s.perceived_penalty, table,
                              region, regional, marked, degree,
                              (cost, sanctions, salient, some and cost), f32, f64, key,
                              expressed)


def expression_probability_reference(ctx: Context, agents: np.ndarray, support: np.ndarray
                                     ) -> np.ndarray:
    """:func:`expression_probability` as the chain of numpy arrays of the functions above:
    the readable reference of the compiled pass (tests/test_expression.py)."""
    s, b = ctx.state, ctx.scenario.behavior
    sup = support[agents]
    certainty = effective_certainty(s.perceived_risk[agents], sup, b.rel_safety_in_numbers)
    utility = expression_utility(s.latent_dissent[agents], sup,
                                 s.expression_threshold[agents], certainty,
                                 expected_consequence(ctx, agents),
                                 intercept=b.intercept, beta_dissent=b.beta_dissent,
                                 beta_support=b.beta_support, beta_cost=b.beta_cost)
    return expit(np.asarray(utility, np.float64))


def deterred_share(ctx: Context) -> np.ndarray:
    """Share of a scored behaviour each agent forgoes when it believes the behaviour is
    scored: ``behavior.rel_deterrence`` x perceived certainty, at most 1."""
    return np.minimum(ctx.scenario.behavior.rel_deterrence * ctx.state.perceived_risk, 1.0)


def deterrence(ctx: Context, category: str, share: np.ndarray | None = None
               ) -> np.ndarray | float:
    """Share of a behaviour an agent forgoes for fear it is scored (0 when not believed);
    ``share``: today's :func:`deterred_share`, if already computed."""
    believed = ctx.arm.believed_scored(category)
    if not np.any(believed):
        return 0.0
    share = deterred_share(ctx) if share is None else share
    return share if np.all(believed) else np.where(believed, share, 0.0)


def step(ctx: Context, today: Today) -> None:
    """Draw today's expression, posts, purchases, infractions, payments, trips and visas."""
    s, b, t, streams = ctx.state, ctx.scenario.behavior, today.t, ctx.streams
    n = s.n

    def happens(purpose: str, p: float, **per_agent) -> np.ndarray:
        return philox.happens(streams.key(purpose), t, n, p, **per_agent)

    throttled = s.sanctioned("internet_throttled")
    post_factor = np.where(throttled, ctx.rules.of("sanctions.rel_post_throttled"), 1.0) \
        if throttled.any() else 1.0

    today.support = social_support(ctx, t)
    today.political_chance = happens("behavior.political_chance", b.p_political_chance,
                                     times=post_factor)
    chance = np.flatnonzero(today.political_chance)
    today.expressed = np.zeros(n, bool)
    # expressed where the draw of behavior.expression is under expression_probability: one
    # compiled pass over the agents with a chance, the draws made inside it
    expression_probability(ctx, chance, today.support, today.expressed, t)
    s.ti_expressed[today.expressed] = t
    voiced = np.flatnonzero(today.expressed)  # visible unless the censor deletes it (sensors)
    today.voiced_before = s.ti_voiced[voiced]
    s.ti_voiced[voiced] = t

    scored = ("benign", "disfavoured", "infraction")  # one share for the three of them
    share = deterred_share(ctx) if any(np.any(ctx.arm.believed_scored(c)) for c in scored) \
        else None
    today.benign_post = happens("behavior.benign_post", b.p_benign_post, times=post_factor,
                                forgone=deterrence(ctx, "benign", share))
    today.purchase = happens("behavior.purchase", b.p_purchase)
    today.disfavoured = happens("behavior.disfavoured", b.p_disfavoured,
                                forgone=deterrence(ctx, "disfavoured", share),
                                among=today.purchase)
    today.infraction = happens("behavior.infraction", b.p_infraction,
                               forgone=deterrence(ctx, "infraction", share))
    today.outdoors = happens("behavior.outdoors", b.p_outdoors)

    interval = b.dur_payment_interval
    # due when (t + offset) is a multiple of the interval: offsets are in [0, interval)
    today.payment_due = s.has_loan & (s.payment_offset == (-t) % interval)
    due = np.flatnonzero(today.payment_due)  # a payment a month: the rest owe nothing today
    notified = s.sanction_days_left[SANCTIONS.index("employer_notified"), due] > 0
    income = s.income_base[due] * np.where(
        notified, 1.0 - at(ctx.rules.of("sanctions.rel_income_cut"), due), 1.0)
    p_default = np.minimum(
        b.p_default_base * (ctx.median_income / income)
        ** b.rel_default_income, 1.0)
    today.defaulted = np.zeros(n, bool)
    today.defaulted[due] = streams.uniform_at("behavior.default", t, due) < p_default
    today.repaid = today.payment_due & ~today.defaulted

    today.trip_wanted = happens("behavior.trip", b.p_trip)
    today.travel_denied = today.trip_wanted & s.sanctioned("travel_ban")
    today.visa_wanted = happens("behavior.visa", b.p_visa_application)
    today.visa_denied = today.visa_wanted & s.sanctioned("visa_denial")
