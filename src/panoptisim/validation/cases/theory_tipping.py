"""Theory: safety in numbers, tipping and hysteresis.

Kuran (1991, 1995): when people's readiness to speak depends on how many others already do,
a small fall in the expected cost of dissent can set off a cascade (the "now out of never"
of 1989), and a regime's collapse is not undone by restoring the cost it started from:
public opinion has two stable states over a range of costs (hysteresis). The model has both
ingredients: the climate raises the reputational utility of speaking (Granovetter 1978), and
many speaking lowers the perceived certainty of punishment (safety in numbers: Epstein
2002). This case shows the region of the perceived certainty where the engine's own
expression rule tips, and that it is bistable there.

How it is checked
-----------------
A society of `agents` agents is built as every run builds it (`population.build_society`,
the default scenario's latent dissent, thresholds and network; opinions held fixed). Every
agent is given the same perceived certainty rho and expected consequence `consequence`
(days of income); each
agent's chance of speaking is the engine's expression probability (`behavior.
expression_utility` with `behavior.effective_certainty`, the default coefficients) at the
climate its live ties give it, where the climate is the mean chance of speaking of its ties
(the deterministic limit in which everyone has a chance every day). That map is iterated to
its fixed point (mean-field equilibrium of expression), with `behavior.beta_support` =
`beta_support` (inside the bistable region; at the default 6 expression falls smoothly
with rho, without a gap) and rho raised from 0 to 1 in steps
of `step` and then lowered back, each equilibrium starting from the previous one. Four
one-sided checks: on the way down, expression jumps by at least `min_jump` (share of agents)
between two neighbouring values of rho (tipping); at some rho the equilibria of the two
sweeps differ by at least `min_gap` (hysteresis); the region of rho where they differ is
reported in the quantity. A second sweep with `behavior.beta_support` = `beta_support_low`
shows the region's boundary: no jump of that size there (the region is documented, not
universal). Both sweeps weigh the expected cost with `behavior.beta_cost` = `beta_cost`
(0.5, the weight assumed before calibration); a third, at baseline's calibrated weight,
shows the other boundary (the fourth check): there the cost of speaking is at most
0.0292 x 1 x `consequence` = 0.29 logit: the two states remain (the sweeps up and down still differ)
but certainty cannot move expression from one to the other, and nothing tips.

Inputs: published and assumed
-----------------------------
The mechanisms are Kuran's and Granovetter's; the coefficients are the model's defaults
(assumptions, docs/model.md), except the deterrence weight. Assumed here: the consequence
held fixed, the deterrence weight of the main sweep, the step, the jump and gap margins,
and the low reputational weight of the contrast.

Sources
-------
- Kuran, T. (1991). Now out of never: The element of surprise in the East European
  revolution of 1989. *World Politics*, 44(1), 7-48. doi:10.2307/2010422
- Kuran, T. (1995). *Private Truths, Public Lies: The Social Consequences of Preference
  Falsification*. Harvard University Press.
- Granovetter, M. (1978). Threshold models of collective behavior. *American Journal of
  Sociology*, 83(6), 1420-1443. doi:10.1086/226707
- Epstein, J. M. (2002). Modeling civil violence: An agent-based computational approach.
  *PNAS*, 99(suppl 3), 7243-7250. doi:10.1073/pnas.092080199
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from panoptisim import behavior
from panoptisim.population import build_society
from panoptisim.scenario import load_scenario
from panoptisim.scenario.schema import param
from panoptisim.streams import Streams
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, at_most, define


class Inputs(CaseInputs):
    """The society, the fixed consequence, the sweep and the margins."""

    agents: int = param(20_000, ge=200, le=1_000_000, unit="agents",
                        source="assumption: run time", description="Agents in the society.")
    beta_support: float = param(12.0, ge=0, le=100, unit="logit per share",
                                source="assumption: inside the bistable region (at the "
                                       "default 6 expression falls smoothly, without a gap)",
                                description="Reputational weight of the climate "
                                            "(behavior.beta_support) of the main sweep.")
    consequence: float = param(10.0, ge=0, le=1000, unit="days of income",
                               source="assumption: about the expected consequence of a flag "
                                      "just above the travel-ban threshold",
                               description="Expected consequence of a flag, held fixed.")
    beta_cost: float = param(0.5, ge=0, le=100, unit="logit per income-day",
                             source="assumption: baseline's weight before calibration (the "
                                    "calibrated 0.0292 does not tip: the case's third check)",
                             description="Weight of the expected cost (behavior.beta_cost) "
                                         "of the main and the contrast sweeps.")
    step: float = param(0.02, gt=0, le=0.2, unit="probability",
                        source="assumption", description="Step of perceived certainty.")
    min_jump: float = param(0.15, ge=0, le=1, unit="share of agents",
                            source="assumption: a jump, not a slope",
                            description="Rise in expression between neighbouring "
                                        "certainties on the way down: at least.")
    min_gap: float = param(0.1, ge=0, le=1, unit="share of agents", source="assumption",
                           description="Gap between the sweeps up and down: at least.")
    beta_support_low: float = param(1.0, ge=0, le=100, unit="logit per share",
                                    source="assumption",
                                    description="Reputational weight of the contrast sweep.")
    seed: int = seed()


def equilibrium(society, rho: float, consequence: float, coef: dict[str, float],
                start: np.ndarray, safety: float, rounds: int = 400) -> np.ndarray:
    """Each agent's chance of speaking at the mean-field fixed point reached from ``start``:
    ``p = expit(U(d, climate, theta, effective certainty, consequence))`` with the climate
    each agent's live ties' mean ``p``."""
    s = society
    degree = np.maximum(s.active_degree.astype(np.float64), 1.0)
    p = start.copy()
    for _ in range(rounds):
        climate = s.graph.neighbour_sum(p) / degree
        certainty = behavior.effective_certainty(rho, climate, safety)
        new = expit(behavior.expression_utility(
            s.latent_dissent.astype(np.float64), climate,
            s.expression_threshold.astype(np.float64), certainty, consequence, **coef))
        if np.max(np.abs(new - p)) < 1e-7:
            return new
        p = 0.5 * (p + new)  # damped: the fixed point, not an oscillation
    return p


def sweep(society, consequence: float, coef: dict[str, float], safety: float,
          step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(certainties, mean expression raising rho, mean expression lowering it)."""
    rhos = np.round(np.arange(0.0, 1.0 + 1e-9, step), 10)
    p = np.zeros(society.n)
    up = []
    for rho in rhos:
        p = equilibrium(society, rho, consequence, coef, p, safety)
        up.append(p.mean())
    down = []
    for rho in rhos[::-1]:
        p = equilibrium(society, rho, consequence, coef, p, safety)
        down.append(p.mean())
    return rhos, np.array(up), np.array(down[::-1])


