"""The engine: wires the stages in their order and owns nothing else.

One step is one day. The whole day, in order: the eight STAGES below (policy: the timeline's
changes of the day; behaviour, sensors, scoring, sanctions, social_response, perception,
opinion), then the metrics are recorded.

``iter_days`` is the one day loop: it builds each replicate's society and arms and yields
every finished day; ``simulate`` (runs), the network replay (``report.network``) and the
live display (through ``simulate``'s ``on_day``) all step through it.

Both arms (treated, control) are built from one society and step day by day side by side,
drawing from the same per-purpose streams (common random numbers). With more than one
thread allowed (``NUMBA_NUM_THREADS``, default: every core) and at least
``SIDE_BY_SIDE_MIN_AGENTS`` agents, the control arm's day runs in a second thread while the
treated arm's runs in this one: the arms share no mutable state (every draw is a function
of seed, purpose, day and agent) and numpy and the kernels release the GIL, so results are
bit-identical to stepping them one after the other (tests/test_parallel.py). While fewer
arms step than there are threads (the control arm, the lighter, has finished its day) the
other arm's passes that have a split form (the per-agent decisions, the day's counts, the
credits) use the spare core too (``cores.spare_threads``). Smaller
societies step their arms in turn: their days are mostly the interpreter's work, which
holds the GIL, and a second thread only adds contention (BENCHMARKS.md §12).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panoptisim import (
    allocator,
    behavior,
    cores,
    errors,
    opinion,
    perception,
    policy,
    sanctions,
    scoring,
    sensors,
    social,
)
from panoptisim.context import Context
from panoptisim.metrics import (
    COUNT_METRICS,
    METRIC_NAMES,
    Recorder,
    end_of_run_rates,
    whole_counts,
)
from panoptisim.population import build_society
from panoptisim.regional import residents
from panoptisim.scenario import Scenario
from panoptisim.snapshots import SnapshotWriter
from panoptisim.state import State, Today
from panoptisim.streams import Streams

Stage = Callable[[Context, Today], None]
#: The day, in order. Metrics are recorded after the last stage.
STAGES: tuple[tuple[str, Stage], ...] = (
    ("policy", policy.step),
    ("behaviour", behavior.step),
    ("sensors", sensors.step),
    ("scoring", scoring.step),
    ("sanctions", sanctions.step),
    ("social_response", social.step),
    ("perception", perception.step),
    ("opinion", opinion.step),
)
PHASES = ("build",) + tuple(name for name, _ in STAGES) + ("metrics",)
ARMS = ("treated", "control")

#: Fewest agents for which the two arms step in two threads: below it the interpreter's
#: share of a day (which holds the GIL) makes the second thread slower, not faster
#: (measured: 2*10^4 agents 2.12 s against 2.03 s in turn, 5*10^4 3.79 against 3.62,
#: 10^5 5.99 against 6.20; BENCHMARKS.md §12).
SIDE_BY_SIDE_MIN_AGENTS = 100_000


@dataclass
class ArmRun:
    """The outcome of one arm of one replicate."""

    arm: str
    replicate: int
    columns: dict[str, np.ndarray]
    rates: dict[str, dict[str, float]]
    state: State
    #: Daily counts by region (``regional.REGION_COUNTS``: arrays days x regions).
    regional: dict[str, np.ndarray] = field(default_factory=dict)
    #: Residents and their tie ends at the start, by region (arrays over regions).
    region_base: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Simulation:
    """Every arm of every replicate, with time per phase (seconds): wall time, except that
    with the arms stepping in two threads a phase's time is summed over both threads."""

    scenario: Scenario
    runs: list[ArmRun]
    timings: dict[str, float] = field(default_factory=dict)


Progress = Callable[[int, int], None]
#: on_day(replicate, day, {arm: {metric: value}}, done, total): each finished day's row of
#: every arm, for live displays (aggregates only, never agents). It may raise to stop.
DayCallback = Callable[[int, int, dict[str, dict[str, float]], int, int], None]


def _step_day(ctx: Context, rec: Recorder, t: int) -> dict[str, float]:
    """One arm's day: every stage in order, then its metrics; returns seconds per phase."""
    clock = dict.fromkeys(PHASES[1:], 0.0)
    today = Today(t)
    with cores.stepping():  # passes split over the threads only while a core is spare
        for name, stage in STAGES:
            t0 = time.perf_counter()
            stage(ctx, today)
            clock[name] += time.perf_counter() - t0
        t0 = time.perf_counter()
        rec.record(ctx, today)
        clock["metrics"] += time.perf_counter() - t0
    return clock


@dataclass
class Day:
    """One finished day of one replicate: every arm after the day's stages and metrics.

    ``contexts`` and ``recorders`` are the arms' (in ``arms`` order), live: the next day
    changes them. ``seconds`` is the time per phase spent on this day (summed over both
    threads when the arms step side by side), plus the replicate's build on its first day.
    """

    replicate: int
    t: int
    steps: int
    contexts: list[Context]
    recorders: list[Recorder]
    seconds: dict[str, float]
    done: int
    total: int

    @property
    def last(self) -> bool:
        """Whether this is the replicate's last day (its arms are then finished)."""
        return self.t == self.steps - 1

    def row(self) -> dict[str, dict[str, float]]:
        """This day's metrics of every arm, ``{arm: {metric: value}}`` (aggregates only)."""
        return {ctx.arm.name: {m: float(rec.columns[m][self.t]) for m in METRIC_NAMES}
                for ctx, rec in zip(self.contexts, self.recorders)}

    def arm_runs(self) -> list[ArmRun]:
        """The outcome of every arm up to this day (on the last day: of the replicate)."""
        return [ArmRun(ctx.arm.name, self.replicate, rec.columns, end_of_run_rates(ctx),
                       ctx.state, rec.regional.columns, residents(ctx))
                for ctx, rec in zip(self.contexts, self.recorders)]


