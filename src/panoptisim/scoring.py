"""Stage 3, scoring: flags become points, safeguards take points back, neighbours weigh in.

Order within the day: forgiveness decays every score toward its start; flags whose appeal
succeeds or whose retention period (by kind, ``scoring.dur_retention_<kind>``, or a shorter
sunset) ends today stop counting, and so do association points whose retention ends;
today's flags are logged with provenance and deducted; credits fade
(``scoring.dur_retention_credit``) and on-time payments and favoured purchases earn new
ones; each live tie of an agent with a counting political flag today is charged association
points ("guilt by association", :func:`charge_association`; new public sanctions are
charged the same way by the sanctions stage); scores are clipped to range.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.flags import ACTIVE, EXPIRED, REVERSED
from panoptisim.rules import at
from panoptisim.state import CATEGORIES, Today

POLITICAL = CATEGORIES.index("political")


def remaining_points(points: np.ndarray, age: np.ndarray, forgiveness: float) -> np.ndarray:
    """What a flag still weighs after ``age`` days of forgiveness (geometric decay)."""
    return points * (1.0 - forgiveness) ** age


def kept_share(ctx: Context, agents: np.ndarray, logged: np.ndarray, t: int
               ) -> np.ndarray:
    """Share of their points that flags on ``agents`` logged on days ``logged`` still weigh
    on day ``t``: forgiveness applied on each day from ``logged + 1`` to ``t`` at the rate
    of that day's rules in the agent's region (geometric decay, ``(1 - f)^age`` when the
    rate never changes)."""
    schedule = ctx.schedule
    if not schedule.varies("safeguards.forgiveness"):
        f = schedule.periods[0].regions[0].safeguards.forgiveness
        return (1.0 - f) ** (t - logged)
    share = np.ones(len(agents))
    region = ctx.state.region[agents]
    starts = [p.start for p in schedule.periods] + [t + 1]
    for p, end in zip(schedule.periods, starts[1:]):
        days = np.minimum(t, end - 1) - np.maximum(logged + 1, p.start) + 1
        rate = np.array([sc.safeguards.forgiveness for sc in p.regions])[region]
        share *= (1.0 - rate) ** np.maximum(days, 0)
    return share


class PerAgentSums:
    """Sums per agent of values listed by agent (a day's flags), added to per-agent arrays
    for the agents listed only: ``acc += sign * bincount(agents[where], weights[where],
    minlength=len(acc))`` with the same per-agent sums (each agent's values added from 0.0
    in the order given, as bincount adds them) in one compiled pass over the entries
    (``kernels.add_sums``), with the arm's zeroed per-agent buffers instead of a sort."""

    def __init__(self, agents: np.ndarray, buffers: tuple[np.ndarray, np.ndarray]) -> None:
        self.agents = agents
        self.buffers = buffers

    def total(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The agents listed, ascending, and the sum of ``weights`` over each one's entries,
        in the order given (``np.unique`` and ``np.bincount``)."""
        from panoptisim import kernels  # numba loads on first use, not at import
        return kernels.sums_of(self.agents, weights, *self.buffers)

    def add(self, acc: np.ndarray, weights: np.ndarray | None = None, sign: int = 1,
            where: np.ndarray | None = None) -> None:
        """Add (``sign`` 1) or subtract (-1) the sums of ``weights`` (1 each if None) over
        the entries ``where`` (all if None) to ``acc`` (float64, or int32 for counts), in
        place."""
        from panoptisim import kernels  # numba loads on first use, not at import
        kernels.add_sums(acc, self.agents, weights, where, sign < 0, *self.buffers)


def end_flags(ctx: Context, t: int) -> np.ndarray:
    """Take back the points of flags reversed on appeal or expired by sunset today.

    Returns the agents who won an appeal today (their sanctions may be lifted).
    """
    s = ctx.state
    log = s.flags
    winners = [np.empty(0, np.int64)]
    touched = [np.empty(0, np.int64)]
    for ids, status in log.due(t):
        agents = log.agent[ids]
        left = log.points[ids].astype(np.float64) * kept_share(ctx, agents, log.day[ids], t)
        sums = PerAgentSums(agents, ctx.sum_buffers())
        sums.add(s.score, left)
        touched.append(agents)
        true = log.is_true[ids]
        sums.add(s.points_true, left, -1, where=true)
        sums.add(s.points_false, left, -1, where=~true)
        sums.add(s.points_political, left, -1, where=log.category[ids] == POLITICAL)
        sums.add(s.n_flags_counting, None, -1)
        log.column("status")[ids] = status
        if status == REVERSED:
            winners.append(agents.astype(np.int64))
    # only the agents whose flags ended today can have a rounding residue, or none left:
    # every other agent's sums were settled on the day its last flag ended (forgiveness
    # only scales them); an agent listed twice gets the same value twice (no unique needed)
    touched = np.concatenate(touched)
    cleared = touched[s.n_flags_counting[touched] == 0]  # no flag left: no residue either
    for acc in (s.points_true, s.points_false, s.points_political):
        acc[touched] = np.maximum(acc[touched], 0.0)
        acc[cleared] = 0.0
    return np.unique(np.concatenate(winners))


def forgive(ctx: Context) -> None:
    """Decay every score toward its start, and the weight of past flags alike."""
    f = ctx.rules.of("safeguards.forgiveness")
    if np.all(f <= 0):
        return
    s = ctx.state
    s.score += f * (s.score_start - s.score)
    for acc in s.point_accumulators():
        acc *= 1.0 - f


def log_flags(ctx: Context, today: Today) -> None:
    """Record today's flags with provenance, deduct their points, schedule their end."""
    s, t = ctx.state, today.t
    agents = today.flag_agent
    if len(agents) == 0:
        return
    region = s.region[agents]

    def per_flag(key: str) -> np.ndarray:
        """The rule ``key`` of each flagged agent's region."""
        values = ctx.rules.table(key)
        return np.broadcast_to(values[0] if ctx.rules.uniform(key) else
                               np.asarray(values)[region], agents.shape)

    points = ctx.arm.weight_table()[region, today.flag_category]
    is_true = today.flag_true
    ids = s.flags.append(agent=agents, day=np.full(len(agents), t), sensor=today.flag_sensor,
                         category=today.flag_category, is_true=is_true, points=points,
                         status=np.full(len(agents), ACTIVE), end_day=np.full(len(agents), -1))
    sums = PerAgentSums(agents, ctx.sum_buffers())
    sums.add(s.score, points, -1)
    sums.add(s.n_flags_counting)
    sums.add(s.points_true, points, where=is_true)
    sums.add(s.points_false, points, where=~is_true)
    sums.add(s.points_political, points, where=today.flag_category == POLITICAL)

    end = np.full(len(ids), np.iinfo(np.int32).max, np.int64)
    status = np.full(len(ids), EXPIRED, np.int8)
    appeals = per_flag("safeguards.appeals")
    if appeals.any():
        u = ctx.streams.generator("scoring.appeals", t).random(len(ids))
        # a true flag is reversed rarely, a false one often (FTC 2012: 399 of 572)
        p = np.where(is_true, per_flag("safeguards.p_appeal_true"),
                     per_flag("safeguards.p_appeal_false"))
        won = (u < p) & appeals
        end[won] = (t + per_flag("safeguards.dur_appeal"))[won]
        status[won] = REVERSED
    # the regime keeps each kind of flag for its retention period; a sunset safeguard may
    # end it sooner
    retention = np.stack([[getattr(sc.scoring, f"dur_retention_{c}") for c in CATEGORIES]
                          for sc in ctx.rules.regions])
    expiry = t + retention[region, today.flag_category]
    dur_sunset = per_flag("safeguards.dur_sunset")
    if (dur_sunset > 0).any():
        expiry = np.where(dur_sunset > 0, np.minimum(expiry, t + dur_sunset), expiry)
    expire_first = expiry < end
    end[expire_first] = expiry[expire_first]
    status[expire_first] = EXPIRED
    for kind in (REVERSED, EXPIRED):
        sel = (status == kind) & (end < np.iinfo(np.int32).max)
        s.flags.schedule(ids[sel], end[sel], kind)


def update_credits(ctx: Context, today: Today) -> None:
    """Credits fade out: each day 1/``scoring.dur_retention_credit`` of the credit points
    still counting leaves the score (an exponential window of recent conduct, so that, as
    adverse flags expire, a clean record does not lift the score without end and the score
    has a steady state). Then on-time payments and favoured purchases the scorer saw earn
    new credits. One compiled pass (:func:`kernels.credits`)."""
    from panoptisim import kernels  # numba loads on first use, not at import
    s, arm = ctx.state, ctx.arm
    earned = []
    for weight, seen in ((arm.per_agent("w_repayment"), today.repaid_seen),
                         (arm.per_agent("w_favoured"), today.favoured_seen)):
        earned.append((weight, seen if np.any(weight > 0) else None))
    kernels.credits(s.score, s.points_credit, ctx.rules.of("scoring.dur_retention_credit"),
                    tuple(earned))


def live_ties_of(ctx: Context, agents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The live ties of ``agents``: their own CSR entries that are live (entry ``e`` points
    at ``indices[e]``, the other end), and for each the position in ``agents`` of its
    holder. O(their degree), in row order: no sort, no pass over every tie."""
    g = ctx.state.graph
    starts = g.indptr[agents]
    lens = g.indptr[agents + 1] - starts
    ends = np.cumsum(lens)
    entries = np.repeat(starts - ends + lens, lens) + np.arange(ends[-1] if len(ends) else 0)
    which = np.repeat(np.arange(len(agents)), lens)
    live = g.active[entries] > 0
    return entries[live], which[live]


def recent_events(ctx: Context, agents: np.ndarray, t: int) -> np.ndarray:
    """Each of ``agents``' exponentially weighted count of its association events on day
    ``t`` (time constant ``social.dur_association_memory`` days; 0 if it never had one)."""
    s = ctx.state
    last = s.ti_association[agents]
    memory = ctx.scenario.social.dur_association_memory
    return np.where(last >= 0, s.association_events[agents]
                    * np.exp(-(t - last) / memory), 0.0)


def charge_association(ctx: Context, t: int, agents: np.ndarray, events: np.ndarray) -> None:
    """Guilt by association: charge every live tie of ``agents`` (unique) for their
    ``events`` today (Botsman 2017: friends' and family's posts lower one's score).

    Each event costs the agent at the other end of the tie ``w_network`` points (its
    region's), times ``rel_network_family`` for a family tie. The points are summed per
    charged agent into one row of the association log, decay with forgiveness like flags'
    and expire after ``dur_retention_association`` days (or a shorter sunset). The agents'
    event counts are noted for the tie choice (``social``). A push over the agents with
    events: O(their degree), no pass over every tie.
    """
    w = ctx.arm.per_agent("w_network")
    if len(agents) == 0 or np.all(w <= 0):
        return
    s = ctx.state
    s.association_events[agents] = recent_events(ctx, agents, t) + events
    s.ti_association[agents] = t
    entries, which = live_ties_of(ctx, agents)
    held_by = s.graph.indices[entries]  # the other end pays (family is symmetric)
    weight = at(w, held_by)
    rel = at(ctx.rules.of("scoring.rel_network_family"), held_by)
    points = events[which] * weight * np.where(ctx.is_family(entries, agents[which]), rel, 1.0)
    charged, points = PerAgentSums(held_by, ctx.sum_buffers()).total(points)  # by agent
    charged, points = charged[points > 0], points[points > 0]
    if len(charged) == 0:
        return
    s.score[charged] -= points
    s.points_association[charged] += points
    log = s.association_log
    ids = log.append(agent=charged, day=np.full(len(charged), t), points=points,
                     status=np.full(len(charged), ACTIVE))
    retention = ctx.rules.of("scoring.dur_retention_association")
    sunset = ctx.rules.of("safeguards.dur_sunset")
    if isinstance(retention, np.ndarray):
        retention = retention[charged]
    if isinstance(sunset, np.ndarray):
        sunset = sunset[charged]
    days = np.where(sunset > 0, np.minimum(retention, sunset), retention)
    log.schedule(ids, np.broadcast_to(t + days, charged.shape).astype(np.int64), EXPIRED)
    lo, hi = ctx.rules.of("scoring.score_min"), ctx.rules.of("scoring.score_max")
    if isinstance(lo, np.ndarray):
        lo, hi = lo[charged], hi[charged]
    s.score[charged] = np.clip(s.score[charged], lo, hi)


def end_association(ctx: Context, t: int) -> None:
    """Take back the association points whose retention period (or sunset) ends today,
    as much of them as forgiveness has left."""
    s, log = ctx.state, ctx.state.association_log
    for ids, status in log.due(t):
        agents = log.agent[ids]
        left = log.points[ids] * kept_share(ctx, agents, log.day[ids], t)
        sums = PerAgentSums(agents, ctx.sum_buffers())
        sums.add(s.score, left)
        sums.add(s.points_association, left, -1)
        log.column("status")[ids] = status
    # rounding residue of decayed sums: nothing is left once every row has ended
    from panoptisim import kernels  # numba loads on first use, not at import
    kernels.zero_below(s.points_association, 1e-9)


def association_term(ctx: Context, today: Today) -> None:
    """Charge the ties of agents with counting political flags today, one event a flag."""
    pol = today.flag_category == POLITICAL
    if not pol.any():
        return
    agents = today.flag_agent[pol]
    scored = ctx.arm.weight_table()[ctx.state.region[agents], POLITICAL] > 0
    who, counts = np.unique(agents[scored], return_counts=True)  # the flagged: a few
    charge_association(ctx, today.t, who, counts.astype(np.float64))


def step(ctx: Context, today: Today) -> None:
    """Update every score for today."""
    s = ctx.state
    if not ctx.arm.scoring:
        today.political_flagged = np.zeros(s.n, bool)
        return
    forgive(ctx)  # first, so a flag ending today has decayed once per day it counted
    today.appeal_winners = end_flags(ctx, today.t)
    end_association(ctx, today.t)
    log_flags(ctx, today)
    update_credits(ctx, today)
    association_term(ctx, today)
    rule = ctx.rules.of
    np.clip(s.score, rule("scoring.score_min"), rule("scoring.score_max"), out=s.score)
    pol = today.flag_category == POLITICAL
    seen = ctx.arm.seen_table()
    if not seen.all():  # an agent is not told of flags from feeds it does not know of
        pol &= seen[s.region[today.flag_agent], today.flag_sensor]
    today.political_flagged = np.zeros(s.n, bool)
    today.political_flagged[today.flag_agent[pol]] = True
