"""A scenario run under a calibration's posterior: every headline result with an interval
that includes the parameters' uncertainty, beside the interval from seed noise alone.

``K`` parameter sets are resampled by weight from the calibration's ``posterior.parquet``;
each is run as the scenario with those parameters set, ``run.replicates`` replicates and a
seed of its own (spawned from ``run.seed``), and written as a run folder of its own
(``draws/dNNN``). For each headline result (an effect, treated - control, with a control
arm; else the treated value), with ``x[k, r]`` its value in draw ``k``, replicate ``r``:

- ``mean``: the mean over every draw and replicate;
- ``ci95_posterior``: the 2.5th and 97.5th percentiles of the draws' means over their
  replicates: parameter uncertainty (plus each mean's residual seed noise);
- ``ci95_seed``: the 95% t interval of a mean over ``R`` replicates with the pooled
  within-draw standard deviation: what one run of ``R`` replicates at fixed parameters
  reports, seed noise alone;
- ``parameter_share``: the share of the draws' means' variance not explained by seed
  noise, ``max(0, 1 - (s_w^2 / R) / var(draw means))`` (law of total variance).

Quantities that cannot be negative (a treated value, or an effect where the control arm
has none of it) keep non-negative intervals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from panoptisim.calibration.posterior import read_posterior, resample, spawned_seeds
from panoptisim.errors import InputError
from panoptisim.intervals import clean, t_interval
from panoptisim.io import check_new_folder, folder_atomic, write_json_atomic
from panoptisim.replicates import replicate_values
from panoptisim.scenario import Scenario, load_scenario


def result_entry(x: np.ndarray, floor: float | None) -> dict[str, Any]:
    """The intervals of one result from its values ``x[draw, replicate]``."""
    k, r = x.shape
    means = x.mean(axis=1)
    within = float(np.mean(x.var(axis=1, ddof=1))) if r > 1 else float("nan")
    between = float(np.var(means, ddof=1)) if k > 1 else float("nan")
    seed = t_interval(float(x.mean()), np.sqrt(within), r) if r > 1 else (np.nan, np.nan)
    post = np.percentile(means, [2.5, 97.5])
    if floor is not None:
        seed = tuple(max(v, floor) for v in seed)
        post = np.maximum(post, floor)
    share = max(0.0, 1.0 - within / r / between) if between > 0 else 0.0
    return {"mean": clean(x.mean()), "ci95_posterior": [clean(post[0]), clean(post[1])],
            "ci95_seed": [clean(seed[0]), clean(seed[1])],
            "parameter_share": clean(share), "draws": k, "replicates": r}


def run_posterior(scenario: Scenario, calibration: Path, draws: int, out: Path,
                  progress: Any = None) -> dict[str, Any]:
    """Run ``scenario`` under ``draws`` posterior draws into ``out``; returns (and writes
    as ``posterior.json``) each headline result's intervals."""
    from panoptisim.api import run as run_api

    if scenario.run.replicates < 2:
        raise InputError(f"--posterior needs run.replicates >= 2 (here "
                         f"{scenario.run.replicates}): the seed-only interval comes from the "
                         "replicates of each draw; e.g. --set run.replicates=4")
    params, weights = read_posterior(calibration)
    check_new_folder(out)
    base_seed = scenario.run.seed
    sets = resample(params, weights, draws, base_seed, "posterior.draws")
    # every draw's scenario is validated before anything runs
    scenarios = [load_scenario(scenario, dict(p), seed=seed)
                 for p, seed in zip(sets, spawned_seeds(base_seed, "posterior.seeds", draws))]
    per_draw: dict[str, list[list[float]]] = {}
    nonneg: dict[str, bool] = {}
    with folder_atomic(out) as tmp:
        for k, sc in enumerate(scenarios):
            result = run_api(sc, out=tmp / "draws" / f"d{k:03d}")
            for name, (values, floored) in replicate_values(result.simulation).items():
                per_draw.setdefault(name, []).append(values)
                nonneg[name] = nonneg.get(name, True) and floored
            if progress is not None:
                progress(k + 1, draws)
        results = {name: result_entry(np.array(rows, float), 0.0 if nonneg[name] else None)
                   for name, rows in per_draw.items()}
        doc = {"scenario": scenario.name, "calibration": str(calibration),
               "draws": draws, "replicates": scenario.run.replicates,
               "parameters": [dict(p) for p in sets],
               "seeds": [sc.run.seed for sc in scenarios],
               "results": results}
        write_json_atomic(tmp / "posterior.json", json.loads(json.dumps(doc)))
    return doc
