"""End-of-run values per arm, effects (treated - control) and 95% intervals over replicates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from panoptisim.engine import Simulation
from panoptisim.intervals import t_interval
from panoptisim.metrics import COUNT_METRICS, METRICS


def aggregate(values: np.ndarray, how: str) -> float:
    """One end-of-run value from a day series: mean, sum or last."""
    if how == "mean":
        return float(values.mean())
    if how == "sum":
        return float(values.sum())
    return float(values[-1])


def chilling_index(treated: np.ndarray, control: np.ndarray) -> float:
    """1 - expressed dissent (treated) / expressed dissent (control), summed over the run."""
    base = float(control.sum())
    return 1.0 - float(treated.sum()) / base if base > 0 else 0.0


def cascade_peak(rate: np.ndarray) -> float:
    """Largest one-day rise in the expressed-dissent rate (0 if it never rises)."""
    return float(max(np.diff(rate).max(initial=0.0), 0.0)) if len(rate) > 1 else 0.0


def interval(samples: list[float]) -> list[float] | None:
    """Two-sided 95% t interval of the mean (:func:`panoptisim.intervals.t_interval`) as
    summary.json writes it; None with fewer than two replicates."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 2:
        return None
    low, high = t_interval(x.mean(), x.std(ddof=1), len(x))
    return [_clean(low), _clean(high)]


def _clean(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


def summarize(sim: Simulation) -> dict[str, Any]:
    """The summary.json document: deterministic for a given scenario and seed."""
    sc = sim.scenario
    reps = sc.run.replicates
    by = {(r.replicate, r.arm): r for r in sim.runs}
    arms = sorted({r.arm for r in sim.runs}, key=["treated", "control"].index)
    paired = "control" in arms

    metrics: dict[str, Any] = {}
    names = [(m.name, m.aggregate) for m in METRICS] + [("cascade_peak", "peak")]
    for name, how in names:
        per_arm = {}
        for arm in arms:
            vals = []
            for r in range(reps):
                cols = by[(r, arm)].columns
                vals.append(cascade_peak(cols["expressed_dissent_rate"]) if how == "peak"
                            else aggregate(cols[name], how))
            per_arm[arm] = vals
        entry: dict[str, Any] = {"aggregate": how}
        for arm in arms:
            entry[arm] = _clean(np.mean(per_arm[arm]))
        if paired:
            effects = [t - c for t, c in zip(per_arm["treated"], per_arm["control"])]
            entry["effect"] = _clean(np.mean(effects))
            entry["ci95"] = interval(effects)
        else:
            entry["ci95"] = interval(per_arm["treated"])
        metrics[name] = entry
    if paired:
        chill = [chilling_index(by[(r, "treated")].columns["expressed_dissent_rate"],
                                by[(r, "control")].columns["expressed_dissent_rate"])
                 for r in range(reps)]
        metrics = {"chilling_index": {"aggregate": "ratio over run", "effect": _clean(
            np.mean(chill)), "ci95": interval(chill)}, **metrics}

    scale = sc.population.scale
    if scale != 1:  # population scaling: counts also as the population they stand for
        for name in COUNT_METRICS:
            entry = metrics[name]
            scaled = {k: (None if entry.get(k) is None else _clean(entry[k] * scale))
                      for k in (*arms, "effect") if k in entry}
            ci = entry.get("ci95")
            scaled["ci95"] = None if ci is None else [
                None if v is None else _clean(v * scale) for v in ci]
            entry["scaled"] = scaled

    rates: dict[str, Any] = {}
    for arm in arms:
        first = by[(0, arm)].rates
        rates[arm] = {kind: {g: _clean(np.mean([by[(r, arm)].rates[kind][g]
                                                for r in range(reps)]))
                             for g in first[kind]} for kind in first}
    doc = {
        "scenario": sc.name,
        "regime": sc.scoring.regime,
        "seed": sc.run.seed,
        "population": sc.population.size,
        "steps": sc.run.steps,
        "replicates": reps,
        "arms": arms,
        "metrics": metrics,
        "sanction_rates_by_subgroup": rates,
    }
    if scale != 1:
        doc["scale"] = scale
        doc["population_scaled"] = sc.population.size * scale
    return doc


HEADLINE = ("chilling_index", "expressed_dissent_rate", "preference_falsification_rate",
            "flags_true", "flags_false", "wrongful_sanctions", "wrongful_sanction_share",
            "dissenter_degree_ratio", "isolated_dissenters_share", "ties_cut", "score_mean",
            "score_gini", "travel_denials", "internet_throttled_days", "shamed", "cascade_peak")
