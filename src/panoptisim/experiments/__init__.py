"""Experiments: parameter sweeps with replicates, aggregation with confidence intervals,
global sensitivity analysis, a DuckDB catalog, and execution on a process pool or Dask.

Python interface (the CLI commands ``sweep``, ``summarize``, ``sensitivity`` and ``query``
call these)::

    from panoptisim.experiments import load_sweep, run_sweep, summarize_sweep, analyze_sweep
    plan = load_sweep("examples/sweeps/fpir-appeals.toml")
    report = run_sweep(plan, "sweeps/fpir", jobs=2)
    table = summarize_sweep("sweeps/fpir")

See docs/experiments.md for the sweep-file format, the folder layout and the catalog.
"""

from panoptisim.experiments.aggregate import summarize_sweep
from panoptisim.experiments.catalog import connect, query
from panoptisim.experiments.sensitivity import analyze_sweep
from panoptisim.experiments.spec import Plan, SweepError, load_sweep
from panoptisim.experiments.sweep import SweepReport, run_sweep

__all__ = ["Plan", "SweepError", "SweepReport", "connect", "load_sweep", "query",
           "run_sweep", "analyze_sweep", "summarize_sweep"]
