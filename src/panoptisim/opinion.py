"""The last stage, opinion: private views drift with what is said around them and with grievance.

Knowledge falsification (Kuran 1995, *Private Truths, Public Lies*, ch. 10-11): what nobody
says, fewer come to think. Each agent keeps its disposition at build ``d0``
(``State.dissent_built``) and an exponentially smoothed climate ``C`` (the expressed climate
among its live ties, :func:`climate`); its latent dissent follows the CHANGE of that climate
against a reference ``C_ref``, so an arm whose expressed climate is stationary (the control
arm in steady state) has no systematic drift by construction:

    C(t)   = C(t-1) + lambda (c(t) - C(t-1))               (rel_climate_smoothing = lambda)
    d(t)   = clip(d0 + s (C(t) - C_ref) + g(t), 0, 1)      (rel_climate_sensitivity = s)

The expression history is empty on day 0 (a cold start: support builds up over the first
weeks in every arm), so opinions hold still for ``opinion.dur_warmup`` days ``w``; ``C_ref``
is the mean climate over days ``[w - ceil(w / 2), w)`` and ``C`` starts from it on day
``w``. A regime in force from day 0 has begun to chill speech during the warm-up: that part
of the fall is in the reference and the drift understates it (introduce the regime after
the warm-up, as the ``censorship`` scenario does, to measure all of it).

Grievance (Epstein 2002, "Modeling civil violence", PNAS 99 suppl 3: grievance = hardship x
(1 - legitimacy)): a wrongful sanction raises the sanctioned agent's dissent by
``rel_grievance_wrongful x (1 - d)``, and each tie cut raises both ends' by
``rel_grievance_tie_cut x (1 - d)``; grievance ``g`` then fades by ``rel_grievance_decay``
a day (grievance is current hardship in Epstein's model), from day 0.

``State.dissenter`` stays the build-time classification (d0 >= 0.5) for the metrics; the
expression rule reads the moving ``latent_dissent``.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.state import Today


def climate(ctx: Context, today: Today) -> np.ndarray:
    """Today's expressed climate among each agent's live ties (share, (n,)): the support of
    the expression rule (``behavior.social_support``, computed once by the behaviour stage
    at the start of the day: of the chances to speak one's ties are expected to have had in
    the support memory, the share in which they voiced dissent). Posts the censor deleted
    are not in it (``State.ti_voiced``)."""
    if today.support is not None:
        return today.support
    from panoptisim.behavior import social_support  # a day run without the behaviour stage

    return social_support(ctx, today.t)


def add_grievance(ctx: Context, agents: np.ndarray, rel: float) -> bool:
    """Raise each listed agent's grievance by ``rel x (1 - d)`` (an agent listed k times:
    k successive steps, closing the gap by ``1 - (1 - rel)^k``), pushed over the few agents
    concerned; whether anyone's grievance rose."""
    if rel <= 0 or not len(agents):
        return False
    s = ctx.state
    agents, times = np.unique(agents, return_counts=True)
    gap = 1.0 - s.latent_dissent[agents]
    step = (gap * (1.0 - (1.0 - rel) ** times)).astype(np.float32)
    s.grievance[agents] += step
    s.latent_dissent[agents] += step  # the next push of the day starts from here
    return True


def grievance(ctx: Context, today: Today) -> bool:
    """Today's wrongful sanctions and cut ties as grievance (Epstein 2002); whether any."""
    op = ctx.scenario.opinion
    wrongful = add_grievance(ctx, today.new_sanction_agent[today.new_sanction_wrongful],
                             op.rel_grievance_wrongful)
    cut = add_grievance(ctx, today.tie_ends_cut, op.rel_grievance_tie_cut)
    return wrongful or cut


def fade_grievance(ctx: Context) -> bool:
    """Let accumulated grievance fade by ``opinion.rel_grievance_decay`` a day (grievance is
    current hardship, Epstein 2002); whether any was left to fade."""
    s, rate = ctx.state, ctx.scenario.opinion.rel_grievance_decay
    if rate <= 0 or not s.grievance.any():
        return False
    s.grievance *= np.float32(1.0 - rate)
    return True


def track_climate(ctx: Context, today: Today) -> None:
    """During the warm-up's second half, gather the reference climate; from the end of the
    warm-up on, smooth today's climate into ``climate_smoothed``."""
    s, op, t = ctx.state, ctx.scenario.opinion, today.t
    w = op.dur_warmup
    first = w - (w + 1) // 2  # the reference is the mean climate over days [first, w)
    if t < first:
        return
    c = climate(ctx, today)
    if t < w:
        s.climate_reference += c / np.float32(w - first)
        if t == w - 1:
            s.climate_smoothed[:] = s.climate_reference
        return
    s.climate_smoothed += np.float32(op.rel_climate_smoothing) * (c - s.climate_smoothed)


def update_dissent(ctx: Context, climate_term: bool) -> None:
    """``d = clip(d0 + s (C - C_ref) + g, 0, 1)`` (without the climate term when not
    ``climate_term``)."""
    s, op = ctx.state, ctx.scenario.opinion
    d = s.latent_dissent
    np.add(s.dissent_built, s.grievance, out=d)
    if climate_term and op.rel_climate_sensitivity > 0:
        d += np.float32(op.rel_climate_sensitivity) * (s.climate_smoothed - s.climate_reference)
    np.clip(d, 0.0, 1.0, out=d)


def step(ctx: Context, today: Today) -> None:
    """Move private views: grievance from today's events, then the climate's pull (after
    the warm-up, with knowledge falsification on)."""
    op = ctx.scenario.opinion
    if not op.enabled:
        return
    aggrieved = fade_grievance(ctx)
    aggrieved = grievance(ctx, today) or aggrieved
    track_climate(ctx, today)
    falsified = today.t >= op.dur_warmup and op.knowledge_falsification
    if falsified or aggrieved:
        update_dissent(ctx, falsified)
