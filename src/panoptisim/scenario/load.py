"""Loading a scenario: a built-in name or a TOML file, its ``base``, overrides, validation,
and errors of one line that name the key, the value and what is allowed."""

from __future__ import annotations

import difflib
import os
import stat
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from panoptisim.errors import InputError, ScenarioError, clip, shown
from panoptisim.scenario.keys import is_index, merge, parse_toml, set_path
from panoptisim.scenario.messages import LIST_FIELDS, format_error
from panoptisim.scenario.params import did_you_mean, param_keys, section_keys
from panoptisim.scenario.schema import Scenario
from panoptisim.scenario.timeline import RulesError, resolve


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


def path_beside(name: str | Path, source: Path | None) -> Path:
    """A path named in a file at ``source``: relative to that file's folder (as given when
    there is no file, or when it is absolute)."""
    path = Path(name)
    return source.parent / path if source is not None and not path.is_absolute() else path


def scenario_beside(name: str, source: Path | None) -> str | Path:
    """A scenario named in a file (a sweep or targets file at ``source``): a built-in name as
    is, a path relative to that file's folder."""
    return path_beside(name, source) if names_a_file(name) else name


def read_user_file(path: Path, kind: str, error: type[InputError] = InputError) -> str:
    """The text of a file the user named, or ``error`` with one line saying why not
    (``kind`` names it: "scenario file", "sweep file"). Only a regular file is read (a FIFO
    would wait forever for a writer); a UTF-8 byte-order mark at its start is dropped."""
    where = f"{kind} {shown(str(path), 160)}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait
    except FileNotFoundError:
        raise error(f"{where} does not exist") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise error(f"{where} cannot be read: {clip(getattr(exc, 'strerror', None) or exc)}"
                    ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else \
            "not a regular file"
        raise error(f"{where} is {what}; allowed: a regular file (.toml)")
    with os.fdopen(fd, "rb") as f:
        try:
            return f.read().decode("utf-8-sig")
        except OSError as exc:
            raise error(f"{where} cannot be read: {clip(exc.strerror or exc)}") from None
        except UnicodeDecodeError as exc:
            raise error(f"{where} is not UTF-8 text (byte {exc.start}); allowed: a TOML file "
                        "in UTF-8") from None


def read_user_toml(path: Path, kind: str, error: type[InputError] = InputError
                   ) -> tuple[str, dict[str, Any]]:
    """The text of a TOML file the user named and its parsed tables, or ``error`` with one
    line saying why not (missing, not a regular file, unreadable, not TOML, too deep)."""
    text = read_user_file(path, kind, error)
    return text, parse_toml(text, f"{kind} {shown(str(path), 160)}", error)


def check_key(key: str) -> None:
    """Refuse (ScenarioError) a dotted key that is a section or no parameter at all.

    Besides parameters: a list entry's field (``timeline.0.day``, ``timeline.0.set.<key>``,
    ``population.regions.1.share``) and a region's own rule (``regions.<name>.<key>``);
    what they name is checked when the scenario is validated.
    """
    if key in param_keys():
        return
    parts = key.split(".")
    if parts[0] == "regions" and len(parts) >= 3 and parts[2] != "regions":
        check_key(".".join(parts[2:]))  # a rule of a region's: once, never nested
        return
    for head, fields in LIST_FIELDS.items():
        n = head.count(".") + 1
        if ".".join(parts[:n]) == head and len(parts) > n and is_index(parts[n]):
            rest = parts[n + 1:]
            if rest and rest[0] in fields and (len(rest) == 1 or rest[0] == "set"):
                return
            raise ScenarioError(f"unknown key '{clip(key)}'; an entry of {head} has keys "
                                f"{', '.join(fields)}")
    inside = section_keys(key)
    if inside:
        raise ScenarioError(f"'{key}' is a section, not a parameter: set one of its keys, "
                            f"e.g. {inside[0]}=...")
    raise ScenarioError(f"unknown key '{clip(key)}'; {did_you_mean(key)}")


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
        raise ScenarioError(f"unknown scenario {shown(source)}: {hint}built-in scenarios are "
                            f"{', '.join(builtin_names())}, or give a path to a .toml file")
    data = parse_toml(text, f"scenario {shown(source, 160)}", ScenarioError)
    return _resolve_base(data, source)


def validate(data: dict[str, Any], prefix: str = "", strict: bool = False) -> Scenario:
    """A Scenario from a document, or ScenarioError with one line (see format_error).

    ``strict``: types as a user must write them (:func:`load_scenario` and the API): a
    boolean is never a number, text never a number or boolean, a number with a fraction or
    an exponent (``2e3``) never an integer. Without it, ``30.0`` is an integer's 30 (a sweep's
    range of an integer parameter).
    """
    try:
        scenario = Scenario.model_validate(_plain(data) if strict else data, strict=strict)
    except ValidationError as err:
        raise ScenarioError(format_error(err, prefix=prefix)) from None
    if scenario.regions or scenario.timeline:  # every region's rules on every day
        try:
            resolve(scenario, strict=strict)
        except RulesError as err:
            raise ScenarioError(f"{prefix}{err}") from None
    return scenario


def _plain(doc: Any) -> Any:
    """``doc`` with numpy scalars as the Python values they hold (a notebook's
    ``np.int64(2000)`` is an integer; ``np.float64`` is a float already)."""
    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_plain(v) for v in doc]
    return doc.item() if isinstance(doc, np.generic) else doc


def load_scenario(source: str | Path | Scenario | None = "baseline",
                  overrides: dict[str, Any] | None = None,
                  seed: int | None = None) -> Scenario:
    """Resolve a built-in name, a TOML path or a Scenario, apply dotted overrides, validate.

    Types are strict (:func:`validate`). Raises ScenarioError with one line naming the key,
    the value and what is allowed.
    """
    data = apply_overrides(scenario_document(source), overrides or {})
    if seed is not None:
        data = merge(data, {"run": {"seed": seed}})
    return validate(data, strict=True)


def _resolve_base(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A scenario may start from another built-in with ``base = "name"``."""
    base = data.pop("base", None)
    if base is None:
        return data
    if base not in builtin_names():
        raise ScenarioError(f"base = {shown(base)} in {shown(source, 160)} is not a built-in "
                            f"scenario (allowed: {', '.join(builtin_names())})")
    return merge(_resolve_base(parse_toml(builtin_text(base), base), base), data)



