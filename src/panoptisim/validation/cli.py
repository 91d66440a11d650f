"""``panoptisim validate [--quick] [--case NAME]... [--param KEY=VALUE]... [--json]``.

Prints one row per check (case, quantity, expected, observed, tolerance, pass/fail) and
exits with status 1 if any check fails, unless its case declares the failure a known gap (a
prediction the model does not yet meet, shown as such); a bad ``--case`` or ``--param`` is
one line naming the key, the value and what is allowed, with status 2, before anything
runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from panoptisim.errors import run_command
from panoptisim.validation.cases import CASES
from panoptisim.validation.inputs import allowed, show
from panoptisim.validation.runner import run_validation, table

_CASE_HELP = "Run only this case (repeatable): " + ", ".join(CASES) + "."


def _list_table() -> Table:
    t = Table(title="validation cases (--case NAME --param KEY=VALUE; docs/validation.md)")
    for col in ("case", "parameter", "default", "--quick", "allowed", "unit", "meaning",
                "source"):
        t.add_column(col, overflow="fold")
    for c in CASES.values():
        fields = c.model.model_fields
        for i, p in enumerate(c.params):
            t.add_row(f"{c.name}\n{c.title}" if i == 0 else "", p.key, show(p.default),
                      show(c.quick[p.key]) if p.key in c.quick else "",
                      allowed(fields[p.key]), p.unit, p.description, p.source,
                      end_section=i == len(fields) - 1)
    return t


@click.command("validate", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--quick", is_flag=True, help="Smaller samples: the whole suite in about 2 minutes.")
@click.option("--case", "cases", multiple=True, metavar="NAME", help=_CASE_HELP)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Set a case's input, e.g. c=2.5 or watts.phi=0.25 (repeatable; lists are "
                   "comma-separated; see --list).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--list", "list_cases", is_flag=True,
              help="List the cases and their parameters, then exit.")
@click.option("--write-doc", type=click.Path(path_type=Path, dir_okay=False), default=None,
              metavar="PATH", help="Also write the Markdown report (docs/validation.md) "
                                   "from this run; the whole suite only.")
def validate(quick: bool, cases: tuple[str, ...], params: tuple[str, ...], as_json: bool,
             list_cases: bool, write_doc: Path | None) -> None:
    """Reproduce textbook results with the project's own kernels: expected vs observed."""
    if list_cases:
        Console().print(_list_table())
        return
    if write_doc is not None and (cases or params):
        raise click.UsageError("--write-doc documents the whole suite at its defaults: drop "
                               "--case and --param")
    status = Console(stderr=True)
    with status.status("validating") as spinner:
        report = run_validation(cases, params, quick,
                                on_case=lambda c: spinner.update(f"validating: {c.name}"))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        Console().print(table(report))
    if write_doc is not None:
        from panoptisim.validation.doc import write
        path = write(report, write_doc)
        click.echo(f"wrote {path}", err=True)
    if not report.ok:
        # sys.exit, not ctx.exit: panoptisim's main() runs click in non-standalone mode,
        # where a ctx.exit code is returned rather than raised.
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """``python -m panoptisim.validation``: one-line errors with exit status 2."""
    run_command(validate, argv, "python -m panoptisim.validation")
