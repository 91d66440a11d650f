"""Bond percolation / SIR epidemic threshold.

An SIR epidemic in which each tie transmits with probability T reaches exactly the nodes of
the index case's cluster after bond percolation with retention T. On a configuration-model
graph the threshold is T_c = <k> / (<k^2> - <k>): 1/c = 0.25 for Poisson degrees with mean
c = 4 (Erdős–Rényi), 1/(k - 1) = 1/3 for the 4-regular graph. Below T_c outbreaks stay
microscopic; above it a large outbreak reaches a finite share S(T) of the population.

How it is checked
-----------------
Observed: degrees drawn from the family (`network.make_configuration`, erased configuration
model, then `network.from_edges`), one uniform per tie, and `contagion.bond_percolation`
over a grid of T (the same uniforms for every T, so the percolated graphs are nested). T_c is
located at the peak of the mean cluster size of a random node outside the giant
(`contagion.susceptibility`, summed over `graphs` graphs), the standard finite-size
estimator; the large-outbreak size is the giant component's share at T = below x T_c and
above x T_c. Expected: T_c from the moments of the degree distribution and S(T) from the
generating functions u = G1(1 - T + T u), S = 1 - G0(1 - T + T u) (0 below T_c). Tolerance
0.03 (assumed: the finite-size shift of the susceptibility peak at n = 100,000); the grid
step is 0.02 T_c.

Inputs: published and assumed
-----------------------------
Textbook case (Newman 2002; Newman 2010, chapter 16): no published data. Assumed: Poisson
and 4-regular degrees, two families whose thresholds (1/4 and 1/3) the 0.02 T_c grid tells
apart; mean degree 4 and n = 100,000 (20,000 under `--quick`), for run time; the T grid,
graphs per family and the 0.75 / 1.5 T_c probes, chosen clear of the finite-size rounding
of the transition.

Sources
-------
- Newman, M. E. J. (2002). Spread of epidemic disease on networks. *Physical Review E*,
  66(1), 016128. doi:10.1103/PhysRevE.66.016128
- Newman, M. E. J. (2010). *Networks: An Introduction*, chapter 16 (percolation and network
  resilience). Oxford University Press. doi:10.1093/acprof:oso/9780199206650.001.0001
- Molloy, M., & Reed, B. (1995). A critical point for random graphs with a given degree
  sequence. *Random Structures & Algorithms*, 6(2-3), 161-180. doi:10.1002/rsa.3240060204
- Newman, M. E. J., & Ziff, R. M. (2000). Efficient Monte Carlo algorithm and high-precision
  results for percolation. *Physical Review Letters*, 85(19), 4104-4107.
  doi:10.1103/PhysRevLett.85.4104
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import model_validator

from panoptisim import contagion
from panoptisim.network import from_edges, make_configuration
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define, rng

RUN_TIME = "assumption: run time"


class Inputs(CaseInputs):
    """Graph size and families, the T grid, the probes either side of T_c, the tolerance."""

    n: int = param(100_000, ge=1000, le=5_000_000, unit="nodes", source=RUN_TIME,
                   description="Nodes.")
    families: tuple[Literal["poisson", "regular"], ...] = param(
        ("poisson", "regular"), unit="-",
        source="assumption: two families with thresholds 1/4 and 1/3 at mean degree 4",
        description="Degree distributions.")
    mean_degree: float = param(4.0, gt=1.0, le=100.0, unit="ties per node", source=RUN_TIME,
                               description="Mean degree (the degree of the regular family).")
    graphs: int = param(3, ge=1, le=100, unit="graphs", source=RUN_TIME,
                        description="Graphs per family.")
    grid: int = param(41, ge=5, le=1001, unit="values of T",
                      source="assumption: a step of 0.02 T_c, finer than the tolerance",
                      description="Transmissibilities scanned in [0.6, 1.4] x T_c.")
    below: float = param(0.75, gt=0.0, le=1.0, unit="T_c",
                         source="assumption: clear of the finite-size rounding of the "
                                "transition",
                         description="Transmissibility below threshold, in units of T_c.")
    above: float = param(1.5, gt=1.0, le=100.0, unit="T_c",
                         source="assumption: clear of the finite-size rounding of the "
                                "transition",
                         description="Transmissibility above threshold, in units of T_c.")
    tolerance: float = param(0.03, ge=0.0, le=1.0, unit="T or share of nodes",
                             source="assumption: the finite-size shift of the susceptibility "
                                    "peak at n = 100,000",
                             description="Allowed |observed - expected| for T_c and outbreak "
                                         "shares.")
    seed: int = seed()

    @model_validator(mode="after")
    def _families_and_probes_fit(self) -> Inputs:
        k = self.mean_degree
        if "regular" in self.families and (not float(k).is_integer() or k < 3):
            raise ValueError(f"mean_degree = {k:g} must be an integer >= 3 for the regular "
                             f"family")
        for family in self.families:
            tc = theory.percolation_threshold(_pmf(family, k))
            if not tc * self.above <= 1.0:
                raise ValueError(f"above = {self.above:g} puts T = {tc * self.above:.3g} above "
                                 f"1 for the {family} family (T_c = {tc:.3g}); lower 'above' or "
                                 f"raise mean_degree")
        return self


def _pmf(family: str, k: float) -> np.ndarray:
    return theory.poisson_pmf(k) if family == "poisson" else theory.regular_pmf(int(k))


def run(p: Inputs) -> list[Check]:
    """T_c from the susceptibility peak and outbreak sizes on both sides of it."""
    rows = []
    n, k = p.n, p.mean_degree
    probes = {"below": p.below, "above": p.above}
    for family in p.families:
        pmf = _pmf(family, k)
        tc = theory.percolation_threshold(pmf)
        grid = np.linspace(0.6 * tc, 1.4 * tc, p.grid)
        grid = grid[grid <= 1.0]
        chi = np.zeros(len(grid))
        stream = rng(p.seed, "percolation", f"{family}:{k!r}")
        shares: dict[str, list[float]] = {"below": [], "above": []}
        for _ in range(p.graphs):
            degrees = stream.poisson(k, n) if family == "poisson" else np.full(n, int(k))
            u, v = make_configuration(degrees, stream)
            graph = from_edges(n, u, v)
            u_tie = stream.random(len(contagion.live_ties(graph)[0]))
            chi += [contagion.susceptibility(contagion.bond_percolation(graph, t, u_tie))
                    for t in grid]
            for side, found in shares.items():
                labels = contagion.bond_percolation(graph, probes[side] * tc, u_tie)
                found.append(contagion.component_sizes(labels)[0] / n)
        label = "Erdős–Rényi" if family == "poisson" else f"{int(k)}-regular"
        label = f"{label} (<k> = {k:g}, n = {n:,})"
        rows.append(Check(f"T_c, {label}", tc, float(grid[int(chi.argmax())]), p.tolerance,
                          "stated"))
        for side in ("below", "above"):
            t = probes[side] * tc
            rows.append(Check(f"large-outbreak share at T = {probes[side]:g} T_c = {t:.3g}, "
                              f"{label}", theory.bond_percolation_giant(pmf, t),
                              float(np.mean(shares[side])), p.tolerance, "stated"))
    return rows


CASE = define("percolation", __doc__, Inputs, run, quick={"n": 20_000})
