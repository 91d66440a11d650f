"""Theory: dissenters become pariahs.

Under a score that falls with one's ties' flagged posts and sanctions, keeping a dissenter
as a friend costs points, so people cut dissenters first (Botsman 2017 describes scores
that take one's friends' behaviour into account: guilt by association). Dissenters should then
lose a clearly larger share of their ties than others do: isolation concentrated on those
who speak, which in turn raises the reputational cost of speaking (Kuran 1991).

How it is checked
-----------------
Paired runs of `baseline` at its defaults through `panoptisim.api.run`, `days` days,
`replicates` replicates, `agents` agents. From each replicate's final treated state
(`Result.final_state`), the mean share of their ties at build that dissenters (d >= 0.5),
and everyone else, no longer hold (agents built with ties; the shares
`dissenter_degree_ratio` compares), averaged over replicates. One-sided checks: dissenters'
share lost is at least `min_ratio` (2) x others' share lost, and at least `min_lost` (so
that the comparison is not passed by nobody losing anything); friends before family: the
share of their friend ties dissenters lost (`dissenter_friend_ties_lost` on the last day)
is at least `min_ratio` x the share of their family ties lost
(`dissenter_family_ties_lost`); and ties return: in the same society with the regime
abolished halfway through the run (a timeline `abolish` entry), at least one cut tie is
restored after the abolition (`ties_restored`, treated arm, summed over replicates).

Inputs: published and assumed
-----------------------------
The direction (association cost falls on dissenters' ties) is the essay's reading of the
scoring systems Botsman describes; family ties are worth more than friendships
(Granovetter 1973's strong and weak ties). Assumed: "at least twice", the 0.1% floor (a
guard against vacuity, not a prediction), the abolition halfway, the run sizes.

Sources
-------
- Botsman, R. (2017, October 21). Big data meets Big Brother as China moves to rate its
  citizens. *Wired UK*.
- Granovetter, M. S. (1973). The strength of weak ties. *American Journal of Sociology*,
  78(6), 1360-1380. doi:10.1086/225469
- Kuran, T. (1991). Now out of never: The element of surprise in the East European
  revolution of 1989. *World Politics*, 44(1), 7-48. doi:10.2307/2010422
"""

from __future__ import annotations

import numpy as np

from panoptisim.scenario.schema import param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, define

STATED = "assumption: a clear margin for a directional prediction"


class Inputs(CaseInputs):
    """Run sizes and the margins of the tie-loss comparison."""

    agents: int = paired.agents(20_000)
    days: int = paired.days(365, "Days of each run (the baseline's year).")
    replicates: int = paired.replicates(3)
    min_ratio: float = param(2.0, ge=1.0, le=100.0, unit="ratio", source=STATED,
                             description="Dissenters' share of ties lost / others': at least.")
    min_lost: float = param(0.001, ge=0.0, le=1.0, unit="share of ties", source=STATED,
                            description="Dissenters' share of ties lost: at least.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Shares of their ties dissenters and others have lost by the end of the run."""
    runs = paired.simulate({}, size=p.agents, steps=p.days, replicates=p.replicates,
                           seed=p.seed)
    lost_d, lost_o = (float(v) for v in np.mean(runs.ties_lost, axis=0))
    friends = float(runs.series("treated", "dissenter_friend_ties_lost")[:, -1].mean())
    family = float(runs.series("treated", "dissenter_family_ties_lost")[:, -1].mean())
    day = p.days // 2
    abolished = paired.simulate({}, size=p.agents, steps=p.days, replicates=p.replicates,
                                seed=p.seed, timeline=[{"day": day, "action": "abolish"}])
    restored = float(abolished.series("treated", "ties_restored")[:, day:].sum())
    return [
        at_least(f"share of ties lost by dissenters ({lost_d:.3g}) vs {p.min_ratio:g} x "
                 f"others' ({lost_o:.3g})", p.min_ratio * lost_o, lost_d, "stated"),
        at_least("share of ties lost by dissenters", p.min_lost, lost_d, "stated"),
        at_least(f"friends before family: dissenters' share of friend ties lost ({friends:.3g})"
                 f" vs {p.min_ratio:g} x family ties lost ({family:.3g})",
                 p.min_ratio * family, friends, "stated"),
        at_least(f"ties restored after the regime is abolished on day {day} (treated, all "
                 f"replicates)", 1.0, restored, "stated"),
    ]


CASE = define("theory-pariahs", __doc__, Inputs, run,
              quick={"agents": 5000, "days": 180, "replicates": 2})
