"""Theory: guilt by association does not run away.

In the essay's account a score falls with one's friends' and family's behaviour, so people
shun those who are flagged (Botsman 2017). A rule where association alone could sanction
would let the penalty spread from tie to tie until everyone is sanctioned, whatever anyone
did: an accident of the model, not a prediction. Here the association term only adds to
what one's own flags have earned: a sanction needs own counting flags of at least
`sanctions.min_own_points` points, so however heavy the association weight, those sanctioned
stay within those whose own flags could carry a sanction.

How it is checked
-----------------
The treated arm of `baseline` (`panoptisim.api.run`, `agents` agents, `days` days, one
replicate) at `scoring.w_network` = 0, `w_mid` and `w_max` (the weight's range runs to
1,000 points per event). From the final state: the share of agents ever sanctioned, the
share whose own flags logged at least `min_own_points` points over the run (those who could
carry a sanction), and the least own points behind any sanction in the log. One-sided
checks: at every weight no sanction has fewer own points than `min_own_points`; at `w_max`
the share ever sanctioned is at most the share that could carry one, and at most
`max_share`. The share ever sanctioned at each weight is in the quantity (the phase diagram
of docs/model.md, Section 7, covers the whole range).

Inputs: published and assumed
-----------------------------
The mechanism is the essay's; the bound is the model's own rule. Assumed: the weights, the
`max_share` margin (a society far from everyone sanctioned), the run sizes.

Sources
-------
- Botsman, R. (2017, October 21). Big data meets Big Brother as China moves to rate its
  citizens. *Wired UK*.
"""

from __future__ import annotations

import numpy as np

from panoptisim import api
from panoptisim.scenario.schema import param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, at_most, define


class Inputs(CaseInputs):
    """Run sizes, the weights and the margin."""

    agents: int = paired.agents(10_000)
    days: int = paired.days(365, "Days of each run.")
    w_mid: float = param(10.0, ge=0, le=1000, unit="points per event", source="assumption",
                         description="A heavy association weight.")
    w_max: float = param(1000.0, ge=0, le=1000, unit="points per event",
                         source="the top of scoring.w_network's range",
                         description="The heaviest association weight.")
    max_share: float = param(0.5, ge=0, le=1, unit="share of agents", source="assumption",
                             description="Share ever sanctioned at w_max: at most.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Sanctions at three association weights, against what own flags could carry."""
    checks = []
    shares = {}
    for w in (0.0, p.w_mid, p.w_max):
        result = api.run("baseline", seed=p.seed, overrides={
            "population.size": p.agents, "run.steps": p.days, "run.control": False,
            "scoring.w_network": w})
        state = result.final_state("treated")
        least = float(result.scenario.sanctions.min_own_points)
        log = state.sanction_log
        own = log.points_true.astype(np.float64) + log.points_false
        logged = np.bincount(state.flags.agent, weights=state.flags.points, minlength=state.n)
        ever = float(state.ever_sanctioned.any(axis=0).mean())
        could = float((logged >= least).mean())
        shares[w] = (ever, could)
        checks.append(at_least(f"w_network = {w:g}: least own points behind a sanction "
                               f"(of {len(log):,}; ever sanctioned {ever:.3g})", least,
                               float(own.min()) if len(own) else least, "exact"))
    ever, could = shares[p.w_max]
    checks += [
        at_most(f"w_network = {p.w_max:g}: share ever sanctioned vs share whose own flags "
                f"could carry a sanction ({could:.3g})", could, ever, "exact"),
        at_most(f"w_network = {p.w_max:g}: share ever sanctioned", p.max_share, ever,
                "stated"),
    ]
    return checks


CASE = define("theory-no-runaway", __doc__, Inputs, run,
              quick={"agents": 3000, "days": 240})
