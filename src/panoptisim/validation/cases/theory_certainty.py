"""Theory: certainty of detection deters more than severity of punishment.

The most robust finding of the deterrence literature: raising the certainty of
apprehension deters more than raising the severity of the sanction by the same proportion
(Nagin 2013; Chalfin & McCrary 2017). In a scoring regime, certainty is the chance a
dissenting post is seen and flagged; severity is what a flag costs: its penalty points and
how long the sanctions it brings last. A model of chilling by surveillance should show
more chilling from watching more than from punishing more.

How it is checked
-----------------
Paired runs of `baseline` through `panoptisim.api.run` (treated and control arms on
common random numbers, `replicates` replicates, `agents` agents, `days` days), with the
weight of the expected cost `behavior.beta_cost` = `beta_cost` (baseline's calibrated
default unless set). Chilling =
1 - expressed dissent (treated) / expressed dissent (control), summed over the run, one
value per replicate. Certainty up: `surveillance.online.p_scan` and
`surveillance.informants.p_informant` x `factor` (1.5; a probability is capped at 1).
Severity up: `scoring.w_political` and every `sanctions.dur_*` x `factor`. Replicate r of
both runs is the same society on the same random streams (common random numbers), so the
comparison is paired: one-sided check that the lower end of the 95% t interval of the
per-replicate difference (chilling with certainty up - chilling with severity up) is above
0.

Inputs: published and assumed
-----------------------------
The ordering (certainty over severity) is the literature's. Assumed: which parameters stand
for certainty (the online scan and informant rates) and for severity (political penalty
points and sanction durations), the common factor 1.5, the run sizes; two-sided 95% t
interval of the paired differences over replicates. tests/test_theory_cases.py also runs
the case at the pre-calibration deterrence weight (0.5, an assumption), where it holds.

Sources
-------
- Nagin, D. S. (2013). Deterrence in the twenty-first century. *Crime and Justice*, 42(1),
  199-263. doi:10.1086/670398
- Chalfin, A., & McCrary, J. (2017). Criminal deterrence: A review of the literature.
  *Journal of Economic Literature*, 55(1), 5-48. doi:10.1257/jel.20141147
"""

from __future__ import annotations

from panoptisim.scenario.schema import param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, define

CERTAINTY = ["surveillance.online.p_scan", "surveillance.informants.p_informant"]
SEVERITY = ["scoring.w_political"]


class Inputs(CaseInputs):
    """Run sizes and the common factor applied to certainty or to severity."""

    agents: int = paired.agents(20_000)
    days: int = paired.days(365, "Days of each run.")
    replicates: int = paired.replicates(5)
    factor: float = param(1.5, gt=1.0, le=10.0, unit="-",
                          source="assumption: a rise by half (Nagin 2013 compares "
                                 "proportional rises)",
                          description="Factor applied to certainty, or to severity.")
    beta_cost: float = paired.beta_cost()
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Chilling with detection up against chilling with penalties and durations up."""
    size = {"size": p.agents, "steps": p.days, "replicates": p.replicates, "seed": p.seed}
    weight = paired.cost_weight(p.beta_cost)
    certainty = paired.scaled(CERTAINTY, p.factor, ceiling=1.0)
    severity = paired.scaled(SEVERITY + paired.keys_like("sanctions", "dur_"), p.factor)
    watch = paired.simulate({**weight, **certainty}, **size).chilling()
    punish = paired.simulate({**weight, **severity}, **size).chilling()
    base = float(paired.simulate(weight, **size).chilling().mean())
    diff = paired.mean_interval(watch - punish)  # paired: same society and streams
    return [
        at_least(f"chilling, detection x{p.factor:g} (mean {watch.mean():.3g}) - penalties "
                 f"and durations x{p.factor:g} (mean {punish.mean():.3g}), baseline "
                 f"{base:.3g}: low end of the paired 95% interval (mean difference "
                 f"{diff[0]:.3g})", 0.0, diff[1], "t 95%, paired"),
    ]


CASE = define("theory-certainty", __doc__, Inputs, run,
              quick={"agents": 4000, "days": 365, "replicates": 4},
              known_gap="""At baseline's calibrated deterrence weight (behavior.beta_cost
              0.0292, against 0.5 assumed before calibration) certainty and severity chill
              about equally: 0.120 and 0.123 at the full size (2026-11-30), a paired
              difference of -0.004. The expected cost of speaking then weighs little, and
              much of the chilling comes through what raises certainty and severity alike:
              more sanctions, hence more posts throttled and more sanctions seen by
              neighbours. At the weight 0.5 the prediction holds (mean difference 0.017,
              low end 0.013). The published targets the calibration fits (Penney 2016, PEN
              2013, China's 2018 blacklists) do not separate certainty from severity.""")
