"""Stage 6, perception: what each agent comes to believe about the chance of punishment.

Risk learning: perceived risk moves toward today's evidence at rate ``rel_risk_learning``
(exponential smoothing). Evidence is the anchor (the known chance a dissenting post is
detected, online or by informants among one's live ties, plus an ambiguity premium when
rules are opaque), one's own political flag, and the share of neighbours newly put on a
public list (travel-ban blacklist or shaming; the other sanctions are private): under
transparent rules only sanctions triggered by political flags count; under opaque rules
every visible sanction does, since no one can tell why it came.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.state import VISIBLE_IDX, Today


def detection_anchor(ctx: Context) -> np.ndarray | float:
    """Known chance that a dissenting post is flagged, plus the opacity premium, under each
    agent's region's rules: only feeds the agents know of count (a feed that runs unseen is
    in nobody's perceived risk until it is revealed; Penney 2016), and the premium applies
    only where a scorer is known to watch."""
    if not ctx.arm.scoring:
        return 0.0
    per_region = []
    for ra, sc in zip(ctx.arm.regions, ctx.rules.regions, strict=True):
        sv = sc.surveillance
        p_online = sv.online.p_scan * sv.online.recall_dissent \
            if "online" in ra.seen and ra.scores("political") else 0.0
        p_inf = sv.informants.p_informant \
            if "informants" in ra.seen and ra.scores("political") else 0.0
        premium = sc.behavior.ambiguity_premium if ra.known and not ra.transparent else 0.0
        per_region.append((p_online, p_inf, premium))
    p_online, p_inf, premium = (ctx.rules.per_agent([r[i] for r in per_region])
                                for i in range(3))
    known = 1.0 - (1.0 - p_online) * (1.0 - p_inf) ** ctx.state.active_degree
    return known + premium


def _newly_marked_share(ctx: Context, today: Today, which: np.ndarray) -> np.ndarray | None:
    """Share of each agent's live ties among those given today's new sanctions ``which``
    (None if there are none)."""
    if not which.any():
        return None
    s = ctx.state
    newly = np.zeros(s.n, np.float32)
    newly[today.new_sanction_agent[which]] = 1.0
    return s.graph.neighbour_sum(newly) / np.maximum(s.active_degree, 1.0)


def learn_risk(ctx: Context, today: Today) -> None:
    """Move perceived risk toward today's evidence.

    Learning runs while a scorer runs and after one has run (its fear fades by the same
    rule as it grew, toward nil evidence); in an arm that never had one, risk stays nil.
    """
    s, b, arm = ctx.state, ctx.scenario.behavior, ctx.arm
    if not arm.scoring and not ctx.had_scorer:
        return
    ctx.had_scorer = True
    evidence = detection_anchor(ctx)
    if today.political_flagged is not None:
        evidence = evidence + b.rel_risk_own_flag * today.political_flagged
    visible = np.isin(today.new_sanction_kind, VISIBLE_IDX)  # what neighbours can see
    transparent = arm.per_agent("transparent")
    # a watcher under transparent rules counts only sanctions for politics; under opaque
    # rules every visible one (no one can tell why it came)
    political = visible & today.new_sanction_political
    if np.all(transparent):
        share = _newly_marked_share(ctx, today, political)
    elif not np.any(transparent):
        share = _newly_marked_share(ctx, today, visible)
    else:
        of_political = _newly_marked_share(ctx, today, political)
        of_visible = _newly_marked_share(ctx, today, visible)
        share = None if of_visible is None else np.where(
            transparent, 0.0 if of_political is None else of_political, of_visible)
    if share is not None:
        evidence = evidence + b.rel_risk_neighbours * share
    s.perceived_risk += (b.rel_risk_learning * (evidence - s.perceived_risk)).astype(np.float32)
    np.clip(s.perceived_risk, 0.0, 1.0, out=s.perceived_risk)


def step(ctx: Context, today: Today) -> None:
    """Learn perceived risk from today's evidence (on the ties left after today's cuts)."""
    learn_risk(ctx, today)