def run(p: Inputs) -> list[Check]:
    """Sweep perceived certainty up and down at the default and at a low reputational
    weight; check the jump and the gap."""
    scenario = load_scenario("baseline", {"population.size": p.agents}, seed=p.seed)
    society = build_society(scenario, Streams(scenario.run.seed))
    b = scenario.behavior
    coef = {"intercept": b.intercept, "beta_dissent": b.beta_dissent,
            "beta_support": p.beta_support, "beta_cost": p.beta_cost}
    rhos, up, down = sweep(society, p.consequence, coef, b.rel_safety_in_numbers, p.step)
    # on the way down (rho falling) expression rises: the largest rise between neighbours
    rises = down[:-1] - down[1:]
    jump = float(rises.max())
    at = float(rhos[int(rises.argmax())])
    gap = np.abs(up - down)
    region = rhos[gap >= p.min_gap]
    where = f"rho in [{region.min():.2f}, {region.max():.2f}]" if len(region) else "nowhere"
    low = dict(coef, beta_support=p.beta_support_low)
    _, up_low, down_low = sweep(society, p.consequence, low, b.rel_safety_in_numbers, p.step)
    jump_low = float((down_low[:-1] - down_low[1:]).max())
    gap_low = float(np.abs(up_low - down_low).max())
    weak = dict(coef, beta_cost=b.beta_cost)  # baseline's calibrated deterrence weight
    _, up_weak, down_weak = sweep(society, p.consequence, weak, b.rel_safety_in_numbers,
                                  p.step)
    jump_weak = float((down_weak[:-1] - down_weak[1:]).max())
    gap_weak = float(np.abs(up_weak - down_weak).max())
    return [
        at_least(f"tipping: largest rise in expression as certainty falls by {p.step:g} "
                 f"(at rho = {at:.2f})", p.min_jump, jump, "stated"),
        at_least(f"hysteresis: largest gap between the sweeps up and down ({where})",
                 p.min_gap, float(gap.max()), "stated"),
        at_most(f"boundary: with beta_support = {p.beta_support_low:g} the largest rise "
                f"(gap {gap_low:.3g})", p.min_jump, jump_low, "stated"),
        at_most(f"boundary: at baseline's calibrated beta_cost = {b.beta_cost:g} the "
                f"largest rise (gap {gap_weak:.3g})", p.min_jump, jump_weak, "stated"),
    ]


CASE = define("theory-tipping", __doc__, Inputs, run, quick={"agents": 5000, "step": 0.05})
