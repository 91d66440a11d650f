"""Watts (2002) global cascades.

Each node of an Erdős–Rényi graph of mean degree z adopts once a share phi of its
neighbours has. A single seed can trigger a global cascade only if the vulnerable nodes
(those with degree k <= 1/phi, which one active neighbour tips) percolate: z P(Poisson(z) <=
floor(1/phi) - 2) > 1, the cascade window, about 1.02 < z < 5.76 for phi = 0.18. Outside the
window global cascades are absent (z = 0.8: the graph falls apart; z >= 8: nodes are too
stable); inside they are frequent (z = 3).

How it is checked
-----------------
Observed: `network.make_erdos_renyi` + `network.from_edges`, one seed per trial (all trials
at once as columns of one (n, trials) state), `contagion.threshold_cascade` with fractional
thresholds, whose support is `behavior.support_share`, the share of live ties active, as in
the expression rule, and whose adoption decision is the engine's expression utility
(`behavior.expression_utility`) in its deterministic limit
(`contagion.deterministic_expression`: no noise, no cost, unit weight on support). A cascade
is global if it reaches `global_share` of the nodes (an assumption; in these runs cascades
outside the window stay below 1%). Expected: the window from Watts' condition (brentq) and
the frequency of global cascades, the seed's chance to sit in or next to the vulnerable
cluster, 1 - exp(-z(1 - u)) with u = 1 - G1(1) + G1(u) over vulnerable degrees (0 outside
the window). Tolerance: the 99% binomial interval of `trials` trials plus a stated
finite-size allowance of 0.05 (near the window's upper edge finite graphs keep cascading a
little beyond the analytic boundary).

Inputs: published and assumed
-----------------------------
Published: phi = 0.18 and the window of Watts (2002), n = 10,000 as in his simulations.
Assumed: the 5% share that makes a cascade global, the number of trials and the finite-size
allowance.

Sources
-------
- Watts, D. J. (2002). A simple model of global cascades on random networks. *Proceedings
  of the National Academy of Sciences*, 99(9), 5766-5771. doi:10.1073/pnas.082090499
- Gleeson, J. P., & Cahalane, D. J. (2007). Seed size strongly affects cascades on random
  networks. *Physical Review E*, 75(5), 056103. doi:10.1103/PhysRevE.75.056103
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from annotated_types import Gt, Le

from panoptisim import contagion
from panoptisim.network import from_edges, make_erdos_renyi
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define, rng


class Inputs(CaseInputs):
    """Graph size, threshold, mean degrees, trials and what counts as global."""

    n: int = param(10_000, ge=1000, le=1_000_000, unit="nodes",
                   source="Watts 2002: simulations on 10,000 nodes",
                   description="Nodes (Watts used 10,000).")
    phi: float = param(0.18, gt=0.0, le=1.0, unit="share of neighbours",
                       source="Watts 2002: phi = 0.18",
                       description="Uniform fractional threshold.")
    z: tuple[Annotated[float, Gt(0.0), Le(100.0)], ...] = param(
        (0.8, 3.0, 8.0), unit="ties per node",
        source="assumption: one mean degree below, one inside and one above the window",
        description="Mean degrees.")
    trials: int = param(1000, ge=10, le=100_000, unit="cascades",
                        source="assumption: a 99% binomial interval of at most 0.04",
                        description="Single-seed cascades per mean degree.")
    global_share: float = param(0.05, gt=0.0, le=1.0, unit="share of nodes",
                                source="assumption: cascades outside the window stay below 1%",
                                description="A cascade is global when it reaches this share.")
    allowance: float = param(0.05, ge=0.0, le=1.0, unit="share of trials",
                             source="assumption: finite graphs cascade a little beyond the "
                                    "window's analytic upper edge",
                             description="Finite-size allowance added to the binomial "
                                         "interval.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Frequency of single-seed global cascades inside and outside the cascade window."""
    n, phi, trials = p.n, p.phi, p.trials
    window = theory.watts_window(phi)
    where = (f"window {window[0]:.3f} < z < {window[1]:.3f}" if window
             else "no cascade window")
    rows = []
    thresholds = np.full(n, phi)
    for z in p.z:
        stream = rng(p.seed, "watts", f"z={z!r}")
        u, v = make_erdos_renyi(n, z, stream)
        graph = from_edges(n, u, v)
        seeds = np.zeros((n, trials), bool)
        seeds[stream.integers(0, n, trials), np.arange(trials)] = True
        sizes = contagion.threshold_cascade(thresholds, seeds, graph, fractional=True).final_size
        frequency = float((sizes >= p.global_share * n).mean())
        expected = theory.watts_cascade_probability(z, phi)
        inside = window is not None and window[0] < z < window[1]
        tol = theory.binomial_half_width(trials, expected, 0.99) / trials + p.allowance
        side = "inside" if inside else "outside"
        rows.append(Check(f"global-cascade frequency, z = {z:g} ({side} {where}, phi = {phi:g})",
                          expected, frequency, tol,
                          f"binomial 99% + {p.allowance:g} finite size"))
    return rows


CASE = define("watts", __doc__, Inputs, run, quick={"trials": 200})
