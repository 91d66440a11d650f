"""Dotted keys: ``surveillance.cameras.fpir`` to and from nested documents.

The same operations serve ``--set``, scenario files, sweep files and reports: nest a
dotted key, flatten a document, merge one document over another, parse TOML text and
``KEY=VALUE``.
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any

from panoptisim.errors import InputError, ScenarioError, clip, shown

#: How deeply arrays and tables may nest in a file or a ``--set`` value (a scenario needs 5).
MAX_DEPTH = 32


def nest(key: str, value: Any) -> dict[str, Any]:
    """``nest("a.b.c", 1) == {"a": {"b": {"c": 1}}}``."""
    out: dict[str, Any] = {}
    node = out
    *path, last = key.split(".")
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value
    return out


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested document as ``{dotted key: value}`` (the inverse of :func:`nest`)."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid over ``base``, section by section (neither is modified)."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def value_at(obj: Any, key: str) -> Any:
    """The value at dotted ``key`` of a model (``scenario``, ``"scoring.regime"``)."""
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def is_index(part: str) -> bool:
    """Whether a part of a dotted key is a list index (ASCII digits: ``timeline.0.day``)."""
    return part.isascii() and part.isdigit()


def set_path(doc: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``doc`` with ``value`` at dotted ``key``, which may step into a list by index
    (``timeline.0.day``, ``population.regions.1.share``); inside a timeline entry's ``set``
    the rest of the key is one dotted key (``timeline.0.set.safeguards.appeals``).
    ``doc`` is not modified; an index past the list's end is a ScenarioError."""
    parts = key.split(".")
    if not any(is_index(p) for p in parts):
        return merge(doc, nest(key, value))
    i = next(k for k, p in enumerate(parts) if is_index(p))
    head, rest = ".".join(parts[:i]), parts[i + 1:]
    index = int(parts[i]) if len(parts[i]) < 19 else 2**63  # no list is that long
    node: Any = doc
    for part in parts[:i]:
        node = node.get(part) if isinstance(node, dict) else None
    items = list(node) if isinstance(node, list) else []
    if index >= len(items):
        have = f"indices 0 to {len(items) - 1}" if items else "none"
        raise ScenarioError(f"'{clip(key)}': {clip(head)} has {len(items)} entries ({have}); "
                            f"cannot set entry {clip(parts[i], 20)}")
    item = dict(items[index])
    if len(rest) >= 2 and rest[0] == "set":  # a timeline entry's dotted keys
        item["set"] = {**item.get("set", {}), ".".join(rest[1:]): value}
    elif rest:
        item = set_path(item, ".".join(rest), value)
    else:
        item = value
    items[index] = item
    return merge(doc, nest(head, items))


def depth(doc: Any) -> int:
    """How deeply lists and tables nest in ``doc`` (a scalar: 0), without recursion."""
    deepest, todo = 0, [(doc, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in (node.values() if isinstance(node, dict)
                                                 else node))
    return deepest


def parse_toml(text: str, what: str, error: type[InputError] = InputError) -> dict[str, Any]:
    """The tables of TOML ``text``, or ``error`` with one line saying why not (``what``
    names the text: "scenario file 'x.toml'"): not TOML, an integer too long for Python,
    arrays or tables nested more than :data:`MAX_DEPTH` deep."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} is not valid TOML: {clip(str(exc), 160)}") from None
    except RecursionError:
        data = None
    except ValueError as exc:  # an integer past Python's int-from-text limit
        limit = sys.get_int_max_str_digits()
        if "digits" not in str(exc):
            raise error(f"{what} is not valid TOML: {clip(str(exc), 160)}") from None
        raise error(f"{what} holds an integer of more than {limit} digits; allowed: at most "
                    f"{limit} digits (and each parameter's range)") from None
    if data is None or depth(data) > MAX_DEPTH:
        raise error(f"{what} nests arrays or tables too deeply; allowed: at most "
                    f"{MAX_DEPTH} levels") from None
    return data


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; VALUE is read as a TOML value, or else as a bare string."""
    if "=" not in item:
        raise ScenarioError(f"--set {shown(item)} is not KEY=VALUE (e.g. "
                            "population.size=20000)")
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return key, raw  # not a TOML value: a bare string
    except (RecursionError, ValueError):
        pass  # too deep or too long: parse_toml says so in one line
    return key, parse_toml(f"v = {raw}", f"--set {clip(key)}", ScenarioError)["v"]
