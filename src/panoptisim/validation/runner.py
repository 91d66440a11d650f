"""Run the validation cases and collect their rows (case, quantity, expected, observed,
tolerance, passed), as a table, as JSON, or as Markdown for docs/validation.md."""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from panoptisim.errors import caused_by_interrupt, raise_if_interrupted
from panoptisim.fmt import figure
from panoptisim.validation.cases import CASES
from panoptisim.validation.inputs import resolve
from panoptisim.validation.registry import Case, Check


@dataclass
class CaseResult:
    """One case's resolved inputs (by key), rows and wall time (seconds)."""

    case: Case
    params: dict[str, Any]
    checks: list[Check]
    seconds: float

    @property
    def passed(self) -> bool:
        """Every row of the case passed."""
        return all(c.passed for c in self.checks)

    @property
    def gap(self) -> bool:
        """The case failed as its known gap says (no row is an error)."""
        return bool(self.case.known_gap) and not self.passed and \
            not any(c.basis == "error" for c in self.checks)


@dataclass
class Report:
    """The outcome of a validation run."""

    results: list[CaseResult]
    quick: bool

    @property
    def passed(self) -> bool:
        """Every row of every case passed."""
        return all(r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        """Every case passed or failed only as its known gap says (the exit status)."""
        return all(r.passed or r.gap for r in self.results)

    @property
    def seconds(self) -> float:
        """Total wall time of the cases."""
        return sum(r.seconds for r in self.results)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per check: case, quantity, expected, observed, tolerance, basis, side
        ("±" two-sided, "<=" or ">=" one-sided), passed."""
        return [{"case": r.case.name, "quantity": c.quantity, "expected": _json_num(c.expected),
                 "observed": _json_num(c.observed), "tolerance": _json_num(c.tolerance),
                 "basis": c.basis, "side": c.side, "passed": c.passed}
                for r in self.results for c in r.checks]

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready document."""
        return {
            "passed": self.passed,
            "ok": self.ok,
            "quick": self.quick,
            "seconds": round(self.seconds, 3),
            "cases": [{"name": r.case.name, "title": r.case.title, "passed": r.passed,
                       "known_gap": r.case.known_gap,
                       "seconds": round(r.seconds, 3),
                       "params": {k: _json_param(v) for k, v in r.params.items()}}
                      for r in self.results],
            "rows": self.rows(),
        }


def _json_num(x: float) -> float | int | None:
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _json_param(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def run_validation(cases: list[str] | tuple[str, ...] = (),
                   params: list[str] | tuple[str, ...] = (), quick: bool = False,
                   on_case: Callable[[Case], None] | None = None) -> Report:
    """Run the selected cases (all by default) with ``KEY=VALUE`` parameter overrides.

    Every override is validated before any case runs (ParamError otherwise). A case that
    raises is reported as one failed row carrying the error, so one broken kernel does not
    hide the others.
    """
    resolved = resolve(CASES, list(cases), list(params), quick)
    results = []
    for name, inputs in resolved.items():
        raise_if_interrupted()  # a Ctrl-C inside numba in the case before only set the latch
        case = CASES[name]
        if on_case is not None:
            on_case(case)
        start = time.perf_counter()
        try:
            checks = case.run(inputs)
        except Exception as exc:  # reported, not raised: the other cases still run
            if caused_by_interrupt(exc):  # Ctrl-C wrapped by a library: stop, not a result
                raise
            where = traceback.extract_tb(exc.__traceback__)[-1]
            at = f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}"
            checks = [Check(f"error: {type(exc).__name__}: {exc} ({at})", math.nan, math.nan,
                            0.0, "error")]
        results.append(CaseResult(case, inputs.model_dump(), checks,
                                  time.perf_counter() - start))
    return Report(results, quick)


def fmt(x: float) -> str:
    """A number for the table (``fmt.figure``: integers exact, others to 4 digits)."""
    return figure(float(x), missing="n/a")


def fmt_tolerance(c: Check) -> str:
    """Tolerance with its basis: '0 (exact)', '±0.01 (stated)'; for a one-sided check the
    side: 'observed <= expected (stated)', 'observed >= expected - 0.01 (t 95%)'."""
    if c.side != "±":
        sign = "+" if c.side == "<=" else "-"
        slack = f" {sign} {fmt(c.tolerance)}" if c.tolerance else ""
        return f"observed {c.side} expected{slack} ({c.basis})"
    if c.tolerance == 0:
        return f"0 ({c.basis})"
    return f"±{fmt(c.tolerance)} ({c.basis})"


def table(report: Report) -> Table:
    """The report as a rich table."""
    mode = "quick" if report.quick else "full"
    t = Table(title=f"panoptisim validate ({mode}): "
                    f"{sum(c.passed for r in report.results for c in r.checks)} of "
                    f"{sum(len(r.checks) for r in report.results)} checks passed "
                    f"in {report.seconds:.1f} s")
    for col, justify in (("case", "left"), ("quantity", "left"), ("expected", "right"),
                         ("observed", "right"), ("tolerance", "right"), ("result", "left")):
        t.add_column(col, justify=justify, overflow="fold")
    for r in report.results:
        for i, c in enumerate(r.checks):
            t.add_row(r.case.name if i == 0 else "", c.quantity, fmt(c.expected),
                      fmt(c.observed), fmt_tolerance(c), _result(r, c, "[green]pass[/green]",
                                                                 "[yellow]known gap[/yellow]",
                                                                 "[bold red]FAIL[/bold red]"))
    gaps = [r.case.name for r in report.results if r.gap]
    if gaps:
        t.caption = (f"known gaps (predictions the model does not yet meet, each explained in "
                     f"docs/validation.md): {', '.join(gaps)}")
    return t


def _result(r: CaseResult, c: Check, passed: str, gap: str, failed: str) -> str:
    """How a row reads: passed, a failure its case declares as a known gap, or failed."""
    if c.passed:
        return passed
    return gap if r.gap else failed


def markdown_rows(results: list[CaseResult], with_case: bool = True) -> list[str]:
    """Rows of a Markdown table of checks."""
    head = (["case"] if with_case else []) + ["quantity", "expected", "observed", "tolerance",
                                              "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        for c in r.checks:
            cells = ([f"`{r.case.name}`"] if with_case else []) + [
                c.quantity.replace("|", "\\|"), fmt(c.expected), fmt(c.observed),
                fmt_tolerance(c), _result(r, c, "pass", "known gap", "**FAIL**")]
            lines.append("| " + " | ".join(cells) + " |")
    return lines
