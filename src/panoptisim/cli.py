"""The command line: ``panoptisim run | scenarios | show | params``.

Bad input (unknown key, wrong type, out-of-range value, unreadable or malformed file) is
one line on stderr naming the key, the value and what is allowed, with exit status 2, and
nothing is written.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn
from rich.table import Table

from panoptisim.output import RunFolderError
from panoptisim.scenario import (ScenarioError, builtin_names, iter_params, load_scenario,
                                 parse_override)
from panoptisim.summary import HEADLINE

err_console = Console(stderr=True)


class _DelayedProgress:
    """A rich progress bar that appears only once a run has taken more than ``delay`` s."""

    def __init__(self, label: str, delay: float = 2.0, enabled: bool = True):
        self.label, self.delay, self.enabled = label, delay, enabled
        self.start = time.perf_counter()
        self.bar: Progress | None = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < self.delay:
                return
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                TextColumn("day {task.completed}/{task.total}"),
                                TimeElapsedColumn(), TimeRemainingColumn(),
                                console=err_console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v)


def summary_table(summary: dict[str, Any], names: tuple[str, ...] | None = None) -> Table:
    """The headline metrics of a summary as a rich table."""
    arms = summary["arms"]
    table = Table(title=f"{summary['scenario']} ({summary['regime']} regime), "
                        f"{summary['population']:,} agents x {summary['steps']} days, "
                        f"seed {summary['seed']}")
    table.add_column("metric")
    for arm in arms:
        table.add_column(arm, justify="right")
    if "control" in arms:
        table.add_column("effect", justify="right")
    table.add_column("95% CI", justify="right")
    for name in names or tuple(summary["metrics"]):
        m = summary["metrics"].get(name)
        if m is None:
            continue
        row = [name] + [_fmt(m.get(a)) for a in arms]
        if "control" in arms:
            row.append(_fmt(m.get("effect")))
        ci = m.get("ci95")
        row.append(f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "-")
        table.add_row(*row)
    return table


def _params_table() -> Table:
    table = Table(title="scenario parameters (--set KEY=VALUE)")
    table.add_column("key", no_wrap=True)
    for col in ("default", "unit", "allowed", "meaning"):
        table.add_column(col, overflow="fold")
    for p in iter_params():
        table.add_row(p.key, json.dumps(p.default), p.unit, p.allowed, p.description)
    return table


def _print_params(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        Console().print(_params_table())
        ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="panoptisim")
def cli() -> None:
    """panoptisim: what algorithmic citizen scoring and mass surveillance do to synthetic
    societies. Synthetic agents only; sensors are modelled by their error rates."""


@cli.command()
@click.argument("scenario", default="baseline")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a parameter by its dotted key, e.g. surveillance.cameras.fpir=0.003.")
@click.option("--seed", type=int, default=None, help="Root seed (same as --set run.seed=N).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run folder to create (default runs/<scenario>-seed<N>-<time>).")
@click.option("--no-control", is_flag=True, help="Skip the paired control arm.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary table.")
@click.option("--no-report", is_flag=True,
              help="Do not write report.html and figures/ (PNG, SVG) in the run folder.")
@click.option("--dry-run", is_flag=True,
              help="Validate the scenario and print its peak-memory estimate; run nothing.")
@click.option("--help-params", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_params, help="List every parameter with unit, default, range.")
def run(scenario: str, sets: tuple[str, ...], seed: int | None, out: Path | None,
        no_control: bool, quiet: bool, no_report: bool, dry_run: bool) -> None:
    """Run SCENARIO (a built-in name or a .toml path; default baseline) and write its folder.

    Before allocating anything, the run's peak memory is estimated from its size, degree
    and length (panoptisim.memory); a run that would not fit in the available memory is
    refused (exit 2). --dry-run prints the estimate and stops."""
    from panoptisim.api import run as run_api
    from panoptisim.memory import MB, available_bytes, estimate

    overrides = dict(parse_override(s) for s in sets)
    if no_control:
        overrides["run.control"] = False
    resolved = load_scenario(scenario, overrides, seed=seed)  # validate before anything runs
    need, limit = estimate(resolved), available_bytes()
    if dry_run:
        click.echo(f"{need.line()}; available {limit / MB:,.0f} MiB")
        return
    if need.peak > limit:
        raise ScenarioError(f"population.size={resolved.population.size} needs an estimated "
                            f"{need.peak / MB:,.0f} MiB at peak, more than the "
                            f"{limit / MB:,.0f} MiB available: reduce population.size")
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{resolved.name}-seed{resolved.run.seed}-{stamp}"
    progress = _DelayedProgress(f"{resolved.name}", enabled=not quiet)
    try:
        result = run_api(resolved, out=out, progress=progress)
    finally:
        progress.close()
    if not quiet:
        Console().print(summary_table(result.summary, HEADLINE))
    click.echo(f"run folder: {result.path}")
    if not no_report:
        from panoptisim.report import write_report
        try:
            click.echo(f"report: {write_report(result.path, result=result)}")
        except Exception as exc:  # the run folder is complete: a failed report is a warning
            click.echo(f"warning: the report was not written ({type(exc).__name__}: {exc}); "
                       f"retry with: panoptisim report {result.path}", err=True)


@cli.command()
def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    for name in builtin_names():
        click.echo(f"{name:<16} {load_scenario(name).description}")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--all", "show_all", is_flag=True, help="Every metric, not only the headline.")
def show(run_dir: Path, show_all: bool) -> None:
    """Print the summary of RUN_DIR as a table."""
    path = run_dir / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(f"'{run_dir}' is not a run folder: {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"'{path}' cannot be read: {exc}") from None
    Console().print(summary_table(summary, None if show_all else HEADLINE))


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in docs).")
def params(markdown: bool) -> None:
    """List every scenario parameter with unit, default, allowed range and source."""
    if markdown:
        from panoptisim.paramdoc import params_markdown
        click.echo(params_markdown(), nl=False)
    else:
        Console().print(_params_table())


from panoptisim.dashboard.cli import dashboard  # noqa: E402
from panoptisim.experiments.cli import query, sensitivity, summarize, sweep  # noqa: E402
from panoptisim.report.cli import report  # noqa: E402
from panoptisim.validation.cli import validate  # noqa: E402

for _command in (validate, sweep, summarize, sensitivity, query, report, dashboard):
    cli.add_command(_command)


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a click command with the project's error contract: bad input is one line on
    stderr with exit status 2, Ctrl-C is exit 130, a command's exit code reaches the shell.
    Shared by ``panoptisim`` and the ``python -m panoptisim.<part>`` entry points."""
    try:
        status = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
        if isinstance(status, int) and status:  # click returns, not raises, ctx.exit(n)
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("interrupted")
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(2)
    except (ScenarioError, RunFolderError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: no run folder was written", err=True)
        sys.exit(130)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with exit status 2 for any bad input."""
    run_command(cli, argv, "panoptisim")
