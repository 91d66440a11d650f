"""Dotted keys: ``surveillance.cameras.fpir`` to and from nested documents.

The same four operations serve ``--set``, scenario files, sweep files and reports: nest a
dotted key, flatten a document, merge one document over another, parse ``KEY=VALUE``.
"""

from __future__ import annotations

import tomllib
from typing import Any

from panoptisim.errors import ScenarioError


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


def set_path(doc: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``doc`` with ``value`` at dotted ``key``, which may step into a list by index
    (``timeline.0.day``, ``population.regions.1.share``); inside a timeline entry's ``set``
    the rest of the key is one dotted key (``timeline.0.set.safeguards.appeals``).
    ``doc`` is not modified; an index past the list's end is a ScenarioError."""
    parts = key.split(".")
    if not any(p.isdigit() for p in parts):
        return merge(doc, nest(key, value))
    i = next(k for k, p in enumerate(parts) if p.isdigit())
    head, index, rest = ".".join(parts[:i]), int(parts[i]), parts[i + 1:]
    node: Any = doc
    for part in parts[:i]:
        node = node.get(part) if isinstance(node, dict) else None
    items = list(node) if isinstance(node, list) else []
    if index >= len(items):
        have = f"indices 0 to {len(items) - 1}" if items else "none"
        raise ScenarioError(f"'{key}': {head} has {len(items)} entries ({have}); "
                            f"cannot set entry {index}")
    item = dict(items[index])
    if len(rest) >= 2 and rest[0] == "set":  # a timeline entry's dotted keys
        item["set"] = {**item.get("set", {}), ".".join(rest[1:]): value}
    elif rest:
        item = set_path(item, ".".join(rest), value)
    else:
        item = value
    items[index] = item
    return merge(doc, nest(head, items))


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; VALUE is read as a TOML value, or else as a bare string."""
    if "=" not in item:
        raise ScenarioError(f"--set '{item}' is not KEY=VALUE (e.g. population.size=20000)")
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value
