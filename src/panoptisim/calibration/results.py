"""What a calibration reports: the weighted posterior, a summary per parameter, the
generations, and the posterior predictive check of every target, with a verdict.

Credible intervals are weighted quantiles of the last generation (equal-tailed: 50% from
the 25th to the 75th percentile, 90% from the 5th to the 95th). A parameter is reported as
*unconstrained* when its 90% posterior interval spans more than ``UNCONSTRAINED`` of its
prior's 90% interval (measured on the prior's scale: logarithmic for a log-uniform prior):
the targets then say little about it.

The predictive check simulates ``calibration.predictive_draws`` parameter sets resampled
from the posterior by weight, each with a seed of its own, and compares each target's
simulated values with the published one: ``z = (simulated mean - published) /
sqrt(se^2 + simulated sd^2)``, the distance in combined standard deviations. A target with
``|z| > MISFIT_Z`` is a **misfit**: the model, with the calibrated parameters and these
priors, does not reach it. Misfits are reported, never hidden.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from panoptisim.calibration.smc import simulate_targets
from panoptisim.calibration.targets import Calibration, ParameterPrior

#: Posterior 90% width over prior 90% width above which a parameter is "unconstrained".
UNCONSTRAINED = 0.8
#: |z| above which a target is a misfit (about a two-sided 95% test).
MISFIT_Z = 2.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under normalised ``weights`` (the value at which
    the cumulative weight, centred on each point, reaches ``q``)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    w = w / w.sum()
    centred = np.cumsum(w) - w / 2
    return float(np.interp(q, centred, v))


def _scale(p: ParameterPrior, x: float) -> float:
    return math.log(x) if p.log else x


def parameter_summary(p: ParameterPrior, values: np.ndarray, weights: np.ndarray
                      ) -> dict[str, Any]:
    """Median, 50% and 90% credible intervals, the prior's 90% interval and whether the
    targets constrain the parameter."""
    q = {k: weighted_quantile(values, weights, k) for k in (0.05, 0.25, 0.5, 0.75, 0.95)}
    prior90 = [p.quantile(0.05), p.quantile(0.95)]
    width = (_scale(p, q[0.95]) - _scale(p, q[0.05])) / \
        (_scale(p, prior90[1]) - _scale(p, prior90[0]))
    return {"median": q[0.5], "ci50": [q[0.25], q[0.75]], "ci90": [q[0.05], q[0.95]],
            "prior": {"min": p.low, "max": p.high,
                      "kind": "log-uniform" if p.log else "uniform", "ci90": prior90},
            "width_vs_prior": width, "constrained": bool(width <= UNCONSTRAINED),
            "unit": p.info.unit, "default": p.info.default, "source": p.info.source}


def predictive(cal: Calibration, draws: list[dict[str, float]], seeds: list[int]
               ) -> dict[str, np.ndarray]:
    """Every target's simulated value under each posterior draw (arrays over draws)."""
    rows = [simulate_targets(cal, d, s) for d, s in zip(draws, seeds)]
    return {t.name: np.array([r[t.name] for r in rows]) for t in cal.targets}


def target_check(value: float, se: float, simulated: np.ndarray) -> dict[str, Any]:
    """The predictive check of one target: simulated median and 90% band, z and verdict."""
    sd = float(np.std(simulated, ddof=1)) if len(simulated) > 1 else 0.0
    mean = float(np.mean(simulated))
    z = (mean - value) / math.sqrt(se ** 2 + sd ** 2)
    lo, hi = (float(x) for x in np.quantile(simulated, [0.05, 0.95]))
    return {"published": value, "se": se, "simulated_mean": mean,
            "simulated_median": float(np.median(simulated)), "simulated_sd": sd,
            "simulated_90": [lo, hi], "published_in_90": bool(lo <= value <= hi),
            "z": z, "verdict": "fits" if abs(z) <= MISFIT_Z else "misfit"}


def generations_table(history: Any) -> pa.Table:
    """One row per generation: threshold, simulations, accepted particles, acceptance."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    samples = pops["samples"].to_numpy(np.int64)
    particles = pops["particles"].to_numpy(np.int64)
    return pa.table({"generation": pops["t"].to_numpy(np.int32),
                     "epsilon": pops["epsilon"].to_numpy(float),
                     "simulations": samples, "accepted": particles,
                     "acceptance": particles / np.maximum(samples, 1),
                     "seconds": pops["wall_time"].to_numpy(float)})


def posterior_table(history: Any, keys: tuple[str, ...]) -> tuple[pa.Table, dict[str, Any]]:
    """The last generation's weighted particles (one column a parameter, ``weight``,
    ``distance``) and the same as arrays."""
    t = history.max_t
    particles = history.get_population(t=t).particles
    weights = np.array([p.weight for p in particles], float)
    params = {k: np.array([p.parameter[k] for p in particles], float) for k in keys}
    table = pa.table({"generation": np.full(len(weights), t, np.int32), **params,
                      "weight": weights,
                      "distance": np.array([p.distance for p in particles], float)})
    return table, {"params": params, "weights": weights, "generation": t}
