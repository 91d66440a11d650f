"""Erdős–Rényi giant component.

In G(n, c/n) the share S of nodes in the giant component solves S = 1 - exp(-c S): 0.583 at
c = 1.5, 0.797 at c = 2, 0.940 at c = 3, and no giant component (S = 0) for c <= 1.

How it is checked
-----------------
Observed: `network.make_erdos_renyi` + `network.from_edges` (the project's generator and
graph builder, duplicates and self-loops dropped) and `contagion.giant_component_share`
(connected components by scipy.sparse.csgraph), averaged over `graphs` graphs. Expected:
the root of S = 1 - exp(-c S) (brentq). Tolerance 0.01 (assumed: the textbook values' two
decimals); the finite-size standard deviation of one graph, sqrt(S(1 - S)/n)/(1 - c(1 - S)),
is about 0.004 at c = 1.5 and n = 100,000, and it grows near c = 1, where the tolerance is
too tight for finite n.

Inputs: published and assumed
-----------------------------
Textbook case (Erdős & Rényi 1960; Newman 2010): no published data. Assumed: n = 100,000,
large enough that one graph's finite-size error (about 0.004) stays well inside the 0.01
tolerance; mean degrees 1.5, 2 and 3, three sizes of giant component, and 0.5, below the
transition at c = 1, where there is none.

Sources
-------
- Erdős, P., & Rényi, A. (1960). On the evolution of random graphs. *Publications of the
  Mathematical Institute of the Hungarian Academy of Sciences*, 5, 17-61.
- Newman, M. E. J. (2010). *Networks: An Introduction*, section 12.5. Oxford University
  Press. doi:10.1093/acprof:oso/9780199206650.001.0001
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from annotated_types import Ge, Le

from panoptisim import contagion
from panoptisim.network import from_edges, make_erdos_renyi
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define, rng


class Inputs(CaseInputs):
    """Graph size, the mean degrees checked, graphs per degree and the tolerance."""

    n: int = param(100_000, ge=1000, le=10_000_000, unit="nodes",
                   source="assumption: finite-size error about 0.004 at c = 1.5, well inside "
                          "the tolerance",
                   description="Nodes.")
    c: tuple[Annotated[float, Ge(0.0), Le(50.0)], ...] = param(
        (1.5, 2.0, 3.0, 0.5), unit="ties per node",
        source="assumption: three sizes of giant component and one (0.5) below c = 1",
        description="Mean degrees.")
    graphs: int = param(3, ge=1, le=100, unit="graphs", source="assumption: run time",
                        description="Graphs averaged per mean degree.")
    tolerance: float = param(0.01, ge=0.0, le=1.0, unit="share of nodes",
                             source="assumption: two decimals, a textbook's precision",
                             description="Allowed |observed - expected| share.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Giant-component share of the project's Erdős–Rényi graphs against S = 1 - e^{-cS}."""
    rows = []
    for c in p.c:
        stream = rng(p.seed, "er-giant", f"c={c!r}")
        shares = []
        for _ in range(p.graphs):
            u, v = make_erdos_renyi(p.n, c, stream)
            shares.append(contagion.giant_component_share(from_edges(p.n, u, v)))
        expected = theory.er_giant_component(c)
        rows.append(Check(f"giant component share, c = {c:g} (n = {p.n:,})", expected,
                          float(np.mean(shares)), p.tolerance, "stated"))
    return rows


CASE = define("er-giant", __doc__, Inputs, run)
