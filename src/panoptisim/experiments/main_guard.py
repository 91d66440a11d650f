"""Refuse, before any worker starts, a sweep started at a script's top level.

The local executor's workers and a dask ``LocalCluster``'s workers are new interpreters
(the ``spawn`` start method); each starts by running the script that started the sweep, as
the module ``__mp_main__`` ("Safe importing of main module" in the documentation of
Python's ``multiprocessing``). A script that calls ``run_sweep`` at its top level, not under
``if __name__ == "__main__":``, would start the sweep again in every worker, which
multiprocessing forbids, and every run would fail without a word. This module finds the
line of the main script that led to the call and, when it lies outside such a guard, says
what to add.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import FrameType

from panoptisim.experiments.spec import SweepError


def _is_name_main(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either side of the ``==``)."""
    if not isinstance(test, ast.Compare):
        return False
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


def _is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":``, alone or and-ed with other conditions
    (``if __name__ == "__main__" and args:``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_name_main(value) for value in test.values)
    return _is_name_main(test)


def _guarded(tree: ast.Module, line: int) -> bool:
    """Whether ``line`` lies in the body of a main guard, at any depth (under a top-level
    ``try``, ``with`` or ``else`` too); not in the guard's own ``else``."""
    return any(_is_main_guard(node)
               and node.body[0].lineno <= line <= (node.body[-1].end_lineno or line)
               for node in ast.walk(tree))


def _main_frame() -> FrameType | None:
    """The frame of the main script's top-level code on the current call stack."""
    main = sys.modules.get("__main__")
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is getattr(main, "__dict__", None) \
                and frame.f_code.co_name == "<module>":
            return frame
        frame = frame.f_back
    return None


def unguarded_line() -> tuple[Path, int] | None:
    """The main script and the line of its top-level code that led here, when that line is
    not under ``if __name__ == "__main__":``; None when it is, or when there is no script
    to re-run (an interactive session, a notebook, ``python -c``)."""
    frame = _main_frame()
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if frame is None or path is None:
        return None
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None  # not a readable Python source: nothing the workers would re-run
    line = frame.f_lineno
    return None if _guarded(tree, line) else (Path(path), line)


def require_main_guard() -> None:
    """Raise SweepError (one line) if worker processes would re-run the sweep's caller."""
    found = unguarded_line()
    if found is not None:
        path, line = found
        raise SweepError(
            f"{path.name} starts the sweep or calibration at its top level (line {line}), "
            f"and every worker process re-runs that script: put the call under "
            f"'if __name__ == \"__main__\":' (docs/experiments.md)")
