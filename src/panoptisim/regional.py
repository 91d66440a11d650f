"""Metrics by region: what happened to each region's residents, day by day and over the run.

Each day, counts of events among each region's residents (``REGION_COUNTS``): expressions
of dissent and chances to express, flags, new sanctions, tie ends cut. They are written to
``regions.parquet`` (one row per replicate, arm, day and region) and summarised per region
in ``summary.json`` (``regions``): the region's chilling index, its expressed-dissent rate,
its sanction rate and its tie loss, each per arm with the effect (treated - control) and a
95% interval over replicates. Only event lists are counted (O(events) a day, not O(agents)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from panoptisim.context import Context
from panoptisim.daycounts import day_counts
from panoptisim.intervals import arm_entry, interval
from panoptisim.state import Today

#: name -> (meaning, unit); each a count among the region's residents on that day.
REGION_COUNTS: dict[str, tuple[str, str]] = {
    "expressed_dissent": ("Residents who expressed dissent.", "agents per day"),
    "political_chances": ("Residents who had a chance to post on politics.",
                          "agents per day"),
    "flags_true": ("True flags on residents.", "flags per day"),
    "flags_false": ("False flags on residents (sensor error, malicious reports).",
                    "flags per day"),
    "sanctions_new": ("Sanctions imposed on residents (all types).", "sanctions per day"),
    "wrongful_sanctions": ("Of those, sanctions that would not have been imposed that day "
                           "without the false points counting against the resident "
                           "(but-for).",
                           "sanctions per day"),
    "tie_ends_cut": ("Ends of cut ties held by residents (a tie within the region counts "
                     "twice, a tie across regions once in each).", "tie ends per day"),
}


def column_descriptions() -> dict[str, tuple[str, str]]:
    """regions.parquet's count columns: name -> (unit, meaning), for its Parquet schema."""
    return {name: (unit, meaning) for name, (meaning, unit) in REGION_COUNTS.items()}


def region_names(ctx: Context) -> list[str]:
    """The regions of the arm's population, in ``population.regions`` order."""
    return [r.name for r in ctx.scenario.population.regions]


class RegionRecorder:
    """Daily counts of ``REGION_COUNTS`` by region for one arm: arrays (steps, regions)."""

    def __init__(self, steps: int, n_regions: int) -> None:
        self.columns = {k: np.zeros((steps, n_regions), np.int64) for k in REGION_COUNTS}
        self.n_regions = n_regions
        self.steps = steps

    def _count(self, region: np.ndarray, agents: np.ndarray) -> np.ndarray:
        return np.bincount(region[agents], minlength=self.n_regions)

    def record(self, ctx: Context, today: Today) -> None:
        """Count today's events by the region of the agent they concern."""
        n_regions = len(ctx.scenario.population.regions)
        if n_regions != self.n_regions:  # sized for another population: resize, empty
            self.__init__(self.steps, n_regions)
        region, t, c = ctx.state.region, today.t, self.columns
        by_region = day_counts(ctx, today).by_region
        c["expressed_dissent"][t] = by_region[0]
        c["political_chances"][t] = by_region[1]
        true = today.flag_true
        c["flags_true"][t] = self._count(region, today.flag_agent[true])
        c["flags_false"][t] = self._count(region, today.flag_agent[~true])
        c["sanctions_new"][t] = self._count(region, today.new_sanction_agent)
        c["wrongful_sanctions"][t] = self._count(
            region, today.new_sanction_agent[today.new_sanction_wrongful])
        c["tie_ends_cut"][t] = self._count(region, today.tie_ends_cut)


def residents(ctx: Context) -> dict[str, float]:
    """Residents and their tie ends at the start (for the rates), by region name."""
    s = ctx.state
    n = len(region_names(ctx))
    degree = np.diff(s.graph.indptr).astype(np.float64)
    return {"residents": np.bincount(s.region, minlength=n).astype(np.float64),
            "tie_ends": np.bincount(s.region, weights=degree, minlength=n)}


