"""Command ``calibrate``: fit the model's parameters to published aggregate statistics.

Bad input (the targets file, its priors, the options) is one line and exit status 2
before anything is written; see docs/calibration.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from panoptisim.errors import checked_path
from panoptisim.fmt import figure, slug
from panoptisim.report.cli import report_or_warn


def _interval(ci: list[float]) -> str:
    return f"[{figure(ci[0])}, {figure(ci[1])}]"


def parameter_table(doc: dict[str, Any]) -> Table:
    """The posterior of each parameter: median, 50% and 90% credible intervals, prior."""
    table = Table(title=f"Posterior of '{doc['calibration']}' ({doc['generations']} "
                        f"generations, {doc['simulations']} simulations; {doc['stopped']})")
    for col in ("parameter", "unit", "median", "50% interval", "90% interval", "prior",
                "constrained"):
        table.add_column(col, justify="left" if col in ("parameter", "unit", "prior")
                         else "right")
    for key, p in doc["parameters"].items():
        prior = p["prior"]
        table.add_row(key, p["unit"], figure(p["median"]), _interval(p["ci50"]),
                      _interval(p["ci90"]),
                      f"{prior['kind']} [{figure(prior['min'])}, {figure(prior['max'])}]",
                      "yes" if p["constrained"] else
                      f"no ({p['width_vs_prior']:.0%} of the prior's 90%)")
    return table


def target_table(doc: dict[str, Any]) -> Table:
    """The posterior predictive check: each target's published value and the simulations."""
    table = Table(title="Posterior predictive check (each target under posterior draws)")
    for col in ("target", "published (± se)", "simulated median", "simulated 90%", "z",
                "verdict"):
        table.add_column(col, justify="left" if col in ("target", "verdict") else "right")
    for name, t in doc["targets"].items():
        table.add_row(name, f"{figure(t['published'])} ± {figure(t['se'])}",
                      figure(t["simulated_median"]), _interval(t["simulated_90"]),
                      f"{t['z']:+.2f}",
                      "fits" if t["verdict"] == "fits" else "[bold]MISFIT[/bold]")
    return table


@click.command()
@click.argument("targets_file", type=click.Path(path_type=Path))
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="local: processes on this machine; dask: a Dask "
                                      "cluster (--address, or a local one of --jobs workers).")
@click.option("--address", default=None, help="Dask scheduler address (with --executor dask).")
@click.option("--jobs", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Simulations at once (processes, or local Dask workers).")
@click.option("--budget", type=click.IntRange(1, None), default=None,
              help="Stop after about this many simulations (default: no limit).")
@click.option("--out", type=click.Path(path_type=Path), default=None, callback=checked_path,
              help="Calibration folder (default: calibrations/<name>).")
@click.option("--resume", is_flag=True,
              help="Continue the calibration in --out from its last finished generation.")
@click.option("--no-report", is_flag=True,
              help="Do not write report.html and figures/ (PNG, SVG) in the folder.")
def calibrate(targets_file: Path, executor: str, address: str | None, jobs: int,
              budget: int | None, out: Path | None, resume: bool, no_report: bool) -> None:
    """Calibrate parameters to the published statistics of TARGETS_FILE (ABC-SMC): a
    targets file, or a built-in target set by name (penney2016, pen2013, china2018)."""
    from panoptisim.calibration.calibrate import calibrate as run_calibration
    from panoptisim.calibration.targets import TargetsError, load_targets

    if address is not None and executor != "dask":
        raise TargetsError(f"--address {address} needs --executor dask (the local executor "
                           "runs on this machine)")
    cal = load_targets(targets_file)
    out = out if out is not None else Path("calibrations") / slug(cal.name)
    console = Console()
    console.print(f"calibrating '{cal.name}': {len(cal.priors)} parameters, "
                  f"{len(cal.targets)} targets, {cal.section.particles} particles, "
                  f"{' + '.join(f'{g.size:,}' for g in cal.groups)} agents a particle's "
                  f"simulations -> {out}")
    doc = run_calibration(cal, out, executor=executor, jobs=jobs, address=address,
                          budget=budget, resume=resume)
    console.print(parameter_table(doc))
    console.print(target_table(doc))
    if doc["unconstrained"]:
        console.print("the targets leave unconstrained: " + ", ".join(doc["unconstrained"]))
    if doc["misfits"]:
        console.print("[bold]misfit[/bold] (the model does not reach them under these "
                      "priors): " + ", ".join(doc["misfits"]))
    console.print(f"calibration folder: {out}")
    if not no_report:
        report_or_warn(out)
