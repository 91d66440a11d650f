"""End-of-run values per arm, effects (treated - control) and 95% intervals over replicates,
each with its steady-state value after ``run.burn_in`` days beside it;
with a timeline, the event study of each entry (:mod:`panoptisim.eventstudy`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from panoptisim.engine import Simulation
from panoptisim.intervals import arm_entry, clean, interval
from panoptisim.metrics import COUNT_METRICS, METRICS, SUMMARY_METRICS
from panoptisim.regional import region_summary


def aggregate(values: np.ndarray, how: str) -> float:
    """One end-of-run value from a day series: mean, sum or last."""
    if how == "mean":
        return float(values.mean())
    if how == "sum":
        return float(values.sum())
    return float(values[-1])


def _days(columns: Any, days: slice) -> dict[str, np.ndarray]:
    """One arm's day columns restricted to ``days``."""
    return {name: series[days] for name, series in columns.items()}


def run_summary(sim: Simulation) -> dict[str, Any]:
    """The summary.json document: deterministic for a given scenario and seed."""
    sc = sim.scenario
    reps = sc.run.replicates
    by = {(r.replicate, r.arm): r for r in sim.runs}
    arms = sorted({r.arm for r in sim.runs}, key=["treated", "control"].index)
    paired = "control" in arms

    def entry(how: str, per_arm: dict[str, list[float]]) -> dict[str, Any]:
        return {"aggregate": how, **arm_entry(per_arm)}

    # paired summary metrics lead, then the per-day metrics, then the per-arm summary ones
    metrics: dict[str, Any] = {}
    if paired:
        for sm in SUMMARY_METRICS:
            if sm.over == "pair":
                values = [sm.fn(by[(r, "treated")].columns, by[(r, "control")].columns)
                          for r in range(reps)]
                metrics[sm.name] = {"aggregate": sm.aggregate, "effect": clean(
                    np.mean(values)), "ci95": interval(values)}
    for m in METRICS:
        metrics[m.name] = entry(m.aggregate, {arm: [aggregate(by[(r, arm)].columns[m.name],
                                                              m.aggregate)
                                                    for r in range(reps)] for arm in arms})
    for sm in SUMMARY_METRICS:
        if sm.over == "arm":
            metrics[sm.name] = entry(sm.aggregate, {
                arm: [sm.fn(by[(r, arm)].columns, sc.population.size) for r in range(reps)]
                for arm in arms})

    burn_in = sc.run.burn_in
    if burn_in < sc.run.steps:  # steady state: the days after the burn-in, beside the run
        after = slice(burn_in, sc.run.steps)
        for m in METRICS:
            if m.aggregate in ("mean", "sum"):
                metrics[m.name]["steady_state"] = entry(
                    f"mean per day from day {burn_in}",
                    {arm: [float(by[(r, arm)].columns[m.name][after].mean())
                           for r in range(reps)] for arm in arms})
        for sm in SUMMARY_METRICS:  # e.g. the cascade measures without the cold start
            if sm.over == "arm":
                metrics[sm.name]["steady_state"] = entry(
                    f"{sm.aggregate} from day {burn_in}",
                    {arm: [sm.fn(_days(by[(r, arm)].columns, after), sc.population.size)
                           for r in range(reps)] for arm in arms})
        if paired:
            for sm in SUMMARY_METRICS:
                if sm.over == "pair":
                    values = [sm.fn(_days(by[(r, "treated")].columns, after),
                                    _days(by[(r, "control")].columns, after))
                              for r in range(reps)]
                    metrics[sm.name]["steady_state"] = {
                        "aggregate": f"{sm.aggregate} from day {burn_in}",
                        "effect": clean(np.mean(values)), "ci95": interval(values)}

    scale = sc.population.scale
    if scale != 1:  # population scaling: counts also as the population they stand for
        for name in COUNT_METRICS:
            counted = metrics[name]
            scaled = {k: (None if counted.get(k) is None else clean(counted[k] * scale))
                      for k in (*arms, "effect") if k in counted}
            ci = counted.get("ci95")
            scaled["ci95"] = None if ci is None else [
                None if v is None else clean(v * scale) for v in ci]
            counted["scaled"] = scaled

    rates: dict[str, Any] = {}
    for arm in arms:
        first = by[(0, arm)].rates
        rates[arm] = {kind: {g: clean(np.mean([by[(r, arm)].rates[kind][g]
                                                for r in range(reps)]))
                             for g in first[kind]} for kind in first}
    doc = {
        "scenario": sc.name,
        "regime": sc.scoring.regime,
        "seed": sc.run.seed,
        "population": sc.population.size,
        "steps": sc.run.steps,
        "burn_in": burn_in,
        "replicates": reps,
        "arms": arms,
        "metrics": metrics,
        "sanction_rates_by_subgroup": rates,
    }
    by_region = region_summary(sim.runs, [r.name for r in sc.population.regions],
                               sc.run.steps)
    if by_region:
        doc["regions"] = by_region
    if scale != 1:
        doc["scale"] = scale
        doc["population_scaled"] = sc.population.size * scale
    if sc.timeline:
        from panoptisim.eventstudy import event_study  # it builds on this module's entries

        doc["events"] = event_study(sim)
    return doc

