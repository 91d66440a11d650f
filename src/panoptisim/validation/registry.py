"""The validation cases' registry: declared parameters, one function per case, checks.

A case is a function ``fn(params) -> list[Check]`` registered with ``@case(...)`` together
with its parameters (name, default, allowed values, value under ``--quick``), its sources
and a note on which inputs are published and which assumed; the docs and the CLI help are
generated from these declarations. A ``Check`` is one row of the report: a quantity, its
expected value (computed from the inputs), the observed value (from the project's kernels)
and the tolerance; it passes when ``|observed - expected| <= tolerance``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from panoptisim.errors import InputError


class ParamError(InputError):
    """A bad ``--param`` or ``--case``: one line naming the key, the value and what is allowed."""


@dataclass(frozen=True)
class Param:
    """One input of a case.

    ``kind`` is ``int``, ``float``, ``floats`` (comma-separated list), ``choice`` or
    ``choices`` (comma-separated subset). Bounds apply to every number of a list. With
    ``auto`` the value may also be ``auto`` (derived by the case from the other inputs).
    ``quick`` is the value under ``--quick`` (None: the default).
    """

    name: str
    default: Any
    help: str
    kind: str = "float"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    quick: Any = None
    auto: bool = False

    def allowed(self) -> str:
        """What a value may be, as a reader writes it."""
        if self.kind in ("choice", "choices"):
            one = " | ".join(self.choices)
            return f"one of {one}" if self.kind == "choice" else \
                f"a comma-separated subset of {one}"
        what = "integer" if self.kind == "int" else "number"
        left = "(" if self.lo_open else "["
        if self.lo is not None and self.hi is not None:
            rng = f"{what} in {left}{_num(self.lo)}, {_num(self.hi)}]"
        elif self.lo is not None:
            rng = f"{what} {'>' if self.lo_open else '>='} {_num(self.lo)}"
        else:
            rng = what
        if self.kind == "floats":
            rng = f"a comma-separated list of {rng.replace('number', 'numbers')}"
        else:
            rng = ("an " if what == "integer" else "a ") + rng
        return rng + (", or auto" if self.auto else "")

    def parse(self, raw: str, case: str) -> Any:
        """The value of ``raw`` for this parameter, or ParamError naming key, value, rule."""
        text = raw.strip()
        try:
            if self.auto and text.lower() == "auto":
                return None
            if self.kind == "int":
                value: Any = _to_int(text)
                self._check_number(value)
            elif self.kind == "float":
                value = _to_float(text)
                self._check_number(value)
            elif self.kind == "floats":
                value = tuple(_to_float(x) for x in text.split(",") if x.strip())
                if not value:
                    raise ValueError("empty list")
                for x in value:
                    self._check_number(x)
            elif self.kind == "choice":
                if text not in self.choices:
                    raise ValueError("not a choice")
                value = text
            else:
                value = tuple(x.strip() for x in text.split(",") if x.strip())
                if not value or any(x not in self.choices for x in value):
                    raise ValueError("not a subset")
        except ValueError:
            raise ParamError(f"--param {self.name}={raw} is not allowed for case '{case}': "
                             f"{self.name} must be {self.allowed()}") from None
        return value

    def _check_number(self, x: float) -> None:
        if not math.isfinite(x):
            raise ValueError("not finite")
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            raise ValueError("too small")
        if self.hi is not None and x > self.hi:
            raise ValueError("too large")

    def show(self, value: Any) -> str:
        """A value as it would be typed after ``--param KEY=``."""
        if value is None:
            return "auto"
        if isinstance(value, tuple):
            return ",".join(_fmt_value(v) for v in value)
        return _fmt_value(value)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return _num(v) if abs(v) < 1e15 else f"{v:g}"
    return str(v)


_FRACTION = re.compile(r"^\s*([-+0-9.eE_]+)\s*/\s*([-+0-9.eE_]+)\s*$")


def _to_float(text: str) -> float:
    """A number, also written as a fraction (``1/6000``)."""
    m = _FRACTION.match(text)
    if m:
        den = float(m.group(2))
        if den == 0:
            raise ValueError("division by zero")
        return float(m.group(1)) / den
    return float(text)


def _to_int(text: str) -> int:
    value = float(text.replace("_", ""))
    if not value.is_integer():
        raise ValueError("not an integer")
    return int(value)


@dataclass
class Check:
    """One row of the report: expected (from the inputs) vs observed (from the kernels)."""

    quantity: str
    expected: float
    observed: float
    tolerance: float
    basis: str  # how the tolerance was set: "exact", "binomial 95%", "stated", ...

    @property
    def passed(self) -> bool:
        """``|observed - expected| <= tolerance`` (with float round-off slack); NaN fails."""
        e, o, t = float(self.expected), float(self.observed), float(self.tolerance)
        if not (math.isfinite(e) and math.isfinite(o)) or math.isnan(t):
            return False
        return abs(o - e) <= t + 1e-12 * max(1.0, abs(e))


Params = dict[str, Any]
CaseFn = Callable[[Params], list[Check]]


@dataclass(frozen=True)
class Case:
    """A registered validation case."""

    name: str
    title: str
    fn: CaseFn
    params: tuple[Param, ...]
    summary: str
    method: str
    sources: tuple[str, ...]
    inputs: str
    constraints: Callable[[Params], str | None] | None = field(default=None)

    def param(self, key: str) -> Param:
        """The declared parameter ``key`` (ParamError if the case has none by that name)."""
        for p in self.params:
            if p.name == key:
                return p
        names = [p.name for p in self.params]
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ParamError(f"unknown parameter '{key}' for case '{self.name}': {hint}allowed "
                         f"keys are {', '.join(names)}")

    def defaults(self, quick: bool = False) -> Params:
        """Every parameter at its default (or its ``--quick`` value)."""
        return {p.name: (p.quick if quick and p.quick is not None else p.default)
                for p in self.params}


CASES: dict[str, Case] = {}


def case(name: str, title: str, *, params: tuple[Param, ...], summary: str, method: str,
         sources: tuple[str, ...], inputs: str,
         constraints: Callable[[Params], str | None] | None = None
         ) -> Callable[[CaseFn], CaseFn]:
    """Register ``fn`` as validation case ``name`` (in declaration order)."""
    def register(fn: CaseFn) -> CaseFn:
        if name in CASES:
            raise ValueError(f"validation case '{name}' is registered twice")
        CASES[name] = Case(name, title, fn, params, summary.strip(), method.strip(), sources,
                           inputs.strip(), constraints)
        return fn
    return register


def get_case(name: str) -> Case:
    """The case ``name`` or ParamError listing the cases."""
    if name in CASES:
        return CASES[name]
    close = difflib.get_close_matches(name, list(CASES), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ParamError(f"unknown case '{name}': {hint}cases are {', '.join(CASES)}")


def resolve(names: list[str], overrides: list[str], quick: bool) -> dict[str, Params]:
    """Parameters of each selected case after ``KEY=VALUE`` overrides, all validated.

    KEY is ``name`` (applies to every selected case that declares it; an error if none
    does) or ``case.name`` (that case only, which must be selected). Nothing runs before
    every override has been checked.
    """
    selected = [get_case(n) for n in names] if names else list(CASES.values())
    resolved = {c.name: c.defaults(quick) for c in selected}
    for item in overrides:
        if "=" not in item:
            raise ParamError(f"--param '{item}' is not KEY=VALUE (e.g. --param c=2.5)")
        key, raw = (x.strip() for x in item.split("=", 1))
        if "." in key:
            cname, pname = key.split(".", 1)
            c = get_case(cname)
            if c.name not in resolved:
                raise ParamError(f"--param {key}={raw}: case '{cname}' is not selected "
                                 f"(add --case {cname})")
            targets = [(c, c.param(pname))]
        else:
            targets = [(c, p) for c in selected for p in c.params if p.name == key]
            if not targets:
                if len(selected) == 1:
                    selected[0].param(key)  # raises with the case's allowed keys
                where = "the selected cases" if names else "any case"
                raise ParamError(f"unknown parameter '{key}': no parameter of that name in "
                                 f"{where}; see 'panoptisim validate --list'")
        for c, p in targets:
            resolved[c.name][p.name] = p.parse(raw, c.name)
    for c in selected:
        if c.constraints is not None:
            problem = c.constraints(resolved[c.name])
            if problem:
                raise ParamError(f"case '{c.name}': {problem}")
    return resolved
