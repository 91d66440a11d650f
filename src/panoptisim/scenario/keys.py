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
