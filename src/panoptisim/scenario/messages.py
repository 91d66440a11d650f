"""One-line messages for invalid scenario input: the key, the value and what is allowed.

Shared by the loader (:mod:`~panoptisim.scenario.load`) and the timeline's resolution
(:mod:`~panoptisim.scenario.timeline`), which both validate documents against the schema.
"""

from __future__ import annotations

import math
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from panoptisim.errors import clip, shown
from panoptisim.fmt import literal
from panoptisim.scenario.keys import is_index
from panoptisim.scenario.params import allowed, did_you_mean, iter_params, param_info, param_keys
from panoptisim.scenario.schema import RegionSpec, Scenario, TimelineEntry

#: The fields of a list's entries that a dotted key can name, by the list's key.
LIST_FIELDS = {"timeline": TimelineEntry.model_fields, "population.regions":
               RegionSpec.model_fields}



def format_error(err: ValidationError, model: type[BaseModel] = Scenario,
                 prefix: str = "") -> str:
    """One line for a pydantic error: the key, the value and what is allowed (first error).

    ``prefix`` is put before every key (a sweep's ``base.``); ``model`` gives the keys an
    unknown one is compared with.
    """
    e = err.errors()[0]
    key = ".".join(str(p) for p in e["loc"])
    if e["type"] == "extra_forbidden":
        for head, fields in LIST_FIELDS.items():
            if model is Scenario and key.startswith(head + "."):
                return (f"unknown key '{prefix}{clip(key)}' (value {shown(e.get('input'))}); "
                        f"an entry of {head} has keys {', '.join(fields)}")
        keys = param_keys() if model is Scenario else tuple(p.key for p in iter_params(model))
        return f"unknown key '{prefix}{clip(key)}'; {did_you_mean(key, keys)}"
    if not e["loc"] or (e["type"] == "value_error" and isinstance(e.get("input"), dict)):
        # a rule across fields (of the scenario or a section): its message says everything
        return str(e["msg"]).removeprefix("Value error, ")
    rule = _allowed_for(model, key)
    value = e.get("input")
    why = expected(e["type"], value, param_info(key) if model is Scenario else None)
    return (f"{prefix}{clip(key)} = {shown(value)} is not allowed: "
            f"{why or clip(e['msg'].lower(), 200)}" + (f" (allowed: {rule})" if rule else ""))


def expected(kind: str, value: Any, info: Any = None) -> str | None:
    """The form a value of the wrong type should have, for pydantic's error type ``kind``
    (``int_type``: "expected an integer such as 2000" for ``2e3``), or None for other
    errors. ``info``: the parameter's declaration, whose default serves as the example."""
    default = getattr(info, "default", None)
    how = (" (without quotes)" if isinstance(value, str) else
           " (not true or false)" if isinstance(value, bool) else "")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        example = _number(value, int)
        if example is None:
            example = default if isinstance(default, int) else 1
        if isinstance(value, float):
            how = " (without a fraction or exponent)"
        return f"expected an integer such as {example}{how}"
    if kind in ("float_type", "float_parsing"):
        example = _number(value, float)
        if example is None:
            example = default if isinstance(default, (int, float)) else 0.5
        return f"expected a number such as {literal(example)}{how}"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false (without quotes)"
    if kind == "string_type":
        return "expected text in quotes"
    if kind in ("list_type", "dict_type", "model_type"):
        form = "a list [...]" if kind == "list_type" else "a table of keys"
        return f"expected {form}, not {shown(value, 40)}"
    return None


def _number(value: Any, kind: type) -> int | float | None:
    """``value`` as the number it seems to mean (``2000.0`` or ``"2000"`` as ``2000`` for an
    integer, ``"0.5"`` as ``0.5``), or None if it means none (booleans never do)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (str, int, float)) else math.nan
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    if kind is int:
        return int(number) if number.is_integer() and abs(number) < 1e18 else None
    return number


def _allowed_for(model: type[BaseModel], key: str) -> str:
    """What the field at dotted ``key`` (or the parameter containing it) allows."""
    node: Any = model
    for part in key.split("."):
        if is_index(part):  # an entry of a list of tables
            continue
        fields = getattr(node, "model_fields", None)
        if not fields or part not in fields:
            break
        field = fields[part]
        node = field.annotation
        if get_origin(node) is list and _is_model(get_args(node)[0]):
            node = get_args(node)[0]
            continue
        if get_origin(node) in (Union, UnionType):  # X | None
            node = next((a for a in get_args(node) if a is not type(None)), node)
        if not _is_model(node):
            return allowed(field)
    return ""


def _is_model(x: Any) -> bool:
    return isinstance(x, type) and issubclass(x, BaseModel)
