"""One error contract for every entry point.

Domain code (scenario, sweep, report, validation, run folder) raises :class:`InputError`
for input a user can fix, with a message of one line that names the key, the value and
what is allowed. Only :func:`run_command` knows the command line: it turns an
``InputError`` (and click's own usage errors) into that line on stderr and exit status 2,
Ctrl-C into exit status 130, and passes a command's own exit code to the shell. Every
``panoptisim`` command and every ``python -m panoptisim.<part>`` entry point goes through
it. This module imports nothing from the package, so any module may import it.

Whatever a user typed is echoed through :func:`shown` (a value) or :func:`clip` (a key, a
name, a path): escaped as ``repr`` does and shortened, so a newline or a 100 KB value cannot
split or flood the line; :func:`run_command` escapes and bounds the whole line once more.
"""

from __future__ import annotations

import os
import reprlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

#: How many characters of a value, key or name a message echoes.
SHOWN = 80
#: What an interrupted command prints (exit status 130): every command writes its files
#: under a temporary name and renames them when complete, so none is left half-written.
INTERRUPTED = "interrupted: no file was left half-written"
#: The longest error line :func:`run_command` prints (the rest is cut with "...").
LINE = 1000


def clip(text: str, limit: int = SHOWN) -> str:
    r"""``text`` for a one-line message: control and other unprintable characters escaped as
    ``repr`` does (a newline as ``\n``), at most ``limit`` characters (cut with "...")."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[:max(limit - 3, 1)] + "..."


def _reprs(limit: int) -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlong = 3, limit, limit, limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 8
    return r


_REPR = _reprs(SHOWN)


def shown(value: Any, limit: int = SHOWN) -> str:
    """A value a user gave, for a one-line message: as ``repr`` writes it (strings quoted,
    newlines escaped), nested lists and long text shortened, at most ``limit`` characters."""
    if isinstance(value, int) and value.bit_length() > 14_000:  # repr fails past 4300 digits
        return f"<an integer of about {value.bit_length() * 0.30103:,.0f} digits>"
    try:
        text = (_REPR if limit == SHOWN else _reprs(limit)).repr(value)
    except Exception:  # an object whose repr fails: its type says enough
        text = f"<{type(value).__name__}>"
    return clip(text, limit)


class InputError(ValueError):
    """Input a user can fix: the message is one line naming the key, the value and the rule."""


class ScenarioError(InputError):
    """A scenario that cannot be run (unknown key, wrong type, value out of range, file)."""


#: Set when Ctrl-C reaches a command (``run_command``). Python raises KeyboardInterrupt
#: wherever the main thread is, except inside numba (:data:`DEFERRING_MODULES`); inside a C
#: library's callback into Python the exception is printed as "Exception ignored" and lost.
#: Long loops check this latch (``raise_if_interrupted``: the engine before every day) so
#: the command still stops.
_interrupt_requested = threading.Event()


#: Modules inside which Ctrl-C only sets the latch: an exception raised while numba loads or
#: compiles a kernel (its Python code, and llvmlite's under it) can leave the dispatcher
#: half-built, and the call that follows crashed the process with a segmentation fault.
DEFERRING_MODULES = ("numba", "llvmlite")


def _in_deferring_module(frame: Any) -> bool:
    """Whether ``frame`` or a frame that called it runs code of :data:`DEFERRING_MODULES`."""
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.partition(".")[0] in DEFERRING_MODULES:
            return True
        frame = frame.f_back
    return False


def _on_interrupt(signum: int, frame: Any) -> None:
    _interrupt_requested.set()
    if not _in_deferring_module(frame):
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
    when a library swallowed the first KeyboardInterrupt or it only set the latch (checked
    once more when the command returns); a
    command's ``ctx.exit(n)`` or ``sys.exit(n)`` reaches the shell as ``n``.
    """
    try:
        with _interrupt_latch():
            status = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
            # a Ctrl-C that only set the latch (inside numba) and that no loop checked after:
            # the command finished, and the user still asked it to stop
            raise_if_interrupted()
        if isinstance(status, int) and status:  # click returns, not raises, ctx.exit(n)
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt (and of EOF at a prompt)
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"error: {clip(exc.format_message(), LINE)}", err=True)
        sys.exit(2)
    except InputError as exc:
        click.echo(f"error: {clip(str(exc), LINE)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
    except Exception as exc:
        if not caused_by_interrupt(exc):
            raise
        # Ctrl-C inside a library that wraps it (numba loading a compiled kernel from its
        # cache raises SystemError from the KeyboardInterrupt)
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)


def name_max(folder: Path) -> int:
    """The longest file or folder name (bytes) the file system at ``folder`` (or its nearest
    existing parent) allows; 255 where it cannot say."""
    folder = Path(folder).absolute()
    while not os.path.isdir(folder) and folder != folder.parent:  # isdir: False on any error
        folder = folder.parent
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def check_path_names(path: Path, what: str) -> None:
    """Refuse (InputError) a path with a file or folder name longer than its file system
    allows (``what`` names the option or key: "--out")."""
    limit = name_max(Path(path).parent)
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > limit:
            raise InputError(f"{what} {shown(str(path))} has a name of {size} bytes "
                             f"({shown(part, 24)}); allowed: at most {limit} bytes per file "
                             "or folder name")


def checked_path(ctx: click.Context, param: click.Parameter, value: Path | None
                 ) -> Path | None:
    """The click callback of an option naming a file or folder to create (``--out``): the path,
    refused with one line if a name in it is too long for the file system."""
    if value is not None:
        check_path_names(value, "--" + (param.name or "out").replace("_", "-"))
    return value


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` was raised from, or while handling, a KeyboardInterrupt."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
