"""One error contract for every entry point.

Domain code (scenario, sweep, report, validation, run folder) raises :class:`InputError`
for input a user can fix, with a message of one line that names the key, the value and
what is allowed. Only :func:`run_command` knows the command line: it turns an
``InputError`` (and click's own usage errors) into that line on stderr and exit status 2,
Ctrl-C into exit status 130, and passes a command's own exit code to the shell. Every
``panoptisim`` command and every ``python -m panoptisim.<part>`` entry point goes through
it. This module imports nothing from the package, so any module may import it.
"""

from __future__ import annotations

import sys

import click


class InputError(ValueError):
    """Input a user can fix: the message is one line naming the key, the value and the rule."""


class ScenarioError(InputError):
    """A scenario that cannot be run (unknown key, wrong type, value out of range, file)."""


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a click command with the project's error contract (exits the process).

    Bad input is one line on stderr with exit status 2; Ctrl-C is exit status 130; a
    command's ``ctx.exit(n)`` or ``sys.exit(n)`` reaches the shell as ``n``.
    """
    try:
        status = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
        if isinstance(status, int) and status:  # click returns, not raises, ctx.exit(n)
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(2)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: no run folder was written", err=True)
        sys.exit(130)
    except Exception as exc:
        if not _caused_by_interrupt(exc):
            raise
        # Ctrl-C inside a library that wraps it (numba loading a compiled kernel from its
        # cache raises SystemError from the KeyboardInterrupt)
        click.echo("interrupted: no run folder was written", err=True)
        sys.exit(130)


def _caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` was raised from, or while handling, a KeyboardInterrupt."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
