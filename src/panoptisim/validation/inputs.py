"""A validation case's inputs: a pydantic model declared with ``scenario.schema.param``, set
from the command line with ``--param KEY=VALUE`` or ``--param case.KEY=VALUE``.

Each field carries its unit, source ("assumption: ..." where nothing is published),
description and bounds, as the scenario's parameters do; ``scenario.params`` lists them and
suggests the key meant, pydantic checks values and rules across fields
(``model_validator``). A value is a TOML number, a fraction (``1/6000``) or a word; a list
field (``tuple[...]``) takes comma-separated values, each within the item's bounds
(``tuple[Annotated[float, Ge(0), Le(50)], ...]``); a field whose default is None also takes
``auto`` (derived by the case from the other inputs).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from panoptisim.fmt import bound
from panoptisim.scenario.keys import parse_override
from panoptisim.scenario.messages import format_error
from panoptisim.scenario.params import allowed as scalar_allowed
from panoptisim.scenario.params import choices, suggest
from panoptisim.scenario.schema import param
from panoptisim.validation.registry import ParamError

if TYPE_CHECKING:
    from panoptisim.validation.registry import Case

_FRACTION = re.compile(r"^\s*([-+0-9.eE_]+)\s*/\s*([-+0-9.eE_]+)\s*$")


class CaseInputs(BaseModel):
    """Base of every case's inputs: unknown keys, NaN and infinities are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def seed() -> Any:
    """The ``seed`` input of a stochastic case (declare it last)."""
    return param(1, ge=0, le=2**63 - 1, unit="-",
                 source="assumption: any seed; every result is reproducible at a given one",
                 description="Root seed of the case's random streams.")


def _item(field: FieldInfo) -> Any | None:
    """The item type of a list field (``tuple[float, ...]`` -> float), else None."""
    return get_args(field.annotation)[0] if get_origin(field.annotation) is tuple else None


def _auto(field: FieldInfo) -> bool:
    return field.default is None


def allowed(field: FieldInfo) -> str:
    """What ``--param`` accepts for ``field``: 'a number in (0, 1]', 'a comma-separated list
    of numbers in [0, 50]', 'one of a | b', with ', or auto' where the case can derive it."""
    item = _item(field)
    if item is None:
        options = choices(field.annotation)
        text = (f"one of {' | '.join(options)}" if options else
                ("an " if field.annotation is int else "a ") + scalar_allowed(field))
    elif choices(item):
        text = f"a comma-separated subset of {' | '.join(choices(item))}"
    else:
        one = scalar_allowed(FieldInfo.from_annotation(item))
        text = "a comma-separated list of " + re.sub(r"^(number|integer)", r"\1s", one)
    return text + (", or auto" if _auto(field) else "")


def show(value: Any) -> str:
    """A value as it would be typed after ``--param KEY=``."""
    if value is None:
        return "auto"
    if isinstance(value, tuple):
        return ",".join(show(v) for v in value)
    return bound(value) if isinstance(value, (int, float)) else str(value)


def _scalar(text: str) -> Any:
    """One typed value: a fraction as its float, else a TOML value, else the bare word."""
    m = _FRACTION.match(text)
    if m:
        try:
            return float(m.group(1)) / float(m.group(2))
        except (ValueError, ZeroDivisionError):
            return text
    return parse_override(f"v={text}")[1]


def parse(raw: str, field: FieldInfo) -> Any:
    """The Python value of ``raw`` for ``field`` (checked afterwards by the model)."""
    text = raw.strip()
    if _auto(field) and text.lower() == "auto":
        return None
    if _item(field) is not None:
        return tuple(_scalar(x.strip()) for x in text.split(",") if x.strip())
    return _scalar(text)


def get_case(cases: dict[str, Case], name: str) -> Case:
    """The case ``name`` or ParamError listing the cases."""
    if name in cases:
        return cases[name]
    close = suggest(name, list(cases))
    hint = f"did you mean '{close}'? " if close else ""
    raise ParamError(f"unknown case '{name}': {hint}cases are {', '.join(cases)}")


def _field(case: Case, key: str) -> FieldInfo:
    """The declared input ``key`` of ``case`` (ParamError naming the keys it has)."""
    fields = case.model.model_fields
    if key in fields:
        return fields[key]
    close = suggest(key, list(fields))
    hint = f"did you mean '{close}'? " if close else ""
    raise ParamError(f"unknown parameter '{key}' for case '{case.name}': {hint}allowed keys "
                     f"are {', '.join(fields)}")


def resolve(cases: dict[str, Case], names: list[str], overrides: list[str],
            quick: bool) -> dict[str, CaseInputs]:
    """Inputs of each selected case after ``KEY=VALUE`` overrides, all validated.

    KEY is ``name`` (applies to every selected case that declares it; an error if none
    does) or ``case.name`` (that case only, which must be selected). Each value is checked
    against its field as it comes, the rules across fields once all are set; nothing runs
    before every override has been checked.
    """
    selected = [get_case(cases, n) for n in names] if names else list(cases.values())
    values = {c.name: c.defaults(quick).model_dump() for c in selected}
    for item in overrides:
        if "=" not in item:
            raise ParamError(f"--param '{item}' is not KEY=VALUE (e.g. --param c=2.5)")
        key, raw = (x.strip() for x in item.split("=", 1))
        if "." in key:
            cname, pname = key.split(".", 1)
            c = get_case(cases, cname)
            if c.name not in values:
                raise ParamError(f"--param {key}={raw}: case '{cname}' is not selected "
                                 f"(add --case {cname})")
            targets = [(c, pname, _field(c, pname))]
        else:
            targets = [(c, key, c.model.model_fields[key]) for c in selected
                       if key in c.model.model_fields]
            if not targets:
                if len(selected) == 1:
                    _field(selected[0], key)  # raises with the case's allowed keys
                where = "the selected cases" if names else "any case"
                raise ParamError(f"unknown parameter '{key}': no parameter of that name in "
                                 f"{where}; see 'panoptisim validate --list'")
        for c, pname, fld in targets:
            trial = {**values[c.name], pname: parse(raw, fld)}
            try:
                c.model.model_validate(trial)
            except ValidationError as err:
                if any(e["loc"] and e["loc"][0] == pname for e in err.errors()):
                    raise ParamError(f"--param {pname}={raw} is not allowed for case "
                                     f"'{c.name}': {pname} must be {allowed(fld)}") from None
            values[c.name] = trial
    resolved = {}
    for c in selected:
        try:
            resolved[c.name] = c.model.model_validate(values[c.name])
        except ValidationError as err:  # a rule across fields
            raise ParamError(f"case '{c.name}': {format_error(err, model=c.model)}") from None
    return resolved
