"""How numbers are written for a reader: one place, so every table agrees.

- :func:`figure`: a measured value in a table (4 significant digits, thousands grouped);
- :func:`bound`: a parameter's bound or setting as a person types it (``50000000``, not
  ``5e+07``; ``0.003``, not ``0.0030``);
- :func:`literal`: a parameter's value as written in a scenario file (TOML): ``true``,
  ``"citizen"``, ``[1, 2]``, a list of tables as inline tables (``[{ name = "urban",
  share = 0.639 }]``), numbers as :func:`bound`;
- :func:`slug`: a scenario's or sweep's name as the one folder name it gives a run.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any


def figure(value: Any, missing: str = "-") -> str:
    """A value for a table: integers and values of 1,000 or more with thousands grouped and
    no decimals, others to 4 significant digits; ``missing`` for None and NaN."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return missing
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def bound(value: float) -> str:
    """A bound or setting as a reader writes it: ``50000000``, ``0.003``, ``1e+20``."""
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:g}"


def literal(value: Any) -> str:
    """A parameter value as written in a scenario file (TOML): ``true``, ``"citizen"``,
    ``["a", "b"]``, ``[{ name = "urban", share = 0.639 }]`` (a list of tables, e.g.
    ``population.regions``); numbers as :func:`bound` (``50000000``, ``0.003``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return bound(value)
    if hasattr(value, "model_dump"):  # an entry of a list of tables: a TOML inline table
        return "{ " + ", ".join(f"{k} = {literal(v)}" for k, v in
                                value.model_dump(mode="json").items()) + " }"
    if isinstance(value, (list, tuple)) and any(hasattr(v, "model_dump") for v in value):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value)  # strings quoted, lists as arrays


def slug(name: str, limit: int = 64) -> str:
    """``name`` as one safe folder name: ASCII letters, digits, ``-``, ``_`` and ``.`` (not
    leading), each run of other characters (``/``, spaces, newlines) one ``-``, at most
    ``limit`` characters; ``unnamed`` if nothing is left. ``../../x`` gives ``x``."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name)).lstrip(".-")[:limit].rstrip(".-")
    return text or "unnamed"
