"""Paired simulations for the theory cases: full runs through :func:`panoptisim.api.run`
(treated and control arms on common random numbers) and the chilling and expression
figures the cases compare, per replicate, with their 95% t intervals over replicates.

Chilling over a window of days = 1 - expressed dissent (treated) / expressed dissent
(control), both summed over those days (``metrics.chilling_index`` on the window), one value
per replicate. Only the per-day metrics the api returns are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from panoptisim import api
from panoptisim.context import TiesAtBuild
from panoptisim.intervals import t_interval
from panoptisim.metrics import chilling_index
from panoptisim.scenario.schema import BehaviorParams, param
from panoptisim.state import State

EXPRESSION = "expressed_dissent_rate"


#: Where the run sizes of the theory cases come from.
RUN_SIZE = "assumption: run time (small societies; the prediction holds at any size)"


def agents(default: int) -> Any:
    """The ``agents`` input of a theory case (population.size of each run)."""
    return param(default, ge=200, le=1_000_000, unit="agents", source=RUN_SIZE,
                 description="Agents in each simulated society (population.size).")


def days(default: int, description: str) -> Any:
    """The ``days`` input of a theory case (run.steps)."""
    return param(default, ge=28, le=3650, unit="days", source=RUN_SIZE,
                 description=description)


def replicates(default: int) -> Any:
    """The ``replicates`` input of a theory case (paired replicates of each run)."""
    return param(default, ge=1, le=100, unit="runs", source=RUN_SIZE,
                 description="Paired replicates of each run (intervals across them).")


def beta_cost() -> Any:
    """The ``beta_cost`` input of a theory case: the weight of the expected cost of speaking
    (``behavior.beta_cost``) in every run of the case; baseline's calibrated default."""
    return param(BehaviorParams().beta_cost, ge=0, le=100, unit="logit per income-day",
                 source="baseline's default (calibrated: docs/calibration.md)",
                 description="Weight of the expected cost of speaking (behavior.beta_cost) "
                             "in every run of the case.")


def cost_weight(value: float) -> dict[str, Any]:
    """The override setting ``behavior.beta_cost`` to ``value``; none at the default, so
    the runs are those other cases share (the cache of :func:`simulate`)."""
    return {} if value == default("behavior.beta_cost") else {"behavior.beta_cost": value}


@dataclass(frozen=True)
class Runs:
    """One scenario's per-day metrics: ``metrics`` (replicate, arm, day, metric columns),
    ``summary`` (summary.json), the number of agents and ``ties_lost``: per replicate, the
    share of their ties at build that the treated arm's dissenters, and everyone else, no
    longer hold at the end (replicates x 2; agents built with ties, as
    ``dissenter_degree_ratio`` counts them)."""

    metrics: pd.DataFrame
    summary: dict[str, Any]
    agents: int
    ties_lost: np.ndarray

    def series(self, arm: str, name: str = EXPRESSION) -> np.ndarray:
        """One metric per replicate and day (replicates x days) for ``arm``."""
        m = self.metrics[self.metrics.arm == arm]
        return m.pivot(index="replicate", columns="day", values=name).to_numpy(np.float64)

    def chilling(self, days: slice = slice(None)) -> np.ndarray:
        """Chilling over ``days``, one value per replicate (share of the control's dissent)."""
        treated, control = self.series("treated"), self.series("control")
        return np.array([chilling_index({EXPRESSION: t[days]}, {EXPRESSION: c[days]})
                         for t, c in zip(treated, control, strict=True)])