def iter_days(scenario: Scenario, arms: tuple[str, ...] | None = None,
              replicates: int | None = None) -> Iterator[Day]:
    """Build each replicate's society and arms and step them day by day, yielding each
    finished day: the one day loop of every run, replay and live display.

    ``arms`` defaults to treated and (if ``run.control``) control; ``replicates`` to
    ``run.replicates`` (the first ones are run). With more than one thread allowed and two
    arms, the control arm's day runs in a second thread while the treated arm's runs in this
    one; both finish day t before either starts day t + 1. Stopping early (leaving the loop
    or closing the generator) is allowed.
    """
    allocator.keep_freed_memory()
    if arms is None:
        arms = ARMS if scenario.run.control else ARMS[:1]
    root = Streams(scenario.run.seed)
    steps = scenario.run.steps
    reps = scenario.run.replicates if replicates is None else replicates
    side_by_side = len(arms) > 1 and cores.threads() > 1 \
        and scenario.population.size >= SIDE_BY_SIDE_MIN_AGENTS
    with ThreadPoolExecutor(1) if side_by_side else nullcontext() as pool:
        for r in range(reps):
            streams = root.replicate(r)
            t0 = time.perf_counter()
            society = build_society(scenario, streams)
            contexts = [Context.first_day(scenario, a, streams,
                                          society if a == "treated" else society.copy())
                        for a in arms]
            build = time.perf_counter() - t0
            recorders = [Recorder(steps, len(scenario.population.regions)) for _ in arms]
            for t in range(steps):
                # a Ctrl-C a library swallowed (numba compiling a kernel) stops the run here
                errors.raise_if_interrupted()
                if pool is not None:  # control arm in the second thread, treated in this one
                    other = pool.submit(_step_day, contexts[1], recorders[1], t)
                    clocks = [_step_day(contexts[0], recorders[0], t), other.result()]
                else:
                    clocks = [_step_day(ctx, rec, t) for ctx, rec in zip(contexts, recorders)]
                seconds = {"build": build if t == 0 else 0.0}
                seconds.update({phase: sum(c[phase] for c in clocks) for phase in PHASES[1:]})
                yield Day(r, t, steps, contexts, recorders, seconds, r * steps + t + 1,
                          reps * steps)


def simulate(scenario: Scenario, progress: Progress | None = None,
             on_day: DayCallback | None = None, snapshots: Path | None = None) -> Simulation:
    """Run the scenario: ``run.replicates`` paired replicates, each a treated and (if
    ``run.control``) a control arm. ``progress(done, total)`` is called after each day, and
    ``on_day`` with that day's metrics of every arm. With ``snapshots`` (a folder), the
    agents and live ties at the end of each day of ``run.snapshots`` are written there
    (:mod:`panoptisim.snapshots`); without it none are taken."""
    timings = dict.fromkeys(PHASES, 0.0)
    runs: list[ArmRun] = []
    writer = SnapshotWriter(snapshots, scenario.run.snapshots) \
        if snapshots is not None and scenario.run.snapshots else None
    with closing(iter_days(scenario)) as days:
        for day in days:
            if writer is not None:
                writer.after(day.t, day.replicate, day.contexts)
            for phase, seconds in day.seconds.items():
                timings[phase] += seconds
            if progress is not None:
                progress(day.done, day.total)
            if on_day is not None:
                on_day(day.replicate, day.t, day.row(), day.done, day.total)
            if day.last:
                runs.extend(day.arm_runs())
    if writer is not None:
        writer.close()
    return Simulation(scenario, runs, timings)


def day_columns(sim: Simulation) -> dict[str, np.ndarray]:
    """Per-day metrics of every arm and replicate as columns (replicate, arm, day, ...)."""
    steps = sim.scenario.run.steps
    cols: dict[str, list[np.ndarray]] = {"replicate": [], "arm": [], "day": []}
    cols.update({name: [] for name in METRIC_NAMES})
    for run in sorted(sim.runs, key=lambda x: (x.replicate, ARMS.index(x.arm))):
        cols["replicate"].append(np.full(steps, run.replicate, np.int32))
        cols["arm"].append(np.array([run.arm] * steps, dtype=object))
        cols["day"].append(np.arange(steps, dtype=np.int32))
        for name in METRIC_NAMES:
            cols[name].append(run.columns[name])
    table = {k: np.concatenate(v) for k, v in cols.items()}
    for name in COUNT_METRICS:  # whole people and events: integers in metrics.parquet
        table[name] = whole_counts(name, table[name])
    scale = sim.scenario.population.scale
    if scale != 1:  # population scaling: each count also x scale (rates unchanged)
        for name in COUNT_METRICS:
            table[f"{name}_scaled"] = table[name] * scale
    return table
