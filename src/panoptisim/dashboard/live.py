"""A run that reports each day's aggregates as it goes, for the dashboard.

``stream_run`` is ``panoptisim.run`` with its ``on_day`` hook, which the engine's one day loop
(``engine.iter_days``, through ``engine.simulate``) calls after each day: each finished day's
row of every arm goes to the dashboard while the run goes on, and a stop request ends the
run before anything is written. The run folder is the one ``panoptisim run`` writes for that
scenario and seed (tests check it). Only aggregates cross to the UI: one row of numbers
per arm and day, never agents.
"""

from __future__ import annotations

import threading
from pathlib import Path

from panoptisim.api import run
from panoptisim.engine import DayCallback, Simulation
from panoptisim.scenario import Scenario


class Cancelled(Exception):
    """The user stopped the run."""


def stream_run(scenario: Scenario, out: Path, on_day: DayCallback,
               stop: threading.Event | None = None) -> tuple[Simulation, Path]:
    """Run ``scenario`` day by day, calling ``on_day`` after each day, and write its folder."""

    def guarded(replicate: int, day: int, row: dict[str, dict[str, float]], done: int,
                total: int) -> None:
        if stop is not None and stop.is_set():
            raise Cancelled("stopped by the user")
        on_day(replicate, day, row, done, total)

    result = run(scenario, out=out, on_day=guarded)
    assert result.path is not None
    return result.simulation, result.path
