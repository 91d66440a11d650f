"""Commands ``sweep``, ``summarize``, ``sensitivity`` and ``query``.

They are plain click commands, registered on the ``panoptisim`` group (``cli.add_command``)
and on :data:`experiments_cli` (``python -m panoptisim.experiments``). Bad input raises
SweepError (an InputError): one line and exit status 2 through ``main``.
"""

from __future__ import annotations

import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from panoptisim.errors import checked_path, run_command
from panoptisim.experiments.design import MAX_RUNS
from panoptisim.experiments.spec import SweepError
from panoptisim.fmt import figure, slug
from panoptisim.metrics import HEADLINE

err_console = Console(stderr=True)


def _overrides(sets: tuple[str, ...]) -> dict[str, Any]:
    from panoptisim.scenario import parse_override

    return dict(parse_override(s) for s in sets)


def _cell(value: Any) -> str:
    """A table cell: a whole number (a point, a seed, a count) as stored, so it can be
    copied back into a command; any other value as :func:`panoptisim.fmt.figure`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return figure(value)


def _frame_table(df: pd.DataFrame, title: str | None = None, max_rows: int = 50) -> Table:
    table = Table(title=title)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    if len(df) > max_rows:
        table.caption = f"{len(df) - max_rows} more rows (--max-rows, or --format csv)"
    return table


def print_frame(df: pd.DataFrame, fmt: str) -> None:
    """``df`` on stdout as ``--format`` csv or json asks, with nothing else: CSV with a
    header row, or a JSON array of one object per row (missing values as null)."""
    from panoptisim.experiments.catalog import csv_text, json_records

    if fmt == "csv":
        click.echo(csv_text(df), nl=False)
    else:
        click.echo(json_records(df))


#: ``--format`` of the commands that print a table: rich for a person, csv or json for a
#: program (stdout holds nothing else).
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                      default="table", show_default=True,
                      help="table: for reading; csv, json: every row, nothing else on stdout.")


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@click.command()
@click.argument("sweep_file", required=False, type=click.Path(path_type=Path))
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Process pool on this machine, or a dask cluster.")
@click.option("--address", default=None, metavar="tcp://HOST:PORT",
              help="Scheduler of an existing dask cluster (default: start a local one).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (local, or the local dask cluster); default: cores.")
@click.option("--out", type=click.Path(path_type=Path), default=None, callback=checked_path,
              help="Sweep folder (default sweeps/<name>-<time>).")
@click.option("--resume", is_flag=True,
              help="Finish the sweep in --out: run only what is missing.")
@click.option("--retry-failed", is_flag=True, help="With --resume, also rerun failed runs.")
@click.option("--retries", type=click.IntRange(0, 20), default=2, show_default=True,
              help="Extra attempts for a run whose worker dies.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a [sweep] key (sweep.replicates=8) or a scenario key "
                   "(run.steps=30, added to [set]).")
@click.option("--max-runs", type=click.IntRange(min=1), default=MAX_RUNS, show_default=True,
              help="Refuse a sweep of more runs (points x replicates), counted before "
                   "anything is built.")
@click.option("--dry-run", is_flag=True, help="Validate and show the plan; run nothing.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(sweep_file: Path | None, executor: str, address: str | None, jobs: int | None,
          out: Path | None, resume: bool, retry_failed: bool, retries: int,
          sets: tuple[str, ...], max_runs: int, dry_run: bool, quiet: bool) -> None:
    """Run the sweep SWEEP_FILE: every point x replicate is a run with its own folder."""
    from panoptisim.experiments.spec import load_sweep
    from panoptisim.experiments.sweep import run_sweep

    if sweep_file is None:
        if not (resume and out is not None):
            raise click.UsageError("give SWEEP_FILE, or --resume --out SWEEP_DIR")
        sweep_file = out / "sweep.toml"
        if not sweep_file.exists():
            raise SweepError(f"--out '{out}' is not a sweep folder: {sweep_file} does not "
                             f"exist")
    if resume and out is None:
        raise click.UsageError("--resume needs --out SWEEP_DIR")
    if retry_failed and not resume:
        raise click.UsageError("--retry-failed goes with --resume")
    # validate (and count the runs) before anything is built, run or written
    plan = load_sweep(sweep_file, _overrides(sets), max_runs=max_runs)
    if out is None:
        out = Path("sweeps") / f"{slug(plan.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    if dry_run:
        plural = "s" if plan.replicates > 1 else ""
        click.echo(f"sweep {plan.name}: design {plan.design.name}, {plan.n_points} points x "
                   f"{plan.replicates} replicate{plural} = {plan.n_runs} runs of "
                   f"{plan.base.population.size:,} agents x {plan.base.run.steps} days "
                   f"(root seed {plan.root_seed})")
        for axis in plan.axes:
            shown = (", ".join(map(str, axis.values)) if axis.kind == "values" else
                     f"[{axis.low:g}, {axis.high:g}]{' log' if axis.log else ''}")
            click.echo(f"  {axis.key}: {shown}")
        click.echo(f"would write: {out}")
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        report = run_sweep(plan, out, executor=executor, address=address, jobs=jobs,
                           resume=resume, retry_failed=retry_failed, retries=retries,
                           quiet=quiet)
    except KeyboardInterrupt:
        from panoptisim.experiments.store import SweepStore

        store = SweepStore(out)
        done = len(store.done()) if store.exists() else 0
        click.echo(f"interrupted: {done} of {plan.n_runs} runs done in {out}; finish with: "
                   f"panoptisim sweep --resume --out {out}", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    extra = []
    if report.replicates_before is not None:
        extra.append(f"replicates per point {report.replicates_before} -> {plan.replicates}")
    if report.recovered:
        extra.append(f"{len(report.recovered)} recovered")
    if report.skipped:
        extra.append(f"{report.skipped} already finished")
    if report.failed_before:
        extra.append(f"{report.failed_before} failed before, " + (
            "run again" if retry_failed else "not run again (add --retry-failed)"))
    if report.retried:
        extra.append(f"{report.retried} retried")
    click.echo(f"sweep {report.sweep_id}: {report.done} of {report.total} runs done, "
               f"{report.failed} failed ({len(report.executed)} run now"
               f"{', ' + ', '.join(extra) if extra else ''}) in {report.wall_s:.1f} s "
               f"-> {report.path}")
    if report.failed:
        from panoptisim.experiments.store import SweepStore

        failures = SweepStore(report.path).failed()
        for run_id, rec in list(failures.items())[:5]:
            click.echo(f"  failed {run_id}: {rec['error'].splitlines()[0]}", err=True)
        click.echo(f"  {report.failed} failed runs are recorded in {report.path / 'failed'}",
                   err=True)
        sys.exit(1)


@click.command("summarize")
@click.argument("sweep_dir", type=click.Path(path_type=Path))
@click.option("--ci", type=click.Choice(["auto", "t", "bootstrap"]), default="auto",
              show_default=True, help="Interval: t, bootstrap (BCa), or chosen per group.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True)
@click.option("--resamples", type=click.IntRange(100, 1_000_000), default=2000,
              show_default=True, help="Bootstrap resamples.")
@click.option("--metric", "metrics", multiple=True,
              help="Metric(s) to print (all are written); default: chilling_index in a "
                   "table, every metric in csv or json.")
@click.option("--max-rows", type=click.IntRange(min=1), default=40, show_default=True)
@FORMAT
def summarize_sweep_command(sweep_dir: Path, ci: str, confidence: float, resamples: int,
                            metrics: tuple[str, ...], max_rows: int, fmt: str) -> None:
    """Mean, sd and 95% interval of every metric per point, treated, control and effect."""
    from panoptisim.experiments.aggregate import AUTO_MIN_N, summarize_sweep

    table = summarize_sweep(sweep_dir, ci=ci, confidence=confidence, n_boot=resamples)
    few = int(table["n"].min())
    if ci == "bootstrap" and few < AUTO_MIN_N:
        click.echo(f"warning: --ci bootstrap with {few} replicates at some points: a bootstrap "
                   f"interval from fewer than {AUTO_MIN_N} replicates is too narrow (it "
                   "resamples only the values seen); use --ci t, or more replicates",
                   err=True)
    known = list(dict.fromkeys(table["metric"]))
    for m in metrics:
        if m not in known:
            raise SweepError(f"--metric '{m}' is not a metric of this sweep (e.g. "
                             f"{', '.join(known[:4])})")
    if fmt != "table":
        print_frame(table[table["metric"].isin(metrics or known)], fmt)
        return
    shown = list(metrics) or [m for m in ("chilling_index",) if m in known] or known[:1]
    for m in shown:
        rows = table[table["metric"] == m].drop(columns=["sweep_id", "metric", "confidence"])
        Console(width=max(120, Console().width)).print(
            _frame_table(rows, title=m, max_rows=max_rows))
    click.echo(f"summary: {Path(sweep_dir) / 'summary.parquet'} ({len(table)} rows; also "
               f"summary.csv)")


@click.command()
@click.argument("sweep_dir", type=click.Path(path_type=Path))
@click.option("--metric", "metrics", multiple=True,
              help="Outcome(s) to analyse (default: the headline metrics).")
@click.option("--arm", type=click.Choice(["treated", "control", "effect"]), default=None,
              help="Which value of the metric (default effect, or treated without control).")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True)
@click.option("--resamples", type=click.IntRange(10, 100_000), default=None,
              help="Bootstrap resamples of the indices (default 1000; 100 for the delta "
                   "indices of an lhs design, whose resamples are costly).")
def sensitivity(sweep_dir: Path, metrics: tuple[str, ...], arm: str | None,
                confidence: float, resamples: int | None) -> None:
    """Sobol' indices (or Morris mu*, sigma) of each outcome, and what drives it."""
    from panoptisim.experiments.sensitivity import analyze_sweep as analyse
    from panoptisim.experiments.store import SweepStore

    names = list(metrics)
    if not names:
        known = set(SweepStore(sweep_dir).results()["metric"])
        names = [m for m in HEADLINE if m in known]
    if resamples is None:
        resamples = 100 if SweepStore(sweep_dir).info()["design"] == "lhs" else 1000
    console = Console(width=max(120, Console().width))
    for name in names:
        res = analyse(sweep_dir, name, arm, confidence=confidence, resamples=resamples)
        cols = [c for c in res.table.columns if c not in ("drives", "nonlinear")]
        console.print(_frame_table(res.table[cols], title=f"{res.metric} ({res.arm}): "
                                   f"{res.method}, {res.n_points} points"))
        click.echo(res.verdict)
    click.echo(f"indices: {Path(sweep_dir) / 'sensitivity'}")


