"""Loading a scenario: a built-in name or a TOML file, its ``base``, overrides, validation,
and errors of one line that name the key, the value and what is allowed."""

from __future__ import annotations

import difflib
import tomllib
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from panoptisim.errors import InputError, ScenarioError
from panoptisim.scenario.keys import merge, set_path
from panoptisim.scenario.params import (
    allowed,
    did_you_mean,
    iter_params,
    param_keys,
    section_keys,
)
from panoptisim.scenario.schema import RegionSpec, Scenario, TimelineEntry


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    files = resources.files("panoptisim") / "scenarios"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    """The TOML text of the built-in scenario ``name``."""
    return (resources.files("panoptisim") / "scenarios" / f"{name}.toml").read_text()


def names_a_file(source: str) -> bool:
    """Whether ``source`` is a path (``x.toml``, ``dir/x``) rather than a built-in name."""
    return source.endswith(".toml") or "/" in source or bool(Path(source).suffix)


def read_user_file(path: Path, kind: str, error: type[InputError] = InputError) -> str:
    """The text of a file the user named, or ``error`` with one line saying why not
    (``kind`` names it: "scenario file", "sweep file")."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise error(f"{kind} '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{kind} '{path}' cannot be read: {exc}") from None


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


#: The fields of a list's entries that a dotted key can name, by the list's key.
LIST_FIELDS = {"timeline": TimelineEntry.model_fields, "population.regions":
               RegionSpec.model_fields}


def check_key(key: str) -> None:
    """Refuse (ScenarioError) a dotted key that is a section or no parameter at all.

    Besides parameters: a list entry's field (``timeline.0.day``, ``timeline.0.set.<key>``,
    ``population.regions.1.share``) and a region's own rule (``regions.<name>.<key>``);
    what they name is checked when the scenario is validated.
    """
    if key in param_keys():
        return
    parts = key.split(".")
    if parts[0] == "regions" and len(parts) >= 3:
        check_key(".".join(parts[2:]))
        return
    for head, fields in LIST_FIELDS.items():
        n = head.count(".") + 1
        if ".".join(parts[:n]) == head and len(parts) > n and parts[n].isdigit():
            rest = parts[n + 1:]
            if rest and rest[0] in fields and (len(rest) == 1 or rest[0] == "set"):
                return
            raise ScenarioError(f"unknown key '{key}'; an entry of {head} has keys "
                                f"{', '.join(fields)}")
    inside = section_keys(key)
    if inside:
        raise ScenarioError(f"'{key}' is a section, not a parameter: set one of its keys, "
                            f"e.g. {inside[0]}=...")
    raise ScenarioError(f"unknown key '{key}'; {did_you_mean(key)}")


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each dotted override laid over it (keys checked first)."""
    for key, value in overrides.items():
        check_key(key)
        head = key.split(".")[0]
        if head == "population" and "regions" not in data.get("population", {}):
            # an entry of the default regions: start from them
            default = Scenario().model_dump(mode="json")["population"]["regions"]
            data = merge(data, {"population": {"regions": default}})
        data = set_path(data, key, value)
    return data


def scenario_document(source: str | Path | Scenario | None = "baseline") -> dict[str, Any]:
    """The unvalidated document of a built-in name, a TOML path or a Scenario, its
    ``base`` resolved."""
    if isinstance(source, Scenario):
        return source.model_dump(mode="json")
    source = "baseline" if source is None else str(source)
    if names_a_file(source):
        text = read_user_file(Path(source), "scenario file", ScenarioError)
    elif source in builtin_names():
        text = builtin_text(source)
    else:
        close = difflib.get_close_matches(source, builtin_names(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ScenarioError(f"unknown scenario '{source}': {hint}built-in scenarios are "
                            f"{', '.join(builtin_names())}, or give a path to a .toml file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario '{source}' is not valid TOML: {exc}") from None
    return _resolve_base(data, source)


def validate(data: dict[str, Any], prefix: str = "") -> Scenario:
    """A Scenario from a document, or ScenarioError with one line (see format_error)."""
    try:
        return Scenario.model_validate(data, strict=False)
    except ValidationError as err:
        raise ScenarioError(format_error(err, prefix=prefix)) from None


def load_scenario(source: str | Path | Scenario | None = "baseline",
                  overrides: dict[str, Any] | None = None,
                  seed: int | None = None) -> Scenario:
    """Resolve a built-in name, a TOML path or a Scenario, apply dotted overrides, validate.

    Raises ScenarioError with one line naming the key, the value and what is allowed.
    """
    data = apply_overrides(scenario_document(source), overrides or {})
    if seed is not None:
        data = merge(data, {"run": {"seed": seed}})
    return validate(data)


def _resolve_base(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A scenario may start from another built-in with ``base = "name"``."""
    base = data.pop("base", None)
    if base is None:
        return data
    if base not in builtin_names():
        raise ScenarioError(f"base = {base!r} in '{source}' is not a built-in scenario "
                            f"(allowed: {', '.join(builtin_names())})")
    return merge(_resolve_base(tomllib.loads(builtin_text(base)), base), data)



