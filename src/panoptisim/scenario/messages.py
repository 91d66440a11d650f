"""One-line messages for invalid scenario input: the key, the value and what is allowed.

Shared by the loader (:mod:`~panoptisim.scenario.load`) and the timeline's resolution
(:mod:`~panoptisim.scenario.timeline`), which both validate documents against the schema.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from panoptisim.scenario.params import allowed, did_you_mean, iter_params, param_keys
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
                return (f"unknown key '{prefix}{key}' (value {e.get('input')!r}); an entry "
                        f"of {head} has keys {', '.join(fields)}")
        keys = param_keys() if model is Scenario else tuple(p.key for p in iter_params(model))
        return f"unknown key '{prefix}{key}'; {did_you_mean(key, keys)}"
    if not e["loc"] or (e["type"] == "value_error" and isinstance(e.get("input"), dict)):
        # a rule across fields (of the scenario or a section): its message says everything
        return str(e["msg"]).removeprefix("Value error, ")
    rule = _allowed_for(model, key)
    return (f"{prefix}{key} = {e.get('input')!r} is not allowed: {e['msg'].lower()}"
            + (f" (allowed: {rule})" if rule else ""))


def _allowed_for(model: type[BaseModel], key: str) -> str:
    """What the field at dotted ``key`` (or the parameter containing it) allows."""
    node: Any = model
    for part in key.split("."):
        if part.isdigit():  # an entry of a list of tables
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
