"""``panoptisim report RUN_DIR|SWEEP_DIR|CALIB_DIR|COMPARISON_DIR [--format html|pdf]
[--out FILE]``, and the report the other commands write at their end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FORMATS = ("html", "pdf")  # as panoptisim.report.build.FORMATS (not imported: no matplotlib)


def report_message(folder: Path, result: Any = None, final: Path | None = None
                   ) -> tuple[str, bool]:
    """Write ``folder``'s report; return the line that tells of it and whether that is a
    warning. The folder's data are complete by then: a report that fails (other than by
    Ctrl-C) is a warning with the command that retries it, not an error. ``final``: the
    folder's name once renamed into place (``panoptisim run`` writes its report before the
    rename), under which the line names the files."""
    from panoptisim.report import write_report

    shown = folder if final is None else Path(final)
    try:
        path = write_report(folder, result=result)
    except Exception as exc:
        return (f"warning: the report was not written ({type(exc).__name__}: {exc}); retry "
                f"with: panoptisim report {shown}", True)
    return f"report: {shown / path.relative_to(folder)}", False


def report_or_warn(folder: Path, result: Any = None) -> None:
    """Write ``folder``'s report at the end of a command and echo its path, or the warning
    of :func:`report_message`."""
    line, warning = report_message(folder, result)
    click.echo(line, err=warning)


@click.command("report")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one self-contained page (figures embedded); pdf: one page per "
                   "figure after a table of the headline effects (of a calibration: its "
                   "parameters and targets).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report file to write (default FOLDER/report.html or .pdf). Figures go "
                   "to figures/ beside it as PNG and SVG.")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@click.option("--no-replay", is_flag=True,
              help="Run reports: skip replaying the run to draw the final score "
                   "distribution (the folder stores no agents).")
@click.option("--network-days", default=None, metavar="D1,D2,...",
              help="Run reports of small societies (<= 5000 agents): add the social graph "
                   "at these days, coloured by score and dissent, cut ties shown.")
def report(folder: Path, fmt: str, out: Path | None, force: bool, no_replay: bool,
           network_days: str | None) -> None:
    """Write the report of a run, sweep, calibration or comparison folder (HTML or PDF; PNG
    and SVG figures). An existing --out file is replaced only with --force (the folder's
    own report.html or .pdf is rewritten)."""
    from panoptisim.report.build import ReportError, kind_of, write_report

    if out is not None and out.is_file() and not force:
        raise ReportError(f"--out '{out}' already exists: give a new file name, or --force to "
                          f"replace it")
    extra = None
    if network_days:
        try:
            days = sorted({int(d) for d in network_days.split(",") if d.strip()})
        except ValueError:
            raise ReportError(f"--network-days {network_days!r} is not a list of days, e.g. "
                              f"0,30,60") from None
        if kind_of(folder) != "run":
            raise ReportError("--network-days applies to run folders only")
        from panoptisim.report.network import network_extra

        extra = network_extra(folder / "scenario.toml", days)
    path = write_report(folder, fmt=fmt, out=out, replay=not no_replay, extra=extra)
    click.echo(f"report: {path}")