@click.command()
@click.argument("sql")
@click.option("--dir", "root", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="A sweep folder, or a folder of sweep folders.")
@FORMAT
@click.option("--max-rows", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--to", "to", type=click.Path(path_type=Path), default=None,
              metavar="FILE.csv|FILE.parquet",
              help="Write the result to this file instead of printing it.")
@click.option("--force", is_flag=True, help="With --to, replace an existing file.")
def query(sql: str, root: Path, fmt: str, max_rows: int, to: Path | None,
          force: bool) -> None:
    """Run one SELECT statement SQL on the catalog (tables: sweeps, runs, parameters,
    points, metrics, summaries, failures, sessions, point_summaries, sensitivity) and print
    the result. The catalog is read-only and reads no file outside --dir."""
    from panoptisim.experiments.catalog import check_export, export, query_arrow
    from panoptisim.experiments.catalog import query as run_query

    if to is not None:
        check_export(to, force)  # before the query runs: nothing is written on refusal
        table = query_arrow(sql, root)
        export(table, to, force)
        click.echo(f"{table.num_rows} rows -> {to}")
        return
    df = run_query(sql, root)
    if fmt != "table":
        print_frame(df, fmt)
        return
    Console(width=max(120, Console().width)).print(_frame_table(df, max_rows=max_rows))
    click.echo(f"{len(df)} rows")


COMMANDS = (sweep, summarize_sweep_command, sensitivity, query)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def experiments_cli() -> None:
    """Panoptisim experiments: sweeps, aggregation, sensitivity analysis, catalog."""


for _command in COMMANDS:
    experiments_cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m panoptisim.experiments``: errors as ``panoptisim``'s."""
    run_command(experiments_cli, argv, "panoptisim")
