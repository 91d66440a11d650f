"""Stage 1, behaviour: what every agent does today, before anyone watches.

Political expression is a logit choice (McFadden 1974) whose utility grows with latent
dissent and with social support relative to the agent's own threshold (Granovetter 1978;
Kuran 1995) and falls with perceived risk times perceived loss (Becker 1968). Everyday
behaviour (benign posts, purchases, infractions) is deterred in proportion to perceived
risk where agents believe it is scored: under opaque rules they believe everything may be
(over-deterrence). Every draw is a full-length array from a per-purpose, per-day stream,
so both arms see the same random numbers agent by agent.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from panoptisim.context import Context
from panoptisim.network import Graph
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


def social_support(ctx: Context, t: int) -> np.ndarray:
    """Share of each agent's live ties who expressed dissent within the support memory."""
    s = ctx.state
    recent = expressed_recently(ctx, t).astype(np.float32)
    return support_share(s.graph, recent, s.active_degree)


def support_share(graph: Graph, expressed: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Share of each agent's live ties among ``expressed`` (0 with no live tie).

    ``expressed`` may be (n,) or (n, k) for k independent scenarios at once (then ``degree``
    is (n, 1)). This is the support of the threshold rule (Granovetter 1978; Watts 2002).
    """
    return graph.neighbour_sum(expressed) / np.maximum(degree, 1.0)


def perceived_loss(ctx: Context) -> np.ndarray:
    """Loss an agent expects from one flagged dissenting post, in hundreds of points.

    Larger (by ``rel_cliff_loss``) when the penalty would push the score under a sanction
    threshold the agent is still above.
    """
    s, arm = ctx.state, ctx.arm
    penalty = arm.per_agent("perceived_political_penalty")
    if np.all(penalty <= 0):
        return np.zeros(s.n, np.float32)
    cliff = np.zeros(s.n, bool)
    sanctioned = arm.per_agent("sanctions")
    if np.any(sanctioned):
        for kind in SANCTIONS:
            threshold = ctx.rules.of(f"sanctions.threshold_{kind}")
            cliff |= (s.score >= threshold) & (s.score - penalty < threshold)
        cliff &= sanctioned
    rel = ctx.scenario.behavior.rel_cliff_loss
    return (penalty / 100.0) * (1.0 + rel * cliff).astype(np.float32)


def expression_utility(latent_dissent: np.ndarray | float, support: np.ndarray | float,
                       threshold: np.ndarray | float, certainty: np.ndarray | float,
                       consequence: np.ndarray | float, *, intercept: float,
                       beta_dissent: float, beta_support: float, beta_cost: float
                       ) -> np.ndarray | float:
    """Logit utility of expressing one's dissenting view (array-level, no context):
    ``intercept + beta_dissent (d - 0.5) + beta_support (support - threshold)
    - beta_cost certainty consequence``; the probability of expressing is its logistic
    function."""
    return (intercept + beta_dissent * (latent_dissent - 0.5)
            + beta_support * (support - threshold)
            - beta_cost * certainty * consequence)


def expression_probability(ctx: Context, support: np.ndarray) -> np.ndarray:
    """Probability of expressing one's dissenting view, given a chance to post."""
    s, b = ctx.state, ctx.scenario.behavior
    utility = expression_utility(s.latent_dissent, support, s.expression_threshold,
                                 s.perceived_risk, perceived_loss(ctx),
                                 intercept=b.intercept, beta_dissent=b.beta_dissent,
                                 beta_support=b.beta_support, beta_cost=b.beta_risk)
    return expit(utility.astype(np.float32))


def deterrence(ctx: Context, category: str) -> np.ndarray | float:
    """Share of a behaviour an agent forgoes for fear it is scored (0 when not believed)."""
    believed = ctx.arm.believed_scored(category)
    if not np.any(believed):
        return 0.0
    share = np.minimum(ctx.scenario.behavior.rel_deterrence * ctx.state.perceived_risk, 1.0)
    return share if np.all(believed) else np.where(believed, share, 0.0)


def step(ctx: Context, today: Today) -> None:
    """Draw today's expression, posts, purchases, infractions, payments, trips and visas."""
    s, b, t = ctx.state, ctx.scenario.behavior, today.t
    n = s.n

    def uniform(purpose: str) -> np.ndarray:
        return ctx.streams.uniform(purpose, t, n)

    throttled = s.sanctioned("internet_throttled")
    post_factor = np.where(throttled, ctx.rules.of("sanctions.rel_post_throttled"), 1.0)

    today.support = social_support(ctx, t)
    today.political_chance = uniform("behavior.political_chance") < b.p_political_chance * \
        post_factor
    p_express = expression_probability(ctx, today.support)
    today.expressed = today.political_chance & (uniform("behavior.expression") < p_express)
    s.ti_expressed[today.expressed] = t
    voiced = np.flatnonzero(today.expressed)  # visible unless the censor deletes it (sensors)
    today.voiced_before = s.ti_voiced[voiced]
    s.ti_voiced[voiced] = t

    today.benign_post = uniform("behavior.benign_post") < \
        b.p_benign_post * post_factor * (1.0 - deterrence(ctx, "benign"))
    today.purchase = uniform("behavior.purchase") < b.p_purchase
    today.disfavoured = today.purchase & (
        uniform("behavior.disfavoured") < b.p_disfavoured * (1.0 - deterrence(ctx, "disfavoured")))
    today.infraction = uniform("behavior.infraction") < \
        b.p_infraction * (1.0 - deterrence(ctx, "infraction"))
    today.outdoors = uniform("behavior.outdoors") < b.p_outdoors

    interval = b.dur_payment_interval
    today.payment_due = s.has_loan & ((t + s.payment_offset) % interval == 0)
    income = s.income_base * np.where(s.sanctioned("employer_notified"),
                                      1.0 - ctx.rules.of("sanctions.rel_income_cut"), 1.0)
    p_default = np.minimum(
        b.p_default_base * (ctx.median_income / income)
        ** b.rel_default_income, 1.0)
    today.defaulted = today.payment_due & (uniform("behavior.default") < p_default)
    today.repaid = today.payment_due & ~today.defaulted

    today.trip_wanted = uniform("behavior.trip") < b.p_trip
    today.travel_denied = today.trip_wanted & s.sanctioned("travel_ban")
    today.visa_wanted = uniform("behavior.visa") < b.p_visa_application
    today.visa_denied = today.visa_wanted & s.sanctioned("visa_denial")
