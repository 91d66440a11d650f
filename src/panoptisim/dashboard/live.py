"""A run that reports each day's aggregates as it goes, for the dashboard.

``panoptisim.run(progress=...)`` reports only ``(done, total)``; the dashboard needs the
day's metrics of both arms while the run is going. ``stream_run`` therefore steps the
engine exactly as ``engine.simulate`` does — the same stages (``engine.STAGES``), the
same society build, the same per-purpose streams and the same ``metrics.Recorder`` — and
hands each finished day's row of every arm to ``on_day``. The run folder is then written
by ``output.write_run`` from the same tables ``panoptisim.run`` writes, so it is
bit-identical to ``panoptisim run`` with that scenario and seed (tests check it).
Only aggregates cross to the UI: one row of numbers per arm and day, never agents.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from panoptisim.context import Context
from panoptisim.engine import ARMS, PHASES, STAGES, ArmRun, Simulation, metric_table
from panoptisim.metrics import METRIC_NAMES, Recorder, end_of_run_rates
from panoptisim.output import check_destination, manifest, metrics_table, now, write_run
from panoptisim.population import build_society
from panoptisim.regime import make_arm
from panoptisim.scenario import Scenario
from panoptisim.state import Today
from panoptisim.streams import Streams
from panoptisim.summary import summarize

#: on_day(replicate, day, {arm: {metric: value}}, done, total)
DayCallback = Callable[[int, int, dict[str, dict[str, float]], int, int], None]


class Cancelled(Exception):
    """The user stopped the run."""


def stream_run(scenario: Scenario, out: Path, on_day: DayCallback,
               stop: threading.Event | None = None) -> tuple[Simulation, Path]:
    """Run ``scenario`` day by day, calling ``on_day`` after each day, and write its folder."""
    check_destination(out)
    started = now()
    timings = {phase: 0.0 for phase in PHASES}
    arms = ARMS if scenario.run.control else ARMS[:1]
    root = Streams(scenario.run.seed)
    steps, reps = scenario.run.steps, scenario.run.replicates
    runs: list[ArmRun] = []
    for r in range(reps):
        streams = root.replicate(r)
        t0 = time.perf_counter()
        society = build_society(scenario, streams)
        contexts = [Context(scenario, make_arm(scenario, a), streams,
                            society if a == "treated" else society.copy()) for a in arms]
        timings["build"] += time.perf_counter() - t0
        recorders = [Recorder(steps) for _ in arms]
        for t in range(steps):
            if stop is not None and stop.is_set():
                raise Cancelled("stopped by the user")
            row: dict[str, dict[str, float]] = {}
            for ctx, rec in zip(contexts, recorders):
                today = Today(t)
                for name, stage in STAGES:
                    t0 = time.perf_counter()
                    stage(ctx, today)
                    timings[name] += time.perf_counter() - t0
                t0 = time.perf_counter()
                rec.record(ctx, today)
                timings["metrics"] += time.perf_counter() - t0
                row[ctx.arm.name] = {m: float(rec.columns[m][t]) for m in METRIC_NAMES}
            on_day(r, t, row, r * steps + t + 1, reps * steps)
        for ctx, rec in zip(contexts, recorders):
            runs.append(ArmRun(ctx.arm.name, r, rec.columns, end_of_run_rates(ctx), ctx.state))
    sim = Simulation(scenario, runs, timings)
    table = metrics_table(metric_table(sim))
    summary = summarize(sim)
    doc = manifest(scenario, sim.timings, started, now())
    return sim, write_run(out, scenario, table, summary, doc)
