"""Stage 6, perception: what each agent comes to believe about the chance of punishment.

Perceived certainty is learned from evidence, as in the perceptual-deterrence literature
(Stafford & Warr 1993; Anwar & Loughran 2011: people update their estimate of the chance of
arrest by Bayesian updating on their own and others' experience, own experience weighing
most). Each agent holds a Beta belief (``certainty_hits``, ``certainty_misses``: pseudo-
counts of punished and unpunished dissenting posts) whose mean is its perceived certainty
``perceived_risk``:

- *Prior.* When agents first learn that a scorer watches them (the regime starts, or its
  feeds are revealed), they take ``behavior.prior_certainty`` (plus the ambiguity premium
  under opaque rules) as the chance a dissenting post is punished, held with the weight of
  ``behavior.n_prior_certainty`` posts.
- *Own evidence.* Each own dissenting post is a trial; a political flag the agent is told
  of is a hit (a false flag too: a hit without a post).
- *Neighbours' evidence*, weighted ``behavior.rel_neighbour_evidence`` per post: each
  dissenting post a live tie made visibly today is a trial; each tie caught by a political
  flag today is a hit (apprehension is seen by friends and family through its informal
  consequences). Under opaque rules a tie who has spoken out (within the political flags'
  retention) and is newly put on a public list (travel-ban blacklist, shaming), for any
  reason, is a hit too: no one can tell why it came.
- *Opacity* makes signals noisier: under opaque rules every piece of evidence weighs
  ``behavior.rel_opaque_evidence``, so learning is slower, but it is learning: opacity
  sustains no chilling by itself.
- *Severity, under opaque rules,* is learnt from one's own flags only: the perceived penalty
  starts at the rumoured ``behavior.prior_penalty`` and moves toward a flag's true points by
  ``behavior.rel_penalty_learning`` each time one is told of one (people see who is caught
  far more often than what it cost them: Kleck et al. 2005; Nagin 2013).
- *Forgetting.* Every day both counts shrink by ``behavior.rel_certainty_forgetting``, so
  the belief follows a regime that changes (memory about ``1 / rate`` days); without new
  evidence its mean does not move.

With no sensor behind it, posts go unpunished and the belief falls: fear without sensors
fades, as fast as people keep speaking.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.state import CATEGORIES, VISIBLE_IDX, Today

POLITICAL = CATEGORIES.index("political")


def prior_certainty(ctx: Context) -> np.ndarray | float:
    """The certainty agents start from when they learn a scorer watches them: the announced
    chance plus, under opaque rules, the ambiguity premium (Ellsberg 1961), capped at 1."""
    b = ctx.scenario.behavior
    premium = ctx.rules.per_agent([0.0 if ra.transparent else b.ambiguity_premium
                                   for ra in ctx.arm.regions])
    return np.minimum(b.prior_certainty + premium, 1.0)


def evidence_weight(ctx: Context) -> np.ndarray | float:
    """Weight of one observed post under each agent's region's rules (1 when transparent)."""
    b = ctx.scenario.behavior
    return ctx.rules.per_agent([1.0 if ra.transparent else b.rel_opaque_evidence
                                for ra in ctx.arm.regions])


def _ties_punished(ctx: Context, today: Today) -> np.ndarray | None:
    """How many of each agent's live ties it saw punished for speech today (None if none):
    ties caught by a political flag (its informal consequences, a deleted post or a police
    visit, are seen by friends and family), and, under opaque rules, ties newly put on a
    public list for any reason (no one can tell why it came)."""
    s = ctx.state
    caught = today.political_flagged
    punished = np.zeros(s.n, np.float32) if caught is None else caught.astype(np.float32)
    transparent = ctx.arm.per_agent("transparent")
    if not np.all(transparent) and len(today.new_sanction_agent):
        visible = np.isin(today.new_sanction_kind, VISIBLE_IDX)
        listed = np.zeros(s.n, np.float32)
        who = today.new_sanction_agent[visible]
        # read as punishment for speech only if the tie has spoken out while a political
        # flag of its could still count: no one blames a silent friend's listing on speech
        window = ctx.rules.of("scoring.dur_retention_political")
        if isinstance(window, np.ndarray):
            window = window[who]
        spoke = (s.ti_voiced[who] >= 0) & (today.t - s.ti_voiced[who] <= window)
        listed[who[spoke]] = 1.0
        punished = np.maximum(punished, listed)
        if np.any(transparent):
            # a watcher under transparent rules reads a listing as what it is: only flags
            seen = s.graph.neighbour_sum(punished)
            only_flags = np.zeros(s.n, np.float32) if caught is None else \
                s.graph.neighbour_sum(caught.astype(np.float32))
            return np.where(transparent, only_flags, seen)
    if not punished.any():
        return None
    return s.graph.neighbour_sum(punished)


def learn_penalty(ctx: Context, flagged: np.ndarray) -> None:
    """Agents ``flagged`` (told of a political flag today) move their perceived penalty
    toward the points such a flag costs under their region's rules."""
    s = ctx.state
    points = ctx.arm.weight_table()[s.region[flagged], POLITICAL]
    rate = np.float32(ctx.scenario.behavior.rel_penalty_learning)
    s.perceived_penalty[flagged] += rate * (points - s.perceived_penalty[flagged])


def learn_certainty(ctx: Context, today: Today) -> None:
    """Update every agent's Beta belief with today's evidence and set ``perceived_risk`` to
    its mean. Agents hold no belief (certainty nil) until a scorer is known to them. The
    per-agent arithmetic is two compiled passes (:func:`beliefs.first_beliefs`, then
    :func:`beliefs.learn`); the neighbours' evidence is summed over the live ties between."""
    from panoptisim import beliefs  # numba loads on first use, not at import
    s, b = ctx.state, ctx.scenario.behavior
    believers = beliefs.first_beliefs(
        s.certainty_hits, s.certainty_misses, s.perceived_penalty,
        known=ctx.arm.per_agent("known"), prior=prior_certainty(ctx),
        n_prior=b.n_prior_certainty, prior_penalty=b.prior_penalty)
    if not believers:
        return
    seen_trials = seen_hits = None
    if b.rel_neighbour_evidence > 0:
        spoke = today.expressed  # the posts ties saw today: not those the censor deleted
        if len(today.deleted_agent):
            spoke = spoke.copy()
            spoke[today.deleted_agent] = False
        if spoke.any():
            seen_trials = s.graph.neighbour_sum(spoke.astype(np.float32))
        seen_hits = _ties_punished(ctx, today)
    own_hits = today.political_flagged
    if own_hits is not None and own_hits.any() and b.rel_penalty_learning > 0:
        learn_penalty(ctx, np.flatnonzero(own_hits))
    beliefs.learn(s.certainty_hits, s.certainty_misses, s.perceived_risk,
                  keep=1.0 - b.rel_certainty_forgetting, weight=evidence_weight(ctx),
                  expressed=today.expressed, own_hits=own_hits, seen_trials=seen_trials,
                  seen_hits=seen_hits, rel_neighbour=b.rel_neighbour_evidence)


def step(ctx: Context, today: Today) -> None:
    """Learn perceived certainty from today's evidence (on the ties left after today's
    cuts)."""
    learn_certainty(ctx, today)
