"""The Python interface: ``panoptisim.run(scenario_or_name, **overrides) -> Result``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from panoptisim.engine import DayCallback, Simulation, day_columns, simulate
from panoptisim.io import check_new_folder
from panoptisim.output import manifest, metrics_arrow, now, write_run
from panoptisim.regional import region_rows
from panoptisim.scenario import Scenario, load_scenario
from panoptisim.state import State
from panoptisim.summary import run_summary


@dataclass
class Result:
    """A finished run: per-day metrics, the summary, and where it was written (or None)."""

    scenario: Scenario
    metrics: pd.DataFrame
    summary: dict[str, Any]
    path: Path | None
    simulation: Simulation
    #: Daily counts by region: replicate, arm, day, region and ``regional.REGION_COUNTS``.
    regions: pd.DataFrame | None = None

    def final_state(self, arm: str = "treated", replicate: int = 0) -> State:
        """The agents of one arm at the end of the run (flags and sanctions logs included)."""
        for r in self.simulation.runs:
            if r.arm == arm and r.replicate == replicate:
                return r.state
        raise KeyError(f"no arm '{arm}' in replicate {replicate}")


def run(scenario_or_name: str | Path | Scenario = "baseline", *, seed: int | None = None,
        out: str | Path | None = None, progress: Callable[[int, int], None] | None = None,
        on_day: DayCallback | None = None, overrides: dict[str, Any] | None = None,
        **kw_overrides: Any) -> Result:
    """Run a scenario (built-in name, TOML path or Scenario) and return its Result.

    Overrides are dotted keys, given as a dict (``overrides={"population.size": 2000}``) or
    as keywords with ``__`` for the dots (``population__size=2000``). With ``out`` the run
    folder is written there atomically; otherwise nothing is written. ``progress(done,
    total)`` and ``on_day(replicate, day, {arm: {metric: value}}, done, total)`` are called
    after each day (an exception raised by either stops the run; nothing is written).
    Raises ScenarioError (bad input) before anything runs or is written.
    """
    merged = dict(overrides or {})
    merged.update({k.replace("__", "."): v for k, v in kw_overrides.items()})
    scenario = load_scenario(scenario_or_name, merged, seed=seed)
    if out is not None:
        check_new_folder(Path(out))
    started = now()
    sim = simulate(scenario, progress=progress, on_day=on_day)
    table = metrics_arrow(day_columns(sim))
    regions = metrics_arrow(region_rows(sim.runs, [r.name for r in
                                                   scenario.population.regions]))
    summary = run_summary(sim)
    path = None
    if out is not None:
        doc = manifest(scenario, sim.timings, started, now())
        path = write_run(Path(out), scenario, table, summary, doc, regions)
    return Result(scenario, table.to_pandas(), summary, path, sim, regions.to_pandas())
