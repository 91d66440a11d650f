"""Theory: fear without sensors fades.

Perceived risk is learned from evidence, one's own and one's neighbours' (the Bayesian
updating of perceptual deterrence: Stafford & Warr 1993; Anwar & Loughran 2011). Under a
regime that watches nothing, nobody is ever flagged or sanctioned, so whatever fear the
regime's announcement brings should decay as agents see no one punished. Whether the rules
are published (transparent) or opaque changes how fast, not whether: opacity makes the
evidence noisier and learning slower, it is not a permanent premium (DESIGN.md, Model v2).
Penney (2016) measured chilling that followed public evidence of the watching (the 2013
revelations) and lasted; the converse is tested here: without such evidence, fear should
not last.

How it is checked
-----------------
Paired runs of `baseline` through `panoptisim.api.run` with every sensor off
(`surveillance.<feed>.enabled = false` for each feed), for `safeguards.transparent` true and
false, `days` days (two years), `replicates` replicates, `agents` agents. Chilling over a
window = 1 - expressed dissent (treated) / expressed dissent (control), summed over the
window's days, per replicate, then averaged. One-sided check per rule: the last quarter's
chilling is at most `max_share` (a third) of the first quarter's. A regime that chills
nobody at all passes trivially (0 <= 0); the quantity shows both values.

Inputs: published and assumed
-----------------------------
The direction (decay without evidence) is the perceptual-deterrence literature's. Assumed:
the "a third" margin, quarters as the windows, the run sizes.

Sources
-------
- Stafford, M. C., & Warr, M. (1993). A reconceptualization of general and specific
  deterrence. *Journal of Research in Crime and Delinquency*, 30(2), 123-135.
  doi:10.1177/0022427893030002001
- Anwar, S., & Loughran, T. A. (2011). Testing a Bayesian learning theory of deterrence
  among serious juvenile offenders. *Criminology*, 49(3), 667-698.
  doi:10.1111/j.1745-9125.2011.00233.x
- Penney, J. W. (2016). Chilling effects: Online surveillance and Wikipedia use. *Berkeley
  Technology Law Journal*, 31(1), 117-182. doi:10.15779/Z38SS13
"""

from __future__ import annotations

from panoptisim.scenario.schema import FEEDS, param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_most, define


class Inputs(CaseInputs):
    """Run sizes and the share of the first quarter's chilling the last may keep."""

    agents: int = paired.agents(20_000)
    days: int = paired.days(730, "Days of each run (two years).")
    replicates: int = paired.replicates(4)
    max_share: float = param(1 / 3, ge=0.0, le=1.0, unit="share",
                             source="assumption: a clear decay for a directional prediction",
                             description="Last quarter's chilling / first quarter's: at most.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """First and last quarter's chilling with every sensor off, rules open and opaque."""
    size = {"size": p.agents, "steps": p.days, "replicates": p.replicates, "seed": p.seed}
    blind = {f"surveillance.{feed}.enabled": False for feed in FEEDS}
    first, last = paired.quarters(p.days)
    checks = []
    for transparent in (False, True):
        runs = paired.simulate({**blind, "safeguards.transparent": transparent}, **size)
        early = float(runs.chilling(first).mean())
        late = float(runs.chilling(last).mean())
        rules = "transparent" if transparent else "opaque"
        checks.append(at_most(
            f"no sensors, {rules} rules: last quarter's chilling ({late:.3g}) vs "
            f"{p.max_share:.3g} x first quarter's ({early:.3g})", p.max_share * early, late,
            "stated"))
    return checks


CASE = define("theory-fear-fades", __doc__, Inputs, run,
              quick={"agents": 5000, "days": 365, "replicates": 2})
