"""``python -m panoptisim.report RUN_DIR|SWEEP_DIR [--format html|pdf] [--out FILE]``."""

import sys

import click

from panoptisim.report.build import ReportError
from panoptisim.report.cli import report

if __name__ == "__main__":
    try:
        report.main(prog_name="python -m panoptisim.report", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(2)
    except ReportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
