"""Stage 5, social response: ties cut under the network term, perceived risk learned.

Tie-cutting: under a network ("guilt by association") term of weight w, each agent cuts
each live tie to a visibly sanctioned or shamed neighbour with daily probability
``p_cut_max * w / (w + w_network_half)``, rising with the term's weight. A neighbour is
marked while on a public list (travel-ban blacklist or shaming; ``state.VISIBLE``).

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


def cut_ties(ctx: Context, today: Today) -> None:
    """Cut live ties to marked neighbours with a probability growing with the network weight."""
    s, sc, w = ctx.state, ctx.scenario.social, ctx.arm.w_network
    if w <= 0:
        return
    marked = s.marked()
    if not marked.any():
        return
    from panoptisim import kernels  # numba loads on first use, not at import
    g = s.graph
    # Live entries pointing at a marked agent, ascending (= flatnonzero over all entries),
    # found from the marked agents' own rows through ``rev``: O(their degree).
    candidates = kernels.live_entries_into(g.indptr, g.rev, g.active, np.flatnonzero(marked))
    p_cut = sc.p_cut_max * w / (w + sc.w_network_half)
    u = ctx.streams.generator("social.ties", today.t).random(len(candidates))
    cut = g.cut(candidates[u < p_cut])
    if len(cut):
        ends = np.concatenate([g.indices[cut], g.indices[g.rev[cut]]])
        s.active_degree -= np.bincount(ends, minlength=s.n).astype(np.float32)
    today.ties_cut = int(len(cut))


def detection_anchor(ctx: Context) -> np.ndarray | float:
    """Known chance that a dissenting post is flagged, plus the opacity premium."""
    arm, s, sv = ctx.arm, ctx.state, ctx.scenario.surveillance
    if not arm.scoring:
        return 0.0
    p_online = sv.online.p_scan * sv.online.recall_dissent if arm.uses("online") else 0.0
    p_inf = sv.informants.p_informant if arm.uses("informants") else 0.0
    known = 1.0 - (1.0 - p_online) * (1.0 - p_inf) ** s.active_degree
    if not arm.scores("political"):
        known = 0.0 * known
    if not arm.transparent:
        known = known + ctx.scenario.behavior.ambiguity_premium
    return known


def learn_risk(ctx: Context, today: Today) -> None:
    """Move perceived risk toward today's evidence."""
    s, b, arm = ctx.state, ctx.scenario.behavior, ctx.arm
    if not arm.scoring:
        return
    evidence = detection_anchor(ctx) + b.rel_risk_own_flag * today.political_flagged
    relevant = np.isin(today.new_sanction_kind, VISIBLE_IDX)  # what neighbours can see
    if arm.transparent:
        relevant &= today.new_sanction_political
    if relevant.any():
        newly = np.zeros(s.n, np.float32)
        newly[today.new_sanction_agent[relevant]] = 1.0
        share = s.graph.neighbour_sum(newly) / np.maximum(s.active_degree, 1.0)
        evidence = evidence + b.rel_risk_neighbours * share
    s.perceived_risk += (b.rel_risk_learning * (evidence - s.perceived_risk)).astype(np.float32)
    np.clip(s.perceived_risk, 0.0, 1.0, out=s.perceived_risk)


def step(ctx: Context, today: Today) -> None:
    """Cut ties, then learn risk (on the ties that remain)."""
    cut_ties(ctx, today)
    learn_risk(ctx, today)
