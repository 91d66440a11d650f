"""The command line: ``panoptisim run | scenarios | show | params``.

Bad input (unknown key, wrong type, out-of-range value, unreadable or malformed file) is
one line on stderr naming the key, the value and what is allowed, with exit status 2, and
nothing is written.
"""

from __future__ import annotations

import json
import time
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from panoptisim.calibration.cli import calibrate
from panoptisim.dashboard.cli import dashboard
from panoptisim.errors import InputError, checked_path, run_command
from panoptisim.experiments.cli import (
    FORMAT,
    print_frame,
    query,
    sensitivity,
    summarize_sweep_command,
    sweep,
)
from panoptisim.fmt import figure, literal, slug
from panoptisim.metrics import HEADLINE
from panoptisim.report.cli import report, report_message, report_or_warn
from panoptisim.scenario import builtin_names, iter_params, load_scenario, parse_override
from panoptisim.validation.cli import validate

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
        row = [name] + [figure(m.get(a)) for a in arms]
        if "control" in arms:
            row.append(figure(m.get("effect")))
        ci = m.get("ci95")
        row.append(f"[{figure(ci[0])}, {figure(ci[1])}]" if ci else "-")
        table.add_row(*row)
    return table


def regional(scenario: dict[str, Any]) -> bool:
    """Whether a scenario document gives some region rules of its own (``[regions.<name>]``
    or a timeline entry for some regions): then the run's tables show each region."""
    return bool(scenario.get("regions")) or any(
        e.get("regions") or any(k.startswith("regions.") for k in e.get("set", {}))
        for e in scenario.get("timeline", []))


def region_table(summary: dict[str, Any]) -> Table | None:
    """Each region's chilling index, sanctions and tie loss (None with one region)."""
    from panoptisim.report.build import REGION_COLUMNS, region_rows
    regions = summary.get("regions") or {}
    if len(regions) < 2:
        return None
    effect = "effect" if "control" in summary["arms"] else "treated"
    first = next(iter(regions.values()))
    table = Table(title=f"by region ({effect}, 95% CI)", caption="; ".join(
        f"{title}: {first[key]['unit']}" for key, title in REGION_COLUMNS))
    table.add_column("region")
    table.add_column("residents", justify="right")
    for _, title in REGION_COLUMNS:
        table.add_column(title, justify="right")
    for row in region_rows(summary):
        cells = [row[0], figure(row[1])]
        cells += [f"{figure(v)} {ci}" if ci != "–" else figure(v)
                  for v, ci in zip(row[2::2], row[3::2])]
        table.add_row(*cells)
    return table


def event_table(summary: dict[str, Any]) -> Table | None:
    """Each timeline entry's chilling index before and after, and the recovery figures
    after an abolition or a reveal (None without a timeline)."""
    events = summary.get("events")
    if not events:
        return None
    table = Table(title=f"timeline entries: chilling index over the {events[0]['window']} days "
                        "before and after (share of the control arm's expressed dissent); "
                        "recovery after abolish / reveal")
    for col in ("day", "entry", "before", "after", "recovery (days)", "overshoot (share)",
                "largest weekly rise (share of agents per day)"):
        table.add_column(col, justify="left" if col == "entry" else "right")
    for ev in events:
        chill = ev["metrics"].get("chilling_index", {})
        rec = ev.get("recovery") or {}

        def cell(entry: Any, key: str = "effect") -> str:
            if not isinstance(entry, dict):
                return "-"
            value = entry.get(key, entry.get("mean"))
            if entry.get("censored"):
                return "not within the run"
            return figure(value) if value is not None else "-"

        table.add_row(str(ev["day"]), ev["label"], cell(chill.get("before")),
                      cell(chill.get("after")), cell(rec.get("recovery_days"), "mean"),
                      cell(rec.get("overshoot"), "mean"),
                      cell(rec.get("largest_weekly_rise"), "mean"))
    return table


def _print_summary(summary: dict[str, Any], names: tuple[str, ...] | None,
                   by_region: bool) -> None:
    """The summary table, then (``by_region``) each region's, then each timeline entry's."""
    console = Console()
    console.print(summary_table(summary, names))
    for extra in (region_table(summary) if by_region else None, event_table(summary)):
        if extra is not None:
            console.print(extra)


def _matching_params(text: str | None) -> list[Any]:
    """Every parameter, then the fields of a region; with ``text``, those whose key
    contains it (any case). No match is an InputError."""
    from panoptisim.paramdoc import region_params

    found = [p for p in [*iter_params(), *region_params()]
             if text is None or text.lower() in p.key.lower()]
    if not found:
        raise InputError(f"params {text!r}: no parameter key contains it (keys are dotted, "
                         f"e.g. surveillance.cameras.fpir: try a part such as 'cameras')")
    return found


