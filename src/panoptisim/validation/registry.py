"""What a validation case is: its prose, its inputs, its function and the rows it returns.

A case is a module of ``validation.cases`` (one per case, as SALib keeps one module per
method) holding a docstring, an ``Inputs`` model and ``run(inputs) -> list[Check]``, joined
by :func:`define` into ``CASE``. The docstring is the case's prose, read by the docs and
``--list``: a title line, what the case shows, then three sections::

    How it is checked
    -----------------
    Inputs: published and assumed
    -----------------------------
    Sources
    -------
    - one reference per item, continued on indented lines

A ``Check`` is one row of the report: a quantity, its expected value (computed from the
inputs), the observed value (from the project's kernels) and the tolerance; it passes when
``|observed - expected| <= tolerance``. A directional prediction (the theory cases: "at
most half", "larger than") is a one-sided check, ``side`` "<=" or ">=": the expected value
is the bound, and it passes when ``observed <= expected + tolerance`` (or ``observed >=
expected - tolerance``); :func:`at_most` and :func:`at_least` make one.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from panoptisim.errors import InputError
from panoptisim.streams import Streams

SECTIONS = ("How it is checked", "Inputs: published and assumed", "Sources")
_HEADING = re.compile(r"^(\S[^\n]*)\n-{3,}[ \t]*$", re.MULTILINE)


class ParamError(InputError):
    """A bad ``--param`` or ``--case``: one line naming the key, the value and what is allowed."""


@dataclass
class Check:
    """One row of the report: expected (from the inputs) vs observed (from the kernels)."""

    quantity: str
    expected: float
    observed: float
    tolerance: float
    basis: str  # how the tolerance was set: "exact", "binomial 95%", "stated", ...
    #: "±" two-sided (the default); "<=" or ">=": expected is a bound (one-sided).
    side: str = "±"

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"Check side = {self.side!r}: one of {', '.join(SIDES)}")

    @property
    def passed(self) -> bool:
        """``|observed - expected| <= tolerance``, or for a bound ``observed <= expected +
        tolerance`` (``>=``: ``observed >= expected - tolerance``), with float round-off
        slack; NaN fails."""
        e, o, t = float(self.expected), float(self.observed), float(self.tolerance)
        if not (math.isfinite(e) and math.isfinite(o)) or math.isnan(t):
            return False
        slack = t + 1e-12 * max(1.0, abs(e))
        if self.side == "<=":
            return o <= e + slack
        if self.side == ">=":
            return o >= e - slack
        return abs(o - e) <= slack


#: A check's sides: two-sided, at most the bound, at least the bound.
SIDES = ("±", "<=", ">=")


def at_most(quantity: str, bound: float, observed: float, basis: str,
            tolerance: float = 0.0) -> Check:
    """A one-sided check that passes when ``observed <= bound + tolerance``."""
    return Check(quantity, bound, observed, tolerance, basis, "<=")


def at_least(quantity: str, bound: float, observed: float, basis: str,
             tolerance: float = 0.0) -> Check:
    """A one-sided check that passes when ``observed >= bound - tolerance``."""
    return Check(quantity, bound, observed, tolerance, basis, ">=")


@dataclass(frozen=True)
class Case:
    """A validation case: prose from its module's docstring, inputs, function, quick values."""

    name: str
    title: str
    summary: str
    method: str
    inputs: str
    sources: tuple[str, ...]
    model: type[BaseModel]
    run: Callable[[Any], list[Check]]
    #: Inputs that differ under ``--quick`` (validated when the case is defined).
    quick: dict[str, Any] = field(default_factory=dict)
    #: A prediction the model does not yet meet, said in one paragraph (what it does
    #: instead, and why): its failing rows are shown as known gaps, in the table and the
    #: docs, and do not fail the suite; an error still does.
    known_gap: str = ""

    @property
    def params(self) -> tuple[Any, ...]:
        """The declared inputs (``scenario.params.ParamInfo``), in declaration order."""
        from panoptisim.scenario.params import iter_params
        return tuple(iter_params(self.model))

    def defaults(self, quick: bool = False) -> BaseModel:
        """Every input at its default (or its ``--quick`` value)."""
        return self.model(**self.quick) if quick else self.model()


def define(name: str, doc: str | None, model: type[BaseModel],
           run: Callable[[Any], list[Check]], quick: dict[str, Any] | None = None,
           known_gap: str = "") -> Case:
    """The case ``name`` of a module: its docstring ``doc`` as prose, ``model`` its inputs."""
    if not doc:
        raise ValueError(f"validation case '{name}' has no docstring")
    title, _, rest = inspect.cleandoc(doc).partition("\n\n")
    parts = _HEADING.split(rest)
    sections = {head.strip(): body.strip() for head, body in zip(parts[1::2], parts[2::2])}
    if tuple(sections) != SECTIONS:
        raise ValueError(f"validation case '{name}': the docstring's sections are "
                         f"{list(sections)}, expected {list(SECTIONS)}")
    items = re.split(r"^- ", sections["Sources"], flags=re.MULTILINE)
    sources = tuple(" ".join(line.strip() for line in item.splitlines())
                    for item in items if item.strip())
    case = Case(name, " ".join(title.split()).rstrip("."), parts[0].strip(),
                sections["How it is checked"], sections["Inputs: published and assumed"],
                sources, model, run, dict(quick or {}), " ".join(known_gap.split()))
    case.defaults(quick=True)  # a bad quick value is a programming error: fail on import
    return case


def rng(seed: int, case: str, purpose: str) -> np.random.Generator:
    """The stream of case ``case`` for ``purpose`` (independent of every other purpose)."""
    return Streams(seed).generator(f"validation.{case}.{purpose}")
