"""Theory: when the regime falls, suppressed dissent comes back fast.

Preference falsification hides how many disagree; once the cost of speaking falls, the
first to speak show others that they are not alone, and expression can return in a
cascade far faster than anyone's own estimate of the risk changes (Kuran 1991, on the
revolutions of 1989). Risk learning alone would be slow: the belief in the certainty of
punishment forgets at rate `behavior.rel_certainty_forgetting` per day (Anwar & Loughran
2011), time constant 1/rate (100 days at the default), so a rebound driven only by
learning would reach under a tenth of its size in the first week. A fast rebound needs the
social channel (others speaking raises support) and the lifted consequences.

How it is checked
-----------------
The built-in `abolition` scenario (the regime abolished on day `abolish_day`) through
`panoptisim.api.run`, with a large private opposition (`population.dissent_alpha` = 8.5,
`dissent_beta` = 1.5: mean latent dissent 0.85), `days` days, `replicates` replicates,
`agents` agents. The treated arm's expressed-dissent rate, averaged over replicates:
before = mean of the 14 days before the abolition, after = mean of the last 30 days of the
run (at least 60 days after it), first week = mean of days D+1..D+7. Two checks: the regime
had chilled expression (before at most half of after, so that there is a rebound to time),
and the share of the rebound arrived within 7 days = (first week - before) / (after -
before) is at least `min_share` (a half). The row also states what risk learning alone
would give, 1 - mean over t = 1..7 of exp(-t x rel_certainty_forgetting). NaN (a failure)
if there is no rebound.

Where it holds: the speed of the rebound is set by how far the free society is from having
a silent equilibrium of its own. Once the cost is gone, each day's expression lifts the
next day's climate; where the no-cost response to a quiet climate barely exceeds the quiet
climate itself (a moderate opposition, private views lowered by a year of knowledge
falsification: Kuran 1995), the climb passes a bottleneck, the slow passage past the ghost
of a vanished equilibrium (Strogatz 1994), and takes months; with a large opposition it
tips within days. `python scripts/phase_abolition.py` prints the share for mean latent
dissent 0.6 to 0.9 (docs/model.md, section 9): after a year of the regime, 0.14 at 0.6,
0.35 at 0.7, 0.65 at 0.8, 0.76 at 0.85 and 0.83 at 0.9 (20,000 agents, 3 replicates; the
share who privately dissent is 0.75, 0.91, 0.98, 0.99 and 1.00). The chill itself is not
in doubt at 0.6 (expression before the abolition at about a fifth of its later level);
what is slow there is the return.

Inputs: published and assumed
-----------------------------
The speed of the reversal is Kuran's argument, and the large private opposition his account
of 1989 ("privately despised governments"); the learning rate is the scenario's
`behavior.rel_certainty_forgetting`. Assumed: "at least half within a week", the size of
the opposition (mean 0.85), the windows, the run sizes.

Sources
-------
- Kuran, T. (1991). Now out of never: The element of surprise in the East European
  revolution of 1989. *World Politics*, 44(1), 7-48. doi:10.2307/2010422
- Kuran, T. (1995). *Private Truths, Public Lies: The Social Consequences of Preference
  Falsification*. Harvard University Press (ch. 10-11, knowledge falsification).
- Strogatz, S. H. (1994). *Nonlinear Dynamics and Chaos*. Addison-Wesley (section 4.3: the
  bottleneck left by a saddle-node that has just vanished).
- Anwar, S., & Loughran, T. A. (2011). Testing a Bayesian learning theory of deterrence
  among serious juvenile offenders. *Criminology*, 49(3), 667-698.
  doi:10.1111/j.1745-9125.2011.00233.x
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import model_validator

from panoptisim.scenario.schema import param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, at_most, define

BEFORE_DAYS = 14
AFTER_DAYS = 30
SETTLED = 60  # the after window starts at least this many days after the abolition
WEEK = 7
#: A large private opposition (Kuran 1991: "privately despised governments"): mean 0.85.
HIGH_DISSENT = {"population.dissent_alpha": 8.5, "population.dissent_beta": 1.5}


class Inputs(CaseInputs):
    """Run sizes, the day of abolition and the share of the rebound due within a week."""

    agents: int = paired.agents(20_000)
    days: int = paired.days(730, "Days of each run (the abolition scenario's two years).")
    abolish_day: int = param(365, ge=BEFORE_DAYS, le=3000, unit="day",
                             source="the abolition scenario (a year of the regime)",
                             description="Day the regime is abolished.")
    replicates: int = paired.replicates(3)
    min_share: float = param(0.5, ge=0.0, le=1.0, unit="share of the rebound",
                             source="assumption: 'at least half', a fast-rebound margin",
                             description="Share of the rebound due within 7 days: at least.")
    seed: int = seed()

    @model_validator(mode="after")
    def _room_after(self) -> Inputs:
        need = self.abolish_day + SETTLED + AFTER_DAYS
        if self.days < need:
            raise ValueError(f"days = {self.days} must be at least abolish_day + "
                             f"{SETTLED + AFTER_DAYS} = {need}")
        return self


@dataclass(frozen=True)
class Rebound:
    """The treated arm's expressed dissent around the abolition (share of agents per day,
    averaged over replicates): the 14 days before, the first week after, the last 30 days
    of the run; and the share of the rebound that arrived in the first week."""

    before: float
    week: float
    after: float

    @property
    def share(self) -> float:
        """(first week - before) / (after - before); NaN if there is no rebound."""
        return (self.week - self.before) / (self.after - self.before) \
            if self.after > self.before else math.nan


def rebound(p: Inputs, opposition: dict[str, Any]) -> Rebound:
    """Run the abolition scenario with ``opposition`` (the latent-dissent overrides)."""
    runs = paired.simulate(opposition, size=p.agents, steps=p.days,
                           replicates=p.replicates, seed=p.seed, scenario="abolition",
                           timeline=[{"day": p.abolish_day, "action": "abolish",
                                      "label": "regime abolished"}])
    rate = runs.series("treated").mean(axis=0)
    d = p.abolish_day
    return Rebound(float(rate[d - BEFORE_DAYS:d].mean()),
                   float(rate[d + 1:d + 1 + WEEK].mean()), float(rate[-AFTER_DAYS:].mean()))


def run(p: Inputs) -> list[Check]:
    """The chill before the abolition, and the share of the rebound in the first week."""
    r = rebound(p, HIGH_DISSENT)
    rate = float(paired.default("behavior.rel_certainty_forgetting", "abolition"))
    learning = 1.0 - float(np.exp(-rate * np.arange(1, WEEK + 1)).mean())
    return [at_most(f"expressed dissent before the abolition ({r.before:.3g}) vs half of "
                    f"its level after ({r.after:.3g})", r.after / 2, r.before, "stated"),
            at_least(f"share of the rebound within 7 days (first week {r.week:.3g}; risk "
                     f"learning alone at 1/rel_certainty_forgetting = {1 / rate:.3g} days: "
                     f"{learning:.2f})", p.min_share, r.share, "stated")]


CASE = define("theory-abolition", __doc__, Inputs, run,
              quick={"agents": 5000, "days": 460, "abolish_day": 365, "replicates": 3})