def _params_table(text: str | None = None) -> Table:
    """Every parameter (or those whose key contains ``text``), then the fields of a region;
    the timeline column says which keys a timeline entry may set ("no (build-time)": read
    when the society is built)."""
    from panoptisim.paramdoc import changes

    table = Table(title="scenario parameters (--set KEY=VALUE)",
                  caption=escape("timeline: whether a [[timeline]] entry may set the key (no: "
                                 "it is read when the society is built); 'per region': "
                                 "[regions.<name>] may give it its own value there"))
    table.add_column("key", no_wrap=True)
    for col in ("default", "unit", "allowed", "timeline", "meaning"):
        table.add_column(col, overflow="fold")
    for p in _matching_params(text):
        default = "-" if p.default is None else literal(p.default)
        table.add_row(*(escape(c) for c in (p.key, default, p.unit, p.allowed, changes(p.key),
                                            p.description)))
    return table


def _params_frame(text: str | None = None) -> pd.DataFrame:
    """The parameters of :func:`_params_table` as rows: key, default (as written in a
    scenario file; empty without one), unit, allowed, timeline, meaning, source."""
    from panoptisim.paramdoc import changes

    return pd.DataFrame([{"key": p.key, "default": None if p.default is None
                          else literal(p.default), "unit": p.unit, "allowed": p.allowed,
                          "timeline": changes(p.key), "meaning": p.description,
                          "source": p.source} for p in _matching_params(text)])


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
@click.option("--out", type=click.Path(path_type=Path), default=None, callback=checked_path,
              help="Run folder to create (default runs/<scenario>-seed<N>-<time>).")
@click.option("--no-control", is_flag=True, help="Skip the paired control arm.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary table.")
@click.option("--no-report", is_flag=True,
              help="Do not write report.html and figures/ (PNG, SVG) in the run folder.")
@click.option("--dry-run", is_flag=True,
              help="Validate the scenario and print its peak-memory estimate; run nothing.")
@click.option("--posterior", type=click.Path(path_type=Path), default=None,
              help="A calibration folder (panoptisim calibrate): run SCENARIO under --draws "
                   "parameter sets drawn from its posterior, each with run.replicates "
                   "replicates, and report every headline result with an interval that "
                   "includes parameter uncertainty beside the seed-only one.")
@click.option("--draws", type=click.IntRange(2, 10000), default=20, show_default=True,
              help="Posterior draws (with --posterior).")
@click.option("--snapshots", metavar="D1,D2,...", default=None,
              help="Days (0-based) at whose end every agent's state and the live ties are "
                   "written to snapshots/ in the run folder, as Parquet (same as --set "
                   "run.snapshots=[D1,D2]); see export-network.")
@click.option("--help-params", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_params, help="List every parameter with unit, default, range.")
def run(scenario: str, sets: tuple[str, ...], seed: int | None, out: Path | None,
        no_control: bool, quiet: bool, no_report: bool, dry_run: bool,
        posterior: Path | None, draws: int, snapshots: str | None) -> None:
    """Run SCENARIO (a built-in name or a .toml path; default baseline) and write its folder.

    Before allocating anything, the run's peak memory is estimated from its size, degree
    and length (panoptisim.footprint); a run that would not fit in the available memory is
    refused (exit 2). --dry-run prints the estimate and stops."""
    from panoptisim.api import run as run_api
    from panoptisim.footprint import MB, available_bytes, check_fits, estimate
    from panoptisim.snapshots import parse_days

    overrides = dict(parse_override(s) for s in sets)
    if no_control:
        overrides["run.control"] = False
    if snapshots is not None:
        overrides["run.snapshots"] = parse_days(snapshots)
    resolved = load_scenario(scenario, overrides, seed=seed)  # validate before anything runs
    if dry_run:
        click.echo(f"{estimate(resolved).line()}; available {available_bytes() / MB:,.0f} MiB")
        return
    check_fits(resolved)
    if posterior is not None:
        _run_posterior(resolved, posterior, draws, out, quiet)
        return
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{slug(resolved.name)}-seed{resolved.run.seed}-{stamp}"
    progress = _DelayedProgress(f"{resolved.name}", enabled=not quiet)
    told: list[tuple[str, bool]] = []

    def finish(folder: Path, result: Any) -> None:
        """The table, then the report, written in the folder before it takes its name."""
        progress.close()
        if not quiet:
            _print_summary(result.summary, HEADLINE,
                           regional(resolved.model_dump(mode="json", exclude_none=True)))
        if not no_report:
            told.append(report_message(folder, result, final=out))

    try:
        result = run_api(resolved, out=out, progress=progress, finish=finish)
    finally:
        progress.close()
    click.echo(f"run folder: {result.path}")
    for line, warning in told:
        click.echo(line, err=warning)


