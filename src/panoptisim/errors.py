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

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click


class InputError(ValueError):
    """Input a user can fix: the message is one line naming the key, the value and the rule."""


class ScenarioError(InputError):
    """A scenario that cannot be run (unknown key, wrong type, value out of range, file)."""


#: Set when Ctrl-C reaches a command (``run_command``). Python raises KeyboardInterrupt
#: wherever the main thread is, and inside a C library's callback into Python (numba's
#: compiler calls one while it caches a kernel) the exception is printed as "Exception
#: ignored" and lost; long loops check this latch (``raise_if_interrupted``) so the command
#: still stops.
_interrupt_requested = threading.Event()


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupt_requested.set()
    raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C reached the command, even if a library swallowed
    the first one (the engine checks before every day)."""
    if _interrupt_requested.is_set():
        raise KeyboardInterrupt


@contextmanager
def _interrupt_latch() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt and sets the latch while a command runs (in the main
    thread; elsewhere signals cannot be handled and nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _interrupt_requested.clear()
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupt_requested.clear()


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a click command with the project's error contract (exits the process).

    Bad input is one line on stderr with exit status 2; Ctrl-C is exit status 130, also
    when a library swallowed the first KeyboardInterrupt (``raise_if_interrupted``); a
    command's ``ctx.exit(n)`` or ``sys.exit(n)`` reaches the shell as ``n``.
    """
    try:
        with _interrupt_latch():
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