def simulate(overrides: dict[str, Any], *, size: int, steps: int, replicates: int, seed: int,
             scenario: str = "baseline", timeline: list[dict[str, Any]] | None = None
             ) -> Runs:
    """Run ``scenario`` with ``overrides`` (dotted keys) at ``size`` agents, ``steps`` days
    and ``replicates`` paired replicates from ``seed``; nothing is written."""
    settings = {"population.size": size, "run.steps": steps, "run.replicates": replicates,
                "run.control": True, **overrides}
    key = (scenario, repr(sorted(settings.items())), seed, repr(timeline))
    if key not in _CACHE:  # cases share runs (the baseline): deterministic, so reusable
        result = api.run(scenario, seed=seed, overrides=settings, timeline=timeline)
        lost = np.array([ties_lost(result.final_state("treated", r))
                         for r in range(replicates)])
        if len(_CACHE) >= CACHE_RUNS:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = Runs(result.metrics, result.summary, size, lost)
    return _CACHE[key]


#: Runs kept for reuse by later cases of the same suite (oldest dropped first).
CACHE_RUNS = 8
_CACHE: dict[tuple[Any, ...], Runs] = {}


def ties_lost(state: State) -> tuple[float, float]:
    """Mean share of their ties at build that dissenters, and everyone else, have lost
    (``1 -`` the shares ``dissenter_degree_ratio`` compares; NaN for an empty set)."""
    ties = TiesAtBuild.of(state)
    kept = state.active_degree * ties.inverse
    has = ties.inverse > 0
    others = has & ~ties.dissenter
    lost_d = 1.0 - float(kept[ties.dissenter].mean()) if ties.dissenters else math.nan
    lost_o = 1.0 - float(kept[others].mean()) if ties.others else math.nan
    return lost_d, lost_o


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and two-sided 95% t interval over replicates: ``(mean, low, high)``; the interval
    is NaN with fewer than two values."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return float(x.mean()), float("nan"), float("nan")
    low, high = t_interval(x.mean(), x.std(ddof=1), len(x))
    return float(x.mean()), float(low), float(high)


def quarters(steps: int) -> tuple[slice, slice]:
    """The first and the last quarter of a run's days."""
    q = steps // 4
    return slice(0, q), slice(steps - q, steps)


def ols_slope(y: np.ndarray) -> float:
    """OLS slope of ``y`` on day (unit of ``y`` per day)."""
    y = np.asarray(y, dtype=np.float64)
    xc = np.arange(len(y), dtype=np.float64)
    xc -= xc.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def slope_interval(series: np.ndarray, days: slice) -> tuple[float, float, float]:
    """Mean over replicates of each replicate's OLS slope over ``days`` (``series``:
    replicates x days), with its two-sided 95% t interval (replicates - 1 degrees of
    freedom): ``(mean, low, high)``. Independent replicates make the slopes independent
    draws whatever the autocorrelation within a run; within one run the climate, beliefs
    and opinions move over months, longer than any lag a serial-correlation correction
    (Newey & West 1987) could use on a few hundred days, which then rejects a stationary
    series far more often than 5% of the time."""
    return mean_interval(np.array([ols_slope(run[days]) for run in series]))


def default(key: str, scenario: str = "baseline") -> Any:
    """A parameter's value in a built-in scenario (dotted key, e.g. ``sanctions.dur_shaming``)."""
    value: Any = api.build_scenario(scenario)
    for part in key.split("."):
        value = getattr(value, part)
    return value


def keys_like(section: str, prefix: str) -> list[str]:
    """The dotted keys of a scenario section whose names start with ``prefix``
    (``keys_like("sanctions", "dur_")``: every sanction's duration)."""
    fields = type(default(section)).model_fields
    return [f"{section}.{name}" for name in fields if name.startswith(prefix)]


def scaled(keys: list[str], factor: float, ceiling: float | None = None) -> dict[str, Any]:
    """Overrides that multiply each key's baseline value by ``factor`` (integers rounded,
    values capped at ``ceiling`` if given)."""
    out: dict[str, Any] = {}
    for key in keys:
        base = default(key)
        value = base * factor
        if ceiling is not None:
            value = min(value, ceiling)
        out[key] = int(round(value)) if isinstance(base, int) else float(value)
    return out
