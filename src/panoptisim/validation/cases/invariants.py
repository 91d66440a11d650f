"""Invariants of the full model.

Three properties the full simulation must have whatever its parameters. With scoring off
the treated arm is the control arm (common random numbers, nothing else differs). With no
sensors nothing is ever flagged, so with no announced fear to start from expression is not
chilled: the chilling index is zero in expectation. And counts are conserved: every flag
comes from a sensor the scorer uses and is counted once by the daily metrics; every
sanction is traced to flags (penalty points from flags, a flag on or before its day) and is
counted once.

How it is checked
-----------------
`panoptisim.run` on the built-in scenarios: `baseline` with `scoring.regime = none` (every
metric of the treated arm minus the control arm, exact); `no-surveillance` (every sensor
off) with the citizen regime, transparent rules and `behavior.prior_certainty = 0` (no
announced chance of punishment), `replicates` paired replicates, against
its 95% t-interval; `baseline` for conservation, from `Result.final_state` (the flag and
sanction logs) against the per-day metrics. All conservation checks are exact counts.
A scorer without sensors but with an announced chance of punishment chills expression for
a while, until unpunished posts teach people otherwise (the theory-fear-fades case); the
placebo therefore announces none.

Inputs: published and assumed
-----------------------------
No external data: model invariants. Scenario sizes are assumptions chosen for run time.

Sources
-------
- Grimm, V., et al. (2020). The ODD protocol for describing agent-based and other simulation
  models: A second update to improve clarity, replication, and structural realism. *Journal
  of Artificial Societies and Social Simulation*, 23(2), 7. doi:10.18564/jasss.4259
"""

from __future__ import annotations

import numpy as np

from panoptisim.scenario.schema import param
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define

RUN_TIME = "assumption: run time; the invariants hold at any size"


class Inputs(CaseInputs):
    """Size and length of the simulated society and the placebo's replicates."""

    population: int = param(3000, ge=100, le=1_000_000, unit="agents", source=RUN_TIME,
                            description="Agents.")
    steps: int = param(180, ge=1, le=3650, unit="days", source=RUN_TIME, description="Days.")
    replicates: int = param(4, ge=2, le=100, unit="runs", source=RUN_TIME,
                            description="Paired replicates for the chilling index.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Scoring off = control; no sensors = no chilling; flags and sanctions conserved."""
    from panoptisim.api import run as simulate
    from panoptisim.metrics import METRIC_NAMES
    from panoptisim.regime import arm_on_day_0
    from panoptisim.state import SENSORS

    size = {"population.size": p.population, "run.steps": p.steps}
    rows = []

    off = simulate("baseline", seed=p.seed, overrides={**size, "scoring.regime": "none"})
    m = off.metrics
    treated = m[m["arm"] == "treated"][list(METRIC_NAMES)].to_numpy(np.float64)
    control = m[m["arm"] == "control"][list(METRIC_NAMES)].to_numpy(np.float64)
    rows.append(Check("scoring off: max |treated - control| over every metric and day", 0.0,
                      float(np.abs(treated - control).max()), 0.0, "exact"))

    placebo = simulate("no-surveillance", seed=p.seed,
                       overrides={**size, "run.replicates": p.replicates,
                                  "scoring.regime": "citizen", "safeguards.transparent": True,
                                  "behavior.prior_certainty": 0.0})
    chill = placebo.summary["metrics"]["chilling_index"]
    ci = chill.get("ci95") or [0.0, 0.0]
    rows.append(Check(f"no sensors: chilling index, mean of {p.replicates} replicates",
                      0.0, float(chill["effect"]), max(abs(ci[1] - ci[0]) / 2.0, 0.0),
                      "95% t-interval"))

    full = simulate("baseline", seed=p.seed, overrides=size)
    state = full.final_state("treated")
    arm = arm_on_day_0(full.scenario, "treated", state.region)
    days = full.metrics[full.metrics["arm"] == "treated"]
    flags, sanctions = state.flags, state.sanction_log
    used = np.array([arm.uses(s) for s in SENSORS])
    sensor = flags.sensor.astype(np.int64)
    valid = (sensor >= 0) & (sensor < len(SENSORS))
    rows.append(Check(f"flags from no sensor or one the scorer does not use "
                      f"(of {len(flags):,})", 0, int((~valid | ~used[np.clip(sensor, 0, len(
                          SENSORS) - 1)]).sum()), 0, "exact"))
    per_sensor = sum(abs(int(((sensor == i) & (flags.is_true == truth)).sum())
                         - int(days[f"flags_{'true' if truth else 'false'}_{s}"].sum()))
                     for i, s in enumerate(SENSORS) for truth in (True, False))
    rows.append(Check("flags in the log - flags in the daily metrics, per sensor and "
                      "truth (sum of |differences|)", 0, per_sensor, 0, "exact"))
    points = sanctions.points_true + sanctions.points_false
    rows.append(Check(f"sanctions without penalty points from flags (of {len(sanctions):,})",
                      0, int((points <= 0).sum()), 0, "exact"))
    first_flag = np.full(state.n, np.iinfo(np.int64).max)
    np.minimum.at(first_flag, flags.agent.astype(np.int64), flags.day.astype(np.int64))
    untraced = first_flag[sanctions.agent.astype(np.int64)] > sanctions.day
    rows.append(Check("sanctions of agents with no flag on or before that day", 0,
                      int(untraced.sum()), 0, "exact"))
    rows.append(Check("sanctions in the log - sanctions in the daily metrics", 0,
                      len(sanctions) - int(days["sanctions_new"].sum()), 0, "exact"))
    control_flags = len(full.final_state("control").flags)
    rows.append(Check("flags in the control arm", 0, control_flags, 0, "exact"))
    return rows


CASE = define("invariants", __doc__, Inputs, run,
              quick={"population": 1500, "steps": 60, "replicates": 2})
