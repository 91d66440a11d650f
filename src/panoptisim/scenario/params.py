"""Reading the schema: every parameter as a dotted key with its bounds, and one "did you
mean" for every place a key can be misspelt (``--set``, scenario files, sweep files,
validation parameters).

Works on any pydantic model whose fields are declared with :func:`schema.param`: the
scenario, and the parameter models of the validation cases.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from panoptisim.fmt import bound
from panoptisim.scenario.schema import Scenario


@dataclass(frozen=True)
class Bounds:
    """A numeric parameter's allowed interval (None: unbounded on that side)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return not (self.hi is not None and (value >= self.hi if self.hi_open else
                                             value > self.hi))


@dataclass(frozen=True)
class ParamInfo:
    """One parameter's declaration, flattened to its dotted key."""

    key: str
    default: Any
    unit: str
    allowed: str
    source: str
    description: str
    annotation: Any
    bounds: Bounds
    #: The allowed strings of a choice (a ``Literal`` or a list of them), else None.
    choices: tuple[str, ...] | None = None
    #: Read only when the society is built (a timeline cannot change it).
    build: bool = False


def bounds(field: Any) -> Bounds:
    """The interval of a pydantic field, read from its ``ge``/``gt``/``le``/``lt`` metadata."""
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_open = m.ge, False
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi, hi_open = m.le, False
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return Bounds(lo, hi, lo_open, hi_open)


def choices(annotation: Any) -> tuple[str, ...] | None:
    """The strings a ``Literal`` (or a list of one) allows, else None."""
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return tuple(get_args(annotation)) if get_origin(annotation) is Literal else None


def allowed(field: Any) -> str:
    """What a field accepts, as a reader writes it: ``number in [0, 1]``, ``a | b``."""
    ann = field.annotation
    if get_origin(ann) in (Union, UnionType):  # X | None: what X allows, or nothing
        ann = next(a for a in get_args(ann) if a is not type(None))
        field = FieldInfo.merge_field_infos(field, annotation=ann)
    if ann is bool:
        return "true | false"
    if get_origin(ann) is list and isinstance(get_args(ann)[0], type) and \
            issubclass(get_args(ann)[0], BaseModel):
        return f"list of {{{', '.join(get_args(ann)[0].model_fields)}}}"
    if get_origin(ann) is list and get_args(ann)[0] is int:
        return "list of integers"
    options = choices(ann)
    if options is not None:
        return ("list of " if get_origin(ann) is list else "") + " | ".join(options)
    pattern = next((m.pattern for m in field.metadata if getattr(m, "pattern", None)), None)
    if pattern is not None:
        return f"text matching {pattern}"
    b = bounds(field)
    if b.lo is None and b.hi is None:
        return ann.__name__ if hasattr(ann, "__name__") else str(ann)
    kind = "integer" if ann is int else "number"
    if b.hi is None:
        return f"{kind} {'>' if b.lo_open else '>='} {bound(b.lo)}"
    if b.lo is None:
        return f"{kind} {'<' if b.hi_open else '<='} {bound(b.hi)}"
    return (f"{kind} in {'(' if b.lo_open else '['}{bound(b.lo)}, "
            f"{bound(b.hi)}{')' if b.hi_open else ']'}")


def iter_params(model: type[BaseModel] = Scenario, prefix: str = "",
                instance: BaseModel | None = None) -> list[ParamInfo]:
    """All parameters of ``model`` as dotted keys, in declaration order, with the values of
    ``instance`` (default: the model's defaults) as their defaults."""
    if model is Scenario and instance is None and not prefix:
        return list(_scenario_params())
    return _walk(model, prefix, instance if instance is not None else model())


def _walk(model: type[BaseModel], prefix: str, instance: BaseModel) -> list[ParamInfo]:
    out: list[ParamInfo] = []
    for name, field in type(instance).model_fields.items():
        value = getattr(instance, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out.extend(_walk(type(value), key + ".", value))
            continue
        extra = field.json_schema_extra or {}
        if not extra:  # name / description of the scenario itself
            continue
        out.append(ParamInfo(key, value, extra["unit"], allowed(field), extra["source"],
                             field.description or "", field.annotation, bounds(field),
                             choices(field.annotation), bool(extra.get("build"))))
    return out


@cache
def _scenario_params() -> tuple[ParamInfo, ...]:
    return tuple(_walk(Scenario, "", Scenario()))


@cache
def param_keys() -> tuple[str, ...]:
    """Every valid dotted key of a scenario (``name`` and ``description`` included)."""
    return ("name", "description") + tuple(p.key for p in _scenario_params())


def param_info(key: str) -> ParamInfo | None:
    """The scenario parameter ``key``, or None if there is none by that name."""
    return _by_key().get(key)


@cache
def _by_key() -> dict[str, ParamInfo]:
    return {p.key: p for p in _scenario_params()}


def section_keys(key: str, keys: tuple[str, ...] | None = None) -> list[str]:
    """The keys inside ``key`` if it names a section (``surveillance.cameras``), else []."""
    return [k for k in (keys or param_keys()) if k.startswith(key + ".")]


def suggest(key: str, keys: tuple[str, ...] | list[str] | None = None) -> str | None:
    """The valid key closest to a misspelt ``key``, or None.

    In order: a key of the same section whose last part starts with (or begins) ``key``'s
    last part (``surveillance.online.recall`` -> ``surveillance.online.recall_dissent``);
    a key elsewhere with exactly that last part (a parameter in another section); the
    closest whole dotted key; the closest last part, in the same section first.
    """
    keys = list(keys if keys is not None else param_keys())
    section, _, last = key.rpartition(".")
    same = [k for k in keys if k.rpartition(".")[0] == section]
    for k in same:
        name = k.rpartition(".")[2]
        if name.startswith(last) or last.startswith(name):
            return k
    moved = [k for k in keys if k.rpartition(".")[2] == last]
    if moved:
        return moved[0]
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    if close:
        return close[0]
    for pool in (same, keys):
        lasts = {k.rpartition(".")[2]: k for k in reversed(pool)}
        hit = difflib.get_close_matches(last, list(lasts), n=1, cutoff=0.6)
        if hit:
            return lasts[hit[0]]
    return None


def did_you_mean(key: str, keys: tuple[str, ...] | list[str] | None = None,
                 fallback: str = "see 'panoptisim params'") -> str:
    """The hint that ends an unknown-key message: ``did you mean 'x'?`` or ``fallback``."""
    close = suggest(key, keys)
    return f"did you mean '{close}'?" if close else fallback
