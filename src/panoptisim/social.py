"""Stage 5, social response: ties cut under the network term.

Tie-cutting: under a network ("guilt by association") term of weight w, each agent cuts
each live tie to a visibly sanctioned or shamed neighbour with daily probability
``p_cut_max * w / (w + w_network_half)``, rising with the term's weight. A neighbour is
marked while on a public list (travel-ban blacklist or shaming; ``state.VISIBLE``).
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.state import Today


def cut_ties(ctx: Context, today: Today) -> None:
    """Cut live ties to marked neighbours with a probability growing with the network weight."""
    s, sc, w = ctx.state, ctx.scenario.social, ctx.arm.per_agent("w_network")
    if np.all(w <= 0):
        return
    marked = s.marked()
    if not marked.any():
        return
    from panoptisim import kernels  # numba loads on first use, not at import
    g = s.graph
    # Live entries pointing at a marked agent, ascending (= flatnonzero over all entries),
    # found from the marked agents' own rows through ``rev``: O(their degree).
    candidates = kernels.live_entries_into(g.indptr, g.rev, g.active, np.flatnonzero(marked))
    if isinstance(w, np.ndarray):  # the cutter's region's network weight
        w = w[g.indices[g.rev[candidates]]]
    p_cut = sc.p_cut_max * w / (w + sc.w_network_half)
    u = ctx.streams.generator("social.ties", today.t).random(len(candidates))
    cut = g.cut(candidates[u < p_cut])
    if len(cut):
        ends = np.concatenate([g.indices[cut], g.indices[g.rev[cut]]])
        s.active_degree -= np.bincount(ends, minlength=s.n).astype(np.float32)
        today.tie_ends_cut = ends.astype(np.int64)
    today.ties_cut = int(len(cut))


def step(ctx: Context, today: Today) -> None:
    """Cut ties to marked neighbours."""
    cut_ties(ctx, today)
