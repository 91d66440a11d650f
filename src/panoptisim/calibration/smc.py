"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC) with pyabc.

ABC-SMC (Toni, Welch, Strelkowa, Ipsen & Stumpf 2009, J. R. Soc. Interface 6:187; Beaumont,
Cornuet, Marin & Robert 2009, Biometrika 96:983) draws parameters from the prior, simulates
the model and keeps the draws whose simulated targets lie within a distance threshold of
the published values; each generation lowers the threshold (the median of the last
generation's distances) and proposes from a kernel around the kept draws, weighted by
importance. The result is a weighted sample of the approximate posterior. pyabc (Klinger,
Rickert & Hasenauer 2018, Bioinformatics 34:3591; Schälte et al. 2022, JOSS 7:4304) runs it
and stores every generation in an SQLite history, so a killed calibration resumes from its
last finished generation.

The distance is the Euclidean norm of the targets' differences in units of each published
value's standard error: a target the sources pin down tightly weighs more, and a threshold
of 1 means "within about one standard error of each target". Each simulation is one
replicate of each target's scenario at ``calibration.population`` agents, with a seed of
its own drawn from the sampler's random state.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from panoptisim.calibration.statistics import target_value
from panoptisim.calibration.targets import Calibration
from panoptisim.engine import simulate
from panoptisim.scenario import load_scenario

#: The pyabc history's file in a calibration folder.
HISTORY = "history.db"


def simulate_targets(cal: Calibration, params: dict[str, float], seed: int) -> dict[str, float]:
    """Every target's simulated value for one parameter set: one replicate of each target
    scenario with ``params`` set, its size (the target's ``population``, else
    ``calibration.population``) and this ``seed``."""
    out: dict[str, float] = {}
    for group in cal.groups:
        scenario = load_scenario(group.scenario, {
            **{k: float(v) for k, v in params.items()}, "population.size": group.size,
            "run.replicates": 1, "run.control": group.control}, seed=seed)
        sim = simulate(scenario)
        arms = {run.arm: run.columns for run in sim.runs}
        for target in group.targets:
            out[target.name] = target_value(target, arms, group.size)
    return out


class Model:
    """The model pyabc samples: parameters -> the targets' simulated values (picklable, so
    that pyabc's process and Dask samplers can ship it to their workers)."""

    def __init__(self, cal: Calibration):
        self.cal = cal

    def __call__(self, params: Any) -> dict[str, float]:
        """Simulate ``params`` with a seed drawn from numpy's global random state, which
        pyabc's samplers seed in every worker."""
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            import numba

            # a sampler's worker process: one thread per simulation, the processes share
            # the cores out (the calling process keeps its own setting; results do not
            # depend on the threads)
            numba.config.NUMBA_NUM_THREADS = 1
        seed = int(np.random.randint(0, 2**62))
        return simulate_targets(self.cal, dict(params), seed)


class StandardisedDistance:
    """Euclidean distance between simulated and published targets, each difference divided
    by the published value's standard error (dimensionless)."""

    def __init__(self, cal: Calibration):
        self.sd = {t.name: t.sd for t in cal.targets}

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:
        """The distance of simulated ``x`` from observed ``x_0``."""
        return math.sqrt(sum(((float(x[k]) - float(x_0[k])) / sd) ** 2
                             for k, sd in self.sd.items()))


def prior(cal: Calibration) -> Any:
    """The pyabc prior: independent uniform or log-uniform distributions, one per parameter."""
    import pyabc

    return pyabc.Distribution(**{
        p.key: (pyabc.RV("loguniform", p.low, p.high) if p.log
                else pyabc.RV("uniform", p.low, p.high - p.low)) for p in cal.priors})


def observed(cal: Calibration) -> dict[str, float]:
    """The published values, by target name."""
    return {t.name: float(t.value) for t in cal.targets}


@contextmanager
def sampler(executor: str, jobs: int, address: str | None) -> Iterator[Any]:
    """A pyabc sampler: one process (``jobs`` = 1), ``jobs`` forked processes, or a Dask
    cluster (``address``, or a local one of ``jobs`` workers) through pyabc's Dask sampler."""
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    if executor == "dask":
        from panoptisim.experiments.executors import DaskExecutor

        with DaskExecutor(address, jobs) as ex:
            yield DaskDistributedSampler(dask_client=ex.client, batch_size=1)
    elif jobs > 1:
        yield MulticoreEvalParallelSampler(n_procs=jobs)
    else:
        yield SingleCoreSampler()


def run_smc(cal: Calibration, folder: Path, *, executor: str = "local", jobs: int = 1,
            address: str | None = None, budget: int | None = None,
            resume: bool = False) -> Any:
    """Run (or resume) ABC-SMC into ``folder``'s history; returns pyabc's History.

    Stops at ``calibration.generations`` generations, when the threshold reaches
    ``calibration.min_epsilon``, when a generation accepts fewer than
    ``calibration.min_acceptance`` of its simulations, or after ``budget`` simulations.
    """
    import pyabc

    for name in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance", "ABC.Epsilon",
                 "ABC.Adaptation", "ABC.Population", "ABC.Predictor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    sec = cal.section
    np.random.seed(sec.seed % 2**32)  # the sampler's draws (reproducible with one process)
    db = f"sqlite:///{folder / HISTORY}"
    with sampler(executor, jobs, address) as s:
        abc = pyabc.ABCSMC(Model(cal), prior(cal), StandardisedDistance(cal),
                           population_size=sec.particles, sampler=s)
        if resume:
            abc.load(db, 1)
        else:
            abc.new(db, observed(cal), meta_info={"calibration": cal.name})
        done = abc.history.max_t + 1 if resume else 0
        left = sec.generations - done
        if left > 0:
            abc.run(minimum_epsilon=sec.min_epsilon, max_nr_populations=left,
                    min_acceptance_rate=sec.min_acceptance,
                    max_total_nr_simulations=budget if budget is not None else np.inf)
        return abc.history
