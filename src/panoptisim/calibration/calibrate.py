"""One calibration from a targets file to its folder.

The folder holds ``targets.toml`` (the file as given), ``history.db`` (pyabc's history,
written generation by generation: what ``--resume`` continues from), and, once the sampling
ends, ``posterior.parquet`` (the last generation's weighted particles),
``generations.parquet``, ``predictive.parquet`` (each posterior draw's simulated targets),
``calibration.json`` (parameters, targets, predictive verdicts, settings) and
``pairs.png``. Those are written atomically, after the sampling: an interrupted calibration
leaves its history and nothing half-written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from panoptisim.calibration import results
from panoptisim.calibration.posterior import resample, spawned_seeds
from panoptisim.calibration.smc import HISTORY, run_smc
from panoptisim.calibration.targets import Calibration, TargetsError
from panoptisim.io import (
    check_new_folder,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
)

TARGETS_COPY = "targets.toml"


def prepare_folder(cal: Calibration, out: Path, resume: bool) -> None:
    """Check (and for a new calibration create) the folder, before anything runs."""
    if resume:
        copy = out / TARGETS_COPY
        if not (out / HISTORY).is_file() or not copy.is_file():
            raise TargetsError(f"--resume: '{out}' holds no calibration to resume (no "
                               f"{HISTORY} and {TARGETS_COPY}); run without --resume")
        if copy.read_text() != cal.text:
            raise TargetsError(f"--resume: '{out}' was calibrated from another targets file "
                               f"({copy} differs from the one given); resume with that file")
        return
    check_new_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out / TARGETS_COPY, cal.text.encode())


def stop_reason(cal: Calibration, generations: pa.Table, sims: int, budget: int | None
                ) -> str:
    """Why the sampling stopped, from its generations and its ``sims`` simulations."""
    sec = cal.section
    eps = generations.column("epsilon").to_numpy()
    acc = generations.column("acceptance").to_numpy()
    if len(eps) and eps[-1] <= sec.min_epsilon:
        return f"threshold reached: epsilon {eps[-1]:.3g} <= min_epsilon {sec.min_epsilon:g}"
    if len(acc) and acc[-1] < sec.min_acceptance:
        return (f"acceptance fell to {acc[-1]:.3g} < min_acceptance {sec.min_acceptance:g}: "
                "the targets are hard to reach jointly")
    if budget is not None and sims >= budget:
        return f"budget spent: {sims} simulations (--budget {budget})"
    return f"{len(eps)} generations (calibration.generations = {sec.generations})"


def pairs_png(posterior: pa.Table, parameters: dict[str, Any]) -> bytes:
    """PNG bytes of the pairs plot (the report's figure: marginals on the diagonal, the
    weighted particles of each pair below)."""
    import io

    from panoptisim.report.calibration_figures import posterior_pairs
    from panoptisim.report.style import styled

    fig = posterior_pairs(posterior.to_pandas(), parameters)
    buf = io.BytesIO()
    with styled():
        fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
    return buf.getvalue()


def calibrate(cal: Calibration, out: Path, *, executor: str = "local", jobs: int = 1,
              address: str | None = None, budget: int | None = None,
              resume: bool = False) -> dict[str, Any]:
    """Run (or resume) a calibration into ``out``; returns the calibration.json document."""
    prepare_folder(cal, out, resume)
    started = time.perf_counter()
    history = run_smc(cal, out, executor=executor, jobs=jobs, address=address,
                      budget=budget, resume=resume)
    sampled = time.perf_counter() - started
    generations = results.generations_table(history)
    # every simulation, the calibration sample that set generation 0's threshold included
    sims = int(history.total_nr_simulations)
    posterior, post = results.posterior_table(history, cal.keys)
    params = {p.key: results.parameter_summary(p, post["params"][p.key], post["weights"])
              for p in cal.priors}
    sec = cal.section
    draws = resample(post["params"], post["weights"], sec.predictive_draws, sec.seed,
                     "calibration.predictive_draws")
    seeds = spawned_seeds(sec.seed, "calibration.predictive_seeds", sec.predictive_draws)
    simulated = results.predictive(cal, draws, seeds)
    checks = {t.name: {**results.target_check(t.value, t.sd, simulated[t.name]),
                       "source": t.source} for t in cal.targets}
    doc = {
        "calibration": cal.name,
        "method": "ABC-SMC (pyabc), distance in published standard errors",
        "population": sec.population, "particles": sec.particles,
        # what a particle's simulation runs: each scenario at its size, for its targets
        "runs": [{"scenario": g.scenario.name, "agents": g.size, "control": g.control,
                  "targets": [t.name for t in g.targets]} for g in cal.groups],
        "generations": generations.num_rows,
        "simulations": sims,
        "stopped": stop_reason(cal, generations, sims, budget),
        "epsilon": float(generations.column("epsilon").to_numpy()[-1]),
        "parameters": params,
        "unconstrained": [k for k, v in params.items() if not v["constrained"]],
        "targets": checks,
        "misfits": [k for k, v in checks.items() if v["verdict"] == "misfit"],
        "seconds": {"sampling": sampled, "total": time.perf_counter() - started},
    }
    predictive = pa.table({"draw": np.arange(sec.predictive_draws, dtype=np.int32),
                           "seed": np.array(seeds, np.int64),
                           **{k: np.array([d[k] for d in draws]) for k in cal.keys},
                           **{f"target:{k}": v for k, v in simulated.items()}})
    write_parquet_atomic(out / "posterior.parquet", posterior)
    write_parquet_atomic(out / "generations.parquet", generations)
    write_parquet_atomic(out / "predictive.parquet", predictive)
    write_bytes_atomic(out / "pairs.png", pairs_png(posterior, params))
    write_json_atomic(out / "calibration.json", doc)
    return doc