#: The per-region summary entries: name -> unit (each per arm, effect and 95% interval).
REGION_SUMMARY: dict[str, str] = {
    "expressed_dissent_rate": "share of residents per day (mean over days)",
    "sanctions_per_1000_per_year": "sanctions per 1,000 residents per year",
    "wrongful_sanctions": "sanctions over the run",
    "ever_sanctioned_share": "share of residents sanctioned at least once (end of run)",
    "flags_false": "flags over the run",
    "tie_loss_share": "share of residents' tie ends at the start cut over the run",
}


def _region_values(run: Any, i: int, name: str, steps: int) -> dict[str, float]:
    """One arm run's ``REGION_SUMMARY`` values for region ``i`` (named ``name``)."""
    def total(key: str) -> float:
        return float(run.regional[key][:, i].sum())

    residents_i = max(float(run.region_base["residents"][i]), 1.0)
    return {
        "expressed_dissent": total("expressed_dissent"),
        "expressed_dissent_rate": total("expressed_dissent") / residents_i / steps,
        "sanctions_per_1000_per_year": total("sanctions_new") / residents_i * 1000
        / (steps / 365.0),
        "wrongful_sanctions": total("wrongful_sanctions"),
        "ever_sanctioned_share": float(run.rates["any"].get(f"region_{name}", 0.0)),
        "flags_false": total("flags_false"),
        "tie_loss_share": total("tie_ends_cut")
        / max(float(run.region_base["tie_ends"][i]), 1.0),
    }


def region_summary(runs: list[Any], names: list[str], steps: int) -> dict[str, Any]:
    """Per region: chilling index, then ``REGION_SUMMARY`` per arm with the effect (treated
    - control) and 95% interval over replicates; {} for runs without counts by region.

    ``runs`` are the arm runs (``engine.ArmRun``: ``regional`` counts, ``region_base``).
    """
    if not runs or not all(r.region_base for r in runs):
        return {}
    arms = [a for a in ("treated", "control") if any(r.arm == a for r in runs)]
    reps = sorted({r.replicate for r in runs})
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        values = {(r.replicate, r.arm): _region_values(r, i, name, steps) for r in runs}
        doc: dict[str, Any] = {"residents": float(runs[0].region_base["residents"][i])}
        if "control" in arms:
            chill = []
            for r in reps:
                base = values[(r, "control")]["expressed_dissent"]
                treated = values[(r, "treated")]["expressed_dissent"]
                chill.append(1.0 - treated / base if base > 0 else 0.0)
            doc["chilling_index"] = {"unit": "share of the control arm's expressed dissent",
                                     "effect": float(np.mean(chill)),
                                     "ci95": interval(chill)}
        for key, unit in REGION_SUMMARY.items():
            doc[key] = {"unit": unit, **arm_entry(
                {a: [values[(r, a)][key] for r in reps] for a in arms}, nonneg=True)}
        out[name] = doc
    return out


def region_rows(runs: list[Any], names: list[str]) -> dict[str, np.ndarray]:
    """regions.parquet's columns: replicate, arm, day, region, then every count."""
    cols: dict[str, list[np.ndarray]] = {"replicate": [], "arm": [], "day": [], "region": []}
    cols.update({k: [] for k in REGION_COUNTS})
    order = {"treated": 0, "control": 1}
    for run in sorted(runs, key=lambda x: (x.replicate, order[x.arm])):
        steps, n = next(iter(run.regional.values())).shape
        cols["replicate"].append(np.full(steps * n, run.replicate, np.int32))
        cols["arm"].append(np.array([run.arm] * (steps * n), dtype=object))
        cols["day"].append(np.repeat(np.arange(steps, dtype=np.int32), n))
        cols["region"].append(np.array(names * steps, dtype=object))
        for k in REGION_COUNTS:
            cols[k].append(run.regional[k].reshape(-1))
    return {k: np.concatenate(v) for k, v in cols.items()}
