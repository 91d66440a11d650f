"""Theory: with flags that expire, chilling settles to a steady state.

Flags have a retention period by kind (`scoring.dur_retention_*`) and credits fade
(`scoring.dur_retention_credit`), so penalty points, credits, sanctions and the fear they
teach stop accumulating: after a few retention periods the inflow of new flags balances the
flags that expire, and expressed dissent should level off rather than drift (DESIGN.md,
Model v2: "flags have a retention period by kind, so there is a steady state"), and
Bayesian perceptual deterrence converges to perceived risk that matches the evidence
(Stafford & Warr 1993). Penney (2016) found that the 2013 revelations changed the secular
trend of privacy-sensitive Wikipedia traffic, not only its level: a lasting trend is an
empirical possibility, so under a constant regime a model's drift must come from a named
mechanism, not from records that never expire.

How it is checked
-----------------
Paired runs of `baseline` at its default retention through `panoptisim.api.run`, `days`
days (three years), `replicates` replicates, `agents` agents. For each replicate, the OLS
slope of the treated arm's daily expressed-dissent rate on the day over the last quarter of
the run; the mean of these slopes is checked against 0 with its 95% t interval over
replicates (replicates - 1 degrees of freedom) as the tolerance: the check passes when the
interval contains 0. Replicates are independent, so their slopes are independent draws
however strongly the days within one run are correlated (the climate, beliefs and opinions
move over months: in a four-year run of 8,000 agents, a Newey-West interval with the lag
a one-year window allows, 5 days, excluded 0 for the control arm, which has no regime, in
one replicate of three). The same statistic finds the drift when the mechanism is removed:
with every flag kind and credit retained for 100 years, the full run's treated slope is
-1.0e-6 a day (95% interval -1.7e-6 to -4e-7, expression falling 13% over the last quarter;
slow test `test_steady_state_check_finds_the_drift_of_records_that_never_expire`).

Inputs: published and assumed
-----------------------------
No published number: a property of a model with finite retention. Assumed: the last
quarter as the window, three years as long enough (the longest default retention of a
political flag is 365 days, of a default 1,825 days: defaults are rare and small beside
political flags), the run sizes.

Sources
-------
- Penney, J. W. (2016). Chilling effects: Online surveillance and Wikipedia use. *Berkeley
  Technology Law Journal*, 31(1), 117-182. doi:10.15779/Z38SS13
- Stafford, M. C., & Warr, M. (1993). A reconceptualization of general and specific
  deterrence. *Journal of Research in Crime and Delinquency*, 30(2), 123-135.
  doi:10.1177/0022427893030002001
- Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity
  and autocorrelation consistent covariance matrix. *Econometrica*, 55(3), 703-708.
  doi:10.2307/1913610
"""

from __future__ import annotations

from typing import Any

from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define


class Inputs(CaseInputs):
    """Run sizes."""

    agents: int = paired.agents(10_000)
    days: int = paired.days(1095, "Days of each run (three years).")
    replicates: int = paired.replicates(6)
    seed: int = seed()


def last_quarter_slope(p: Inputs, overrides: dict[str, Any]) -> tuple[float, float, float, str]:
    """Mean slope of the treated arm's expressed dissent over the last quarter, its 95% t
    interval over replicates, and the rows' description of the window and level."""
    runs = paired.simulate(overrides, size=p.agents, steps=p.days, replicates=p.replicates,
                           seed=p.seed)
    rate = runs.series("treated")
    _, last = paired.quarters(p.days)
    slope, low, high = paired.slope_interval(rate, last)
    level = float(rate[:, last].mean())
    change = slope * (last.stop - last.start) / level
    where = (f"days {last.start}-{last.stop - 1}, {p.replicates} replicates; mean level "
             f"{level:.3g}, change over the quarter {change:+.1%}")
    return slope, low, high, where


def run(p: Inputs) -> list[Check]:
    """Slope of the treated arm's expressed dissent over the last quarter."""
    slope, low, high, where = last_quarter_slope(p, {})
    return [Check(f"slope of expressed dissent (treated; share of agents per day, per day), "
                  f"{where}", 0.0, slope, (high - low) / 2, "t 95% over replicates")]


CASE = define("theory-steady-state", __doc__, Inputs, run,
              quick={"agents": 4000, "days": 730, "replicates": 4})