def _run_posterior(resolved: Any, posterior: Path, draws: int, out: Path | None,
                   quiet: bool) -> None:
    """``run --posterior``: the scenario under posterior draws, with both intervals."""
    from panoptisim.calibration.posterior_runs import run_posterior

    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{slug(resolved.name)}-posterior-seed{resolved.run.seed}-{stamp}"
    progress = _DelayedProgress(f"{resolved.name} under the posterior", enabled=not quiet)
    try:
        doc = run_posterior(resolved, posterior, draws, out, progress=progress)
    finally:
        progress.close()
    if not quiet:
        table = Table(title=f"{resolved.name} under the posterior of {posterior} ({draws} "
                            f"draws x {doc['replicates']} replicates; effects are treated - "
                            "control, in each metric's unit as in summary.json)")
        for col in ("metric", "mean", "95% (parameters + seeds)", "95% (seeds only)",
                    "parameter share of variance"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        for name, e in doc["results"].items():
            table.add_row(name, figure(e["mean"]),
                          f"[{figure(e['ci95_posterior'][0])}, {figure(e['ci95_posterior'][1])}]",
                          f"[{figure(e['ci95_seed'][0])}, {figure(e['ci95_seed'][1])}]",
                          figure(e["parameter_share"]))
        Console().print(table)
    click.echo(f"posterior runs: {out}")


@cli.command()
@click.argument("a")
@click.argument("b")
@click.option("--replicates", type=click.IntRange(2, 1000), default=None,
              help="Paired replicates of each scenario (the same seeds for A and B); "
                   "default 5.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a parameter in both A and B, e.g. population.size=20000.")
@click.option("--seed", type=int, default=None, help="Root seed of both (default: A's).")
@click.option("--out", type=click.Path(path_type=Path), default=None, callback=checked_path,
              help="Comparison folder to create (default comparisons/<B>-vs-<A>-seed<N>-<time>).")
@click.option("--posterior", type=click.Path(path_type=Path), default=None,
              help="A calibration folder: compare under --draws parameter sets drawn from "
                   "its posterior (each shared by A and B).")
@click.option("--draws", type=click.IntRange(2, 10000), default=20, show_default=True,
              help="Posterior draws (with --posterior).")
@click.option("--rerun", is_flag=True,
              help="Run two run folders' scenarios again (paired) instead of reading them.")
@click.option("--quiet", is_flag=True, help="No progress bar and no table.")
@click.option("--no-report", is_flag=True, help="Do not write report.html and figures/.")
def compare(a: str, b: str, replicates: int | None, sets: tuple[str, ...], seed: int | None,
            out: Path | None, posterior: Path | None, draws: int, rerun: bool, quiet: bool,
            no_report: bool) -> None:
    """Compare scenario B with scenario A: the paired difference B - A of every headline
    result over replicates run on common random numbers, with its 95% interval.

    A and B are built-in names, scenario files or run folders. Two run folders are compared
    as they ran, without running anything, when their replicates pair (same seed and
    replicates); --rerun, --replicates, --seed, --set or --posterior runs their
    scenario.toml again instead, paired."""
    from panoptisim.compare import compare as compare_api
    from panoptisim.compare import resolve_pair
    from panoptisim.footprint import check_fits

    overrides = dict(parse_override(s) for s in sets)
    folders, sa, sb = resolve_pair(a, b, rerun=rerun, replicates=replicates, seed=seed,
                                   overrides=overrides, posterior=posterior)
    if folders is None:  # to be run: refuse before running what would not fit in memory
        for resolved in (sa, sb):
            check_fits(resolved)
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = (Path("comparisons") /
               f"{slug(sb.name)}-vs-{slug(sa.name)}-seed{sa.run.seed}-{stamp}")
    progress = _DelayedProgress(f"{sb.name} vs {sa.name}", enabled=not quiet)
    try:
        result = compare_api(a, b, replicates=replicates, seed=seed, overrides=overrides,
                             out=out, posterior=posterior, draws=draws, progress=progress,
                             rerun=rerun)
    finally:
        progress.close()
    if not quiet:
        Console().print(comparison_table(result.doc))
    click.echo(f"comparison folder: {result.path}")
    if not no_report:
        report_or_warn(result.path)


def comparison_table(doc: dict[str, Any]) -> Table:
    """The printed table of a comparison: A, B, B - A and its interval(s) per result."""
    under = f", {doc['draws']} posterior draws" if doc["draws"] else ""
    table = Table(title=f"{doc['b']['name']} - {doc['a']['name']}: paired differences over "
                        f"{doc['replicates']} replicates{under} (common random numbers, seed "
                        f"{doc['seed']})",
                  caption="A and B: each run's effect, treated - control (the treated value "
                          "without a control arm), in the metric's unit as in summary.json, "
                          "aggregated over the run as 'over' says; 'vs A': B - A relative to "
                          "A's mean.")
    columns = ["metric", "over", "A", "B", "B - A", "95% CI", "vs A"]
    if doc["draws"]:
        columns[5] = "95% (parameters + seeds)"
        columns += ["95% (seeds only)", "parameter share"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("metric", "over") else "right")
    for name, r in doc["results"].items():
        ci = r["ci95"]
        row = [name, r["aggregate"], figure(r["a"]), figure(r["b"]), figure(r["difference"]),
               f"[{figure(ci[0])}, {figure(ci[1])}]",
               "-" if r["relative"] is None else f"{r['relative']:+.1%}"]
        if doc["draws"]:
            row += [f"[{figure(r['ci95_seed'][0])}, {figure(r['ci95_seed'][1])}]",
                    figure(r["parameter_share"])]
        table.add_row(*row)
    return table


@cli.command()
def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    for name in builtin_names():
        click.echo(f"{name:<16} {load_scenario(name).description}")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--all", "show_all", is_flag=True, help="Every metric, not only the headline.")
@FORMAT
def show(run_dir: Path, show_all: bool, fmt: str) -> None:
    """Print the summary of RUN_DIR as a table (csv, json: one row per metric with its
    aggregate, treated, control, effect and the effect's 95% interval)."""
    path = run_dir / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"'{run_dir}' is not a run folder: {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"'{path}' cannot be read: {exc}") from None
    names = None if show_all else HEADLINE
    if fmt != "table":
        from panoptisim.experiments.catalog import summary_rows

        print_frame(pd.DataFrame(summary_rows(summary, names)), fmt)
        return
    try:
        scenario = tomllib.loads((run_dir / "scenario.toml").read_text())
    except (OSError, ValueError):
        scenario = {}
    _print_summary(summary, names, show_all or regional(scenario))


@cli.command("export-network")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--day", type=int, required=True, help="A day with a snapshot (run --snapshots).")
@click.option("--format", "fmt", type=click.Choice(["graphml", "parquet"]), default="graphml",
              show_default=True, help="graphml: one file for networkx, igraph or Gephi; "
                                      "parquet: a folder with nodes.parquet and edges.parquet.")
@click.option("--out", type=click.Path(path_type=Path), default=None, callback=checked_path,
              help="File (graphml) or folder (parquet) to write; an existing file, or a "
                   "folder holding only nodes.parquet and edges.parquet, is replaced whole, "
                   "any other folder refused "
                   "(default: network-day-DDDD-ARM-rN[.graphml] in RUN_DIR).")
@click.option("--arm", type=click.Choice(["treated", "control"]), default="treated",
              show_default=True, help="Arm of the paired run.")
@click.option("--replicate", type=click.IntRange(0), default=0, show_default=True,
              help="Replicate of the run (0-based).")
def export_network(run_dir: Path, day: int, fmt: str, out: Path | None, arm: str,
                   replicate: int) -> None:
    """Write the social network of RUN_DIR's snapshot of --day: agents as nodes with their
    state as attributes, live ties as edges (synthetic agents only)."""
    from panoptisim.network_export import export_network as export

    path, agents, ties = export(run_dir, day, fmt, out, arm, replicate)
    click.echo(f"network of day {day} ({arm} arm, replicate {replicate}): {agents:,} agents "
               f"(nodes), {ties:,} live ties (undirected edges) -> {path}")


@cli.command()
@click.argument("text", required=False)
@FORMAT
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in docs).")
def params(text: str | None, fmt: str, markdown: bool) -> None:
    """List every scenario parameter with unit, default, allowed range and source; with
    TEXT, only those whose key contains it (e.g. cameras)."""
    if markdown:
        if text is not None or fmt != "table":
            raise click.UsageError("--markdown prints every parameter as in the docs: give "
                                   "it without TEXT and --format")
        from panoptisim.paramdoc import params_markdown
        click.echo(params_markdown(), nl=False)
    elif fmt != "table":
        print_frame(_params_frame(text), fmt)
    else:
        Console().print(_params_table(text))


for _command in (validate, sweep, summarize_sweep_command, sensitivity, query, report,
                 dashboard, calibrate):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with exit status 2 for any bad input."""
    run_command(cli, argv, "panoptisim")
